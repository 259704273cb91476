package army

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Size limits.
const (
	// MaxFileBytes is the largest army file read.
	MaxFileBytes = 8 << 20
	// MaxCodeBytes is the largest agent module, inline or in a file.
	MaxCodeBytes = 1 << 20
)

// maxSteps bounds the work of reading one file: aliases can make a small
// file describe a huge tree ("billion laughs").
const maxSteps = 1 << 18

// maxDepth bounds how deeply props may nest.
const maxDepth = 64

// Fields of each mapping of the file.
var (
	armyFields       = []string{"name", "doc", "capabilities", "agents", "channels"}
	capabilityFields = []string{"kind", "props", "secrets"}
	agentFields      = []string{"doc", "template", "triggers", "limits", "bindings", "code", "instructions", "model", "mode", "attempts"}
	templateFields   = []string{"each", "as"}
	limitsFields     = limitKeys()
	channelFields    = []string{"from", "env", "to"}
)

// limitKeys returns the keys of a limits mapping: deadline, then the
// whole-number limits.
func limitKeys() []string {
	keys := []string{"deadline"}
	for _, c := range new(Limits).counts() {
		keys = append(keys, c.key)
	}
	return keys
}

// Load reads the army file at path and the code files it names, and checks
// the army. Dir is set to the file's directory (made absolute). A problem
// with the army is an *Error whose File is path; a file that cannot be read
// is a plain error.
func Load(path string) (*Army, error) { return load(path, false) }

// LoadDraft is Load for an army being edited: it reads the army file at
// path as ParseDraft does, so an army whose file reads but does not validate
// comes back with its problems (an *Error whose File is path).
func LoadDraft(path string) (*Army, error) { return load(path, true) }

// Parse reads an army from the bytes of an army file and checks it. Code
// paths are read relative to dir, which becomes the army's Dir; with dir ""
// every agent's code must be inline. Any problem, in the YAML or in the
// army, is reported in an *Error listing all of them (with File empty: set
// it to name the file in messages), and the army is nil. Kinds are looked up
// in the capabilities registry, so the caller imports the kinds it allows
// (littleboxes/capabilities/standard).
func Parse(data []byte, dir string) (*Army, error) { return parse(data, dir, false) }

// ParseDraft reads an army as Parse does, for an army being edited: when the
// file itself could be read (its YAML, every field, every code file), it
// returns the army even when validation found problems in it (an agent
// without code yet, a missing required prop), together with those problems
// as an *Error. The army is nil only when the file could not be read; then
// the error lists why, as Parse's does.
func ParseDraft(data []byte, dir string) (*Army, error) { return parse(data, dir, true) }

// load reads the army file at path and parses it, as a draft when draft is
// set (see LoadDraft), naming path in an *Error.
func load(path string, draft bool) (*Army, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading army: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("loading army %s: %w", path, err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("loading army %s: %w", path, err)
	}
	a, err := parse(data, dir, draft)
	var e *Error
	if errors.As(err, &e) {
		e.File = path
	}
	return a, err
}

// parse decodes and validates an army. Any problem leaves the army nil, and
// the error lists every problem, of reading and of validation alike; but a
// draft whose file read whole is returned with the problems validation
// found in it.
func parse(data []byte, dir string, draft bool) (*Army, error) {
	d := &decoder{dir: dir, pos: map[string]Pos{}}
	defer d.close()
	a := d.decode(data)
	read := len(d.list) == 0
	if a != nil && (read || !draft) {
		validate(a, &d.problems, d.pos)
	}
	err := d.err("")
	switch {
	case a == nil && err == nil:
		return nil, errors.New("invalid army")
	case err != nil && !(draft && read):
		return nil, err
	}
	return a, err
}

// decoder reads an army file's YAML nodes into an Army, noting the position
// of every field it reads and every problem it finds.
type decoder struct {
	problems
	dir     string
	root    *os.Root // dir, opened when the first code file is read
	rootErr error
	pos     map[string]Pos // field path → position of its key
	steps   int
	prop    entry // the prop being read
}

func (d *decoder) close() {
	if d.root != nil {
		d.root.Close()
	}
}

