package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"littleboxes/capabilities"
	"littleboxes/capabilities/web"
)

// maxErrorBody bounds how much of an error response's body its Error holds.
const maxErrorBody = 512

// call checks the arguments against the operation's schemas, builds the
// request and sends it through the web engine.
func (o *OpenAPI) call(ctx context.Context, op *operation, args []any) (any, error) {
	if o.c == nil {
		return nil, errors.New("openapi: the capability is not provisioned and validated")
	}
	if err := o.c.Usable(); err != nil {
		return nil, err
	}
	var in map[string]any
	if len(args) > 0 {
		in, _ = args[0].(map[string]any)
	}
	if in == nil {
		in = map[string]any{}
	}
	if bad := op.unknownArg(in); bad != nil {
		return nil, bad
	}
	values := map[string]string{} // path parameters, escaped
	query := url.Values{}
	header := http.Header{}
	for _, p := range op.params {
		v, ok := in[p.name]
		if !ok || v == nil {
			if p.required {
				return nil, argErr(op, "args.%s is required (the %s parameter %s) but missing", p.name, p.in, p.name)
			}
			continue
		}
		if err := o.checkSchema(op, p.schema, v, "args."+p.name); err != nil {
			return nil, err
		}
		switch p.in {
		case "path":
			s, err := scalars(v, ",")
			if err != nil {
				return nil, argErr(op, "args.%s: %v", p.name, err)
			}
			switch s {
			case "", ".", "..":
				return nil, argErr(op, "args.%s: %q cannot be a path segment", p.name, s)
			}
			// One segment: "/" becomes %2F, "%" %25, so nothing climbs
			// out of the operation's path.
			values[p.name] = url.PathEscape(s)
		case "query":
			if list, ok := v.([]any); ok && p.explode {
				for _, e := range list {
					s, err := scalars(e, ",")
					if err != nil {
						return nil, argErr(op, "args.%s: %v", p.name, err)
					}
					query.Add(p.name, s)
				}
				continue
			}
			s, err := scalars(v, ",")
			if err != nil {
				return nil, argErr(op, "args.%s: %v", p.name, err)
			}
			query.Add(p.name, s)
		case "header":
			s, err := scalars(v, ",")
			if err != nil {
				return nil, argErr(op, "args.%s: %v", p.name, err)
			}
			key, err := o.c.CheckHeader(op.method+" "+op.path, p.name, s)
			if err != nil {
				return nil, err
			}
			header.Set(key, s)
		}
	}
	var payload []byte
	if bd := op.body; bd != nil {
		v, ok := in["body"]
		switch {
		case (!ok || v == nil) && bd.required:
			return nil, argErr(op, "args.body is required (the request body, %s) but missing", bd.mediaType)
		case !ok || v == nil:
		case bd.json:
			if err := o.checkSchema(op, bd.schema, v, "args.body"); err != nil {
				return nil, err
			}
			b, err := json.Marshal(v)
			if err != nil {
				return nil, argErr(op, "args.body: not plain data: %v", err)
			}
			payload = b
		default:
			switch x := v.(type) {
			case string:
				payload = []byte(x)
			case []byte:
				payload = x
			default:
				return nil, &capabilities.CallError{Method: op.name, Arg: &capabilities.ArgError{Index: 0, Name: "args.body", Want: "a string or Uint8Array (" + bd.mediaType + ")", Got: v}}
			}
		}
		if payload != nil {
			header.Set("Content-Type", bd.mediaType)
		}
	}
	path := pathVar.ReplaceAllStringFunc(op.path, func(m string) string { return values[m[1:len(m)-1]] })
	raw := o.c.AllowedOrigins()[0] + o.base + path
	if q := query.Encode(); q != "" {
		raw += "?" + q
	}
	u, err := o.c.ResolveURL(raw)
	if err != nil {
		return nil, err
	}
	req := &web.Request{Method: op.method, URL: u, Shown: u.String(), Header: header}
	if err := o.c.AllowsMethod(req.Shown, req.Method); err != nil {
		return nil, err
	}
	if op.accept != "" && header.Get("Accept") == "" {
		header.Set("Accept", op.accept)
	}
	if payload != nil {
		req.Body = payload
		if err := o.c.CheckBody(req); err != nil {
			return nil, err
		}
	}
	resp, err := o.c.Send(ctx, req)
	if err != nil {
		return nil, err
	}
	return o.result(op, req, resp)
}

