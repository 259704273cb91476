package capabilities

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// JSONSize returns the length of v's JSON encoding as encoding/json writes
// it ([]byte as base64), without HTML escaping: the size a message or a
// report is capped by.
func JSONSize(v any) (int, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return 0, err
	}
	return b.Len() - 1, nil // Encode appends a newline
}

// CheckJSONSize refuses v when it does not encode as JSON or when its
// encoding (counted as JSONSize does) is over max bytes, the value of the
// size prop named prop; what names v in the message ("the message").
func CheckJSONSize(v any, what, prop string, max int) error {
	size, err := JSONSize(v)
	if err != nil {
		return err
	}
	if size > max {
		return fmt.Errorf("%s is %d bytes as JSON, over %s (%d)", what, size, prop, max)
	}
	return nil
}

// ArgError is a bad argument from the agent; it becomes a JavaScript Error.
type ArgError struct {
	Index int    // 0-based
	Name  string // the parameter's name
	Want  string // what was expected
	Got   any
}

func (e *ArgError) Error() string {
	return fmt.Sprintf("argument %d (%s): want %s, got %s", e.Index+1, e.Name, e.Want, Describe(e.Got))
}

// Describe names a plain-data value's type for an error message: "a
// string", "the number 3", "an object".
func Describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case missing:
		return "nothing"
	case string:
		return "a string"
	case float64:
		return fmt.Sprintf("the number %v", v)
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case []byte:
		return "bytes"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

// String returns argument i, which must be a string.
func String(args []any, i int, name string) (string, error) {
	s, ok := arg(args, i).(string)
	if !ok {
		return "", &ArgError{Index: i, Name: name, Want: "a string", Got: arg(args, i)}
	}
	return s, nil
}

// OptString returns argument i as a string, or def when it is missing or null.
func OptString(args []any, i int, name, def string) (string, error) {
	if arg(args, i) == nil {
		return def, nil
	}
	return String(args, i, name)
}

// Int returns argument i, which must be an integer-valued number.
func Int(args []any, i int, name string) (int, error) {
	f, ok := arg(args, i).(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, &ArgError{Index: i, Name: name, Want: "an integer", Got: arg(args, i)}
	}
	return int(f), nil
}

// OptInt returns argument i as an integer, or def when missing or null.
func OptInt(args []any, i int, name string, def int) (int, error) {
	if arg(args, i) == nil {
		return def, nil
	}
	return Int(args, i, name)
}

// Object returns argument i, which must be a plain object.
func Object(args []any, i int, name string) (map[string]any, error) {
	m, ok := arg(args, i).(map[string]any)
	if !ok {
		return nil, &ArgError{Index: i, Name: name, Want: "an object", Got: arg(args, i)}
	}
	return m, nil
}

// OptObject returns argument i as an object, or nil when missing or null.
func OptObject(args []any, i int, name string) (map[string]any, error) {
	if arg(args, i) == nil {
		return nil, nil
	}
	return Object(args, i, name)
}

// Bytes returns argument i as bytes: a Uint8Array, or a string as UTF-8.
func Bytes(args []any, i int, name string) ([]byte, error) {
	switch v := arg(args, i).(type) {
	case []byte:
		return v, nil
	case string:
		return []byte(v), nil
	default:
		return nil, &ArgError{Index: i, Name: name, Want: "a string or Uint8Array", Got: v}
	}
}
