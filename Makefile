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

.PHONY: build run test test-short bench bench-growth growth-results lint fuzz stress wasm clean

build: wasm
	$(GO) build -o $(BIN) ./cmd/koinon

# The in-browser verifier: the same Go verification code built to
# WebAssembly, served from static/wasm/ (built, never committed).
wasm: $(WASM)

static/wasm/koinon-verify.wasm: $(shell find internal/proof internal/proof2 internal/receipt internal/statement internal/clog internal/tally internal/secret -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod
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

# Benchmarks: the tally, STV, conformance, verify and close-100k benchmarks, the
# notification benchmarks (a 100,000-voter open, the outbox's drain, votes
# while it drains, and a 1,000,000-row outbox's memory in its own process),
# a secret ballot encrypted and proved in Chromium (skipped without it), the close
# of a 1,000,000-voter ballot with its page loads, a 30 s load test of
# signed (custodial) votes over HTTP with its plain-insert baseline and CPU
# profile on SQLite (and on PostgreSQL when KOINON_TEST_POSTGRES is set,
# in a scratch schema, with one `koinon serve` process against two), and
# the growth benchmark (bench-growth).
# The results go to $(BENCH_OUT)/ and rewrite the generated section of
# docs/benchmarks.md (prose outside its markers is kept). The machine
# should be quiet: check `uptime`.
BENCH_OUT ?= bench-results
BENCH_LOAD ?= 30s
# The growth benchmark's electorates (bench-growth); the 10,000,000-voter
# step (resolution and verify only) takes several minutes and a few GB:
# GROWTH_SIZES=10000,100000,1000000 skips it.
GROWTH_SIZES ?= 10000,100000,1000000,10000000
BENCH_TESTS = -run '^$$' -bench . -benchmem -timeout 30m

bench: build
	@rm -rf $(BENCH_OUT) && mkdir -p $(BENCH_OUT)
	@uptime
	@for spec in "tally:./internal/tally ./internal/tally/stv ./internal/conformance" "proof:./internal/proof ./internal/proof2" "log:./internal/statement ./internal/clog" "closing:./internal/closing" "wasm:./internal/proof/wasm"; do \
	  name=$${spec%%:*}; pkgs=$${spec#*:}; out=$(BENCH_OUT)/bench-$$name.txt; \
	  echo "# command: go test $(BENCH_TESTS) $$pkgs" > $$out; \
	  echo "go test $(BENCH_TESTS) $$pkgs"; \
	  $(GO) test $(BENCH_TESTS) $$pkgs >> $$out 2>&1 || { cat $$out; exit 1; }; \
	  grep -E '^(Benchmark|ok|FAIL)' $$out; \
	done
	@for spec in "notify:OpenBallot100k|OutboxDrain|CastVote:3x" "notify-memory:OutboxMillionRows:1x"; do \
	  name=$${spec%%:*}; rest=$${spec#*:}; pat=$${rest%%:*}; times=$${rest#*:}; out=$(BENCH_OUT)/bench-$$name.txt; \
	  cmd="go test -run '^\$$' -bench '$$pat' -benchtime $$times -timeout 30m ./internal/notify"; \
	  echo "# command: $$cmd" > $$out; echo "$$cmd"; \
	  $(GO) test -run '^$$' -bench "$$pat" -benchtime $$times -timeout 30m ./internal/notify >> $$out 2>&1 || { cat $$out; exit 1; }; \
	  grep -E '^(Benchmark|ok|FAIL)' $$out; \
	done
	./$(BIN) loadtest --close --voters 1000000 --votes 300000 --pages 20 --json $(BENCH_OUT)/close-sqlite.json
	./$(BIN) loadtest --members 10000 --clients 64 --duration $(BENCH_LOAD) --json $(BENCH_OUT)/votes-sqlite.json --cpuprofile $(BENCH_OUT)/votes-sqlite.prof
	$(GO) tool pprof -top -cum -nodecount=100 $(BIN) $(BENCH_OUT)/votes-sqlite.prof 2>/dev/null | grep -E '^(Duration|Showing nodes)|flat%|koinon/internal/(web|store|auth|loadtest)|runtime.cgocall|\(\*DB\)\.(First|Transaction|Create|Count)' > $(BENCH_OUT)/profile-votes-sqlite.txt
	@if [ -n "$$KOINON_TEST_POSTGRES" ]; then \
	  echo ./$(BIN) loadtest --database '$$KOINON_TEST_POSTGRES' --scratch --members 10000 --clients 64 --duration $(BENCH_LOAD); \
	  ./$(BIN) loadtest --database "$$KOINON_TEST_POSTGRES" --scratch --members 10000 --clients 64 --duration $(BENCH_LOAD) --json $(BENCH_OUT)/votes-postgres.json || exit 1; \
	  echo ./$(BIN) loadtest --database '$$KOINON_TEST_POSTGRES' --instances 2 --members 10000 --clients 64 --duration $(BENCH_LOAD); \
	  ./$(BIN) loadtest --database "$$KOINON_TEST_POSTGRES" --instances 2 --members 10000 --clients 64 --duration $(BENCH_LOAD) --json $(BENCH_OUT)/instances-postgres.json || exit 1; \
	else echo "make bench: PostgreSQL load test SKIPPED (set KOINON_TEST_POSTGRES)"; fi
	$(MAKE) --no-print-directory growth-results
	./$(BIN) loadtest --report $(BENCH_OUT) --doc docs/benchmarks.md

# How resolution, close, verify and log replay grow with the electorate
# (issue 18): runs the growth steps alone into $(BENCH_OUT) and re-renders
# docs/benchmarks.md from everything there (a previous `make bench`'s
# results are kept).
bench-growth: build growth-results
	./$(BIN) loadtest --report $(BENCH_OUT) --doc docs/benchmarks.md

growth-results:
	@mkdir -p $(BENCH_OUT)
	@uptime
	./$(BIN) loadtest --growth --sizes $(GROWTH_SIZES) --json $(BENCH_OUT)/growth.json

# gofmt, go vet, then govulncheck with the offline database of the
# module golang.org/x/vulndb (its data/osv folder). govulncheck is built
# with this toolchain; when it or the database cannot be fetched, the
# check is skipped with the reason, and lint does not fail for that. A
# reachable vulnerability fails lint when a fixed version exists; one
# without a fix ("Fixed in: N/A") is printed (see docs/security.md).
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) mod tidy -diff
	$(GO) vet ./...
	@gv="$$(command -v govulncheck || echo "$$($(GO) env GOPATH)/bin/govulncheck")"; \
	if [ ! -x "$$gv" ] && ! $(GO) install golang.org/x/vuln/cmd/govulncheck@latest 2>/tmp/koinon-govulncheck-install.log; then \
	  echo "make lint: govulncheck SKIPPED: cannot install golang.org/x/vuln/cmd/govulncheck: $$(tail -1 /tmp/koinon-govulncheck-install.log)"; exit 0; fi; \
	dir="$$($(GO) mod download -json golang.org/x/vulndb@latest 2>/dev/null | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$$/\1/p')"; \
	if [ -z "$$dir" ] || [ ! -d "$$dir/data/osv" ]; then \
	  echo "make lint: govulncheck SKIPPED: the module golang.org/x/vulndb (offline database) cannot be downloaded or has no data/osv"; exit 0; fi; \
	echo "$$gv -db file://$$dir/data/osv ./..."; \
	"$$gv" -db "file://$$dir/data/osv" ./... > /tmp/koinon-govulncheck.txt 2>&1; rc=$$?; cat /tmp/koinon-govulncheck.txt; \
	case $$rc in 0) ;; 3) if grep -E '^ +Fixed in: ' /tmp/koinon-govulncheck.txt | grep -qv 'N/A'; then \
	  echo "make lint: govulncheck found vulnerabilities with a fixed version: upgrade"; exit 1; fi; \
	  echo "make lint: govulncheck: the vulnerabilities above have no fixed version yet (see docs/security.md)";; \
	*) echo "make lint: govulncheck SKIPPED: it failed (exit $$rc)";; esac

