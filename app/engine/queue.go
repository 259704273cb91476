package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/store"
	"littleboxes/sandbox"
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
	g, ok := e.agents[to]
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
	w := e.com.submit(func(tx store.Tx) error {
		b, err := bucket(tx, bucketQueue, to)
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(store.Uint64Key(seq), v)
	}, to)
	e.ev.publish(Event{Type: EventMessage, Agent: from, To: to, Detail: channel})
	if sn, ok := ctx.Value(keySends).(*sends); ok {
		sn.waits = append(sn.waits, w)
		return nil
	}
	if err := <-w; err != nil {
		return fmt.Errorf("engine: deliver on %s: %w", channel, err)
	}
	return nil
}

func (e *Engine) wakeAgent(name string) {
	if g, ok := e.agents[name]; ok {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
}

// start runs the workers and triggers.
func (e *Engine) start() {
	for _, name := range e.order {
		g := e.agents[name]
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
	for tmpl, names := range e.templates {
		def := e.opts.Army.Agent(tmpl)
		for _, t := range def.Triggers {
			if t.Kind == army.TriggerItem {
				e.wg.Add(1)
				go e.items(tmpl, names)
			}
		}
	}
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

// items runs each template instance whose item was never run.
func (e *Engine) items(tmpl string, names []string) {
	defer e.wg.Done()
	for _, name := range names {
		if e.stopCtx.Err() != nil {
			return
		}
		g := e.agents[name]
		seen := false
		_ = viewBucket(e.st, func(b store.Bucket) error {
			_, err := b.Get([]byte(g.item))
			seen = err == nil
			return nil
		}, bucketSeen, tmpl)
		if seen {
			continue
		}
		if _, err := e.invoke(e.runCtx, g, sandbox.EntryRun, "item", nil, nil); err != nil {
			e.logf("engine: %s item run: %v", name, err)
		}
		if e.runCtx.Err() != nil {
			return // cut short: run it again next time
		}
		item := g.item
		e.com.submit(func(tx store.Tx) error {
			b, err := bucket(tx, bucketSeen, tmpl)
			if err != nil {
				return err
			}
			return b.Put([]byte(item), nil)
		})
	}
}

// flushEvery is how often a worker removes the messages it has handled
// while working through a batch.
const flushEvery = 20 * time.Millisecond

type queued struct {
	key []byte
	m   message
}

// worker delivers g's queue in order until the engine stops.
func (e *Engine) worker(g *agent) {
	defer e.wg.Done()
	for {
		batch, err := e.peek(g.name)
		if err != nil {
			e.logf("engine: queue of %s: %v", g.name, err)
		}
		if len(batch) == 0 {
			select {
			case <-e.stopCtx.Done():
				return
			case <-g.wake:
				continue
			}
		}
		if !e.process(g, batch) {
			return
		}
	}
}

func (e *Engine) peek(agentName string) ([]queued, error) {
	var out []queued
	err := viewBucket(e.st, func(b store.Bucket) error {
		return b.Scan(store.ScanOptions{Limit: batchSize}, func(k, v []byte) error {
			q := queued{key: append([]byte(nil), k...)}
			if err := json.Unmarshal(v, &q.m); err != nil {
				return fmt.Errorf("message %x: %w", k, err)
			}
			out = append(out, q)
			return nil
		})
	}, bucketQueue, agentName)
	return out, err
}

// process handles batch in order; it returns false when the engine stops.
func (e *Engine) process(g *agent, batch []queued) bool {
	var done [][]byte
	sn := &sends{}
	last := time.Now()
	flush := func(extra func(tx store.Tx) error) {
		last = time.Now()
		keys := done
		done = nil
		if err := sn.wait(); err != nil {
			// Some message sent by these invocations was not stored:
			// keep their messages, to be handled again.
			e.logf("engine: queue of %s: %v", g.name, err)
			keys = nil
		}
		if len(keys) == 0 && extra == nil {
			return
		}
		err := e.com.do(func(tx store.Tx) error {
			b, err := bucket(tx, bucketQueue, g.name)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			if extra != nil {
				return extra(tx)
			}
			return nil
		})
		if err != nil {
			e.logf("engine: queue of %s: removing handled messages: %v", g.name, err)
		}
	}
	for _, q := range batch {
		if e.stopCtx.Err() != nil {
			flush(nil)
			return false
		}
		var msg any
		if err := json.Unmarshal(q.m.Msg, &msg); err != nil {
			msg = nil
		}
		_, err := e.invokeWith(e.runCtx, g, sandbox.EntryOnMessage, "message", msg,
			map[string]any{"from": q.m.From, "channel": q.m.Channel, "attempt": q.m.Attempts + 1}, sn)
		if err == nil {
			done = append(done, q.key)
			if time.Since(last) > flushEvery {
				flush(nil)
			}
			continue
		}
		if e.runCtx.Err() != nil {
			flush(nil) // shutting down: the message stays, untouched
			return false
		}
		q.m.Attempts++
		q.m.LastErr = err.Error()
		key := q.key
		if q.m.Attempts >= e.opts.MaxAttempts {
			dl := DeadLetter{To: g.name, From: q.m.From, Channel: q.m.Channel, Msg: q.m.Msg,
				Attempts: q.m.Attempts, Error: q.m.LastErr, Died: e.now().UnixMilli()}
			e.logf("engine: %s: message from %s dead after %d tries: %v", g.name, q.m.From, q.m.Attempts, err)
			done = append(done, key)
			flush(func(tx store.Tx) error {
				b, err := bucket(tx, bucketDead)
				if err != nil {
					return err
				}
				seq, err := b.NextSequence()
				if err != nil {
					return err
				}
				v, err := json.Marshal(dl)
				if err != nil {
					return err
				}
				return b.Put(store.Uint64Key(seq), v)
			})
			e.ev.publish(Event{Type: EventDeadLetter, Agent: q.m.From, To: g.name, Detail: q.m.Channel, Error: dl.Error})
			continue
		}
		m := q.m
		flush(func(tx store.Tx) error {
			b, err := bucket(tx, bucketQueue, g.name)
			if err != nil {
				return err
			}
			v, err := json.Marshal(m)
			if err != nil {
				return err
			}
			return b.Put(key, v)
		})
		delay := e.opts.Backoff << (m.Attempts - 1)
		if delay > e.opts.MaxBackoff || delay <= 0 {
			delay = e.opts.MaxBackoff
		}
		t := time.NewTimer(delay)
		select {
		case <-e.stopCtx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		return true // read the queue again from its head
	}
	flush(nil)
	return true
}

// DeadLetters lists the dead-letter list, oldest first.
func DeadLetters(st store.Store) ([]DeadLetter, error) {
	var out []DeadLetter
	err := viewBucket(st, func(b store.Bucket) error {
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

// Queued returns how many messages wait in agent's queue.
func Queued(st store.Store, agentName string) (int, error) {
	n := 0
	err := viewBucket(st, func(b store.Bucket) error {
		return b.Scan(store.ScanOptions{}, func(_, _ []byte) error { n++; return nil })
	}, bucketQueue, agentName)
	return n, err
}
