package eventsource

import "runtime"

// goroutineID returns the running goroutine's id, read from the first line
// of its stack trace ("goroutine 7 [running]:"). Close uses it for one thing
// only: to tell a call from inside a sink call, which must not wait for that
// call to return, from a call on another goroutine, which must.
func goroutineID() uint64 {
	var buf [40]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) < len(prefix) {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
