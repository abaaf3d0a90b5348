# ddm — see README.md. Every target works on a fresh clone with Go installed.

GO        ?= go
BIN       := bin
STATICCHECK_VERSION := v0.8.2
FUZZTIME  ?= 5s

.PHONY: all build test test-unit fuzz soak bench lint demo clean

all: build

build:
	$(GO) build -o $(BIN)/ddm ./cmd/ddm

## test: vet, every test, and a short run of every fuzz target.
test: test-unit
	scripts/fuzz.sh $(FUZZTIME)

# -p 1: one package at a time. The agent's cadence tests and the outage
# tests measure behaviour against the wall clock; on 2 shared cores, test
# binaries running side by side starve each other's timers.
# internal/testprogress runs go test with the same arguments and prints its
# lines unchanged, plus the package being tested, each test that took a
# second or more, and every minute the tests still running.
# -timeout 30m: go test's default, 10 minutes per package, is less than
# alarm/grafana took on 2 loaded cores (its queries against InfluxDB).
# -parallel 4: the tests that call t.Parallel mostly wait (on a real
# binary's run, a server's timeout, an outage); go test's default runs only
# GOMAXPROCS (2 here) of them at once. With 4, cmd/ddm took 52 s instead of
# 68 s and exporter 32 s instead of 39 s, on a machine otherwise quiet.
test-unit: $(BIN)/influxd
	$(GO) vet ./...
	$(GO) run ./internal/testprogress -p 1 -parallel 4 -count=1 -timeout 30m ./...

## fuzz: a longer run of every fuzz target (FUZZTIME=2m by default here).
fuzz:
	scripts/fuzz.sh $(if $(filter command line,$(origin FUZZTIME)),$(FUZZTIME),2m)

## soak: the agent on the emulated switch under faults for 5 minutes
## (make test runs the same test for 20 s).
soak:
	DDM_SOAK_CLOCK=real DDM_SOAK=$(or $(SOAK),5m) $(GO) test -count=1 -timeout 30m -run TestSoak -v ./internal/soak/

## bench: decode and pager benchmarks (results go to docs/BENCHMARKS.md by hand).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## lint: gofmt, go vet, staticcheck (installed into ./bin at a pinned version).
lint: $(BIN)/staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(BIN)/staticcheck ./...

## bin/influxd: the InfluxDB 1.8.10 server the tests and the demo start on loopback.
$(BIN)/influxd:
	GOBIN=$(CURDIR)/$(BIN) $(GO) install github.com/influxdata/influxdb/cmd/influxd@v1.8.10

$(BIN)/staticcheck:
	GOBIN=$(CURDIR)/$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## demo: InfluxDB on loopback, the agent on the emulated 64-port switch for
## about 80 s, then what arrived and the alarms raised.
demo: build $(BIN)/influxd
	scripts/demo.sh

clean:
	rm -rf $(BIN)