func npos(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

func (d *decoder) decode(data []byte) *Army {
	if len(data) > MaxFileBytes {
		d.addf(Pos{}, "", "the army file is larger than %d bytes (8 MiB)", MaxFileBytes)
		return nil
	}
	if p, msg, bad := badChar(data); bad {
		d.addf(p, "", "%s", msg)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := safeDecode(dec, &doc); err != nil {
		if err == io.EOF {
			d.addf(Pos{Line: 1, Column: 1}, "", "the army file is empty")
		} else {
			d.syntax(data, err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := safeDecode(dec, &extra); {
	case err == io.EOF:
	case err != nil:
		d.syntax(data, err)
		return nil
	default:
		d.notef(npos(&extra), "", "more than one YAML document: an army file holds one army")
	}
	if len(doc.Content) == 0 {
		d.addf(npos(&doc), "", "the army file is empty")
		return nil
	}
	return d.army(doc.Content[0])
}

// safeDecode decodes the next document, turning a panic in yaml.v3 (none
// is known since v3.0.1) into an error: a malformed file must never take
// the program down.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return dec.Decode(n)
}

// syntax reports a YAML syntax error in data at the line and column of its
// cause (see syntaxPos); failing that, at the line yaml.v3 gives.
func (d *decoder) syntax(data []byte, err error) {
	msg := err.Error()
	p := syntaxPos(data, msg)
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if p.Line == 0 {
			p.Line, _ = strconv.Atoi(m[1])
		}
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	d.addKindf(ProblemSyntax, p, "", "invalid YAML: %s", msg)
}

// step counts work, reporting once when there has been too much.
func (d *decoder) step() bool {
	d.steps++
	if d.steps == maxSteps {
		d.addf(Pos{}, "", "the army file is too complex (aliases that expand too far?)")
	}
	return d.steps < maxSteps
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node is, for "want X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "nothing"
		case "!!timestamp":
			return "a timestamp"
		case "!!binary":
			return "binary data"
		}
		return "a value tagged " + n.Tag
	}
	return "an alias"
}

// entry is one key and value of a mapping.
type entry struct {
	key  string
	k, v *yaml.Node // v is dereferenced
	path string
}

// entries lists a mapping's entries in order. Keys must be plain scalars and
// unique: a duplicate is reported as a duplicate what ("key", "agent") and
// dropped, the first standing.
func (d *decoder) entries(n *yaml.Node, path, what string) []entry {
	var out []entry
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !d.step() {
			return out
		}
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.addf(npos(k), path, "a key must be a plain name, not %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			// The mapping's fields are unknown: report at the mapping.
			d.addf(npos(k), path, "merge keys (<<) are not supported: write the fields out")
			continue
		}
		p := join(path, k.Value)
		if f, dup := first[k.Value]; dup {
			d.notef(npos(k), p, "duplicate %s %q (first at line %d)", what, k.Value, f.Line)
			continue
		}
		first[k.Value] = k
		d.pos[p] = npos(k)
		out = append(out, entry{key: k.Value, k: k, v: v, path: p})
	}
	return out
}

// fields reads a mapping of known fields, reporting unknown ones.
//
// A misspelt field (one with a suggestion) also marks the field it was
// probably meant to be broken when that one is absent, so that it is not
// reported missing as well.
func (d *decoder) fields(n *yaml.Node, path string, known []string) map[string]entry {
	out := map[string]entry{}
	var meant []string
	for _, e := range d.entries(n, path, "key") {
		if !contains(known, e.key) {
			if c := d.problems.closest(e.key, known); c != "" {
				d.addf(npos(e.k), e.path, "unknown field %q (did you mean %q?)", e.key, c)
				meant = append(meant, c)
			} else {
				d.addf(npos(e.k), e.path, "unknown field %q (want %s)", e.key, oneOf(known))
			}
			continue
		}
		out[e.key] = e
	}
	for _, m := range meant {
		if _, ok := out[m]; !ok {
			d.markBroken(join(path, m))
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mapping checks that e's value is a mapping (or nothing, reported as
// absent).
func (d *decoder) mapping(e entry, what string) (*yaml.Node, bool) {
	switch {
	case isNull(e.v):
		return nil, false
	case e.v.Kind == yaml.MappingNode:
		return e.v, true
	}
	d.addf(npos(e.k), e.path, "want a mapping of %s, got %s", what, describe(e.v))
	return nil, false
}

// str reads a string value; nothing reads as "".
func (d *decoder) str(e entry) (string, bool) {
	switch {
	case isNull(e.v):
		return "", true
	case e.v.Kind == yaml.ScalarNode && e.v.ShortTag() == "!!str":
		return e.v.Value, true
	case e.v.Kind == yaml.ScalarNode:
		d.addf(npos(e.k), e.path, "want a string, got %s (quote it to make it one: %q)", describe(e.v), e.v.Value)
	default:
		d.addf(npos(e.k), e.path, "want a string, got %s", describe(e.v))
	}
	return "", false
}

// optStr reads the string field key of f, "" when absent.
func (d *decoder) optStr(f map[string]entry, key string) string {
	e, ok := f[key]
	if !ok {
		return ""
	}
	s, _ := d.str(e)
	return s
}

func (d *decoder) army(root *yaml.Node) *Army {
	root = deref(root)
	if isNull(root) {
		d.addf(npos(root), "", "the army file is empty")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		d.addf(npos(root), "", "want a mapping of %s, got %s", oneOf(armyFields), describe(root))
		return nil
	}
	a := &Army{Dir: d.dir}
	d.pos[""] = npos(root)
	f := d.fields(root, "", armyFields)
	a.Name = d.optStr(f, "name")
	a.Doc = d.optStr(f, "doc")
	if e, ok := f["capabilities"]; ok {
		if m, ok := d.mapping(e, "capability names to capabilities"); ok {
			for _, ce := range d.entries(m, "capabilities", "capability") {
				a.Capabilities = append(a.Capabilities, d.capability(ce))
			}
		}
	}
	if e, ok := f["agents"]; ok {
		if m, ok := d.mapping(e, "agent names to agents"); ok {
			for _, ae := range d.entries(m, "agents", "agent") {
				a.Agents = append(a.Agents, d.agent(ae))
			}
		}
	}
	if e, ok := f["channels"]; ok && !isNull(e.v) {
		if e.v.Kind != yaml.SequenceNode {
			d.addf(npos(e.k), e.path, "want a list of channels ({from: AGENT, env: NAME, to: AGENT}), got %s", describe(e.v))
		} else {
			for i, n := range e.v.Content {
				if !d.step() {
					break
				}
				a.Channels = append(a.Channels, d.channel(deref(n), index("channels", i)))
			}
		}
	}
	return a
}

func (d *decoder) capability(e entry) *Capability {
	c := &Capability{Name: e.key, Pos: npos(e.k)}
	if e.v.Kind == yaml.ScalarNode && e.v.ShortTag() == "!!str" {
		d.addf(npos(e.k), e.path, "want a mapping of kind, props and secrets, got a string (write %s: {kind: %s})", e.key, e.v.Value)
		return c
	}
	m, ok := d.mapping(e, "kind, props and secrets")
	if !ok {
		if isNull(e.v) {
			d.addf(npos(e.k), e.path, "no kind: write %s: {kind: KIND}", e.key)
		}
		return c
	}
	f := d.fields(m, e.path, capabilityFields)
	c.Kind = d.optStr(f, "kind")
	if pe, ok := f["props"]; ok {
		if pm, ok := d.mapping(pe, "props"); ok {
			props := map[string]any{}
			for _, ke := range d.entries(pm, pe.path, "prop") {
				// A prop that cannot be read in full is reported once, and
				// kept as null so it is not reported missing.
				before := len(d.list)
				d.prop = ke
				v, _ := d.value(ke.v, ke.path, ke.k, 1)
				if len(d.list) > before {
					d.markBroken(ke.path)
					v = nil
				}
				props[ke.key] = v
			}
			if len(props) > 0 {
				c.Props = props
			}
		}
	}
	if se, ok := f["secrets"]; ok {
		if sm, ok := d.mapping(se, "secret slots to secret names"); ok {
			for _, ke := range d.entries(sm, se.path, "secret slot") {
				if s, ok := d.str(ke); ok {
					if c.Secrets == nil {
						c.Secrets = map[string]string{}
					}
					c.Secrets[ke.key] = s
				}
			}
		}
	}
	return c
}

// value converts a props node to plain data: nil, bool, int64 (uint64 past
// the int64 range), float64, string, []any or map[string]any.
func (d *decoder) value(n *yaml.Node, field string, at *yaml.Node, depth int) (any, bool) {
	n = deref(n)
	if !d.step() {
		return nil, false
	}
	if depth > maxDepth {
		d.addf(npos(d.prop.k), d.prop.path, "props nest more than %d deep (an alias that contains itself?)", maxDepth)
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for _, e := range d.entries(n, field, "key") {
			if v, ok := d.value(e.v, e.path, e.k, depth+1); ok {
				m[e.key] = v
			}
		}
		return m, true
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			c = deref(c)
			if depth == 1 {
				// The items of a prop's list, where a kind may find
				// problems ("origins[1]").
				d.pos[index(field, i)] = npos(c)
			}
			if v, ok := d.value(c, index(field, i), c, depth+1); ok {
				l = append(l, v)
			}
		}
		return l, true
	case yaml.ScalarNode:
	default:
		d.addf(npos(at), field, "unsupported YAML node")
		return nil, false
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, true
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, true
		}
		var u uint64
		if err := n.Decode(&u); err == nil {
			return u, true
		}
		d.addf(npos(at), field, "integer %s is out of range", n.Value)
		return nil, false
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			if math.IsInf(f, 0) || math.IsNaN(f) {
				d.addf(npos(at), field, "%s is not a number props can hold (no infinities or NaN)", n.Value)
				return nil, false
			}
			return f, true
		}
	case "!!str", "!!timestamp":
		return n.Value, true
	default:
		d.addf(npos(at), field, "props cannot hold %s", describe(n))
		return nil, false
	}
	d.addf(npos(at), field, "cannot read %q as %s", n.Value, describe(n))
	return nil, false
}

func (d *decoder) agent(e entry) *Agent {
	ag := &Agent{Name: e.key, Pos: npos(e.k)}
	m, ok := d.mapping(e, "doc, template, triggers, limits, bindings and code (or instructions and model)")
	if !ok {
		if isNull(e.v) {
			d.addKindf(ProblemIncomplete, npos(e.k), e.path, "no code: an agent needs at least code, or instructions and a model")
		}
		return ag
	}
	f := d.fields(m, e.path, agentFields)
	ag.Doc = d.optStr(f, "doc")
	if te, ok := f["template"]; ok {
		if tm, ok := d.mapping(te, "each and as"); ok {
			tf := d.fields(tm, te.path, templateFields)
			ag.Template = &Template{Each: d.optStr(tf, "each"), As: d.optStr(tf, "as")}
		} else if isNull(te.v) {
			d.addf(npos(te.k), te.path, "want {each: CAPABILITY, as: NAME}, got nothing")
		}
	}
	if te, ok := f["triggers"]; ok {
		ag.Triggers = d.triggers(te)
	}
	if le, ok := f["limits"]; ok {
		if lm, ok := d.mapping(le, oneOf(limitsFields)); ok {
			ag.Limits = d.limits(d.fields(lm, le.path, limitsFields))
		}
	}
	if be, ok := f["bindings"]; ok {
		if bm, ok := d.mapping(be, "env names to capability names"); ok {
			for _, ke := range d.entries(bm, be.path, "env name") {
				if s, ok := d.str(ke); ok {
					ag.Bindings = append(ag.Bindings, &Binding{Env: ke.key, Capability: s, Pos: npos(ke.k)})
				}
			}
		}
	}
	if ce, ok := f["code"]; ok {
		d.code(ce, ag)
	}
	ag.Instructions = d.optStr(f, "instructions")
	ag.Model = d.optStr(f, "model")
	ag.Mode = d.optStr(f, "mode")
	if ae, ok := f["attempts"]; ok {
		var n int
		if ae.v.Kind != yaml.ScalarNode || ae.v.ShortTag() != "!!int" || ae.v.Decode(&n) != nil {
			d.addf(npos(ae.k), ae.path, "want a whole number of attempts from 1 to %d, got %s", MaxAttempts, describe(ae.v))
		} else {
			ag.Attempts = n
		}
	}
	return ag
}

func (d *decoder) triggers(e entry) []Trigger {
	var items []*yaml.Node
	switch {
	case isNull(e.v):
		return nil
	case e.v.Kind == yaml.SequenceNode:
		items = e.v.Content
	case e.v.Kind == yaml.ScalarNode:
		items = []*yaml.Node{e.v}
	default:
		d.addf(npos(e.k), e.path, "want a list of triggers (manual, message, every DURATION, item), got %s", describe(e.v))
		return nil
	}
	var out []Trigger
	for i, n := range items {
		n = deref(n)
		field := index(e.path, i)
		at := n
		if e.v.Kind == yaml.ScalarNode {
			at = e.k
		}
		d.pos[field] = npos(at)
		// A trigger that cannot be read stays in the list, as a kind of its
		// own, so the indices of the others keep matching the file.
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			d.addf(npos(at), field, "want a trigger (manual, message, every DURATION, item), got %s", describe(n))
			out = append(out, Trigger{Kind: "?"})
			continue
		}
		t, err := ParseTrigger(n.Value)
		if err != nil {
			d.addf(npos(at), field, "%v", err)
			t = Trigger{Kind: TriggerKind(n.Value)}
		}
		out = append(out, t)
	}
	return out
}

// ParseTrigger reads a trigger as an army file writes it: "manual",
// "message", "item", or "every DURATION" with a Go duration ("every 10m").
// It does not check the period's minimum; Validate does.
func ParseTrigger(s string) (Trigger, error) {
	switch s {
	case string(TriggerManual), string(TriggerMessage), string(TriggerItem):
		return Trigger{Kind: TriggerKind(s)}, nil
	}
	word, arg, _ := strings.Cut(strings.TrimSpace(s), " ")
	arg = strings.TrimSpace(arg)
	if word != string(TriggerEvery) {
		if sg := suggest(word, []string{"manual", "message", "every", "item"}); sg != "" {
			return Trigger{}, fmt.Errorf("unknown trigger %q%s", s, sg)
		}
		return Trigger{}, fmt.Errorf("unknown trigger %q (want manual, message, every DURATION or item)", s)
	}
	if arg == "" {
		return Trigger{}, fmt.Errorf("trigger %q needs a period, as in \"every 10m\"", s)
	}
	p, err := time.ParseDuration(arg)
	if err != nil {
		if strings.HasSuffix(arg, "d") {
			return Trigger{}, fmt.Errorf("trigger %q: the period %q is not a Go duration: write days in hours (every 24h)", s, arg)
		}
		return Trigger{}, fmt.Errorf("trigger %q: the period %q is not a Go duration such as 90s, 10m or 1h30m", s, arg)
	}
	return Trigger{Kind: TriggerEvery, Every: p}, nil
}

