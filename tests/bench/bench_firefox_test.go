//go:build !js

package bench

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
	"github.com/sseshim/sseshim/tests/internal/enginedriver"
)

// The browser benchmark's throughput rows in Firefox: Firefox's own
// EventSource, the reference of every ratio; sseshim, as it is and with
// json: true; the two fetch() floors. The same page, streams and checks as
// in Chromium (runBench), interleaved rounds in random order, medians.
// Firefox runs as a plain process driven through the test's server
// (enginedriver): no automation protocol, so nothing but the page runs in
// it. CPU is that of Firefox's whole process tree, per thread from /proc as
// in Chromium's whole browser: the content process that runs the page, the
// socket process that reads every response (for Firefox's own EventSource
// and fetch() alike), the parent, and the idle others. A thread that ends
// during a run loses its share (browsertest.CPUSnapshot.Since).

// firefoxVariants are the rows the Firefox run has (the npm libraries are
// Chromium's rows only; batch mode is a Chromium row, its targets are
// Chromium's).
var firefoxVariants = []string{"native", "sseshim", "sseshim-json", "fetch", "floor-events"}

// firefoxKinds are its streams: throughput only (latency and memory read
// Chromium's performance.memory and gc()).
var firefoxKinds = []string{kind32B, kind1KiB, kindLosant, kindDT}

// TestFirefoxBenchmark runs the benchmark's throughput rows in Firefox;
// without SSESHIM_BENCH (make test), once on small streams, for delivery
// only.
func TestFirefoxBenchmark(t *testing.T) {
	exe := enginedriver.Firefox.Require(t)
	began := time.Now()
	mode := currentBenchMode()
	s := benchServer(t, benchLibs(t), "")
	s.Mux.HandleFunc("/bench/engine.html", func(w http.ResponseWriter, r *http.Request) {
		browsertest.CrossOriginIsolated(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, benchPage+`<script src="`+enginedriver.ScriptPath+`"></script>`)
	})
	ctl := enginedriver.NewControl("firefox", s.Mux)
	b := enginedriver.Launch(t, enginedriver.Firefox, exe, s.URL+"/bench/engine.html", ctl)
	enginedriver.Eval[bool](t, ctl, `await sseshim.ready; return true`)

	rep := benchReport{Mode: mode.name, Date: time.Now().UTC().Format("2006-01-02"), Machine: engineMachine(exe), Events: map[string]int{}}
	var jobs []benchJob
	for _, j := range benchJobs(mode) {
		if slices.Contains(firefoxKinds, j.kind) {
			jobs = append(jobs, j)
		}
	}
	eval := func(code string) map[string]any {
		var v map[string]any
		ctl.EvalInto(t, mode.runTimeout+30*time.Second, `return await `+code, &v)
		return v
	}
	s.benchRounds(t, mode, &rep, jobs, func(v string) bool { return slices.Contains(firefoxVariants, v) }, eval, b.PID)
	t.Logf("Firefox benchmark: %.1fs", time.Since(began).Seconds())

	md := rep.firefoxMarkdown(chromiumReport(mode.name))
	if mode.name == "smoke" {
		t.Log("\n" + md)
		return
	}
	fmt.Println(md) // make bench hides the test's log lines, not this
	require.NoError(t, os.MkdirAll(outDir, 0o755))
	js, _ := json.MarshalIndent(rep, "", "  ")
	require.NoError(t, os.WriteFile(filepath.Join(outDir, "bench-firefox-"+mode.name+".json"), js, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(outDir, "bench-firefox-"+mode.name+".md"), []byte(md), 0o644))
	readmeSection(t, "firefox", mode.name, "TestFirefoxBenchmark", md)
}

// engineMachine describes the machine and the browser at exe.
func engineMachine(exe string) string {
	cores, _ := exec.Command("nproc").Output()
	ver, _ := exec.Command(exe, "--version").Output()
	gov, _ := exec.Command("go", "env", "GOVERSION").Output()
	return strings.TrimSpace(string(cores)) + " cores, " + strings.TrimSpace(string(ver)) + ", " + strings.TrimSpace(string(gov))
}

// chromiumReport is the Chromium benchmark's last record of the same mode
// (tests/out, written by TestBrowserBenchmark, which make bench runs
// first), for the summary of where sseshim stands in each engine; nil if
// there is none.
func chromiumReport(mode string) *benchReport {
	b, err := os.ReadFile(filepath.Join(outDir, "bench-"+mode+".json"))
	if err != nil {
		return nil
	}
	var r benchReport
	if json.Unmarshal(b, &r) != nil {
		return nil
	}
	return &r
}

// firefoxMarkdown is the Firefox run's section: its throughput table, then
// sseshim's ratios to each engine's own EventSource (Chromium's from that
// engine's last run of the same mode, chromium; none if nil).
func (r benchReport) firefoxMarkdown(chromium *benchReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Browser benchmark in Firefox (%s mode), %s, %s. Medians over %s [min–max]; (×) the ratio to Firefox's own EventSource in the same run "+
		"(DT NDJSON: to sseshim). CPU: every process of Firefox (the content process that runs the page, the socket process that reads "+
		"the responses, the parent and the idle others), per thread from /proc, as for Chromium's whole browser. Events per run: %d of 32 B, %d of 1 KiB, %d Losant, %d DT. The same page, streams "+
		"and checks as in Chromium, every delivery checked.\n\n",
		r.Mode, r.Date, r.Machine, roundsOf(r), r.Events[kind32B], r.Events[kind1KiB], r.Events[kindLosant], r.Events[kindDT])
	b.WriteString("| | " + strings.Join(throughputHead, " | ") + " |\n|---|" + strings.Repeat("---|", len(throughputHead)) + "\n")
	for _, v := range benchVariants {
		if slices.Contains(firefoxVariants, v.id) {
			name := v.name
			if v.id == "native" {
				name = "Firefox's EventSource"
			}
			b.WriteString("| " + name + " | " + strings.Join(r.throughputRow(v), " | ") + " |\n")
		}
	}
	b.WriteString("\nWhere sseshim stands in each engine: CPU per event, sseshim's median to the engine's own EventSource's in the same run.\n\n" +
		"| engine | 32 B UTF-8 | 1 KiB UTF-8 | Losant | Losant, json: true |\n|---|---|---|---|---|\n")
	row := func(engine string, rep benchReport) {
		var cells []string
		for _, c := range []struct{ variant, kind string }{{"sseshim", kind32B}, {"sseshim", kind1KiB}, {"sseshim", kindLosant}, {"sseshim-json", kindLosant}} {
			a, _, ok1 := rep.metric(c.variant, c.kind, perEvent)
			n, _, ok2 := rep.metric("native", c.kind, perEvent)
			if ok1 && ok2 && n.med > 0 {
				cells = append(cells, fmt.Sprintf("%.2f×", a.med/n.med))
			} else {
				cells = append(cells, "–")
			}
		}
		fmt.Fprintf(&b, "| %s | %s |\n", engine, strings.Join(cells, " | "))
	}
	if chromium != nil {
		row(fmt.Sprintf("Chromium (its %s run of %s)", chromium.Mode, chromium.Date), *chromium)
	}
	row("Firefox", r)
	return b.String()
}

// roundsOf says how many rounds the report's runs came from.
func roundsOf(r benchReport) string {
	n := 0
	for _, run := range r.Runs {
		n = max(n, run.Round)
	}
	if n == 1 {
		return "1 round"
	}
	return fmt.Sprintf("%d rounds", n)
}
