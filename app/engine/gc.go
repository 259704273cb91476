package engine

import (
	"os"
	"runtime/debug"
	"sync"
)

// GC settings of a process that runs an army.
const (
	// GCPercent is the collector's target: a collection when the heap has
	// grown by 400% of what was live after the last one (Go's default is
	// 100). An army allocates mostly short-lived objects — every isolate is
	// thrown away after its run — so collecting less often costs little
	// memory and saves much of the collector's work: the durable chain
	// benchmark goes from about 3,700 to about 6,400 messages/s in process.
	GCPercent = 400
	// GCMemoryLimit is the soft limit under which the collector works harder
	// to stay, so the larger target does not let the heap grow without bound.
	GCMemoryLimit = 1 << 30
)

var tuneGC sync.Once

// TuneGC sets the garbage collector for a process running an army, once,
// unless the person chose otherwise with GOGC or GOMEMLIMIT. armyrun.Start
// calls it (the CLI, serve and the window); cells set their own.
func TuneGC() {
	tuneGC.Do(func() {
		if os.Getenv("GOGC") == "" {
			debug.SetGCPercent(GCPercent)
		}
		if os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(GCMemoryLimit)
		}
	})
}
