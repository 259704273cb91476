package codemode

// This file holds the normaliser's fast path: a bare body or a function
// whose last statement can be found by scanning the text, without
// esbuild's parse (one esbuild pass costs about a millisecond, most of it
// esbuild's fixed cost per call, so normalising by parsing doubled the cost
// of compiling new code). The scanner tracks only what decides where a
// statement ends: brackets, strings, templates, comments and regular
// expressions, and the tokens between. Whatever it is not sure of, it
// leaves to normalizeBody, which parses. Module compiles its output and
// falls back to normalizeBody when that fails, so errors read the same.

import (
	"strings"
	"unicode/utf8"

	"littleboxes/sandbox"
)

// Module normalises a model's reply (as Normalize) and compiles the
// module under filename (as sandbox.Compile). Its errors are Normalize's
// and sandbox.Compile's (a reply whose code does not parse is ErrSyntax,
// at the line the model wrote). It is quicker than Normalize then Compile
// for the usual shapes of code, which it wraps without parsing them first:
// the compile parses them once.
func Module(filename, reply string) (*sandbox.Module, error) {
	if len(reply) <= MaxReplyBytes {
		code := Extract(reply)
		if code != "" && exportDefault.FindStringIndex(code) == nil {
			if src, ok := normalizeFast(code); ok {
				if m, err := sandbox.Compile(filename, src); err == nil {
					return m, nil
				}
				// The parsing path says where the model's code is wrong.
			}
		}
	}
	src, err := Normalize(reply)
	if err != nil {
		return nil, err
	}
	return sandbox.Compile(filename, src)
}

// normalizeFast is normalizeBody for code whose last top-level statement
// the scanner can delimit and classify; ok is false for any other, and for
// code the scanner cannot read (it is then normalizeBody's to parse). It
// does not check the code: a syntax error shows when it is compiled.
func normalizeFast(code string) (src string, ok bool) {
	p, ok := planFast(code)
	if !ok {
		return "", false
	}
	const head = "async function " + bodyName + "(input: any, env: any, ctx: any) {\n"
	var b strings.Builder
	b.Grow(len(head) + len(code) + 300)
	b.WriteString(head)
	switch p.shape {
	case shapeExpression:
		b.WriteString(code[:p.at])
		b.WriteString("return ")
		b.WriteString(code[p.at:])
	case shapeFunction:
		b.WriteString(code)
		b.WriteString("\nreturn " + p.name + ";")
	default:
		b.WriteString(code)
	}
	b.WriteString("\n}\n")
	writeMain(&b, bodyName)
	return b.String(), true
}

// plan is what the fast path makes of a body's last statement.
type plan struct {
	shape int
	at    int    // where the expression starts (shapeExpression)
	name  string // the function's name (shapeFunction)
}

// planFast finds and classifies code's last top-level statement, or
// returns ok false.
func planFast(code string) (p plan, ok bool) {
	toks, ok := scanTop(code)
	if !ok {
		return plan{}, false
	}
	// Trailing empty statements.
	for len(toks) > 0 && toks[len(toks)-1].is(";") {
		toks = toks[:len(toks)-1]
	}
	if len(toks) == 0 {
		return plan{}, false
	}
	// The last statement follows the last top-level semicolon; it must be
	// on one line at the top level (else where it starts depends on
	// automatic semicolon insertion).
	last := toks
	for i := len(toks) - 1; i >= 0; i-- {
		if toks[i].is(";") {
			last = toks[i+1:]
			break
		}
	}
	for _, t := range last[1:] {
		if t.nl {
			return plan{}, false
		}
	}
	p.shape = shape(last)
	switch p.shape {
	case shapeExpression:
		p.at = last[0].start
	case shapeFunction:
		if p.name = functionName(last); p.name == "" {
			return plan{}, false
		}
	case shapeStatement:
	default:
		return plan{}, false
	}
	return p, true
}

// Shapes of a last statement.
const (
	shapeUnknown    = iota
	shapeExpression // an expression statement: its value is the result
	shapeStatement  // a declaration, return or throw: nothing to add
	shapeFunction   // a function declaration: the function is the result
)

