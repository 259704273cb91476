package engine

import (
	"fmt"

	"littleboxes/app/capstore"
	"littleboxes/app/store"
)

// Armies lists, in order, the names of the armies that have engine data in
// st (queues, effects, runs…): the armies the approvals command can act on.
func Armies(st store.Store) ([]string, error) {
	names := []string{}
	err := st.View(func(tx store.Tx) error {
		b, err := tx.Bucket(bucketEngine)
		if isNotFound(err) {
			return nil
		} else if err != nil {
			return err
		}
		return b.Buckets(func(n string) error {
			names = append(names, n)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("engine: armies: %w", err)
	}
	return names, nil
}

// ArmyName returns the name the engine keeps its data under.
func (e *Engine) ArmyName() string { return e.armyKey }

// ClearNamespace deletes the shared store namespace ("kv:notes") with its
// data and its persisted label, in one transaction ordered with the engine's
// own writes, and returns how many keys it held (capstore.Clear). It is the
// owner's explicit, confirmed action: ask before calling it. The analysis in
// force keeps the label it had (narrower, so safe) until the engine is made
// again.
func (e *Engine) ClearNamespace(namespace string) (int, error) {
	var n int
	err := e.com.do(func(tx store.Tx) (err error) {
		n, err = capstore.ClearTx(tx, namespace)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("engine: clear %q: %w", namespace, err)
	}
	return n, nil
}
