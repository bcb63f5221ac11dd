package main

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"io/fs"
	"log"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func (s *server) routes(pages fs.FS) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /dist/", http.StripPrefix("/dist/", http.HandlerFunc(s.serveDist)))
	mux.Handle("GET /", noCache(http.FileServerFS(pages)))

	// Losant Experience streaming endpoints.
	mux.HandleFunc("GET /api/stream/devices/{deviceId}", s.losantDeviceStream)
	mux.HandleFunc("GET /api/device/stream", s.losantDeviceStream) // the docs' Generator Temperatures page
	mux.HandleFunc("GET /api/stream/topics/{topic...}", s.losantTopicStream)
	mux.HandleFunc("POST /api/publish/{topic...}", s.publish)
	// Losant REST API.
	mux.HandleFunc("GET /applications/{app}/devices/{device}/stateStream", s.losantStateStream)
	// Disruptive Technologies REST API.
	mux.HandleFunc("GET /v2/projects/{project}/devices:stream", s.dtStream)
	// The seed examples.
	mux.HandleFunc("GET /live-users", s.seedStream("live-users"))
	mux.HandleFunc("GET /smart-home", s.seedStream("smart-home"))
	mux.HandleFunc("GET /heartbeat", s.seedStream("heartbeat"))
	mux.HandleFunc("GET /stock-prices/{symbol}", s.stockStream)
	// Demo controls: stall or kill every open stream.
	mux.HandleFunc("POST /api/streams/stall", s.control(false))
	mux.HandleFunc("POST /api/streams/kill", s.control(true))
	return mux
}

func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// serveDist serves the build output, choosing a precompressed .br or .gz
// copy when the client accepts it.
func (s *server) serveDist(w http.ResponseWriter, r *http.Request) {
	name := path.Clean("/" + r.URL.Path)
	if strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz") || name == "/" {
		http.NotFound(w, r)
		return
	}
	file := filepath.Join(s.cfg.dist, filepath.FromSlash(name))
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Add("Vary", "Accept-Encoding")
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	if path.Ext(name) == ".wasm" {
		h.Set("Content-Type", "application/wasm")
	}
	accept := r.Header.Get("Accept-Encoding")
	for _, enc := range []struct{ token, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if !acceptsEncoding(accept, enc.token) {
			continue
		}
		if st, err := os.Stat(file + enc.ext); err == nil && !st.IsDir() {
			h.Set("Content-Encoding", enc.token)
			f, err := os.Open(file + enc.ext)
			if err != nil {
				break
			}
			defer f.Close()
			http.ServeContent(w, r, name, st.ModTime(), f)
			return
		}
	}
	st, err := os.Stat(file)
	if err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	http.ServeFile(w, r, file)
}

func acceptsEncoding(header, token string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), token) {
			continue
		}
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				return false
			}
		}
		return true
	}
	return false
}

// ---- auth -----------------------------------------------------------------

func (s *server) tokenOK(tok string) bool {
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.token)) == 1
}

func bearer(r *http.Request) string {
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return ""
}

// experienceAuthorized: with -experience-auth, the Experience user token in
// ?authorization=, a Bearer header, or the authorization cookie.
func (s *server) experienceAuthorized(r *http.Request) bool {
	if !s.cfg.experienceAuth {
		return true
	}
	if s.tokenOK(r.URL.Query().Get("authorization")) || s.tokenOK(bearer(r)) {
		return true
	}
	c, err := r.Cookie("authorization")
	return err == nil && s.tokenOK(c.Value)
}

// dtAuthorized: HTTP Basic with the service account, a Bearer token, or the
// token query parameter for header-less clients.
func (s *server) dtAuthorized(r *http.Request) bool {
	if u, p, ok := r.BasicAuth(); ok {
		return subtle.ConstantTimeCompare([]byte(u), []byte(s.cfg.basicUser)) == 1 &&
			subtle.ConstantTimeCompare([]byte(p), []byte(s.cfg.basicPass)) == 1
	}
	return s.tokenOK(bearer(r)) || s.tokenOK(r.URL.Query().Get("token"))
}

// ---- streams ----------------------------------------------------------------

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

const sseType = "text/event-stream; charset=utf-8"

// subscribeAndServe streams a hub topic.
func (s *server) subscribeAndServe(w http.ResponseWriter, r *http.Request, f faults, topic string, o streamOptions) {
	sub, _, _ := s.hub.subscribe(topic, "")
	defer s.hub.unsubscribe(topic, sub)
	s.serveStream(w, r, f, o, sub.ch, sub.kicked)
}

