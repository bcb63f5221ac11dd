package main

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// The seed examples (../shared/seeds 002 and 003), sending what their
// documents' clients read:
//
//   - /live-users: an unnamed message each second whose data is the number of
//     users online, which changes as people arrive and leave;
//   - /smart-home: one event type per room, each on its own cadence (kitchen
//     1.0 s, living room 1.8 s, bedroom 2.6 s), data as the document's page
//     reads it: {"blinds","lights"} for the kitchen, {"curtains","lights"}
//     for the living room and the bedroom (plus the room's temperature);
//   - /heartbeat (and /api/heartbeat, the document's relative URL): heartbeat
//     events whose data is OK, the beat count since server start in the id.
//
// The count and the rooms' state are current state: a new client gets the
// latest at once, then every change.

const (
	liveUsersTopic = "live-users"
	smartHomeTopic = "smart-home"
	heartbeatTopic = "heartbeat"
)

// startSeeds starts the seed simulations with the server.
func (s *simulator) startSeeds() {
	s.always(liveUsersTopic, s.liveUsers, liveUsersTopic)
	for _, room := range rooms {
		s.always(smartHomeTopic+"/"+room.name, s.smartHomeRoom(room), smartHomeTopic)
	}
	s.always(heartbeatTopic, s.heartbeat, heartbeatTopic)
}

func (s *server) liveUsersStream(w http.ResponseWriter, r *http.Request) {
	s.seedStream(w, r, liveUsersTopic)
}

func (s *server) smartHomeStream(w http.ResponseWriter, r *http.Request) {
	s.seedStream(w, r, smartHomeTopic)
}

func (s *server) heartbeatStream(w http.ResponseWriter, r *http.Request) {
	s.seedStream(w, r, heartbeatTopic)
}

func (s *server) seedStream(w http.ResponseWriter, r *http.Request, topic string) {
	f, ok := begin(w, r)
	if !ok {
		return
	}
	s.subscribeAndServe(w, r, f, topic, streamOptions{contentType: sseType, heartbeat: s.cfg.heartbeat}, nil)
}

// liveUsers: people arrive (a Poisson process whose rate follows a slow
// cycle, as a site's traffic does) and leave (each after a minute on
// average), and the count is sent every second.
func (s *simulator) liveUsers(stop <-chan struct{}, name string, r *rand.Rand) {
	const leave = 1.0 / 60 // per user per second
	phase := r.Float64() * 2 * math.Pi
	rate := func(t float64) float64 { return 0.8 + 0.35*math.Sin(phase+t*2*math.Pi/600) } // arrivals per second
	users := poisson(r, rate(0)/leave)
	t := 0.0
	s.ticker(stop, time.Second, func() {
		t++
		users += poisson(r, rate(t)) - binomial(r, users, leave)
		s.hub.publishState(name, "", frame{data: strconv.Itoa(users)})
	})
}

// room is a simulated room of the smart home.
type room struct {
	name     string
	every    time.Duration
	covering string  // what the document's page reads: "blinds" or "curtains"
	setpoint float64 // °C the heating holds
}

var rooms = []room{
	{"kitchen", time.Second, "blinds", 21},
	{"livingroom", 1800 * time.Millisecond, "curtains", 21.5},
	{"bedroom", 2600 * time.Millisecond, "curtains", 19},
}

// smartHomeRoom reports a room's state on its cadence. Lights and blinds or
// curtains change now and then, as people switch them; the temperature
// follows the heating, warms under the lights and with the sun through open
// blinds, and cools a little when they are closed.
func (s *simulator) smartHomeRoom(rm room) generator {
	return func(stop <-chan struct{}, name string, r *rand.Rand) {
		lights := r.IntN(3) == 0
		open := r.IntN(3) > 0
		temp := rm.setpoint + r.NormFloat64()*0.5
		onOff := map[bool]string{true: "on", false: "off"}
		openClosed := map[bool]string{true: "open", false: "closed"}
		s.ticker(stop, rm.every, func() {
			if r.Float64() < 0.08 {
				lights = !lights
			}
			if r.Float64() < 0.04 {
				open = !open
			}
			gain := -0.01
			if open {
				gain = 0.03
			}
			if lights {
				gain += 0.01
			}
			temp = approach(temp, rm.setpoint, 0.05) + gain + r.NormFloat64()*0.02
			state := map[string]any{rm.covering: openClosed[open], "lights": onOff[lights], "temperature": round(temp, 1)}
			s.hub.publishState(smartHomeTopic, rm.name, frame{event: rm.name, data: mustJSON(state)})
		})
	}
}

// heartbeat: a beat every second, data OK, the count since start in the id.
func (s *simulator) heartbeat(stop <-chan struct{}, name string, _ *rand.Rand) {
	n := 0
	s.ticker(stop, time.Second, func() {
		n++
		s.hub.publish(name, frame{event: "heartbeat", id: strconv.Itoa(n), data: "OK"}, false)
	})
}
