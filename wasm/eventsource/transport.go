package eventsource

import (
	"errors"
	"strings"
	"time"
)

// Transport opens one request. It must return promptly once ctx is
// cancelled, and the body it returns must stop too (Next returning an error).
type Transport interface {
	RoundTrip(ctx Ctx, req *Request) (*Response, error)
}

// ErrFutile, wrapped in an error from RoundTrip, says that reconnecting
// cannot help (a cross-origin request the server does not allow): the source
// fails the connection instead of reestablishing it, which #sse-processing-model permits
// when the user agent "knows that to be futile", and which Chromium does.
var ErrFutile = errors.New("reconnecting is futile")

// ErrAborted, wrapped in an error from RoundTrip or Body.Next, says that the
// fetch was aborted by the user agent, not by the source (window.stop(), the
// document going away): the source fails the connection
// (#sse-processing-model: "if res is an aborted network error").
var ErrAborted = errors.New("the user agent aborted the request")

// Request is one attempt to open the stream.
type Request struct {
	Method          string // GET unless the source was configured otherwise
	URL             string
	Header          map[string]string
	Body            any // nil, or what Config.Body or Config.BodyFunc gave
	WithCredentials bool
}

// Response is what a transport got back.
type Response struct {
	Status      int
	ContentType string
	RetryAfter  string // the Retry-After header, if any
	URL         string // the final URL after redirects
	Body        Body
}

// Body yields the response body chunk by chunk, as it arrives.
type Body interface {
	// Next returns the next chunk, valid until the following call; io.EOF
	// at the clean end of the body.
	Next() ([]byte, error)
	// Close releases the body; it may be called at any time, more than once.
	Close() error
}

// PushBody is a Body that hands its chunks over itself, as they arrive,
// instead of waiting to be asked for each. The engine reads such a body with
// Push only. In the browser the chunk's own callback then decodes and
// delivers it, with no hand-over to the engine's goroutine on the way: the
// latency of a lone small event is that of one call into Go.
type PushBody interface {
	Body
	// Push calls f with each chunk, in order and one at a time, until the
	// body ends or fails (Push returns io.EOF or the error) or f returns
	// false (Push returns nil). A chunk is valid only during its call. Push
	// returns once f will not be called again, and promptly once the
	// transport's Ctx is done.
	Push(f func(chunk []byte) bool) error
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date
// (RFC 9110 §10.2.3). Zero when absent or malformed; capped at a day, as is
// a number of seconds too large to hold.
func parseRetryAfter(v string, now Instant) time.Duration {
	v = trimHTTPSpace(v)
	if v == "" {
		return 0
	}
	const day = int64(24 * time.Hour / time.Second)
	if n := decimal(v, day); n >= 0 { // delay-seconds = 1*DIGIT
		return time.Duration(n) * time.Second
	}
	if sec, ok := parseIMFDate(v); ok {
		// In whole seconds first, so that a date centuries away cannot
		// overflow the nanoseconds.
		switch ahead := sec - now.UnixNano()/int64(time.Second); {
		case ahead > day:
			return 24 * time.Hour
		case ahead >= 0:
			if d := time.Duration(sec*int64(time.Second) - now.UnixNano()); d > 0 {
				return d
			}
		}
	}
	return 0
}

// decimal reads s as one or more decimal digits, or returns -1. A number
// over limit reads as limit, however many digits it has. (strconv.ParseInt
// would bring its error types into the wasm binary, and takes a sign, which
// no number read here has.) Not inlined: one loop, not one per caller.
//
//go:noinline
func decimal(s string, limit int64) int64 {
	if s == "" {
		return -1
	}
	n := int64(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = min(n*10+int64(c-'0'), limit) // limit*10+9 cannot overflow: limits are small
	}
	return n
}

// trimHTTPSpace removes leading and trailing HTTP whitespace (TAB, LF, CR,
// SP: the Fetch standard's, which covers HTTP's OWS), and nothing else:
// header values are bytes, not Unicode text.
func trimHTTPSpace(s string) string {
	for s != "" && isHTTPSpace(s[0]) {
		s = s[1:]
	}
	for s != "" && isHTTPSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isHTTPSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// parseIMFDate parses the preferred HTTP-date form, IMF-fixdate:
// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7), into Unix seconds.
// Written by hand, down to the calendar, because time.Parse and time.Date
// would bring time's layouts and time zone rules into the wasm binary.
// Like time.Date, it carries an overflowing day or second into the next.
func parseIMFDate(v string) (int64, bool) {
	const months = "JanFebMarAprMayJunJulAugSepOctNovDec"
	if len(v) != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' ||
		v[16] != ' ' || v[19] != ':' || v[22] != ':' || v[25:] != " GMT" {
		return 0, false
	}
	day, year := decimal(v[5:7], 99), decimal(v[12:16], 9999)
	hh, mm, ss := decimal(v[17:19], 99), decimal(v[20:22], 99), decimal(v[23:25], 99)
	mon := 0
	for mon < len(months) && months[mon:mon+3] != v[8:11] {
		mon += 3
	}
	if day < 1 || day > 31 || year < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 || mon == len(months) {
		return 0, false
	}
	days := daysFromEpoch(int(year), mon/3+1, int(day))
	return days*86400 + hh*3600 + mm*60 + ss, true
}

// daysBefore counts the days before each month in a common year.
var daysBefore = [12]int{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334}

// daysFromEpoch counts the days from 1970-01-01 to year-month-day in the
// proleptic Gregorian calendar (negative before it), for the years 0 to
// 9999 that an IMF-fixdate can name.
func daysFromEpoch(year, month, day int) int64 {
	// leaps counts the leap years in [1, y] for y >= -400: from 400 years
	// earlier (a cycle holds 97 of them), so that each division rounds a
	// number that is not negative down.
	leaps := func(y int) int { y += 400; return y/4 - y/100 + y/400 - 97 }
	days := 365*(year-1970) + leaps(year-1) - leaps(1969) + daysBefore[month-1] + day - 1
	if month > 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days++
	}
	return int64(days)
}

// mediaType returns the lower-cased essence of a Content-Type value.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return asciiCase(trimHTTPSpace(ct), 'A', 'Z') // media types are ASCII tokens
}

