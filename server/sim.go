package main

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// A generator publishes a simulated topic's frames until stop closes. The
// generators themselves live with the service they imitate.
type generator func(stop <-chan struct{}, topic string)

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

// start runs gen for the topic unless it runs already or the topic has no
// subscriber. A nil gen is a topic fed by publishers only.
func (s *simulator) start(topic string, gen generator) {
	if gen == nil {
		return
	}
	s.mu.Lock()
	// Check under the lock: subscribers come and go concurrently, and only
	// the subscriber count tells the truth.
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
		gen(stop, topic)
	}()
}

// stop ends the topic's generator once the topic has no subscriber left.
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

// every scales an interval by the simulation speed.
func (s *simulator) every(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.cfg.speed)
}

// ticker calls f every d (scaled by the speed) until stop closes.
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

// rng is a generator's own random source, seeded from the topic name so that
// a topic's data is the same from run to run.
func rng(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(h.Sum64(), 0x5eed))
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

// now is the current time as the simulations write it (UTC, milliseconds).
func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }
