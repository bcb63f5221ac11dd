package eventsource

import (
	"math"
	"math/rand/v2"
	"time"
)

// delay is the wait before the next attempt: the reconnection time, grown
// exponentially with consecutive failures under a Retry policy, with jitter,
// and never shorter than the server's Retry-After.
func (s *Source) delay(retryAfter time.Duration) time.Duration {
	d := s.reconnectionTime
	if r := s.cfg.Retry; r != nil {
		if s.failures > 1 {
			grown := float64(d) * math.Pow(r.Factor, float64(s.failures-1))
			d = time.Duration(min(grown, float64(max(r.Max, d))))
		}
		if r.Jitter > 0 {
			rnd := r.Random
			if rnd == nil {
				rnd = rand.Float64
			}
			d -= time.Duration(float64(d) * r.Jitter * rnd())
		}
	}
	return max(d, retryAfter)
}

// retryable reports whether a status reconnects instead of failing the
// connection (Config.RetryStatuses).
func (s *Source) retryable(status int) bool {
	for _, c := range s.cfg.RetryStatuses {
		if c == status {
			return true
		}
	}
	return false
}
