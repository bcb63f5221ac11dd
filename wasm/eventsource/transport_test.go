package eventsource

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// parseIMFDate counts its own calendar: it agrees with time.Date, overflowing
// days and leap seconds carried as time.Date carries them, across leap and
// century years.
func TestParseIMFDateAgreesWithTimeDate(t *testing.T) {
	t.Parallel()
	months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	years := []int{0, 1, 4, 99, 100, 400, 1600, 1899, 1900, 1969, 1970, 1971, 1972, 1999, 2000, 2024, 2025, 2026, 2100, 2400, 9999}
	for _, y := range years {
		for m, name := range months {
			for _, d := range []int{1, 15, 28, 29, 30, 31} {
				for _, hms := range [][3]int{{0, 0, 0}, {23, 59, 59}, {12, 30, 60}} {
					v := fmt.Sprintf("Mon, %02d %s %04d %02d:%02d:%02d GMT", d, name, y, hms[0], hms[1], hms[2])
					got, ok := parseIMFDate(v)
					want := time.Date(y, time.Month(m+1), d, hms[0], hms[1], hms[2], 0, time.UTC).Unix()
					if assert.True(t, ok, v) {
						assert.Equal(t, want, got, v)
					}
				}
			}
		}
	}
	for _, bad := range []string{"", "Mon, 00 Jan 2026 00:00:00 GMT", "Mon, 32 Jan 2026 00:00:00 GMT", "Mon, 01 Jan 2026 24:00:00 GMT",
		"Mon, 01 Jan 2026 00:60:00 GMT", "Mon, 01 Jan 2026 00:00:61 GMT", "Mon, 01 jan 2026 00:00:00 GMT", "Mon, 01 Jan 2026 00:00:00 UTC",
		"Mon, 01 Jan 20x6 00:00:00 GMT", "Monday, 01-Jan-26 00:00:00 GMT"} {
		_, ok := parseIMFDate(bad)
		assert.False(t, ok, bad)
	}
}

// A Retry-After date counts from now to the nanosecond, and one centuries
// ahead is capped, not overflowed.
func TestParseRetryAfterDatePrecision(t *testing.T) {
	t.Parallel()
	now := InstantOf(time.Date(2026, 1, 1, 0, 0, 0, 250_000_000, time.UTC))
	assert.Equal(t, 29*time.Second+750*time.Millisecond, parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("Thu, 01 Jan 2026 00:00:00 GMT", now))
	assert.Equal(t, 24*time.Hour, parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("Sat, 01 Jan 0000 00:00:00 GMT", now))
}

// An Instant measures intervals on its monotonic reading and reports its
// wall time in Unix units.
func TestInstant(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := InstantOf(at), InstantOf(at.Add(1500*time.Millisecond))
	assert.Equal(t, 1500*time.Millisecond, b.Sub(a))
	assert.Equal(t, at.UnixMilli(), a.UnixMilli())
	assert.Equal(t, at.UnixNano(), a.UnixNano())
	assert.True(t, Instant{}.IsZero())
	assert.False(t, a.IsZero())
	now := realClock{}.Now()
	assert.False(t, now.IsZero())
	assert.GreaterOrEqual(t, realClock{}.Now().Sub(now), time.Duration(0))
}

// A media type is trimmed of HTTP whitespace only, and compared ASCII
// case-insensitively.
func TestFormatFor(t *testing.T) {
	t.Parallel()
	assert.Equal(t, FormatSSE, formatFor(FormatSSE, "\t text/event-stream \r\n; charset=utf-8"))
	assert.Equal(t, FormatNDJSON, formatFor(FormatAuto, "Application/X-NDJSON"))
	assert.Equal(t, Format(""), formatFor(FormatSSE, "\vtext/event-stream"))
	assert.Equal(t, Format(""), formatFor(FormatNDJSON, "text/event-stream"))
}