// notExpression are the words that, first in a statement, make it
// something other than an expression statement (or might: TypeScript's
// contextual keywords among them).
var notExpression = map[string]bool{
	"abstract": true, "accessor": true, "break": true, "case": true, "catch": true, "class": true,
	"continue": true, "debugger": true, "declare": true, "default": true, "do": true, "else": true,
	"enum": true, "export": true, "finally": true, "for": true, "global": true, "if": true,
	"implements": true, "import": true, "interface": true, "let": true, "module": true,
	"namespace": true, "package": true, "private": true, "protected": true, "public": true,
	"readonly": true, "static": true, "switch": true, "try": true, "type": true, "using": true,
	"while": true, "with": true, "yield": true, "var": true, "const": true, "return": true,
	"throw": true, "function": true, "async": true,
}

// shape classifies a statement by its first tokens.
func shape(st []token) int {
	first := st[0]
	switch first.kind {
	case tokIdent:
		switch first.text {
		case "const", "let", "var", "return", "throw":
			return shapeStatement
		case "function":
			return shapeFunction
		case "async":
			if len(st) > 1 && st[1].is("function") {
				return shapeFunction
			}
			if len(st) > 1 && st[1].kind == tokGroup && st[1].text == "(" {
				return shapeExpression // an async arrow function (or a call of async)
			}
			return shapeUnknown
		}
		if notExpression[first.text] {
			return shapeUnknown
		}
		if len(st) > 1 && st[1].is(":") {
			return shapeUnknown // a label
		}
		return shapeExpression
	case tokNumber, tokString, tokTemplate, tokRegExp:
		return shapeExpression
	case tokGroup:
		if first.text == "(" || first.text == "[" {
			return shapeExpression
		}
		return shapeUnknown // a block
	case tokPunct:
		switch first.text {
		case "!", "-", "+", "~", "++", "--":
			return shapeExpression
		}
	}
	return shapeUnknown
}

// functionName returns the name a function declaration's statement
// declares ([async] function [*] NAME …), or "".
func functionName(st []token) string {
	i := 0
	if st[i].is("async") {
		i++
	}
	if i >= len(st) || !st[i].is("function") {
		return ""
	}
	i++
	if i < len(st) && st[i].is("*") {
		i++
	}
	if i >= len(st) || st[i].kind != tokIdent || notExpression[st[i].text] {
		return ""
	}
	name := st[i].text
	// The parameters, after type parameters holding no group.
	j := i + 1
	for j < len(st) && st[j].kind != tokGroup {
		j++
	}
	if j == len(st) || st[j].text != "(" || (j > i+1 && !st[i+1].is("<")) {
		return ""
	}
	// The body, the statement's last token: right after the parameters,
	// or after a return type holding no braces.
	rest := st[j+1:]
	if len(rest) > 1 && !rest[0].is(":") {
		return ""
	}
	for k, t := range rest {
		if t.kind == tokGroup && t.text == "{" && k != len(rest)-1 {
			return ""
		}
	}
	if len(rest) == 0 || rest[len(rest)-1].kind != tokGroup || rest[len(rest)-1].text != "{" {
		return ""
	}
	return name
}

// Token kinds.
const (
	tokIdent    = iota + 1 // a name or a keyword
	tokNumber              // a numeric literal
	tokString              // a string literal
	tokTemplate            // a template literal, with its substitutions
	tokRegExp              // a regular expression literal
	tokPunct               // punctuation
	tokGroup               // a bracketed group: ( … ), [ … ] or { … }; text is the opener
)

// token is one top-level token of a body.
type token struct {
	kind  int
	text  string // a name, punctuation, or a group's opener
	start int    // its offset in the code
	nl    bool   // a line break comes between the previous token and this one
}

func (t token) is(s string) bool {
	return (t.kind == tokIdent || t.kind == tokPunct) && t.text == s
}

// regexAfter are the words after which a slash starts a regular
// expression (elsewhere after a name it divides).
var regexAfter = map[string]bool{
	"return": true, "typeof": true, "instanceof": true, "in": true, "of": true, "new": true,
	"delete": true, "void": true, "throw": true, "case": true, "do": true, "else": true,
	"await": true, "yield": true, "extends": true,
}

