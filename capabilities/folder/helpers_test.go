package folder_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
	"littleboxes/capabilities/folder"
)

// secret is what the directory beside a test's folder holds, which no call
// may reveal.
const secret = "TOP-SECRET-OUTSIDE"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newFolder provisions a folder instance over dir with extra props (a JSON
// object's members, without braces, or "").
func newFolder(t testing.TB, dir, extra string) capabilities.Instance {
	t.Helper()
	p, _ := json.Marshal(dir)
	props := `{"path": ` + string(p)
	if extra != "" {
		props += ", " + extra
	}
	props += "}"
	return captest.MustProvision(t, folder.ID, props, &capabilities.Host{Instance: "notes"})
}

// put writes a file under dir, making its parents.
func put(t testing.TB, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// content reads a file under dir, "<missing>" when it is not there.
func content(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if os.IsNotExist(err) {
		return "<missing>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
