package sandbox

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
	"github.com/evanw/esbuild/pkg/api"
)

// Module is a compiled agent module: its source, the JavaScript esbuild made
// of it, and the goja program, shared read-only by every isolate of the code.
type Module struct {
	// Filename is the name the module was first compiled under (used in
	// messages and stack traces). Modules are shared by content: a file of
	// the same text compiled under another name gets this module, and its
	// stack traces name this file (same lines, same columns).
	Filename string
	// Source is the module's original TypeScript or JavaScript text.
	Source string
	// Hash is the hex SHA-256 of the filename's loader (TypeScript or
	// JavaScript) and the source, not of the name: the cache key, and what
	// a worker process compiles against.
	Hash string
	// JS is the compiled program text goja runs.
	JS string
	// Exports lists the module's export names (always includes "default").
	Exports []string

	prog *goja.Program
}

// moduleWrapperStart and moduleWrapperEnd enclose esbuild's CommonJS output in
// a function expression taking module, exports and require, so running the
// program yields a function and defines no global. They sit on the same line
// as the code so line numbers are unchanged.
const (
	moduleWrapperStart = "(function (module, exports, require) {"
	moduleWrapperEnd   = "\n})"
)

// esbuildTarget is the syntax level esbuild lowers to: what goja runs natively.
var esbuildTarget = api.ES2017

// maxSourceBytes bounds a module's source text.
const maxSourceBytes = 4 << 20

// Compile compiles an agent module written in TypeScript (a filename ending
// in .ts, .mts or .cts) or JavaScript with ES module syntax. The module must
// have a default export and may import nothing. Compiled modules are cached by
// content (the loader and the source, not the filename): compiling the same
// text again, under any name, is a map lookup and gives the same *Module, so
// ten thousand agents of one text share one program.
//
// A *CompileError reports each problem with file, line and column.
func Compile(filename, source string) (*Module, error) {
	if filename == "" {
		filename = "agent.ts"
	}
	loader := loaderFor(filename)
	hash := contentHash(loader, source)
	if m := defaultCache.get(hash); m != nil {
		stats.hits.Add(1)
		return m, nil
	}
	stats.compiles.Add(1)
	m, err := compile(filename, source, loader, hash)
	if err != nil {
		return nil, err
	}
	checked.add(hash)
	return defaultCache.put(m), nil
}

// Check reports whether Compile would accept the module, with the same
// *CompileError, at a fraction of the cost: esbuild checks it once and
// goja does not compile it. A text found good,
// by Check or Compile, under any name, is not checked again. The engine
// checks every agent's code before anything runs and compiles an agent's
// code when it first runs.
func Check(filename, source string) error {
	if filename == "" {
		filename = "agent.ts"
	}
	loader := loaderFor(filename)
	hash := contentHash(loader, source)
	if checked.has(hash) {
		stats.hits.Add(1)
		return nil
	}
	stats.checks.Add(1)
	if _, err := check(filename, source, loader); err != nil {
		return err
	}
	checked.add(hash)
	return nil
}

// CompileStats counts the work of Compile and Check since the process
// started.
type CompileStats struct {
	// Compiles is how many modules Compile compiled (cache misses).
	Compiles uint64
	// Checks is how many modules Check checked (texts not known good).
	Checks uint64
	// Hits is how many calls found the text compiled or checked already.
	Hits uint64
}

var stats struct{ compiles, checks, hits atomic.Uint64 }

// Stats returns the counts of Compile's and Check's work so far.
func Stats() CompileStats {
	return CompileStats{Compiles: stats.compiles.Load(), Checks: stats.checks.Load(), Hits: stats.hits.Load()}
}

// contentHash is a module's cache key: its loader and its text.
func contentHash(loader api.Loader, source string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00", loader)
	h.Write([]byte(source))
	return hex.EncodeToString(h.Sum(nil))
}

// checked remembers the hashes of texts found good, up to maxChecked; past
// that it forgets them all (they are checked again when next asked).
var checked = &hashSet{m: map[string]struct{}{}}

const maxChecked = 1 << 16

type hashSet struct {
	mu sync.Mutex
	m  map[string]struct{}
}

func (s *hashSet) has(h string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[h]
	return ok
}

func (s *hashSet) add(h string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= maxChecked {
		clear(s.m)
	}
	s.m[h] = struct{}{}
}