// String renders a trigger as an army file writes it.
func (t Trigger) String() string {
	if t.Kind == TriggerEvery {
		return "every " + formatDuration(t.Every)
	}
	return string(t.Kind)
}

// formatDuration writes d as time.Duration.String does, without the zero
// units it ends with ("1h", not "1h0m0s").
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func (d *decoder) limits(f map[string]entry) Limits {
	var l Limits
	if e, ok := f["deadline"]; ok {
		if s, ok := d.str(e); ok && s != "" {
			v, err := time.ParseDuration(s)
			if err != nil {
				d.addf(npos(e.k), e.path, "%q is not a Go duration such as 10s or 2m", s)
			}
			l.Deadline = v
		}
	}
	for _, x := range l.counts() {
		e, ok := f[x.key]
		if !ok || isNull(e.v) {
			continue
		}
		var i int64
		if e.v.Kind != yaml.ScalarNode || e.v.ShortTag() != "!!int" || e.v.Decode(&i) != nil || i > math.MaxInt32 || i < math.MinInt32 {
			got := describe(e.v)
			if e.v.Kind == yaml.ScalarNode && e.v.ShortTag() == "!!int" {
				got = e.v.Value
			}
			d.addf(npos(e.k), e.path, "want a whole number from 0 to %d, got %s", math.MaxInt32, got)
			continue
		}
		*x.n = int(i)
	}
	return l
}

