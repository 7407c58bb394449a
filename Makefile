# Signoff. "make run" starts the app on the embedded engine with demo data;
# "make test" installs what the tests need (chromium, axe-core) and runs them all.

GO       ?= go
DB       ?= signoff.db
ADDR     ?= 127.0.0.1:8080
ARTIFACTS ?= $(CURDIR)/artifacts
# VERSION names the build: shown by "signoff --version" and in the page footer, and the image's tag.
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)

.PHONY: bench bench-go soak fuzz run build test test-deps test-go check lint fmt generate check-generated reset-demo clean image image-verify

## run: start Signoff on the embedded engine with the demo account (http://127.0.0.1:8080; another
## address: make run ADDR=127.0.0.1:8081). It runs bin/signoff, built first when a source changed.
run: bin/signoff
	./bin/signoff serve --demo --db $(DB) --addr $(ADDR)

## build: build the static binary into bin/signoff (only when a source or the version changed)
build: bin/signoff

# SOURCES are what bin/signoff is built from (the Go code and the files it embeds), so that an
# edit rebuilds it and nothing else does.
SOURCES := go.mod go.sum $(shell find cmd internal web sql -type f ! -name '*_test.go' ! -path '*/testdata/*' 2>/dev/null)

# The first build compiles the Snowflake driver and its cloud SDKs: minutes on a small machine,
# with nothing else to show, so say so before it starts.
bin/signoff: $(SOURCES) bin/.version
	@echo "Building bin/signoff $(VERSION). The first build compiles the Snowflake driver and its cloud SDKs,"
	@echo "which takes a few minutes on a small machine; later builds reuse Go's build cache."
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='$(LDFLAGS)' -o bin/signoff ./cmd/signoff

# bin/.version holds the version bin/signoff was built with; it changes only when VERSION does
# (a new commit, or uncommitted changes), which rebuilds the binary so it reports the right one.
bin/.version: FORCE
	@mkdir -p bin
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@

.PHONY: FORCE
FORCE:

## image: build the linux/amd64 container image without Docker: dist/signoff-image.tar
## (docker-archive, tag signoff:$(VERSION)) and dist/oci (OCI layout). Byte-reproducible for
## one commit: file times and the creation time are the last commit's (SOURCE_DATE_EPOCH).
image:
	mkdir -p dist
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags='$(LDFLAGS)' -o dist/signoff ./cmd/signoff
	SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || echo 0)} \
	  $(GO) run ./tools/mkimage -binary dist/signoff -tar dist/signoff-image.tar -oci dist/oci \
	  -tag signoff:$(VERSION) -version $(VERSION)

## image-verify: build the image twice in a temporary directory and check it (platform, entrypoint,
## user, env, files, size, reproducibility), then check dist/signoff-image.tar the same way
image-verify: image
	SIGNOFF_IMAGE=$(CURDIR)/dist/signoff-image.tar $(GO) test -count=1 -v -run 'TestImage|TestDockerfile' ./tools/mkimage/

## test: install test dependencies, check formatting and generated code, run every test and the fuzz targets
test: test-deps check test-go fuzz

## test-deps: install chromium and skopeo (apt) and axe-core (npm) if missing
test-deps:
	./scripts/test-deps.sh

## test-go: run the Go tests (race detector on; it needs cgo and gcc), then the browser tests (required; screenshots under artifacts/)
test-go:
	mkdir -p $(ARTIFACTS)
	SIGNOFF_REQUIRE_SKOPEO=1 $(GO) test -race -count=1 -timeout 25m $$($(GO) list ./... | grep -v /internal/e2e)
	SIGNOFF_REQUIRE_BROWSER=1 $(GO) test -count=1 -timeout 10m -artifacts -outputdir $(ARTIFACTS) ./internal/e2e/
	@echo "screenshots: $(ARTIFACTS)/_artifacts"

## fuzz: run every fuzz target for FUZZTIME each (make test: 5s; any crash fails)
fuzz:
	FUZZTIME=$${FUZZTIME:-5s} ./scripts/fuzz.sh

## soak: two signoff processes on one database file, 32 racing approvers, 2000 requests
## (make test runs the same check with 200); prints the figures
soak:
	SIGNOFF_SOAK_REQUESTS=$${SIGNOFF_SOAK_REQUESTS:-2000} SIGNOFF_SOAK_DEADLINE=$${SIGNOFF_SOAK_DEADLINE:-10m} \
	  $(GO) test -count=1 -timeout 30m -v -run '^TestSoak$$' ./internal/soak/

