package eventsource

import (
	"sync"
	"time"
)

// watchdog aborts an attempt when nothing arrives for timeout. One timer is
// re-armed only when it fires, so feeding it per chunk costs a clock read.
type watchdog struct {
	clock   Clock
	timeout time.Duration
	abort   func()
	mu      sync.Mutex
	last    Instant
	t       Timer
	stopped bool
}

func startWatchdog(c Clock, timeout time.Duration, abort func()) *watchdog {
	w := &watchdog{clock: c, timeout: timeout, abort: abort, last: c.Now()}
	w.t = c.AfterFunc(timeout, w.fire)
	return w
}

func (w *watchdog) feed(now Instant) {
	w.mu.Lock()
	w.last = now
	w.mu.Unlock()
}

func (w *watchdog) fire() {
	w.mu.Lock()
	if !w.stopped {
		idle := w.clock.Now().Sub(w.last)
		if idle >= w.timeout {
			w.stopped = true
			w.abort()
		} else {
			w.t = w.clock.AfterFunc(w.timeout-idle, w.fire)
		}
	}
	w.mu.Unlock()
}

func (w *watchdog) stop() {
	w.mu.Lock()
	w.stopped = true
	w.t.Stop()
	w.mu.Unlock()
}
