package capabilities

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// fake is a kind used only by these tests.
type fake struct {
	Greeting string   `json:"greeting" doc:"What hello returns."`
	Count    int      `json:"count,omitempty" doc:"How many times to repeat."`
	Tags     []string `json:"tags,omitempty" doc:"Free-form tags."`

	provisioned, cleaned bool
	failProvision        bool
	secret               string
}

var lastFake *fake

func (f *fake) hello(_ context.Context, args []any) (any, error) {
	return f.Greeting + " " + args[0].(string), nil
}
func (f *fake) Flow() Flow { return Flow{Label: NewLabel(Owner), Audience: NewLabel(Owner)} }
func (f *fake) Provision(ctx context.Context, h *Host) error {
	lastFake = f
	f.provisioned = true
	if f.Greeting == "fail" {
		return errors.New("provision failed on purpose")
	}
	if _, ok := h.SecretRefs["token"]; ok {
		s, err := h.Secret(ctx, "token")
		if err != nil {
			return err
		}
		f.secret = s
	}
	return nil
}
func (f *fake) Validate() error {
	if f.Count < 0 {
		return errors.New("count must not be negative")
	}
	return nil
}
func (f *fake) Cleanup() error { f.cleaned = true; return nil }

type secretsMap map[string]string

func (m secretsMap) Get(_ context.Context, name string) (string, error) {
	v, ok := m[name]
	if !ok {
		return "", errors.New("no such secret")
	}
	return v, nil
}

