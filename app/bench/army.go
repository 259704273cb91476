package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/capstore"
	"littleboxes/app/engine"
	"littleboxes/app/store"
	"littleboxes/examples"
	"littleboxes/sandbox"
	"littleboxes/sandbox/cell"
)

// ArmyReport is the whole-army figure: the built-in inbox army over a
// Maildir of Threads threads, one triage agent per thread, every one run
// once and every note it sends handled by the summarizer.
type ArmyReport struct {
	Threads int `json:"threads"`
	// Wall is from starting the engine (provisioning one scoped mail
	// capability per thread, analysing the flows) to the last note stored.
	WallS float64 `json:"wall_s"`
	// PeakRSSMiB is the peak resident memory while the army ran, of this
	// process and its cells together, sampled every 10 ms.
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	// BaseRSSMiB is the resident memory before the engine started.
	BaseRSSMiB float64 `json:"base_rss_mib"`
	// Cells is how many cells ran the agents (0: in-process).
	Cells int `json:"cells"`
	// Invocations is how many agent runs the army made (triage runs plus
	// summarizer messages).
	Invocations int `json:"invocations"`
}

// notesNamespace is the kv namespace the inbox summarizer keeps its notes in
// (examples/inbox.yaml).
const notesNamespace = "kv:inbox-notes"

// openInbox writes the inbox example army into dir, over a generated
// Maildir of threads threads, and loads it and opens a bbolt store beside
// it; the caller closes the store.
func openInbox(dir string, threads int) (*army.Army, *store.Bolt, error) {
	if err := WriteMaildir(filepath.Join(dir, "maildir"), threads); err != nil {
		return nil, nil, err
	}
	path, err := examples.Materialize("inbox", dir)
	if err != nil {
		return nil, nil, err
	}
	a, err := army.Load(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
	if err != nil {
		return nil, nil, err
	}
	return a, st, nil
}

// Army measures the inbox army over a generated Maildir of threads threads,
// working in dir (which it fills: the army, its agents, the Maildir and a
// bbolt file). Agents run in a pool of cells, as `littleboxes run` runs
// them, unless inProcess (the binary must then serve as a cell: main calls
// cell.MaybeServe).
func Army(ctx context.Context, threads int, dir string, inProcess bool, logf func(string, ...any)) (*ArmyReport, error) {
	if threads < 1 {
		return nil, errors.New("bench army: want at least one thread")
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	a, st, err := openInbox(dir, threads)
	if err != nil {
		return nil, fmt.Errorf("bench army: %w", err)
	}
	defer st.Close()

	r := &ArmyReport{Threads: threads}
	var runner sandbox.Runner = sandbox.NewInProcess()
	rss := readRSS
	if !inProcess {
		pool, err := cell.NewPool(cell.Options{})
		if err != nil {
			return nil, fmt.Errorf("bench army: %w", err)
		}
		defer pool.Close()
		runner = pool
		r.Cells = len(pool.Cells())
		rss = func() int64 {
			n := readRSS()
			for _, c := range pool.Cells() {
				n += readRSSOf(strconv.Itoa(c.PID))
			}
			return n
		}
	}
	var peak atomic.Int64
	base := rss()
	peak.Store(base)
	r.BaseRSSMiB = float64(base) / (1 << 20)
	stopSampling := sampleRSS(&peak, rss, 10*time.Millisecond)
	defer stopSampling()

	logf("army: %d threads, starting the engine", threads)
	start := time.Now()
	e, err := engine.New(ctx, engine.Options{Army: a, Store: st, Runner: runner})
	if err != nil {
		return nil, fmt.Errorf("bench army: %w", err)
	}
	logf("army: engine started in %.2f s", time.Since(start).Seconds())
	var invocations atomic.Int64
	events, unsubscribe := e.Subscribe()
	var counted sync.WaitGroup
	counted.Add(1)
	go func() {
		defer counted.Done()
		for ev := range events {
			if ev.Type == engine.EventRunEnd {
				invocations.Add(1)
			}
		}
	}()
	cs := capstore.New(st)
	var waitErr error
	for {
		n, err := countKeys(ctx, cs, notesNamespace, "thread/")
		if err != nil {
			waitErr = err
			break
		}
		if n >= threads {
			break
		}
		if ctx.Err() != nil {
			waitErr = fmt.Errorf("%w with %d of %d notes stored", ctx.Err(), n, threads)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	wall := time.Since(start)
	stopSampling()
	closeErr := e.Close(context.Background())
	unsubscribe()
	counted.Wait()
	if waitErr != nil {
		return nil, fmt.Errorf("bench army: %w", waitErr)
	}
	if closeErr != nil {
		return nil, fmt.Errorf("bench army: %w", closeErr)
	}
	r.WallS = wall.Seconds()
	r.PeakRSSMiB = float64(peak.Load()) / (1 << 20)
	r.Invocations = int(invocations.Load())
	logf("army: %d threads in %.2f s, peak RSS %.0f MiB", threads, r.WallS, r.PeakRSSMiB)
	return r, nil
}

// sampleRSS records the highest rss() into peak every interval until the
// returned function is called (which may be called twice).
func sampleRSS(peak *atomic.Int64, rss func() int64, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if v := rss(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-finished
	}
}

// countKeys counts the keys under prefix in a storage namespace.
func countKeys(ctx context.Context, cs *capstore.Storage, ns, prefix string) (int, error) {
	n, after := 0, ""
	for {
		keys, err := cs.List(ctx, ns, prefix, after, 1000)
		if err != nil {
			return n, err
		}
		if len(keys) == 0 {
			return n, nil
		}
		n += len(keys)
		after = keys[len(keys)-1]
	}
}

// WriteMaildir writes a Maildir at dir with n threads addressed to
// me@example.com (the inbox army's owner): each thread has one to three
// messages between the owner and one correspondent, and one in seven asks
// for something urgently. Its folders are dated an hour back, as a mailbox
// that has been there a while (a folder changed within the last second is
// read again at every look, see capabilities/mail).
func WriteMaildir(dir string, n int) error {
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	base := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		who := fmt.Sprintf("person%d@example.org", i)
		subject := fmt.Sprintf("Question %d about the plan", i)
		body := "Could you have a look at the plan when you have a moment?"
		if i%7 == 0 {
			body = "This is urgent: the deadline is today."
		}
		root := fmt.Sprintf("t%d.0@example.org", i)
		msgs := 1 + i%3
		for j := range msgs {
			from, to := who, "me@example.com"
			if j%2 == 1 {
				from, to = to, from
			}
			id := fmt.Sprintf("t%d.%d@example.org", i, j)
			date := base.Add(time.Duration(i)*time.Minute + time.Duration(j)*time.Second)
			text := "From: " + from + "\r\nTo: " + to + "\r\nSubject: "
			if j > 0 {
				text += "Re: "
			}
			text += subject + "\r\nMessage-ID: <" + id + ">\r\nDate: " + date.Format(time.RFC1123Z) + "\r\n"
			if j > 0 {
				text += "In-Reply-To: <" + fmt.Sprintf("t%d.%d@example.org", i, j-1) + ">\r\nReferences: <" + root + ">\r\n"
			}
			text += "\r\n" + body + "\r\n"
			name := fmt.Sprintf("%d.M%dP%d.bench:2,S", date.Unix(), i, j)
			if err := os.WriteFile(filepath.Join(dir, "cur", name), []byte(text), 0o644); err != nil {
				return err
			}
		}
	}
	old := time.Now().Add(-time.Hour)
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.Chtimes(filepath.Join(dir, sub), old, old); err != nil {
			return err
		}
	}
	return nil
}
