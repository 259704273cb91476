package flow

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"littleboxes/app/army"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGolden pins check --json and the text output, explanations included.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		army func() (*army.Army, fakeFacts)
	}{
		{"inbox", inbox},
		{"inbox-leaky", inboxLeaky},
	} {
		t.Run(tc.name, func(t *testing.T) {
			an := analyze(t, tc.army)
			js, err := an.JSON()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", tc.name+".json"), js)
			golden(t, filepath.Join("testdata", tc.name+".txt"), []byte(an.Text()))
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
