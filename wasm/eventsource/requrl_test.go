package eventsource

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestAddQuery(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "http://h/p?ping_interval=10s", addQuery("http://h/p", "ping_interval", "10s"))
	assert.Equal(t, "http://h/p?a=1&ping_interval=10s#f", addQuery("http://h/p?a=1#f", "ping_interval", "10s"))
	assert.Equal(t, "http://h/p?x=1500ms", addQuery("http://h/p?", "x", "1500ms"))
	assert.Equal(t, "http://h/?a%20b=%26", addQuery("http://h/", "a b", "&"))
	assert.True(t, isHTTPURL("HTTPS://example.com"))
	assert.False(t, isHTTPURL("http:///path"))
	assert.False(t, isHTTPURL("http://a b/"))
	assert.False(t, isHTTPURL("http://?q"))
	assert.False(t, isHTTPURL("ftp://h/"))
	assert.True(t, isHTTPURL("hTTp://h"))
}

// The ping interval is written in whole seconds when it is some, else in
// milliseconds.
func TestFormatInterval(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "10s", formatInterval(10*time.Second))
	assert.Equal(t, "90s", formatInterval(90*time.Second))
	assert.Equal(t, "1500ms", formatInterval(1500*time.Millisecond))
}
