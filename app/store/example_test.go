package store_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"littleboxes/app/store"
)

// openExample opens a store in a new temporary directory; done closes it
// and removes the directory.
func openExample() (s *store.Bolt, done func()) {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		panic(err)
	}
	s, err = store.Open(filepath.Join(dir, "littleboxes.db"), store.Options{})
	if err != nil {
		panic(err)
	}
	return s, func() {
		_ = s.Close()
		_ = os.RemoveAll(dir)
	}
}

// A kv capability's namespace: a bucket of its own under "data", read and
// listed by prefix.
func Example_kvNamespace() {
	s, done := openExample()
	defer done()
	err := s.Update(func(tx store.Tx) error {
		ns, err := tx.CreateBucket(store.BucketData, "kv-notes")
		if err != nil {
			return err
		}
		for k, v := range map[string]string{"todo/1": "milk", "todo/2": "eggs", "done/1": "bread"} {
			if err := ns.Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	_ = s.View(func(tx store.Tx) error {
		ns, err := tx.Bucket(store.BucketData, "kv-notes")
		if err != nil {
			return err
		}
		return ns.Scan(store.ScanOptions{Prefix: []byte("todo/")}, func(k, v []byte) error {
			fmt.Printf("%s=%s\n", k, v)
			return nil
		})
	})
	// Output:
	// todo/1=milk
	// todo/2=eggs
}

// A durable queue: messages appended under sequence numbers in one
// transaction, taken oldest first, deleted once handled.
func Example_queue() {
	s, done := openExample()
	defer done()
	// Producer: several messages, one commit.
	err := s.Update(func(tx store.Tx) error {
		q, err := tx.CreateBucket("queues", "mailer->summarizer")
		if err != nil {
			return err
		}
		for _, msg := range []string{"first", "second", "third"} {
			seq, err := q.NextSequence()
			if err != nil {
				return err
			}
			if err := q.Put(store.Uint64Key(seq), []byte(msg)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	// Consumer: peek the oldest, handle it, then delete it.
	for {
		var key, msg []byte
		err := s.View(func(tx store.Tx) error {
			q, err := tx.Bucket("queues", "mailer->summarizer")
			if err != nil {
				return err
			}
			return q.Scan(store.ScanOptions{Limit: 1}, func(k, v []byte) error {
				key, msg = append([]byte(nil), k...), append([]byte(nil), v...)
				return nil
			})
		})
		if err != nil || key == nil {
			break
		}
		seq, _ := store.KeyUint64(key)
		fmt.Println(seq, string(msg))
		err = s.Update(func(tx store.Tx) error {
			q, err := tx.Bucket("queues", "mailer->summarizer")
			if errors.Is(err, store.ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			return q.Delete(key)
		})
		if err != nil {
			panic(err)
		}
	}
	// Output:
	// 1 first
	// 2 second
	// 3 third
}
