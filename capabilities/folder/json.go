package folder

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"littleboxes/capabilities"
)

// MaxJSONOps bounds the ops of one updateJson or json edit.
const MaxJSONOps = 1000

func (f *Folder) readJSON(_ context.Context, args []any) (any, error) {
	p, err := cleanPath("readJson", args[0].(string), false)
	if err != nil {
		return nil, err
	}
	fl, err := f.readRegular("readJson", p)
	if err != nil {
		return nil, err
	}
	v, err := parseJSON(fl.data, false)
	if err != nil {
		return nil, fmt.Errorf("folder readJson %q: %w", p, err)
	}
	return v, nil
}

// parseJSON decodes one JSON value into plain data; with exact, numbers
// stay json.Numbers, so that rewriting a document keeps them digit for
// digit (an id past 2^53 included).
func parseJSON(data []byte, exact bool) (any, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("the file is not UTF-8 text")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if exact {
		dec.UseNumber()
	}
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not valid JSON: more than one value")
	}
	return v, nil
}

// formatJSON encodes a document as a file holds it: indented by two
// spaces, HTML characters unescaped, ending in a newline.
func formatJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("the result is not JSON: %v", err)
	}
	return b.String(), nil
}

func (f *Folder) updateJSON(ctx context.Context, args []any) (any, error) {
	p, err := f.target("updateJson", args)
	if err != nil {
		return nil, err
	}
	ops := args[1].([]any)
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := f.editOne(ctx, "updateJson", p, func(text string) (string, error) {
		return applyJSONOps("updateJson", p, text, ops)
	})
	if err != nil {
		return nil, err
	}
	return written(p, data), nil
}

// applyJSONOps applies FolderJsonOps to the JSON text of the file at p ("" for
// a new file, which starts as {}), returning the new text.
func applyJSONOps(op, p, text string, ops []any) (string, error) {
	if len(ops) > MaxJSONOps {
		return "", fmt.Errorf("folder %s %q: %d ops, at most %d", op, p, len(ops), MaxJSONOps)
	}
	var doc any = map[string]any{}
	if strings.TrimSpace(text) != "" {
		v, err := parseJSON([]byte(text), true)
		if err != nil {
			return "", fmt.Errorf("folder %s %q: %w", op, p, err)
		}
		doc = v
	}
	for i, o := range ops {
		var err error
		doc, err = applyJSONOp(doc, o)
		if err != nil {
			return "", fmt.Errorf("folder %s %q: op %d: %w", op, p, i+1, err)
		}
	}
	return formatJSON(doc)
}

// applyJSONOp applies one FolderJsonOp.
func applyJSONOp(doc, o any) (any, error) {
	m, ok := o.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want an object { op, pointer, value }, got %s", capabilities.Describe(o))
	}
	kind, _ := m["op"].(string)
	known := map[string][]string{"set": {"op", "pointer", "value"}, "delete": {"op", "pointer"}, "merge": {"op", "pointer", "value"}}[kind]
	if known == nil {
		return nil, fmt.Errorf("op is %s, want \"set\", \"delete\" or \"merge\"", capabilities.Describe(m["op"]))
	}
	for k := range m {
		if !contains(known, k) {
			return nil, fmt.Errorf("a %s op has no field %q (it has %s)", kind, k, strings.Join(known, ", "))
		}
	}
	ptr, ok := m["pointer"].(string)
	if !ok && !(kind == "merge" && m["pointer"] == nil) {
		return nil, fmt.Errorf("pointer must be a string (a JSON pointer, \"/a/0\")")
	}
	tokens, err := parsePointer(ptr)
	if err != nil {
		return nil, err
	}
	value := m["value"]
	if kind != "delete" {
		if _, has := m["value"]; !has {
			return nil, fmt.Errorf("a %s op needs a value", kind)
		}
		if err := plain(value); err != nil {
			return nil, err
		}
	}
	switch kind {
	case "set":
		return setAt(doc, tokens, value, ptr)
	case "delete":
		return deleteAt(doc, tokens)
	default:
		patch, ok := value.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("a merge op's value must be an object")
		}
		target, _ := getAt(doc, tokens)
		return setAt(doc, tokens, mergePatch(target, patch), ptr)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// plain checks that v is JSON data (no bytes).
