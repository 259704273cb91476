// Package capabilities is the registry of capability kinds and the contract
// every kind implements.
//
// A capability kind is a Go type registered at init under a short lowercase
// id ("kv", "http", "mail"), modelled on Caddy's modules. An instance of a kind
// is made from props (non-secret configuration, decoded strictly: an unknown
// field is an error) and secret references (slot → secret name). Its lifecycle
// is decode → CheckProps (the props' rules alone, with no effect outside the
// instance, so the army can check every capability of a file before anything
// is provisioned; each problem a PropError naming its prop) → Provision
// (handed a Host: secrets reader, storage, message delivery, reports, a logf;
// never globals) → Validate → use → Cleanup (also after a failed Provision).
//
// An agent sees an instance as one binding, env.NAME, whose methods take and
// return plain data. Each method is declared once, in a method table (Table):
// its name, flow role, doc line, TypeScript signature, argument schema and Go
// function. The callable names, dispatch (Table.Call: an unknown name or a
// refused argument is a CallError, which the sandbox throws as a TypeError
// naming what is valid), the roles and the TypeScript interface an agent's
// code is written against (RenderEnv) all follow from it. A static kind gives
// its table in its Kind; a dynamic kind's instance builds its own when
// provisioned (Tabler), and TableOf returns whichever an instance has.
//
// Every method's flow role says what it does with data: a source returns data
// readable by the instance's Label, a sink sends data to the instance's
// Audience, a pure method does neither. Integrity is the dual: a source's
// data was written by the instance's Writers (nil: the owner alone), and a
// writing method is consequential unless it says otherwise
// (Method.Inconsequential: a report to the owner, a channel send, a model
// call) or the owner does for the instance (Flow.Inconsequential, the prop
// `consequential: false`). The army's flow analysis uses these to
// compute, before anything runs, which flows are safe and which need the
// owner's approval.
//
// This package imports only the standard library. A kind's package imports it
// and the interfaces it is handed; never the sandbox, the keyring, the app, or
// another kind.
package capabilities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Role is a method's part in the flow analysis.
type Role string

// Roles.
const (
	// Pure methods neither reveal data to the agent nor send it anywhere.
	Pure Role = "pure"
	// Source methods return data readable by the instance's Label.
	Source Role = "source"
	// Sink methods send data to the instance's Audience.
	Sink Role = "sink"
	// Exchange methods do both: they send data to the Audience and return
	// data readable by the Label (an HTTP request and its response).
	Exchange Role = "exchange"
)

// Reads reports whether a method of this role returns labelled data.
func (r Role) Reads() bool { return r == Source || r == Exchange }

// Writes reports whether a method of this role sends data to the audience.
func (r Role) Writes() bool { return r == Sink || r == Exchange }

// SecretSlot is a secret an instance of a kind may be given.
type SecretSlot struct {
	Name     string // the slot name used in an army file ("password", "api_key")
	Doc      string
	Optional bool
}

// Kind describes a capability kind.
type Kind struct {
	// ID is the kind's id: lowercase letters, digits and dots ("kv", "mail").
	ID string
	// Doc is one line saying what the kind is for.
	Doc string
	// New returns a fresh, zero instance; its exported JSON fields are the
	// props, each documented with a `doc:"..."` struct tag.
	New func() Instance
	// Secrets lists the secret slots.
	Secrets []SecretSlot
	// Table is the kind's method table: each method declared once, with
	// its role, doc, TypeScript signature, argument schema and function;
	// the TypeScript interface the agent sees is rendered from it. A
	// dynamic kind's table holds only the interface's name and doc: each
	// instance builds its own when provisioned (Tabler).
	Table *Table
	// Dynamic is true for a kind whose methods are known only once an
	// instance is provisioned (an MCP server's tools, an OpenAPI spec's
	// operations): its instances implement Tabler.
	Dynamic bool
}

// Instance is a provisioned capability. What an agent may call on it is its
// method table (TableOf): its kind's, or, for a dynamic kind, the one it
// built when provisioned (Tabler). Bind makes it a sandbox binding.
type Instance interface {
	// Flow reports the instance's label and audience, computed from its
	// props (and, after provisioning, from what it found, e.g. a thread's
	// participants).
	Flow() Flow
}

// Provisioner is implemented by instances that need setup: reading secrets,
// opening storage, checking reachability.
type Provisioner interface {
	Provision(ctx context.Context, h *Host) error
}

// Validator is implemented by instances that check, after provisioning,
// what needs it; the props' own rules belong in CheckProps (PropsChecker).
type Validator interface {
	Validate() error
}

