# sseshim — `make run` builds and serves the demos; `make test` installs what
# the tests need (when missing) and runs them all.

GO       ?= go
GOROOT   := $(shell $(GO) env GOROOT)
DIST     := dist
WASMSRC  := $(shell find wasm -name '*.go' -not -name '*_test.go') go.mod go.sum
SHIMJS   := $(wildcard shim/*.js)
ESBUILD  := $(GO) tool esbuild
ADDR     ?= 127.0.0.1:8080

.PHONY: all build run test test-go deps bench bench-quick profile fmt vet clean wasm-flags FORCE

all: build

build: $(DIST)/sseshim.wasm $(DIST)/sseshim.wasm.br $(DIST)/sseshim.wasm.gz $(DIST)/.gen/wasm-name $(DIST)/wasm_exec.js \
       $(DIST)/sseshim.js $(DIST)/sseshim-share.js $(DIST)/index.js $(DIST)/index.d.ts $(DIST)/package.json \
       $(DIST)/sseshim-share.js.br $(DIST)/sseshim-share.js.gz $(DIST)/index.js.br $(DIST)/index.js.gz $(DIST)/manifest.json

# How the engine is built; the benchmark builds its floor programs the same
# way (make -s wasm-flags: one word a line). Without symbols (-s -w); with
# the Go runtime not inlined within itself (-gcflags=runtime=-l) and Go's
# earlier collector (GOEXPERIMENT=nogreenteagc, whose span-local marking is
# for many cores; WebAssembly has one): both shrink the module, and their
# cost per event is in tests/bench/README.md.
WASMENV   := GOOS=js GOARCH=wasm GOEXPERIMENT=nogreenteagc
WASMFLAGS := -trimpath -ldflags=-s\ -w -gcflags=runtime=-l

$(DIST)/sseshim.wasm: $(WASMSRC) $(DIST)/.gen/wasm-flags
	@mkdir -p $(DIST)
	$(WASMENV) $(GO) build $(WASMFLAGS) -o $@ ./wasm

wasm-flags:
	@printf '%s\n' $(WASMENV) $(WASMFLAGS)

# The flags as a file rewritten only when they change, so that the engine
# is built again when they do, and not on every edit of this Makefile.
$(DIST)/.gen/wasm-flags: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' $(WASMENV) $(WASMFLAGS) | cmp -s - $@ || printf '%s\n' $(WASMENV) $(WASMFLAGS) > $@

FORCE:

# Precompressed copies, of the engine and the scripts, for servers that
# honour Accept-Encoding. Node's zlib has brotli, so no extra tool is needed.
BROTLI = node -e "const z=require('zlib'),fs=require('fs'),[i,o]=process.argv.slice(1);fs.writeFileSync(o,z.brotliCompressSync(fs.readFileSync(i),{params:{[z.constants.BROTLI_PARAM_QUALITY]:11,[z.constants.BROTLI_PARAM_SIZE_HINT]:fs.statSync(i).size}}))"

$(DIST)/%.br: $(DIST)/%
	$(BROTLI) $< $@

$(DIST)/%.gz: $(DIST)/%
	gzip -9 -n -c $< > $@

# The engine again under a content-hashed name, sseshim.<first 10 hex of
# its SHA-256>.wasm, with its .br and .gz: the name the scripts load by
# default (SSESHIM_WASM_PATH below), so that a server may let browsers keep
# it for good (Cache-Control: immutable) and a repeat visit loads it with no
# request. The plain sseshim.wasm stays for data-wasm and configure({wasmURL}).
# .gen/wasm-name holds the hashed name; the copies of earlier builds go.
$(DIST)/.gen/wasm-name: $(DIST)/sseshim.wasm $(DIST)/sseshim.wasm.br $(DIST)/sseshim.wasm.gz
	@mkdir -p $(@D)
	@name=sseshim.$$(sha256sum $< | cut -c1-10).wasm; \
	  for f in $(DIST)/sseshim.*.wasm $(DIST)/sseshim.*.wasm.br $(DIST)/sseshim.*.wasm.gz; do \
	    case "$$f" in $(DIST)/$$name*|$(DIST)/sseshim.wasm.*) ;; *) rm -f "$$f";; esac; \
	  done; \
	  for ext in '' .br .gz; do cp $<$$ext $(DIST)/$$name$$ext; done; \
	  printf '%s' $$name > $@; echo "the engine as $(DIST)/$$name"

# The script-tag build under a content-hashed name too, with its copies,
# for pages whose HTML a build writes: dist/manifest.json names it and the
# engine, and a repeat visit loads both from the HTTP cache without a
# request. sseshim.js stays for hand-written script tags.
$(DIST)/manifest.json: $(DIST)/sseshim.js $(DIST)/sseshim.js.br $(DIST)/sseshim.js.gz $(DIST)/.gen/wasm-name
	@name=sseshim.$$(sha256sum $< | cut -c1-10).js; \
	  for f in $(DIST)/sseshim.*.js $(DIST)/sseshim.*.js.br $(DIST)/sseshim.*.js.gz; do \
	    case "$$f" in $(DIST)/$$name*) ;; *) rm -f "$$f";; esac; \
	  done; \
	  for ext in '' .br .gz; do cp $<$$ext $(DIST)/$$name$$ext; done; \
	  printf '{\n  "sseshim.js": "%s",\n  "sseshim.wasm": "%s"\n}\n' $$name "$$(cat $(DIST)/.gen/wasm-name)" > $@; \
	  echo "the script-tag build also as $(DIST)/$$name"

$(DIST)/wasm_exec.js: $(GOROOT)/lib/wasm/wasm_exec.js
	@mkdir -p $(DIST)
	cp $< $@

# The JavaScript is ES modules by concern (shim/), bundled by esbuild (a Go
# tool, go.mod): minified, with a source map beside each file.
# SSESHIM_WASM_PATH: the engine's default location, beside the script, under
# its hashed name (a string literal in the output, as bundlers need it in
# new URL(..., import.meta.url)).
ESFLAGS   = --bundle --minify --keep-names --sourcemap --log-level=warning \
  --define:SSESHIM_WASM_PATH='"./$(shell cat $(DIST)/.gen/wasm-name)"'
BANNER   := /* sseshim: EventSource on a Go WebAssembly engine. */

# Go's wasm_exec.js as a module whose one function runs it: the script-tag
# build calls it (builtInGo in script.js) to take its Go class and leave the
# page's globalThis.Go as it was. Generated beside dist/'s files, outside
# the package's files list.
$(DIST)/.gen/wasm_exec_fn.js: $(GOROOT)/lib/wasm/wasm_exec.js
	@mkdir -p $(@D)
	{ printf 'export function runWasmExec() {\n'; cat $<; printf '}\n'; } > $@

# The script-tag build (and importScripts): a classic script, Go's
# wasm_exec.js built in, one request fewer than loading it beside it.
$(DIST)/sseshim.js: $(SHIMJS) $(DIST)/.gen/wasm_exec_fn.js go.mod $(DIST)/.gen/wasm-name
	$(ESBUILD) shim/script.js $(ESFLAGS) --format=iife --outfile=$@ \
	  --alias:sseshim-wasm-exec=./$(DIST)/.gen/wasm_exec_fn.js --banner:js='$(BANNER)"use strict";'

# The ES module build: wasm_exec.js stays an import of the file beside it,
# for its global Go class.
$(DIST)/index.js: $(SHIMJS) go.mod $(DIST)/.gen/wasm-name
	$(ESBUILD) shim/esm.js $(ESFLAGS) --format=esm --outfile=$@ --external:./wasm_exec.js --banner:js='$(BANNER)'

# The shared-connection worker: the script-tag build and the hub (share.js)
# in one file, so that a bundler that ships it as an asset ships all it needs.
$(DIST)/sseshim-share.js: $(SHIMJS) $(DIST)/.gen/wasm_exec_fn.js go.mod $(DIST)/.gen/wasm-name
	$(ESBUILD) shim/share.js $(ESFLAGS) --format=iife --outfile=$@ \
	  --alias:sseshim-wasm-exec=./$(DIST)/.gen/wasm_exec_fn.js --banner:js='/* sseshim: the shared connection worker. */"use strict";'

$(DIST)/index.d.ts: shim/index.d.ts
	@mkdir -p $(DIST)
	cp $< $@

$(DIST)/package.json: shim/package.json
	@mkdir -p $(DIST)
	cp $< $@

run: build
	@if [ -f server/main.go ]; then $(GO) run ./server -addr $(ADDR); \
	else echo "The dev server is not written yet; dist/ is built. Serve it with any static server."; fi

# deps installs what the tests need when it is missing (Chromium, Firefox
# ESR, WebKitGTK, Xvfb, Mosquitto).
deps:
	@bash tests/install-deps.sh

test: deps build vet
	node --check $(DIST)/sseshim.js && node --check $(DIST)/sseshim-share.js && node --check $(DIST)/index.js
	@# One package at a time: the browser packages (tests/...) each run
	@# browsers, and two at once on a small machine starve each other.
	$(GO) test -race -count=1 -p 1 -timeout 30m ./...
	@echo "the engine again, reading every body as the browser's are read (eventsource.PushBody):"
	SSESHIM_PUSH=1 $(GO) test -race -count=1 ./wasm/eventsource/
	@echo "the pure packages again, compiled to WebAssembly and run under Node:"
	PATH="$(GOROOT)/lib/wasm:$$PATH" GOOS=js GOARCH=wasm $(GO) test -count=1 ./wasm/sse/... ./wasm/internal/jsonscan/ ./wasm/eventsource/

test-go:
	$(GO) test -race -count=1 ./wasm/...

# The benchmark harness (tests/bench): the Go micro-benchmarks and the
# browser benchmark (5 interleaved rounds), the share benchmark and the soak.
# Each prints its tables, writes them to tests/out/ and rewrites its section
# of tests/bench/README.md.
BENCH := $(GO) test -count=1 -v ./tests/bench

bench: deps build
	@mkdir -p tests/out
	SSESHIM_BENCH=full $(BENCH) -timeout 20m -run '^TestBrowserBenchmark$$' > tests/out/bench-full.log 2>&1; s=$$?; grep -v '^\s*bench_[a-z_]*test.go' tests/out/bench-full.log; exit $$s
	SSESHIM_BENCH=full $(BENCH) -timeout 10m -run '^TestFirefoxBenchmark$$'
	SSESHIM_BENCH=full $(BENCH) -timeout 15m -run '^TestRepeatVisits$$'
	SSESHIM_BENCH=full $(BENCH) -timeout 10m -run '^TestShareBenchmark$$'
	SSESHIM_BENCH=full $(BENCH) -timeout 10m -run '^TestSoak$$'

bench-quick: deps build
	@mkdir -p tests/out
	SSESHIM_BENCH=quick $(BENCH) -timeout 10m -run '^TestBrowserBenchmark$$' > tests/out/bench-quick.log 2>&1; s=$$?; grep -v '^\s*bench_[a-z_]*test.go' tests/out/bench-quick.log; exit $$s
	SSESHIM_BENCH=quick $(BENCH) -timeout 10m -run '^TestFirefoxBenchmark$$'
	SSESHIM_BENCH=quick $(BENCH) -timeout 15m -run '^TestRepeatVisits$$'

# Where the renderer's time goes for one implementation (IMPL=sseshim).
profile: deps build
	SSESHIM_PROFILE=$(or $(IMPL),sseshim) $(BENCH) -run '^TestProfileBench$$'

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/...
	@# safejs's jsguard: every JavaScript touch goes through safejs, so that
	@# a JavaScript exception is a Go error, never a panic.
	GOOS=js GOARCH=wasm $(GO) vet -vettool="$$($(GO) tool -n jsguard)" ./wasm/...
	@# jsguard sees calls on plain variables only: no package may import
	@# syscall/js at all, so that safejs is the one way in.
	@if grep -rln --include='*.go' '"syscall/js"' wasm; then echo "syscall/js imported above: use safejs"; exit 1; fi

clean:
	rm -rf $(DIST)
