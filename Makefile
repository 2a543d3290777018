# EduLedger's front door. `make` alone lists the targets.
SHELL := /bin/bash
GO ?= go
DATA ?= $(CURDIR)/.eduledger
FUZZTIME ?= 20s
BENCHTIME ?= 1x

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## run the issuer and verifier services on the embedded ledger in $(DATA) (RUN_ARGS=--demo-data to seed)
	$(GO) run ./cmd/eduledger run --dir $(DATA) $(RUN_ARGS)

.PHONY: test
test: ## run every test (no Fabric needed; Fabric tests skip unless FABRIC_BIN is set)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

.PHONY: lint
lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.7.0 ./...

.PHONY: build
build: ## build every binary into bin/
	$(GO) build -o bin/ ./cmd/...

.PHONY: fuzz
fuzz: ## run every fuzz test for FUZZTIME each
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

.PHONY: bench
bench: ## run the benchmarks (figures go into docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

.PHONY: network-up
network-up: ## bring the Fabric network up on 127.0.0.1 (FABRIC_BIN, or downloads Fabric 2.5 when online)
	network/up.sh $(NETWORK_ARGS)

.PHONY: network-down
network-down: ## stop the Fabric network (NETWORK_ARGS=--clean also deletes its state)
	network/down.sh $(NETWORK_ARGS)

.PHONY: test-fabric
test-fabric: ## run the conformance suite, fault test and demo on a real Fabric network (needs FABRIC_BIN)
	@set -e; if [ -z "$$FABRIC_BIN" ]; then echo "test-fabric: skipped: FABRIC_BIN not set (the bin/ folder of a Fabric 2.5 release)"; exit 0; fi; \
	  $(GO) test -count=1 -timeout 30m -run 'Fabric' ./sdk/ledger/fabric/; \
	  dir=$$(mktemp -d); trap 'EDULEDGER_NETWORK_DIR=$$dir network/down.sh --clean >/dev/null 2>&1 || true' EXIT; \
	  EDULEDGER_NETWORK_DIR=$$dir EDULEDGER_PORT_BASE=27500 network/up.sh --orderers 1; \
	  EDULEDGER_LEDGER_BACKEND=fabric EDULEDGER_LEDGER_READER_MSP=GovMSP \
	    EDULEDGER_LEDGER_FABRIC_PROFILES=$$dir/profiles EDULEDGER_LEDGER_FABRIC_IDENTITIES=$$dir/identities \
	    EDULEDGER_LEDGER_FABRIC_READER=edu-bureau/issuer $(GO) run ./cmd/eduledger demo
