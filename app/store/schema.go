package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Top-level buckets of littleboxes' schema. What goes inside each is up to
// the package that owns it; the store sees opaque bytes.
const (
	// BucketArmy holds the army: agents, capabilities and channels, as the
	// army package encodes them.
	BucketArmy = "army"
	// BucketCapabilities holds capability configs (props and secret
	// references, never secret values), one key per capability instance.
	BucketCapabilities = "capabilities"
	// BucketSecrets holds the names of the secrets in the OS keyring (the
	// keyring cannot list them). Never a value.
	BucketSecrets = "secrets"
	// BucketData holds one nested bucket per capability instance for its
	// own data, e.g. a kv capability's namespace: ("data", instanceID).
	BucketData = "data"
	// BucketLabels holds the persisted label of each namespace of the data
	// bucket that capability data was ever written to: key the namespace
	// ("kv:notes"), value the label as the capstore package encodes it.
	BucketLabels = "labels"
	// BucketIntegrity holds the persisted integrity of each namespace of
	// the data bucket that capability data was ever written to: key the
	// namespace, value who besides the owner could have written its data,
	// as the capstore package encodes it. The capstore package creates it
	// with the first write (no schema step: a file without it simply has
	// no integrity recorded yet).
	BucketIntegrity = "integrity"
	// BucketEngine holds the engine's data, one nested bucket per army,
	// keyed by the army's name: ("engine", ARMY, "queue", AGENT) and so on
	// (see package engine).
	BucketEngine = "engine"
)

// DefaultArmy is the army name the engine's data of a file older than
// per-army data is moved under when the army it belongs to cannot be named
// (no army file was recorded, or it is gone or has no readable name).
const DefaultArmy = "default"

// legacyEngine are the buckets the engine kept directly under "engine" before
// its data was kept per army (schema version 1).
var legacyEngine = []string{"queue", "dead", "effects", "runs", "seen", "meta", "reports"}

// Schema is littleboxes' schema, the default Options.Migrations. Append to
// it; never edit or reorder a step that has shipped: a file's version is
// the number of steps it has run.
var Schema = []Migration{
	{
		Name: "create the army, capabilities, secrets and data buckets",
		Up: func(tx Tx) error {
			for _, b := range []string{BucketArmy, BucketCapabilities, BucketSecrets, BucketData} {
				if _, err := tx.CreateBucket(b); err != nil {
					return err
				}
			}
			return nil
		},
	},
	{
		Name: "create the labels bucket",
		Up: func(tx Tx) error {
			_, err := tx.CreateBucket(BucketLabels)
			return err
		},
	},
	{
		Name: "keep the engine's data per army",
		Up:   perArmyEngine,
	},
}

// perArmyEngine moves the engine's buckets of schema version 1 (engine/queue,
// engine/effects, …) under engine/ARMY, ARMY being the name in the army file
// engine/meta recorded (see legacyArmyName), else DefaultArmy. Keys, values,
// nested buckets and sequences (effect and run ids) are kept.
func perArmyEngine(tx Tx) error {
	old, err := tx.Bucket(BucketEngine)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	name := DefaultArmy
	if meta, err := old.Bucket("meta"); err == nil {
		if p, err := meta.Get([]byte("army")); err == nil {
			if n := legacyArmyName(string(p)); n != "" {
				name = n
			}
		}
	}
	// Through a temporary bucket, so that an army named like one of the
	// old buckets ("queue") cannot collide with it.
	const tmp = "engine-migrating"
	moved, err := tx.CreateBucket(tmp)
	if err != nil {
		return err
	}
	for _, child := range legacyEngine {
		src, err := old.Bucket(child)
		if errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		dst, err := moved.CreateBucket(child)
		if err != nil {
			return err
		}
		if err := copyBucket(dst, src); err != nil {
			return fmt.Errorf("engine/%s: %w", child, err)
		}
		if err := old.DeleteBucket(child); err != nil {
			return err
		}
	}
	army, err := tx.CreateBucket(BucketEngine, name)
	if err != nil {
		return err
	}
	if err := copyBucket(army, moved); err != nil {
		return err
	}
	return tx.DeleteBucket(tmp)
}

// copyBucket copies src's keys, nested buckets and sequences into dst.
func copyBucket(dst, src Bucket) error {
	type kv struct{ k, v []byte }
	var pairs []kv
	if err := src.Scan(ScanOptions{}, func(k, v []byte) error {
		pairs = append(pairs, kv{bytes.Clone(k), bytes.Clone(v)})
		return nil
	}); err != nil {
		return err
	}
	for _, p := range pairs {
		if err := dst.Put(p.k, p.v); err != nil {
			return err
		}
	}
	var names []string
	if err := src.Buckets(func(n string) error { names = append(names, n); return nil }); err != nil {
		return err
	}
	for _, n := range names {
		s, err := src.Bucket(n)
		if err != nil {
			return err
		}
		d, err := dst.CreateBucket(n)
		if err != nil {
			return err
		}
		if err := copyBucket(d, s); err != nil {
			return err
		}
	}
	return dst.SetSequence(src.Sequence())
}

// legacyArmyName reads the army's name from the army file at path: the
// value of its top-level "name:" line, a plain, single- or double-quoted
// YAML scalar on that line. It returns "" when the file cannot be read or
// has no such line. The store does not parse army files; this is enough
// for the files littleboxes writes and the examples.
func legacyArmyName(path string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(strings.TrimPrefix(string(b), "\ufeff"), "\n") {
		v, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), "name:")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(v, "\""):
			end := strings.LastIndex(v, "\"")
			if end <= 0 {
				return ""
			}
			u, err := strconv.Unquote(v[:end+1])
			if err != nil {
				return ""
			}
			v = u
		case strings.HasPrefix(v, "'"):
			end := strings.LastIndex(v, "'")
			if end <= 0 {
				return ""
			}
			v = strings.ReplaceAll(v[1:end], "''", "'")
		default:
			if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
		}
		if v == "" || len(v) > 200 {
			return ""
		}
		return v
	}
	return ""
}
