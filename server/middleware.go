package main

import (
	"log"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// noCache makes browsers revalidate every time, so that a rebuilt page or
// dist/ file is picked up on reload.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// secretParams are query parameters whose values never reach the log.
var secretParams = []string{"token", "authorization", "access_token", "api_key", "apikey", "key", "password", "secret"}

func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "?[unparsable query]"
	}
	for k := range q {
		for _, p := range secretParams {
			if strings.EqualFold(k, p) {
				q[k] = []string{"REDACTED"}
			}
		}
	}
	return "?" + q.Encode()
}

// logWriter records the status and size; Unwrap lets http.ResponseController
// reach the real writer's Flush and SetWriteDeadline.
type logWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (l *logWriter) WriteHeader(code int) {
	if l.status == 0 {
		l.status = code
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *logWriter) Write(b []byte) (int, error) {
	if l.status == 0 {
		l.status = http.StatusOK
	}
	n, err := l.ResponseWriter.Write(b)
	l.bytes += int64(n)
	return n, err
}

func (l *logWriter) Flush() {
	if f, ok := l.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (l *logWriter) Unwrap() http.ResponseWriter { return l.ResponseWriter }

// logRequests logs one line per request, when it ends, with credentials in
// the query redacted; a panicking handler gets a 500 instead of killing the
// connection silently.
func logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		lw := &logWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				log.Printf("panic serving %s %s: %v", r.Method, r.URL.Path, v)
				if lw.status == 0 {
					writeJSONError(lw, http.StatusInternalServerError, "internal error")
				}
			}
			status := lw.status
			if status == 0 {
				status = http.StatusOK
			}
			log.Printf("%s %s%s %d %dB %s", r.Method, r.URL.Path, redactQuery(r.URL.RawQuery), status, lw.bytes, time.Since(start).Round(time.Millisecond))
		}()
		h.ServeHTTP(lw, r)
	})
}
