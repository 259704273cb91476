package kv_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"littleboxes/app/capstore"
	"littleboxes/app/store"
	"littleboxes/app/store/storetest"
	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
	"littleboxes/capabilities/kv"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	captest.Check(t, kv.ID)
}

// memStorage returns a capabilities.Storage over a fresh store.
func memStorage(t *testing.T) capabilities.Storage {
	t.Helper()
	return capstore.New(storetest.Open(t))
}

func newKV(t *testing.T, props string, st capabilities.Storage) capabilities.Instance {
	t.Helper()
	return captest.MustProvision(t, kv.ID, props, &capabilities.Host{Instance: "notes", Storage: st})
}

func TestProps(t *testing.T) {
	captest.Props(t, kv.ID, func(t *testing.T) *capabilities.Host { return &capabilities.Host{Storage: memStorage(t)} }, []captest.PropsCase{
		{Name: "minimal", Props: `{"namespace": "notes"}`},
		{Name: "every character allowed", Props: `{"namespace": "Az09._-"}`},
		{Name: "64 characters", Props: `{"namespace": "` + strings.Repeat("n", 64) + `"}`},
		{Name: "explicit caps", Props: `{"namespace": "n", "max_key_bytes": 32768, "max_value_bytes": 67108864}`},
		{Name: "zero caps are defaults", Props: `{"namespace": "n", "max_key_bytes": 0, "max_value_bytes": 0}`},
		{Name: "no props", Props: ``, WantErr: "namespace is required"},
		{Name: "missing namespace", Props: `{"max_key_bytes": 10}`, WantErr: "namespace is required"},
		{Name: "empty namespace", Props: `{"namespace": ""}`, WantErr: "namespace is required"},
		{Name: "space in namespace", Props: `{"namespace": "my notes"}`, WantErr: `namespace "my notes" must be`},
		{Name: "slash in namespace", Props: `{"namespace": "a/b"}`, WantErr: `namespace "a/b" must be`},
		{Name: "colon in namespace", Props: `{"namespace": "kv:a"}`, WantErr: `namespace "kv:a" must be`},
		{Name: "non-ASCII namespace", Props: `{"namespace": "notés"}`, WantErr: `must be 1 to 64`},
		{Name: "65 characters", Props: `{"namespace": "` + strings.Repeat("n", 65) + `"}`, WantErr: "must be 1 to 64"},
		{Name: "negative max_key_bytes", Props: `{"namespace": "n", "max_key_bytes": -1}`, WantErr: "max_key_bytes is -1"},
		{Name: "huge max_key_bytes", Props: `{"namespace": "n", "max_key_bytes": 32769}`, WantErr: "max_key_bytes is 32769"},
		{Name: "negative max_value_bytes", Props: `{"namespace": "n", "max_value_bytes": -5}`, WantErr: "max_value_bytes is -5"},
		{Name: "huge max_value_bytes", Props: `{"namespace": "n", "max_value_bytes": 67108865}`, WantErr: "max_value_bytes is 67108865"},
		{Name: "namespace not a string", Props: `{"namespace": 7}`, WantErr: "namespace"},
		{Name: "fractional cap", Props: `{"namespace": "n", "max_key_bytes": 1.5}`, WantErr: "max_key_bytes"},
		{Name: "unknown field", Props: `{"namespace": "n", "nmespace": "x"}`, WantErr: "nmespace"},
	})
}

func TestFlow(t *testing.T) {
	inst := newKV(t, `{"namespace": "notes"}`, memStorage(t))
	want := capabilities.Flow{
		Label:    capabilities.Label{capabilities.Owner},
		Audience: capabilities.Label{capabilities.Owner},
		Shared:   "kv:notes",
	}
	if got := inst.Flow(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Flow() = %+v, want %+v", got, want)
	}
	k, _ := capabilities.Lookup(kv.ID)
	roles := map[string]capabilities.Role{"get": capabilities.Source, "list": capabilities.Source, "put": capabilities.Sink, "delete": capabilities.Sink}
	if got := capabilities.TableOf(inst).Names(); !reflect.DeepEqual(got, []string{"get", "put", "delete", "list"}) {
		t.Fatalf("Methods() = %q", got)
	}
	for name, role := range roles {
		if m, ok := k.Table.Method(name); !ok || m.Role != role {
			t.Errorf("method %s: role %q, want %q", name, m.Role, role)
		}
	}
	if len(k.Secrets) != 0 {
		t.Errorf("kv has secret slots %v, want none", k.Secrets)
	}
}

