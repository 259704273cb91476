# littleboxes — build, run and test.
#
#   make run    install what is missing (Debian/Ubuntu), build, open the window
#   make test   every test of the project (Go, frontend, the window under Xvfb)

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
	@bash build/deps.sh

frontend/node_modules: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

frontend: frontend/node_modules
	cd frontend && npm run build

build: frontend
	$(GO) build $(GOFLAGS) -tags $(TAGS) -ldflags "-w -s" -o $(BIN) .

# Every test: Go (with a real Secret Service on a private D-Bus), the frontend
# unit tests, the production binary in a real window under Xvfb, and the app
# end to end in headless Chromium through `littleboxes serve`.
test: frontend test-go test-frontend test-window test-e2e

test-go:
	@mkdir -p frontend/dist && [ -n "$$(ls -A frontend/dist)" ] || touch frontend/dist/.gitkeep
	$(GO) vet ./...
	bash build/with-keyring.sh $(GO) test $(GOFLAGS) -count=1 -timeout 20m ./...

test-frontend: frontend/node_modules
	cd frontend && npm test

test-window: build
	bash build/test-window.sh $(BIN)

# Screenshots go to build/screenshots only with UPDATE_SCREENSHOT=1.
test-e2e: build frontend/node_modules
	@shots=$(CURDIR)/build/screenshots; [ -n "$$UPDATE_SCREENSHOT" ] || shots=$$(mktemp -d); \
	SCREENSHOTS=$$shots bash build/with-keyring.sh bash build/test-e2e.sh $(BIN)

bench:
	$(GO) run . bench

clean:
	rm -rf build/bin frontend/dist/assets frontend/dist/index.html
