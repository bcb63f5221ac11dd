package eventsource

import (
	"math/rand/v2"
	"time"
)

// delay is the wait before the next attempt. Under a Retry policy: the
// reconnection time, grown exponentially with consecutive failures, with
// jitter, and kept between Initial and Max whatever the server's retry field
// said. Without one: the reconnection time, as the spec says, but never less
// than MinReconnectDelay. Either way never shorter than a Retry-After.
func (s *Source) delay(retryAfter time.Duration) time.Duration {
	d := s.reconnectionTime
	r := s.cfg.Retry
	if r == nil {
		return max(d, MinReconnectDelay, retryAfter)
	}
	d = min(max(d, r.Initial), r.Max)
	if s.failures > 1 {
		grown := float64(d) * powUint(r.Factor, uint(s.failures-1))
		d = time.Duration(min(grown, float64(r.Max)))
	}
	if r.Jitter > 0 {
		rnd := r.Random
		if rnd == nil {
			rnd = rand.Float64
		}
		d -= time.Duration(float64(d) * r.Jitter * rnd())
	}
	return max(d, r.Initial, retryAfter)
}

// powUint is x**n for x >= 1, by repeated squaring as math.Pow computes an
// integer power, and so rounded as it rounds; math.Pow itself brings its
// general case (logarithms, exponentials) into the wasm binary.
func powUint(x float64, n uint) float64 {
	p := 1.0
	for ; n != 0; n >>= 1 {
		if n&1 == 1 {
			p *= x
		}
		x *= x
	}
	return p
}

// healthyAfter is how long a connection that carries events must stay open
// to reset the count of failed attempts.
func (s *Source) healthyAfter() time.Duration {
	if r := s.cfg.Retry; r != nil {
		return r.HealthyAfter
	}
	return DefaultHealthyAfter
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
