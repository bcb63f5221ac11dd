package main

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// simulator runs one generator per topic while the topic has subscribers.
type simulator struct {
	hub *hub
	cfg config

	mu      sync.Mutex
	running map[string]chan struct{}
	wg      sync.WaitGroup
}

func newSimulator(h *hub, cfg config) *simulator {
	return &simulator{hub: h, cfg: cfg, running: map[string]chan struct{}{}}
}

// every scales an interval by the simulation speed.
func (s *simulator) every(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.cfg.speed)
}

// rng is a generator's own random source, seeded from the topic name so that
// a topic's data is the same from run to run.
func rng(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(h.Sum64(), 0x5eed))
}

func (s *simulator) start(topic string) {
	gen := s.generator(topic)
	if gen == nil {
		return // a topic fed by publishers only
	}
	s.mu.Lock()
	// Re-check under the lock: subscribe and unsubscribe race to call
	// start and stop, and only the subscriber count tells the truth.
	if _, ok := s.running[topic]; ok || s.hub.subscribers(topic) == 0 {
		s.mu.Unlock()
		return
	}
	stop := make(chan struct{})
	s.running[topic] = stop
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		gen(stop)
	}()
}

func (s *simulator) stop(topic string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hub.subscribers(topic) > 0 {
		return
	}
	if stop, ok := s.running[topic]; ok {
		close(stop)
		delete(s.running, topic)
	}
}

func (s *simulator) stopAll() {
	s.mu.Lock()
	for t, stop := range s.running {
		close(stop)
		delete(s.running, t)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// ticker calls f every d until stop closes.
func (s *simulator) ticker(stop <-chan struct{}, d time.Duration, f func()) {
	t := time.NewTicker(s.every(d))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			f()
		}
	}
}

// mqttMessage is the data of a Losant mqttMessage event, members in Losant's order.
func mqttMessage(topic, message string) string {
	return mustJSON(struct {
		Topic   string `json:"topic"`
		Message string `json:"message"`
		Time    string `json:"time"`
	}{topic, message, now()})
}

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// generator returns the generator for a topic, or nil.
func (s *simulator) generator(topic string) func(stop <-chan struct{}) {
	switch {
	case strings.HasPrefix(topic, "losant/") && strings.HasSuffix(topic, "/state"):
		return func(stop <-chan struct{}) { s.losantDevice(stop, topic) }
	case topic == "live-users":
		return s.liveUsers
	case topic == "smart-home":
		return s.smartHome
	case topic == "heartbeat":
		return s.heartbeat
	case strings.HasPrefix(topic, "stock/"):
		return func(stop <-chan struct{}) { s.stock(stop, strings.TrimPrefix(topic, "stock/")) }
	case strings.HasPrefix(topic, "dt/"):
		return func(stop <-chan struct{}) { s.dtProject(stop, strings.TrimPrefix(topic, "dt/")) }
	}
	return nil
}

// drift is a mean-reverting random walk: realistic sensor noise.
type drift struct {
	v, mean, pull, noise, min, max float64
}

func (d *drift) step(r *rand.Rand) float64 {
	d.v += (d.mean-d.v)*d.pull + r.NormFloat64()*d.noise
	d.v = math.Max(d.min, math.Min(d.max, d.v))
	return d.v
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
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
			state: state,
		}, s.cfg.losantIDs)
	})
}

func (s *simulator) liveUsers(stop <-chan struct{}) {
	r := rng("live-users")
	users := drift{v: 42, mean: 50, pull: 0.1, noise: 3, min: 0, max: 500}
	s.ticker(stop, time.Second, func() {
		s.hub.publish("live-users", frame{data: strconv.Itoa(int(math.Round(users.step(r))))}, false)
	})
}

// smartHome publishes each room on its own cadence: 1.0 s, 1.8 s and 2.6 s.
func (s *simulator) smartHome(stop <-chan struct{}) {
	rooms := []struct {
		name  string
		every time.Duration
	}{{"kitchen", time.Second}, {"livingroom", 1800 * time.Millisecond}, {"bedroom", 2600 * time.Millisecond}}
	var wg sync.WaitGroup
	for _, room := range rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rng("smart-home/" + room.name)
			temp := drift{v: 21, mean: 21, pull: 0.1, noise: 0.2, min: 10, max: 30}
			s.ticker(stop, room.every, func() {
				onOff := map[bool]string{true: "on", false: "off"}
				openClosed := map[bool]string{true: "open", false: "closed"}
				s.hub.publish("smart-home", frame{event: room.name, data: mustJSON(map[string]any{
					"blinds":      openClosed[r.IntN(3) > 0],
					"lights":      onOff[r.IntN(2) == 0],
					"temperature": round(temp.step(r), 1),
				})}, false)
			})
		}()
	}
	wg.Wait()
}

func (s *simulator) heartbeat(stop <-chan struct{}) {
	n := 0
	s.ticker(stop, 2*time.Second, func() {
		n++
		s.hub.publish("heartbeat", frame{event: "heartbeat", data: mustJSON(map[string]any{"status": "OK", "beat": n, "time": now()})}, false)
	})
}

// stock publishes price records (message events, each with a key) and now
// and then the deletion of an older record (a delete event whose data is the
// key), with ids so that clients can resume.
func (s *simulator) stock(stop <-chan struct{}, symbol string) {
	topic := "stock/" + symbol
	r := rng(topic)
	price := drift{v: 50 + r.Float64()*200, mean: 0, pull: 0, noise: 0.4, min: 1, max: 10000}
	price.mean = price.v
	seq := 0
	var live []string
	s.ticker(stop, 500*time.Millisecond, func() {
		if len(live) > 5 && r.IntN(5) == 0 {
			i := r.IntN(len(live) - 1)
			key := live[i]
			live = append(live[:i], live[i+1:]...)
			s.hub.publish(topic, frame{event: "delete", data: key}, true)
			return
		}
		seq++
		key := symbol + "-" + strconv.Itoa(seq)
		live = append(live, key)
		s.hub.publish(topic, frame{data: mustJSON(map[string]any{
			"key": key, "symbol": symbol, "price": round(price.step(r), 2), "time": now(),
		})}, true)
	})
}
