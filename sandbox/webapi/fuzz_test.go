package webapi

import (
	"strconv"
	"testing"
	"unicode/utf8"
)

// FuzzURL checks that the URL parser never panics, that whatever it parses
// serializes to a URL that parses back to the same serialization
// (new URL(u.href).href === u.href), and that the setters keep that true.
func FuzzURL(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.input, tt.base, "")
	}
	for _, tt := range setterTests {
		f.Add(tt.href, "", tt.value)
	}
	f.Fuzz(func(t *testing.T, input, base, value string) {
		if !utf8.ValidString(input) || !utf8.ValidString(base) || !utf8.ValidString(value) {
			// JavaScript strings reach the parser as valid UTF-8 (lone
			// surrogates become U+FFFD), so only valid input matters.
			t.Skip()
		}
		u, ok := parseURLWithBase(input, base, base != "")
		if !ok {
			return
		}
		checkRoundTrip(t, u, "parse")
		for c := compHref; c <= compHash; c++ {
			_ = u.component(c)
		}
		for c := compHref; c <= compHash; c++ {
			if c == compOrigin {
				continue
			}
			o := &urlObject{rec: *u.clone()}
			o.params = &paramsObject{url: o}
			o.setComponent(c, value)
			checkRoundTrip(t, &o.rec, "set component "+strconv.Itoa(c))
			// The query object stays in step with the query.
			o.params.update()
			checkRoundTrip(t, &o.rec, "params update after set "+strconv.Itoa(c))
		}
	})
}

func checkRoundTrip(t *testing.T, u *urlRecord, what string) {
	t.Helper()
	href := u.serialize(false)
	again, ok := parseURL(href, nil)
	if !ok {
		t.Fatalf("%s: serialization %q does not parse", what, href)
	}
	if got := again.serialize(false); got != href {
		t.Fatalf("%s: %q reparses as %q", what, href, got)
	}
}
