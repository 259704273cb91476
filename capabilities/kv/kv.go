// Package kv is the kv capability kind: a persistent key-value store of
// strings, in a namespace named by the instance's props.
//
// An agent sees it as env.NAME with get, put, delete and list. Keys and
// values are strings (an agent stores objects with JSON.stringify); both are
// capped in bytes of UTF-8 by props. The data lives in the host's Storage
// under the storage namespace "kv:" + namespace, so every instance naming the
// same namespace, in any agent, reads and writes the same data.
//
// Flow: what get and list return is readable by the owner, and what put and
// delete write is seen by the owner; but because a namespace is shared, the
// instance's Flow carries Shared = "kv:" + namespace, and the analysis treats
// every agent bound to that namespace as able to read what any of them
// writes. Namespaces are shared by name across armies too (every army using
// the same data directory), so a namespace's data keeps a persisted label,
// the meet of the labels of every agent that ever wrote to it, which the host
// records with each put and the analysis starts the namespace at; and a
// persisted integrity, the join of the writers (who could have steered) of
// every agent that ever wrote to it, recorded the same way, so what a
// steered agent stored steers whoever reads it. Only clearing the namespace
// (`littleboxes kv clear`) resets them.
package kv

import (
	"context"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"unicode/utf8"

	"littleboxes/capabilities"
)

// ID is the kind's id.
const ID = "kv"

// Defaults and bounds of the props and of list.
const (
	// DefaultMaxKeyBytes is the key cap when max_key_bytes is unset.
	DefaultMaxKeyBytes = 512
	// KeyBytesCeiling is the largest max_key_bytes allowed: the store's own
	// key limit.
	KeyBytesCeiling = 32768
	// DefaultMaxValueBytes is the value cap when max_value_bytes is unset.
	DefaultMaxValueBytes = 1 << 20
	// ValueBytesCeiling is the largest max_value_bytes allowed.
	ValueBytesCeiling = 64 << 20
	// DefaultListLimit is how many keys list returns when no limit is given.
	DefaultListLimit = 100
	// MaxListLimit is the largest limit list accepts.
	MaxListLimit = 1000
)

var namespacePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// KV is a kv capability instance. Its exported fields are the props.
type KV struct {
	Namespace     string `json:"namespace" doc:"The store's name: 1 to 64 of A-Z a-z 0-9 . _ -. Every kv capability with the same namespace shares the same data, so the agents bound to them can read what each other writes."`
	MaxKeyBytes   int    `json:"max_key_bytes,omitempty" doc:"The longest key accepted, in bytes of UTF-8; 0 or unset means 512, at most 32768."`
	MaxValueBytes int    `json:"max_value_bytes,omitempty" doc:"The longest value accepted, in bytes of UTF-8; 0 or unset means 1048576 (1 MiB), at most 67108864 (64 MiB)."`

	storage capabilities.Storage
}

func init() {
	capabilities.Register(capabilities.Kind{
		ID:    ID,
		Doc:   "A persistent key-value store of strings, shared by every agent bound to the same namespace.",
		New:   func() capabilities.Instance { return new(KV) },
		Table: table,
	})
}

