package eventsource

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestWatchdog(t *testing.T) {
	t.Parallel()
	e := start(t, Config{URL: "http://x.test/s?a=1", Ping: Ping{Interval: 10 * time.Second}})
	r := e.tr.next(t)
	assert.Equal(t, "http://x.test/s?a=1&ping_interval=10s", r.URL)
	b := e.tr.answerSSE()
	e.rec.expect(t, "open sse")
	e.clk.Advance(8 * time.Second)
	b.send("event: ping\ndata: x\n\n")
	e.rec.expect(t, "events ping")
	e.clk.Advance(11 * time.Second) // 19 s since open, 11 s since the ping: alive
	b.send("data: m\n\n")
	e.rec.expect(t, `events message:"m"#`)
	e.clk.Advance(12 * time.Second)
	e.rec.expect(t, "error watchdog CONNECTING", "retrying 3s #1")
	assert.Equal(t, int64(1), e.src.Stats().Pings)
}

func TestWatchdogRequireEvent(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Ping: Ping{Interval: 5 * time.Second, Leeway: time.Second, RequireEvent: true, Dispatch: true, Param: "-"}})
	r := e.tr.next(t)
	assert.Equal(t, "http://example.test/s", r.URL)
	b := e.tr.answerSSE()
	e.rec.expect(t, "open sse")
	e.clk.Advance(3 * time.Second)
	b.send("event: ping\ndata: 1\n\n")
	e.rec.expect(t, `events ping:"1"#`)
	e.clk.Advance(3 * time.Second)
	b.send("data: not a ping\n\n")
	e.rec.expect(t, `events message:"not a ping"#`)
	e.clk.Advance(3 * time.Second) // 6 s since the ping
	e.rec.expect(t, "error watchdog CONNECTING", "retrying 3s #1")
}
