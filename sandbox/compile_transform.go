package sandbox

// This file holds compile's quick path: a module whose only module syntax is
// its default export, and which declares no top-level let, const or class,
// is compiled by esbuild's Transform, which costs about two thirds of a
// Build (no file system, no resolver, no CommonJS helpers), instead of by
// the Build compile otherwise runs. Code Mode's modules look like that,
// and so do many agents. Whatever the quick path is not sure of, warns of
// or fails on, compile does as before, so every error reads as it did.

import (
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// transformOptions are build's options for esbuild's Transform: the same
// parse, TypeScript and lowering, with the ESM output (so the text is
// parsed as a module, as build parses it) kept as it is, and the wrapper's
// first line as a banner, which esbuild counts in the source map.
func transformOptions(filename string, loader api.Loader) api.TransformOptions {
	return api.TransformOptions{
		Sourcefile:        filename,
		Loader:            loader,
		Format:            api.FormatESModule,
		Platform:          api.PlatformNeutral,
		Target:            esbuildTarget,
		Sourcemap:         api.SourceMapInline,
		SourcesContent:    api.SourcesContentExclude,
		Charset:           api.CharsetUTF8,
		LogLevel:          api.LogLevelSilent,
		LegalComments:     api.LegalCommentsNone,
		TreeShaking:       api.TreeShakingFalse,
		IgnoreAnnotations: true,
		Banner:            moduleWrapperStart,
	}
}

// transformable reports whether the quick path may compile source: its
// text says "export" once (its default export) and names neither import,
// require, module, exports nor eval. With no import and no require there
// is nothing for build's noImports to refuse; with no other export, the
// exports are ["default"]; the code cannot see the wrapper's module and
// exports, which the quick path uses differently (see transformed); and
// no direct eval can see which names esbuild gave the module's own.
// A word in a string or a comment is enough to send a module the long
// way: the test is on the text, not the syntax, so that it cannot be
// wrong.
func transformable(source string) bool {
	if strings.Count(source, "export") != 1 {
		return false
	}
	for _, w := range []string{"import", "require", "module", "eval"} {
		if strings.Contains(source, w) {
			return false
		}
	}
	return true
}

// transformTail is how esbuild's ESM output ends for a module whose one
// export is its default: the export statement last, then the source map.
const (
	transformTail    = "\nexport {\n  "
	transformTailEnd = " as default\n};\n"
	sourceMapComment = "//# sourceMappingURL="
)

// transformModule compiles source by esbuild's Transform into the
// program text goja runs (the wrapped module, as compile makes), or
// returns ok false when the module is not transformable, esbuild reports
// an error, or the output is not of the shape transformed reads.
func transformModule(filename, source string, loader api.Loader) (js string, ok bool) {
	if !transformable(source) {
		return "", false
	}
	res := api.Transform(source, transformOptions(filename, loader))
	// A warning too: what Transform warns of, Build may refuse (assigning
	// to a constant is an error when bundling).
	if len(res.Errors) > 0 || len(res.Warnings) > 0 {
		return "", false
	}
	return transformed(string(res.Code))
}

// transformed turns esbuild's ESM output into the wrapped CommonJS-style
// program: the final
//
//	export {
//	  NAME as default
//	};
//
// becomes `exports.default = NAME;` on as many lines. It returns ok false
// for any other output: a second export, an export of another shape, an
// output not ending in the source map. The module's own code cannot name
// exports (transformable), so the wrapper's exports object is the one
// the isolate reads, and NAME is esbuild's. The output is held to
// transformable as the source was: esbuild writes an identifier spelled
// with escapes (requ\u0069re) as plain text, so the test on the source
// alone would miss it.
func transformed(out string) (js string, ok bool) {
	body, found := strings.CutPrefix(out, moduleWrapperStart+"\n")
	if !found || !transformable(body) {
		return "", false
	}
	// Build makes var of a module's top-level let, const and class (so
	// reading one before its declaration gives undefined rather than a
	// ReferenceError); Transform does not. esbuild writes top-level
	// statements at the start of a line, so the quick path leaves such a
	// module to Build (a line of a template literal may send one there
	// for nothing).
	for _, decl := range []string{"\nconst ", "\nlet ", "\nclass "} {
		if strings.Contains(out, decl) {
			return "", false
		}
	}
	i := strings.LastIndex(out, transformTail)
	if i < 0 {
		return "", false
	}
	name, rest, found := strings.Cut(out[i+len(transformTail):], transformTailEnd)
	if !found || !isIdentifier(name) {
		return "", false
	}
	if !strings.HasPrefix(rest, sourceMapComment) || strings.IndexByte(rest, '\n') != len(rest)-1 {
		return "", false
	}
	return out[:i] + "\nexports.default = " + name + ";\n\n\n" + rest + moduleWrapperEnd, true
}

// isIdentifier reports whether s is a plain ASCII JavaScript identifier,
// as esbuild names a default export.
func isIdentifier(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
