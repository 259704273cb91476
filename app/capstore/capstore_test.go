package capstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"littleboxes/app/capstore"
	"littleboxes/app/store"
	"littleboxes/app/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s store.Store, st *capstore.Storage)
	}{
		{"GetMissing", testGetMissing},
		{"RoundTrip", testRoundTrip},
		{"Delete", testDelete},
		{"NamespacesApart", testNamespacesApart},
		{"ListOrder", testListOrder},
		{"ListPaging", testListPaging},
		{"InvalidInput", testInvalidInput},
		{"Cancelled", testCancelled},
		{"Closed", testClosed},
		{"DataBucket", testDataBucket},
		{"Concurrent", testConcurrent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := storetest.Open(t)
			c.fn(t, s, capstore.New(s))
		})
	}
}

func mustPut(t *testing.T, st *capstore.Storage, ns string, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if err := st.Put(context.Background(), ns, kv[i], []byte(kv[i+1])); err != nil {
			t.Fatalf("put %q: %v", kv[i], err)
		}
	}
}

func mustGet(t *testing.T, st *capstore.Storage, ns, key string) (string, bool) {
	t.Helper()
	v, ok, err := st.Get(context.Background(), ns, key)
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	return string(v), ok
}

func mustList(t *testing.T, st *capstore.Storage, ns, prefix, after string, limit int) []string {
	t.Helper()
	keys, err := st.List(context.Background(), ns, prefix, after, limit)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if keys == nil {
		t.Fatal("list returned nil, want a non-nil slice")
	}
	return keys
}

func testGetMissing(t *testing.T, _ store.Store, st *capstore.Storage) {
	if v, ok := mustGet(t, st, "never", "k"); ok || v != "" {
		t.Fatalf("get in a missing namespace = %q, %v", v, ok)
	}
	mustPut(t, st, "ns", "a", "1")
	if v, ok := mustGet(t, st, "ns", "b"); ok || v != "" {
		t.Fatalf("get of a missing key = %q, %v", v, ok)
	}
	if keys := mustList(t, st, "never", "", "", 10); len(keys) != 0 {
		t.Fatalf("list of a missing namespace = %q", keys)
	}
}

func testRoundTrip(t *testing.T, _ store.Store, st *capstore.Storage) {
	ctx := context.Background()
	mustPut(t, st, "ns", "k", "v1")
	if v, ok := mustGet(t, st, "ns", "k"); !ok || v != "v1" {
		t.Fatalf("get = %q, %v; want v1", v, ok)
	}
	mustPut(t, st, "ns", "k", "v2")
	if v, _ := mustGet(t, st, "ns", "k"); v != "v2" {
		t.Fatalf("after overwrite get = %q; want v2", v)
	}
	mustPut(t, st, "ns", "empty", "")
	if v, ok := mustGet(t, st, "ns", "empty"); !ok || v != "" {
		t.Fatalf("empty value: get = %q, %v; want \"\", true", v, ok)
	}
	bin := []byte{0, 0xff, 0xfe, '\n', 0}
	if err := st.Put(ctx, "ns", "bin", bin); err != nil {
		t.Fatal(err)
	}
	got, ok, err := st.Get(ctx, "ns", "bin")
	if err != nil || !ok || string(got) != string(bin) {
		t.Fatalf("binary value: got %q, %v, %v", got, ok, err)
	}
	// The value handed out is a copy: changing it changes nothing stored.
	got[0] = 'X'
	if again, _, _ := st.Get(ctx, "ns", "bin"); again[0] != 0 {
		t.Fatal("value returned by Get aliases the store")
	}
	// And so is the value handed in.
	in := []byte("abc")
	if err := st.Put(ctx, "ns", "alias", in); err != nil {
		t.Fatal(err)
	}
	in[0] = 'X'
	if v, _ := mustGet(t, st, "ns", "alias"); v != "abc" {
		t.Fatalf("value passed to Put is aliased: %q", v)
	}
}