// CleanerUpper is implemented by instances holding resources.
type CleanerUpper interface {
	Cleanup() error
}

// Enumerator is implemented by instances whose kind enumerates items (one
// mail thread each, say): the engine spawns one agent per item, each bound to
// the item's own scoped instance.
type Enumerator interface {
	// Items lists the item ids currently there.
	Items(ctx context.Context) ([]string, error)
	// Scope returns the props of an instance scoped to one item.
	Scope(item string) (json.RawMessage, error)
}

// Notifier is implemented by enumerating instances that can tell when their
// items may have changed (an IMAP mailbox watched by IDLE). The engine lists
// the items again as soon as the channel receives, instead of waiting for its
// next poll; polling goes on as the fallback.
type Notifier interface {
	// Changes returns a channel that receives, coalesced, after the items
	// (or a version, see Versioner) changed. A nil channel never receives.
	Changes() <-chan struct{}
}

// Versioner is implemented by enumerating instances whose items change in
// place (a mail thread gaining a message). The engine compares the versions
// between looks and runs a known item's template agents again, once, when
// its version changed.
type Versioner interface {
	// Versions maps each item id to an opaque version string that changes
	// whenever the item's content does.
	Versions(ctx context.Context) (map[string]string, error)
}

// Flow is what the flow analysis needs to know of an instance.
type Flow struct {
	// Label is who may read what the source methods return.
	Label Label `json:"label"`
	// Audience is who will see what the sink methods send.
	Audience Label `json:"audience"`
	// Shared names a store several instances may share (a kv namespace): all
	// agents bound to instances with the same Shared key can read what any of
	// them writes, a two-way path the analysis must see.
	Shared string `json:"shared,omitempty"`
	// External marks a shared store that is also outside the army (a
	// folder on disk): it holds data no agent wrote, readable by Label, so
	// its reads are a source as well as the store's; and people outside the
	// army (Audience) see what is written there, so each write is a sink as
	// well as a write to the store.
	External bool `json:"external,omitempty"`
	// Dynamic is true when the label or audience can change at run time; the
	// engine checks such instances again at call time on actual values.
	Dynamic bool `json:"dynamic,omitempty"`
	// Writers is the integrity of what the reading methods return: who
	// could have written (and so steered) it besides the owner. Nil means
	// trusted: only the owner wrote it (the army file, the owner's own
	// store, a report). A mail thread's writers are its senders other than
	// the owner; a web response's, its origin; an MCP server's, the server.
	// A model's reply carries the integrity of its prompt, which the agent
	// already has, so a model provider adds no writers. A shared store's
	// data carries the writers of everything written there: the analysis
	// propagates them through the store, as labels.
	Writers Label `json:"writers,omitempty"`
	// Inconsequential is set when the owner declared, with the prop
	// `consequential: false`, that this instance's writes need not be
	// held for what steered them (automatic replies in per-thread agents);
	// its writing methods are then treated as Method.Inconsequential.
	Inconsequential bool `json:"inconsequential,omitempty"`
}