var losantID = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)

// beginExperience is begin plus the Experience user check.
func (s *server) beginExperience(w http.ResponseWriter, r *http.Request) (faults, bool) {
	f, ok := begin(w, r)
	if ok && !s.experienceAuthorized(r) {
		writeJSONError(w, http.StatusUnauthorized, "experience user token required")
		return f, false
	}
	return f, ok
}

func (s *server) losantDeviceStream(w http.ResponseWriter, r *http.Request) {
	f, ok := s.beginExperience(w, r)
	if !ok {
		return
	}
	id := r.PathValue("deviceId")
	if id == "" {
		id = "generator-1"
	}
	if !losantID.MatchString(id) {
		writeJSONError(w, http.StatusBadRequest, "invalid device id")
		return
	}
	s.subscribeAndServe(w, r, f, "losant/"+id+"/state", streamOptions{contentType: sseType, heartbeat: s.cfg.heartbeat})
}

// validTopic follows MQTT's rules as Losant applies them: at most 230
// characters, no wildcards, no empty levels at the ends.
func validTopic(t string) bool {
	return t != "" && len(t) <= 230 && !strings.ContainsAny(t, "#+\x00") && !strings.HasPrefix(t, "/") && !strings.HasSuffix(t, "/")
}

func (s *server) losantTopicStream(w http.ResponseWriter, r *http.Request) {
	f, ok := s.beginExperience(w, r)
	if !ok {
		return
	}
	topic := r.PathValue("topic")
	if !validTopic(topic) {
		writeJSONError(w, http.StatusBadRequest, "invalid topic")
		return
	}
	s.subscribeAndServe(w, r, f, "custom/"+topic, streamOptions{contentType: sseType, heartbeat: s.cfg.heartbeat})
}

// publish: POST /api/publish/{topic} with a JSON body. Subscribers of
// /api/stream/topics/{topic} receive an mqttMessage whose message is the body
// as JSON text — or, when the body is {"message": "<string>"}, that string as
// it is (custom topics carry text that need not be JSON).
func (s *server) publish(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic")
	if !validTopic(topic) {
		writeJSONError(w, http.StatusBadRequest, "invalid topic")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 32768+1))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "cannot read body")
		return
	}
	if len(body) > 32767 {
		writeJSONError(w, http.StatusRequestEntityTooLarge, "a message is at most 32767 bytes")
		return
	}
	if !json.Valid(body) {
		writeJSONError(w, http.StatusBadRequest, "the body must be JSON")
		return
	}
	message := string(body)
	var wrapped struct {
		Message *string `json:"message"`
	}
	if json.Unmarshal(body, &wrapped) == nil && wrapped.Message != nil {
		message = *wrapped.Message
	}
	n := s.hub.subscribers("custom/" + topic)
	s.hub.publish("custom/"+topic, frame{
		event: "mqttMessage",
		data:  mqttMessage(topic, message),
	}, s.cfg.losantIDs)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"published": true, "subscribers": n})
}

var losantObjectID = regexp.MustCompile(`^([0-9a-f]{24}|demo[0-9A-Za-z_-]*)$`)

// losantStateStream imitates GET /applications/{app}/devices/{device}/stateStream:
// deviceState events, a keep-alive every keepAliveInterval seconds, a Bearer
// API token required. Applications and devices exist when their ids are 24
// hex digits (Losant's ids) or start with "demo".
func (s *server) losantStateStream(w http.ResponseWriter, r *http.Request) {
	f, ok := begin(w, r)
	if !ok {
		return
	}
	if !s.tokenOK(bearer(r)) {
		writeJSONError(w, http.StatusUnauthorized, "a Bearer API token is required")
		return
	}
	keepAlive := 2 * time.Second
	if v := r.URL.Query().Get("keepAliveInterval"); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n <= 0 || n > 3600 {
			writeJSONError(w, http.StatusBadRequest, "keepAliveInterval must be a number of seconds from 0 to 3600")
			return
		}
		keepAlive = time.Duration(n * float64(time.Second))
	}
	app, dev := r.PathValue("app"), r.PathValue("device")
	if !losantObjectID.MatchString(app) {
		writeJSONError(w, http.StatusNotFound, "application not found")
		return
	}
	if !losantObjectID.MatchString(dev) {
		writeJSONError(w, http.StatusNotFound, "device not found")
		return
	}
	s.subscribeAndServe(w, r, f, "losant/"+dev+"/state", streamOptions{
		contentType: sseType,
		heartbeat:   keepAlive,
		mapFrame: func(fr frame) (frame, bool) {
			var st map[string]any
			if json.Unmarshal([]byte(fr.state), &st) != nil {
				return fr, false
			}
			st["deviceId"] = dev
			return frame{id: fr.id, event: "deviceState", data: mustJSON(st)}, true
		},
	})
}

