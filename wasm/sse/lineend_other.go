//go:build !wasm

package sse

func lineEnd(p []byte) int { return lineEndIndexByte(p) }