// controlParen are the words whose parenthesised head is followed by a
// statement, which may start with a regular expression.
var controlParen = map[string]bool{"if": true, "while": true, "for": true, "with": true}

// bracket is an open bracket: its closer, and whether a regular expression
// may follow it once closed (the head of if, while, for or with).
type bracket struct {
	close     byte
	regexNext bool
}

// scanTop returns code's top-level tokens, each bracketed group and each
// template literal as one token. ok is false where the scanner is not sure
// how JavaScript or TypeScript would read the text: unbalanced brackets,
// an unterminated string, template, comment or regular expression, a
// slash after a closing brace, characters outside ASCII in code (in
// strings and comments they are fine), text that is not UTF-8, line
// breaks other than \n and
// \r\n (U+2028 ends a line comment), a backslash in code, a private name
// or a decorator.
func scanTop(code string) (toks []token, ok bool) {
	var (
		stack []bracket
		nl    bool // a line break since the last top-level token
		// What came last, for telling a regular expression from a
		// division: regexOK means a slash here starts a regular expression.
		regexOK   = true
		ambiguous bool // the last token was a closing brace
		// The last name, for a parenthesis that opens an if, while, for
		// or with head.
		lastWord  string
		tmplStart = -1 // the start of a top-level template literal, if inside one
	)
	if !utf8.ValidString(code) || strings.Contains(code, "\u2028") || strings.Contains(code, "\u2029") ||
		strings.Count(code, "\r") != strings.Count(code, "\r\n") {
		return nil, false // line breaks other than \n and \r\n
	}
	emit := func(kind int, text string, start int) {
		if len(stack) == 0 {
			toks = append(toks, token{kind: kind, text: text, start: start, nl: nl})
			nl = false
		}
	}
	n := len(code)
	i := 0
	// template scans a template literal's text from j, to its end or to a
	// substitution's code, which it opens.
	template := func(j int) bool {
		end, open, ok := skipTemplate(code, j)
		if !ok {
			return false
		}
		i = end
		if open {
			stack = append(stack, bracket{close: '$'})
			regexOK = true
			return true
		}
		if tmplStart >= 0 && len(stack) == 0 {
			emit(tokTemplate, "", tmplStart)
			tmplStart = -1
		}
		regexOK = false
		return true
	}
	for i < n {
		c := code[i]
		switch {
		case c == '\n':
			if len(stack) == 0 {
				nl = true
			}
			i++
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
			i++
			continue
		case c == '/' && i+1 < n && code[i+1] == '/':
			end := strings.IndexByte(code[i:], '\n')
			if end < 0 {
				i = n
			} else {
				i += end
			}
			continue
		case c == '/' && i+1 < n && code[i+1] == '*':
			end := strings.Index(code[i+2:], "*/")
			if end < 0 {
				return nil, false
			}
			if strings.IndexByte(code[i+2:i+2+end], '\n') >= 0 && len(stack) == 0 {
				nl = true // a comment holding a line break is one
			}
			i += 2 + end + 2
			continue
		}
		start := i
		word := ""
		switch {
		case isIdentStart(c):
			for i < n && isIdentPart(code[i]) {
				i++
			}
			word = code[start:i]
			emit(tokIdent, word, start)
			regexOK = regexAfter[word]
		case c >= '0' && c <= '9' || c == '.' && i+1 < n && code[i+1] >= '0' && code[i+1] <= '9':
			for i < n && (isIdentPart(code[i]) || code[i] == '.' ||
				(code[i] == '+' || code[i] == '-') && (code[i-1] == 'e' || code[i-1] == 'E') && !strings.HasPrefix(code[start:], "0x") && !strings.HasPrefix(code[start:], "0X")) {
				i++
			}
			emit(tokNumber, "", start)
			regexOK = false
		case c == '"' || c == '\'':
			end, ok := skipString(code, i)
			if !ok {
				return nil, false
			}
			i = end
			emit(tokString, "", start)
			regexOK = false
		case c == '`':
			if len(stack) == 0 {
				tmplStart = start
			}
			if !template(i + 1) {
				return nil, false
			}
		case c == '(' || c == '[' || c == '{':
			emit(tokGroup, string(c), start)
			f := bracket{close: ')'}
			if c == '[' {
				f.close = ']'
			} else if c == '{' {
				f.close = '}'
			}
			if c == '(' && controlParen[lastWord] {
				f.regexNext = true
			}
			stack = append(stack, f)
			i++
			regexOK = true
		case c == ')' || c == ']' || c == '}':
			if len(stack) == 0 {
				return nil, false
			}
			top := stack[len(stack)-1]
			if top.close == '$' && c == '}' {
				// The end of a template's substitution: the template goes on.
				stack = stack[:len(stack)-1]
				if !template(i + 1) {
					return nil, false
				}
				break
			}
			if top.close != c {
				return nil, false
			}
			stack = stack[:len(stack)-1]
			i++
			regexOK = top.regexNext
			if c == '}' {
				ambiguous = true
				lastWord = ""
				continue
			}
		case c == '/':
			if ambiguous {
				return nil, false // a block's end or an object's: esbuild knows
			}
			if !regexOK {
				i++
				if i < n && code[i] == '=' {
					i++
				}
				emit(tokPunct, "/", start)
				regexOK = true
				break
			}
			end, ok := skipRegExp(code, i)
			if !ok {
				return nil, false
			}
			i = end
			emit(tokRegExp, "", start)
			regexOK = false
		case c >= 0x80 || c == '\\' || c == '#' || c == '@':
			return nil, false
		default:
			p := punct(code[i:])
			i += len(p)
			emit(tokPunct, p, start)
			regexOK = p != "++" && p != "--"
		}
		ambiguous = false
		lastWord = word
	}
	if len(stack) != 0 || tmplStart >= 0 {
		return nil, false
	}
	return toks, true
}