// TestMethods runs each case on a fresh instance, holding a=1, b/1=2, b/2=3.
func TestMethods(t *testing.T) {
	long := strings.Repeat("k", kv.DefaultMaxKeyBytes+1)
	cases := []struct {
		name    string
		props   string // default {"namespace":"n"}
		method  string
		args    []any
		want    any
		wantErr string
		then    map[string]any // after the call: what get resolves to for each key (nil: nothing there)
	}{
		{name: "get", method: "get", args: []any{"a"}, want: "1"},
		{name: "get missing", method: "get", args: []any{"zzz"}, want: nil},
		{name: "get no key", method: "get", args: nil, wantErr: "argument 1 (key): want a string, got nothing"},
		{name: "get number key", method: "get", args: []any{1.0}, wantErr: "argument 1 (key): want a string, got the number 1"},
		{name: "get empty key", method: "get", args: []any{""}, wantErr: "kv get: the key is empty"},
		{name: "get long key", method: "get", args: []any{long}, wantErr: "kv get: the key is 513 bytes, over max_key_bytes (512)"},
		{name: "get bad UTF-8", method: "get", args: []any{"a\xff"}, wantErr: "not valid UTF-8"},

		{name: "put new", method: "put", args: []any{"c", "4"}, want: nil, then: map[string]any{"c": "4"}},
		{name: "put overwrite", method: "put", args: []any{"a", "new"}, want: nil, then: map[string]any{"a": "new"}},
		{name: "put empty value", method: "put", args: []any{"e", ""}, want: nil, then: map[string]any{"e": ""}},
		{name: "put unicode", method: "put", args: []any{"ключ/🔑", "значение ✓"}, want: nil, then: map[string]any{"ключ/🔑": "значение ✓"}},
		{name: "put object value", method: "put", args: []any{"o", map[string]any{"x": 1.0}}, wantErr: "argument 2 (value): want a string, got an object (store objects with JSON.stringify)"},
		{name: "put missing value", method: "put", args: []any{"o"}, wantErr: "argument 2 (value): want a string, got nothing (store objects with JSON.stringify)"},
		{name: "put bytes value", method: "put", args: []any{"o", []byte("x")}, wantErr: "want a string, got bytes"},
		{name: "put no key", method: "put", args: []any{nil, "v"}, wantErr: "argument 1 (key): want a string, got null"},
		{name: "put empty key", method: "put", args: []any{"", "v"}, wantErr: "kv put: the key is empty"},
		{name: "put key at cap", props: `{"namespace":"n","max_key_bytes":4}`, method: "put", args: []any{"abcd", "v"}, want: nil},
		{name: "put key over cap", props: `{"namespace":"n","max_key_bytes":4}`, method: "put", args: []any{"abcde", "v"}, wantErr: "kv put: the key is 5 bytes, over max_key_bytes (4)"},
		{name: "put key over cap in UTF-8 bytes", props: `{"namespace":"n","max_key_bytes":4}`, method: "put", args: []any{"ééé", "v"}, wantErr: "the key is 6 bytes, over max_key_bytes (4)"},
		{name: "put value at cap", props: `{"namespace":"n","max_value_bytes":8}`, method: "put", args: []any{"k", "12345678"}, want: nil},
		{name: "put value over cap", props: `{"namespace":"n","max_value_bytes":8}`, method: "put", args: []any{"k", "123456789"}, wantErr: `kv put "k": the value is 9 bytes, over max_value_bytes (8)`, then: map[string]any{"k": nil}},
		{name: "put value over default cap", method: "put", args: []any{"k", strings.Repeat("v", kv.DefaultMaxValueBytes+1)}, wantErr: "over max_value_bytes (1048576)"},

		{name: "delete", method: "delete", args: []any{"a"}, want: nil, then: map[string]any{"a": nil}},
		{name: "delete missing", method: "delete", args: []any{"nope"}, want: nil},
		{name: "delete no key", method: "delete", args: []any{}, wantErr: "argument 1 (key): want a string, got nothing"},
		{name: "delete long key", props: `{"namespace":"n","max_key_bytes":3}`, method: "delete", args: []any{"abcd"}, wantErr: "kv delete: the key is 4 bytes, over max_key_bytes (3)"},

		{name: "list all", method: "list", args: nil, want: keys(nil, "a", "b/1", "b/2")},
		{name: "list null prefix", method: "list", args: []any{nil}, want: keys(nil, "a", "b/1", "b/2")},
		{name: "list prefix", method: "list", args: []any{"b/"}, want: keys(nil, "b/1", "b/2")},
		{name: "list no match", method: "list", args: []any{"zz"}, want: keys(nil)},
		{name: "list limit", method: "list", args: []any{"", map[string]any{"limit": 2.0}}, want: keys("b/1", "a", "b/1")},
		{name: "list limit exact", method: "list", args: []any{"", map[string]any{"limit": 3.0}}, want: keys(nil, "a", "b/1", "b/2")},
		{name: "list after", method: "list", args: []any{"", map[string]any{"after": "a"}}, want: keys(nil, "b/1", "b/2")},
		{name: "list after and limit", method: "list", args: []any{"b/", map[string]any{"after": "b/1", "limit": 1.0}}, want: keys(nil, "b/2")},
		{name: "list null options", method: "list", args: []any{"b/", map[string]any{"after": nil, "limit": nil}}, want: keys(nil, "b/1", "b/2")},
		{name: "list limit max", method: "list", args: []any{"", map[string]any{"limit": 1000.0}}, want: keys(nil, "a", "b/1", "b/2")},
		{name: "list limit over max", method: "list", args: []any{"", map[string]any{"limit": 1001.0}}, wantErr: "kv list: argument 2 (options.limit): want an integer from 1 to 1000, got the number 1001"},
		{name: "list limit zero", method: "list", args: []any{"", map[string]any{"limit": 0.0}}, wantErr: "options.limit"},
		{name: "list limit fraction", method: "list", args: []any{"", map[string]any{"limit": 2.5}}, wantErr: "options.limit"},
		{name: "list limit string", method: "list", args: []any{"", map[string]any{"limit": "10"}}, wantErr: "options.limit): want an integer from 1 to 1000, got a string"},
		{name: "list after number", method: "list", args: []any{"", map[string]any{"after": 3.0}}, wantErr: "argument 2 (options.after): want a string"},
		{name: "list unknown option", method: "list", args: []any{"", map[string]any{"cursor": "x"}}, wantErr: `unknown option "cursor"`},
		{name: "list options not object", method: "list", args: []any{"", 10.0}, wantErr: "argument 2 (options): want an object, got the number 10"},
		{name: "list prefix not string", method: "list", args: []any{map[string]any{"limit": 1.0}}, wantErr: "argument 1 (prefix): want a string, got an object"},

		{name: "unknown method", method: "set", args: []any{"a", "b"}, wantErr: "there is no method set; it has get, put, delete, list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			props := c.props
			if props == "" {
				props = `{"namespace":"n"}`
			}
			inst := newKV(t, props, memStorage(t))
			for _, kv := range [][2]string{{"a", "1"}, {"b/1", "2"}, {"b/2", "3"}} {
				captest.MustCall(t, inst, "put", kv[0], kv[1])
			}
			got, err := capabilities.Call(context.Background(), inst, c.method, c.args)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
				}
			} else if err != nil {
				t.Fatalf("err = %v", err)
			} else if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %#v, want %#v", got, c.want)
			}
			for key, want := range c.then {
				if got := captest.MustCall(t, inst, "get", key); got != want {
					t.Errorf("after %s, get %q = %#v, want %#v", c.name, key, got, want)
				}
			}
		})
	}
}

