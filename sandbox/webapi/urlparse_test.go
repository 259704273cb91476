package webapi

import (
	"strings"
	"testing"
)

// fail marks an expected parse failure.
const fail = "FAIL"

// Cases taken from the web-platform-tests urltestdata.json (URL Standard).
var parseTests = []struct {
	name, input, base, want string
}{
	// Normalisation of special URLs.
	{"upper scheme and host, default port, dot segments", "HTTP://EXAMPLE.com:80/a/../b", "", "http://example.com/b"},
	{"empty path is slash", "http://example.com", "", "http://example.com/"},
	{"https default port", "https://foo:443/", "", "https://foo/"},
	{"https non-default port", "https://foo:80/", "", "https://foo:80/"},
	{"ftp default port", "ftp://foo:21/", "", "ftp://foo/"},
	{"ws default port", "ws://foo:80/", "", "ws://foo/"},
	{"wss default port", "wss://foo:443/", "", "wss://foo/"},
	{"gopher is not special", "gopher://foo:70/", "", "gopher://foo:70/"},
	{"non-special keeps port", "httpa://foo:80/", "", "httpa://foo:80/"},
	{"tabs and newlines removed", "http://example\t.\norg", "http://example.org/foo/bar", "http://example.org/"},
	{"credentials", "http://user:pass@foo:21/bar;par?b#c", "", "http://user:pass@foo:21/bar;par?b#c"},
	{"empty password dropped", "https://test:@test", "", "https://test@test/"},
	{"empty credentials dropped", "https://:@test", "", "https://test/"},
	{"non-special empty password", "non-special://test:@test/x", "", "non-special://test@test/x"},
	{"leading and trailing C0 and space", "\x00\x1b\x04\x12 http://example.com/\x1f \x0d ", "", "http://example.com/"},
	{"spaces encoded in path query fragment", "http://f:21/ b ? d # e ", "", "http://f:21/%20b%20?%20d%20#%20e"},
	{"opaque path keeps space", "lolscheme:x x#x x", "", "lolscheme:x x#x%20x"},
	{"opaque path space before query", "non-special:opaque  ?hi", "", "non-special:opaque %20?hi"},
	{"opaque path space before fragment", "non-special:opaque \t\t  \t#hi", "", "non-special:opaque  %20#hi"},
	{"empty port", "http://f:/c", "", "http://f/c"},
	{"zero port", "http://f:00000000000000/c", "", "http://f:0/c"},
	{"port with leading zeros is default", "http://f:00000000000000000000080/c", "", "http://f/c"},
	{"port letters", "http://f:b/c", "", fail},
	{"port space", "http://f: /c", "", fail},
	{"port newline removed", "http://f:\n/c", "", "http://f/c"},
	{"port too large", "http://f:999999/c", "", fail},
	{"non-special port too large", "non-special://f:999999/c", "", fail},
	{"negative port", "http://foo:-80/", "", fail},
	{"port 65535", "http://f:65535/", "", "http://f:65535/"},
	{"port 65536", "http://f:65536/", "", fail},

	// Relative references.
	{"empty relative", "", "http://example.org/foo/bar", "http://example.org/foo/bar"},
	{"whitespace relative", "  \t", "http://example.org/foo/bar", "http://example.org/foo/bar"},
	{"colon relative", ":foo.com/", "http://example.org/foo/bar", "http://example.org/foo/:foo.com/"},
	{"lone colon", ":", "http://example.org/foo/bar", "http://example.org/foo/:"},
	{"fragment only", "#", "http://example.org/foo/bar", "http://example.org/foo/bar#"},
	{"fragment backslash", "#\\", "http://example.org/foo/bar", "http://example.org/foo/bar#\\"},
	{"query only", "?", "http://example.org/foo/bar", "http://example.org/foo/bar?"},
	{"root", "/", "http://example.org/foo/bar", "http://example.org/"},
	{"backslash root", "\\x", "http://example.org/foo/bar", "http://example.org/x"},
	{"double backslash authority", "\\\\x\\hello", "http://example.org/foo/bar", "http://x/hello"},
	{"scheme-relative", "//foo/bar", "http://example.org/foo/bar", "http://foo/bar"},
	{"same scheme relative", "http:foo.com", "http://example.org/foo/bar", "http://example.org/foo/foo.com"},
	{"same scheme slash", "http:/example.com/", "http://example.org/foo/bar", "http://example.org/example.com/"},
	{"other special scheme slash", "ftp:/example.com/", "http://example.org/foo/bar", "ftp://example.com/"},
	{"file scheme slash", "file:/example.com/", "http://example.org/foo/bar", "file:///example.com/"},
	{"non-special scheme slash", "madeupscheme:/example.com/", "http://example.org/foo/bar", "madeupscheme:/example.com/"},
	{"data slash", "data:/example.com/", "http://example.org/foo/bar", "data:/example.com/"},
	{"dot", ".", "http://www.example.com/test", "http://www.example.com/"},
	{"dot dot", "..", "http://www.example.com/test", "http://www.example.com/"},
	{"sibling", "test.txt", "http://www.example.com/test", "http://www.example.com/test.txt"},
	{"up and down", "../aaa/test.txt", "http://www.example.com/test", "http://www.example.com/aaa/test.txt"},
	{"non-ascii relative", "中/test.txt", "http://www.example.com/test", "http://www.example.com/%E4%B8%AD/test.txt"},
	{"relative keeps credentials", "/some/path", "http://user:pass@example.org:21/smth", "http://user:pass@example.org:21/some/path"},
	{"no base", "foo", "", fail},
	{"opaque base", "i", "sc:sd", fail},
	{"opaque base fragment", "#i", "sc:sd", "sc:sd#i"},
	{"non-special base path", "i", "sc:/pa/pa", "sc:/pa/i"},
	{"non-special base host", "i", "sc://ho/pa", "sc://ho/i"},
	{"non-special base up", "../i", "sc:/pa/pa", "sc:/i"},
	{"invalid base", "/a", "not a url", fail},

	// Paths.
	{"dot segments", "http://example.com/foo/bar/../ton/../../a", "", "http://example.com/a"},
	{"too many dot dots", "http://example.com/foo/../../../ton", "", "http://example.com/ton"},
	{"trailing dot", "http://example.com/foo/.", "", "http://example.com/foo/"},
	{"dot prefix kept", "http://example.com/./.foo", "", "http://example.com/.foo"},
	{"encoded dots", "http://example.com/foo/%2e./%2e%2e/.%2e/%2e.bar", "", "http://example.com/%2e.bar"},
	{"partial encoded dot", "http://example.com/foo/%2e%2", "", "http://example.com/foo/%2e%2"},
	{"empty segments", "http://example.com////../..", "", "http://example.com//"},
	{"space in path", "http://example.org/a/ /c", "", "http://example.org/a/%20/c"},
	{"percent kept", "http://example.com/foo%2zbar", "", "http://example.com/foo%2zbar"},
	{"non-ascii path", "http://example.com/你好你好", "", "http://example.com/%E4%BD%A0%E5%A5%BD%E4%BD%A0%E5%A5%BD"},
	{"bom in path", "http://example.com/\ufefffoo", "", "http://example.com/%EF%BB%BFfoo"},
	{"caret in path", "http://example.com/a^b", "", "http://example.com/a%5Eb"},
	{"braces in path", "http://example.com/{x}`", "", "http://example.com/%7Bx%7D%60"},
	{"backslashes in special path", "http://example.com\\\\foo\\\\bar", "", "http://example.com//foo//bar"},
	{"backslash in non-special path", "sc:\\../", "", "sc:\\../"},
	{"non-special dot dot root", "sc:/../", "", "sc:/"},
	{"path starting with empty segment", "web+demo:/.//not-a-host/", "", "web+demo:/.//not-a-host/"},
	{"path double slash without host", "web+demo:/..//not-a-host/", "", "web+demo:/.//not-a-host/"},

	// Queries and fragments.
	{"query quote", "http://example.org/test?\"", "", "http://example.org/test?%22"},
	{"query apostrophe special", "http://host/?'", "", "http://host/?%27"},
	{"query apostrophe non-special", "notspecial://host/?'", "", "notspecial://host/?'"},
	{"query backtick kept", "http://example.org/test?`", "", "http://example.org/test?`"},
	{"query non-ascii", "http://example.org/test?⌣", "", "http://example.org/test?%E2%8C%A3"},
	{"fragment backtick", "http://example.org/test#`", "", "http://example.org/test#%60"},
	{"fragment non-ascii", "http://www.google.com/foo?bar=baz# »", "", "http://www.google.com/foo?bar=baz#%20%C2%BB"},
	{"multiple question marks", "http://foo/path;a??e#f#g", "", "http://foo/path;a??e#f#g"},

	// Authority.
	{"at in userinfo", "http://&a:foo(b]c@d:2/", "", "http://&a:foo(b%5Dc@d:2/"},
	{"two at signs", "http://::@c@d:2", "", "http://:%3A%40c@d:2/"},
	{"colon in username", "http://foo.com:b@d/", "", "http://foo.com:b@d/"},
	{"empty host after credentials", "http://user:pass@/", "", fail},
	{"empty host with at", "http://@/www.example.com", "", fail},
	{"at only", "http:@www.example.com", "", "http://www.example.com/"},
	{"colon at", "http://:@www.example.com", "", "http://www.example.com/"},
	{"dot at", "http://www.@pple.com", "", "http://www.@pple.com/"},
	{"at colon host", "http://@:www.example.com", "", fail},
	{"percent user", "http://%25DOMAIN:foobar@foodomain.com/", "", "http://%25DOMAIN:foobar@foodomain.com/"},
	{"backslash authority", "http:\\\\www.google.com\\foo", "", "http://www.google.com/foo"},

	// Hosts.
	{"upper host", "http://ExAmPlE.CoM", "", "http://example.com/"},
	{"space in host", "http://example example.com", "", fail},
	{"empty ipv6", "http://[]", "", fail},
	{"ideographic full stop", "http://www.foo。bar.com", "", "http://www.foo.bar.com/"},
	{"fullwidth host", "http://Ｇｏ.com", "", "http://go.com/"},
	{"fullwidth percent", "http://％４１.com", "", fail},
	{"ignored code points", "http://GOO\u200b\u2060\ufeffgoo.com", "", "http://googoo.com/"},
	{"nbsp in host", "http://GOO\u00a0\u3000goo.com", "", fail},
	{"non-character", "http://\ufdd0zyx.com", "", fail},
	{"idna", "http://你好你好", "", "http://xn--6qqa088eba/"},
	{"idna sharp s", "https://faß.ExAmPlE/", "", "https://xn--fa-hia.example/"},
	{"punycode kept", "http://xn--mnchen-3ya.de/", "", "http://xn--mnchen-3ya.de/"},
	{"empty punycode label", "http://xn--/", "", fail},
	{"ascii punycode label", "http://xn--ab-.com/", "", fail},
	{"invalid punycode", "http://xn--a.com/", "", fail},
	{"soft hyphen only", "https://\u00ad/", "", fail},
	{"zero width joiner", "http://\u200d.com/", "", fail},
	{"opaque host non-ascii", "sc://faß.ExAmPlE/", "", "sc://fa%C3%9F.ExAmPlE/"},
	{"opaque host percent", "sc://%/", "", "sc://%/"},
	{"opaque host forbidden", "sc://a<b", "", fail},
	{"opaque host caret", "sc://a^b", "", fail},
	{"opaque host empty at", "sc://@/", "", fail},
	{"opaque host empty before port", "sc://:12/", "", fail},
	{"opaque host tab removed", "foo://ho\tst/", "", "foo://host/"},
	{"percent-encoded host", "http://%30%78%63%30%2e%30%32%35%30.01", "", "http://192.168.0.1/"},
	{"bad percent in host", "http://%zz%66%a.com", "", fail},
	{"percent 25 host", "http://%25", "", fail},
	{"null in host", "http://hello%00", "", fail},
	{"dot host", "http://./", "", "http://./"},
	{"dot dot host", "http://../", "", "http://../"},
	{"brackets around name", "http://[www.google.com]/", "", fail},

	// IPv4.
	{"ipv4 hex", "http://192.0x00A80001", "", "http://192.168.0.1/"},
	{"ipv4 fullwidth", "http://０Ｘｃ０．０２５０．０１", "", "http://192.168.0.1/"},
	{"ipv4 octet too big", "http://192.168.0.257", "", fail},
	{"ipv4 max", "http://4294967295", "", "http://255.255.255.255/"},
	{"ipv4 overflow", "http://4294967296", "", fail},
	{"ipv4 hex max", "http://0xffffffff", "", "http://255.255.255.255/"},
	{"ipv4 hex overflow", "http://0xffffffff1", "", fail},
	{"ipv4 five parts", "http://1.2.3.4.5", "", fail},
	{"ipv4 bad octal", "http://1.2.3.08", "", fail},
	{"ipv4 bad octal first", "http://09.2.3.4", "", fail},
	{"ipv4 hex part too big", "http://0x100.2.3.4", "", fail},
	{"name ending in hex", "http://foo.0x4", "", fail},
	{"name ending in bare 0x", "http://foo.0x", "", fail},
	{"bare 0x parts", "http://0x.0x.0", "", "http://0.0.0.0/"},
	{"not a number", "http://0x7f.0.0.0x7g", "", "http://0x7f.0.0.0x7g/"},
	{"hex parts", "http://0x7f.0.0.0x7f", "", "http://127.0.0.127/"},
	{"trailing dot ipv4", "http://1.2.3.4.", "", "http://1.2.3.4/"},
	{"empty label then hex", "http://0..0x300/", "", fail},
	{"huge number", "http://999999999999999999999999", "", fail},

	// IPv6.
	{"ipv6", "http://[2001::1]", "", "http://[2001::1]/"},
	{"ipv6 default port", "http://[2001::1]:80", "", "http://[2001::1]/"},
	{"ipv6 with ipv4", "http://[::127.0.0.1]", "", "http://[::7f00:1]/"},
	{"ipv6 full with ipv4", "http://[0:0:0:0:0:0:13.1.68.3]", "", "http://[::d01:4403]/"},
	{"ipv6 all zero", "http://[0:0:0:0:0:0:0:0]", "", "http://[::]/"},
	{"ipv6 no compression of single zero", "http://[0:1:0:1:0:1:0:1]", "", "http://[0:1:0:1:0:1:0:1]/"},
	{"ipv6 first longest run", "http://[1:0:0:2::3:0]", "", "http://[1::2:0:0:3:0]/"},
	{"ipv6 trailing compression", "http://[1:0::]", "", "http://[1::]/"},
	{"ipv6 upper hex", "http://[A:B:C:D:E:F:1:2]", "", "http://[a:b:c:d:e:f:1:2]/"},
	{"ipv6 missing bracket", "http://[::1", "", fail},
	{"ipv6 unbracketed", "http://2001::1", "", fail},
	{"ipv6 extra colon port", "http://[1::2]:3:4", "", fail},
	{"ipv6 too many pieces", "http://[0:1:2:3:4:5:6:7:8]", "", fail},
	{"ipv6 two compressions", "http://[0::0::0]", "", fail},
	{"ipv6 trailing colon", "http://[0:0:]", "", fail},
	{"ipv6 bad ipv4", "http://[::1.2.3.]", "", fail},
	{"ipv6 ipv4 leading zero", "http://[::1.2.3.04]", "", fail},
	{"ipv6 ipv4 too many", "http://[::127.0.0.0.1]", "", fail},
	{"ipv6 ipv4 too late", "http://[0:1:2:3:4:5:6:7.0.0.0.1]", "", fail},
	{"ipv6 five hex digits", "http://[12345::]", "", fail},
	{"ipv6 in opaque host", "sc://[::1]/", "", "sc://[::1]/"},

	// File URLs.
	{"file drive letter", "file:c:\\foo\\bar.html", "file:///tmp/mock/path", "file:///c:/foo/bar.html"},
	{"file pipe drive letter", "  File:c|////foo\\bar.html", "file:///tmp/mock/path", "file:///c:////foo/bar.html"},
	{"relative drive letter", "C|/foo/bar", "file:///tmp/mock/path", "file:///C:/foo/bar"},
	{"slash drive letter", "/C|\\foo\\bar", "file:///tmp/mock/path", "file:///C:/foo/bar"},
	{"double slash drive letter", "//C|/foo/bar", "file:///tmp/mock/path", "file:///C:/foo/bar"},
	{"file server", "//server/file", "file:///tmp/mock/path", "file://server/file"},
	{"file backslash server", "\\\\server\\file", "file:///tmp/mock/path", "file://server/file"},
	{"file empty", "//", "file:///tmp/mock/path", "file:///"},
	{"file host", "file://test", "", "file://test/"},
	{"file localhost", "file://localhost/test", "", "file:///test"},
	{"file relative", "test", "file:///tmp/mock/path", "file:///tmp/mock/test"},
	{"file dot dot from http base", "file:..", "http://www.example.com/test", "file:///"},
	{"file drive letter not popped", "file:///C:/../..", "", "file:///C:/"},
	{"file drive letter kept from base", "/foo", "file:///C:/bar", "file:///C:/foo"},
	{"file uppercase host", "file://EXAMPLE.com/x", "", "file://example.com/x"},
	{"file ipv4 host", "file://0x7f.1/x", "", "file://127.0.0.1/x"},
	{"file port", "file://host:80/", "", fail},

	// Opaque paths.
	{"data url", "data:text/html,test#test", "", "data:text/html,test#test"},
	{"tel", "tel:1234567890", "", "tel:1234567890"},
	{"mailto", "mailto:you@example.net", "", "mailto:you@example.net"},
	{"javascript", "javascript:alert(1)", "", "javascript:alert(1)"},
	{"opaque non-ascii encoded", "a:\u00e9", "", "a:%C3%A9"},
	{"opaque control encoded", "a:\x01b", "", "a:%01b"},
	{"scheme with plus dot dash", "web+demo.x-y:z", "", "web+demo.x-y:z"},
	{"scheme starting with digit", "1http://x", "", fail},
	{"empty scheme", "://x", "", fail},
	{"empty non-special host", "foo://", "", "foo://"},
	{"non-special many slashes", "foo://///////bar.com/", "", "foo://///////bar.com/"},
	{"blob", "blob:https://example.com:443/", "", "blob:https://example.com:443/"},

	// More file and non-special cases.
	{"file pipe drive letter root", "file:/C|/", "", "file:///C:/"},
	{"file host drive letter", "file://C|/", "", "file:///C:/"},
	{"file other drive", "//d:", "file:///C:/a/b", "file:///d:"},
	{"file other drive up", "//d:/..", "file:///C:/a/b", "file:///d:/"},
	{"file up at drive root", "..", "file:///C:/", "file:///C:/"},
	{"file query only", "file:?q=v", "file:///test?test#test", "file:///test?q=v"},
	{"file fragment only", "file:#frag", "file:///test?test#test", "file:///test?test#frag"},
	{"file backslashes", "file:\\\\//", "", "file:////"},
	{"opaque host fragment", "#x", "sc://ñ", "sc://%C3%B1#x"},
	{"opaque host query", "?x", "sc://ñ", "sc://%C3%B1?x"},
	{"scheme only", "sc: ", "", "sc:"},
	{"non-special ip-like host", "ut2004://10.10.10.10:7777/Index.ut2", "", "ut2004://10.10.10.10:7777/Index.ut2"},
	{"non-special credentials and port", "telnet://user:pass@foobar.com:23/", "", "telnet://user:pass@foobar.com:23/"},
	{"urn", "urn:ietf:rfc:2648", "", "urn:ietf:rfc:2648"},
	{"tag", "tag:joe@example.org,2001:foo/bar", "", "tag:joe@example.org,2001:foo/bar"},
	{"non-special dot slash", "non-spec:/..//", "", "non-spec:/.//"},
	{"non-special dot dot path", "non-spec:/a/..//path", "", "non-spec:/.//path"},
	{"non-special relative dot", "..//path", "non-spec:/p", "non-spec:/.//path"},
	{"non-special relative to dotted base", "path", "non-spec:/..//p", "non-spec:/.//path"},
	{"port hex", "http://1.2.3.4:0x10", "", fail},
	{"percent-decoded host", "http://ex%61mple.com", "", "http://example.com/"},
	{"idna label too long to decode", "http://\u03f5" + strings.Repeat("i", 1100) + "/", "", fail},
	{"non-ascii host lowercased", "http://\u0100.com", "", "http://xn--yda.com/"},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok := parseURLWithBase(tt.input, tt.base, tt.base != "")
			got := fail
			if ok {
				got = u.serialize(false)
			}
			if got != tt.want {
				t.Fatalf("parse(%q, %q) = %q, want %q", tt.input, tt.base, got, tt.want)
			}
			if !ok {
				return
			}
			// The serialization parses to itself.
			again, ok := parseURL(got, nil)
			if !ok || again.serialize(false) != got {
				t.Fatalf("reparse of %q failed or changed", got)
			}
		})
	}
}

