# sseshim — `make run` builds and serves the demos; `make test` installs what
# the tests need (when missing) and runs them all.

GO       ?= go
GOROOT   := $(shell $(GO) env GOROOT)
DIST     := dist
WASMSRC  := $(shell find wasm -name '*.go' -not -name '*_test.go') go.mod go.sum
SHIMSRC  := shim/core.js shim/loader.js shim/script.js shim/esm.js shim/share.js shim/index.d.ts shim/package.json
ADDR     ?= 127.0.0.1:8080

.PHONY: all build run test test-go deps bench bench-quick profile fmt vet clean

all: build

build: $(DIST)/sseshim.wasm $(DIST)/sseshim.wasm.br $(DIST)/sseshim.wasm.gz $(DIST)/wasm_exec.js \
       $(DIST)/sseshim.js $(DIST)/sseshim-share.js $(DIST)/index.js $(DIST)/index.d.ts $(DIST)/package.json

$(DIST)/sseshim.wasm: $(WASMSRC)
	@mkdir -p $(DIST)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $@ ./wasm

# Precompressed copies for servers that honour Accept-Encoding. Node's zlib
# has brotli, so no extra tool is needed.
$(DIST)/sseshim.wasm.br: $(DIST)/sseshim.wasm
	node -e "const z=require('zlib'),fs=require('fs');fs.writeFileSync('$@',z.brotliCompressSync(fs.readFileSync('$<'),{params:{[z.constants.BROTLI_PARAM_QUALITY]:11,[z.constants.BROTLI_PARAM_SIZE_HINT]:fs.statSync('$<').size}}))"

$(DIST)/sseshim.wasm.gz: $(DIST)/sseshim.wasm
	gzip -9 -n -c $< > $@

$(DIST)/wasm_exec.js: $(GOROOT)/lib/wasm/wasm_exec.js
	@mkdir -p $(DIST)
	cp $< $@

# The script-tag build: Go's wasm_exec.js (its Go class taken by builtInGo in
# script.js), the core and the loader in one function scope: one request
# fewer than loading wasm_exec.js beside it.
$(DIST)/sseshim.js: shim/core.js shim/loader.js shim/script.js $(GOROOT)/lib/wasm/wasm_exec.js
	@mkdir -p $(DIST)
	{ printf '/* sseshim: EventSource on a Go WebAssembly engine. */\n(function () {\n"use strict";\n'; \
	  printf 'function runWasmExec() {\n'; cat $(GOROOT)/lib/wasm/wasm_exec.js; printf '}\n'; \
	  cat shim/core.js shim/loader.js shim/script.js; printf '})();\n'; } > $@

# The ES module build: wasm_exec.js imported for its global Go class.
$(DIST)/index.js: shim/core.js shim/loader.js shim/esm.js
	@mkdir -p $(DIST)
	{ printf '/* sseshim: EventSource on a Go WebAssembly engine. */\nimport "./wasm_exec.js";\n'; \
	  cat shim/core.js shim/loader.js shim/esm.js; } > $@

# The shared-connection worker: the script-tag build and the hub in one
# file, so that a bundler that ships it as an asset ships all it needs.
$(DIST)/sseshim-share.js: $(DIST)/sseshim.js shim/share.js
	@mkdir -p $(DIST)
	{ printf "/* sseshim: the shared connection worker. */\n"; cat $(DIST)/sseshim.js shim/share.js; } > $@

$(DIST)/index.d.ts: shim/index.d.ts
	@mkdir -p $(DIST)
	cp $< $@

$(DIST)/package.json: shim/package.json
	@mkdir -p $(DIST)
	cp $< $@

run: build
	@if [ -f server/main.go ]; then $(GO) run ./server -addr $(ADDR); \
	else echo "The dev server is not written yet; dist/ is built. Serve it with any static server."; fi

# deps installs what the tests need when it is missing (Chromium).
deps:
	@bash tests/install-deps.sh

test: deps build vet
	node --check $(DIST)/sseshim.js && node --check $(DIST)/sseshim-share.js
	node --check shim/core.js && node --check shim/loader.js
	$(GO) test -race -count=1 ./...
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
	SSESHIM_BENCH=full $(BENCH) -timeout 10m -run '^TestShareBenchmark$$'
	SSESHIM_BENCH=full $(BENCH) -timeout 10m -run '^TestSoak$$'

bench-quick: deps build
	@mkdir -p tests/out
	SSESHIM_BENCH=quick $(BENCH) -timeout 10m -run '^TestBrowserBenchmark$$' > tests/out/bench-quick.log 2>&1; s=$$?; grep -v '^\s*bench_[a-z_]*test.go' tests/out/bench-quick.log; exit $$s

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
