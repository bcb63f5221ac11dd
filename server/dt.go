package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// The Disruptive Technologies mock: GET /v2/projects/{project}/devices:stream.
// Every frame, event or ping, is one result envelope: an NDJSON line, or in
// SSE mode a frame with only a data field, as the service sends them.

// dtEvent is the meta of a Disruptive Technologies event frame: what the
// stream's filters need, the device, its type and labels.
type dtEvent struct {
	device     string
	deviceType string
	eventType  string
	labels     map[string]string
}

var dtProjectID = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)

// dtAuthorized: HTTP Basic with the service account, a Bearer token, or the
// token query parameter for header-less clients.
func (s *server) dtAuthorized(r *http.Request) bool {
	if present, ok := s.basicOK(r); present {
		return ok
	}
	return s.tokenOK(bearer(r)) || s.tokenOK(r.URL.Query().Get("token"))
}

// dtStream imitates GET /v2/projects/{project}/devices:stream.
func (s *server) dtStream(w http.ResponseWriter, r *http.Request) {
	f, ok := begin(w, r)
	if !ok {
		return
	}
	if !s.dtAuthorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="api"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": "unauthenticated", "code": 401,
			"help": "use HTTP Basic with the service account's key id and secret, a Bearer token, or ?token="})
		return
	}
	project := r.PathValue("project")
	if !dtProjectID.MatchString(project) {
		writeJSONError(w, http.StatusBadRequest, "invalid project id")
		return
	}
	q := r.URL.Query()
	var ping time.Duration
	if v := q.Get("ping_interval"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond || d > time.Hour {
			writeJSONError(w, http.StatusBadRequest, "ping_interval must be a duration such as 10s")
			return
		}
		ping = d
	}
	// The stream ends when the access token expires.
	lifetime := s.cfg.tokenLifetime
	if v := q.Get("lifetime"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			writeJSONError(w, http.StatusBadRequest, "lifetime must be a positive duration")
			return
		}
		lifetime = min(lifetime, d)
	}
	fm, ct := formatNDJSON, "application/json"
	if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		fm, ct = formatSSE, sseType
	}
	filter := parseDTFilter(r)
	pingIDs := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	topic := "dt/" + project
	s.subscribeAndServe(w, r, f, topic, streamOptions{
		format:      fm,
		contentType: ct,
		lifetime:    lifetime,
		mapFrame: func(fr frame) (frame, bool) {
			e, ok := fr.meta.(*dtEvent)
			return fr, ok && filter.match(e)
		},
		ping: ping,
		pingFrame: func() frame {
			// On the wire a ping is an envelope like any event (target the
			// project, data null); only the frame's ping field, never its
			// event type, tells the server it is one.
			return frame{data: dtEnvelope(pingIDs, project, nil, "ping", nil, time.Now())}
		},
		onLifetimeEnd: func(idle bool) *frame {
			if !idle {
				return nil
			}
			return &frame{data: `{"error":{"code":408,"message":"closing stream","details":[]}}`}
		},
	}, func() { s.sim.ensure(topic, s.sim.dtProject, topic) })
}

// dtFilter is a stream's query: device_ids, device_types, event_types and
// label_filters, each repeated (or comma-separated).
type dtFilter struct {
	devices, deviceTypes, eventTypes map[string]bool
	labels                           []labelFilter
}

type labelFilter struct {
	key, value string
	hasValue   bool
}

func multi(r *http.Request, name string) map[string]bool {
	var m map[string]bool
	for _, v := range r.URL.Query()[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				if m == nil {
					m = map[string]bool{}
				}
				m[part] = true
			}
		}
	}
	return m
}

func parseDTFilter(r *http.Request) dtFilter {
	f := dtFilter{devices: multi(r, "device_ids"), deviceTypes: multi(r, "device_types"), eventTypes: multi(r, "event_types")}
	for lf := range multi(r, "label_filters") {
		k, v, ok := strings.Cut(lf, "=")
		f.labels = append(f.labels, labelFilter{key: k, value: v, hasValue: ok})
	}
	return f
}

func (f dtFilter) match(e *dtEvent) bool {
	if f.devices != nil && !f.devices[e.device] {
		return false
	}
	if f.deviceTypes != nil && !f.deviceTypes[e.deviceType] {
		return false
	}
	if f.eventTypes != nil && !f.eventTypes[e.eventType] {
		return false
	}
	for _, l := range f.labels {
		v, ok := e.labels[l.key]
		if !ok || (l.hasValue && v != l.value) {
			return false
		}
	}
	return true
}

type dtDevice struct {
	id, deviceType, name, room string
	primary                    string // the event type it reports
}

// dtFleet is every project's simulated sensors (ids in the style of
// Disruptive Technologies' emulated devices).
var dtFleet = []dtDevice{
	{"emuc0f8fridge000000a", "temperature", "Fridge", "kitchen", "temperature"},
	{"emuc0f8freezer00000b", "temperature", "Freezer", "kitchen", "temperature"},
	{"emuc0f8desk0button0c", "touch", "Desk button", "office", "touch"},
	{"emuc0f8frontdoor000d", "proximity", "Front door", "hallway", "objectPresent"},
	{"emuc0f8office0hum00e", "humidity", "Office climate", "office", "humidity"},
}

const dtIDChars = "0123456789abcdefghijklmnopqrstuv"

func dtID(r *rand.Rand) string {
	b := make([]byte, 20)
	for i := range b {
		b[i] = dtIDChars[r.IntN(len(dtIDChars))]
	}
	return string(b)
}

func dtTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// dtEnvelope wraps an event as the stream sends it; a nil device makes the
// project the target (a ping's).
func dtEnvelope(r *rand.Rand, project string, d *dtDevice, eventType string, data any, t time.Time) string {
	target := "projects/" + project
	if d != nil {
		target += "/devices/" + d.id
	}
	// A struct keeps the members in the order the service sends them.
	type event struct {
		EventID    string `json:"eventId"`
		TargetName string `json:"targetName"`
		EventType  string `json:"eventType"`
		Data       any    `json:"data"`
		Timestamp  string `json:"timestamp"`
	}
	type result struct {
		Event event `json:"event"`
	}
	return mustJSON(struct {
		Result result `json:"result"`
	}{result{event{dtID(r), target, eventType, data, dtTime(t)}}})
}

// dtDemoProject is the project the demo dashboard reads; it runs from
// server start, other projects from their first stream.
const dtDemoProject = "demo"

func (s *simulator) startDT() {
	s.always("dt/"+dtDemoProject, s.dtProject, "dt/"+dtDemoProject)
}

// thermostat is a fridge or a freezer: the compressor cools until the low
// mark, switches off, and the box warms toward the room until the high mark
// (a sawtooth, as real cold-chain sensors show); an opened door warms it
// faster for a while.
type thermostat struct {
	v, low, high, room float64
	power              float64 // the compressor's cooling per report: more than the leak at the low mark
	cooling            bool
	doorOpen           int // reports left with the door open
}

func (t *thermostat) step(r *rand.Rand) float64 {
	if t.doorOpen == 0 && r.IntN(40) == 0 {
		t.doorOpen = 2 + r.IntN(4)
	}
	leak := 0.02
	if t.doorOpen > 0 {
		t.doorOpen--
		leak = 0.035
	}
	t.v = approach(t.v, t.room, leak)
	if t.cooling {
		t.v -= t.power
	}
	switch {
	case t.v <= t.low:
		t.cooling = false
	case t.v >= t.high:
		t.cooling = true
	}
	return t.v + r.NormFloat64()*0.03
}

// dtProject publishes the fleet's events: a reading from one of the sensors
// every 0.7 s, and now and then a sensor's network and battery status.
func (s *simulator) dtProject(stop <-chan struct{}, topic string, r *rand.Rand) {
	project := strings.TrimPrefix(topic, "dt/")
	temps := map[string]*thermostat{
		dtFleet[0].id: {v: 3 + r.Float64()*2, low: 2.5, high: 5, room: 21, power: 0.5, cooling: r.IntN(2) == 0},
		dtFleet[1].id: {v: -19 + r.Float64()*2, low: -20, high: -16.5, room: 21, power: 1.2, cooling: r.IntN(2) == 0},
	}
	hum := drift{v: 45, mean: 45, pull: 0.05, noise: 0.6, min: 10, max: 90}
	office := drift{v: 22, mean: 22, pull: 0.1, noise: 0.1, min: 15, max: 30}
	battery := map[string]float64{}
	for _, d := range dtFleet {
		battery[d.id] = 70 + r.Float64()*30
	}
	present := false
	s.ticker(stop, 700*time.Millisecond, func() {
		d := &dtFleet[r.IntN(len(dtFleet))]
		t := time.Now()
		ts := dtTime(t)
		eventType := d.primary
		var data any
		switch {
		case r.IntN(10) == 0:
			eventType = "networkStatus"
			rssi := -50 - r.IntN(40)
			data = map[string]any{"networkStatus": map[string]any{
				"signalStrength": int(math.Max(0, math.Min(100, float64(rssi+100)*2))), "rssi": rssi, "updateTime": ts,
				"cloudConnectors":  []any{map[string]any{"id": "emulated-ccon", "signalStrength": 80, "rssi": rssi}},
				"transmissionMode": "LOW_POWER_STANDARD_MODE",
			}}
		case r.IntN(15) == 0:
			eventType = "batteryStatus"
			battery[d.id] = math.Max(1, battery[d.id]-r.Float64()*0.2)
			data = map[string]any{"batteryStatus": map[string]any{"percentage": int(battery[d.id]), "updateTime": ts}}
		case d.primary == "temperature":
			v := round(temps[d.id].step(r), 2)
			data = map[string]any{"temperature": map[string]any{"value": v, "updateTime": ts, "isBackfilled": false,
				"samples": []any{map[string]any{"value": v, "sampleTime": ts}}}}
		case d.primary == "touch":
			data = map[string]any{"touch": map[string]any{"updateTime": ts}}
		case d.primary == "objectPresent":
			present = !present
			state := map[bool]string{true: "PRESENT", false: "NOT_PRESENT"}[present]
			data = map[string]any{"objectPresent": map[string]any{"state": state, "updateTime": ts}}
		case d.primary == "humidity":
			v := round(office.step(r), 2)
			data = map[string]any{"humidity": map[string]any{"temperature": v, "relativeHumidity": round(hum.step(r), 1),
				"samples": []any{map[string]any{"temperature": v, "relativeHumidity": round(hum.v, 1), "sampleTime": ts}}, "updateTime": ts}}
		}
		s.hub.publish(topic, frame{
			data: dtEnvelope(r, project, d, eventType, data, t),
			meta: &dtEvent{device: d.id, deviceType: d.deviceType, eventType: eventType, labels: map[string]string{"name": d.name, "room": d.room}},
		}, false)
	})
}