// punct returns the punctuation token at the start of s: the few
// multi-character ones the classification needs, else one character.
func punct(s string) string {
	for _, p := range []string{"=>", "++", "--", "?."} {
		if strings.HasPrefix(s, p) {
			return p
		}
	}
	return s[:1]
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// skipString returns the offset after the string literal opening at i.
func skipString(code string, i int) (int, bool) {
	q := code[i]
	for j := i + 1; j < len(code); j++ {
		switch code[j] {
		case '\\':
			j++
		case '\n':
			return 0, false
		case q:
			return j + 1, true
		}
	}
	return 0, false
}

// skipTemplate scans a template literal's text from i: it returns the
// offset after its closing backtick, or after a substitution's "${" with
// open set.
func skipTemplate(code string, i int) (end int, open, ok bool) {
	for j := i; j < len(code); j++ {
		switch code[j] {
		case '\\':
			j++
		case '`':
			return j + 1, false, true
		case '$':
			if j+1 < len(code) && code[j+1] == '{' {
				return j + 2, true, true
			}
		}
	}
	return 0, false, false
}

// skipRegExp returns the offset after the regular expression literal
// opening at i, its flags included. To keep a division the scanner took
// for a regular expression from changing what it reads, the literal must
// hold no quote, backtick, semicolon or line break, and balanced
// parentheses and braces.
func skipRegExp(code string, i int) (int, bool) {
	class := false
	parens, braces := 0, 0
	for j := i + 1; j < len(code); j++ {
		c := code[j]
		switch {
		case c == '\\':
			j++
			if j < len(code) && code[j] == '\n' {
				return 0, false
			}
		case c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '`' || c == ';':
			return 0, false
		case class:
			if c == ']' {
				class = false
			}
		case c == '[':
			class = true
		case c == '(':
			parens++
		case c == ')':
			parens--
		case c == '{':
			braces++
		case c == '}':
			braces--
		case c == '/':
			if parens != 0 || braces != 0 {
				return 0, false
			}
			j++
			for j < len(code) && isIdentPart(code[j]) {
				j++
			}
			return j, true
		}
		if parens < 0 || braces < 0 {
			return 0, false
		}
	}
	return 0, false
}
