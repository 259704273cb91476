package cell

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"littleboxes/sandbox"
)

// heartbeat runs an agent invocation every 100 ms until stop is closed and
// records the longest gap between two successful ticks and any error.
type heartbeat struct {
	mu      sync.Mutex
	last    time.Time
	maxGap  time.Duration
	ticks   int
	errs    []error
	stop    chan struct{}
	stopped chan struct{}
}

func startHeartbeat(t *testing.T, p *Pool) *heartbeat {
	mod := compile(t, `export default { async run(n, env, ctx) { return n + 1 } }`)
	hb := &heartbeat{last: time.Now(), stop: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(hb.stopped)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-hb.stop:
				return
			case <-tick.C:
			}
			res, err := p.Run(context.Background(), &sandbox.Invocation{Module: mod, Input: float64(i), Context: map[string]any{"agent": "heartbeat"}})
			now := time.Now()
			hb.mu.Lock()
			if err != nil {
				hb.errs = append(hb.errs, err)
			} else if res.Value != float64(i+1) {
				hb.errs = append(hb.errs, errors.New("heartbeat: wrong value"))
			} else {
				hb.ticks++
				if gap := now.Sub(hb.last); gap > hb.maxGap {
					hb.maxGap = gap
				}
				hb.last = now
			}
			hb.mu.Unlock()
		}
	}()
	return hb
}

func (hb *heartbeat) end() (ticks int, maxGap time.Duration, errs []error) {
	close(hb.stop)
	<-hb.stopped
	hb.mu.Lock()
	defer hb.mu.Unlock()
	return hb.ticks, hb.maxGap, hb.errs
}

// rssWatch samples this process's RSS until stopped and returns the peak.
func rssWatch() (stop func() int64) {
	var peak int64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if r := RSS(os.Getpid()); r > peak {
				peak = r
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { close(done); <-finished; return peak }
}

// TestHostileAgentsNextToHeartbeat runs each known way of hurting a
// process next to a heartbeat ticking in another cell: each ends with a
// clear limit error within deadline + grace, the heartbeat keeps ticking
// and the main process stays small.
func TestHostileAgentsNextToHeartbeat(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const deadline, grace = time.Second, time.Second
	p := newPool(t, Options{Cells: 2, MemoryCap: 256 << 20, Grace: grace, QuietPeriod: time.Minute})
	stopRSS := rssWatch()
	hb := startHeartbeat(t, p)
	time.Sleep(250 * time.Millisecond) // the heartbeat takes its home cell first

	cases := []struct {
		name string
		body string
		// alsoOK accepts a non-limit error that is the first layer's own
		// clear refusal.
		alsoOK func(err error) bool
	}{
		{name: "array fill", body: `new Array(3e7).fill(1)`},
		{name: "string repeat", body: `'x'.repeat(2**29)`},
		{name: "deep JSON", body: `JSON.parse('['.repeat(1e6) + ']'.repeat(1e6))`, alsoOK: func(err error) bool {
			// The in-process layer refuses the nesting up front.
			var se *sandbox.ScriptError
			return errors.As(err, &se) && se.Name == "RangeError" && strings.Contains(se.Message, "nests deeper")
		}},
		{name: "busy loop", body: `while (true) {}`},
		{name: "microtask chain", body: `const f = () => Promise.resolve().then(f); f(); await new Promise(() => {})`},
		{name: "growing array", body: `const a = []; for (let i = 0; ; i++) a.push({ i, s: 'y'.repeat(64) + i })`},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mod := compile(t, `export default { async run(input, env, ctx) { `+tc.body+` } } // `+strconv.Itoa(i))
			start := time.Now()
			_, err := p.Run(context.Background(), &sandbox.Invocation{
				Module:  mod,
				Context: map[string]any{"agent": "hostile"},
				Limits:  sandbox.Limits{Deadline: deadline},
			})
			took := time.Since(start)
			t.Logf("%s: %v after %v", tc.name, err, took.Round(time.Millisecond))
			var le *sandbox.LimitError
			switch {
			case errors.As(err, &le) && errors.Is(err, sandbox.ErrLimit):
			case tc.alsoOK != nil && tc.alsoOK(err):
			default:
				t.Fatalf("want a limit error, got %v", err)
			}
			if max := deadline + grace + 500*time.Millisecond; took > max {
				t.Fatalf("took %v, more than %v", took, max)
			}
		})
	}
	ticks, gap, errs := hb.end()
	peak := stopRSS()
	t.Logf("heartbeat: %d ticks, longest gap %v; main process peak RSS %d MiB", ticks, gap, peak>>20)
	for _, err := range errs {
		t.Errorf("heartbeat failed: %v", err)
	}
	if gap > 600*time.Millisecond {
		t.Errorf("the heartbeat stalled for %v", gap)
	}
	if peak > 300<<20 {
		t.Errorf("main process RSS peaked at %d MiB", peak>>20)
	}
	if !p.Cordoned("hostile") || p.Cordoned("heartbeat") {
		t.Errorf("cordons: hostile %v, heartbeat %v", p.Cordoned("hostile"), p.Cordoned("heartbeat"))
	}
}