var codeExt = regexp.MustCompile(`^\S+\.(js|mjs|cjs|jsx|ts|mts|cts|tsx)$`)

// code reads an agent's code: a one-line plain or quoted value beginning
// with ./ or ../ is a file path; anything else (a block scalar above all) is
// the code itself.
func (d *decoder) code(e entry, ag *Agent) {
	s, ok := d.str(e)
	if !ok {
		return
	}
	block := e.v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	oneLine := !strings.Contains(s, "\n")
	switch {
	case block || !oneLine:
		ag.Code = s
		return
	case strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../"):
	case filepath.IsAbs(s) || strings.HasPrefix(s, "/") || strings.HasPrefix(s, `\`):
		d.addf(npos(e.k), e.path, "code file %q is an absolute path: give it relative to the army's folder, as ./%s", s, filepath.Base(s))
		return
	case codeExt.MatchString(s):
		d.addf(npos(e.k), e.path, "code %q looks like a file path: begin it with ./ (inline code goes in a block: code: |)", s)
		return
	default:
		ag.Code = s
		return
	}
	rel := path.Clean(filepath.ToSlash(s))
	switch {
	case rel == ".." || strings.HasPrefix(rel, "../"):
		d.addf(npos(e.k), e.path, "code file %s is outside the army's folder", s)
		return
	case rel == ".":
		d.addf(npos(e.k), e.path, "code file %s is the army's folder, not a file", s)
		return
	}
	ag.CodePath = rel
	code, err := d.readCode(rel)
	if err != nil {
		d.addf(npos(e.k), e.path, "code file %s: %v", s, err)
		return
	}
	ag.Code = code
}

// openError words an error opening or statting a code file.
func openError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such file (a code path is relative to the army file's folder)")
	case strings.Contains(err.Error(), "escapes"):
		return errors.New("leads outside the army's folder")
	}
	return err
}

// regular refuses anything but a regular file, saying what it is.
func regular(st fs.FileInfo) error {
	m := st.Mode()
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return errors.New("a folder, not a file")
	case m&fs.ModeNamedPipe != 0:
		return errors.New("not a regular file (a named pipe)")
	case m&fs.ModeSocket != 0:
		return errors.New("not a regular file (a socket)")
	case m&fs.ModeDevice != 0:
		return errors.New("not a regular file (a device)")
	}
	return errors.New("not a regular file")
}

// readCode reads a code file inside the army's folder; symbolic links may
// not lead out of it.
func (d *decoder) readCode(rel string) (string, error) {
	if d.dir == "" {
		return "", errors.New("the army has no folder to read it from (inline the code instead)")
	}
	if d.root == nil && d.rootErr == nil {
		d.root, d.rootErr = os.OpenRoot(d.dir)
	}
	if d.rootErr != nil {
		return "", fmt.Errorf("opening the army's folder: %w", d.rootErr)
	}
	// Stat first and open only a regular file: opening a named pipe blocks
	// until a writer comes, and opening a device may do anything. The file
	// is opened without blocking and checked again once open, in case it
	// was swapped in between.
	name := filepath.FromSlash(rel)
	st, err := d.root.Stat(name)
	if err != nil {
		return "", openError(err)
	}
	if err := regular(st); err != nil {
		return "", err
	}
	f, err := d.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", openError(err)
	}
	defer f.Close()
	fst, err := f.Stat()
	if err != nil {
		return "", err
	}
	if err := regular(fst); err != nil {
		return "", err
	}
	if !os.SameFile(st, fst) {
		return "", errors.New("changed while it was being read")
	}
	st = fst
	if st.Size() > MaxCodeBytes {
		return "", fmt.Errorf("%d bytes, more than the limit of %d (1 MiB)", st.Size(), MaxCodeBytes)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxCodeBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > MaxCodeBytes {
		return "", fmt.Errorf("more than the limit of %d bytes (1 MiB)", MaxCodeBytes)
	}
	if !utf8.Valid(b) {
		return "", errors.New("not UTF-8 text")
	}
	return string(b), nil
}

func (d *decoder) channel(n *yaml.Node, field string) *Channel {
	ch := &Channel{Pos: npos(n)}
	d.pos[field] = ch.Pos
	if n.Kind != yaml.MappingNode {
		d.addf(ch.Pos, field, "want a channel {from: AGENT, env: NAME, to: AGENT}, got %s", describe(n))
		return ch
	}
	f := d.fields(n, field, channelFields)
	ch.From = d.optStr(f, "from")
	ch.Env = d.optStr(f, "env")
	ch.To = d.optStr(f, "to")
	return ch
}