func testDelete(t *testing.T, _ store.Store, st *capstore.Storage) {
	ctx := context.Background()
	mustPut(t, st, "ns", "a", "1", "b", "2")
	if err := st.Delete(ctx, "ns", "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustGet(t, st, "ns", "a"); ok {
		t.Fatal("a still there after delete")
	}
	if v, _ := mustGet(t, st, "ns", "b"); v != "2" {
		t.Fatalf("b = %q after deleting a", v)
	}
	for _, c := range []struct{ ns, key string }{{"ns", "a"}, {"ns", "missing"}, {"never", "k"}} {
		if err := st.Delete(ctx, c.ns, c.key); err != nil {
			t.Fatalf("delete %q in %q: %v, want nil", c.key, c.ns, err)
		}
	}
}

func testNamespacesApart(t *testing.T, _ store.Store, st *capstore.Storage) {
	ctx := context.Background()
	mustPut(t, st, "kv:one", "k", "one")
	mustPut(t, st, "kv:two", "k", "two")
	if v, _ := mustGet(t, st, "kv:one", "k"); v != "one" {
		t.Fatalf("kv:one k = %q", v)
	}
	if v, _ := mustGet(t, st, "kv:two", "k"); v != "two" {
		t.Fatalf("kv:two k = %q", v)
	}
	if err := st.Delete(ctx, "kv:one", "k"); err != nil {
		t.Fatal(err)
	}
	if v, _ := mustGet(t, st, "kv:two", "k"); v != "two" {
		t.Fatal("deleting in one namespace changed another")
	}
	if keys := mustList(t, st, "kv:one", "", "", 0); len(keys) != 0 {
		t.Fatalf("kv:one keys = %q", keys)
	}
}

func testListOrder(t *testing.T, _ store.Store, st *capstore.Storage) {
	mustPut(t, st, "ns", "todo/2", "", "done/1", "", "todo/1", "", "todo/10", "", "todo", "", "z", "")
	cases := []struct {
		name          string
		prefix, after string
		limit         int
		want          []string
	}{
		{"all", "", "", 0, []string{"done/1", "todo", "todo/1", "todo/10", "todo/2", "z"}},
		{"negative limit is no limit", "", "", -1, []string{"done/1", "todo", "todo/1", "todo/10", "todo/2", "z"}},
		{"limit", "", "", 2, []string{"done/1", "todo"}},
		{"prefix", "todo/", "", 0, []string{"todo/1", "todo/10", "todo/2"}},
		{"prefix and limit", "todo/", "", 1, []string{"todo/1"}},
		{"after", "", "todo/1", 0, []string{"todo/10", "todo/2", "z"}},
		{"after a missing key", "", "todo/15", 0, []string{"todo/2", "z"}},
		{"after within prefix", "todo/", "todo/1", 0, []string{"todo/10", "todo/2"}},
		{"after before the prefix", "todo/", "a", 0, []string{"todo/1", "todo/10", "todo/2"}},
		{"after past the prefix", "todo/", "u", 0, []string{}},
		{"after the last", "", "z", 0, []string{}},
		{"no match", "nope", "", 0, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustList(t, st, "ns", c.prefix, c.after, c.limit)
			if !slices.Equal(got, c.want) {
				t.Fatalf("List(%q, %q, %d) = %q, want %q", c.prefix, c.after, c.limit, got, c.want)
			}
		})
	}
}

func testListPaging(t *testing.T, _ store.Store, st *capstore.Storage) {
	var want []string
	for i := range 25 {
		k := fmt.Sprintf("k%03d", i)
		want = append(want, k)
		mustPut(t, st, "ns", k, "v")
	}
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		page := mustList(t, st, "ns", "k", after, 7)
		got = append(got, page...)
		if len(page) < 7 {
			break
		}
		after = page[len(page)-1]
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged keys = %q, want %q", got, want)
	}
}

