//go:build !js

package bench

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
)

// bareProgram is the start-up and size floor of the toolchain the engine
// must use: a Go WebAssembly program that registers one function and tells
// the page, as the engine does, and nothing else.
const bareProgram = `//go:build js && wasm

package main

import "syscall/js"

func main() {
	add := js.FuncOf(func(this js.Value, args []js.Value) any {
		return args[0].Int() + args[1].Int()
	})
	js.Global().Set("bareAdd", add)
	js.Global().Call("__bareReady")
	select {}
}
`

// buildFloors builds the named floor programs into a temporary folder as
// make builds the engine (wasmBuild), beside the wasm_exec.js sseshim ships,
// and returns the folder; each test asks for the ones its pages load:
//   - "bare": bareProgram, as bare.wasm;
//   - "safejs": the same program written with safejs (testdata/safejsfloor),
//     as safejs.wasm: the floor of anything that makes its JavaScript calls
//     through safejs, as the engine must;
//   - "gofloor": the per-chunk floor of an engine in Go (testdata/gofloor),
//     as gofloor.wasm: the bench page's FloorGoEventSource feeds it; no
//     start-up or size row.
//
// The start-up floors (bare, safejs) get a brotli copy beside them, as the
// engine's module has.
func buildFloors(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	env, flags := wasmBuild(t)
	goBuild := func(args ...string) *exec.Cmd {
		cmd := exec.Command("go", append(append([]string{"build"}, flags...), args...)...)
		cmd.Env = append(append(os.Environ(), "GOFLAGS="), env...)
		return cmd
	}
	execJS := filepath.Join(browsertest.DistDir, "wasm_exec.js")
	if _, err := os.Stat(execJS); err != nil { // the build may inline it: take the toolchain's
		goroot, err := exec.Command("go", "env", "GOROOT").Output()
		require.NoError(t, err)
		execJS = filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js")
	}
	b, err := os.ReadFile(execJS)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasm_exec.js"), b, 0o644))
	for _, name := range names {
		wasm := filepath.Join(dir, name+".wasm")
		var cmd *exec.Cmd
		switch name {
		case "bare":
			require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(bareProgram), 0o644))
			cmd = goBuild("-o", wasm, "main.go")
			cmd.Dir = dir
		case "safejs":
			cmd = goBuild("-o", wasm, "./testdata/safejsfloor")
		case "gofloor":
			cmd = goBuild("-o", wasm, "./testdata/gofloor")
		default:
			t.Fatalf("buildFloors: no floor program %q", name)
		}
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "building the %s floor program:\n%s", name, out)
		if name == "gofloor" {
			continue
		}
		br, err := os.ReadFile(brotliFile(t, wasm))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(wasm+".br", br, 0o644))
	}
	return dir
}

// wasmBuild is how make builds the engine (make -s wasm-flags, a word a
// line): the environment (NAME=value) and the flags of its go build.
func wasmBuild(t *testing.T) (env, flags []string) {
	t.Helper()
	out, err := exec.Command("make", "-s", "-C", filepath.Dir(browsertest.DistDir), "wasm-flags").Output()
	require.NoError(t, err, "make wasm-flags")
	for _, w := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(w, "-") {
			flags = append(flags, w)
		} else {
			env = append(env, w)
		}
	}
	require.Contains(t, env, "GOARCH=wasm", "make wasm-flags: %q", out)
	return env, flags
}

// brotliFile is a brotli copy of file at quality 11, as make build makes
// them: the build's own copy beside it when not older than the file, else
// one made by Node's zlib and kept by content in the ignored work folder
// (quality 11 is slow on a module of megabytes).
func brotliFile(t *testing.T, file string) string {
	t.Helper()
	fi, err := os.Stat(file)
	require.NoError(t, err)
	if bi, err := os.Stat(file + ".br"); err == nil && !bi.ModTime().Before(fi.ModTime()) {
		return file + ".br"
	}
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	dir, err := filepath.Abs(filepath.Join("..", ".npm-work", "bench", "brotli"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	out := filepath.Join(dir, hex.EncodeToString(sum[:16])+".br")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	tmp := out + ".tmp" + strconv.Itoa(os.Getpid())
	cmd := exec.Command("node", "-e",
		`const z=require('zlib'),fs=require('fs');const b=fs.readFileSync(process.argv[1]);fs.writeFileSync(process.argv[2],z.brotliCompressSync(b,{params:{[z.constants.BROTLI_PARAM_QUALITY]:11,[z.constants.BROTLI_PARAM_SIZE_HINT]:b.length}}))`,
		file, tmp)
	o, err := cmd.CombinedOutput()
	require.NoError(t, err, "brotli: %s", o)
	require.NoError(t, os.Rename(tmp, out))
	return out
}

var gzipSizes sync.Map // path → size, for one test binary

// fileSizes is a file's size raw, gzipped (level 9) and brotli (quality 11).
func fileSizes(t *testing.T, file string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	gz, ok := gzipSizes.Load(file)
	if !ok {
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = w.Write(b)
		_ = w.Close()
		gz = buf.Len()
		gzipSizes.Store(file, gz)
	}
	br, err := os.Stat(brotliFile(t, file))
	require.NoError(t, err)
	return map[string]int{"raw": len(b), "gzip": gz.(int), "brotli": int(br.Size())}
}
