//go:build js && wasm

// Command gofloor is the per-chunk floor of an engine written in Go: a
// fetch() EventSource (FloorGoEventSource in bench_page_test.go) copies
// each chunk into its memory and calls its exported function, which calls
// JavaScript back once through safejs with where the bytes are — as
// sseshim's engine takes a chunk and delivers its events — and does
// nothing else.
package main

import (
	"unsafe"

	"github.com/hack-pad/safejs"
)

var (
	buf     [64 << 10]byte // a global: it never moves
	deliver safejs.Value
)

//go:wasmexport floorFeed
func floorFeed(n int32) {
	_, _ = deliver.Invoke(float64(uintptr(unsafe.Pointer(&buf[0]))), int(n))
}

func main() {
	g := safejs.Global()
	var err error
	if deliver, err = g.Get("__goFloorDeliver"); err != nil {
		panic(err)
	}
	if _, err := g.Call("__goFloorReady", float64(uintptr(unsafe.Pointer(&buf[0]))), len(buf)); err != nil {
		panic(err)
	}
	select {}
}
