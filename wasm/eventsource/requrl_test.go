package eventsource

import (
	"testing"

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
}
