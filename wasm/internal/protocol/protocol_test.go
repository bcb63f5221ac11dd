package protocol

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The feed's export is spelt out in its //go:wasmexport directive.
func TestFeedIsExportedByThatName(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "jsbridge", "body.go"))
	require.NoError(t, err)
	assert.Contains(t, string(src), "//go:wasmexport "+Feed+"\n")
}
