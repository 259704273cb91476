package store_test

import (
	"sync/atomic"
	"testing"

	"littleboxes/app/store"
	"littleboxes/app/store/storetest"
)

// benchStores runs fn on a fresh bbolt store in a temporary file.
func benchStores(b *testing.B, fn func(b *testing.B, s store.Store)) {
	fn(b, storetest.Open(b))
}

var value100 = make([]byte, 100)

// BenchmarkPut is one durable write per transaction: the disk sync bounds it.
func BenchmarkPut(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		i := uint64(0)
		for b.Loop() {
			i++
			err := s.Update(func(tx store.Tx) error {
				bk, err := tx.CreateBucket("bench")
				if err != nil {
					return err
				}
				return bk.Put(store.Uint64Key(i), value100)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGet reads one key per View out of 10,000.
func BenchmarkGet(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		const n = 10_000
		err := s.Update(func(tx store.Tx) error {
			bk, err := tx.CreateBucket("bench")
			if err != nil {
				return err
			}
			for i := range uint64(n) {
				if err := bk.Put(store.Uint64Key(i), value100); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		i := uint64(0)
		for b.Loop() {
			i = (i + 7919) % n
			err := s.View(func(tx store.Tx) error {
				bk, err := tx.Bucket("bench")
				if err != nil {
					return err
				}
				_, err = bk.Get(store.Uint64Key(i))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBatch1000 writes 1,000 small messages in one transaction, as a
// queue append would: sequence-numbered keys, 100-byte values.
func BenchmarkBatch1000(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		for b.Loop() {
			err := s.Update(func(tx store.Tx) error {
				bk, err := tx.CreateBucket("bench")
				if err != nil {
					return err
				}
				for range 1000 {
					seq, err := bk.NextSequence()
					if err != nil {
						return err
					}
					if err := bk.Put(store.Uint64Key(seq), value100); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "writes/s")
	})
}

// BenchmarkBatchConcurrent is many goroutines each making one small durable
// write with Store.Batch, which lets them share commits.
func BenchmarkBatchConcurrent(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		var seq atomic.Uint64
		b.SetParallelism(64)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				k := store.Uint64Key(seq.Add(1))
				err := s.Batch(func(tx store.Tx) error {
					bk, err := tx.CreateBucket("bench")
					if err != nil {
						return err
					}
					return bk.Put(k, value100)
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	})
}
