# littleboxes — build, run and test.
#
#   make run    install what is missing (Debian/Ubuntu), build, open the window
#   make test   install what is missing, then every test of the project (Go,
#               frontend, the window under Xvfb, the app in headless Chromium)
#
# Every target that builds or tests runs `deps` first (build/deps.sh: apt
# packages, skipping what is there; quick when nothing is missing) and npm ci
# wherever node packages are used, so each works on a fresh machine by itself.
# SKIP_DEPS=1 skips the system check (a machine set up some other way).

SHELL      := /bin/bash
BIN        := build/bin/littleboxes
TAGS       := desktop,production,webkit2_41
GO         ?= go
GOFLAGS    ?=
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin

.PHONY: run deps frontend build test test-go test-frontend test-window test-e2e bench clean

run: deps build
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		echo "no display: running under xvfb-run (screenshots with 'import -window root')"; \
		exec xvfb-run -a -s "-screen 0 1280x900x24 -nolisten tcp" $(BIN); \
	fi; exec $(BIN)

deps:
	@[ -n "$$SKIP_DEPS" ] || bash build/deps.sh

frontend/node_modules: frontend/package-lock.json | deps
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

frontend: deps frontend/node_modules
	cd frontend && npm run build

build: deps frontend
	$(GO) build $(GOFLAGS) -tags $(TAGS) -ldflags "-w -s" -o $(BIN) .

# Every test: Go (with a real Secret Service on a private D-Bus), the frontend
# unit tests, the production binary in a real window under Xvfb, and the app
# end to end in headless Chromium through `littleboxes serve`.
test: deps frontend test-go test-frontend test-window test-e2e

# The MCP servers the Go tests start (capabilities/mcp), pinned by a lockfile.
build/testservers/node_modules: build/testservers/package-lock.json | deps
	cd build/testservers && npm ci --no-audit --no-fund
	@touch $@

test-go: deps build/testservers/node_modules
	@mkdir -p frontend/dist && [ -n "$$(ls -A frontend/dist)" ] || touch frontend/dist/.gitkeep
	$(GO) vet ./...
	bash build/with-keyring.sh $(GO) test $(GOFLAGS) -count=1 -timeout 20m ./...

test-frontend: deps frontend/node_modules
	cd frontend && npm test

test-window: deps build
	bash build/test-window.sh $(BIN)

# Screenshots go to build/screenshots only with UPDATE_SCREENSHOT=1.
test-e2e: deps build frontend/node_modules
	@shots=$(CURDIR)/build/screenshots; [ -n "$$UPDATE_SCREENSHOT" ] || shots=$$(mktemp -d); \
	SCREENSHOTS=$$shots bash build/with-keyring.sh bash build/test-e2e.sh $(BIN)

bench: deps
	@mkdir -p frontend/dist && [ -n "$$(ls -A frontend/dist)" ] || touch frontend/dist/.gitkeep
	$(GO) run . bench

# Packages of the production binary in build/dist/: a .deb (/usr/bin, the
# desktop file, the icon; Depends on GTK 3 and WebKitGTK 4.1) and a tarball.
.PHONY: package test-package
package: deps build
	bash build/package.sh $(BIN)

# The .deb installs into a clean root (dpkg --root, never the real system),
# and the installed binary opens its window under Xvfb and closes. Not part
# of `make test` (about a minute).
test-package: deps build
	bash build/test-package.sh $(BIN)

clean:
	rm -rf build/bin frontend/dist/assets frontend/dist/index.html
