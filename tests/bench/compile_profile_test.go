//go:build !js

package bench

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
)

// The compile profile says what a Go program's cold start is made of beyond
// its module's download: V8 compiles a WebAssembly function only on its
// first call (wasm.CompileLazy, on the main thread), so the functions a
// start-up runs for the first time, and where they come from, are its cost.
// One traced cold visit per round of each Go start-up page; each compiled
// function is named from a build of the same program with its name section
// kept (the same code, which the profile checks, with symbols).

// compileOrigins are the groups a function is counted in, by its name in
// the module's name section, in the report's column order.
var compileOrigins = []string{"own", "safejs", "go"}

func compileOrigin(name string) string {
	switch {
	case strings.HasPrefix(name, "github.com_sseshim_sseshim_"), strings.HasPrefix(name, "main."):
		return "own" // sseshim's packages; a floor program's main
	case strings.HasPrefix(name, "github.com_hack_pad_safejs"):
		return "safejs"
	}
	return "go" // the Go runtime and standard library
}

// compilePhases are the start-up's steps, by the page's marks.
var compilePhases = []string{"instantiated → ready", "ready → first event"}

// compileCount is what one phase of one visit compiled.
type compileCount struct {
	Funcs, Bytes int     // functions compiled, and their code's size
	Ms           float64 // main-thread time compiling them
	ByOrigin     map[string]int
	MsByOrigin   map[string]float64
}

// compileProfile splits one visit's lazy compilations into compilePhases by
// the marks instantiated, ready and done (the first event) and counts them
// by origin; sizes are the module's function bodies by function index. The
// trace is browser-wide: only the marks' renderer process counts.
func compileProfile(events []traceEvent, names map[int]string, sizes map[int]int, marks map[string]string) (map[string]compileCount, error) {
	at, pid := map[string]float64{}, -1
	for _, e := range events {
		for key, mark := range marks {
			if e.Name == mark {
				at[key], pid = e.Ts, e.Pid
			}
		}
	}
	for _, key := range []string{"instantiated", "ready", "done"} {
		if _, ok := at[key]; !ok {
			return nil, fmt.Errorf("the trace has no %s mark (%s)", key, marks[key])
		}
	}
	bounds := []float64{at["instantiated"], at["ready"], at["done"]}
	out := map[string]compileCount{}
	for _, e := range events {
		if e.Name != "wasm.CompileLazy" || e.Pid != pid {
			continue
		}
		var args struct {
			FuncIndex *int `json:"func_index"`
		}
		if err := json.Unmarshal(e.Args, &args); err != nil || args.FuncIndex == nil {
			return nil, fmt.Errorf("wasm.CompileLazy without a func_index: %s", e.Args)
		}
		name, ok := names[*args.FuncIndex]
		if !ok {
			return nil, fmt.Errorf("wasm.CompileLazy of function %d, which the name section does not name", *args.FuncIndex)
		}
		for i, phase := range compilePhases {
			if e.Ts < bounds[i] || e.Ts >= bounds[i+1] {
				continue
			}
			c := out[phase]
			if c.ByOrigin == nil {
				c.ByOrigin, c.MsByOrigin = map[string]int{}, map[string]float64{}
			}
			o := compileOrigin(name)
			c.Funcs++
			c.Bytes += sizes[*args.FuncIndex]
			c.Ms += e.Dur / 1000
			c.ByOrigin[o]++
			c.MsByOrigin[o] += e.Dur / 1000
			out[phase] = c
		}
	}
	return out, nil
}

// wasmModule is what the profile reads of a module: its function bodies'
// sizes and the names of its name section, by function index (imports
// first, as V8's func_index counts them), and its code section's bytes.
type wasmModule struct {
	names map[int]string
	sizes map[int]int
	code  []byte
}

func readWasmModule(b []byte) (wasmModule, error) {
	m := wasmModule{names: map[int]string{}, sizes: map[int]int{}}
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		return m, errors.New("not a WebAssembly module")
	}
	r := bytes.NewReader(b[8:])
	uleb := func() int {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			panic(err) // recovered below
		}
		return int(v)
	}
	name := func() string {
		n := uleb()
		s := make([]byte, n)
		if _, err := r.Read(s); err != nil && n > 0 {
			panic(err)
		}
		return string(s)
	}
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("a truncated module: %v", p)
			}
		}()
		imported := 0
		for r.Len() > 0 {
			id, _ := r.ReadByte()
			size := uleb()
			start := len(b) - r.Len()
			end := start + size
			switch id {
			case 2: // imports: count the functions among them
				for n := uleb(); n > 0; n-- {
					name()
					name()
					kind, _ := r.ReadByte()
					switch kind {
					case 0: // function: a type index
						uleb()
						imported++
					case 1: // table: a reference type and limits
						r.ReadByte()
						if f, _ := r.ReadByte(); f&1 != 0 {
							uleb()
							uleb()
						} else {
							uleb()
						}
					case 2: // memory: limits
						if f, _ := r.ReadByte(); f&1 != 0 {
							uleb()
							uleb()
						} else {
							uleb()
						}
					case 3: // global: a value type and mutability
						r.ReadByte()
						r.ReadByte()
					}
				}
			case 10: // code
				m.code = b[start:end]
				for i, n := 0, uleb(); i < n; i++ {
					body := uleb()
					m.sizes[imported+i] = body
					r.Seek(int64(body), 1)
				}
			case 0: // custom: the name section's function names
				if name() == "name" {
					for len(b)-r.Len() < end {
						sub, _ := r.ReadByte()
						subSize := uleb()
						subEnd := len(b) - r.Len() + subSize
						if sub == 1 {
							for n := uleb(); n > 0; n-- {
								idx := uleb()
								m.names[idx] = name()
							}
						}
						r.Seek(int64(subEnd-8), 0)
					}
				}
			}
			r.Seek(int64(end-8), 0)
		}
	}()
	return m, err
}

// symbolizedModule builds pkg (a folder, relative to this package's) as
// make builds the engine but keeping the name section, checks that its code
// is the shipped module's, and returns it.
func symbolizedModule(t *testing.T, pkg, shipped string) wasmModule {
	t.Helper()
	env, flags := wasmBuild(t)
	flags = slices.DeleteFunc(slices.Clone(flags), func(f string) bool { return strings.HasPrefix(f, "-ldflags=") })
	out := filepath.Join(t.TempDir(), "sym.wasm")
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", out, pkg)...)
	cmd.Env = append(append(os.Environ(), "GOFLAGS="), env...)
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "building %s with its names:\n%s", pkg, msg)
	read := func(file string) wasmModule {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		m, err := readWasmModule(b)
		require.NoError(t, err, file)
		return m
	}
	sym, ship := read(out), read(shipped)
	require.NotEmpty(t, sym.names, "%s: the build with names has no name section", pkg)
	require.True(t, bytes.Equal(sym.code, ship.code), "%s: the build with names has other code than %s: rebuild (make build)", pkg, shipped)
	return sym
}

// compilePages are the Go start-up pages profiled: the variant, its
// program's package (relative to this one's folder), the module it loads,
// and the prefix of its page's marks.
func compilePages(s *benchSrv) []struct{ variant, pkg, module, marks string } {
	return []struct{ variant, pkg, module, marks string }{
		{"sseshim", "../../wasm", filepath.Join(browsertest.DistDir, "sseshim.wasm"), "sseshim:"},
		{"bare-safejs", "./testdata/safejsfloor", filepath.Join(s.floor, "safejs.wasm"), "bare:"},
	}
}

// compileRows makes each page's profile from rounds traced cold visits
// (visit opens the page in a new tab, its HTTP cache cleared, and closes it
// once it has started).
func compileRows(t *testing.T, s *benchSrv, rounds int, visit func(variant string)) []compileRow {
	t.Helper()
	var rows []compileRow
	for _, p := range compilePages(s) {
		mod := symbolizedModule(t, p.pkg, p.module)
		marks := map[string]string{"instantiated": p.marks + "instantiated", "ready": p.marks + "ready", "done": "startup:done"}
		keep := func(name string) bool {
			return name == "wasm.CompileLazy" || name == marks["instantiated"] || name == marks["ready"] || name == marks["done"]
		}
		var visits []map[string]compileCount
		for range rounds {
			tr := startTrace(t, []string{"v8.wasm", traceUserTimingCh}, keep)
			visit(p.variant)
			tr.stop(t)
			prof, err := compileProfile(tr.events, mod.names, mod.sizes, marks)
			require.NoError(t, err, "%s's compile profile", p.variant)
			visits = append(visits, prof)
		}
		rows = append(rows, compileRow{Name: variantName(p.variant), Phases: medianCompile(visits)})
	}
	return rows
}

