package flow

import (
	"path/filepath"
	"testing"

	"littleboxes/app/army"
	"littleboxes/capabilities/captest"
)

// TestGolden pins check --json and the text output, explanations included;
// go test -update rewrites the golden files in testdata/.
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
			captest.Golden(t, filepath.Join("testdata", tc.name+".json"), js)
			captest.Golden(t, filepath.Join("testdata", tc.name+".txt"), []byte(an.Text()))
		})
	}
}
