package webapi

import (
	_ "embed"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
)

//go:embed url.js
var urlJS string

//go:embed params.js
var paramsJS string

// usvJS declares usv and optUSV, which both modules use, before each one's
// body (only these modules: the others would pay for it on first use).
//
//go:embed usv.js
var usvJS string

// Operations of the url module's native helper.
const (
	opURLParse = iota
	opURLParseOrNull
	opURLCanParse
	opURLGet
	opURLSet
	opURLParams
)

// Operations of the params module's native helper.
const (
	opParamsNew = iota
	opParamsNewFrom
	opParamsAppend
	opParamsDelete
	opParamsGet
	opParamsGetAll
	opParamsHas
	opParamsSet
	opParamsSort
	opParamsString
	opParamsSize
	opParamsEntry
	opParamsForEach
	opParamsIteratorProto
)

// URL components, as the second argument of opURLGet and opURLSet.
const (
	compHref = iota
	compOrigin
	compProtocol
	compUsername
	compPassword
	compHost
	compHostname
	compPort
	compPathname
	compSearch
	compHash
)

var urlModuleDef = newModule("webapi:url", usvJS+urlJS, []opName{
	{"URL_PARSE", opURLParse},
	{"URL_PARSE_OR_NULL", opURLParseOrNull},
	{"URL_CAN_PARSE", opURLCanParse},
	{"URL_GET", opURLGet},
	{"URL_SET", opURLSet},
	{"URL_PARAMS", opURLParams},
	{"HREF", compHref},
	{"ORIGIN", compOrigin},
	{"PROTOCOL", compProtocol},
	{"USERNAME", compUsername},
	{"PASSWORD", compPassword},
	{"HOST", compHost},
	{"HOSTNAME", compHostname},
	{"PORT", compPort},
	{"PATHNAME", compPathname},
	{"SEARCH", compSearch},
	{"HASH", compHash},
})

var paramsModuleDef = newModule("webapi:urlsearchparams", usvJS+paramsJS, []opName{
	{"SP_NEW", opParamsNew},
	{"SP_NEW_FROM", opParamsNewFrom},
	{"SP_APPEND", opParamsAppend},
	{"SP_DELETE", opParamsDelete},
	{"SP_GET", opParamsGet},
	{"SP_GET_ALL", opParamsGetAll},
	{"SP_HAS", opParamsHas},
	{"SP_SET", opParamsSet},
	{"SP_SORT", opParamsSort},
	{"SP_STRING", opParamsString},
	{"SP_SIZE", opParamsSize},
	{"SP_ENTRY", opParamsEntry},
	{"SP_FOR_EACH", opParamsForEach},
	{"SP_ITERATOR_PROTO", opParamsIteratorProto},
})

// urlObject is the Go side of a URL instance.
type urlObject struct {
	handle
	rec urlRecord
	// params is the URL's query object and paramsJS the URLSearchParams
	// instance for it, made when searchParams is first read.
	params   *paramsObject
	paramsJS goja.Value
}

// nameValue is one entry of a URLSearchParams list.
type nameValue struct{ name, value string }

// paramsObject is the Go side of a URLSearchParams instance.
type paramsObject struct {
	handle
	list []nameValue
	url  *urlObject // the URL object it is the query object of, or nil
}

func (e *env) urlModule() *goja.Object {
	if e.urls == nil {
		e.urls = e.instantiate(urlModuleDef, e.urlNative)
		e.setToStringTag(prototypeOf(e.urls.Get("URL")), "URL")
	}
	return e.urls
}

