# otelcol-siem: build, run, test, lint and benchmark targets. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go
# Pinned tools, installed into _tools/ from the Go module proxy (never assumed on PATH).
OCB_VERSION         := v0.165.0
STATICCHECK_VERSION := v0.8.2
BENCHSTAT_VERSION   := v0.0.0-20260908200009-22c9c6c9d4da
NFPM_VERSION        := v2.48.0
TOOLS      := $(CURDIR)/_tools
OCB        := $(TOOLS)/ocb-$(OCB_VERSION)
# The baseline of `make bench-e2e` is built at contrib's newest syslogexporter served here, with the
# ocb of that release (an ocb pins its own core modules).
BASELINE_OCB_VERSION := v0.148.0
BASELINE_OCB := $(TOOLS)/ocb-$(BASELINE_OCB_VERSION)
BASELINE_BIN := _build/baseline/otelcol-baseline
STATICCHECK := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)
BENCHSTAT  := $(TOOLS)/benchstat-$(BENCHSTAT_VERSION)
NFPM       := $(TOOLS)/nfpm-$(NFPM_VERSION)

BIN        := _build/otelcol-siem
# The SOC's integrity verifier (integrity: on an exporter; README "Proving completeness").
VERIFY_BIN := _build/otelcol-siem-verify
CONFIG     ?= otelcol-config.yaml
# Everything that goes into the binary: a change to any of it rebuilds it.
BUILD_INPUTS := builder-config.yaml go.mod go.sum secevent/go.mod secevent/go.sum \
  $(shell find . -name '*.go' -not -name '*_test.go' -not -path './_*' -not -path './test/*')
# Packages holding end-to-end tests (build tag e2e): they need the binary and the real peers.
E2E_PKGS = $(shell grep -rl --include='*_test.go' '^//go:build e2e' . | xargs -r -n1 dirname | sort -u)
# Benchmarked packages (make bench).
BENCH_PKGS ?= ./...
BENCH_COUNT ?= 6
# Packages (make package): the version is the distribution's (builder-config.yaml dist.version), the
# one `otelcol-siem --version` reports.
PKG_VERSION := $(shell awk '/^dist:/{d=1;next} d&&/^[^ #]/{d=0} d&&$$1=="version:"{print $$2;exit}' builder-config.yaml)
PKG_ARCH    := $(shell $(GO) env GOARCH)
PKG_MAINTAINER ?= otelcol-siem maintainers
PKG_DIR     := _build/packages

.PHONY: help build demo run test unit-test rules-test e2e-test reliability lint bench bench-e2e peers tools clean package package-test

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: $(BIN) $(VERIFY_BIN) ## build the otelcol-siem distribution with ocb, and otelcol-siem-verify, into _build/

$(BIN): $(BUILD_INPUTS) | $(OCB)
	$(OCB) --config builder-config.yaml
	@touch $(BIN)

demo: build _build/secevent-demo ## the seed's story end to end: collector + emitter, prints the CEF lines (alerts included)
	bash scripts/demo.sh

$(VERIFY_BIN): $(BUILD_INPUTS)
	$(GO) build -o $@ ./cmd/otelcol-siem-verify

_build/secevent-demo: $(BUILD_INPUTS)
	$(GO) build -o $@ ./cmd/secevent-demo

run: build ## start the collector with otelcol-config.yaml (Ctrl-C stops it)
	$(BIN) --config $(CONFIG)

test: unit-test rules-test e2e-test ## run every test: unit, the alerting rules (promtool), then end to end on the ocb-built binary with real peers

unit-test: ## unit tests of both modules (no peers, no binary)
	$(GO) test -count=1 ./...
	cd secevent && $(GO) test -count=1 ./...

# promtool from Debian's prometheus package, unpacked by .ci/install-peers.sh.
PROMTOOL ?= /opt/promtool/usr/bin/promtool
RULES := deploy/prometheus/otelcol-siem.rules.yaml

rules-test: peers ## promtool: check the alerting rules, run their unit tests, parse the Grafana dashboard's queries
	$(PROMTOOL) check rules $(RULES)
	cd deploy/prometheus && $(PROMTOOL) test rules otelcol-siem.rules.test.yaml
	PROMTOOL=$(PROMTOOL) $(GO) test -tags promtool -count=1 -run TestDashboardQueriesParse ./deploy/prometheus/

e2e-test: build _build/secevent-demo peers ## end-to-end tests (tag e2e) against the ocb-built binary and real syslog peers
	OTELCOL_SIEM_BIN=$(CURDIR)/$(BIN) SECEVENT_DEMO_BIN=$(CURDIR)/_build/secevent-demo $(GO) test -tags e2e -count=1 -p 1 -timeout 40m $(E2E_PKGS)

reliability: build _build/secevent-demo peers ## run the e2e suite and the power-cut tests, and write their zero-loss table to docs/reliability.md
	@mkdir -p _out && rm -f _out/reliability-rows.md
	RELIABILITY_TABLE=$(CURDIR)/_out/reliability-rows.md OTELCOL_SIEM_BIN=$(CURDIR)/$(BIN) SECEVENT_DEMO_BIN=$(CURDIR)/_build/secevent-demo \
	  $(GO) test -tags e2e -count=1 -p 1 -timeout 40m ./test/e2e/
	RELIABILITY_TABLE=$(CURDIR)/_out/reliability-rows.md $(GO) test -count=1 -run 'PowerCut' ./extension/queuestorageextension/internal/seglog/
	bash scripts/reliability-doc.sh _out/reliability-rows.md > docs/reliability.md

