//go:build !js

package bench

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// The benchmark's payloads: text with 2-, 3- and 4-byte UTF-8 characters as
// device names, units and labels carry them, Losant mqttMessage events as
// the Experience page reads them, and Disruptive Technologies envelopes.
// The page gets the same tables (benchPageData) and checks every event
// against them exactly.

// benchText is the text the text payloads are cut from: ASCII with é ü °
// · (2 bytes), € ❄ − (3 bytes) and 😀 🧊 (4 bytes) every few characters.
const benchText = "Kühlhaus Süd ❄ 😀 −18,5 °C · Zürich 12 € 🧊 café Ü-7 😀 · "

// benchRotations is how many different tails each size has: event i's tail
// is number i mod benchRotations, so that neighbours differ.
const benchRotations = 16

// benchTail is text of exactly n bytes that starts at rune r of benchText
// (cycling); when the next character does not fit, ASCII fills the rest.
func benchTail(r, n int) string {
	runes := []rune(benchText)
	b := make([]byte, 0, n)
	for k := r; ; k++ {
		c := runes[k%len(runes)]
		if len(b)+utf8.RuneLen(c) > n {
			break
		}
		b = utf8.AppendRune(b, c)
	}
	for len(b) < n {
		b = append(b, '.')
	}
	return string(b)
}

// benchTails are the tails of events of size bytes (after 12 bytes of
// sequence number): benchRotations cuts of benchText at different places,
// each with characters of 2, 3 and 4 bytes.
func benchTails(size int) []string {
	var out []string
	for r := 0; len(out) < benchRotations; r++ {
		tail := benchTail(r, size-12)
		var widths [5]bool
		for _, c := range tail {
			widths[utf8.RuneLen(c)] = true
		}
		if widths[2] && widths[3] && widths[4] {
			out = append(out, tail)
		}
	}
	return out
}

// benchSizes are the text payload sizes the page knows.
var benchSizes = []int{32, 128, 1024}

// appendBenchText appends event i's data: the sequence number in 12 digits,
// then tail i mod benchRotations.
func appendBenchText(buf []byte, i int, tails []string) []byte {
	s := strconv.Itoa(i)
	for k := len(s); k < 12; k++ {
		buf = append(buf, '0')
	}
	buf = append(buf, s...)
	return append(buf, tails[i%len(tails)]...)
}

// benchNames are device names and labels, cycled by event number.
var benchNames = []string{
	"Kühlhaus Süd ❄ 3", "Tiefkühler Nord −20 °C", "Büro 2.OG 😀", "Serveur salle B €", "Café Bar Ü4", "Kälteraum 🧊 Zürich",
}

const benchTopic = "losant/5f3c1d2e9a8b7c6d5e4f3a2b/state"

// losantEvent is event i of the Losant stream: mqttMessage data whose
// message is the device state as JSON text.
func losantEvent(i int) string {
	state, _ := json.Marshal(map[string]any{
		"time": "2026-01-01T00:00:00.000Z",
		"data": map[string]any{"seq": i, "name": benchNames[i%len(benchNames)], "temperature": dtTemp(i), "unit": "°C", "voltage": 230.1},
	})
	msg, _ := json.Marshal(map[string]any{"topic": benchTopic, "message": string(state), "time": "2026-01-01T00:00:00.000Z"})
	return string(msg)
}

// dtTemp is event i's temperature: quarters, exact in binary and in JSON.
func dtTemp(i int) float64 { return float64(i%160)*0.25 - 20 }

// dtEventID is event i's eventId: 20 characters like the service's.
func dtEventID(i int) string { return fmt.Sprintf("c%019d", i) }

// dtLine is event i of the Disruptive Technologies stream as an NDJSON
// line (without the newline): a temperature reading, or every 8th event a
// labelsChanged carrying a name, members in the service's order.
func dtLine(i int) string {
	type event struct {
		EventID    string `json:"eventId"`
		TargetName string `json:"targetName"`
		EventType  string `json:"eventType"`
		Data       any    `json:"data"`
		Timestamp  string `json:"timestamp"`
	}
	type result struct {
		Event event `json:"event"`
	}
	ev := event{EventID: dtEventID(i), TargetName: "projects/c0ekf5p1vng00dn7bofg/devices/bchonod7rihjtvdmd2v" + strconv.Itoa(i%10),
		EventType: "temperature", Timestamp: "2026-01-01T00:00:00.000000Z"}
	if i%8 == 0 {
		ev.EventType = "labelsChanged"
		ev.Data = map[string]any{"added": map[string]string{}, "modified": map[string]string{"name": benchNames[i%len(benchNames)]}, "removed": []string{}}
	} else {
		ev.Data = map[string]any{"temperature": map[string]any{"value": dtTemp(i), "updateTime": "2026-01-01T00:00:00.000000Z",
			"samples": []any{map[string]any{"value": dtTemp(i), "sampleTime": "2026-01-01T00:00:00.000000Z"}}}}
	}
	b, _ := json.Marshal(struct {
		Result result `json:"result"`
	}{result{ev}})
	return string(b)
}

// dtDoneLine ends the Disruptive Technologies stream: an event of type done.
const dtDoneLine = `{"result":{"event":{"eventId":"done","targetName":"projects/c0ekf5p1vng00dn7bofg","eventType":"done","data":{},"timestamp":"2026-01-01T00:00:00.000000Z"}}}`

// sseDoneFrame ends every text/event-stream the benchmark sends.
const sseDoneFrame = "event: done\ndata: .\n\n"

// benchPageData is the tables the page checks events against, as a script.
func benchPageData() string {
	tails := map[string][]string{}
	for _, size := range benchSizes {
		tails[strconv.Itoa(size)] = benchTails(size)
	}
	b, _ := json.Marshal(map[string]any{
		"tails": tails, "names": benchNames, "topic": benchTopic,
		"markers": map[string]string{"sse": sseDoneFrame, "ndjson": dtDoneLine + "\n"},
	})
	return "window.BENCH = " + string(b) + ";"
}