// result turns a response into what the method resolves to.
func (o *OpenAPI) result(op *operation, req *web.Request, resp *web.Response) (any, error) {
	if resp.Status < 200 || resp.Status > 299 {
		text := strings.ToValidUTF8(string(resp.Body), "\uFFFD")
		if len(text) > maxErrorBody {
			text = strings.ToValidUTF8(text[:maxErrorBody], "") + "…"
		}
		msg := fmt.Sprintf("%s %s %s: %d %s", o.c.Name, req.Method, req.Shown, resp.Status, resp.StatusText)
		if text != "" {
			msg += ": " + text
		}
		return nil, &statusError{msg: msg}
	}
	if op.headRes {
		headers := make(map[string]any, len(resp.Header))
		for k, v := range resp.Header {
			headers[k] = v
		}
		return map[string]any{"status": float64(resp.Status), "headers": headers}, nil
	}
	if len(resp.Body) == 0 {
		return nil, nil
	}
	if isJSON(resp.Header["content-type"]) {
		var v any
		if err := json.Unmarshal(resp.Body, &v); err != nil {
			return nil, fmt.Errorf("%s %s %s: the response says it is JSON but is not: %v", o.c.Name, req.Method, req.Shown, err)
		}
		return v, nil
	}
	if utf8.Valid(resp.Body) {
		return string(resp.Body), nil
	}
	return resp.Body, nil
}

// statusError is a response with a status other than 2xx; it unwraps to
// ErrStatus.
type statusError struct{ msg string }

func (e *statusError) Error() string { return e.msg }
func (e *statusError) Unwrap() error { return ErrStatus }

// unknownArg refuses an argument the operation does not take.
func (op *operation) unknownArg(in map[string]any) error {
	for _, k := range sortedKeys(in) {
		if k == "body" && op.body != nil {
			continue
		}
		found := false
		for _, p := range op.params {
			if p.name == k {
				found = true
				break
			}
		}
		if !found {
			return argErr(op, "%s takes no argument %q; it takes %s", op.name, k, op.argNames())
		}
	}
	return nil
}

func (op *operation) argNames() string {
	var names []string
	for _, p := range op.params {
		names = append(names, p.name)
	}
	if op.body != nil {
		names = append(names, "body")
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// argErr is a refused argument, which the sandbox throws as a TypeError.
func argErr(op *operation, format string, args ...any) error {
	return &capabilities.CallError{Method: op.name, Detail: "argument 1 (args): " + fmt.Sprintf(format, args...)}
}

// checkSchema checks v against a schema of the document, as a request's
// value (a readOnly property is refused, and not required).
func (o *OpenAPI) checkSchema(op *operation, sr *openapi3.SchemaRef, v any, at string) (err error) {
	if sr == nil || sr.Value == nil {
		return nil
	}
	if _, ok := v.([]byte); ok {
		return &capabilities.CallError{Method: op.name, Arg: &capabilities.ArgError{Index: 0, Name: at, Want: "plain data (JSON), not bytes", Got: v}}
	}
	defer func() {
		if r := recover(); r != nil {
			err = argErr(op, "%s: the value could not be checked against the schema", at)
		}
	}()
	opts := []openapi3.SchemaValidationOption{openapi3.VisitAsRequest()}
	if o.doc.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	verr := o.doc.ValidateSchemaJSON(sr.Value, v, opts...)
	if verr == nil {
		return nil
	}
	var se *openapi3.SchemaError
	if errors.As(verr, &se) {
		where := at
		for _, part := range se.JSONPointer() {
			if _, err := strconv.Atoi(part); err == nil {
				where += "[" + part + "]"
			} else if capabilities.IsIdent(part) {
				where += "." + part
			} else {
				where += "[" + strconv.Quote(part) + "]"
			}
		}
		reason := se.Reason
		if reason == "" {
			reason = "refused by the schema"
		}
		return argErr(op, "%s: %s", where, reason)
	}
	return argErr(op, "%s: %s", at, oneLine(verr))
}

// scalars renders a parameter's value as text: a string, a number (an
// integer without a decimal point), a boolean, or a list of those joined
// with sep.
func scalars(v any, sep string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return strconv.FormatInt(int64(x), 10), nil
		}
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if _, nested := e.([]any); nested {
				return "", errors.New("a list of lists cannot be sent as a parameter")
			}
			s, err := scalars(e, sep)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return strings.Join(parts, sep), nil
	}
	return "", fmt.Errorf("want a string, number, boolean or a list of them, got %s", capabilities.Describe(v))
}
