package main

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// noCache makes browsers revalidate every time, so that a rebuilt page or
// dist/ file is picked up on reload.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// Credential-like names: a query parameter whose name is one of them, or
// holds one as a word of its own (x-api-key, client_secret, accessToken,
// X-Amz-Signature), never reaches the log. secretParts count anywhere inside
// a word too (apikey, authtoken, sessionsecret); secretWords, being short,
// only as whole words, so that signal, monkey and author stay readable.
var (
	secretWords = []string{"auth", "sig", "key"}
	secretParts = []string{"authorization", "bearer", "token", "jwt", "signature", "secret", "password", "apikey"}
)

// secretName tells whether a parameter name is credential-like.
func secretName(name string) bool {
	for _, w := range nameWords(name) {
		if slices.Contains(secretWords, w) {
			return true
		}
		for _, p := range secretParts {
			if strings.Contains(w, p) {
				return true
			}
		}
	}
	return false
}

// nameWords splits a name into lower-case words at anything but letters and
// digits, and at camelCase boundaries: "xApiKey" and "X-API-Key" are both
// x, api, key.
func nameWords(name string) []string {
	var words []string
	r := []rune(name)
	start := -1
	flush := func(end int) {
		if start >= 0 {
			words = append(words, strings.ToLower(string(r[start:end])))
			start = -1
		}
	}
	for i, c := range r {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			flush(i)
			continue
		}
		if start >= 0 && unicode.IsUpper(c) {
			prev := r[i-1]
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if !unicode.IsUpper(prev) || nextLower {
				flush(i)
			}
		}
		if start < 0 {
			start = i
		}
	}
	flush(len(r))
	return words
}

// nestedSecret tells whether a value is itself a query (or a URL with one, or
// a fragment) that carries a credential-like parameter, encoded up to a few
// times over.
func nestedSecret(v string) bool {
	for range 4 {
		for _, part := range strings.FieldsFunc(v, func(c rune) bool { return strings.ContainsRune("?&;#", c) }) {
			if name, _, ok := strings.Cut(part, "="); ok && secretName(name) {
				return true
			}
		}
		u, err := url.QueryUnescape(v)
		if err != nil || u == v {
			return false
		}
		v = u
	}
	return false
}

// redactQuery is a query string as it may be logged: every credential-like
// parameter, or one whose value carries one, replaced by REDACTED.
func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "?[unparsable query]"
	}
	for k, vs := range q {
		if secretName(k) || slices.ContainsFunc(vs, nestedSecret) {
			q[k] = []string{"REDACTED"}
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

// loggedURL is the request's path and query as a log shows them: quoted, so
// that a %0A in the path cannot start a line of its own, and with credentials
// in the query redacted.
func loggedURL(r *http.Request) string {
	return strconv.Quote(r.URL.Path + redactQuery(r.URL.RawQuery))
}

// logRequests logs one line per request, when it ends, with the path quoted
// and credentials in the query redacted; a panicking handler gets a 500 instead of killing the
// connection silently.
func (s *server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		lw := &logWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				s.log.Printf("panic serving %s %q: %q", r.Method, r.URL.Path, fmt.Sprint(v))
				if lw.status == 0 {
					writeJSONError(lw, http.StatusInternalServerError, "internal error")
				}
			}
			status := lw.status
			if status == 0 {
				status = http.StatusOK
			}
			s.log.Printf("%s %s %d %dB %s", r.Method, loggedURL(r), status, lw.bytes, time.Since(start).Round(time.Millisecond))
		}()
		h.ServeHTTP(lw, r)
	})
}

// maxBody bounds every request body (a published message is at most 32767
// bytes).
const maxBody = 64 << 10

// guard applies to every request: no response may be sniffed into another
// type, a body is bounded, and a request that may carry one (anything but a
// GET or HEAD without a body) must have sent it within the read timeout. A
// read deadline on a stream would cut it: the server's background read of a
// GET's connection, which notices the client leaving, would fail at the
// deadline and cancel the request.
func (s *server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if s.cfg.readTimeout > 0 && (r.ContentLength != 0 || (r.Method != http.MethodGet && r.Method != http.MethodHead)) {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.readTimeout))
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		h.ServeHTTP(w, r)
	})
}

// control guards the endpoints that change the server's state (stall, kill,
// publish) against requests from other sites: a page anywhere can send a
// "simple" POST (a form, text/plain) to the developer's server without
// asking. A JSON request from another origin needs a CORS preflight first,
// and this server grants none; a browser's own Origin and Sec-Fetch-Site
// headers are checked as well.
func (s *server) control(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site") {
			writeJSONError(w, http.StatusForbidden, "cross-site requests may not control this server")
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !sameHost(o, r.Host) {
			writeJSONError(w, http.StatusForbidden, "requests from other origins may not control this server")
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeJSONError(w, http.StatusUnsupportedMediaType, "a control request needs Content-Type: application/json")
			return
		}
		h(w, r)
	})
}

// sameHost tells whether an Origin header names this server.
func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.User == nil && u.Path == "" && strings.EqualFold(u.Host, host)
}

// bodyError answers a request whose body could not be read: too large (413),
// too slow (408), or broken (400). The connection is closed after it.
func bodyError(w http.ResponseWriter, err error) {
	w.Header().Set("Connection", "close")
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeJSONError(w, http.StatusRequestEntityTooLarge, "the body is larger than "+strconv.FormatInt(tooLarge.Limit, 10)+" bytes")
	case errors.Is(err, os.ErrDeadlineExceeded):
		writeJSONError(w, http.StatusRequestTimeout, "the body did not arrive within the read timeout")
	default:
		writeJSONError(w, http.StatusBadRequest, "cannot read the body")
	}
}
