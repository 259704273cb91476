package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/capstore"
	"littleboxes/app/flow"
	"littleboxes/app/store"
	"littleboxes/capabilities"
	"littleboxes/sandbox"
	"littleboxes/sandbox/cell"
)

// message is one queued channel message.
type message struct {
	From     string          `json:"from,omitempty"`
	Channel  string          `json:"channel"`
	Msg      json.RawMessage `json:"msg"`
	Attempts int             `json:"attempts,omitempty"`
	Queued   int64           `json:"queued"`
	LastErr  string          `json:"lastError,omitempty"`
}

// DeadLetter is a message that failed its last try.
type DeadLetter struct {
	To       string          `json:"to"`
	From     string          `json:"from,omitempty"`
	Channel  string          `json:"channel"`
	Msg      json.RawMessage `json:"msg"`
	Attempts int             `json:"attempts"`
	Error    string          `json:"error"`
	Died     int64           `json:"died"`
}

// Deliver implements capabilities.Deliverer: it appends msg to to's queue.
// Inside an invocation the write is grouped with others and the invocation
// waits for it when it ends; elsewhere Deliver waits for the commit.
func (e *Engine) Deliver(ctx context.Context, channel, to string, msg any) error {
	e.mu.RLock()
	g, ok := e.agents[to]
	e.mu.RUnlock()
	if !ok {
		return fmt.Errorf("engine: deliver on %s: %w %q", channel, ErrNoAgent, to)
	}
	if !g.onMsg {
		return fmt.Errorf("engine: deliver on %s: agent %q has no message trigger", channel, to)
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("engine: deliver on %s: encoding the message: %w", channel, err)
	}
	from := agentOf(ctx)
	v, err := json.Marshal(message{From: from, Channel: channel, Msg: raw, Queued: e.now().UnixMilli()})
	if err != nil {
		return fmt.Errorf("engine: deliver on %s: %w", channel, err)
	}
	o := e.com.submitted(func(tx store.Tx) error {
		b, err := bucket(tx, e.armyKey, bucketQueue, to)
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(store.Uint64Key(seq), v)
	}, to)
	e.ev.Publish(Event{Type: EventMessage, Agent: from, To: to, Detail: channel})
	if sn, ok := ctx.Value(keySends).(*sends); ok {
		sn.add(o)
		return nil
	}
	if err := <-o.done; err != nil {
		return fmt.Errorf("engine: deliver on %s: %w", channel, err)
	}
	return nil
}

func (e *Engine) wakeAgent(name string) {
	e.mu.RLock()
	g, ok := e.agents[name]
	e.mu.RUnlock()
	if ok {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
}

// start runs the workers and triggers.
func (e *Engine) start() {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, name := range e.order {
		e.startAgent(e.agents[name])
	}
	e.itemQ = make(chan *agent)
	for range itemWorkers * runtime.GOMAXPROCS(0) {
		e.wg.Add(1)
		go e.itemWorker()
	}
	for tmpl, names := range e.templates {
		if hasTrigger(e.defs[tmpl].ag, army.TriggerItem) {
			e.wg.Add(1)
			go e.queueUnseen(tmpl, names)
		}
	}
	for each := range e.enums {
		e.wg.Add(1)
		go e.watchItems(each)
	}
}

// startAgent starts g's delivery worker and schedules.
func (e *Engine) startAgent(g *agent) {
	if g.onMsg {
		e.wg.Add(1)
		go e.worker(g)
	}
	for _, t := range g.def.Triggers {
		if t.Kind == army.TriggerEvery {
			e.wg.Add(1)
			go e.every(g, t.Every)
		}
	}
}

func hasTrigger(ag *army.Agent, kind army.TriggerKind) bool {
	for _, t := range ag.Triggers {
		if t.Kind == kind {
			return true
		}
	}
	return false
}

func (e *Engine) every(g *agent, d time.Duration) {
	defer e.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-e.stopCtx.Done():
			return
		case <-t.C:
			if _, err := e.invoke(e.runCtx, g, sandbox.EntryRun, "every", nil, nil); err != nil {
				e.logf("engine: %s every %s: %v", g.name, d, err)
			}
		}
	}
}

