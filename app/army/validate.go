package army

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"littleboxes/capabilities"
	"littleboxes/capabilities/llm"
)

// ChannelKind is the id of the capability kind that sends on a channel; the
// army checks a channel capability's "to" prop and who binds it.
const ChannelKind = "channel"

// MinEvery is the shortest period of an "every" trigger.
const MinEvery = time.Second

var (
	namePattern   = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)
	envPattern    = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]{0,63}$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)
)

// reservedEnv are env names that would break or confuse the env object an
// agent receives, with the reason.
var reservedEnv = map[string]string{
	"then":   "it would make env look like a Promise to await",
	"toJSON": "it would change how env is turned into JSON",
}

func init() {
	for _, w := range strings.Fields(`break case catch class const continue debugger default delete do else
		enum export extends false finally for function if import in instanceof new null return super switch
		this throw true try typeof var void while with yield let static implements interface package private
		protected public await arguments eval undefined NaN Infinity`) {
		reservedEnv[w] = "it is a JavaScript reserved word or global"
	}
	for _, w := range strings.Fields(`constructor hasOwnProperty isPrototypeOf propertyIsEnumerable
		toLocaleString toString valueOf __proto__ __defineGetter__ __defineSetter__ __lookupGetter__
		__lookupSetter__`) {
		reservedEnv[w] = "it would shadow Object.prototype." + w
	}
}

// Validate checks the army as Parse does once it has read a file: names,
// kinds, props, secret slots, references between agents, capabilities and
// channels, env names, triggers, limits and code (the code's presence and
// size; Validate reads no file). It needs the capability kinds registered
// (import littleboxes/capabilities/standard). Problems come back as an
// *Error, positioned by the Pos fields of the army's parts.
func (a *Army) Validate() error {
	var ps problems
	validate(a, &ps, nil)
	return ps.err("")
}

// validator checks an army, reporting into problems at the positions of a
// parsed file's fields (or, for an army built in code, of its parts).
type validator struct {
	*problems
	a      *Army
	pos    map[string]Pos
	caps   map[string]*Capability
	kinds  map[string]capabilities.Kind // capability name → its kind, when registered
	agents map[string]*Agent
	in     map[string][]string // agent → the agents sending to it
	from   map[string][]int    // agent → the indices of the channels it sends on
	owners map[string]*channelUse
	// The names, in order, for suggestions.
	capNames, agentNames []string
}

