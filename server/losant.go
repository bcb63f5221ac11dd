package main

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The Losant mock: Experience device and custom-topic streams (mqttMessage
// events), publishing to a custom topic, and the REST API's stateStream.

// losantState is the meta of a device-state frame: the state JSON inside
// its mqttMessage, which the REST stateStream re-sends as a deviceState.
type losantState string

var (
	losantID       = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)
	losantObjectID = regexp.MustCompile(`^([0-9a-f]{24}|demo[0-9A-Za-z_-]*)$`)
)

// experienceAuthorized: with -experience-auth, the Experience user token in
// ?authorization=, a Bearer header, or the authorization cookie.
func (s *server) experienceAuthorized(r *http.Request) bool {
	if !s.cfg.experienceAuth {
		return true
	}
	if s.tokenOK(r.URL.Query().Get("authorization")) || s.tokenOK(bearer(r)) {
		return true
	}
	c, err := r.Cookie("authorization")
	return err == nil && s.tokenOK(c.Value)
}

// beginExperience is begin plus the Experience user check.
func (s *server) beginExperience(w http.ResponseWriter, r *http.Request) (faults, bool) {
	f, ok := begin(w, r)
	if ok && !s.experienceAuthorized(r) {
		writeJSONError(w, http.StatusUnauthorized, "experience user token required")
		return f, false
	}
	return f, ok
}

func (s *server) losantDeviceStream(w http.ResponseWriter, r *http.Request) {
	f, ok := s.beginExperience(w, r)
	if !ok {
		return
	}
	id := r.PathValue("deviceId")
	if id == "" {
		id = "generator-1"
	}
	if !losantID.MatchString(id) {
		writeJSONError(w, http.StatusBadRequest, "invalid device id")
		return
	}
	s.serveMQTT(w, r, f, losantStateTopic(id), streamOptions{contentType: sseType, heartbeat: s.cfg.heartbeat},
		func() { s.simulateDevice(id) })
}

// losantStateTopic is the MQTT topic a device publishes its state on.
func losantStateTopic(id string) string { return "losant/" + id + "/state" }

// validTopic follows MQTT's rules as Losant applies them: at most 230
// characters, no wildcards, no empty levels at the ends.
func validTopic(t string) bool {
	return t != "" && len(t) <= 230 && !strings.ContainsAny(t, "#+\x00") && !strings.HasPrefix(t, "/") && !strings.HasSuffix(t, "/")
}

func (s *server) losantTopicStream(w http.ResponseWriter, r *http.Request) {
	f, ok := s.beginExperience(w, r)
	if !ok {
		return
	}
	topic := r.PathValue("topic")
	if !validTopic(topic) {
		writeJSONError(w, http.StatusBadRequest, "invalid topic")
		return
	}
	s.serveMQTT(w, r, f, topic, streamOptions{contentType: sseType, heartbeat: s.cfg.heartbeat}, nil)
}

// losantPublish: POST /api/publish/{topic} with a JSON body, published
// through the MQTT broker. Subscribers of /api/stream/topics/{topic} (and of
// the device streams, for losant/{id}/state) receive an mqttMessage whose
// message is the body as JSON text — or, when the body is
// {"message": "<string>"}, that string as it is (custom topics carry text
// that need not be JSON).
func (s *server) losantPublish(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic")
	if !validTopic(topic) {
		writeJSONError(w, http.StatusBadRequest, "invalid topic")
		return
	}
	// The body is bounded by guard (maxBody); Losant's limit for one MQTT
	// message is lower.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		bodyError(w, err)
		return
	}
	if len(body) > 32767 {
		writeJSONError(w, http.StatusRequestEntityTooLarge, "a message is at most 32767 bytes")
		return
	}
	if !json.Valid(body) {
		writeJSONError(w, http.StatusBadRequest, "the body must be JSON")
		return
	}
	message := string(body)
	var wrapped struct {
		Message *string `json:"message"`
	}
	if json.Unmarshal(body, &wrapped) == nil && wrapped.Message != nil {
		message = *wrapped.Message
	}
	n := s.hub.subscribers(mqttHubPrefix + topic)
	if err := s.mqtt.publish(topic, []byte(message)); err != nil {
		w.Header().Set("Retry-After", "2")
		writeJSONError(w, http.StatusServiceUnavailable, "cannot publish: "+err.Error())
		return
	}
	writeJSON(w, map[string]any{"published": true, "subscribers": n})
}