// queueUnseen hands the item workers each of a template's instances whose
// item was never run.
func (e *Engine) queueUnseen(tmpl string, names []string) {
	defer e.wg.Done()
	for _, name := range names {
		g, err := e.agent(name)
		if err != nil {
			continue
		}
		seen := false
		_ = viewBucket(e.st, e.armyKey, func(b store.Bucket) error {
			_, err := b.Get([]byte(g.item))
			seen = err == nil
			return nil
		}, bucketSeen, tmpl)
		if seen {
			continue
		}
		select {
		case e.itemQ <- g:
		case <-e.stopCtx.Done():
			return
		}
	}
}

// itemWorker runs the instances handed to it until the engine stops.
func (e *Engine) itemWorker() {
	defer e.wg.Done()
	for {
		select {
		case <-e.stopCtx.Done():
			return
		case g := <-e.itemQ:
			e.runItem(g.def.Name, g)
		}
	}
}

// watchItems lists the items of capability each every ItemPoll, and at once
// when the capability signals a change (capabilities.Notifier: an IMAP
// mailbox under IDLE), and makes an instance of each template over it for
// every new one: a new mail thread gets its own triage agent while the army
// runs. The flow analysis is redone with the new items, and the guards use
// it from then on. When the capability versions its items
// (capabilities.Versioner), a known item whose version changed (a thread
// that gained a message) has its template instances run again, once, by
// their item trigger.
func (e *Engine) watchItems(each string) {
	defer e.wg.Done()
	t := time.NewTicker(e.opts.ItemPoll)
	defer t.Stop()
	en := e.enums[each]
	var changes <-chan struct{}
	if n, ok := en.(capabilities.Notifier); ok {
		changes = n.Changes()
	}
	vr, _ := en.(capabilities.Versioner)
	var known map[string]string
	if vr != nil {
		var err error
		if known, err = vr.Versions(e.stopCtx); err != nil {
			e.logf("engine: versions of %s: %v", each, err)
		}
	}
	for {
		select {
		case <-e.stopCtx.Done():
			return
		case <-t.C:
		case <-changes:
		}
		added, err := e.addItems(e.stopCtx, each)
		if err != nil {
			e.logf("engine: new items of %s: %v", each, err)
		}
		if vr != nil {
			var again []*agent
			known, again = e.changedItems(each, vr, known)
			added = append(added, again...)
		}
		for _, g := range added {
			if !hasTrigger(g.def, army.TriggerItem) {
				continue
			}
			select {
			case e.itemQ <- g:
			case <-e.stopCtx.Done():
				return
			}
		}
	}
}