// dtStream imitates GET /v2/projects/{project}/devices:stream.
func (s *server) dtStream(w http.ResponseWriter, r *http.Request) {
	f, ok := begin(w, r)
	if !ok {
		return
	}
	if !s.dtAuthorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="api"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": "unauthenticated", "code": 401,
			"help": "use HTTP Basic with the service account's key id and secret, a Bearer token, or ?token="})
		return
	}
	project := r.PathValue("project")
	if !losantID.MatchString(project) {
		writeJSONError(w, http.StatusBadRequest, "invalid project id")
		return
	}
	q := r.URL.Query()
	var ping time.Duration
	if v := q.Get("ping_interval"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond || d > time.Hour {
			writeJSONError(w, http.StatusBadRequest, "ping_interval must be a duration such as 10s")
			return
		}
		ping = d
	}
	lifetime := s.cfg.tokenLifetime
	if v := q.Get("lifetime"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			writeJSONError(w, http.StatusBadRequest, "lifetime must be a positive duration")
			return
		}
		lifetime = min(lifetime, d)
	}
	fm, ct := formatNDJSON, "application/json"
	if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		fm, ct = formatSSE, sseType
	}
	filter := parseDTFilter(r)
	r2 := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	s.subscribeAndServe(w, r, f, "dt/"+project, streamOptions{
		format:      fm,
		contentType: ct,
		lifetime:    lifetime,
		mapFrame: func(fr frame) (frame, bool) {
			return fr, filter.match(fr.dt)
		},
		ping: ping,
		pingFrame: func() frame {
			return frame{data: dtEnvelope(r2, project, nil, "ping", nil, time.Now()), event: "ping-internal"}
		},
		isPing: func(fr frame) bool { return fr.event == "ping-internal" },
		onLifetimeEnd: func(idle bool) *frame {
			if !idle {
				return nil
			}
			return &frame{data: `{"error":{"code":408,"message":"closing stream","details":[]}}`}
		},
	})
}

func (s *server) seedStream(topic string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, ok := begin(w, r)
		if !ok {
			return
		}
		s.subscribeAndServe(w, r, f, topic, streamOptions{contentType: sseType, heartbeat: s.cfg.heartbeat})
	}
}

var symbolRE = regexp.MustCompile(`^[A-Za-z]{1,5}$`)

// stockStream: one shared topic per symbol. A reconnect with Last-Event-ID
// resumes right after that id from the bounded history. When the id is not
// in the history (too old, or from before a restart), the stream first sends
// an event "reset" whose data is {"reason":"history-lost","lastEventId":…}, so
// that the client knows to reload its records, then continues live.
func (s *server) stockStream(w http.ResponseWriter, r *http.Request) {
	f, ok := begin(w, r)
	if !ok {
		return
	}
	sym := r.PathValue("symbol")
	if !symbolRE.MatchString(sym) {
		writeJSONError(w, http.StatusBadRequest, "a symbol is 1 to 5 letters")
		return
	}
	topic := "stock/" + strings.ToUpper(sym)
	last := r.Header.Get("Last-Event-ID")
	sub, replay, state := s.hub.subscribe(topic, last)
	defer s.hub.unsubscribe(topic, sub)
	if state == resumeLost {
		replay = append([]frame{{event: "reset", data: mustJSON(map[string]any{"reason": "history-lost", "lastEventId": last})}}, replay...)
	}
	s.serveStream(w, r, f, streamOptions{contentType: sseType, heartbeat: s.cfg.heartbeat, initial: replay}, sub.ch, sub.kicked)
}

func (s *server) control(kill bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := s.controlStreams(kill)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"streams": n})
	}
}

// ---- logging ----------------------------------------------------------------

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

func (s *server) logRequests(h http.Handler) http.Handler {
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
