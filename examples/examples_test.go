package examples

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"littleboxes/app/army"
	"littleboxes/capabilities"
	_ "littleboxes/capabilities/standard"
	"littleboxes/sandbox"
)

// TestExamplesLoadAndTypeCheck loads each example army, compiles each
// agent, and type-checks each agent's code against the env its army gives it
// (the declaration RenderEnv makes), with tsc from frontend/.
func TestExamplesLoadAndTypeCheck(t *testing.T) {
	tsc, _ := filepath.Abs("../frontend/node_modules/.bin/tsc")
	if _, err := os.Stat(tsc); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tsc not found at %s: run npm ci in frontend/ first", tsc)
		}
		tsc = ""
	}
	if len(Names()) != 5 {
		t.Fatalf("examples: %v", Names())
	}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path, err := Materialize(name, dir)
			if err != nil {
				t.Fatal(err)
			}
			a, err := army.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, ag := range a.Agents {
				if ag.Instructed() {
					continue // a model writes its code when it runs
				}
				if _, err := sandbox.Compile(ag.Name+".ts", ag.Code); err != nil {
					t.Fatalf("agent %s: %v", ag.Name, err)
				}
				var bs []capabilities.Binding
				for _, b := range ag.Bindings {
					bs = append(bs, capabilities.Binding{Name: b.Env, Kind: a.Capability(b.Capability).Kind})
				}
				for _, c := range a.ChannelsFrom(ag.Name) {
					bs = append(bs, capabilities.Binding{Name: c.Env, Kind: "channel"})
				}
				if ag.Template != nil {
					bs = append(bs, capabilities.Binding{Name: ag.Template.As, Kind: a.Capability(ag.Template.Each).Kind})
				}
				env, err := capabilities.RenderEnv(bs)
				if err != nil {
					t.Fatal(err)
				}
				if tsc == "" {
					continue
				}
				adir := filepath.Join(dir, "tsc-"+ag.Name)
				if err := os.MkdirAll(adir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(adir, "env.d.ts"), []byte(env), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(adir, "agent.ts"), []byte(ag.Code), 0o644); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(tsc, "--noEmit", "--strict", "--target", "es2022", "--lib", "es2022", "--types", "", "env.d.ts", "agent.ts")
				cmd.Dir = adir
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("agent %s does not type-check against its env: %v\n%s", ag.Name, err, out)
				}
			}
		})
	}
}
