package main

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The seed examples: /live-users (an unnamed message each second, a count),
// /smart-home (one event type per room, each on its own cadence) and
// /heartbeat (heartbeat events).

func (s *server) liveUsersStream(w http.ResponseWriter, r *http.Request) {
	s.seedStream(w, r, "live-users", s.sim.liveUsers)
}

func (s *server) smartHomeStream(w http.ResponseWriter, r *http.Request) {
	s.seedStream(w, r, "smart-home", s.sim.smartHome)
}

func (s *server) heartbeatStream(w http.ResponseWriter, r *http.Request) {
	s.seedStream(w, r, "heartbeat", s.sim.heartbeat)
}

func (s *server) seedStream(w http.ResponseWriter, r *http.Request, topic string, gen generator) {
	f, ok := begin(w, r)
	if !ok {
		return
	}
	s.subscribeAndServe(w, r, f, topic, gen, streamOptions{contentType: sseType, heartbeat: s.cfg.heartbeat})
}

func (s *simulator) liveUsers(stop <-chan struct{}, topic string) {
	r := rng(topic)
	users := drift{v: 42, mean: 50, pull: 0.1, noise: 3, min: 0, max: 500}
	s.ticker(stop, time.Second, func() {
		s.hub.publish(topic, frame{data: strconv.Itoa(int(math.Round(users.step(r))))}, false)
	})
}

// smartHome publishes each room on its own cadence: 1.0 s, 1.8 s and 2.6 s.
func (s *simulator) smartHome(stop <-chan struct{}, topic string) {
	rooms := []struct {
		name  string
		every time.Duration
	}{{"kitchen", time.Second}, {"livingroom", 1800 * time.Millisecond}, {"bedroom", 2600 * time.Millisecond}}
	var wg sync.WaitGroup
	for _, room := range rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rng(topic + "/" + room.name)
			temp := drift{v: 21, mean: 21, pull: 0.1, noise: 0.2, min: 10, max: 30}
			s.ticker(stop, room.every, func() {
				onOff := map[bool]string{true: "on", false: "off"}
				openClosed := map[bool]string{true: "open", false: "closed"}
				s.hub.publish(topic, frame{event: room.name, data: mustJSON(map[string]any{
					"blinds":      openClosed[r.IntN(3) > 0],
					"lights":      onOff[r.IntN(2) == 0],
					"temperature": round(temp.step(r), 1),
				})}, false)
			})
		}()
	}
	wg.Wait()
}

func (s *simulator) heartbeat(stop <-chan struct{}, topic string) {
	n := 0
	s.ticker(stop, 2*time.Second, func() {
		n++
		s.hub.publish(topic, frame{event: "heartbeat", data: mustJSON(map[string]any{"status": "OK", "beat": n, "time": now()})}, false)
	})
}