// table declares the methods an agent calls on env.NAME.
var table = capabilities.MustTable(capabilities.Spec{Interface: "KV", Doc: `A persistent key-value store: string keys to string values, kept on the
owner's machine across runs. Values are strings only: store an object with
JSON.stringify(obj) and read it back with JSON.parse(text).

Limits: a key is 1 to 512 bytes of UTF-8 and a value at most 1 MiB, unless
this capability was configured otherwise; going over throws an Error naming
the limit.

Sharing: every agent bound to a kv with the same namespace reads and writes
the same data. So whatever this agent stores, those agents can read, and
whatever they store, this agent can read; littleboxes counts that when it
decides which of the agents' actions are safe and which need the owner's
approval. Writes are never held for approval.`, Methods: []capabilities.Method{
	{
		Name: "get", Role: capabilities.Source,
		Doc: "Returns the string stored under a key, or null.",
		TS:  "get(key: string): Promise<string | null>",
		TSDoc: `Returns the value stored under key, or null when there is none.
Throws if key is empty or longer than the key limit.`,
		Params: []capabilities.Param{{Name: "key", Type: capabilities.TypeString}},
		Fn:     capabilities.Of((*KV).get),
	},
	{
		Name: "put", Role: capabilities.Sink, Inconsequential: true,
		Doc: "Stores a string under a key, replacing any value there.",
		TS:  "put(key: string, value: string): Promise<void>",
		TSDoc: `Stores value under key, replacing any value already there. value must be
a string (use JSON.stringify for anything else) no longer than the value
limit; key is 1 byte up to the key limit. Resolves once the value is
saved.`,
		Params: []capabilities.Param{{Name: "key", Type: capabilities.TypeString},
			{Name: "value", Type: capabilities.TypeString, Hint: "store objects with JSON.stringify"}},
		Fn: capabilities.Of((*KV).put),
	},
	{
		Name: "delete", Role: capabilities.Sink, Inconsequential: true,
		Doc:    "Removes a key; removing a missing key is not an error.",
		TS:     "delete(key: string): Promise<void>",
		TSDoc:  "Removes key and its value. Removing a key that is not there is not an error.",
		Params: []capabilities.Param{{Name: "key", Type: capabilities.TypeString}},
		Fn:     capabilities.Of((*KV).delete),
	},
	{
		Name: "list", Role: capabilities.Source,
		Doc: "Lists keys in byte order, optionally by prefix, a page at a time.",
		TS:  "list(prefix?: string, options?: { limit?: number; after?: string }): Promise<{ keys: string[]; next: string | null }>",
		TSDoc: `Lists keys in byte order (so "a/10" comes before "a/2"), only those
starting with prefix when one is given. Returns at most options.limit
keys (default 100, at most 1000) after the key options.after. next is
null when there are no more; otherwise pass it as options.after to get
the next page. With this capability bound as env.notes:
  let page = await env.notes.list("todo/");
  for (;;) {
    for (const key of page.keys) { ... }
    if (page.next === null) break;
    page = await env.notes.list("todo/", { after: page.next });
  }`,
		Params: []capabilities.Param{{Name: "prefix", Type: capabilities.TypeString, Optional: true},
			{Name: "options", Type: capabilities.TypeObject, Optional: true}},
		Fn: capabilities.Of((*KV).list),
	},
}})

// Provision implements capabilities.Provisioner. It keeps the host's
// storage; a host without one is not an error until a method is called.
func (k *KV) Provision(_ context.Context, h *capabilities.Host) error {
	k.storage = h.Storage
	return nil
}

// CheckProps implements capabilities.PropsChecker.
func (k *KV) CheckProps(map[string]string) error {
	var ps capabilities.Problems
	switch {
	case k.Namespace == "":
		ps.Addf("namespace", "namespace is required")
	case !namespacePattern.MatchString(k.Namespace):
		ps.Addf("namespace", "namespace %q must be 1 to 64 of A-Z a-z 0-9 . _ -", k.Namespace)
	}
	capabilities.CheckLimit(&ps, "max_key_bytes", k.MaxKeyBytes, KeyBytesCeiling, DefaultMaxKeyBytes)
	capabilities.CheckLimit(&ps, "max_value_bytes", k.MaxValueBytes, ValueBytesCeiling, DefaultMaxValueBytes)
	return ps.Err()
}

// Flow implements capabilities.Instance: the owner reads and sees
// everything, and the namespace is shared.
func (k *KV) Flow() capabilities.Flow {
	return capabilities.Flow{
		Label:    capabilities.NewLabel(capabilities.Owner),
		Audience: capabilities.NewLabel(capabilities.Owner),
		Shared:   k.shared(),
	}
}

// shared is the namespace's name for the flow analysis and in the storage.
func (k *KV) shared() string { return "kv:" + k.Namespace }

func (k *KV) maxKey() int { return capabilities.Limit(k.MaxKeyBytes, DefaultMaxKeyBytes) }

func (k *KV) maxValue() int { return capabilities.Limit(k.MaxValueBytes, DefaultMaxValueBytes) }

// store returns the storage, or an error wrapping ErrUnavailable.
func (k *KV) store(op string) (capabilities.Storage, error) {
	if k.storage == nil {
		return nil, fmt.Errorf("kv %s: storage: %w", op, capabilities.ErrUnavailable)
	}
	return k.storage, nil
}