// compileRow is one page's profile over its traced visits: per phase, the
// median visit's counts (the visit of median compile time).
type compileRow struct {
	Name   string
	Phases map[string]compileCount
}

func medianCompile(visits []map[string]compileCount) map[string]compileCount {
	out := map[string]compileCount{}
	for _, phase := range compilePhases {
		var cs []compileCount
		for _, v := range visits {
			cs = append(cs, v[phase])
		}
		slices.SortFunc(cs, func(a, b compileCount) int {
			switch {
			case a.Ms < b.Ms:
				return -1
			case a.Ms > b.Ms:
				return 1
			}
			return 0
		})
		if len(cs) > 0 {
			out[phase] = cs[len(cs)/2]
		}
	}
	return out
}

// compileMarkdown is the report's table.
func compileMarkdown(rows []compileRow) string {
	var b strings.Builder
	b.WriteString("Where the cold start's compiling goes (trace category `v8.wasm`): V8 compiles a WebAssembly function " +
		"on its first call (`wasm.CompileLazy`, on the main thread), so a start-up pays for each function it runs for the first time. " +
		"Per step of a traced cold visit (the median visit by compile time): functions compiled, their code, the main thread's time compiling them, " +
		"and by origin: the program's own packages (sseshim's; a floor's main), safejs, the Go runtime and standard library. " +
		"For the floor, the first event is its function's first answer.\n\n" +
		"| | step | functions | code | compile ms | own | safejs | Go runtime and std |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		for _, phase := range compilePhases {
			c, ok := r.Phases[phase]
			if !ok || c.Funcs == 0 {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %.0f KB | %s |", r.Name, phase, c.Funcs, float64(c.Bytes)/1000, num(c.Ms))
			for _, o := range compileOrigins {
				fmt.Fprintf(&b, " %d, %s ms |", c.ByOrigin[o], num(c.MsByOrigin[o]))
			}
			b.WriteString("\n")
		}
	}
	return b.String() + "\n"
}

func TestCompileProfileSplitsByPhaseAndOrigin(t *testing.T) {
	ev := func(name string, ts float64, args string) traceEvent {
		return traceEvent{Name: name, Ts: ts, Dur: 500, Args: json.RawMessage(args)}
	}
	names := map[int]string{3: "runtime.schedinit", 4: "github.com_hack_pad_safejs.Value.Call", 5: "github.com_sseshim_sseshim_wasm_sse.__Decoder_.lines", 6: "main.open"}
	sizes := map[int]int{3: 100, 4: 20, 5: 300, 6: 7}
	marks := map[string]string{"instantiated": "x:instantiated", "ready": "x:ready", "done": "x:done"}
	events := []traceEvent{
		ev("wasm.CompileLazy", 5, `{"func_index":3}`), // before instantiation: in no step
		ev("x:instantiated", 10, `{}`),
		ev("wasm.CompileLazy", 11, `{"func_index":3}`),
		ev("wasm.CompileLazy", 12, `{"func_index":4}`),
		ev("x:ready", 20, `{}`),
		ev("wasm.CompileLazy", 21, `{"func_index":5}`),
		ev("wasm.CompileLazy", 22, `{"func_index":6}`),
		ev("x:done", 30, `{}`),
		ev("wasm.CompileLazy", 31, `{"func_index":5}`), // after the first event
	}
	p, err := compileProfile(events, names, sizes, marks)
	require.NoError(t, err)
	first, second := p[compilePhases[0]], p[compilePhases[1]]
	require.Equal(t, 2, first.Funcs)
	require.Equal(t, 120, first.Bytes)
	require.Equal(t, map[string]int{"go": 1, "safejs": 1}, first.ByOrigin)
	require.Equal(t, 2, second.Funcs)
	require.Equal(t, map[string]int{"own": 2}, second.ByOrigin)
	require.InDelta(t, 1.0, second.Ms, 1e-9)

	_, err = compileProfile(events[:len(events)-2], names, sizes, marks)
	require.ErrorContains(t, err, "no done mark")
	_, err = compileProfile(append(events, ev("wasm.CompileLazy", 25, `{"func_index":99}`)), names, sizes, marks)
	require.ErrorContains(t, err, "does not name")
}