func init() {
	Register(Kind{
		ID: "test.fake", Doc: "A fake kind for tests.",
		New:     func() Instance { return &fake{} },
		Secrets: []SecretSlot{{Name: "token", Doc: "A token.", Optional: true}},
		Table: MustTable(Spec{Interface: "Fake", Doc: "A fake.", Methods: []Method{{
			Name: "hello", Role: Pure, Doc: "Says hello.", TS: "hello(name: string): Promise<string>",
			Params: []Param{{Name: "name", Type: TypeString}}, Fn: Of((*fake).hello),
		}}}),
	})
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		props   string
		refs    map[string]string
		wantErr error
		errHas  string
		cleaned bool
	}{
		{name: "ok", props: `{"greeting": "hi"}`},
		{name: "empty props", props: ``},
		{name: "unknown field", props: `{"greeting": "hi", "colour": "red"}`, wantErr: ErrProps, errHas: "colour"},
		{name: "wrong type", props: `{"count": "three"}`, wantErr: ErrProps, errHas: "count"},
		{name: "trailing data", props: `{} {}`, wantErr: ErrProps},
		{name: "validate fails and cleans up", props: `{"count": -1}`, wantErr: ErrProps, errHas: "count must not be negative", cleaned: true},
		{name: "provision fails and cleans up", props: `{"greeting": "fail"}`, errHas: "provision failed on purpose", cleaned: true},
		{name: "unknown secret slot", props: `{}`, refs: map[string]string{"password": "x"}, wantErr: ErrProps, errHas: "password"},
		{name: "missing secret value", props: `{}`, refs: map[string]string{"token": "absent"}, errHas: `secret "absent" for slot "token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lastFake = nil
			inst, err := New(ctx, "test.fake", []byte(tt.props), &Host{SecretRefs: tt.refs, Secrets: secretsMap{"t1": "s3cret"}})
			if tt.wantErr == nil && tt.errHas == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got, err := Call(ctx, inst, "hello", []any{"bo"}); err != nil || !strings.HasSuffix(got.(string), " bo") {
					t.Fatalf("hello = %v, %v", got, err)
				}
				return
			}
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.wantErr, tt.errHas)
			}
			if tt.cleaned && (lastFake == nil || !lastFake.cleaned) {
				t.Fatal("the instance was not cleaned up after a failed provision or validation")
			}
		})
	}
}

func TestSecretReadAtProvision(t *testing.T) {
	inst, err := New(context.Background(), "test.fake", nil, &Host{SecretRefs: map[string]string{"token": "t1"}, Secrets: secretsMap{"t1": "s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	if inst.(*fake).secret != "s3cret" {
		t.Fatal("secret not handed over")
	}
}

func TestCallErrors(t *testing.T) {
	inst, _, err := Decode("test.fake", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ce *CallError
	if _, err := Call(context.Background(), inst, "nope", nil); !errors.As(err, &ce) || err.Error() != "there is no method nope; it has hello" {
		t.Fatalf("unknown method: %v", err)
	}
	_, err = Call(context.Background(), inst, "hello", []any{42.0})
	if !errors.As(err, &ce) || ce.Arg == nil || err.Error() != "argument 1 (name): want a string, got the number 42" {
		t.Fatalf("bad arg: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Call(ctx, inst, "hello", []any{"x"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestUnknownKind(t *testing.T) {
	if _, _, err := Decode("nope", nil); !errors.Is(err, ErrUnknownKind) || !strings.Contains(err.Error(), "test.fake") {
		t.Fatalf("err = %v", err)
	}
}

func TestRegisterRejectsMalformedKinds(t *testing.T) {
	good := func() Kind {
		k, _ := Lookup("test.fake")
		k.ID = "test.other"
		return k
	}
	tests := []struct {
		name string
		mut  func(*Kind)
	}{
		{"bad id", func(k *Kind) { k.ID = "Bad_ID" }},
		{"no doc", func(k *Kind) { k.Doc = "" }},
		{"no table", func(k *Kind) { k.Table = nil }},
		{"table not made by NewTable", func(k *Kind) { k.Table = &Table{} }},
		{"no methods", func(k *Kind) { k.Table = MustTable(Spec{Interface: "Fake", Doc: "A fake."}) }},
		{"dynamic but builds no table", func(k *Kind) { k.Dynamic = true }},
		{"duplicate", func(k *Kind) { k.ID = "test.fake" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := good()
			tt.mut(&k)
			defer func() {
				if recover() == nil {
					t.Fatal("Register accepted a malformed kind")
				}
			}()
			Register(k)
		})
	}
}

func TestPropsSchema(t *testing.T) {
	k, _ := Lookup("test.fake")
	got, err := PropsSchema(k)
	if err != nil {
		t.Fatal(err)
	}
	want := []PropField{
		{Name: "greeting", Type: "string", Doc: "What hello returns.", Required: true},
		{Name: "count", Type: "integer", Doc: "How many times to repeat."},
		{Name: "tags", Type: "array", Doc: "Free-form tags.", Items: "string"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("field %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestLabels(t *testing.T) {
	l := NewLabel(Person("Alice@Example.com"), Owner, Owner, Agent("t1"))
	if got := strings.Join(l.Strings(), ","); got != "agent:t1,owner,person:alice@example.com" {
		t.Fatalf("label = %s", got)
	}
	if !l.Has(Owner) || l.Has(Origin("https://x")) || !NewLabel(Public).Has(Owner) {
		t.Fatal("Has is wrong")
	}
}

func TestRenderEnv(t *testing.T) {
	got, err := RenderEnv([]Binding{{Name: "b", Kind: "test.fake"}, {Name: "a", Kind: "test.fake", Note: "the greeter"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(got, "interface Fake ") != 1 || !strings.Contains(got, "readonly a: Fake;") || strings.Index(got, "readonly a") > strings.Index(got, "readonly b") || !strings.Contains(got, "the greeter (test.fake") {
		t.Fatalf("RenderEnv:\n%s", got)
	}
	if _, err := RenderEnv([]Binding{{Name: "not-an-ident", Kind: "test.fake"}}); err == nil {
		t.Fatal("accepted a bad env name")
	}
	if _, err := RenderEnv([]Binding{{Name: "x", Kind: "nope"}}); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("unknown kind: %v", err)
	}
}
