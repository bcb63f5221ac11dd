package eventsource

import (
	"strconv"
	"strings"
	"time"
)

// requestURL adds the ping parameter to the URL when the watchdog is on.
func requestURL(c *Config) string {
	if c.Ping.Interval <= 0 || c.Ping.Param == "-" {
		return c.URL
	}
	return addQuery(c.URL, c.Ping.Param, formatInterval(c.Ping.Interval))
}

// isHTTPURL checks for an absolute http(s) URL with a host. (net/url would
// do, but it costs the wasm binary tens of kilobytes; browsers hand the
// engine URLs already parsed and serialised by the URL standard.)
func isHTTPURL(u string) bool {
	lower := asciiCase(u[:min(len(u), len("https://"))], 'A', 'Z') // the scheme's case does not matter
	var rest string
	switch {
	case strings.HasPrefix(lower, "http://"):
		rest = u[len("http://"):]
	case strings.HasPrefix(lower, "https://"):
		rest = u[len("https://"):]
	default:
		return false
	}
	for i := 0; i < len(u); i++ {
		if isHTTPSpace(u[i]) {
			return false
		}
	}
	// The host runs to the first '/', '?' or '#', and must not be empty.
	return rest != "" && rest[0] != '/' && rest[0] != '?' && rest[0] != '#'
}

// addQuery appends name=value to the URL's query, before any fragment.
func addQuery(u, name, value string) string {
	frag := ""
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u, frag = u[:i], u[i:]
	}
	sep := "?"
	if strings.IndexByte(u, '?') >= 0 {
		sep = "&"
		if strings.HasSuffix(u, "?") || strings.HasSuffix(u, "&") {
			sep = ""
		}
	}
	return u + sep + queryEscape(name) + "=" + queryEscape(value) + frag
}

// queryEscape percent-encodes all but the URL standard's unreserved bytes.
func queryEscape(s string) string {
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, 3*len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

// formatInterval writes an interval the way streaming APIs take it: "10s",
// or "1500ms" when it is not a whole number of seconds.
func formatInterval(d time.Duration) string {
	n, unit := d.Milliseconds(), "ms"
	if d%time.Second == 0 {
		n, unit = n/1000, "s"
	}
	return strconv.FormatInt(n, 10) + unit
}