// keys is list's result: the keys, then next (nil or a string).
func keys(next any, ks ...string) map[string]any {
	out := make([]any, len(ks))
	for i, k := range ks {
		out[i] = k
	}
	return map[string]any{"keys": out, "next": next}
}

func TestListPaging(t *testing.T) {
	inst := newKV(t, `{"namespace":"n"}`, memStorage(t))
	for i := range 250 {
		captest.MustCall(t, inst, "put", fmt.Sprintf("item/%03d", i), "v")
	}
	captest.MustCall(t, inst, "put", "other", "v")
	var all []any
	var sizes []int
	var opts any
	for range 10 {
		res := captest.MustCall(t, inst, "list", "item/", opts).(map[string]any)
		page := res["keys"].([]any)
		all = append(all, page...)
		sizes = append(sizes, len(page))
		if res["next"] == nil {
			break
		}
		if res["next"] != page[len(page)-1] {
			t.Fatalf("next = %v, want the last key of the page %v", res["next"], page[len(page)-1])
		}
		opts = map[string]any{"after": res["next"]}
	}
	if !reflect.DeepEqual(sizes, []int{100, 100, 50}) {
		t.Fatalf("page sizes %v, want [100 100 50] (default limit 100)", sizes)
	}
	for i, k := range all {
		if want := fmt.Sprintf("item/%03d", i); k != want {
			t.Fatalf("key %d = %v, want %s", i, k, want)
		}
	}
	res := captest.MustCall(t, inst, "list", nil, map[string]any{"limit": 1000.0}).(map[string]any)
	if n := len(res["keys"].([]any)); n != 251 || res["next"] != nil {
		t.Fatalf("limit 1000: %d keys, next %v; want 251, null", n, res["next"])
	}
}

