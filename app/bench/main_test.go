package bench_test

import (
	"context"
	"os"
	"testing"
	"time"

	"littleboxes/app/bench"
	"littleboxes/app/cli"
	_ "littleboxes/capabilities/standard" // the built-in kinds, which main imports
	"littleboxes/sandbox/cell"
)

// cliEnv, set, makes this test binary the littleboxes command line, as the
// scale figures' child processes need.
const cliEnv = "LITTLEBOXES_BENCH_TEST_CLI"

func TestMain(m *testing.M) {
	cell.MaybeServe() // the army figure's cells are this test binary
	if os.Getenv(cliEnv) == "1" {
		os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestScale measures the scale figures on small armies, through child
// processes of this binary acting as littleboxes.
func TestScale(t *testing.T) {
	t.Setenv(cliEnv, "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := bench.Scale(ctx, exe, 200, t.TempDir(), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if r.N != 200 || r.CheckS <= 0 || r.OnceS <= 0 || r.OnceRSSMiB <= 1 {
		t.Errorf("report %+v: want 200 agents, positive times, a peak RSS", r)
	}
}
