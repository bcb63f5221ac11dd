package main

import (
	"bytes"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sseshim/sseshim/wasm/sse"
)

// faults are the fault-injection query parameters every stream honours.
type faults struct {
	closeAfter  int // end the response after N events (0: never)
	stallAfter  int // stop sending after N events, keep the socket (-1: never)
	drip        bool
	status      int
	contentType string
	inject      string
	retryMS     int // send a retry field first (-1: none)
}

// begin parses the fault parameters and applies the status fault. It returns
// false when it has answered.
func begin(w http.ResponseWriter, r *http.Request) (faults, bool) {
	f, err := parseFaults(r)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return f, false
	}
	return f, !answerStatus(w, f)
}

// parseFaults reads the fault parameters; malformed values are an error.
// Unknown parameters are ignored.
func parseFaults(r *http.Request) (faults, error) {
	q := r.URL.Query()
	f := faults{stallAfter: -1, retryMS: -1}
	num := func(name string, min, max int) (int, bool, error) {
		v := q.Get(name)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			return 0, false, errors.New(name + " must be an integer from " + strconv.Itoa(min) + " to " + strconv.Itoa(max))
		}
		return n, true, nil
	}
	var err error
	var ok bool
	if f.closeAfter, _, err = num("close_after", 1, 1<<30); err != nil {
		return f, err
	}
	var n int
	if n, ok, err = num("stall_after", 0, 1<<30); err != nil {
		return f, err
	} else if ok {
		f.stallAfter = n
	}
	if n, ok, err = num("retry", 0, 1<<30); err != nil {
		return f, err
	} else if ok {
		f.retryMS = n
	}
	if f.status, _, err = num("status", 200, 599); err != nil {
		return f, err
	}
	switch v := q.Get("drip"); v {
	case "", "0", "false":
	case "1", "true":
		f.drip = true
	default:
		return f, errors.New("drip must be 1 or 0")
	}
	switch v := q.Get("inject"); v {
	case "", "malformed", "invalid-utf8", "oversized":
		f.inject = v
	default:
		return f, errors.New("inject must be malformed, invalid-utf8 or oversized")
	}
	if v := q.Get("content_type"); v != "" {
		if f.contentType, err = streamContentType(v); err != nil {
			return f, err
		}
	}
	return f, nil
}

// streamTypes are the only types a stream is served as, with the
// content_type fault too: none is a document that a browser would render
// (and run) in the server's origin, as text/html or image/svg+xml would be.
var streamTypes = []string{"text/event-stream", "application/json", "application/x-ndjson"}

var errContentType = errors.New("content_type must be " + strings.Join(streamTypes, ", ") +
	", with at most a charset parameter")

// streamContentType checks a content_type fault's value: a stream type, with
// at most a charset (to test how clients treat one), written out afresh.
func streamContentType(v string) (string, error) {
	mt, params, err := mime.ParseMediaType(v)
	if err != nil || !slices.Contains(streamTypes, mt) {
		return "", errContentType
	}
	cs, ok := params["charset"]
	switch {
	case len(params) == 0:
		return mt, nil
	case len(params) == 1 && ok:
		if ct := mime.FormatMediaType(mt, map[string]string{"charset": cs}); ct != "" {
			return ct, nil
		}
	}
	return "", errContentType
}

// answerStatus applies the status fault: the stream answers with that status
// instead. It reports whether it answered.
func answerStatus(w http.ResponseWriter, f faults) bool {
	if f.status == 0 || f.status == http.StatusOK {
		return false
	}
	switch {
	case f.status == http.StatusNoContent || f.status == http.StatusNotModified:
		w.WriteHeader(f.status)
	default:
		if f.status == http.StatusServiceUnavailable || f.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "2")
		}
		if f.status >= 300 && f.status < 400 {
			w.Header().Set("Location", "/")
		}
		writeJSONError(w, f.status, "injected status "+strconv.Itoa(f.status))
	}
	return true
}

// oversizedBytes is the size of an injected oversized event: over the 16 MiB
// that clients (sseshim's default among them) accept for one event.
const oversizedBytes = sse.DefaultMaxEventSize + 1024

// injection returns the bytes of an injected fault for the format.
func injection(kind string, fm format) []byte {
	switch kind {
	case "malformed":
		if fm == formatNDJSON {
			return []byte("{\"result\": {\"event\": broken\n")
		}
		// Lines without a colon, a non-numeric retry, a stray CR: all
		// dispatch nothing under the spec's rules (#event-stream-interpretation).
		return []byte("event mqttMessage\ndata {broken\nretry: soon\r\n\n")
	case "invalid-utf8":
		if fm == formatNDJSON {
			return []byte("{\"result\":{\"event\":{\"eventType\":\"invalid\",\"data\":\"\xff\xfe \xc3\x28\"}}}\n")
		}
		return []byte("event: invalid\ndata: \xff\xfe bad \xc3\x28 bytes\n\n")
	case "oversized":
		if fm == formatNDJSON {
			b := append([]byte(`{"oversized":"`), bytes.Repeat([]byte("x"), oversizedBytes)...)
			return append(b, "\"}\n"...)
		}
		b := append([]byte("event: oversized\ndata: "), bytes.Repeat([]byte("x"), oversizedBytes)...)
		return append(b, "\n\n"...)
	}
	return nil
}
