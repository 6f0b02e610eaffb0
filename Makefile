# Vigil's entry point. `make help` lists the targets.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# Tools are pinned here and built into .tmp/bin, so generation works offline
# once they are built.
BUF_VERSION                := v1.75.0
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.0
MAILPIT_VERSION            := v1.33.1

TMP_BIN  := $(CURDIR)/.tmp/bin
BUF      := $(TMP_BIN)/buf
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/vigilhq/vigil/internal/buildinfo.Version=$(VERSION)
GO_TEST_FLAGS ?=
# Packages whose tests drive Chromium run one at a time, after the rest: on
# two cores, two Chromium suites at once make timings and tests noisy.
CHROMIUM_PKGS := ./probe/internal/browser/... ./internal/report/... ./internal/demo/...
# Packages whose tests run gossip meshes on loopback also run one at a time:
# memberlist's failure detector is timing-based, and a starved machine makes
# it see deaths that did not happen.
MESH_PKGS := ./probe ./internal/gossip/...
TEST_LOG := .tmp/test.log
DEMO_ARGS ?=

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build ./bin/vigil.
	go build -ldflags '$(LDFLAGS)' -o bin/vigil ./cmd/vigil

.PHONY: demo
demo: chromium build ## Run the whole mesh on this machine: shop, coordinator, three regions (DEMO_ARGS="--duration 60s").
	./bin/vigil demo $(DEMO_ARGS)

.PHONY: test
test: chromium mailpit check-generate lint ## Run every test, with real Chromium, gRPC, SQLite and an SMTP server.
	@mkdir -p .tmp; : > $(TEST_LOG)
	@set -o pipefail; { \
	  go test -race -count=1 -timeout 10m $(GO_TEST_FLAGS) $$(go list ./... | grep -v -e /probe/internal/browser -e /internal/report -e /internal/demo -e '/probe$$' -e /internal/gossip) && \
	  go test -race -count=1 -p 1 -timeout 10m $(GO_TEST_FLAGS) $(MESH_PKGS) && \
	  go test -count=1 -p 1 -timeout 30m $(GO_TEST_FLAGS) $(CHROMIUM_PKGS); \
	} 2>&1 | tee -a $(TEST_LOG) || { \
	  echo; echo "== failures (from $(TEST_LOG); test logs left out) =="; \
	  grep -E -e '^(--- FAIL|FAIL|panic:)' -e '^ +[a-z_]+_test\.go:[0-9]+:' $(TEST_LOG) | grep -v 'testlog\.go:' | head -50; \
	  exit 1; }

.PHONY: bench
bench: chromium ## Run the benchmarks (browser flows, ingest, gossip, check files, 3 days of analytics) and print a table.
	@mkdir -p .tmp
	go test -run '^$$' -bench . -benchtime 20x -timeout 20m ./probe/internal/browser/ | tee .tmp/bench.txt
	go test -run '^$$' -bench BenchmarkIngest -benchtime 2000x -timeout 10m ./coordinator/ | tee -a .tmp/bench.txt
	go test -run '^$$' -bench Mesh -benchtime 1x -timeout 40m ./internal/gossip/ | tee -a .tmp/bench.txt
	go test -run '^$$' -bench . ./coordinator/internal/checkfile/ | tee -a .tmp/bench.txt
	go test -run '^$$' -bench Analytics -benchtime 1x -timeout 0 ./coordinator/internal/store/ | tee -a .tmp/bench.txt
	@echo; echo "summary (.tmp/bench.txt):"
	@awk '/^Benchmark/ { line = $$1; for (i = 3; i < NF; i += 2) line = line "  " $$i " " $$(i+1); print line }' .tmp/bench.txt

.PHONY: lint
lint: $(BUF) ## gofmt, go vet and buf lint.
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	go vet ./...
	$(BUF) lint

.PHONY: generate
generate: $(BUF) $(TMP_BIN)/protoc-gen-go $(TMP_BIN)/protoc-gen-go-grpc ## Regenerate the protobuf code.
	$(BUF) generate

.PHONY: check-generate
check-generate: generate ## Fail when the committed generated code is stale.
	@if [ -n "$$(git status --porcelain -- proto)" ]; then \
	  echo "generated code in proto/ is stale: run 'make generate' and commit"; git status --porcelain -- proto; exit 1; fi

.PHONY: chromium
chromium: ## Install Debian's chromium when missing (as root), or say what to install.
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium package"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: run 'sudo apt-get install chromium' (Debian's package), then try again" >&2; exit 1; \
	  fi; \
	fi

$(BUF):
	GOBIN=$(TMP_BIN) go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
$(TMP_BIN)/protoc-gen-go:
	GOBIN=$(TMP_BIN) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(TMP_BIN)/protoc-gen-go-grpc:
	GOBIN=$(TMP_BIN) go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

.PHONY: mailpit
mailpit: $(TMP_BIN)/mailpit ## Install Mailpit (a real SMTP server) for the email notifier's tests.
$(TMP_BIN)/mailpit:
	GOBIN=$(TMP_BIN) go install github.com/axllent/mailpit@$(MAILPIT_VERSION)

.PHONY: clean
clean: ## Remove build outputs (keeps .tmp/bin tools).
	rm -rf bin