# The e2e tests need rsyslog, syslog-ng and liblognorm's lognormalizer. They are installed from
# Debian's archive by .ci/install-peers.sh, which needs root (apt-get) and touches no system service.
peers: ## install the real syslog peers (Debian 12, root) if they are missing
	@if [ -x /opt/rsyslog/usr/sbin/rsyslogd ] && command -v syslog-ng >/dev/null && command -v lognormalizer >/dev/null \
	  && [ -x /opt/promtool/usr/bin/promtool ]; then \
	  echo "peers: rsyslog, syslog-ng, lognormalizer and promtool are installed"; \
	elif [ "$$(id -u)" = 0 ]; then bash .ci/install-peers.sh; \
	else echo "peers: missing; run 'sudo bash .ci/install-peers.sh' once (apt-get needs root)" >&2; exit 1; fi

lint: $(STATICCHECK) ## gofmt, go vet and staticcheck on both modules
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./... && $(GO) vet -tags e2e,promtool ./...
	cd secevent && $(GO) vet ./...
	$(STATICCHECK) ./... && $(STATICCHECK) -tags e2e,promtool ./...
	cd secevent && $(STATICCHECK) ./...

bench: $(BENCHSTAT) ## Go benchmarks (BENCH_COUNT runs each), summarised by benchstat into _out/bench.txt
	@mkdir -p _out
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) $(BENCH_PKGS) | tee _out/bench.raw
	$(BENCHSTAT) _out/bench.raw | tee _out/bench.txt

# End-to-end benchmark: otelcol-siem and the contrib syslogexporter baseline side by side, same
# OTLP load, same loopback sink; results into _out/bench-e2e.md (copied into docs/performance.md).
BENCH_E2E_FLAGS ?= -events 400000 -runs 5
bench-e2e: build $(BASELINE_BIN) ## end-to-end benchmark vs contrib syslogexporter v0.148.0 and the raw-socket floor
	@mkdir -p _out
	$(GO) run ./cmd/siem-bench -siem $(BIN) -baseline $(BASELINE_BIN) -out _out/bench-e2e.md $(BENCH_E2E_FLAGS)

$(BASELINE_BIN): bench/baseline/builder-config.yaml | $(BASELINE_OCB)
	$(BASELINE_OCB) --config bench/baseline/builder-config.yaml
	@touch $@

# .deb and .rpm with nfpm: binary, /etc/otelcol-siem/{config.yaml,otelcol-siem.env}, the systemd
# unit and the maintainer scripts in packaging/ (docs/install.md).
package: build | $(NFPM) ## build the .deb and .rpm (binary, config, env file, sandboxed systemd unit) into _build/packages/
	@test -n "$(PKG_VERSION)" || { echo "package: no dist.version in builder-config.yaml" >&2; exit 1; }
	@mkdir -p $(PKG_DIR)
	rm -f $(PKG_DIR)/otelcol-siem[_-]*
	for p in deb rpm; do \
	  OTELCOL_SIEM_PKG_VERSION=$(PKG_VERSION) OTELCOL_SIEM_PKG_ARCH=$(PKG_ARCH) OTELCOL_SIEM_PKG_MAINTAINER="$(PKG_MAINTAINER)" \
	    $(NFPM) package --config packaging/nfpm.yaml --packager $$p --target $(PKG_DIR)/; \
	done
	@ls -l $(PKG_DIR)

# Installs, runs, upgrades, removes and purges the .deb on this machine (root, Debian 12): it
# changes the system (a package, a user), so it is not part of `make test`.
package-test: package _build/secevent-demo ## root, Debian: dpkg -i the .deb, run it as its user, upgrade, remove, purge; check the .rpm
	PKG_VERSION=$(PKG_VERSION) PKG_ARCH=$(PKG_ARCH) PKG_DIR=$(PKG_DIR) NFPM=$(NFPM) SECEVENT_DEMO_BIN=$(CURDIR)/_build/secevent-demo bash packaging/test.sh

tools: $(OCB) $(STATICCHECK) $(BENCHSTAT) $(NFPM) ## install the pinned tools into _tools/

$(OCB):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)
	mv $(TOOLS)/builder $@

$(BASELINE_OCB):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS)/ocb-baseline-tmp $(GO) install go.opentelemetry.io/collector/cmd/builder@$(BASELINE_OCB_VERSION)
	mv $(TOOLS)/ocb-baseline-tmp/builder $@ && rmdir $(TOOLS)/ocb-baseline-tmp

$(STATICCHECK):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(TOOLS)/staticcheck $@

$(BENCHSTAT):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)
	mv $(TOOLS)/benchstat $@

$(NFPM):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)
	mv $(TOOLS)/nfpm $@

clean: ## remove build output, tools and local data
	rm -rf _build _tools _out _data
