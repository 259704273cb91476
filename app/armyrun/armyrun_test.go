package armyrun

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"littleboxes/app/army"
	"littleboxes/app/store"
	_ "littleboxes/capabilities/standard"
	"littleboxes/vault"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.(*Conn).inWorker"),
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.newConn.func1"))
}

const echoArmy = `name: echo
agents:
  echo:
    triggers: [manual]
    code: |
      export default { async run(input) { return "echo " + input } }
`

func TestStart(t *testing.T) {
	ctx := context.Background()
	a, err := army.Parse([]byte(echoArmy), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runner, closeRunner, err := NewRunner(true, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRunner()
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{name: "runs", opts: Options{Army: a, Store: st, Redactor: vault.NewRedactor(), Runner: runner, Passive: true, Logf: t.Logf}},
		{name: "no redactor", opts: Options{Army: a, Store: st, Runner: runner}, wantErr: "required"},
		{name: "no army", opts: Options{Store: st, Redactor: vault.NewRedactor(), Runner: runner}, wantErr: "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Start(ctx, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close(ctx)
			res, err := e.Run(ctx, "echo", "hi")
			if err != nil {
				t.Fatal(err)
			}
			if res.Value != "echo hi" {
				t.Errorf("result %v, want echo hi", res.Value)
			}
		})
	}
}

func TestRedactedError(t *testing.T) {
	red := vault.NewRedactor()
	if err := red.Add("tok", "s3cret-value-123"); err != nil {
		t.Fatal(err)
	}
	base := context.Canceled
	err := redacted{err: wrapped{"engine: token s3cret-value-123 refused", base}, red: red}
	if strings.Contains(err.Error(), "s3cret-value-123") {
		t.Errorf("error shows the secret: %v", err)
	}
	if !strings.Contains(err.Error(), "refused") {
		t.Errorf("error lost its text: %v", err)
	}
	if !errors.Is(err, base) {
		t.Error("errors.Is does not see the error beneath")
	}
}

type wrapped struct {
	msg string
	err error
}

func (w wrapped) Error() string { return w.msg }
func (w wrapped) Unwrap() error { return w.err }
