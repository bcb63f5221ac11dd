package main

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// dtEvent is a Disruptive Technologies event with what the stream filters
// need: the device, its type and labels.
type dtEvent struct {
	device     string
	deviceType string
	eventType  string
	labels     map[string]string
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

// dtEnvelope wraps an event as the stream sends it.
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

// dtProject publishes the fleet's events: each sensor's reading every few
// seconds, and now and then its network and battery status.
func (s *simulator) dtProject(stop <-chan struct{}, project string) {
	topic := "dt/" + project
	r := rng(topic)
	temps := map[string]*drift{
		dtFleet[0].id: {v: 4, mean: 4, pull: 0.1, noise: 0.15, min: -5, max: 15},
		dtFleet[1].id: {v: -18, mean: -18, pull: 0.1, noise: 0.2, min: -30, max: 0},
	}
	hum := drift{v: 45, mean: 45, pull: 0.05, noise: 0.6, min: 10, max: 90}
	office := drift{v: 22, mean: 22, pull: 0.1, noise: 0.1, min: 15, max: 30}
	present := false
	touches := 0
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
			data = map[string]any{"batteryStatus": map[string]any{"percentage": 80 + r.IntN(21), "updateTime": ts}}
		case d.primary == "temperature":
			v := round(temps[d.id].step(r), 2)
			data = map[string]any{"temperature": map[string]any{"value": v, "updateTime": ts, "isBackfilled": false,
				"samples": []any{map[string]any{"value": v, "sampleTime": ts}}}}
		case d.primary == "touch":
			touches++
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
			dt:   &dtEvent{device: d.id, deviceType: d.deviceType, eventType: eventType, labels: map[string]string{"name": d.name, "room": d.room}},
		}, false)
	})
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
	if e == nil {
		return false
	}
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
