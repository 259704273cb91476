package cell

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"littleboxes/sandbox"
)

func TestValueRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want any // nil: same as in
	}{
		{name: "null", in: nil},
		{name: "bools", in: []any{true, false}},
		{name: "float", in: 1.5},
		{name: "negative zero and extremes", in: []any{math.Copysign(0, -1), math.MaxFloat64, math.SmallestNonzeroFloat64}},
		{name: "int kinds", in: []any{int(-3), int8(4), int16(5), int32(6), int64(1 << 60), uint8(7), uint16(8), uint32(9)},
			want: []any{int64(-3), int64(4), int64(5), int64(6), int64(1 << 60), int64(7), int64(8), int64(9)}},
		{name: "unsigned as float", in: []any{uint(10), uint64(11)}, want: []any{10.0, 11.0}},
		{name: "string with NUL and UTF-8", in: "a\x00é💡"},
		{name: "bytes", in: []byte{0, 1, 255, 0}},
		{name: "empty bytes", in: []byte{}},
		{name: "nested", in: map[string]any{"a": []any{map[string]any{"b": []byte("x")}}, "": nil, "__proto__": "p"}},
		{name: "string slices and maps", in: map[string]any{"s": []string{"x", "y"}, "m": map[string]string{"k": "v"}},
			want: map[string]any{"s": []any{"x", "y"}, "m": map[string]any{"k": "v"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e enc
			e.reset(0)
			if err := e.value(tc.in, 0); err != nil {
				t.Fatal(err)
			}
			d := &dec{b: e.b[5:]}
			got := d.value(0)
			if d.err != nil {
				t.Fatal(d.err)
			}
			if len(d.b) != 0 {
				t.Fatalf("%d bytes left", len(d.b))
			}
			want := tc.want
			if want == nil {
				want = tc.in
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %#v, want %#v", got, want)
			}
		})
	}
}

func TestValueRefused(t *testing.T) {
	var e enc
	e.reset(0)
	if err := e.value(struct{}{}, 0); err == nil {
		t.Fatal("a struct was encoded")
	}
	deep := any(nil)
	for i := 0; i < maxWireDepth+2; i++ {
		deep = []any{deep}
	}
	if err := e.value(deep, 0); err == nil {
		t.Fatal("a too deep value was encoded")
	}
}

func TestMessagesRoundTrip(t *testing.T) {
	run := &runMsg{id: 7, hash: "h", filename: "a.ts", js: "src", entry: "run",
		limits: sandbox.Limits{Deadline: time.Second, MaxStackDepth: 1, MaxTimers: 2, MaxPendingCalls: 3, MaxConsoleBytes: 4, MaxValueBytes: 5},
		input:  []byte{1}, context: map[string]any{"agent": "x"},
		env: []envEntry{{name: "kv", methods: []string{"get", "put"}}}}
	var e enc
	if err := e.run(run); err != nil {
		t.Fatal(err)
	}
	f, _ := e.frame()
	body, err := readFrame(bufio.NewReader(bytes.NewReader(f)), nil)
	if err != nil || body[0] != msgRun {
		t.Fatalf("readFrame: %v", err)
	}
	d := &dec{b: body[1:]}
	got := d.run()
	if d.err != nil || !reflect.DeepEqual(got, run) {
		t.Fatalf("run: %v\ngot  %#v\nwant %#v", d.err, got, run)
	}

	errs := []error{
		nil,
		&sandbox.ScriptError{Name: "TypeError", Message: "m", Stack: "at x"},
		&sandbox.LimitError{Limit: "memory", Detail: "d"},
		&sandbox.CompileError{Messages: []sandbox.CompileMessage{{File: "a.ts", Line: 1, Column: 2, Text: "t"}}},
		&noEntryError{msg: "no entry point: x"},
		errors.New("other"),
	}
	for _, want := range errs {
		e.done(&doneMsg{id: 1, duration: time.Millisecond, value: "v", console: []sandbox.ConsoleLine{{Level: "log", Text: "t"}}, err: want})
		d := &dec{b: e.b[5:]}
		dm := d.done()
		if d.err != nil {
			t.Fatal(d.err)
		}
		switch {
		case want == nil:
			if dm.err != nil || dm.value != "v" || len(dm.console) != 1 {
				t.Fatalf("done: %+v", dm)
			}
		case dm.err == nil || dm.err.Error() != want.Error():
			t.Fatalf("error %v came back as %v", want, dm.err)
		}
		if errors.Is(want, sandbox.ErrLimit) != errors.Is(dm.err, sandbox.ErrLimit) ||
			errors.Is(want, sandbox.ErrNoEntry) != errors.Is(dm.err, sandbox.ErrNoEntry) ||
			reflect.TypeOf(want) != reflect.TypeOf(dm.err) && want != nil && reflect.TypeOf(want).String() != "*errors.errorString" {
			t.Fatalf("error %T came back as %T", want, dm.err)
		}
	}
}

func TestReadFrameRefusesOversize(t *testing.T) {
	r := bufio.NewReader(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff, 1}))
	if _, err := readFrame(r, nil); err == nil {
		t.Fatal("an oversized frame was accepted")
	}
}

// FuzzDecode feeds arbitrary bytes to every decoder: a cell is not trusted,
// so nothing it sends may panic the main process or make it allocate more
// than the frame's size.
func FuzzDecode(f *testing.F) {
	var e enc
	_ = e.run(&runMsg{id: 1, hash: "h", input: map[string]any{"a": []any{1.0, "b", []byte{1}}}, env: []envEntry{{name: "x", methods: []string{"m"}}}})
	f.Add(append([]byte{}, e.b[4:]...))
	_ = e.call(&callMsg{inv: 1, call: 2, binding: "b", method: "m", args: []any{nil, true, int64(3)}})
	f.Add(append([]byte{}, e.b[4:]...))
	e.done(&doneMsg{id: 1, err: &sandbox.CompileError{Messages: []sandbox.CompileMessage{{Text: "x"}}}})
	f.Add(append([]byte{}, e.b[4:]...))
	f.Add([]byte{msgDone, 1, 2, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		for _, fn := range []func(d *dec){
			func(d *dec) { d.run() },
			func(d *dec) { d.runBatch() },
			func(d *dec) { d.call() },
			func(d *dec) { d.callResult() },
			func(d *dec) { d.done() },
			func(d *dec) { d.hello() },
			func(d *dec) { d.value(0) },
		} {
			fn(&dec{b: b[1:]})
		}
	})
}
