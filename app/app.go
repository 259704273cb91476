// Package app is the application: the API bound to the desktop window.
//
// RunWindow opens the window with Wails and binds one *API to it; every
// exported method of API becomes a function the frontend calls through the
// generated bindings in frontend/wailsjs/go/app. Methods return plain,
// JSON-friendly structs and never panic across the bridge: a failure is
// reported inside the returned value, so the page can show it.
//
// This is the only package that imports Wails. Built without the Wails build
// tags (desktop,production or dev), it still compiles, and RunWindow returns
// Wails' error saying the tags are missing.
package app

import (
	"context"
	"fmt"
	"io/fs"
	"sync"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"

	"littleboxes/sandbox"
)

// Title is the window title. build/test-window.sh finds the window by it.
const Title = "littleboxes"

// version is the application version shown in the window. Release builds
// may set it with -ldflags "-X littleboxes/app.version=…".
var version = "0.1.0-dev"

// Window geometry, in device-independent pixels.
const (
	windowWidth     = 1280
	windowHeight    = 860
	windowMinWidth  = 960
	windowMinHeight = 600
)

// API is the set of methods bound to the desktop window. Its zero value is
// not usable; create one with NewAPI.
type API struct {
	exec executor

	mu  sync.Mutex
	ctx context.Context // the Wails context, set at startup; cancelled at shutdown
}

// NewAPI returns an API that runs agent modules in-process.
func NewAPI() *API {
	return &API{exec: executor{
		compile:  sandbox.Compile,
		runner:   sandbox.NewInProcess(),
		deadline: DefaultExecDeadline,
	}}
}

// startup is Wails' OnStartup hook: it keeps the application context, which
// Wails cancels when the window closes, so running invocations end with it.
func (a *API) startup(ctx context.Context) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ctx = ctx
}

func (a *API) context() context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ctx == nil {
		return context.Background()
	}
	return a.ctx
}

// Version returns the application version, such as "0.1.0-dev".
func (a *API) Version() string { return version }

// Exec compiles source as an agent module (TypeScript or JavaScript) and runs
// its run(input, env, ctx) entry point once, with an empty env and the
// default limits (a 5 s deadline). inputJSON is the input as JSON text; an
// empty string means null. Every failure, including invalid input, is
// reported in the result's Error, never as a Go error or a panic.
func (a *API) Exec(source string, inputJSON string) ExecResult {
	return a.exec.run(a.context(), source, inputJSON)
}

// RunWindow opens the desktop window serving the frontend, which assets holds
// under frontend/dist, and returns when the window is closed. args are the
// command-line flags after the program name; Wails reads its own (such as
// -devserver in dev builds) from the command line itself, so they are
// accepted here and otherwise ignored.
func RunWindow(assets fs.FS, args []string) error {
	_ = args
	dist, err := fs.Sub(assets, "frontend/dist")
	if err != nil {
		return fmt.Errorf("frontend assets: %w", err)
	}
	api := NewAPI()
	err = wails.Run(&options.App{
		Title:            Title,
		Width:            windowWidth,
		Height:           windowHeight,
		MinWidth:         windowMinWidth,
		MinHeight:        windowMinHeight,
		BackgroundColour: &options.RGBA{R: 0x0f, G: 0x14, B: 0x1c, A: 0xff}, // --bg in frontend/src/styles.css
		AssetServer:      &assetserver.Options{Assets: dist},
		OnStartup:        api.startup,
		Bind:             []interface{}{api},
		Linux: &linux.Options{
			ProgramName: "littleboxes",
		},
	})
	if err != nil {
		return fmt.Errorf("window: %w", err)
	}
	return nil
}
