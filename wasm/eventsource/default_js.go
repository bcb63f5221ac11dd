//go:build js

package eventsource

// defaultTransport: in the browser the transport is supplied by the caller
// (sseshim's fetch transport); net/http would add megabytes to the binary.
func defaultTransport() Transport { return nil }