// key returns argument i as a key, checked against the caps.
func (k *KV) key(op string, args []any, i int) (string, error) {
	key, err := capabilities.String(args, i, "key")
	if err != nil {
		return "", fmt.Errorf("kv %s: %w", op, err)
	}
	switch {
	case key == "":
		return "", fmt.Errorf("kv %s: the key is empty", op)
	case len(key) > k.maxKey():
		return "", fmt.Errorf("kv %s: the key is %d bytes, over max_key_bytes (%d)", op, len(key), k.maxKey())
	case !utf8.ValidString(key):
		return "", fmt.Errorf("kv %s: the key is not valid UTF-8", op)
	}
	return key, nil
}

// keyIn returns the key a call of op names (its first argument) and the
// storage it is looked up in.
func (k *KV) keyIn(op string, args []any) (string, capabilities.Storage, error) {
	key, err := k.key(op, args, 0)
	if err != nil {
		return "", nil, err
	}
	st, err := k.store(op)
	return key, st, err
}

func (k *KV) get(ctx context.Context, args []any) (any, error) {
	key, st, err := k.keyIn("get", args)
	if err != nil {
		return nil, err
	}
	v, ok, err := st.Get(ctx, k.shared(), key)
	if err != nil {
		return nil, fmt.Errorf("kv get %q: %w", key, err)
	}
	if !ok {
		return nil, nil
	}
	return string(v), nil
}

func (k *KV) put(ctx context.Context, args []any) (any, error) {
	key, err := k.key("put", args, 0)
	if err != nil {
		return nil, err
	}
	value, err := capabilities.String(args, 1, "value")
	if err != nil {
		return nil, fmt.Errorf("kv put %q: %w (store objects with JSON.stringify)", key, err)
	}
	if len(value) > k.maxValue() {
		return nil, fmt.Errorf("kv put %q: the value is %d bytes, over max_value_bytes (%d)", key, len(value), k.maxValue())
	}
	st, err := k.store("put")
	if err != nil {
		return nil, err
	}
	if err := st.Put(ctx, k.shared(), key, []byte(value)); err != nil {
		return nil, fmt.Errorf("kv put %q: %w", key, err)
	}
	return nil, nil
}

func (k *KV) delete(ctx context.Context, args []any) (any, error) {
	key, st, err := k.keyIn("delete", args)
	if err != nil {
		return nil, err
	}
	if err := st.Delete(ctx, k.shared(), key); err != nil {
		return nil, fmt.Errorf("kv delete %q: %w", key, err)
	}
	return nil, nil
}

func (k *KV) list(ctx context.Context, args []any) (any, error) {
	prefix, err := capabilities.OptString(args, 0, "prefix", "")
	if err != nil {
		return nil, fmt.Errorf("kv list: %w", err)
	}
	opts, err := capabilities.OptObject(args, 1, "options")
	if err != nil {
		return nil, fmt.Errorf("kv list: %w", err)
	}
	limit, after := DefaultListLimit, ""
	for _, name := range slices.Sorted(maps.Keys(opts)) {
		v := opts[name]
		switch name {
		case "limit":
			if v == nil {
				continue
			}
			f, ok := v.(float64)
			if !ok || f < 1 || f > MaxListLimit || f != math.Trunc(f) {
				return nil, fmt.Errorf("kv list: %w", &capabilities.ArgError{Index: 1, Name: "options.limit", Want: fmt.Sprintf("an integer from 1 to %d", MaxListLimit), Got: v})
			}
			limit = int(f)
		case "after":
			if v == nil {
				continue
			}
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("kv list: %w", &capabilities.ArgError{Index: 1, Name: "options.after", Want: "a string", Got: v})
			}
			after = s
		default:
			return nil, fmt.Errorf("kv list: argument 2 (options): unknown option %q (known: limit, after)", name)
		}
	}
	st, err := k.store("list")
	if err != nil {
		return nil, err
	}
	keys, err := st.List(ctx, k.shared(), prefix, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("kv list %q: %w", prefix, err)
	}
	var next any
	if len(keys) > limit {
		keys = keys[:limit]
		next = keys[limit-1]
	}
	out := make([]any, len(keys))
	for i, key := range keys {
		out[i] = key
	}
	return map[string]any{"keys": out, "next": next}, nil
}

// Interface guards.
var (
	_ capabilities.Instance     = (*KV)(nil)
	_ capabilities.Provisioner  = (*KV)(nil)
	_ capabilities.PropsChecker = (*KV)(nil)
)
