package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactQuery(t *testing.T) {
	t.Parallel()
	got := redactQuery("token=s3cret&device_ids=a&Authorization=x&ping_interval=10s")
	assert.NotContains(t, got, "s3cret")
	assert.NotContains(t, got, "=x")
	assert.Contains(t, got, "device_ids=a")
	assert.Contains(t, got, "ping_interval=10s")
	assert.Equal(t, "", redactQuery(""))
	assert.True(t, strings.HasPrefix(got, "?"))
}