func (e *env) paramsModule() *goja.Object {
	if e.params == nil {
		e.params = e.instantiate(paramsModuleDef, e.paramsNative)
		proto := prototypeOf(e.params.Get("URLSearchParams"))
		e.setToStringTag(proto, "URLSearchParams")
		_ = proto.DefineDataPropertySymbol(goja.SymIterator, proto.Get("entries"), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
	return e.params
}

// optString returns the argument as a string, or ok false when it is
// undefined (the JavaScript side converts every other value first).
func optString(v goja.Value) (s string, ok bool) {
	if v == nil || goja.IsUndefined(v) {
		return "", false
	}
	return v.String(), true
}

func (e *env) urlNative(op int64, call goja.FunctionCall) goja.Value {
	arg := call.Argument
	switch op {
	case opURLParse, opURLParseOrNull:
		base, hasBase := optString(arg(2))
		rec, ok := parseURLWithBase(arg(1).String(), base, hasBase)
		if !ok {
			if op == opURLParseOrNull {
				return goja.Null()
			}
			e.throwTypeError("Invalid URL")
		}
		return e.newHandle(&urlObject{rec: *rec})
	case opURLCanParse:
		base, hasBase := optString(arg(2))
		_, ok := parseURLWithBase(arg(1).String(), base, hasBase)
		return e.rt.ToValue(ok)
	case opURLGet:
		u := handleOf[urlObject](e, arg(1))
		return e.rt.ToValue(u.rec.component(int(arg(2).ToInteger())))
	case opURLSet:
		u := handleOf[urlObject](e, arg(1))
		if !u.setComponent(int(arg(2).ToInteger()), arg(3).String()) {
			e.throwTypeError("Invalid URL")
		}
		return goja.Undefined()
	case opURLParams:
		u := handleOf[urlObject](e, arg(1))
		if u.paramsJS == nil {
			p := &paramsObject{url: u}
			if u.rec.hasQuery {
				p.list = parseForm(u.rec.query)
			}
			link, _ := goja.AssertFunction(e.paramsModule().Get("link"))
			v, err := link(goja.Undefined(), e.newHandle(p))
			if err != nil {
				panic(err)
			}
			u.params, u.paramsJS = p, v
		}
		return u.paramsJS
	}
	e.throwTypeError("webapi: unknown url operation")
	return nil
}

func (e *env) paramsNative(op int64, call goja.FunctionCall) goja.Value {
	rt := e.rt
	arg := call.Argument
	switch op {
	case opParamsNew:
		p := &paramsObject{}
		if s, ok := optString(arg(1)); ok {
			p.list = parseForm(strings.TrimPrefix(s, "?"))
		}
		return e.newHandle(p)
	case opParamsNewFrom:
		return e.newHandle(&paramsObject{list: e.paramsInit(e.object(arg(1)))})
	case opParamsIteratorProto:
		e.setToStringTag(e.object(arg(1)), "URLSearchParams Iterator")
		return goja.Undefined()
	}

	p := handleOf[paramsObject](e, arg(1))
	switch op {
	case opParamsAppend:
		p.list = append(p.list, nameValue{arg(2).String(), arg(3).String()})
		p.update()
	case opParamsDelete:
		name := arg(2).String()
		value, byValue := optString(arg(3))
		p.list = slices.DeleteFunc(p.list, func(nv nameValue) bool {
			return nv.name == name && (!byValue || nv.value == value)
		})
		p.update()
	case opParamsGet:
		name := arg(2).String()
		for _, nv := range p.list {
			if nv.name == name {
				return rt.ToValue(nv.value)
			}
		}
		return goja.Null()
	case opParamsGetAll:
		name := arg(2).String()
		values := []any{}
		for _, nv := range p.list {
			if nv.name == name {
				values = append(values, nv.value)
			}
		}
		return rt.NewArray(values...)
	case opParamsHas:
		name := arg(2).String()
		value, byValue := optString(arg(3))
		for _, nv := range p.list {
			if nv.name == name && (!byValue || nv.value == value) {
				return rt.ToValue(true)
			}
		}
		return rt.ToValue(false)
	case opParamsSet:
		p.set(arg(2).String(), arg(3).String())
		p.update()
	case opParamsSort:
		slices.SortStableFunc(p.list, func(a, b nameValue) int { return compareUTF16(a.name, b.name) })
		p.update()
	case opParamsString:
		return rt.ToValue(serializeForm(p.list))
	case opParamsSize:
		return rt.ToValue(len(p.list))
	case opParamsEntry:
		i := arg(2).ToInteger()
		if i < 0 || i >= int64(len(p.list)) {
			return goja.Undefined()
		}
		nv := p.list[i]
		return rt.NewArray(nv.name, nv.value)
	case opParamsForEach:
		callback, ok := goja.AssertFunction(arg(2))
		if !ok {
			e.throwTypeError("Failed to execute 'forEach' on 'URLSearchParams': parameter 1 is not of type 'Function'.")
		}
		thisArg, self := arg(3), arg(4)
		// The list is live: entries added or removed by the callback count.
		for i := 0; i < len(p.list); i++ {
			nv := p.list[i]
			if _, err := callback(thisArg, rt.ToValue(nv.value), rt.ToValue(nv.name), self); err != nil {
				panic(err)
			}
		}
	default:
		e.throwTypeError("webapi: unknown URLSearchParams operation")
	}
	return goja.Undefined()
}

// paramsInit converts the object init, given to the URLSearchParams
// constructor, as WebIDL converts (sequence<sequence<USVString>> or
// record<USVString, USVString>), and returns the resulting list.
func (e *env) paramsInit(init *goja.Object) []nameValue {
	var list []nameValue
	method := init.GetSymbol(goja.SymIterator)
	if method != nil && !goja.IsUndefined(method) && !goja.IsNull(method) {
		if _, ok := goja.AssertFunction(method); !ok {
			e.throwTypeError("Failed to construct 'URLSearchParams': The object's @@iterator is not callable.")
		}
		e.rt.ForOf(init, func(pair goja.Value) bool {
			po, ok := pair.(*goja.Object)
			if !ok {
				e.throwTypeError("Failed to construct 'URLSearchParams': The provided value cannot be converted to a sequence.")
			}
			var items []string
			e.rt.ForOf(po, func(item goja.Value) bool {
				items = append(items, e.toString(item))
				return true
			})
			if len(items) != 2 {
				e.throwTypeError("Failed to construct 'URLSearchParams': Sequence initializer must only contain pair elements")
			}
			list = append(list, nameValue{items[0], items[1]})
			return true
		})
		return list
	}
	p := paramsObject{}
	for _, key := range init.Keys() {
		v := init.Get(key)
		if v == nil {
			continue // removed since the keys were listed
		}
		p.set(key, e.toString(v))
	}
	return p.list
}

// set implements URLSearchParams.set without the update steps.
func (p *paramsObject) set(name, value string) {
	found := false
	p.list = slices.DeleteFunc(p.list, func(nv nameValue) bool {
		if nv.name != name {
			return false
		}
		if found {
			return true
		}
		found = true
		return false
	})
	if i := slices.IndexFunc(p.list, func(nv nameValue) bool { return nv.name == name }); i >= 0 {
		p.list[i].value = value
	} else {
		p.list = append(p.list, nameValue{name, value})
	}
}

// update runs the URLSearchParams update steps: the linked URL's query
// becomes the list's serialization (null when empty).
func (p *paramsObject) update() {
	if p.url == nil {
		return
	}
	s := serializeForm(p.list)
	p.url.rec.query, p.url.rec.hasQuery = s, s != ""
}

// component returns the value of the URL getter named by c.
func (u *urlRecord) component(c int) string {
	switch c {
	case compHref:
		return u.serialize(false)
	case compOrigin:
		return u.origin()
	case compProtocol:
		return u.scheme + ":"
	case compUsername:
		return u.username
	case compPassword:
		return u.password
	case compHost:
		if !u.hasHost {
			return ""
		}
		if u.port < 0 {
			return u.host
		}
		return u.host + ":" + strconv.Itoa(u.port)
	case compHostname:
		return u.host
	case compPort:
		if u.port < 0 {
			return ""
		}
		return strconv.Itoa(u.port)
	case compPathname:
		return u.pathname()
	case compSearch:
		if u.query == "" {
			return ""
		}
		return "?" + u.query
	case compHash:
		if u.frag == "" {
			return ""
		}
		return "#" + u.frag
	}
	return ""
}

// setComponent runs the URL setter named by c. It reports false only when
// the href setter fails to parse v.
func (o *urlObject) setComponent(c int, v string) bool {
	u := &o.rec
	switch c {
	case compHref:
		rec, ok := parseURL(v, nil)
		if !ok {
			return false
		}
		o.rec = *rec
		o.reparseParams()
	case compProtocol:
		u.parse(v+":", nil, schemeStartState)
	case compUsername:
		if !u.cannotHaveUsernamePasswordPort() {
			u.username = percentEncodeString(v, userinfoSet)
		}
	case compPassword:
		if !u.cannotHaveUsernamePasswordPort() {
			u.password = percentEncodeString(v, userinfoSet)
		}
	case compHost:
		if !u.opaque {
			u.parse(v, nil, hostState)
		}
	case compHostname:
		if !u.opaque {
			u.parse(v, nil, hostnameState)
		}
	case compPort:
		if u.cannotHaveUsernamePasswordPort() {
			break
		}
		if v == "" {
			u.port = -1
		} else {
			u.parse(v, nil, portState)
		}
	case compPathname:
		if !u.opaque {
			u.path = nil
			u.parse(v, nil, pathStartState)
		}
	case compSearch:
		if v == "" {
			u.query, u.hasQuery = "", false
			if o.params != nil {
				o.params.list = nil
			}
			break
		}
		input := strings.TrimPrefix(v, "?")
		u.query, u.hasQuery = "", true
		u.parse(input, nil, queryState)
		if o.params != nil {
			o.params.list = parseForm(input)
		}
	case compHash:
		if v == "" {
			u.frag, u.hasFrag = "", false
			break
		}
		u.frag, u.hasFrag = "", true
		u.parse(strings.TrimPrefix(v, "#"), nil, fragmentState)
	}
	return true
}

// reparseParams sets the query object's list from the URL's query.
func (o *urlObject) reparseParams() {
	if o.params == nil {
		return
	}
	o.params.list = nil
	if o.rec.hasQuery {
		o.params.list = parseForm(o.rec.query)
	}
}

// parseForm implements the application/x-www-form-urlencoded parser.
func parseForm(s string) []nameValue {
	var list []nameValue
	for seq := range strings.SplitSeq(s, "&") {
		if seq == "" {
			continue
		}
		name, value, _ := strings.Cut(seq, "=")
		list = append(list, nameValue{formDecode(name), formDecode(value)})
	}
	return list
}

// serializeForm implements the application/x-www-form-urlencoded serializer.
func serializeForm(list []nameValue) string {
	if len(list) == 0 {
		return ""
	}
	b := make([]byte, 0, 32)
	for i, nv := range list {
		if i > 0 {
			b = append(b, '&')
		}
		b = formEncode(b, nv.name)
		b = append(b, '=')
		b = formEncode(b, nv.value)
	}
	return string(b)
}

// compareUTF16 compares a and b by their UTF-16 code units, as
// URLSearchParams.sort requires.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return utf16Key(ra) - utf16Key(rb)
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

// utf16Key maps a code point to an int ordered as the code point's UTF-16
// encoding: a supplementary code point sorts as its lead surrogate
// (D800–DBFF), after U+D7FF and before U+E000.
func utf16Key(r rune) int {
	if r >= 0x10000 {
		return 0xD800<<10 + int(r-0x10000)
	}
	return int(r) << 10
}