func validate(a *Army, ps *problems, pos map[string]Pos) {
	v := &validator{problems: ps, a: a, pos: map[string]Pos{},
		caps: map[string]*Capability{}, kinds: map[string]capabilities.Kind{},
		agents: map[string]*Agent{}, in: map[string][]string{}, from: map[string][]int{},
		owners: map[string]*channelUse{}}
	// Positions from the parts, beneath those of the file's fields.
	for _, c := range a.Capabilities {
		v.pos[join("capabilities", c.Name)] = c.Pos
	}
	for _, ag := range a.Agents {
		v.pos[join("agents", ag.Name)] = ag.Pos
		for _, b := range ag.Bindings {
			v.pos[join(join(join("agents", ag.Name), "bindings"), b.Env)] = b.Pos
		}
	}
	for i, ch := range a.Channels {
		v.pos[index("channels", i)] = ch.Pos
	}
	for k, p := range pos {
		v.pos[k] = p
	}

	if a.Name == "" {
		v.missing("name", "missing: give the army a name")
	} else if len(a.Name) > 200 || strings.IndexFunc(a.Name, unicode.IsControl) >= 0 {
		v.check("name", "the army's name must be one line of at most 200 characters")
	}
	v.capabilities()
	v.checkAgentNames()
	for _, ch := range a.Edges() {
		if v.agents[ch.To] != nil {
			v.in[ch.To] = appendUnique(v.in[ch.To], ch.From)
		}
	}
	for i, ch := range a.Channels {
		v.from[ch.From] = append(v.from[ch.From], i)
	}
	// The sender of a channel capability is the first agent binding it.
	for _, ag := range a.Agents {
		if v.agents[ag.Name] != ag {
			continue
		}
		for _, b := range ag.Bindings {
			if c := v.caps[b.Capability]; c != nil && c.Kind == ChannelKind && v.owners[c.Name] == nil {
				v.owners[c.Name] = &channelUse{ag, b}
			}
		}
	}
	for _, ag := range a.Agents {
		if v.agents[ag.Name] == ag {
			v.agent(ag)
		}
	}
	v.channels()
	v.channelCapabilities()
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// at returns the position of field, or of the nearest field holding it.
func (v *validator) at(field string) Pos {
	for f := field; ; f = parent(f) {
		if p, ok := v.pos[f]; ok {
			return p
		}
		if f == "" {
			return Pos{}
		}
	}
}

func (v *validator) check(field, format string, args ...any) {
	v.checkf(v.at(field), field, format, args...)
}

// missing reports something not there yet (a ProblemIncomplete).
func (v *validator) missing(field, format string, args ...any) {
	v.checkKindf(ProblemIncomplete, v.at(field), field, format, args...)
}

func kindIDs() []string {
	var ids []string
	for _, k := range capabilities.Kinds() {
		ids = append(ids, k.ID)
	}
	return ids
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lineRef is " (first at line 3)", or "" when the line is unknown.
func lineRef(what string, p Pos) string {
	if p.Line <= 0 {
		return ""
	}
	return fmt.Sprintf(" (%s line %d)", what, p.Line)
}

// names is the message tail for a name not found: a suggestion, or the
// names there are.
func (v *validator) names(s string, candidates []string, what string) string {
	if c := v.problems.closest(s, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	if len(candidates) == 0 {
		return ""
	}
	if len(candidates) > 12 {
		return ""
	}
	return fmt.Sprintf(" (%s: %s)", what, strings.Join(candidates, ", "))
}

func (v *validator) capabilities() {
	for _, c := range v.a.Capabilities {
		field := join("capabilities", c.Name)
		if first, dup := v.caps[c.Name]; dup {
			v.checkf(c.Pos, field, "duplicate capability %q%s", c.Name, lineRef("first at", first.Pos))
			continue
		}
		v.caps[c.Name] = c
		v.capNames = append(v.capNames, c.Name)
		if err := CheckName("capability", c.Name); err != nil {
			v.check(field, "%v", err)
		}
		v.capability(c, field)
	}
}

func (v *validator) capability(c *Capability, field string) {
	if c.Kind == "" {
		v.missing(field+".kind", "missing: say which kind of capability this is (%s)", oneOf(kindIDs()))
		return
	}
	k, err := capabilities.Lookup(c.Kind)
	if err != nil {
		v.check(field+".kind", "unknown capability kind %q%s", c.Kind, v.names(c.Kind, kindIDs(), "kinds"))
		return
	}
	v.kinds[c.Name] = k
	v.props(c, k, field+".props")
	v.secrets(c, k, field+".secrets")
}

// props checks a capability's props against its kind's schema, strictly.
func (v *validator) props(c *Capability, k capabilities.Kind, field string) {
	schema, err := capabilities.PropsSchema(k)
	if err != nil {
		v.check(field, "kind %s: %v", k.ID, err)
		return
	}
	var known []string
	for _, f := range schema {
		known = append(known, f.Name)
	}
	for _, key := range sortedKeys(c.Props) {
		if !slices.Contains(known, key) {
			v.check(join(field, key), "kind %s has no prop %q%s", k.ID, key, v.names(key, known, "its props"))
		}
	}
	for _, f := range schema {
		if _, ok := c.Props[f.Name]; f.Required && !ok {
			v.missing(field, "missing required prop %q (%s)", f.Name, article(f.Type))
		}
	}
	// Decode what is known, for the types, with paths relative to the army
	// file resolved as the engine will give them to the kind.
	decodable := map[string]any{}
	for k, p := range v.a.ResolvedProps(c) {
		if slices.Contains(known, k) {
			decodable[k] = p
		}
	}
	props := []byte("{}")
	if len(decodable) > 0 {
		if props, err = json.Marshal(decodable); err != nil {
			v.check(field, "cannot encode the props as JSON: %v", err)
			return
		}
	}
	inst, _, err := capabilities.Decode(k.ID, props)
	if err != nil {
		f, msg := propsError(k, props, decodable, schema)
		v.check(field+f, "%s", msg)
		return
	}
	// The kind's own rules, every problem at its prop. Only when every prop
	// could be read and is known, so that a prop reported already is not
	// reported again as missing or wrong.
	if v.isBroken(field) || v.seen[field] || len(decodable) != len(c.Props) {
		return
	}
	if pc, ok := inst.(capabilities.PropsChecker); ok {
		for _, pe := range capabilities.PropErrors(pc.CheckProps(c.Secrets)) {
			f := field
			if pe.Path != "" {
				if !strings.HasPrefix(pe.Path, "[") {
					f += "."
				}
				f += pe.Path
			}
			msg := strings.TrimPrefix(pe.Msg, pe.Path+": ")
			if errors.Is(pe, capabilities.ErrNoSecret) || errors.Is(pe, capabilities.ErrIncomplete) {
				v.missing(f, "%s", msg) // a secret, or a prop, not given yet
				continue
			}
			v.check(f, "%s", msg)
		}
	}
}

// propsError says what is wrong with props (the JSON of a capability's
// known props) that the kind's strict decoding refused: a field suffix
// (".auth.type") and a message. It decides on the decoder's typed error
// and on the props themselves, never on an error's text.
func propsError(k capabilities.Kind, props []byte, decoded map[string]any, schema []capabilities.PropField) (string, string) {
	dec := json.NewDecoder(bytes.NewReader(props))
	dec.DisallowUnknownFields()
	err := dec.Decode(k.New())
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		field := withoutEmbedded(reflect.TypeOf(k.New()), te.Field)
		want := te.Type.String()
		for _, f := range schema {
			if f.Name == field {
				want = f.Type
			}
		}
		return "." + field, fmt.Sprintf("want %s, got %s", article(want), jsonGot(te.Value))
	}
	if path, key := unknownKey(reflect.TypeOf(k.New()), decoded, 0); key != "" {
		return path, fmt.Sprintf("unknown field %q", key)
	}
	if err == nil {
		err = errors.New("invalid props")
	}
	return "", strings.TrimPrefix(err.Error(), "json: ")
}

// withoutEmbedded removes from field, a path encoding/json names in an
// UnmarshalTypeError ("Props.auth.type"), the Go names of the embedded
// structs it passes through (props shared by several kinds, as web.Props),
// which are no key of the props: "auth.type".
func withoutEmbedded(t reflect.Type, field string) string {
	var out []string
	for _, part := range strings.Split(field, ".") {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t != nil && t.Kind() == reflect.Struct {
			if f, ok := t.FieldByName(part); ok && f.Anonymous && f.Tag.Get("json") == "" {
				t = f.Type
				continue
			}
			if ft, ok := fieldType(jsonFields(t), part); ok {
				t = ft
			} else {
				t = nil
			}
		} else {
			t = nil
		}
		out = append(out, part)
	}
	return strings.Join(out, ".")
}

// unknownKey finds the first key in v (props as decoded from YAML or
// JSON) that type t, decoded as encoding/json does (names from json tags,
// matched without regard to case), has no field for: its field suffix and
// the key; "" and "" when there is none.
func unknownKey(t reflect.Type, v any, depth int) (string, string) {
	if depth > maxDepth {
		return "", ""
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for _, k := range sortedKeys(x) {
				if p, key := unknownKey(t.Elem(), x[k], depth+1); key != "" {
					return "." + join("", k) + p, key
				}
			}
		case reflect.Struct:
			fields := jsonFields(t)
			for _, k := range sortedKeys(x) {
				ft, ok := fieldType(fields, k)
				if !ok {
					return "." + join("", k), k
				}
				if p, key := unknownKey(ft, x[k], depth+1); key != "" {
					return "." + join("", k) + p, key
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, e := range x {
				if p, key := unknownKey(t.Elem(), e, depth+1); key != "" {
					return index("", i) + p, key
				}
			}
		}
	}
	return "", ""
}

// jsonFields returns a struct's fields by JSON name, embedded structs'
// fields included.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for n, typ := range jsonFields(ft) {
					if _, ok := out[n]; !ok {
						out[n] = typ
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// fieldType returns the type of the field key names, matched as
// encoding/json does: exactly, else without regard to case.
func fieldType(fields map[string]reflect.Type, key string) (reflect.Type, bool) {
	if t, ok := fields[key]; ok {
		return t, true
	}
	for name, t := range fields {
		if strings.EqualFold(name, key) {
			return t, true
		}
	}
	return nil, false
}

// article names a schema type for a message.
func article(t string) string {
	switch t {
	case "integer":
		return "an integer"
	case "array":
		return "a list"
	case "object":
		return "a mapping"
	case "string", "number", "boolean":
		return "a " + t
	}
	return t
}

// jsonGot names what encoding/json says it found.
func jsonGot(s string) string {
	word, val, _ := strings.Cut(s, " ")
	switch word {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "array":
		return "a list"
	case "object":
		return "a mapping"
	case "number":
		if val != "" {
			return "the number " + val
		}
		return "a number"
	}
	return s
}

func (v *validator) secrets(c *Capability, k capabilities.Kind, field string) {
	var slots []string
	for _, s := range k.Secrets {
		slots = append(slots, s.Name)
	}
	for _, slot := range sortedKeys(c.Secrets) {
		f := join(field, slot)
		switch name := c.Secrets[slot]; {
		case len(slots) == 0:
			v.check(f, "kind %s has no secret slots", k.ID)
		case !slices.Contains(slots, slot):
			v.check(f, "kind %s has no secret slot %q%s", k.ID, slot, v.names(slot, slots, "its slots"))
		case name == "":
			v.missing(f, "missing: name the secret in the vault")
		case !secretPattern.MatchString(name):
			v.check(f, "invalid secret name %q: use 1 to 128 letters, digits, '.', '_' and '-'", name)
		}
	}
	for _, s := range k.Secrets {
		if _, ok := c.Secrets[s.Name]; !s.Optional && !ok {
			v.missing(field, "missing secret slot %q: %s", s.Name, s.Doc)
		}
	}
}

func (v *validator) checkAgentNames() {
	for _, ag := range v.a.Agents {
		field := join("agents", ag.Name)
		if first, dup := v.agents[ag.Name]; dup {
			v.checkf(ag.Pos, field, "duplicate agent %q%s", ag.Name, lineRef("first at", first.Pos))
			continue
		}
		v.agents[ag.Name] = ag
		v.agentNames = append(v.agentNames, ag.Name)
		if err := CheckName("agent", ag.Name); err != nil {
			v.check(field, "%v", err)
		}
	}
}

func (v *validator) agent(ag *Agent) {
	field := join("agents", ag.Name)
	if ag.Instructed() {
		v.instructions(ag, field)
	} else {
		v.code(ag, field+".code")
		for _, k := range []string{"model", "mode", "attempts"} {
			if _, ok := v.pos[field+"."+k]; ok {
				v.check(field+"."+k, "%s belongs to an instructions agent: give instructions instead of code, or remove %s", k, k)
			}
		}
	}
	v.triggers(ag, field+".triggers")
	v.limits(ag.Limits, field+".limits")

	// Env names, with the field of the first use of each.
	envs := map[string]string{}
	useEnv := func(env, f string) {
		if env == "" {
			v.missing(f, "missing: give an env name")
			return
		}
		if msg := checkEnv(env); msg != "" {
			v.check(f, "%s", msg)
			return
		}
		if first, dup := envs[env]; dup {
			v.check(f, "duplicate env name %q in agent %q%s", env, ag.Name, lineRef("first at", v.at(first)))
			return
		}
		envs[env] = f
	}
	if t := ag.Template; t != nil {
		tf := field + ".template"
		switch c := v.caps[t.Each]; {
		case t.Each == "":
			v.missing(tf+".each", "missing: name the capability whose items this template follows")
		case c == nil:
			v.check(tf+".each", "no capability named %q%s", t.Each, v.names(t.Each, v.capNames, "capabilities"))
		default:
			if k, ok := v.kinds[c.Name]; ok {
				if _, ok := k.New().(capabilities.Enumerator); !ok {
					v.check(tf+".each", "capability %q is of kind %s, which does not enumerate items (kinds that do: %s)",
						t.Each, k.ID, oneOf(enumeratingKinds()))
				}
			}
		}
		if t.As == "" {
			v.missing(tf+".as", "missing: name the env entry each instance's own item is bound to")
		} else {
			useEnv(t.As, tf+".as")
		}
	}
	for _, b := range ag.Bindings {
		f := join(field+".bindings", b.Env)
		useEnv(b.Env, f)
		c := v.caps[b.Capability]
		switch {
		case b.Capability == "":
			v.missing(f, "missing: name the capability bound to env.%s", b.Env)
		case c == nil:
			v.check(f, "no capability named %q%s", b.Capability, v.names(b.Capability, v.capNames, "capabilities"))
		case c.Kind == ChannelKind:
			if owner := v.owners[c.Name]; owner != nil && owner.agent != ag {
				v.check(f, "capability %q is a channel owned by agent %q, its sender%s: only its owner may bind it (give agent %q a channel of its own)",
					c.Name, owner.agent.Name, lineRef("bound at", owner.binding.Pos), ag.Name)
			}
		}
	}
	for _, i := range v.from[ag.Name] {
		useEnv(v.a.Channels[i].Env, index("channels", i)+".env")
	}
}

type channelUse struct {
	agent   *Agent
	binding *Binding
}

func enumeratingKinds() []string {
	var out []string
	for _, k := range capabilities.Kinds() {
		if _, ok := k.New().(capabilities.Enumerator); ok {
			out = append(out, k.ID)
		}
	}
	return out
}

// CheckName returns an error unless name is a valid agent or capability
// name (what says which): 1 to 64 lowercase letters, digits and -,
// beginning with a letter. Its text is for the person who typed the name.
func CheckName(what, name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("invalid %s name %q: use 1 to 64 lowercase letters, digits and -, beginning with a letter", what, name)
	}
	return nil
}

// CheckEnv returns an error unless env is a valid env name: a JavaScript
// identifier of at most 64 characters that is not reserved (then, toJSON,
// a reserved word, a member of Object.prototype). Its text is for the
// person who typed the name.
func CheckEnv(env string) error {
	if msg := checkEnv(env); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// checkEnv returns what is wrong with an env name, or "".
func checkEnv(env string) string {
	switch {
	case env == "":
		return "missing: give an env name"
	case !envPattern.MatchString(env):
		return fmt.Sprintf("env name %q is not a JavaScript identifier: use 1 to 64 letters, digits, _ and $, not beginning with a digit", env)
	case reservedEnv[env] != "":
		return fmt.Sprintf("env name %q is reserved: %s", env, reservedEnv[env])
	}
	return ""
}

// instructions checks an instructions agent: its words, its model (an llm
// capability), its mode and attempts, and that it has no code as well.
func (v *validator) instructions(ag *Agent, field string) {
	if ag.Code != "" || ag.CodePath != "" {
		v.check(field+".code", "give code or instructions, not both: a model writes an instructions agent's code")
	}
	if n := len(ag.Instructions); n > MaxInstructionsBytes {
		v.check(field+".instructions", "the instructions are %d bytes, more than the limit of %d (64 KiB)", n, MaxInstructionsBytes)
	}
	switch c := v.caps[ag.Model]; {
	case ag.Model == "":
		v.missing(field+".model", "missing: name the llm capability that writes this agent's code (model: CAPABILITY)%s", v.llmNames())
	case c == nil:
		v.check(field+".model", "no capability named %q%s", ag.Model, v.llmNames())
	case c.Kind != llm.ID:
		v.check(field+".model", "capability %q is of kind %s; the model must be an llm capability%s", ag.Model, c.Kind, v.llmNames())
	}
	switch ag.Mode {
	case "", ModePlan, ModePerCall:
	default:
		v.check(field+".mode", "mode %q: want %s (the model writes the code once, never seeing the data) or %s (it sees each input and writes code for it)", ag.Mode, ModePlan, ModePerCall)
	}
	if ag.Attempts < 0 || ag.Attempts > MaxAttempts {
		v.check(field+".attempts", "attempts is %d, want 1 to %d (or leave it out for 3)", ag.Attempts, MaxAttempts)
	}
}

// llmNames lists the army's llm capabilities for a message, or says there
// is none.
func (v *validator) llmNames() string {
	var names []string
	for name, c := range v.caps {
		if c.Kind == llm.ID {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return " (the army has no llm capability: add one)"
	}
	slices.Sort(names)
	return " (llm capabilities: " + strings.Join(names, ", ") + ")"
}

func (v *validator) code(ag *Agent, field string) {
	switch {
	case ag.Code == "" && ag.CodePath != "":
		v.missing(field, "code file ./%s is empty", ag.CodePath)
	case ag.Code == "":
		v.missing(field, "no code: write the module inline (code: |) or give its file (code: ./agents/%s.ts), or give instructions and a model for a model to write it", ag.Name)
	case len(ag.Code) > MaxCodeBytes:
		v.check(field, "the code is %d bytes, more than the limit of %d (1 MiB)", len(ag.Code), MaxCodeBytes)
	case ag.CodePath == "" && !strings.Contains(ag.Code, "\n") &&
		(strings.HasPrefix(ag.Code, "./") || strings.HasPrefix(ag.Code, "../")):
		v.check(field, "inline code %q looks like a file path: write it as a plain value (code: %s), not a block", ag.Code, ag.Code)
	}
	if p := ag.CodePath; p != "" {
		if strings.HasPrefix(p, "/") || strings.Contains(p, `\`) || path.Clean(p) != p || p == "." ||
			p == ".." || strings.HasPrefix(p, "../") || strings.HasPrefix(p, "./") || strings.ContainsRune(p, '\n') {
			v.check(field, "code file %q must be a clean relative path inside the army's folder (agents/x.ts)", p)
		}
	}
}

func (v *validator) triggers(ag *Agent, field string) {
	seen := map[string]bool{}
	message := false
	for i, t := range ag.Triggers {
		f := index(field, i)
		if v.isBroken(f) {
			message = true // it might have been meant as one
			continue
		}
		s := t.String()
		if seen[s] {
			v.check(f, "duplicate trigger %q", s)
			continue
		}
		seen[s] = true
		switch t.Kind {
		case TriggerManual:
		case TriggerMessage:
			message = true
			if len(v.in[ag.Name]) == 0 {
				v.missing(f, "no channel comes to agent %q, so the message trigger would never fire", ag.Name)
			}
		case TriggerEvery:
			if t.Every < MinEvery {
				v.check(f, "%q is too often: the shortest period is %s", s, MinEvery)
			}
		case TriggerItem:
			if ag.Template == nil {
				v.check(f, "the item trigger is for templates only (template: {each: CAPABILITY, as: NAME})")
			}
		default:
			v.check(f, "unknown trigger kind %q (want manual, message, every or item)", t.Kind)
		}
	}
	if from := v.in[ag.Name]; len(from) > 0 && !message {
		q := make([]string, len(from))
		for i, s := range from {
			q[i] = fmt.Sprintf("%q", s)
		}
		v.missing(field, "agent %q receives messages (from %s) but has no message trigger: add message to its triggers",
			ag.Name, oneOf(q))
	}
}

func (v *validator) limits(l Limits, field string) {
	if l.Deadline < 0 {
		v.check(field+".deadline", "must not be negative")
	}
	for _, x := range []struct {
		key string
		n   int
	}{
		{"max_stack_depth", l.MaxStackDepth},
		{"max_timers", l.MaxTimers},
		{"max_pending_calls", l.MaxPendingCalls},
		{"max_console_bytes", l.MaxConsoleBytes},
		{"max_value_bytes", l.MaxValueBytes},
		{"concurrency", l.Concurrency},
	} {
		if x.n < 0 {
			v.check(field+"."+x.key, "must not be negative")
		}
	}
}

func (v *validator) channels() {
	for i, ch := range v.a.Channels {
		field := index("channels", i)
		v.endpoint(ch.From, field+".from", "sending", false)
		v.endpoint(ch.To, field+".to", "receiving", true)
		if ch.Env == "" {
			v.missing(field+".env", "missing: name the env entry the sender sends on")
		}
	}
}

// endpoint checks that name names an agent, one that can receive when to.
func (v *validator) endpoint(name, field, role string, to bool) {
	ag := v.agents[name]
	switch {
	case name == "":
		v.missing(field, "missing: name the %s agent", role)
	case ag == nil:
		v.check(field, "no agent named %q%s", name, v.names(name, v.agentNames, "agents"))
	case to && ag.Template != nil:
		v.check(field, "agent %q is a template: a channel cannot choose one of its instances to deliver to", name)
	}
}

// channelCapabilities checks the "to" prop of every channel capability.
func (v *validator) channelCapabilities() {
	for _, c := range v.a.Capabilities {
		if v.caps[c.Name] != c || c.Kind != ChannelKind {
			continue
		}
		if to, ok := c.Props["to"].(string); ok && to != "" {
			v.endpoint(to, join("capabilities", c.Name)+".props.to", "receiving", true)
		}
	}
}

// Edges returns every channel of the army: its Channels, then one for each
// binding of a channel-kind capability, from the binding's agent under the
// binding's env to the agent the capability's "to" prop names (with the
// binding's Pos). The engine and the flow analysis see both the same way.
func (a *Army) Edges() []*Channel {
	out := append([]*Channel(nil), a.Channels...)
	chans := map[string]*Capability{}
	for _, c := range a.Capabilities {
		if _, dup := chans[c.Name]; !dup {
			chans[c.Name] = c
		}
	}
	for _, ag := range a.Agents {
		for _, b := range ag.Bindings {
			c := chans[b.Capability]
			if c == nil || c.Kind != ChannelKind {
				continue
			}
			if to, ok := c.Props["to"].(string); ok {
				out = append(out, &Channel{From: ag.Name, Env: b.Env, To: to, Pos: b.Pos})
			}
		}
	}
	return out
}
