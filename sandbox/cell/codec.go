package cell

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"sync/atomic"
)

// The wire format. A frame is a 4-byte big-endian length n followed by n
// bytes: one byte of message type, then the message's fields in a fixed
// order. Integers are varints, strings and byte strings are a uvarint length
// and the bytes, and a bridge value is a tagged tree (see encodeValue). The
// format is read with the same care in both directions: a frame or a value
// that is malformed, too large or nested too deeply is an error, never a
// panic, because a cell is not trusted by the main process.

// maxFrame bounds one frame in either direction.
const maxFrame = 64 << 20

// maxWireDepth bounds how deeply a decoded value may nest (the bridge allows
// 100; a little slack covers the envelope).
const maxWireDepth = 128

// Value tags.
const (
	tagNull   = 0
	tagFalse  = 1
	tagTrue   = 2
	tagFloat  = 3
	tagInt    = 4
	tagString = 5
	tagBytes  = 6
	tagArray  = 7
	tagObject = 8
)

var errShort = errors.New("cell wire: truncated frame")

// enc builds one frame.
type enc struct{ b []byte }

func (e *enc) reset(typ byte) { e.b = append(e.b[:0], 0, 0, 0, 0, typ) }

func (e *enc) byte(c byte)      { e.b = append(e.b, c) }
func (e *enc) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) bytes(p []byte)   { e.uvarint(uint64(len(p))); e.b = append(e.b, p...) }

