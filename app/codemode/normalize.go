// Package codemode is Code Mode: a model writes an agent's code from the
// owner's instructions and the agent's env declaration, and littleboxes
// normalises, compiles and runs it inside the agent's own box.
//
// This file holds the normaliser: whatever shape a model's reply takes — a
// fenced block or bare code; an `export default {…}` module, a default-exported
// function, an async arrow or function, a function declaration, or a bare body
// whose last expression is its result — Normalize turns it into one agent
// module whose run and onMessage both call the code with (input, env, ctx).
// TypeScript is fine: esbuild strips the types. The normaliser never runs the
// code; a reply it cannot make into a module is an error to send back to the
// model for another attempt.
package codemode

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
	"github.com/evanw/esbuild/pkg/api"
)

// ErrNoCode means a model's reply holds no code at all.
var ErrNoCode = errors.New("the reply holds no code")

// ErrSyntax wraps a reply whose code does not parse; its message names the
// line and column in the code as the model wrote it.
var ErrSyntax = errors.New("the code does not parse")

// MaxReplyBytes bounds a reply the normaliser reads; a longer one is refused
// rather than parsed (the llm capability's own cap normally stops it sooner).
const MaxReplyBytes = 1 << 20

// Names the normaliser gives the wrapped code. They are long and prefixed
// so that a model's own names do not collide with them.
const (
	bodyName    = "__littleboxes_body"
	mainName    = "__littleboxes_main"
	defaultName = "__littleboxes_default"
)

// fence matches a Markdown code fence's opening line: ``` or ~~~, at least
// three, with an optional info string (the language).
var fence = regexp.MustCompile("(?m)^[ \t]*(`{3,}|~{3,})[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n")

// codeLangs are the info strings of a fence whose block is taken as code.
var codeLangs = map[string]bool{
	"": true, "js": true, "javascript": true, "ts": true, "typescript": true,
	"mjs": true, "mts": true, "jsx": true, "tsx": true,
}

// exportDefault matches `export default` at the start of a line.
var exportDefault = regexp.MustCompile(`(?m)^[ \t]*export[ \t]+default\b`)

// Extract returns the code in a model's reply: the first fenced block in a
// JavaScript or TypeScript language (or none), else the first fenced block of
// any language, else the whole reply. A fence left open (a reply cut short)
// runs to the end of the reply.
func Extract(reply string) string {
	var first string
	found := false
	rest := reply
	for {
		loc := fence.FindStringSubmatchIndex(rest)
		if loc == nil {
			break
		}
		marker := rest[loc[2]:loc[3]]
		lang := strings.ToLower(rest[loc[4]:loc[5]])
		body := rest[loc[1]:]
		end := closingFence(body, marker)
		block := body
		next := ""
		if end >= 0 {
			block = body[:end]
			next = body[end:]
			if nl := strings.IndexByte(next, '\n'); nl >= 0 {
				next = next[nl+1:]
			} else {
				next = ""
			}
		}
		if codeLangs[lang] {
			return strings.TrimSpace(block)
		}
		if !found {
			first, found = strings.TrimSpace(block), true
		}
		if end < 0 {
			break
		}
		rest = next
	}
	if found {
		return first
	}
	return strings.TrimSpace(reply)
}

// closingFence returns the offset in body of the line closing a fence
// opened with marker, or -1.
func closingFence(body, marker string) int {
	off := 0
	for off <= len(body) {
		line := body[off:]
		nl := strings.IndexByte(line, '\n')
		if nl >= 0 {
			line = line[:nl]
		}
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, marker[:3]) && strings.Trim(t, marker[:1]) == "" && len(t) >= len(marker) {
			return off
		}
		if nl < 0 {
			return -1
		}
		off += nl + 1
	}
	return -1
}

// Normalize turns a model's reply into the source of an agent module (in
// TypeScript, which a JavaScript module also is) whose run and onMessage call
// the code with (input, env, ctx). A reply with no code is ErrNoCode; code
// that does not parse is ErrSyntax with the place as the model wrote it.
func Normalize(reply string) (string, error) {
	if len(reply) > MaxReplyBytes {
		return "", fmt.Errorf("the reply is %d bytes, more than the %d a reply may be", len(reply), MaxReplyBytes)
	}
	code := Extract(reply)
	if code == "" {
		return "", ErrNoCode
	}
	if loc := exportDefault.FindStringIndex(code); loc != nil {
		return normalizeModule(code, loc)
	}
	return normalizeBody(code)
}

// normalizeModule keeps a module as it is, unless its default export is a
// function: then the function becomes both entry points.
func normalizeModule(code string, loc []int) (string, error) {
	after := strings.TrimLeft(code[loc[1]:], " \t\r\n")
	if !(strings.HasPrefix(after, "{") || strings.HasPrefix(after, "async") ||
		strings.HasPrefix(after, "function") || strings.HasPrefix(after, "(")) {
		// A name or anything else: it is the module's business.
		return code, nil
	}
	if strings.HasPrefix(after, "{") {
		return code, nil
	}
	var b strings.Builder
	b.WriteString(code[:loc[0]])
	b.WriteString("const " + defaultName + " = ")
	b.WriteString(after)
	b.WriteString("\n;\n")
	writeMain(&b, defaultName)
	return b.String(), nil
}

