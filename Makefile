# Kluis developer targets. `make test` is the README's test command (scripts/test.sh).
#   make run                      demo server on http://127.0.0.1:8080 (creates ./kluis-data, ./kluis-keys)
#   make test TESTFLAGS='-run X'  all tests, with a throwaway PostgreSQL when one is installed
#   make bench BENCH='-benchtime 1x -bench Store'
#   make release                  static release binary bin/kluis, stamped with VERSION and COMMIT (`kluis version`)
#   make tools                    the S3 server the object-store tests run against (versitygw) and the ACME server of the certificate tests (pebble)
SHELL := bash
GO ?= go

# staticcheck release 2026.2.2 is module version v0.8.2; the proxy here serves only the latter.
STATICCHECK_VERSION := 2026.2.2
STATICCHECK_MODULE_VERSION := v0.8.2
GOBIN_DIR := $(or $(shell $(GO) env GOBIN),$(firstword $(subst :, ,$(shell $(GO) env GOPATH)))/bin)
STATICCHECK := $(GOBIN_DIR)/staticcheck
# versitygw (Apache-2.0): the real S3 server of the S3 store's tests (internal/objstore/s3test
# pins the same version).
VERSITYGW_VERSION := v1.8.0
VERSITYGW := $(GOBIN_DIR)/versitygw
# pebble (MPL-2.0): Let's Encrypt's test ACME server, for the certificate tests
# (internal/acmecert/pebbletest pins the same version).
PEBBLE_VERSION := v2.10.3
PEBBLE := $(GOBIN_DIR)/pebble

TESTFLAGS ?=
BENCH ?=

.PHONY: run build release test fuzz check fmt-check vet staticcheck bench clean tools

run:
	$(GO) run ./cmd/kluis serve --demo

build:
	CGO_ENABLED=0 $(GO) build -o bin/kluis ./cmd/kluis

# A release build: static (no cgo, so it runs in a scratch image), paths
# trimmed, symbols stripped, and stamped with the version and commit that
# `kluis version` prints and the platform log records on first start.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
RELEASE_BIN ?= bin/kluis
# -trimpath keeps build paths out of the binary (reproducible releases); the
# release test clears it to reuse the test build's cache instead of
# compiling every package again.
RELEASE_FLAGS ?= -trimpath
RELEASE_LDFLAGS := -s -w -X github.com/kluis/kluis/internal/cli.version=$(VERSION) -X github.com/kluis/kluis/internal/cli.commit=$(COMMIT)

release:
	CGO_ENABLED=0 $(GO) build $(RELEASE_FLAGS) -ldflags '$(RELEASE_LDFLAGS)' -o $(RELEASE_BIN) ./cmd/kluis

test: tools
	bash scripts/test.sh $(TESTFLAGS)

# Every fuzz target for KLUIS_FUZZ_TIME (default 6s) each, as CI runs them.
fuzz:
	bash scripts/fuzz.sh

check: fmt-check vet staticcheck

fmt-check:
	@files="$$(gofmt -l .)"; if [ -n "$$files" ]; then \
		echo "gofmt needed on:"; echo "$$files"; exit 1; fi; echo "gofmt: ok"

vet:
	$(GO) vet ./...

staticcheck:
	@if ! "$(STATICCHECK)" -version 2>/dev/null | grep -qF '$(STATICCHECK_VERSION)'; then \
		echo "installing staticcheck $(STATICCHECK_VERSION)"; \
		$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_MODULE_VERSION); fi
	"$(STATICCHECK)" ./...

# Test tools built from source with the Go toolchain: the S3 server (installed when missing
# or of another version; `go version -m` reads the module version the binary was built from).
tools:
	@if ! $(GO) version -m "$(VERSITYGW)" 2>/dev/null | grep -qE 'mod[[:space:]]+github.com/versity/versitygw[[:space:]]+$(VERSITYGW_VERSION)[[:space:]]'; then \
		echo "installing versitygw $(VERSITYGW_VERSION)"; \
		$(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION); fi
	@echo "versitygw: $(VERSITYGW)"
	@if ! $(GO) version -m "$(PEBBLE)" 2>/dev/null | grep -qE 'mod[[:space:]]+github.com/letsencrypt/pebble/v2[[:space:]]+$(PEBBLE_VERSION)[[:space:]]'; then \
		echo "installing pebble $(PEBBLE_VERSION)"; \
		$(GO) install github.com/letsencrypt/pebble/v2/cmd/pebble@$(PEBBLE_VERSION); fi
	@echo "pebble: $(PEBBLE)"

# Benchmarks only (no tests), against a throwaway PostgreSQL when available.
bench:
	bash scripts/pg-throwaway.sh $(GO) test -run '^$$' -bench . $(BENCH) ./...

# Build output and test artefacts only; never ./kluis-data or ./kluis-keys.
clean:
	rm -rf bin/
	rm -f *.test *.out *.prof