// Join returns the join of integrities: the principals who could have
// written data derived from all of them. Nil (trusted) is the identity;
// the owner is never listed, for the owner's writing is what trusted means.
func Join(ls ...Label) Label {
	var ps []Principal
	for _, l := range ls {
		for _, p := range l {
			if p != Owner {
				ps = append(ps, p)
			}
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return NewLabel(ps...)
}

// Principal names someone who may read data.
type Principal string

// Well-known principals.
const (
	// Owner is the person running littleboxes; in every label.
	Owner Principal = "owner"
	// Public is everyone: a label holding Public is the top of the lattice.
	Public Principal = "public"
)

// Person is a principal known by email address.
func Person(addr string) Principal { return Principal("person:" + strings.ToLower(addr)) }

// Origin is a principal for a web origin ("https://api.example.com").
func Origin(origin string) Principal { return Principal("origin:" + origin) }

// Provider is a principal for a service provider (an LLM endpoint's host).
func Provider(host string) Principal { return Principal("provider:" + strings.ToLower(host)) }

// Agent is a principal for an agent of the army.
func Agent(name string) Principal { return Principal("agent:" + name) }

// Label is a set of principals: the readers of some data, or the audience of
// a sink. It is kept sorted and without duplicates.
type Label []Principal

// NewLabel returns the label of the given principals.
func NewLabel(ps ...Principal) Label {
	l := append(Label(nil), ps...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	out := l[:0]
	for i, p := range l {
		if i == 0 || p != l[i-1] {
			out = append(out, p)
		}
	}
	return out
}

// Has reports whether l contains p (a label holding Public contains everyone).
func (l Label) Has(p Principal) bool {
	for _, q := range l {
		if q == p || q == Public {
			return true
		}
	}
	return false
}

// Strings returns the principals as strings.
func (l Label) Strings() []string {
	s := make([]string, len(l))
	for i, p := range l {
		s[i] = string(p)
	}
	return s
}

// Host is what an instance is handed at provision time: everything it may use
// of the outside, and nothing else.
type Host struct {
	// Instance is the capability's name in the army.
	Instance string
	// Army is the name of the army the instance belongs to: what a kind
	// keeps per army (an MCP server's pinned tools) is keyed by it, since
	// armies sharing a data directory share nothing else by name. Empty
	// outside an army.
	Army string
	// Secrets reads secret values by name, at the moment of use.
	Secrets Secrets
	// SecretRefs maps the kind's secret slots to secret names.
	SecretRefs map[string]string
	// Storage keeps per-capability data (a kv namespace, a cursor).
	Storage Storage
	// Messages delivers channel messages (the engine's job).
	Messages Deliverer
	// Reports takes reports to the owner.
	Reports Reporter
	// Logf logs; it redacts secrets.
	Logf func(format string, args ...any)
}

// Secret reads the secret in slot. A slot with no reference is ErrNoSecret.
func (h *Host) Secret(ctx context.Context, slot string) (string, error) {
	if h == nil || h.Secrets == nil {
		return "", fmt.Errorf("secret %q: %w (no secrets reader)", slot, ErrNoSecret)
	}
	name, ok := h.SecretRefs[slot]
	if !ok || name == "" {
		return "", fmt.Errorf("secret slot %q: %w", slot, ErrNoSecret)
	}
	v, err := h.Secrets.Get(ctx, name)
	if err != nil {
		return "", fmt.Errorf("secret %q for slot %q: %w", name, slot, err)
	}
	return v, nil
}

// Logff logs through Logf when set.
func (h *Host) Logff(format string, args ...any) {
	if h != nil && h.Logf != nil {
		h.Logf(format, args...)
	}
}

// Secrets reads secret values by name.
type Secrets interface {
	Get(ctx context.Context, name string) (string, error)
}

// Storage keeps bytes by namespace and key.
type Storage interface {
	Get(ctx context.Context, namespace, key string) (value []byte, ok bool, err error)
	Put(ctx context.Context, namespace, key string, value []byte) error
	Delete(ctx context.Context, namespace, key string) error
	// List returns up to limit keys with the prefix, in order, after the
	// key after (exclusive; "" for the start).
	List(ctx context.Context, namespace, prefix, after string, limit int) ([]string, error)
}

// Deliverer queues a channel message from one agent to another.
type Deliverer interface {
	Deliver(ctx context.Context, channel, to string, msg any) error
}

// Reporter takes a report to the owner.
type Reporter interface {
	Report(ctx context.Context, from string, msg any) error
}

// Sentinel errors.
var (
	// ErrUnknownKind is returned for a kind id nobody registered.
	ErrUnknownKind = errors.New("unknown capability kind")
	// ErrProps wraps every props decoding or validation error.
	ErrProps = errors.New("invalid props")
	// ErrNoSecret means a required secret slot has no reference.
	ErrNoSecret = errors.New("no secret given")
	// ErrIncomplete marks a props problem of something not given yet (as
	// a missing required prop is), which an army still being built may have.
	ErrIncomplete = errors.New("not given yet")
	// ErrUnavailable means a host facility the instance needs is missing.
	ErrUnavailable = errors.New("not available")
)

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)*$`)

var (
	registryMu sync.RWMutex
	registry   = map[string]Kind{}
	tables     = map[reflect.Type]*Table{} // a kind's instance type → the kind's table
)

// Register adds a kind. It is called from a kind package's init and panics
// on a malformed or duplicate kind, as a programming error.
func Register(k Kind) {
	if err := checkKind(k); err != nil {
		panic("capabilities.Register: " + err.Error())
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[k.ID]; dup {
		panic("capabilities.Register: kind " + k.ID + " registered twice")
	}
	t := reflect.TypeOf(k.New())
	if _, dup := tables[t]; dup {
		panic("capabilities.Register: kind " + k.ID + ": instance type " + t.String() + " belongs to another kind")
	}
	registry[k.ID] = k
	tables[t] = k.Table
}

func checkKind(k Kind) error {
	if !idPattern.MatchString(k.ID) {
		return fmt.Errorf("kind id %q is not dotted lowercase", k.ID)
	}
	if k.Doc == "" || k.New == nil || k.Table == nil {
		return fmt.Errorf("kind %s lacks Doc, New or Table", k.ID)
	}
	if k.Table.index == nil {
		return fmt.Errorf("kind %s: its Table was not made by NewTable", k.ID)
	}
	inst := k.New()
	if inst == nil {
		return fmt.Errorf("kind %s: New returned nil", k.ID)
	}
	_, tabler := inst.(Tabler)
	switch {
	case k.Dynamic && !tabler:
		return fmt.Errorf("kind %s is dynamic but its instances do not build a table (Tabler)", k.ID)
	case !k.Dynamic && tabler:
		return fmt.Errorf("kind %s: its instances build a table (Tabler) but the kind is not Dynamic", k.ID)
	case !k.Dynamic && len(k.Table.Names()) == 0:
		return fmt.Errorf("kind %s has no methods", k.ID)
	}
	// NewTable checked the table itself both ways: every method has a role,
	// a doc line, a TypeScript signature naming its parameters and a
	// function, and no name comes twice; what is callable is what is
	// declared, and the TypeScript is rendered from the same methods.
	if _, err := PropsSchema(k); err != nil {
		return fmt.Errorf("kind %s: %w", k.ID, err)
	}
	return nil
}

// Lookup returns the kind registered under id.
func Lookup(id string) (Kind, error) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	k, ok := registry[id]
	if !ok {
		return Kind{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownKind, id, strings.Join(idsLocked(), ", "))
	}
	return k, nil
}

// Kinds returns every registered kind, sorted by id.
func Kinds() []Kind {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]Kind, 0, len(registry))
	for _, id := range idsLocked() {
		out = append(out, registry[id])
	}
	return out
}

func idsLocked() []string {
	ids := make([]string, 0, len(registry))
	for id := range registry {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Decode makes an instance of the kind id from props JSON, strictly: an
// unknown field, a field of the wrong type or trailing data is an error
// wrapping ErrProps. Empty props decode as {}.
func Decode(id string, props []byte) (Instance, Kind, error) {
	k, err := Lookup(id)
	if err != nil {
		return nil, Kind{}, err
	}
	inst := k.New()
	if len(bytes.TrimSpace(props)) == 0 {
		props = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(props))
	dec.DisallowUnknownFields()
	if err := dec.Decode(inst); err != nil {
		return nil, k, fmt.Errorf("%s props: %w: %v", id, ErrProps, err)
	}
	if dec.More() {
		return nil, k, fmt.Errorf("%s props: %w: trailing data after the object", id, ErrProps)
	}
	return inst, k, nil
}

// New decodes, checks (PropsChecker), provisions and validates an instance. On any failure after
// decoding it cleans the instance up, and returns the error with context.
// Required secret slots without a reference fail before provisioning.
func New(ctx context.Context, id string, props []byte, h *Host) (Instance, error) {
	inst, k, err := Decode(id, props)
	if err != nil {
		return nil, err
	}
	if h == nil {
		h = &Host{}
	}
	for _, s := range k.Secrets {
		if !s.Optional && h.SecretRefs[s.Name] == "" {
			return nil, fmt.Errorf("%s: secret slot %q: %w", id, s.Name, ErrNoSecret)
		}
	}
	for slot := range h.SecretRefs {
		if !hasSlot(k, slot) {
			return nil, fmt.Errorf("%s: %w: unknown secret slot %q", id, ErrProps, slot)
		}
	}
	if err := checkProps(id, inst, h.SecretRefs); err != nil {
		return nil, err
	}
	if p, ok := inst.(Provisioner); ok {
		if err := p.Provision(ctx, h); err != nil {
			_ = Cleanup(inst)
			return nil, fmt.Errorf("provisioning %s: %w", id, err)
		}
	}
	if v, ok := inst.(Validator); ok {
		if err := v.Validate(); err != nil {
			_ = Cleanup(inst)
			return nil, fmt.Errorf("%s props: %w: %v", id, ErrProps, err)
		}
	}
	return inst, nil
}

func hasSlot(k Kind, slot string) bool {
	for _, s := range k.Secrets {
		if s.Name == slot {
			return true
		}
	}
	return false
}

// Cleanup releases an instance's resources, if it holds any.
func Cleanup(inst Instance) error {
	if c, ok := inst.(CleanerUpper); ok {
		return c.Cleanup()
	}
	return nil
}