// jsonTypes are the media types of a stream of JSON values.
var jsonTypes = [...]string{"application/x-ndjson", "application/jsonl", "application/json",
	"application/json-seq", "application/stream+json"}

// formatFor decides how to read a response with content type ct for a
// source configured with want (resolved: never ""), or returns "" when the
// source must fail the connection (#sse-processing-model: a 200 that is not
// text/event-stream fails it for good).
func formatFor(want Format, ct string) Format {
	mt := mediaType(ct)
	got := Format("")
	if mt == "text/event-stream" {
		got = FormatSSE
	}
	for _, t := range jsonTypes {
		if mt == t {
			got = FormatNDJSON
		}
	}
	if got == want || (want == FormatAuto && got != "") {
		return got
	}
	return ""
}

func acceptFor(f Format) string {
	switch f {
	case FormatNDJSON:
		return "application/x-ndjson, application/json;q=0.9"
	case FormatAuto:
		return "text/event-stream, application/x-ndjson;q=0.9, application/json;q=0.8"
	}
	return "text/event-stream"
}

// asciiCase flips the case of the ASCII letters from lo to hi ('a'–'z':
// upper-cases, 'A'–'Z': lower-cases) and leaves every other byte alone.
// strings.ToUpper and ToLower would bring Unicode's case tables into the
// wasm binary for text that HTTP defines as ASCII. Not inlined: its loops
// are compiled once, not at every caller.
//
//go:noinline
func asciiCase(s string, lo, hi byte) string {
	i := 0
	for i < len(s) && (s[i] < lo || s[i] > hi) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if b[i] >= lo && b[i] <= hi {
			b[i] ^= 0x20
		}
	}
	return string(b)
}
