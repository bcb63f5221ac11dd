//go:build !js

package engines

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

var _ = scenario("smoke", func(t *testing.T, b *browser) {
	got := eval[string](t, b, `await sseshim.ready; return typeof sseshim.EventSource`)
	assert.Equal(t, "function", got)
})
