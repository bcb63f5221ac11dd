package eventsource

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse"
)

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	bad := []Config{
		{URL: ""},
		{URL: "/relative"},
		{URL: "ftp://x/"},
		{URL: "http://x/", Format: "xml"},
		{URL: "http://x/", Retry: &Retry{Factor: 0.5}},
		{URL: "http://x/", Retry: &Retry{Jitter: 2}},
		{URL: "http://x/", Retry: &Retry{MaxAttempts: -1}},
		{URL: "http://x/", Ping: Ping{Interval: -time.Second}},
		{URL: "http://x/", ReconnectionTime: -1},
		{URL: "http://x/", Body: "x"},
		{URL: "http://x/", Method: "head", Body: "x"},
		{URL: "http://x/", Method: "TRACE"},
		{URL: "http://x/", Dedupe: MaxDedupe + 1},
		{URL: "http://x/", Ping: Ping{Interval: 2 * MaxDuration}},
	}
	for _, c := range bad {
		_, err := New(c, nil)
		var e *Error
		require.ErrorAs(t, err, &e, "%+v", c)
		assert.Equal(t, KindConfig, e.Kind)
	}
}

func TestConfigDefaultsResolvedOnce(t *testing.T) {
	t.Parallel()
	c, err := Config{URL: "http://x/", Retry: &Retry{}}.resolve()
	require.NoError(t, err)
	assert.Equal(t, Retry{Initial: DefaultRetryInitial, Max: DefaultRetryMax, Factor: DefaultRetryFactor,
		ImmediateAfter: DefaultImmediateAfter, HealthyAfter: DefaultHealthyAfter}, *c.Retry)
	assert.Equal(t, DefaultConnectTimeout, c.ConnectTimeout, "on with a policy")
	assert.Equal(t, DefaultReconnectionTime, c.ReconnectionTime)
	assert.Equal(t, sse.DefaultMaxEventSize, c.MaxEventSize)
	assert.Equal(t, Ping{Leeway: DefaultPingLeeway, Param: DefaultPingParam, EventType: DefaultPingEventType}, c.Ping)
	assert.Equal(t, DefaultLastEventIDParam, c.LastEventIDParam)
	c, err = Config{URL: "http://x/", Retry: &Retry{Initial: time.Second, ImmediateAfter: Off}}.resolve()
	require.NoError(t, err)
	assert.Equal(t, time.Second, c.ReconnectionTime)
	assert.Equal(t, Off, c.Retry.ImmediateAfter)
	c, err = Config{URL: "http://x/"}.resolve()
	require.NoError(t, err)
	assert.Nil(t, c.Retry, "no policy: the spec's reconnection")
	assert.Equal(t, time.Duration(0), c.ConnectTimeout, "no timeout: the spec's behaviour")
	c, err = Config{URL: "http://x/", Ping: Ping{Interval: time.Second}, ConnectTimeout: Off}.resolve()
	require.NoError(t, err)
	assert.Equal(t, Off, c.ConnectTimeout)
	// The caller's policy is not changed.
	r := &Retry{}
	_, err = Config{URL: "http://x/", Retry: r}.resolve()
	require.NoError(t, err)
	assert.Equal(t, Retry{}, *r)
}
