package army

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Export writes the army as an army file that Parse reads back to an equal
// army (Pos and Dir aside): capabilities and agents in the army's order,
// props and secrets sorted by key, inline code as a literal block, a code
// file as its path (the file itself is not written). The same army always
// exports to the same bytes. Export does not validate.
func (a *Army) Export() ([]byte, error) {
	n, err := a.node()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("exporting army %q: %w", a.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("exporting army %q: %w", a.Name, err)
	}
	return buf.Bytes(), nil
}

// MarshalYAML implements yaml.Marshaler, so an Army inside another YAML
// document is written as Export writes it.
func (a *Army) MarshalYAML() (any, error) { return a.node() }

// exporter builds the YAML node tree of an army.
type exporter struct{ err error }

func (a *Army) node() (*yaml.Node, error) {
	var x exporter
	n := x.army(a)
	if x.err != nil {
		return nil, fmt.Errorf("exporting army %q: %w", a.Name, x.err)
	}
	return n, nil
}

func (x *exporter) fail(format string, args ...any) {
	if x.err == nil {
		x.err = fmt.Errorf(format, args...)
	}
}

func mapping(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// str is a string node: a literal block when it spans lines.
func (x *exporter) str(s string) *yaml.Node {
	if !utf8.ValidString(s) {
		x.fail("%q is not UTF-8 text", s)
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		literal(n)
	}
	return n
}

// literal makes n a literal block scalar (|) when that reads back as the
// same string. yaml.v3 writes some strings in a block that reads back
// differently (a leading newline is lost, a leading tab is an error); those
// are written double-quoted, with escapes.
func literal(n *yaml.Node) {
	n.Style = yaml.LiteralStyle
	doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{scalar("!!str", "k"), n}}
	out, err := yaml.Marshal(doc)
	var back struct{ K *string }
	if err != nil || yaml.Unmarshal(out, &back) != nil || back.K == nil || *back.K != n.Value {
		n.Style = yaml.DoubleQuotedStyle
	}
}

func scalar(tag, v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }

func (x *exporter) army(a *Army) *yaml.Node {
	root := mapping(false)
	add(root, "name", x.str(a.Name))
	if a.Doc != "" {
		add(root, "doc", x.str(a.Doc))
	}
	if len(a.Capabilities) > 0 {
		caps := mapping(false)
		for _, c := range a.Capabilities {
			add(caps, c.Name, x.capability(c))
		}
		add(root, "capabilities", caps)
	}
	if len(a.Agents) > 0 {
		agents := mapping(false)
		for _, ag := range a.Agents {
			add(agents, ag.Name, x.agent(ag))
		}
		add(root, "agents", agents)
	}
	if len(a.Channels) > 0 {
		chans := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, ch := range a.Channels {
			m := mapping(true)
			add(m, "from", x.str(ch.From))
			add(m, "env", x.str(ch.Env))
			add(m, "to", x.str(ch.To))
			chans.Content = append(chans.Content, m)
		}
		add(root, "channels", chans)
	}
	return root
}

func (x *exporter) capability(c *Capability) *yaml.Node {
	m := mapping(len(c.Props) == 0 && len(c.Secrets) == 0)
	add(m, "kind", x.str(c.Kind))
	if len(c.Props) > 0 {
		add(m, "props", compact(x.value(c.Props, 0)))
	}
	if len(c.Secrets) > 0 {
		s := mapping(false)
		for _, k := range sortedKeys(c.Secrets) {
			add(s, k, x.str(c.Secrets[k]))
		}
		add(m, "secrets", compact(s))
	}
	return m
}

// compact writes a short mapping of one-line scalars on one line:
// {namespace: notes}.
func compact(m *yaml.Node) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return m
	}
	size := 0
	for _, n := range m.Content {
		if n.Kind != yaml.ScalarNode || n.Style != 0 || strings.ContainsAny(n.Value, "\n\r") {
			return m
		}
		size += len(n.Value) + 2
	}
	if size <= 60 {
		m.Style = yaml.FlowStyle
	}
	return m
}