# Reliability and security under load (internal/reliability, long forms):
# more clients, more voters, more SIGKILLs, longer fuzzing of every JSON
# handler. Writes a summary (requests, acknowledged votes, lost votes,
# errors by status) into docs/reliability.md between its markers. Runs on
# PostgreSQL too when KOINON_TEST_POSTGRES is set.
STRESS_FUZZTIME ?= 60s
STRESS_LOG ?= /tmp/koinon-stress.log
stress: wasm
	@echo "KOINON_STRESS=1 go test -v ./internal/reliability/ (full log: $(STRESS_LOG))"
	@KOINON_STRESS=1 KOINON_STRESS_REPORT=$(CURDIR)/docs/reliability.md $(GO) test -count=1 -timeout 60m -v ./internal/reliability/ > $(STRESS_LOG) 2>&1; rc=$$?; \
	  grep -E '^(--- |ok|FAIL|panic)|_test.go:[0-9]+: \| ' $(STRESS_LOG); exit $$rc
	@for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' internal/reliability/*_test.go | sed 's/func //'); do \
	  echo "fuzz internal/reliability $$f ($(STRESS_FUZZTIME))"; \
	  $(GO) test ./internal/reliability -run='^$$' -fuzz="^$$f$$" -fuzztime=$(STRESS_FUZZTIME) || exit 1; done

fuzz:
	@for pkg in $$(grep -rl --include='*_test.go' '^func Fuzz' internal | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$pkg/*_test.go | sed 's/func //'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test ./$$pkg -run='^$$' -fuzz="^$$f$$" -fuzztime=30s || exit 1; \
	  done; done

clean:
	rm -rf bin static/wasm
