// Command optgen writes the files generated from the option table
// (optspec) and the bridge protocol's list (internal/protocol): go generate ./wasm/optspec runs it there.
package main

import (
	"log"
	"os"
	"path/filepath"

	"github.com/sseshim/sseshim/wasm/optspec"
)

func main() {
	root := filepath.Join("..", "..") // from wasm/optspec, where go generate runs it
	js, err := optspec.RenderJS()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, optspec.JSFile), js, 0o644); err != nil {
		log.Fatal(err)
	}
	pjs, err := renderProtocol()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, protocolFile), pjs, 0o644); err != nil {
		log.Fatal(err)
	}
	dtsPath := filepath.Join(root, optspec.DTSFile)
	old, err := os.ReadFile(dtsPath)
	if err != nil {
		log.Fatal(err)
	}
	dts, err := optspec.RenderDTS(old)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(dtsPath, dts, 0o644); err != nil {
		log.Fatal(err)
	}
}