func (x *exporter) agent(ag *Agent) *yaml.Node {
	m := mapping(false)
	if ag.Doc != "" {
		add(m, "doc", x.str(ag.Doc))
	}
	if t := ag.Template; t != nil {
		tm := mapping(true)
		add(tm, "each", x.str(t.Each))
		add(tm, "as", x.str(t.As))
		add(m, "template", tm)
	}
	if len(ag.Triggers) > 0 {
		ts := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, t := range ag.Triggers {
			ts.Content = append(ts.Content, x.str(t.String()))
		}
		add(m, "triggers", ts)
	}
	if l := ag.Limits; l != (Limits{}) {
		lm := mapping(true)
		if l.Deadline != 0 {
			add(lm, "deadline", x.str(formatDuration(l.Deadline)))
		}
		for _, f := range l.counts() {
			if *f.n != 0 {
				add(lm, f.key, scalar("!!int", strconv.Itoa(*f.n)))
			}
		}
		add(m, "limits", lm)
	}
	if len(ag.Bindings) > 0 {
		bm := mapping(false)
		for _, b := range ag.Bindings {
			add(bm, b.Env, x.str(b.Capability))
		}
		add(m, "bindings", compact(bm))
	}
	if ag.Instructed() {
		c := x.str(ag.Instructions)
		literal(c)
		add(m, "instructions", c)
		add(m, "model", x.str(ag.Model))
		if ag.Mode != "" {
			add(m, "mode", x.str(ag.Mode))
		}
		if ag.Attempts != 0 {
			add(m, "attempts", scalar("!!int", strconv.Itoa(ag.Attempts)))
		}
	} else if ag.CodePath != "" {
		add(m, "code", x.str("./"+strings.TrimPrefix(filepath.ToSlash(ag.CodePath), "./")))
	} else {
		c := x.str(ag.Code)
		literal(c)
		add(m, "code", c)
	}
	return m
}

// value is the node of a props value: plain data, as Parse makes it or as
// encoding/json would see it.
func (x *exporter) value(v any, depth int) *yaml.Node {
	if depth > maxDepth {
		x.fail("props nest more than %d deep", maxDepth)
		return scalar("!!null", "null")
	}
	switch v := v.(type) {
	case nil:
		return scalar("!!null", "null")
	case bool:
		return scalar("!!bool", strconv.FormatBool(v))
	case string:
		return x.str(v)
	case int:
		return scalar("!!int", strconv.Itoa(v))
	case int8, int16, int32, int64:
		return scalar("!!int", strconv.FormatInt(reflect.ValueOf(v).Int(), 10))
	case uint, uint8, uint16, uint32, uint64:
		return scalar("!!int", strconv.FormatUint(reflect.ValueOf(v).Uint(), 10))
	case float32:
		return x.float(float64(v))
	case float64:
		return x.float(v)
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return scalar("!!int", strconv.FormatInt(i, 10))
		}
		f, err := v.Float64()
		if err != nil {
			x.fail("%q is not a number", string(v))
		}
		return x.float(f)
	case []any:
		// A list of one-line scalars is written on one line: [GET, POST].
		s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, e := range v {
			n := x.value(e, depth+1)
			if n.Kind != yaml.ScalarNode || n.Style != 0 {
				s.Style = 0
			}
			s.Content = append(s.Content, n)
		}
		return s
	case map[string]any:
		m := mapping(len(v) == 0)
		for _, k := range sortedKeys(v) {
			m.Content = append(m.Content, scalar("!!str", k), x.value(v[k], depth+1))
			if !utf8.ValidString(k) {
				x.fail("key %q is not UTF-8 text", k)
			}
		}
		return m
	}
	// Anything else: as encoding/json sees it.
	b, err := json.Marshal(v)
	if err != nil {
		x.fail("props value of type %T: %v", v, err)
		return scalar("!!null", "null")
	}
	var plain any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&plain); err != nil {
		x.fail("props value of type %T: %v", v, err)
		return scalar("!!null", "null")
	}
	return x.value(plain, depth+1)
}

// float writes a float so that it reads back as a float ("5.0", not "5").
func (x *exporter) float(f float64) *yaml.Node {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		x.fail("%v is not a number props can hold", f)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return scalar("!!float", s)
}

// ResolvedProps returns a copy of c's props in which every string that
// begins with "./" or "../" (at any depth) is joined onto the army's Dir:
// props paths are written relative to the army file, as code paths are, and
// kept so in the army (so export round-trips), while a capability needs them
// resolved. With Dir empty the copy is unchanged.
func (a *Army) ResolvedProps(c *Capability) map[string]any {
	if c == nil || c.Props == nil {
		return nil
	}
	out, _ := a.resolve(c.Props).(map[string]any)
	return out
}

func (a *Army) resolve(v any) any {
	switch v := v.(type) {
	case string:
		if a.Dir != "" && (strings.HasPrefix(v, "./") || strings.HasPrefix(v, "../")) {
			return filepath.Join(a.Dir, filepath.FromSlash(v))
		}
		return v
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = a.resolve(e)
		}
		return l
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = a.resolve(e)
		}
		return m
	}
	return v
}
