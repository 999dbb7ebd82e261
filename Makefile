# Koinon. `make run` builds, migrates, seeds a demo community into a new
# database and serves on http://localhost:8080; `make test` runs every test.

# The machine's Go has known standard-library vulnerabilities; this patched
# toolchain comes from the module proxy (see README).
export GOTOOLCHAIN := go1.27.3

GO    ?= go
BIN   := bin/koinon
DATA  ?= ./data
ADDR  ?= localhost:8080
WASM  := static/wasm/koinon-verify.wasm static/wasm/wasm_exec.js

.PHONY: build run test test-short bench lint fuzz stress wasm clean

build: wasm
	$(GO) build -o $(BIN) ./cmd/koinon

# The in-browser verifier: the same Go verification code built to
# WebAssembly, served from static/wasm/ (built, never committed).
wasm: $(WASM)

static/wasm/koinon-verify.wasm: $(shell find internal/proof internal/tally -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod
	@mkdir -p static/wasm
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o $@ ./internal/proof/wasm

static/wasm/wasm_exec.js:
	@mkdir -p static/wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $@

run: build
	@if [ -z "$$KOINON_DATABASE_URL" ] && [ ! -f $(DATA)/koinon.db ]; then ./$(BIN) demo --data $(DATA); fi
	./$(BIN) serve --data $(DATA) --addr $(ADDR)

# Every suite. PostgreSQL suites run when KOINON_TEST_POSTGRES is set,
# browser suites when /usr/bin/chromium exists; otherwise they are skipped
# and named below. .ci/run makes both required.
test: wasm
	@[ -n "$$KOINON_TEST_POSTGRES" ] || echo "make test: PostgreSQL suites will be SKIPPED (set KOINON_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable)"
	@[ -x /usr/bin/chromium ] || echo "make test: browser suites will be SKIPPED (apt-get install chromium)"
	$(GO) test -count=1 -timeout 20m ./...
	$(GO) test -count=1 -race ./internal/tally/... ./internal/proof/... ./internal/blt/...

bench: wasm
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./internal/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fuzz:
	@for pkg in $$(grep -rl --include='*_test.go' '^func Fuzz' internal | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$pkg/*_test.go | sed 's/func //'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test ./$$pkg -run='^$$' -fuzz="^$$f$$" -fuzztime=30s || exit 1; \
	  done; done

clean:
	rm -rf bin static/wasm