func loaderFor(filename string) api.Loader {
	switch strings.ToLower(path.Ext(filename)) {
	case ".ts", ".mts", ".cts":
		return api.LoaderTS
	default:
		return api.LoaderJS
	}
}

// noImports is an esbuild plugin refusing every import: an agent is a
// single module whose only door to the outside is env.
var noImports = api.Plugin{
	Name: "littleboxes-no-imports",
	Setup: func(b api.PluginBuild) {
		b.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
			return api.OnResolveResult{}, fmt.Errorf("cannot import %q: an agent is a single module; it reaches the outside only through env", args.Path)
		})
	},
}

// build runs esbuild on one module.
func build(filename, source string, loader api.Loader, format api.Format, meta bool, sourcemap api.SourceMap) api.BuildResult {
	return api.Build(buildOptions(filename, source, loader, format, meta, sourcemap))
}

// buildOptions are build's options for esbuild.
func buildOptions(filename, source string, loader api.Loader, format api.Format, meta bool, sourcemap api.SourceMap) api.BuildOptions {
	return api.BuildOptions{
		Stdin: &api.StdinOptions{
			Contents:   source,
			Sourcefile: filename,
			Loader:     loader,
		},
		Bundle:            true,
		Write:             false,
		Metafile:          meta,
		Format:            format,
		Platform:          api.PlatformNeutral,
		Target:            esbuildTarget,
		Sourcemap:         sourcemap,
		SourcesContent:    api.SourcesContentExclude,
		Charset:           api.CharsetUTF8,
		LogLevel:          api.LogLevelSilent,
		Plugins:           []api.Plugin{noImports},
		LegalComments:     api.LegalCommentsNone,
		TreeShaking:       api.TreeShakingFalse,
		IgnoreAnnotations: true,
	}
}

// check checks a module and returns its exports: by the quick path's
// Transform when it takes the module (its exports are then ["default"]),
// else by checkBuild.
func check(filename, source string, loader api.Loader) ([]string, error) {
	if len(source) > maxSourceBytes {
		return nil, &CompileError{Messages: []CompileMessage{{File: filename, Text: fmt.Sprintf("source is %d bytes, more than the %d allowed", len(source), maxSourceBytes)}}}
	}
	if _, ok := transformModule(filename, source, loader); ok {
		return []string{"default"}, nil
	}
	return checkBuild(filename, source, loader)
}

// checkBuild checks a module with esbuild's ESM build, which also lists its
// exports (esbuild's metafile names exports only for ESM output), and
// returns the exports. It is what check does for a module the
// quick path does not take, and for a module it takes, what check did
// before it (the tests compare the two).
func checkBuild(filename, source string, loader api.Loader) ([]string, error) {
	res := build(filename, source, loader, api.FormatESModule, true, api.SourceMapNone)
	if len(res.Errors) > 0 {
		return nil, compileErrorFrom(filename, res.Errors)
	}
	exports, err := exportsFromMetafile(res.Metafile)
	if err != nil {
		return nil, &CompileError{Messages: []CompileMessage{{File: filename, Text: err.Error()}}}
	}
	if !slices.Contains(exports, "default") {
		return nil, &CompileError{Messages: []CompileMessage{{File: filename, Line: 1, Column: 1,
			Text: "the module has no default export: write `export default { async run(input, env, ctx) { … } }`"}}}
	}
	return exports, nil
}

// compile checks a module, then builds the CommonJS code goja runs, with an
// inline source map so stack traces point at the original lines, and
// compiles it with goja.
//
// A module whose only module syntax is its default export is compiled by
// esbuild's Transform instead (transformModule), when that succeeds and
// goja compiles the result; any other goes to compileBuild. There, a
// module that builds and whose exports, default among them, can be read
// from the CommonJS output (cjsExports) costs one esbuild build; any other
// is checked by the ESM build as well, so its errors are exactly check's.
func compile(filename, source string, loader api.Loader, hash string) (*Module, error) {
	if len(source) > maxSourceBytes {
		_, err := check(filename, source, loader) // the size error
		return nil, err
	}
	if js, ok := transformModule(filename, source, loader); ok {
		if prog, err := compileJS(filename, js); err == nil {
			return &Module{Filename: filename, Source: source, Hash: hash, JS: js, Exports: []string{"default"}, prog: prog}, nil
		}
		// The long way says what goja refused, as it always has.
	}
	return compileBuild(filename, source, loader, hash)
}

