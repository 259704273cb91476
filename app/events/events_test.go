package events

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestHub(t *testing.T) {
	tests := []struct {
		name        string
		publish     int
		wantGot     int
		wantDropped int64
	}{
		{name: "one event", publish: 1, wantGot: 1},
		{name: "a full buffer", publish: Buffer, wantGot: Buffer},
		{name: "beyond the buffer", publish: Buffer + 3, wantGot: Buffer, wantDropped: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New()
			c, stop := h.Subscribe()
			for i := 0; i < tt.publish; i++ {
				h.Publish(Event{Type: "run.start"})
			}
			stop()
			stop() // idempotent
			got := 0
			for ev := range c {
				if ev.Time.IsZero() {
					t.Fatal("event without a time")
				}
				got++
			}
			if got != tt.wantGot || h.Dropped() != tt.wantDropped {
				t.Errorf("got %d events, %d dropped; want %d, %d", got, h.Dropped(), tt.wantGot, tt.wantDropped)
			}
		})
	}
}

func TestCloseEndsStreams(t *testing.T) {
	h := New()
	a, _ := h.Subscribe()
	b, _ := h.Subscribe()
	at := time.Unix(1, 0)
	h.Publish(Event{Type: "workspace", Time: at})
	h.Close()
	h.Close()
	for _, c := range []<-chan Event{a, b} {
		if ev := <-c; ev.Type != "workspace" || !ev.Time.Equal(at) {
			t.Errorf("got %+v", ev)
		}
		if _, ok := <-c; ok {
			t.Error("stream open after Close")
		}
	}
	late, stop := h.Subscribe()
	defer stop()
	if _, ok := <-late; ok {
		t.Error("a subscription after Close is open")
	}
	h.Publish(Event{Type: "after"}) // does nothing, does not panic
}
