package main

import (
	"encoding/json"
	"io"
	"math"
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
	s.subscribeAndServe(w, r, f, "losant/"+id+"/state", s.sim.losantDevice,
		streamOptions{contentType: sseType, heartbeat: s.cfg.heartbeat})
}

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
	s.subscribeAndServe(w, r, f, "custom/"+topic, nil, streamOptions{contentType: sseType, heartbeat: s.cfg.heartbeat})
}

// losantPublish: POST /api/publish/{topic} with a JSON body. Subscribers of
// /api/stream/topics/{topic} receive an mqttMessage whose message is the body
// as JSON text — or, when the body is {"message": "<string>"}, that string as
// it is (custom topics carry text that need not be JSON).
func (s *server) losantPublish(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic")
	if !validTopic(topic) {
		writeJSONError(w, http.StatusBadRequest, "invalid topic")
		return
	}
	// Losant's limit for one MQTT message.
	body, err := io.ReadAll(io.LimitReader(r.Body, 32768+1))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "cannot read body")
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
	n := s.hub.subscribers("custom/" + topic)
	s.hub.publish("custom/"+topic, frame{
		event: "mqttMessage",
		data:  mqttMessage(topic, message),
	}, s.cfg.losantIDs)
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
	s.subscribeAndServe(w, r, f, "losant/"+dev+"/state", s.sim.losantDevice, streamOptions{
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
	})
}

// mqttMessage is the data of a Losant mqttMessage event, members in Losant's order.
func mqttMessage(topic, message string) string {
	return mustJSON(struct {
		Topic   string `json:"topic"`
		Message string `json:"message"`
		Time    string `json:"time"`
	}{topic, message, now()})
}

// losantDevice publishes a generator's state about once a second, as a
// Losant Experience device-state stream delivers it: an mqttMessage whose
// message is the JSON text of {"time", "data"}.
func (s *simulator) losantDevice(stop <-chan struct{}, topic string) {
	r := rng(topic)
	temp := drift{v: 160 + r.Float64()*20, mean: 170, pull: 0.05, noise: 1.5, min: 20, max: 260}
	volt := drift{v: 230, mean: 230, pull: 0.2, noise: 0.8, min: 200, max: 250}
	rpm := drift{v: 1800, mean: 1800, pull: 0.1, noise: 12, min: 0, max: 3600}
	s.ticker(stop, time.Second, func() {
		state := mustJSON(map[string]any{
			"time": now(),
			"data": map[string]any{
				"temperature": round(temp.step(r), 1),
				"voltage":     round(volt.step(r), 2),
				"rpm":         math.Round(rpm.step(r)),
			},
		})
		s.hub.publish(topic, frame{
			event: "mqttMessage",
			data:  mqttMessage(topic, state),
			meta:  losantState(state),
		}, s.cfg.losantIDs)
	})
}