// compileBuild is compile by esbuild's Build: what compile does for a
// module the quick path does not take (or fails on), and for a module it
// takes, what compile did before it (the tests compare the two).
func compileBuild(filename, source string, loader api.Loader, hash string) (*Module, error) {
	res := build(filename, source, loader, api.FormatCommonJS, false, api.SourceMapInline)
	var out string
	if len(res.OutputFiles) == 1 {
		out = string(res.OutputFiles[0].Contents)
	}
	exports, ok := cjsExports(out)
	if len(res.Errors) > 0 || !ok || !slices.Contains(exports, "default") {
		var err error
		if exports, err = checkBuild(filename, source, loader); err != nil {
			return nil, err
		}
	}
	if len(res.Errors) > 0 {
		return nil, compileErrorFrom(filename, res.Errors)
	}
	if len(res.OutputFiles) != 1 {
		return nil, &CompileError{Messages: []CompileMessage{{File: filename, Text: fmt.Sprintf("esbuild produced %d outputs, want 1", len(res.OutputFiles))}}}
	}
	js := moduleWrapperStart + leanHelpers(out) + moduleWrapperEnd
	prog, err := compileJS(filename, js)
	if err != nil {
		return nil, err
	}
	return &Module{Filename: filename, Source: source, Hash: hash, JS: js, Exports: exports, prog: prog}, nil
}

// compileJS compiles a module's wrapped JavaScript into the goja program.
func compileJS(filename, js string) (*goja.Program, error) {
	ast, err := goja.Parse(filename, js, parser.WithSourceMapLoader(refuseSourceMapFile))
	if err != nil {
		return nil, &CompileError{Messages: []CompileMessage{{File: filename, Text: "goja: " + err.Error()}}}
	}
	prog, err := goja.CompileAST(ast, true)
	if err != nil {
		return nil, &CompileError{Messages: []CompileMessage{{File: filename, Text: "goja: " + err.Error()}}}
	}
	return prog, nil
}

// Load makes a runnable module of the JavaScript Compile made of a module
// elsewhere (Module.JS, under Module.Filename and Module.Hash), compiling
// only the goja program: esbuild's checking and bundling were done where
// the module was compiled. A cell loads the modules the main process
// compiled this way. The module's Source and Exports are empty. Load does
// not widen what an agent can do: the text still runs in an isolate like
// any other, and a text that was not made by Compile is at worst a broken
// module.
func Load(filename, hash, js string) (*Module, error) {
	if hash == "" {
		return nil, errors.New("sandbox: loading a module with no hash")
	}
	if len(js) > maxLoadBytes {
		return nil, &CompileError{Messages: []CompileMessage{{File: filename, Text: fmt.Sprintf("compiled module is %d bytes, more than the %d allowed", len(js), maxLoadBytes)}}}
	}
	prog, err := compileJS(filename, js)
	if err != nil {
		return nil, err
	}
	return &Module{Filename: filename, Hash: hash, JS: js, prog: prog}, nil
}

// maxLoadBytes bounds the JavaScript Load takes: a module's source limit,
// with room for esbuild's helpers and the inline source map.
const maxLoadBytes = 4*maxSourceBytes + 1<<20

// cjsExports reads a module's export names from esbuild's CommonJS output,
// which declares them, sorted, in one call before any of the module's own
// code:
//
//	var __defProp = Object.defineProperty;   (esbuild's helpers, first)
//	…
//	// agent.ts
//	var agent_exports = {};
//	__export(agent_exports, {
//	  default: () => agent_default,
//	  x: () => x
//	});
//	module.exports = __toCommonJS(agent_exports);
//	(the module's code)
//
// Only esbuild's helpers come before that call, so no text of the module
// can be taken for it. ok is false when the output is not of this shape
// (a module with no exports, or another esbuild): the caller then asks
// esbuild's metafile. TestCJSExports checks it against the metafile.
func cjsExports(out string) (names []string, ok bool) {
	if !strings.HasPrefix(out, "var __defProp = Object.defineProperty;\n") {
		return nil, false
	}
	const call, end = "\n__export(", "\n});\nmodule.exports = __toCommonJS("
	i := strings.Index(out, call)
	if i < 0 {
		return nil, false
	}
	head := out[:i]
	if !strings.Contains(head, "\nvar __export = (target, all) => {\n") {
		return nil, false
	}
	// The line before the call declares its target: var NAME_exports = {};
	nl := strings.LastIndexByte(head, '\n')
	decl := head[nl+1:]
	target, found := strings.CutPrefix(decl, "var ")
	target, found2 := strings.CutSuffix(target, " = {};")
	if !found || !found2 || !strings.HasSuffix(target, "_exports") {
		return nil, false
	}
	rest, found := strings.CutPrefix(out[i+len(call):], target+", {\n")
	if !found {
		return nil, false
	}
	j := strings.Index(rest, end)
	if j < 0 || !strings.HasPrefix(rest[j+len(end):], target+");\n") {
		return nil, false
	}
	for _, line := range strings.Split(rest[:j], "\n") {
		line = strings.TrimSuffix(strings.TrimPrefix(line, "  "), ",")
		key, _, found := strings.Cut(line, ": () => ")
		if !found || key == "" {
			return nil, false
		}
		// A quoted name ("a b") is refused by the ESM build for this
		// target, not by the CommonJS one: leave it to check.
		if strings.ContainsAny(key, " \"'`\\") {
			return nil, false
		}
		names = append(names, key)
	}
	return names, len(names) > 0
}

