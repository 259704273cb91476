package capabilities

import (
	"fmt"
	"reflect"
	"strings"
)

// PropField describes one props field, for a generated form and for docs.
type PropField struct {
	Name     string `json:"name"`               // the JSON/YAML key
	Type     string `json:"type"`               // string, number, integer, boolean, array, object
	Doc      string `json:"doc"`                // from the field's doc tag
	Required bool   `json:"required,omitempty"` // the json tag lacks omitempty
	Items    string `json:"items,omitempty"`    // element type of an array
}

// PropsSchema lists a kind's props fields. Every exported field must have a
// json tag and a doc tag: props are decoded strictly and shown to people. An
// embedded struct without a json tag (props shared by several kinds, such
// as the web kinds' web.Props) contributes its fields in its place, as
// encoding/json decodes them.
func PropsSchema(k Kind) ([]PropField, error) {
	t := reflect.TypeOf(k.New())
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("props of %s are a %s, want a struct", k.ID, t.Kind())
	}
	return propsFields(t, 0)
}

func propsFields(t reflect.Type, depth int) ([]PropField, error) {
	if depth > 4 {
		return nil, fmt.Errorf("props struct %s: embedded structs nest too deep", t.Name())
	}
	var out []PropField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				fs, err := propsFields(et, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, fs...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			return nil, fmt.Errorf("props field %s.%s has no json name", t.Name(), f.Name)
		}
		doc := f.Tag.Get("doc")
		if doc == "" {
			return nil, fmt.Errorf("props field %q has no doc tag", name)
		}
		pf := PropField{Name: name, Type: jsonType(f.Type), Doc: doc, Required: !strings.Contains(opts, "omitempty")}
		if pf.Type == "array" {
			pf.Items = jsonType(f.Type.Elem())
		}
		out = append(out, pf)
	}
	return out, nil
}

func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Pointer:
		return jsonType(t.Elem())
	default:
		return "object"
	}
}