## bench: measure everything docs/performance.md reports, in one run, on loopback: every page
## against a hello-world baseline at each of BENCH_SCALES generated requests (databases cached in
## artifacts/bench-data; the first run generates them with tools/bench/gen, in-process, 1M takes
## several minutes; the signoff binary built here only serves them), the actions with
## a database check at BENCH_TARGET, start-up, idle memory, the image size, the Snowflake path's
## statement and login counts and its latency per page and action from 1 to 32 users (the real
## driver against a loopback fake Snowflake taking 40 ms per statement and 150 ms per login; about
## two minutes; tools/bench's -sf-* flags change them), and the Go benchmarks. Prints the report
## and rewrites the generated block of docs/performance.md. BENCH_N GETs per page (default 2000),
## BENCH_C clients (32).
## Not part of "make test" (tools/bench's own test runs it small).
bench: image
	mkdir -p $(ARTIFACTS)/bench
	CGO_ENABLED=0 $(GO) build -trimpath -o $(ARTIFACTS)/bench/signoff ./cmd/signoff
	$(GO) run ./tools/bench -bin $(ARTIFACTS)/bench/signoff -cache $(ARTIFACTS)/bench-data -work $(ARTIFACTS)/bench \
	  -scales $${BENCH_SCALES:-1000,10000,100000,1000000} -target $${BENCH_TARGET:-100000} \
	  -n $${BENCH_N:-2000} -c $${BENCH_C:-32} -image dist/signoff-image.tar -doc docs/performance.md

## bench-go: run the Go benchmarks (templ rendering, the queue query, a decision, every page
## served in-process; the database ones on data from tools/bench/gen) BENCH_COUNT times each (default 6)
## and write artifacts/bench/go-bench.txt. To compare two runs, keep the first file and run
## "go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da old.txt new.txt".
## Not part of "make test".
bench-go:
	mkdir -p $(ARTIFACTS)/bench
	$(GO) test -run '^$$' -bench . -benchmem -count $${BENCH_COUNT:-6} -timeout 30m \
	  ./web/view ./internal/sqlite ./internal/signoff ./internal/server | tee $(ARTIFACTS)/bench/go-bench.txt
	@! grep -q '^FAIL' $(ARTIFACTS)/bench/go-bench.txt || { echo "bench-go: a benchmark failed"; exit 1; }

## check: vet, staticcheck, gofmt, templ fmt and generated code are clean
check: lint check-generated

## lint: go vet, staticcheck (pinned in go.mod as a tool), gofmt and templ fmt
lint:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@out=$$(gofmt -l $$(find . -name '*.go' ! -name '*_templ.go' ! -path './.git/*' ! -path './node_modules/*' ! -path './artifacts/*' ! -path './dist/*')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(GO) tool templ fmt -fail web/view >/dev/null || { echo "templ fmt changed web/view: commit the result"; exit 1; }

## generate: regenerate every generated file (go generate ./...): the templ components
## (web/view/*_templ.go) and the SQL internal/sqlgen renders (sql/snowflake/03_api.sql,
## sql/snowflake/04_seed.sql, deploy/preflight.sql)
generate:
	$(GO) generate ./...

## check-generated: go generate must leave every generated file as git has it (no change, no new
## file, no *_templ.go without its .templ). "As git has it" is the index, so regenerated files
## pass once staged. It regenerates them, so a failure leaves the fix in the working tree.
check-generated:
	@$(GO) generate ./... || { echo "check-generated: go generate ./... failed"; exit 1; }
	@set -f; gen='web/view/*_templ.go sql/snowflake/03_api.sql sql/snowflake/04_seed.sql deploy/preflight.sql'; \
	  fail=0; \
	  git diff --exit-code --stat -- $$gen || fail=1; \
	  new=$$(git ls-files --others --exclude-standard -- $$gen); \
	  if [ -n "$$new" ]; then echo "generated but not in git:"; echo "$$new"; fail=1; fi; \
	  for f in $$(git ls-files --cached --others --exclude-standard -- '*_templ.go'); do \
	    if [ -f "$$f" ] && [ ! -f "$${f%_templ.go}.templ" ]; then echo "$$f has no $${f%_templ.go}.templ: delete it"; fail=1; fi; \
	  done; \
	  if [ $$fail -ne 0 ]; then echo 'generated files are not what their sources produce: run "make generate" and commit the result'; exit 1; fi

## fmt: format Go and templ sources, then regenerate the templ components (their code holds
## the positions of the formatted sources)
fmt:
	gofmt -w $$(git ls-files '*.go' | grep -v '_templ.go$$')
	$(GO) tool templ fmt web/view
	$(GO) generate ./web/view

## reset-demo: delete the local demo database so the next "make run" loads the demo afresh
reset-demo:
	rm -f $(DB) $(DB)-wal $(DB)-shm $(DB).digests

clean:
	rm -rf bin dist $(ARTIFACTS)