func plain(v any) error {
	switch v := v.(type) {
	case nil, bool, float64, string:
		return nil
	case []any:
		for _, x := range v {
			if err := plain(x); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		for _, x := range v {
			if err := plain(x); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("a value holds %s, which JSON cannot", capabilities.Describe(v))
}

// parsePointer splits an RFC 6901 JSON pointer into its tokens.
func parsePointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("pointer %q must be \"\" or start with \"/\"", p)
	}
	tokens := strings.Split(p[1:], "/")
	for i, t := range tokens {
		if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(t, "~0", ""), "~1", ""), "~") {
			return nil, fmt.Errorf("pointer %q: a ~ must be ~0 or ~1", p)
		}
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return tokens, nil
}

// index reads an array index token; "-" (one past the end) is allowed
// when end is set.
func index(t string, n int, end bool) (int, error) {
	if t == "-" && end {
		return n, nil
	}
	i, err := strconv.Atoi(t)
	if err != nil || i < 0 || (t != "0" && strings.HasPrefix(t, "0")) {
		return 0, fmt.Errorf("%q is not an array index", t)
	}
	if i > n || (i == n && !end) {
		return 0, fmt.Errorf("index %d is past the end of an array of %d", i, n)
	}
	return i, nil
}

func getAt(doc any, tokens []string) (any, bool) {
	for _, t := range tokens {
		switch d := doc.(type) {
		case map[string]any:
			v, ok := d[t]
			if !ok {
				return nil, false
			}
			doc = v
		case []any:
			i, err := index(t, len(d), false)
			if err != nil {
				return nil, false
			}
			doc = d[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

// setAt returns doc with the value at tokens set, making missing parent
// objects.
func setAt(doc any, tokens []string, value any, ptr string) (any, error) {
	if len(tokens) == 0 {
		return value, nil
	}
	t := tokens[0]
	switch d := doc.(type) {
	case nil:
		child, err := setAt(nil, tokens[1:], value, ptr)
		if err != nil {
			return nil, err
		}
		return map[string]any{t: child}, nil
	case map[string]any:
		child, err := setAt(d[t], tokens[1:], value, ptr)
		if err != nil {
			return nil, err
		}
		d[t] = child
		return d, nil
	case []any:
		i, err := index(t, len(d), true)
		if err != nil {
			return nil, fmt.Errorf("pointer %q: %w", ptr, err)
		}
		if i == len(d) {
			child, err := setAt(nil, tokens[1:], value, ptr)
			if err != nil {
				return nil, err
			}
			return append(d, child), nil
		}
		child, err := setAt(d[i], tokens[1:], value, ptr)
		if err != nil {
			return nil, err
		}
		d[i] = child
		return d, nil
	}
	return nil, fmt.Errorf("pointer %q goes into %s", ptr, capabilities.Describe(doc))
}

// deleteAt returns doc without the value at tokens; a missing one is no
// change.
func deleteAt(doc any, tokens []string) (any, error) {
	if len(tokens) == 0 {
		return nil, nil
	}
	t := tokens[0]
	switch d := doc.(type) {
	case map[string]any:
		if len(tokens) == 1 {
			delete(d, t)
			return d, nil
		}
		if child, ok := d[t]; ok {
			c, err := deleteAt(child, tokens[1:])
			if err != nil {
				return nil, err
			}
			d[t] = c
		}
		return d, nil
	case []any:
		i, err := index(t, len(d), false)
		if err != nil {
			return d, nil // nothing there
		}
		if len(tokens) == 1 {
			return append(d[:i], d[i+1:]...), nil
		}
		c, err := deleteAt(d[i], tokens[1:])
		if err != nil {
			return nil, err
		}
		d[i] = c
		return d, nil
	}
	return doc, nil
}

// mergePatch is RFC 7396: patch's members replace target's, null deletes,
// objects merge recursively.
func mergePatch(target any, patch map[string]any) any {
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range patch {
		switch pv := v.(type) {
		case nil:
			delete(t, k)
		case map[string]any:
			t[k] = mergePatch(t[k], pv)
		default:
			t[k] = v
		}
	}
	return t
}
