package protocol

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shim's side of the protocol is what the list makes of it now: run
// go generate ./wasm/optspec after changing it.
func TestGeneratedFileIsCurrent(t *testing.T) {
	js, err := RenderJS()
	require.NoError(t, err)
	onDisk, err := os.ReadFile(filepath.Join("..", "..", "..", JSFile))
	require.NoError(t, err)
	assert.Equal(t, string(js), string(onDisk), "%s is stale: go generate ./wasm/optspec", JSFile)
}

// The feed's export is spelt out in its //go:wasmexport directive.
func TestFeedIsExportedByThatName(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "jsbridge", "body.go"))
	require.NoError(t, err)
	assert.Contains(t, string(src), "//go:wasmexport "+Feed+"\n")
}