// normalizeBody wraps code that is not a module: a function (arrow,
// expression or declaration) is called with (input, env, ctx); a bare body
// runs, and its last expression statement is its result.
func normalizeBody(code string) (string, error) {
	const head = "async function " + bodyName + "(input: any, env: any, ctx: any) {\n"
	wrapped := head + code + "\n}\n"
	res := api.Transform(wrapped, api.TransformOptions{
		Loader:   api.LoaderTS,
		Target:   api.ES2017,
		Format:   api.FormatDefault,
		LogLevel: api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		return "", syntaxError(res.Errors[0], 1)
	}
	js := string(res.Code)
	prog, err := goja.Parse("code.js", js)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	var body *ast.FunctionLiteral
	for _, st := range prog.Body {
		if fd, ok := st.(*ast.FunctionDeclaration); ok && fd.Function.Name != nil && fd.Function.Name.Name == bodyName {
			body = fd.Function
		}
	}
	if body == nil || body.Body == nil {
		return "", fmt.Errorf("%w: the code could not be wrapped in a function", ErrSyntax)
	}
	stmts := body.Body.List
	// Skip trailing empty statements (stray semicolons).
	for len(stmts) > 0 {
		if _, ok := stmts[len(stmts)-1].(*ast.EmptyStatement); !ok {
			break
		}
		stmts = stmts[:len(stmts)-1]
	}
	var b strings.Builder
	if len(stmts) > 0 {
		switch last := stmts[len(stmts)-1].(type) {
		case *ast.ExpressionStatement:
			at := statementStart(js, int(exprStart(last.Expression))-1)
			b.WriteString(js[:at])
			b.WriteString("return ")
			b.WriteString(js[at:])
		case *ast.FunctionDeclaration:
			at := int(body.Body.RightBrace) - 1
			b.WriteString(js[:at])
			b.WriteString("return " + last.Function.Name.Name.String() + ";\n")
			b.WriteString(js[at:])
		default:
			b.WriteString(js)
		}
	} else {
		b.WriteString(js)
	}
	b.WriteString("\n")
	writeMain(&b, bodyName)
	return b.String(), nil
}

// exprStart returns where e starts. goja's Idx0 is that but for a tagged
// template (String.raw`…`), where it is the template's opening quote, not
// the tag's start, also when the template is the leftmost part of a larger
// expression.
func exprStart(e ast.Expression) file.Idx {
	switch x := e.(type) {
	case *ast.TemplateLiteral:
		if x.Tag != nil {
			return exprStart(x.Tag)
		}
	case *ast.AssignExpression:
		return exprStart(x.Left)
	case *ast.BinaryExpression:
		return exprStart(x.Left)
	case *ast.BracketExpression:
		return exprStart(x.Left)
	case *ast.CallExpression:
		return exprStart(x.Callee)
	case *ast.ConditionalExpression:
		return exprStart(x.Test)
	case *ast.DotExpression:
		return exprStart(x.Left)
	case *ast.PrivateDotExpression:
		return exprStart(x.Left)
	case *ast.SequenceExpression:
		return exprStart(x.Sequence[0])
	case *ast.OptionalChain:
		return exprStart(x.Expression)
	case *ast.Optional:
		return exprStart(x.Expression)
	case *ast.UnaryExpression:
		if x.Postfix {
			return exprStart(x.Operand)
		}
	}
	return e.Idx0()
}

// statementStart returns where an expression statement starts in esbuild's
// output, given where its expression starts: before any parentheses around
// it (esbuild keeps them only where needed, as around an object literal).
func statementStart(js string, at int) int {
	start := at
	for i := at; i > 0; i-- {
		switch js[i-1] {
		case '(':
			start = i - 1
		case ' ', '\t', '\n', '\r':
		default:
			return start
		}
	}
	return start
}

// writeMain writes the module's entry points: both call fn with (input,
// env, ctx), and call what it returns the same way when that is a function
// (the code was a function to call).
func writeMain(b *strings.Builder, fn string) {
	fmt.Fprintf(b, "async function %s(input, env, ctx) {\n", mainName)
	// env is also a global, as code written for an MCP client's execute
	// expects (async () => env.x.y()).
	fmt.Fprintf(b, "  globalThis.env = env;\n")
	fmt.Fprintf(b, "  let r = await %s(input, env, ctx);\n", fn)
	fmt.Fprintf(b, "  if (typeof r === \"function\") r = await r(input, env, ctx);\n")
	fmt.Fprintf(b, "  return r;\n}\n")
	fmt.Fprintf(b, "export default { run: %s, onMessage: %s };\n", mainName, mainName)
}

// syntaxError names the place of an esbuild error in the code as the model
// wrote it: lineShift lines of wrapper come before it.
func syntaxError(m api.Message, lineShift int) error {
	if m.Location == nil {
		return fmt.Errorf("%w: %s", ErrSyntax, m.Text)
	}
	line := m.Location.Line - lineShift
	if line < 1 {
		line = 1
	}
	return fmt.Errorf("%w: line %d, column %d: %s: %s", ErrSyntax, line, m.Location.Column+1, m.Text, strings.TrimSpace(m.Location.LineText))
}