// losantStateStream imitates GET /applications/{app}/devices/{device}/stateStream:
// deviceState events, a keep-alive every keepAliveInterval seconds, a Bearer
// API token required. Applications and devices exist when their ids are 24
// hex digits (Losant's ids) or start with "demo".
func (s *server) losantStateStream(w http.ResponseWriter, r *http.Request) {
	f, ok := begin(w, r)
	if !ok {
		return
	}
	if !s.tokenOK(bearer(r)) {
		writeJSONError(w, http.StatusUnauthorized, "a Bearer API token is required")
		return
	}
	keepAlive := 2 * time.Second
	if v := r.URL.Query().Get("keepAliveInterval"); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n <= 0 || n > 3600 {
			writeJSONError(w, http.StatusBadRequest, "keepAliveInterval must be a number of seconds from 1 to 3600")
			return
		}
		keepAlive = time.Duration(n * float64(time.Second))
	}
	app, dev := r.PathValue("app"), r.PathValue("device")
	if !losantObjectID.MatchString(app) {
		writeJSONError(w, http.StatusNotFound, "application not found")
		return
	}
	if !losantObjectID.MatchString(dev) {
		writeJSONError(w, http.StatusNotFound, "device not found")
		return
	}
	s.serveMQTT(w, r, f, losantStateTopic(dev), streamOptions{
		contentType: sseType,
		heartbeat:   keepAlive,
		mapFrame: func(fr frame) (frame, bool) {
			state, ok := fr.meta.(losantState)
			if !ok {
				return fr, false
			}
			var st map[string]any
			if json.Unmarshal([]byte(state), &st) != nil {
				return fr, false
			}
			st["deviceId"] = dev
			return frame{id: fr.id, event: "deviceState", data: mustJSON(st)}, true
		},
	}, func() { s.simulateDevice(dev) })
}

// mqttMessage is the data of a Losant mqttMessage event, members in Losant's order.
func mqttMessage(topic, message string) string {
	return mustJSON(struct {
		Topic   string `json:"topic"`
		Message string `json:"message"`
		Time    string `json:"time"`
	}{topic, message, now()})
}

// defaultLosantFleet is what -sim-devices auto simulates from server start.
var defaultLosantFleet = []string{"generator-1", "generator-2", "generator-3"}

// losantSims is what -sim-devices says: the devices simulated from server
// start, and whether any other device a stream asks for is simulated too.
type losantSims struct {
	fleet    []string
	onDemand bool
}

func (l losantSims) String() string {
	switch {
	case len(l.fleet) == 0 && !l.onDemand:
		return "none (-sim-devices)"
	case l.onDemand:
		return strings.Join(l.fleet, ", ") + ", and any other a stream asks for"
	}
	return strings.Join(l.fleet, ", ")
}

// parseSimDevices reads -sim-devices: auto (the demo fleet, and any device a
// stream asks for, with the embedded broker or none; nothing with an external
// broker, whose devices are real), none, or a list of device ids.
func parseSimDevices(v string, external bool) (losantSims, error) {
	switch strings.TrimSpace(v) {
	case "auto":
		if external {
			return losantSims{}, nil
		}
		return losantSims{fleet: defaultLosantFleet, onDemand: true}, nil
	case "", "none", "off":
		return losantSims{}, nil
	}
	var sims losantSims
	for _, id := range strings.Split(v, ",") {
		id = strings.TrimSpace(id)
		if !losantID.MatchString(id) {
			return sims, errors.New("-sim-devices: " + strconv.Quote(id) + " is not a device id (letters, digits, _ and -)")
		}
		sims.fleet = append(sims.fleet, id)
	}
	return sims, nil
}

// startLosant starts the simulated fleet.
func (s *server) startLosant() {
	for _, id := range s.losant.fleet {
		s.sim.always("losant/"+id, s.sim.losantDevice, mqttHubPrefix+losantStateTopic(id))
	}
}

// simulateDevice starts simulating a device a stream asks for, when
// -sim-devices allows it.
func (s *server) simulateDevice(id string) {
	if s.losant.onDemand {
		s.sim.ensure("losant/"+id, s.sim.losantDevice, mqttHubPrefix+losantStateTopic(id))
	}
}

// losantDevice is a generator set reporting its state over MQTT every
// second, as a Losant device does: {"time", "data": {temperature (°F),
// voltage, rpm}} on losant/{id}/state. Its load changes now and then; the
// engine's speed dips when the load steps up and recovers, the output
// voltage sags a little under load, and the temperature follows the load
// slowly (a time constant of about half a minute).
func (s *simulator) losantDevice(stop <-chan struct{}, name string, r *rand.Rand) {
	topic := losantStateTopic(strings.TrimPrefix(name, "losant/"))
	loads := []float64{0.35, 0.6, 0.85}
	load := loads[r.IntN(len(loads))]
	temp := 110 + 80*load + r.NormFloat64()*3
	dip := 0.0 // the transient after a load step, decaying
	s.ticker(stop, time.Second, func() {
		if r.IntN(45) == 0 {
			next := loads[r.IntN(len(loads))]
			dip += next - load
			load = next
		}
		temp = approach(temp, 110+80*load, 0.03) + r.NormFloat64()*0.3
		rpm := 1800 - 36*load - 60*dip + r.NormFloat64()*2
		volt := 240 - 4*load - 8*dip + r.NormFloat64()*0.4
		dip *= 0.5
		type state struct {
			Temperature float64 `json:"temperature"`
			Voltage     float64 `json:"voltage"`
			RPM         float64 `json:"rpm"`
		}
		payload := mustJSON(struct {
			Time string `json:"time"`
			Data state  `json:"data"`
		}{now(), state{round(temp, 1), round(volt, 1), math.Round(rpm)}})
		_ = s.publishMQTT(topic, []byte(payload)) // a device whose broker is away loses its reports
	})
}