func TestSharedNamespace(t *testing.T) {
	st := memStorage(t)
	a := newKV(t, `{"namespace":"shared"}`, st)
	b := newKV(t, `{"namespace":"shared"}`, st)
	other := newKV(t, `{"namespace":"other"}`, st)
	captest.MustCall(t, a, "put", "k", "from a")
	if got := captest.MustCall(t, b, "get", "k"); got != "from a" {
		t.Fatalf("b reads %v, want what a wrote", got)
	}
	if got := captest.MustCall(t, other, "get", "k"); got != nil {
		t.Fatalf("another namespace reads %v, want null", got)
	}
	if a.Flow().Shared != b.Flow().Shared || a.Flow().Shared == other.Flow().Shared {
		t.Fatalf("Shared keys: a %q, b %q, other %q", a.Flow().Shared, b.Flow().Shared, other.Flow().Shared)
	}
	// The data is kept under the storage namespace "kv:" + namespace.
	v, ok, err := st.Get(context.Background(), "kv:shared", "k")
	if err != nil || !ok || string(v) != "from a" {
		t.Fatalf("storage kv:shared k = %q, %v, %v", v, ok, err)
	}
}

func TestNoStorage(t *testing.T) {
	inst, err := capabilities.New(context.Background(), kv.ID, []byte(`{"namespace":"n"}`), &capabilities.Host{})
	if err != nil {
		t.Fatalf("new without storage: %v (a missing storage fails at call time)", err)
	}
	for _, c := range []struct {
		method string
		args   []any
	}{
		{"get", []any{"k"}},
		{"put", []any{"k", "v"}},
		{"delete", []any{"k"}},
		{"list", nil},
	} {
		_, err := capabilities.Call(context.Background(), inst, c.method, c.args)
		if !errors.Is(err, capabilities.ErrUnavailable) || !strings.Contains(err.Error(), "kv "+c.method+": storage") {
			t.Errorf("%s without storage: err = %v, want ErrUnavailable naming storage", c.method, err)
		}
	}
	if _, err := capabilities.New(context.Background(), kv.ID, []byte(`{"namespace":"n"}`), nil); err != nil {
		t.Fatalf("new with a nil host: %v", err)
	}
}