// esbuild's CommonJS helpers, as the pinned esbuild writes them, and the same
// helpers written to cost less in a fresh runtime. `for (name in all)` walks
// the prototype chain, which makes goja build every method of
// Object.prototype (about a tenth of an isolate's allocations), and `for
// (… of …)` builds the array iterator machinery; indexed loops over own
// names do neither. __toCommonJS copied the exports object into a new one
// of getters marked __esModule; the exports object (its getters are the
// live bindings) serves as module.exports as it is, since only the sandbox
// reads it. Each replacement keeps the line count, so the inline source map
// still points at the right lines. TestLeanHelpers fails when an esbuild
// upgrade changes the helpers' text.
var leanHelperReplacer = strings.NewReplacer(
	`var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);`,
	`var __toCommonJS = (mod) => mod;`,
	`var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};`, `var __export = (target, all) => {
  for (var names = __getOwnPropNames(all), i = 0; i < names.length; i++)
    __defProp(target, names[i], { get: all[names[i]], enumerable: true });
};`,
	`    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });`,
	`    for (let names = __getOwnPropNames(from), i = 0; i < names.length; i++) { let key = names[i];
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable }); }`,
)

func leanHelpers(js string) string { return leanHelperReplacer.Replace(js) }

// refuseSourceMapFile keeps goja's parser from reading a source map from the
// filesystem; esbuild's inline (data:) map needs no loader.
func refuseSourceMapFile(string) ([]byte, error) {
	return nil, errors.New("source maps are only read inline")
}

func compileErrorFrom(filename string, msgs []api.Message) *CompileError {
	ce := &CompileError{}
	for _, m := range msgs {
		cm := CompileMessage{File: filename, Text: m.Text}
		if m.Location != nil {
			cm.File = m.Location.File
			cm.Line = m.Location.Line
			cm.Column = m.Location.Column + 1 // esbuild columns are 0-based
		}
		if strings.HasPrefix(cm.File, "<stdin>") || cm.File == "" {
			cm.File = filename
		}
		ce.Messages = append(ce.Messages, cm)
	}
	return ce
}

// exportsFromMetafile reads the export names of the single output.
func exportsFromMetafile(meta string) ([]string, error) {
	var mf struct {
		Outputs map[string]struct {
			Exports []string `json:"exports"`
		} `json:"outputs"`
	}
	if err := jsonUnmarshal([]byte(meta), &mf); err != nil {
		return nil, fmt.Errorf("reading esbuild metafile: %w", err)
	}
	for _, o := range mf.Outputs {
		return o.Exports, nil
	}
	return nil, errors.New("esbuild metafile lists no output")
}

// moduleCache is a bounded LRU of compiled modules by hash.
type moduleCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recently used; values are *Module
	byKey map[string]*list.Element
}

// defaultCache holds up to 4096 compiled modules.
var defaultCache = newModuleCache(4096)

func newModuleCache(max int) *moduleCache {
	return &moduleCache{max: max, order: list.New(), byKey: make(map[string]*list.Element)}
}

func (c *moduleCache) get(hash string) *Module {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[hash]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*Module)
	}
	return nil
}

// put stores m unless another goroutine stored the same hash first, and
// returns the cached module either way.
func (c *moduleCache) put(m *Module) *Module {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[m.Hash]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*Module)
	}
	c.byKey[m.Hash] = c.order.PushFront(m)
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*Module).Hash)
	}
	return m
}
