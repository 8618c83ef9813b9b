# Lienthong. Each target is one or two commands; CI runs `make test`.
GO        ?= go
BIN       := bin
DIST      := dist
# Packages whose tests run again under the race detector: those with
# goroutines, servers or shared state. hub/clustertest is left out: it
# drives processes (Patroni, PostgreSQL, hub nodes) for minutes, and the
# race detector would see only its harness.
RACE_PKGS = ./certs/... $(filter-out %/hub/clustertest,$(shell $(GO) list ./hub/...)) ./shared/... ./desktop/store/... ./desktop/clerk/... ./desktop/audit/...

.PHONY: help deps build test demo demo-cluster depcheck vet fmtcheck race fuzz bench clean packages packages-deb packages-windows

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

deps: ## install missing Debian packages (X11/GL headers, Xvfb, poppler-utils, qpdf, NSS tools, xmlsec1, PostgreSQL, Patroni, etcd)
	@./packaging/install-deps.sh

build: ## build every binary into bin/: static ones without cgo; the Fyne app and lienthong-clerk (PKCS#11 tokens) with it
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ $$($(GO) list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./... | grep -v '/lienthong-desktop$$\|/lienthong-clerk$$\|/packaging/windows$$')
	$(GO) build -o $(BIN)/ ./desktop/cmd/lienthong-desktop ./desktop/cmd/lienthong-clerk

demo: deps build ## run a hub and demo agencies on the embedded defaults
	@./packaging/demo.sh

demo-cluster: deps build ## the same demo on two hub nodes sharing a local PostgreSQL
	@./packaging/demo-cluster.sh

# -timeout 60m: the first cross-build of the Fyne app for Windows (packaging/windows; go-gl's C code
# with mingw-w64) takes several minutes on a fresh 2-core machine, and took 35 minutes on one shared
# with other builds (load 13-18): far past go test's 10-minute default, past 30 minutes at worst.
test: deps fmtcheck vet ## run every test, then the concurrent ones again under the race detector
	$(GO) test -shuffle=on -timeout 60m ./...
	$(GO) test -race -shuffle=on -timeout 30m $(RACE_PKGS)

depcheck: ## check the direction of imports, cgo-free hub, package docs
	$(GO) test -run 'TestDependencies|TestOnlyDesktopCommandsImportFyneApp|TestHubBuildsWithoutCgo|TestPackageDocs' .

vet: ## go vet
	$(GO) vet ./...

fmtcheck: ## fail on files gofmt would change
	@files=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$files" ]; then echo "gofmt needed:"; echo "$$files"; exit 1; fi

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	@./packaging/fuzz.sh $${FUZZTIME:-30s}

bench: ## run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

packages: packages-deb ## build the installers into dist/

packages-deb: ## the hub's and the desktop's .deb packages, into dist/ (packaging/deb)
	./packaging/deb/build.sh $(DIST)

clean: ## remove built binaries, packages and the demo state
	rm -rf $(BIN) $(DIST) demo demo-cluster

# `make packages` builds every installer; this adds the Windows one.
packages: packages-windows

packages-windows: deps ## cross-build lienthong-desktop.exe and lienthong-clerk.exe and their MSI into dist/windows/
	$(GO) run ./packaging/windows --out $(DIST)/windows

screenshots: ## run the desktop app under Xvfb against a demo hub; save docs/screenshots/*.png
	@./packaging/screenshots.sh
