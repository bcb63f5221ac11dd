package main

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// The simulations run like the devices and services they imitate: from
// server start, whether or not anyone listens, so that a client that was away
// really missed what happened meanwhile. The seed examples, the demo fleet of
// Losant devices, a Disruptive Technologies project and a few stock symbols
// start with the server and run until it stops. Anything else a client asks
// for (another device id, project or symbol) starts on its first subscriber
// and keeps running while it is used; one nobody has listened to for
// simIdle stops, and at most maxIdleSims unused ones are kept, so that
// clients asking for ever new names cannot pile them up.

// A generator publishes a simulated source's frames until stop closes. r is
// its own random source (seeded from -seed and its name). The generators
// live with the service they imitate.
type generator func(stop <-chan struct{}, name string, r *rand.Rand)

const (
	simIdle     = 10 * time.Minute
	maxIdleSims = 64
)

// simulator runs one generator per simulated source.
type simulator struct {
	hub  *hub
	cfg  config
	seed uint64
	// publishMQTT publishes through the MQTT broker (the Losant devices).
	publishMQTT func(topic string, payload []byte) error

	mu      sync.Mutex
	running map[string]*simRun
	closed  bool
	wg      sync.WaitGroup
	idle    time.Duration // simIdle, shorter in tests
	done    chan struct{} // closed by stopAll: ends the sweeper
}

// simRun is one running generator.
type simRun struct {
	stop     chan struct{}
	pinned   bool     // started with the server: never stops before it
	topics   []string // the hub topics it feeds: pinned while it runs, its listeners
	lastUsed time.Time
}

func newSimulator(h *hub, cfg config) *simulator {
	s := &simulator{hub: h, cfg: cfg, seed: cfg.seed, running: map[string]*simRun{}, idle: simIdle, done: make(chan struct{})}
	if cfg.simIdle > 0 {
		s.idle = cfg.simIdle
	}
	s.wg.Add(1)
	go s.sweep()
	return s
}

// always starts a generator that runs until the server stops.
func (s *simulator) always(name string, gen generator, topics ...string) {
	s.start(name, gen, true, topics)
}

// ensure starts a generator on demand, unless it runs already, and marks it
// used.
func (s *simulator) ensure(name string, gen generator, topics ...string) {
	s.start(name, gen, false, topics)
}

func (s *simulator) start(name string, gen generator, pinned bool, topics []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if run, ok := s.running[name]; ok {
		run.lastUsed = time.Now()
		return
	}
	run := &simRun{stop: make(chan struct{}), pinned: pinned, topics: topics, lastUsed: time.Now()}
	s.running[name] = run
	for _, t := range topics {
		s.hub.pin(t)
	}
	if !pinned {
		s.trimLocked()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		gen(run.stop, name, s.rng(name))
	}()
}

// listened tells whether anyone listens to a run's topics.
func (s *simulator) listened(run *simRun) bool {
	for _, t := range run.topics {
		if s.hub.subscribers(t) > 0 {
			return true
		}
	}
	return false
}

// stopLocked ends a run and lets its topics go.
func (s *simulator) stopLocked(name string, run *simRun) {
	close(run.stop)
	delete(s.running, name)
	for _, t := range run.topics {
		s.hub.unpin(t)
	}
}

// trimLocked stops on-demand runs nobody has listened to for the idle time,
// and the least recently used unlistened ones beyond maxIdleSims.
func (s *simulator) trimLocked() {
	now := time.Now()
	type cand struct {
		name string
		run  *simRun
	}
	var idle []cand
	for name, run := range s.running {
		if run.pinned {
			continue
		}
		if s.listened(run) {
			run.lastUsed = now
			continue
		}
		idle = append(idle, cand{name, run})
	}
	sort.Slice(idle, func(i, j int) bool { return idle[i].run.lastUsed.Before(idle[j].run.lastUsed) })
	for i, c := range idle {
		if now.Sub(c.run.lastUsed) > s.idle || len(idle)-i > maxIdleSims {
			s.stopLocked(c.name, c.run)
		}
	}
}

// sweep trims now and then.
func (s *simulator) sweep() {
	defer s.wg.Done()
	t := time.NewTicker(max(s.idle/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.mu.Lock()
			s.trimLocked()
			s.mu.Unlock()
		}
	}
}

// runs tells whether a generator of that name runs (for tests).
func (s *simulator) runs(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.running[name]
	return ok
}

func (s *simulator) stopAll() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	for name, run := range s.running {
		s.stopLocked(name, run)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// every scales an interval by the simulation speed.
func (s *simulator) every(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.cfg.speed)
}

// ticker calls f at once, then every d (scaled by the speed) until stop
// closes: a source's first value comes as soon as it starts.
func (s *simulator) ticker(stop <-chan struct{}, d time.Duration, f func()) {
	s.tickerAfter(stop, 0, d, f)
}

// tickerAfter is ticker with the first call after first (scaled).
func (s *simulator) tickerAfter(stop <-chan struct{}, first, d time.Duration, f func()) {
	select {
	case <-stop:
		return
	case <-time.After(s.every(first)):
	}
	f()
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

// rng is a generator's own random source, from the server's seed and the
// source's name: with -seed N a run's values repeat from run to run.
func (s *simulator) rng(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(h.Sum64(), s.seed))
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

// approach moves v toward target by the fraction k (a first-order lag: how
// a temperature follows its surroundings).
func approach(v, target, k float64) float64 { return v + (target-v)*k }

// poisson draws from a Poisson distribution of mean lambda (small lambda).
func poisson(r *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// binomial draws how many of n independent trials of probability p succeed.
func binomial(r *rand.Rand, n int, p float64) int {
	k := 0
	for range n {
		if r.Float64() < p {
			k++
		}
	}
	return k
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// now is the current time as the simulations write it (UTC, milliseconds).
func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }
