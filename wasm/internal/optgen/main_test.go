package main

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
	js, err := renderProtocol()
	require.NoError(t, err)
	onDisk, err := os.ReadFile(filepath.Join("..", "..", "..", protocolFile))
	require.NoError(t, err)
	assert.Equal(t, string(js), string(onDisk), "%s is stale: go generate ./wasm/optspec", protocolFile)
}