func TestComponents(t *testing.T) {
	tests := []struct {
		name, input string
		want        [11]string // href origin protocol username password host hostname port pathname search hash
	}{
		{"full", "https://user:pw@EXAMPLE.com:8080/p/a/t/h?query=1#frag", [11]string{
			"https://user:pw@example.com:8080/p/a/t/h?query=1#frag", "https://example.com:8080", "https:", "user", "pw",
			"example.com:8080", "example.com", "8080", "/p/a/t/h", "?query=1", "#frag"}},
		{"empty query and fragment", "http://a/?#", [11]string{
			"http://a/?#", "http://a", "http:", "", "", "a", "a", "", "/", "", ""}},
		{"ipv6 origin", "http://[::1]:81/", [11]string{
			"http://[::1]:81/", "http://[::1]:81", "http:", "", "", "[::1]:81", "[::1]", "81", "/", "", ""}},
		{"opaque", "mailto:a@b?subject=x", [11]string{
			"mailto:a@b?subject=x", "null", "mailto:", "", "", "", "", "", "a@b", "?subject=x", ""}},
		{"file", "file:///C:/x", [11]string{
			"file:///C:/x", "null", "file:", "", "", "", "", "", "/C:/x", "", ""}},
		{"blob http origin", "blob:https://a.com:443/x", [11]string{
			"blob:https://a.com:443/x", "https://a.com", "blob:", "", "", "", "", "", "https://a.com:443/x", "", ""}},
		{"blob opaque origin", "blob:d3958f5c-0777-0845-9dcf-2cb28783acaf", [11]string{
			"blob:d3958f5c-0777-0845-9dcf-2cb28783acaf", "null", "blob:", "", "", "", "", "", "d3958f5c-0777-0845-9dcf-2cb28783acaf", "", ""}},
		{"non-special host null path", "sc:/.//x", [11]string{
			"sc:/.//x", "null", "sc:", "", "", "", "", "", "//x", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok := parseURL(tt.input, nil)
			if !ok {
				t.Fatalf("parse(%q) failed", tt.input)
			}
			for c := compHref; c <= compHash; c++ {
				if got := u.component(c); got != tt.want[c] {
					t.Errorf("component %d of %q = %q, want %q", c, tt.input, got, tt.want[c])
				}
			}
		})
	}
}