// failing is a Storage whose every call fails.
type failing struct{ err error }

func (f failing) Get(context.Context, string, string) ([]byte, bool, error) { return nil, false, f.err }
func (f failing) Put(context.Context, string, string, []byte) error         { return f.err }
func (f failing) Delete(context.Context, string, string) error              { return f.err }
func (f failing) List(context.Context, string, string, string, int) ([]string, error) {
	return nil, f.err
}

func TestStorageErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	inst := newKV(t, `{"namespace":"n"}`, failing{boom})
	for _, c := range []struct {
		method, want string
		args         []any
	}{
		{"get", `kv get "k": disk on fire`, []any{"k"}},
		{"put", `kv put "k": disk on fire`, []any{"k", "v"}},
		{"delete", `kv delete "k": disk on fire`, []any{"k"}},
		{"list", `kv list "p": disk on fire`, []any{"p"}},
	} {
		_, err := capabilities.Call(context.Background(), inst, c.method, c.args)
		if !errors.Is(err, boom) || err.Error() != c.want {
			t.Errorf("%s: err = %v, want %q wrapping the storage error", c.method, err, c.want)
		}
	}
}

func TestCancelled(t *testing.T) {
	inst := newKV(t, `{"namespace":"n"}`, memStorage(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := capabilities.Call(ctx, inst, "put", []any{"k", "v"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("put with a cancelled context: err = %v", err)
	}
	if got := captest.MustCall(t, inst, "get", "k"); got != nil {
		t.Fatalf("a cancelled put wrote %v", got)
	}
}

// TestBolt runs kv over the real storage, a bbolt file, and sees the data
// survive closing and reopening the file.
func TestBolt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "littleboxes.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inst := newKV(t, `{"namespace":"notes"}`, capstore.New(s))
	for i := range 5 {
		captest.MustCall(t, inst, "put", fmt.Sprintf("todo/%d", i), fmt.Sprintf(`{"n":%d}`, i))
	}
	captest.MustCall(t, inst, "delete", "todo/3")
	if err := capabilities.Cleanup(inst); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inst = newKV(t, `{"namespace":"notes"}`, capstore.New(s))
	if got := captest.MustCall(t, inst, "get", "todo/4"); got != `{"n":4}` {
		t.Fatalf("after reopening, todo/4 = %v", got)
	}
	want := keys(nil, "todo/0", "todo/1", "todo/2", "todo/4")
	if got := captest.MustCall(t, inst, "list", "todo/"); !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopening, list = %v, want %v", got, want)
	}
	res := captest.MustCall(t, inst, "list", "todo/", map[string]any{"limit": 2.0})
	if want := keys("todo/1", "todo/0", "todo/1"); !reflect.DeepEqual(res, want) {
		t.Fatalf("paged list = %v, want %v", res, want)
	}
}

// FuzzProps checks that any props either make a working instance or fail
// with ErrProps, never panic.
func FuzzProps(f *testing.F) {
	for _, s := range []string{`{"namespace":"n"}`, `{"namespace":"a b"}`, `{"namespace":"n","max_key_bytes":-1}`, `{}`, `null`, `{"namespace":"` + strings.Repeat("x", 70) + `"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, props []byte) {
		inst, err := capabilities.New(context.Background(), kv.ID, props, &capabilities.Host{Storage: failing{errors.New("no")}})
		if err != nil {
			if !errors.Is(err, capabilities.ErrProps) {
				t.Fatalf("err = %v, want ErrProps", err)
			}
			return
		}
		if !strings.HasPrefix(inst.Flow().Shared, "kv:") || len(inst.Flow().Shared) < 4 {
			t.Fatalf("Shared = %q", inst.Flow().Shared)
		}
	})
}
