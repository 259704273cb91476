package capabilities_test

import (
	"testing"

	"littleboxes/capabilities"
)

// shared are props several kinds embed.
type shared struct {
	Label string `json:"label,omitempty" doc:"the label"`
	Limit int    `json:"limit,omitempty" doc:"the limit"`
}

type embedding struct {
	Origin string `json:"origin" doc:"the origin"`
	shared
	After bool `json:"after,omitempty" doc:"after"`
}

func (*embedding) Flow() capabilities.Flow { return capabilities.Flow{} }

// TestPropsSchemaEmbedded: an embedded props struct lists its fields in its
// place, as encoding/json decodes them, so a shared piece of props renders
// in the palette's form and is known to the army's validation.
func TestPropsSchemaEmbedded(t *testing.T) {
	k := capabilities.Kind{ID: "embedtest", New: func() capabilities.Instance { return &embedding{} }}
	fs, err := capabilities.PropsSchema(k)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fs {
		names = append(names, f.Name)
	}
	if got, want := len(names), 4; got != want {
		t.Fatalf("fields %v, want origin, label, limit, after", names)
	}
	for i, want := range []string{"origin", "label", "limit", "after"} {
		if names[i] != want {
			t.Fatalf("fields %v, want origin, label, limit, after", names)
		}
	}
	if !fs[0].Required || fs[1].Required || fs[2].Type != "integer" {
		t.Fatalf("fields %+v", fs)
	}
}