func testInvalidInput(t *testing.T, _ store.Store, st *capstore.Storage) {
	ctx := context.Background()
	if err := st.Put(ctx, "ns", "", []byte("v")); !errors.Is(err, store.ErrInvalidKey) {
		t.Fatalf("put of an empty key: err = %v, want ErrInvalidKey", err)
	}
	long := string(make([]byte, store.MaxKeySize+1))
	if err := st.Put(ctx, "ns", long, nil); !errors.Is(err, store.ErrInvalidKey) {
		t.Fatalf("put of a long key: err = %v, want ErrInvalidKey", err)
	}
	for name, err := range map[string]error{
		"get":    func() error { _, _, err := st.Get(ctx, "", "k"); return err }(),
		"put":    st.Put(ctx, "", "k", nil),
		"delete": st.Delete(ctx, "", "k"),
		"list":   func() error { _, err := st.List(ctx, "", "", "", 1); return err }(),
	} {
		if err == nil {
			t.Errorf("%s with an empty namespace: no error", name)
		}
	}
}

// callAll calls each method of st once, on key "k" of namespace "ns", and
// returns the errors by method name.
func callAll(ctx context.Context, st *capstore.Storage) map[string]error {
	_, _, getErr := st.Get(ctx, "ns", "k")
	_, listErr := st.List(ctx, "ns", "", "", 1)
	return map[string]error{
		"get":    getErr,
		"put":    st.Put(ctx, "ns", "k", nil),
		"delete": st.Delete(ctx, "ns", "k"),
		"list":   listErr,
	}
}

func testCancelled(t *testing.T, _ store.Store, st *capstore.Storage) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, err := range callAll(ctx, st) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: err = %v, want context.Canceled", name, err)
		}
	}
	if _, ok := mustGet(t, st, "ns", "k"); ok {
		t.Fatal("a put with a cancelled context wrote")
	}
}

func testClosed(t *testing.T, s store.Store, st *capstore.Storage) {
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for name, err := range callAll(context.Background(), st) {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s on a closed store: err = %v, want store.ErrClosed", name, err)
		}
	}
}

func testDataBucket(t *testing.T, s store.Store, st *capstore.Storage) {
	mustPut(t, st, "kv:notes", "todo/1", "milk")
	storetest.View(t, s, []string{store.BucketData, "kv:notes"}, func(b store.Bucket) error {
		if v, err := b.Get([]byte("todo/1")); err != nil || string(v) != "milk" {
			t.Errorf("under (%q, %q): todo/1 = %q, %v; want milk", store.BucketData, "kv:notes", v, err)
		}
		return nil
	})
}

func testConcurrent(t *testing.T, _ store.Store, st *capstore.Storage) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8*20)
	for w := range 8 {
		wg.Go(func() {
			for i := range 20 {
				k := fmt.Sprintf("w%d/%02d", w, i)
				if err := st.Put(ctx, "ns", k, []byte(k)); err != nil {
					errs <- err
				}
				if _, _, err := st.Get(ctx, "ns", k); err != nil {
					errs <- err
				}
				if _, err := st.List(ctx, "ns", fmt.Sprintf("w%d/", w), "", 5); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if keys := mustList(t, st, "ns", "", "", 0); len(keys) != 8*20 {
		t.Fatalf("%d keys after concurrent puts, want %d", len(keys), 8*20)
	}
}

func TestBoltPersists(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), store.FileName)
	s := storetest.OpenFile(t, path)
	st := capstore.New(s)
	mustPut(t, st, "kv:notes", "a", "1", "b", "2", "c", "3")
	if err := st.Delete(ctx, "kv:notes", "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	st = capstore.New(storetest.OpenFile(t, path))
	if keys := mustList(t, st, "kv:notes", "", "", 0); !slices.Equal(keys, []string{"a", "c"}) {
		t.Fatalf("after reopening, keys = %q, want [a c]", keys)
	}
	if v, ok := mustGet(t, st, "kv:notes", "c"); !ok || v != "3" {
		t.Fatalf("after reopening, c = %q, %v", v, ok)
	}
}

// ExampleStorage shows a namespace written and listed by prefix.
func ExampleStorage() {
	dir, err := os.MkdirTemp("", "capstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	s, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	st := capstore.New(s)
	ctx := context.Background()
	for _, k := range []string{"todo/2", "done/1", "todo/1"} {
		if err := st.Put(ctx, "kv:notes", k, []byte("x")); err != nil {
			panic(err)
		}
	}
	keys, err := st.List(ctx, "kv:notes", "todo/", "", 10)
	if err != nil {
		panic(err)
	}
	fmt.Println(keys)
	// Output: [todo/1 todo/2]
}
