package mcp

import (
	"encoding/json"
	"reflect"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestPlainTexts: content blocks of text made directly are what JSON makes
// of them; blocks the direct path does not take still come out as JSON
// makes them.
func TestPlainTexts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		blocks []sdk.Content
		direct bool
	}{
		{"one text", []sdk.Content{&sdk.TextContent{Text: "x"}}, true},
		{"empty text and texts", []sdk.Content{&sdk.TextContent{}, &sdk.TextContent{Text: "a\"b\n<é>"}}, true},
		{"no blocks", []sdk.Content{}, true},
		{"annotated", []sdk.Content{&sdk.TextContent{Text: "x", Annotations: &sdk.Annotations{Priority: 1}}}, false},
		{"with metadata", []sdk.Content{&sdk.TextContent{Text: "x", Meta: sdk.Meta{"k": "v"}}}, false},
		{"not UTF-8", []sdk.Content{&sdk.TextContent{Text: "a\xffb"}}, false},
		{"an image", []sdk.Content{&sdk.TextContent{Text: "x"}, &sdk.ImageContent{Data: []byte{1}, MIMEType: "image/png"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.blocks)
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			_, direct := plainTexts(tc.blocks)
			if direct != tc.direct {
				t.Fatalf("taken directly: %v, want %v", direct, tc.direct)
			}
			got, err := plain(tc.blocks)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %#v, want %#v", got, want)
			}
		})
	}
}