// changedItems compares capability each's item versions with known and
// returns the versions now and the template instances of the known items
// whose version changed. Items new since known are left to addItems. When
// the versions cannot be read, known is kept and nothing is returned.
func (e *Engine) changedItems(each string, vr capabilities.Versioner, known map[string]string) (map[string]string, []*agent) {
	now, err := vr.Versions(e.stopCtx)
	if err != nil {
		e.logf("engine: versions of %s: %v", each, err)
		return known, nil
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var again []*agent
	for id, v := range now {
		old, ok := known[id]
		if !ok || old == v {
			continue
		}
		if _, ok := e.scoped[each][id]; !ok {
			continue
		}
		for _, ag := range e.opts.Army.Agents {
			if ag.Template == nil || ag.Template.Each != each {
				continue
			}
			if g := e.agents[ag.Name+"["+id+"]"]; g != nil {
				again = append(again, g)
			}
		}
	}
	if len(again) > 0 {
		e.logf("engine: %s: %d agents run again for changed items", each, len(again))
	}
	return now, again
}

// addItems provisions what is new among capability each's items and
// returns the template instances made for them (already started).
func (e *Engine) addItems(ctx context.Context, each string) ([]*agent, error) {
	en := e.enums[each]
	ids, err := en.Items(ctx)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var fresh []string
	for _, id := range ids {
		if _, ok := e.scoped[each][id]; !ok {
			fresh = append(fresh, id)
		}
	}
	if len(fresh) == 0 {
		return nil, nil
	}
	c := e.opts.Army.Capability(each)
	var errs []error
	var ok []string
	for _, id := range fresh {
		if err := e.scope(ctx, c, en, id); err != nil {
			errs = append(errs, err)
			continue
		}
		ok = append(ok, id)
	}
	if ls, err := capstore.Labels(e.st); err == nil {
		e.facts.stores = ls
	} else {
		errs = append(errs, err) // the labels read before still hold: they only narrow
	}
	if ws, err := capstore.Integrities(e.st); err == nil {
		e.facts.wrote = ws
	} else {
		errs = append(errs, err) // the integrity read before still holds: it only grows
	}
	an, err := flow.Analyze(e.opts.Army, e.facts)
	if err != nil {
		return nil, errors.Join(append(errs, fmt.Errorf("flow analysis: %w", err))...)
	}
	e.analysis = an
	var added []*agent
	for _, ag := range e.opts.Army.Agents {
		if ag.Template == nil || ag.Template.Each != each {
			continue
		}
		for _, id := range ok {
			g, err := e.makeAgent(e.defs[ag.Name], id)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			e.startAgent(g)
			added = append(added, g)
		}
	}
	if len(added) > 0 {
		e.logf("engine: %d new items of %s: %d agents added", len(ok), each, len(added))
		e.ev.Publish(Event{Type: EventAgents, Detail: each, Data: len(added)})
	}
	return added, errors.Join(errs...)
}

// itemWorkers is how many item runs go at once per CPU.
const itemWorkers = 4

// runItem runs g, a template's instance, for its new item, and marks the
// item seen unless the run was cut short (then it runs again next time).
func (e *Engine) runItem(tmpl string, g *agent) {
	if e.stopCtx.Err() != nil {
		return
	}
	if _, err := e.invoke(e.runCtx, g, sandbox.EntryRun, "item", nil, nil); err != nil {
		e.logf("engine: %s item run: %v", g.name, err)
	}
	if e.runCtx.Err() != nil {
		return
	}
	item := g.item
	e.com.later(func(tx store.Tx) error {
		b, err := bucket(tx, e.armyKey, bucketSeen, tmpl)
		if err != nil {
			return err
		}
		return b.Put([]byte(item), nil)
	}, nil)
}

type queued struct {
	key []byte
	m   message
}

// delivery is one agent's worker: it takes messages from the agent's queue
// in order and handles up to the agent's concurrency of them at once, each
// in a fresh isolate. A message is removed from the queue only after its
// invocation finished and the messages that invocation sent are stored, so
// a crash at any point loses nothing (a message may be handled again).
//
// The worker never waits on the store: removals, retries and dead letters
// are committed in the background while the next messages run. busy keeps
// the keys of messages being handled or waiting for their removal to
// commit, so a fresh look at the queue skips them.
//
// The invocations run on the agent's concurrency of handler goroutines that
// live as long as the worker: a goroutine per message would start with a
// small stack and grow it, by copying, on every message. The worker hands
// them a whole batch at once, through a channel with room for it, so it is
// woken once per look at the queue, not once per message.
type delivery struct {
	e     *Engine
	g     *agent
	jobs  chan queued   // messages for the handlers, up to a batch
	freed chan struct{} // signalled when a message is finished with
	wg    sync.WaitGroup

	mu       sync.Mutex
	busy     map[string]time.Time // key → zero while handled; when to retry once failed
	retrying int                  // entries of busy waiting for a retry
	// after is the last key handed out: a look at the queue starts after
	// it, as every message before it is busy or gone, until one is given
	// back (after = nil: from the head again).
	after []byte
}

// worker delivers g's queue until the engine stops, then waits for the
// messages it is handling.
func (e *Engine) worker(g *agent) {
	defer e.wg.Done()
	d := &delivery{e: e, g: g, jobs: make(chan queued, batchSize),
		freed: make(chan struct{}, 1), busy: map[string]time.Time{}}
	for range g.concurrency {
		d.wg.Add(1)
		go d.handler()
	}
	defer d.wg.Wait()
	defer close(d.jobs)
	for {
		batch, retry, err := d.peek()
		if err != nil {
			e.logf("engine: queue of %s: %v", g.name, err)
		}
		if len(batch) == 0 {
			var timer *time.Timer
			var fire <-chan time.Time
			if !retry.IsZero() {
				timer = time.NewTimer(time.Until(retry))
				fire = timer.C
			}
			stop := false
			select {
			case <-e.stopCtx.Done():
				stop = true
			case <-g.wake:
			case <-d.freed:
			case <-fire:
			}
			if timer != nil {
				timer.Stop()
			}
			if stop {
				return
			}
			continue
		}
		for _, q := range batch {
			select {
			case d.jobs <- q:
			case <-e.stopCtx.Done():
				return
			}
		}
	}
}

// peek reads up to batchSize messages from the head of the queue that are
// not busy, marking them busy; retry is the earliest time a failed message
// waits for (zero when none does).
func (d *delivery) peek() (batch []queued, retry time.Time, err error) {
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.retrying > 0 {
		for k, t := range d.busy {
			if !t.IsZero() && !t.After(now) {
				delete(d.busy, k) // its backoff is over: take it again
				d.retrying--
				d.after = nil
			}
		}
	}
	err = viewBucket(d.e.st, d.e.armyKey, func(b store.Bucket) error {
		return b.Scan(store.ScanOptions{After: d.after}, func(k, v []byte) error {
			if _, ok := d.busy[string(k)]; ok {
				return nil
			}
			q := queued{key: append([]byte(nil), k...)}
			if err := json.Unmarshal(v, &q.m); err != nil {
				return fmt.Errorf("message %x: %w", k, err)
			}
			batch = append(batch, q)
			if len(batch) == batchSize {
				return store.ErrStopScan
			}
			return nil
		})
	}, bucketQueue, d.g.name)
	for _, q := range batch {
		d.busy[string(q.key)] = time.Time{}
	}
	if len(batch) > 0 && err == nil {
		d.after = batch[len(batch)-1].key
	}
	if d.retrying > 0 {
		for _, t := range d.busy {
			if !t.IsZero() && (retry.IsZero() || t.Before(retry)) {
				retry = t
			}
		}
	}
	return batch, retry, err
}

// done is told the worker is finished with key: removed, it is forgotten;
// else it is given back, to be taken again at once or, with a non-zero
// retryAt, once its backoff is over.
func (d *delivery) done(key []byte, removed bool, retryAt time.Time) {
	d.mu.Lock()
	switch {
	case removed:
		delete(d.busy, string(key))
	case retryAt.IsZero():
		delete(d.busy, string(key))
		d.after = nil
	default:
		d.busy[string(key)] = retryAt
		d.retrying++
	}
	d.mu.Unlock()
	if removed {
		return // nothing to take: new messages wake the worker
	}
	select {
	case d.freed <- struct{}{}:
	default:
	}
}

// handler runs invocations of the messages handed to it until the worker
// ends; what is left after each invocation is one store write, queued
// without waiting (settle), so the handler takes the next message. With a
// runner that runs batches (cells), a handler that finds more messages
// waiting takes its share of them and hands them to the runner at once:
// each still runs in its own fresh isolate, within its own limits, and is
// settled on its own.
func (d *delivery) handler() {
	defer d.wg.Done()
	br, _ := d.e.runner.(batchRunner)
	if d.g.instr != nil {
		br = nil // Code Mode writes its code per run: one at a time
	}
	var batch []queued
	for q := range d.jobs {
		batch = append(batch[:0], q)
		if br != nil {
		more:
			for n := min(len(d.jobs)/max(d.g.concurrency, 1), cell.MaxBatch-1); n > 0; n-- {
				select {
				case q, ok := <-d.jobs:
					if !ok {
						break more
					}
					batch = append(batch, q)
				default:
					break more
				}
			}
		}
		if len(batch) == 1 {
			d.handle(q)
			continue
		}
		d.handleBatch(br, batch)
	}
}

// handle runs the invocation of q and settles q.
func (d *delivery) handle(q queued) {
	e, g := d.e, d.g
	if e.stopCtx.Err() != nil {
		d.done(q.key, false, time.Time{}) // stopping: the message stays, untouched
		return
	}
	msg, extra := q.input()
	sn := &sends{keep: true}
	_, err := e.invokeWith(e.runCtx, g, sandbox.EntryOnMessage, "message", msg, extra, sn)
	d.settle(q, sn, err, err != nil && e.runCtx.Err() != nil)
}

// input is what q's onMessage is called with: the message and ctx's extra
// fields.
func (q queued) input() (msg any, extra map[string]any) {
	if err := json.Unmarshal(q.m.Msg, &msg); err != nil {
		msg = nil
	}
	return msg, map[string]any{"from": q.m.From, "channel": q.m.Channel, "attempt": q.m.Attempts + 1}
}

// handleBatch runs the invocations of the messages of batch with one
// request to br, and settles each one.
func (d *delivery) handleBatch(br batchRunner, batch []queued) {
	e, g := d.e, d.g
	type item struct {
		q   queued
		sn  *sends
		r   *invocation
		job *cell.Batched
	}
	var items []item
	var jobs []*cell.Batched
	for _, q := range batch {
		if e.stopCtx.Err() != nil {
			d.done(q.key, false, time.Time{})
			continue
		}
		msg, extra := q.input()
		sn := &sends{keep: true}
		r, res, err := e.begin(e.runCtx, g, nil, sandbox.EntryOnMessage, "message", msg, extra, sn)
		switch {
		case r == nil:
			d.settle(q, sn, err, err != nil && e.runCtx.Err() != nil)
		case err != nil || r.inv == nil:
			_, err = e.finish(r, res, err)
			d.settle(q, sn, err, err != nil && e.runCtx.Err() != nil)
		default:
			it := item{q: q, sn: sn, r: r, job: &cell.Batched{Ctx: r.ictx, Inv: r.inv}}
			items = append(items, it)
			jobs = append(jobs, it.job)
		}
	}
	br.RunBatch(e.runCtx, jobs)
	for _, it := range items {
		_, err := e.finish(it.r, it.job.Res, it.job.Err)
		d.settle(it.q, it.sn, err, err != nil && e.runCtx.Err() != nil)
	}
}

// What becomes of a handled message (settle).
const (
	fateRemoved = iota // handled: off the queue
	fateLeft           // the engine is stopping: left as it was
	fateRetried        // its failed try recorded; taken again after a backoff
	fateBuried         // moved to the dead letters after its last try
)

// settle stores, in one write queued behind the messages the invocation of
// q sent (so in the same commit or a later one), the invocation's run
// record and what becomes of q: removed when the invocation succeeded and
// every message it sent is stored; else left untouched when the engine is
// stopping (stopping), its failed try recorded for a retry, or moved to the
// dead letters after its last try. A crash before that commit leaves q
// queued: it is handled again. The worker forgets q, or keeps it aside for
// its backoff, once the write is committed.
func (d *delivery) settle(q queued, sn *sends, err error, stopping bool) {
	e, g := d.e, d.g
	keep := uint64(e.opts.KeepRuns)
	rec := sn.rec
	var (
		fate    int
		m       message // q's message as stored again, when retried
		failure error
		dl      DeadLetter
	)
	d.wg.Add(1)
	e.com.later(func(tx store.Tx) error {
		// This may run twice (a failed group of writes is redone one by
		// one): everything is decided afresh from q, sn and err.
		if rec != nil {
			b, berr := bucket(tx, e.armyKey, bucketRuns, g.name)
			if berr != nil {
				return berr
			}
			if berr := appendRecord(b, keep, rec, &rec.ID); berr != nil {
				return berr
			}
		}
		failure = err
		if failure == nil {
			if serr := sn.stored(); serr != nil {
				failure = fmt.Errorf("a message it sent was not stored: %w", serr)
			}
		}
		m = q.m
		switch {
		case failure == nil:
			fate = fateRemoved
			return deleteKey(e.armyKey, g.name, q.key)(tx)
		case stopping:
			fate = fateLeft
			return nil
		}
		m.Attempts++
		m.LastErr = failure.Error()
		b, berr := bucket(tx, e.armyKey, bucketQueue, g.name)
		if berr != nil {
			return berr
		}
		if m.Attempts < e.opts.MaxAttempts {
			fate = fateRetried
			v, jerr := json.Marshal(m)
			if jerr != nil {
				return jerr
			}
			return b.Put(q.key, v)
		}
		fate = fateBuried
		if berr := b.Delete(q.key); berr != nil {
			return berr
		}
		dl = DeadLetter{To: g.name, From: m.From, Channel: m.Channel, Msg: m.Msg,
			Attempts: m.Attempts, Error: m.LastErr, Died: e.now().UnixMilli()}
		dead, berr := bucket(tx, e.armyKey, bucketDead)
		if berr != nil {
			return berr
		}
		seq, berr := dead.NextSequence()
		if berr != nil {
			return berr
		}
		v, jerr := json.Marshal(dl)
		if jerr != nil {
			return jerr
		}
		return dead.Put(store.Uint64Key(seq), v)
	}, func(werr error) {
		defer d.wg.Done()
		if werr != nil {
			// Nothing of it was stored: q stays as it was, to be handled
			// again (after a backoff when it failed).
			e.logf("engine: queue of %s: settling a handled message: %v", g.name, werr)
			var retryAt time.Time
			if failure != nil && !stopping {
				retryAt = time.Now().Add(e.backoff(m.Attempts))
			}
			d.done(q.key, false, retryAt)
			return
		}
		switch fate {
		case fateRetried:
			d.done(q.key, false, time.Now().Add(e.backoff(m.Attempts)))
		case fateBuried:
			e.logf("engine: %s: message from %s dead after %d tries: %v", g.name, m.From, m.Attempts, failure)
			e.ev.Publish(Event{Type: EventDeadLetter, Agent: m.From, To: g.name, Detail: m.Channel, Error: dl.Error})
			d.done(q.key, true, time.Time{})
		case fateLeft:
			d.done(q.key, false, time.Time{})
		default:
			d.done(q.key, true, time.Time{})
		}
	})
}

// backoff is how long a message waits after its attempts-th failed try.
func (e *Engine) backoff(attempts int) time.Duration {
	delay := e.opts.Backoff << max(attempts-1, 0)
	if delay > e.opts.MaxBackoff || delay <= 0 {
		delay = e.opts.MaxBackoff
	}
	return delay
}

// deleteKey removes key from agent's queue.
func deleteKey(army, agentName string, key []byte) func(tx store.Tx) error {
	return func(tx store.Tx) error {
		b, err := bucket(tx, army, bucketQueue, agentName)
		if err != nil {
			return err
		}
		return b.Delete(key)
	}
}

// DeadLetters lists army's dead-letter list, oldest first.
func DeadLetters(st store.Store, army string) ([]DeadLetter, error) {
	var out []DeadLetter
	err := viewBucket(st, army, func(b store.Bucket) error {
		return b.Scan(store.ScanOptions{}, func(_, v []byte) error {
			var d DeadLetter
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	}, bucketDead)
	if err != nil {
		return nil, fmt.Errorf("engine: dead letters: %w", err)
	}
	return out, nil
}

// Queued returns how many messages wait in agent's queue in army.
func Queued(st store.Store, army, agentName string) (int, error) {
	n := 0
	err := viewBucket(st, army, func(b store.Bucket) error {
		return b.Scan(store.ScanOptions{}, func(_, _ []byte) error { n++; return nil })
	}, bucketQueue, agentName)
	return n, err
}