func (e *enc) strs(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

// frame finishes the frame and returns it (valid until the next reset).
func (e *enc) frame() ([]byte, error) {
	n := len(e.b) - 4
	if n > maxFrame {
		return nil, fmt.Errorf("cell wire: frame of %d bytes is larger than %d", n, maxFrame)
	}
	binary.BigEndian.PutUint32(e.b, uint32(n))
	return e.b, nil
}

// frameWriter sends frames on one pipe for many goroutines. A sender that
// finds others waiting for the pipe leaves its frame in the buffer for the
// last of them to flush, so senders that come together share one write(2):
// under load, a cell and the main process make fewer system calls, each
// carrying more frames.
type frameWriter struct {
	mu      sync.Mutex
	waiting atomic.Int32 // senders waiting for mu
	w       *bufio.Writer
	enc     enc
}

func newFrameWriter(w io.Writer) *frameWriter {
	return &frameWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

// send encodes a frame with build and writes it. A build error is
// returned, and nothing of that frame is written; a write error is the
// pipe's.
func (fw *frameWriter) send(build func(*enc) error) (buildErr, writeErr error) {
	fw.waiting.Add(1)
	fw.mu.Lock()
	fw.waiting.Add(-1)
	defer fw.mu.Unlock()
	buildErr = build(&fw.enc)
	var f []byte
	if buildErr == nil {
		f, buildErr = fw.enc.frame()
	}
	if buildErr == nil {
		_, writeErr = fw.w.Write(f)
	}
	if fw.waiting.Load() == 0 || writeErr != nil {
		// The last sender flushes, and with it every frame left before.
		if err := fw.w.Flush(); writeErr == nil {
			writeErr = err
		}
	}
	if cap(fw.enc.b) > 1<<20 {
		fw.enc.b = nil // do not keep a large buffer alive
	}
	return buildErr, writeErr
}

// value appends a bridge value: plain data as the sandbox's Binding contract
// defines it (integers of any Go type are accepted and kept as integers).
func (e *enc) value(v any, depth int) error {
	if depth > maxWireDepth {
		return fmt.Errorf("value nests deeper than %d levels", maxWireDepth)
	}
	switch x := v.(type) {
	case nil:
		e.byte(tagNull)
	case bool:
		if x {
			e.byte(tagTrue)
		} else {
			e.byte(tagFalse)
		}
	case float64:
		e.byte(tagFloat)
		e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(x))
	case float32:
		return e.value(float64(x), depth)
	case int:
		e.byte(tagInt)
		e.varint(int64(x))
	case int8:
		e.byte(tagInt)
		e.varint(int64(x))
	case int16:
		e.byte(tagInt)
		e.varint(int64(x))
	case int32:
		e.byte(tagInt)
		e.varint(int64(x))
	case int64:
		e.byte(tagInt)
		e.varint(x)
	case uint:
		return e.value(float64(x), depth)
	case uint8:
		return e.value(int64(x), depth)
	case uint16:
		return e.value(int64(x), depth)
	case uint32:
		return e.value(int64(x), depth)
	case uint64:
		return e.value(float64(x), depth)
	case string:
		e.byte(tagString)
		e.str(x)
	case []byte:
		e.byte(tagBytes)
		e.bytes(x)
	case []any:
		e.byte(tagArray)
		e.uvarint(uint64(len(x)))
		for _, it := range x {
			if err := e.value(it, depth+1); err != nil {
				return err
			}
		}
	case []string:
		e.byte(tagArray)
		e.uvarint(uint64(len(x)))
		for _, s := range x {
			e.byte(tagString)
			e.str(s)
		}
	case map[string]any:
		e.byte(tagObject)
		e.uvarint(uint64(len(x)))
		for _, k := range sortedKeys(x) {
			e.str(k)
			if err := e.value(x[k], depth+1); err != nil {
				return err
			}
		}
	case map[string]string:
		e.byte(tagObject)
		e.uvarint(uint64(len(x)))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e.str(k)
			e.byte(tagString)
			e.str(x[k])
		}
	default:
		return fmt.Errorf("a Go value of type %T is not plain data", v)
	}
	if len(e.b) > maxFrame+4 {
		return fmt.Errorf("value is larger than %d bytes", maxFrame)
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dec reads one frame's fields. The first error sticks; later reads return
// zero values, so a decoder checks err once at the end.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *dec) byte() byte {
	if d.err != nil || len(d.b) < 1 {
		d.fail(errShort)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *dec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length and checks that at least min bytes per element remain.
func (d *dec) count(min int) int {
	n := d.uvarint()
	if d.err != nil {
		return 0
	}
	if n > uint64(len(d.b)/min) {
		d.fail(errShort)
		return 0
	}
	return int(n)
}

func (d *dec) raw() []byte {
	n := d.count(1)
	if d.err != nil {
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *dec) str() string    { return string(d.raw()) }
func (d *dec) bytes() []byte  { return append([]byte{}, d.raw()...) }
func (d *dec) int() int       { return int(d.varint()) }
func (d *dec) uint64() uint64 { return d.uvarint() }

func (d *dec) strs() []string {
	n := d.count(1)
	out := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.str())
	}
	return out
}

// value reads a bridge value.
func (d *dec) value(depth int) any {
	if depth > maxWireDepth {
		d.fail(fmt.Errorf("cell wire: value nests deeper than %d levels", maxWireDepth))
		return nil
	}
	switch t := d.byte(); t {
	case tagNull:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagFloat:
		if len(d.b) < 8 {
			d.fail(errShort)
			return nil
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
		d.b = d.b[8:]
		return f
	case tagInt:
		return d.varint()
	case tagString:
		return d.str()
	case tagBytes:
		return d.bytes()
	case tagArray:
		n := d.count(1)
		out := make([]any, n)
		for i := 0; i < n && d.err == nil; i++ {
			out[i] = d.value(depth + 1)
		}
		return out
	case tagObject:
		n := d.count(2)
		out := make(map[string]any, n)
		for i := 0; i < n && d.err == nil; i++ {
			k := d.str()
			out[k] = d.value(depth + 1)
		}
		return out
	default:
		if d.err == nil {
			d.fail(fmt.Errorf("cell wire: unknown value tag %d", t))
		}
		return nil
	}
}

// readFrame reads one frame into buf (grown as needed) and returns its body.
func readFrame(r *bufio.Reader, buf []byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > maxFrame {
		return nil, fmt.Errorf("cell wire: frame length %d out of range", n)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}