// Cases taken from the web-platform-tests setters_tests.json.
var setterTests = []struct {
	name, href string
	comp       int
	value      string
	want       string
}{
	{"protocol simple", "a://example.net", compProtocol, "b", "b://example.net"},
	{"protocol uppercase", "a://example.net", compProtocol, "B", "b://example.net"},
	{"protocol non-ascii", "a://example.net", compProtocol, "é", "a://example.net"},
	{"protocol empty", "a://example.net", compProtocol, "", "a://example.net"},
	{"protocol digit first", "a://example.net", compProtocol, "0b", "a://example.net"},
	{"protocol trailing junk", "http://example.net", compProtocol, "https:foo : bar", "https://example.net/"},
	{"protocol special to non-special", "http://example.net", compProtocol, "foo", "http://example.net/"},
	{"protocol non-special to special", "ssh://me@example.net", compProtocol, "http", "ssh://me@example.net"},
	{"protocol to file with credentials", "http://test@example.net", compProtocol, "file", "http://test@example.net/"},
	{"protocol to file with port", "http://example.net:8080", compProtocol, "file", "http://example.net:8080/"},
	{"protocol from file with empty host", "file:///test", compProtocol, "https", "file:///test"},
	{"protocol default port dropped", "http://foo.com:443/", compProtocol, "https", "https://foo.com/"},
	{"protocol opaque", "javascript:alert(1)", compProtocol, "defuse", "defuse:alert(1)"},
	{"username set", "http://example.net", compUsername, "me", "http://me@example.net/"},
	{"username with password", "http://:secret@example.net", compUsername, "me", "http://me:secret@example.net/"},
	{"username clear", "http://me@example.net", compUsername, "", "http://example.net/"},
	{"username encoded", "http://example.net", compUsername, "\x00\x01\t\n\r\x1f !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\x7f\u0080\u0081Éé",
		"http://%00%01%09%0A%0D%1F%20!%22%23$%&'()*+,-.%2F09%3A%3B%3C%3D%3E%3F%40AZ%5B%5C%5D%5E_%60az%7B%7C%7D~%7F%C2%80%C2%81%C3%89%C3%A9@example.net/"},
	{"username on file", "file:///home/you/index.html", compUsername, "me", "file:///home/you/index.html"},
	{"username no host", "unix:/run/foo.socket", compUsername, "me", "unix:/run/foo.socket"},
	{"username empty host", "sc:///", compUsername, "x", "sc:///"},
	{"username non-special", "javascript://x/", compUsername, "wario", "javascript://wario@x/"},
	{"password set", "http://example.net", compPassword, "secret", "http://:secret@example.net/"},
	{"password clear", "http://me:secret@example.net", compPassword, "", "http://me@example.net/"},
	{"host simple", "http://example.net", compHost, "example.com:8080", "http://example.com:8080/"},
	{"host keeps port", "http://example.net:8080", compHost, "example.com", "http://example.com:8080/"},
	{"host empty port", "http://example.net:8080", compHost, "example.com:", "http://example.com:8080/"},
	{"host empty special", "http://example.net", compHost, "", "http://example.net/"},
	{"host empty non-special", "view-source+http://example.net/foo", compHost, "", "view-source+http:///foo"},
	{"host added to non-special", "a:/foo", compHost, "example.net", "a://example.net/foo"},
	{"host ipv4", "http://example.net", compHost, "0x7F000001:8080", "http://127.0.0.1:8080/"},
	{"host ipv6", "http://example.net", compHost, "[::0:01]:2", "http://[::1]:2/"},
	{"host default port", "http://example.net:8080", compHost, "example.com:80", "http://example.com/"},
	{"host port junk", "http://example.net/path", compHost, "example.com:8080stuff2", "http://example.com:8080/path"},
	{"host port too large", "http://example.net/path", compHost, "example.com:65536", "http://example.com/path"},
	{"host with path", "http://example.net/path", compHost, "example.com\\stuff", "http://example.com/path"},
	{"host with query", "http://example.net/path", compHost, "example.com?stuff", "http://example.com/path"},
	{"host on opaque", "mailto:me@example.net", compHost, "example.com", "mailto:me@example.net"},
	{"host file with port", "file://y/", compHost, "x:123", "file://y/"},
	{"host file localhost", "file://y/", compHost, "loc%41lhost", "file:///"},
	{"host file empty", "file://hi/x", compHost, "", "file:///x"},
	{"host non-special empty with credentials", "sc://test@test/", compHost, "", "sc://test@test/"},
	{"host non-special empty with port", "sc://test:12/", compHost, "", "sc://test:12/"},
	{"host special slashes", "http://example.com/", compHost, "///bad.com", "http://example.com/"},
	{"host non-special slashes", "sc://example.com/", compHost, "///bad.com", "sc:///"},
	{"host soft hyphen", "https://example.com/", compHost, "a%C2%ADb", "https://ab/"},
	{"host only soft hyphen", "https://example.com/", compHost, "\u00AD", "https://example.com/"},
	{"host xn--", "https://example.com/", compHost, "xn--", "https://example.com/"},
	{"host forbidden in opaque", "sc://x/", compHost, "@", "sc://x/"},
	{"host hash in opaque", "sc://x/", compHost, "#", "sc:///"},
	{"host sharp s opaque", "sc://x/", compHost, "ß", "sc://%C3%9F/"},
	{"host sharp s special", "https://x/", compHost, "ß", "https://xn--zca/"},
	{"hostname ignores port", "http://example.net/path", compHostname, "example.com:8080", "http://example.net/path"},
	{"hostname simple", "http://example.net:8080/path", compHostname, "example.com", "http://example.com:8080/path"},
	{"hostname with path", "http://example.net/path", compHostname, "example.com/stuff", "http://example.com/path"},
	{"port set", "http://example.net", compPort, "8080", "http://example.net:8080/"},
	{"port clear", "http://example.net:8080", compPort, "", "http://example.net/"},
	{"port default", "http://example.net:8080", compPort, "80", "http://example.net/"},
	{"port https default", "https://example.net:4433", compPort, "443", "https://example.net/"},
	{"port trailing junk", "http://example.net/path", compPort, "8080stuff", "http://example.net:8080/path"},
	{"port with path", "http://example.net/path", compPort, "8080/stuff", "http://example.net:8080/path"},
	{"port max", "http://example.net/path", compPort, "65535", "http://example.net:65535/path"},
	{"port too large", "http://example.net:8080/path", compPort, "65536", "http://example.net:8080/path"},
	{"port letters", "http://example.net:8080/path", compPort, "randomstring", "http://example.net:8080/path"},
	{"port newline only", "https://domain.com:3000", compPort, "\n", "https://domain.com:3000/"},
	{"port on file", "file://test/", compPort, "12", "file://test/"},
	{"port non-special", "sc://x/", compPort, "12", "sc://x:12/"},
	{"port no host", "sc:///", compPort, "12", "sc:///"},
	{"pathname opaque", "mailto:me@example.net", compPathname, "/foo", "mailto:me@example.net"},
	{"pathname dots", "unix:/run/foo.socket?timeout=10", compPathname, "/var/log/../run/bar.socket", "unix:/var/run/bar.socket?timeout=10"},
	{"pathname relative", "https://example.net#nav", compPathname, "home", "https://example.net/home#nav"},
	{"pathname up", "https://example.net#nav", compPathname, "../home", "https://example.net/home#nav"},
	{"pathname encoded", "a:/", compPathname, "\x00\x01\t\n\r\x1f !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\x7f\u0080\u0081Éé",
		"a:/%00%01%1F%20!%22%23$%&'()*+,-./09:;%3C=%3E%3F@AZ[\\]%5E_%60az%7B|%7D~%7F%C2%80%C2%81%C3%89%C3%A9"},
	{"pathname backslashes special", "http://example.net/home?lang=fr#nav", compPathname, "\\a\\%2E\\b\\%2e.\\c", "http://example.net/a/c?lang=fr#nav"},
	{"pathname backslashes non-special", "view-source+http://example.net/home?lang=fr#nav", compPathname, "\\a\\%2E\\b\\%2e.\\c", "view-source+http://example.net/\\a\\%2E\\b\\%2e.\\c?lang=fr#nav"},
	{"pathname question mark", "http://example.net", compPathname, "?", "http://example.net/%3F"},
	{"pathname hash", "http://example.net", compPathname, "#", "http://example.net/%23"},
	{"pathname file", "file:///unicorn", compPathname, "//\\/", "file://////"},
	{"pathname non-special dot", "non-spec:/", compPathname, "//p", "non-spec:/.//p"},
	{"pathname non-special dot removed", "non-spec:/.//", compPathname, "p", "non-spec:/p"},
	{"pathname trailing space", "data:/nospace", compPathname, "space ", "data:/space%20"},
	{"search set", "https://example.net#nav", compSearch, "lang=fr", "https://example.net/?lang=fr#nav"},
	{"search leading question mark", "https://example.net?lang=en-US#nav", compSearch, "?lang=fr", "https://example.net/?lang=fr#nav"},
	{"search two question marks", "https://example.net?lang=en-US#nav", compSearch, "??lang=fr", "https://example.net/??lang=fr#nav"},
	{"search question mark only", "https://example.net?lang=en-US#nav", compSearch, "?", "https://example.net/?#nav"},
	{"search clear", "https://example.net?lang=en-US#nav", compSearch, "", "https://example.net/#nav"},
	{"search encoded", "a:/", compSearch, "\x00\x01\t\n\r\x1f !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\x7f\u0080\u0081Éé",
		"a:/?%00%01%1F%20!%22%23$%&'()*+,-./09:;%3C=%3E?@AZ[\\]^_`az{|}~%7F%C2%80%C2%81%C3%89%C3%A9"},
	{"search special apostrophe", "http://a/", compSearch, "'", "http://a/?%27"},
	{"search clear opaque", "data:space ?query", compSearch, "", "data:space%20"},
	{"hash set", "https://example.net", compHash, "main", "https://example.net/#main"},
	{"hash leading hash", "https://example.net#lang=en-US", compHash, "#nav", "https://example.net/#nav"},
	{"hash hash only", "https://example.net?lang=en-US#nav", compHash, "#", "https://example.net/?lang=en-US#"},
	{"hash clear", "https://example.net?lang=en-US#nav", compHash, "", "https://example.net/?lang=en-US"},
	{"hash encoded", "a:/", compHash, "\x00\x01\t\n\r\x1f !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\x7f\u0080\u0081Éé",
		"a:/#%00%01%1F%20!%22#$%&'()*+,-./09:;%3C=%3E?@AZ[\\]^_%60az{|}~%7F%C2%80%C2%81%C3%89%C3%A9"},
	{"hash clear opaque", "data:space #fragment", compHash, "", "data:space%20"},
	{"href set", "http://a/", compHref, "https://b/c", "https://b/c"},
}

func TestSetters(t *testing.T) {
	for _, tt := range setterTests {
		t.Run(tt.name, func(t *testing.T) {
			rec, ok := parseURL(tt.href, nil)
			if !ok {
				t.Fatalf("parse(%q) failed", tt.href)
			}
			o := &urlObject{rec: *rec}
			if !o.setComponent(tt.comp, tt.value) {
				t.Fatalf("set failed")
			}
			if got := o.rec.serialize(false); got != tt.want {
				t.Fatalf("set %d of %q to %q: href = %q, want %q", tt.comp, tt.href, tt.value, got, tt.want)
			}
		})
	}
}

func TestHrefSetterFailure(t *testing.T) {
	rec, _ := parseURL("http://a/", nil)
	o := &urlObject{rec: *rec}
	if o.setComponent(compHref, "not a url") {
		t.Fatal("href setter accepted an invalid URL")
	}
	if got := o.rec.serialize(false); got != "http://a/" {
		t.Fatalf("href changed to %q after a failed set", got)
	}
}
