package httpcap

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"littleboxes/capabilities"
	"littleboxes/capabilities/web"
)

// fetch is env.NAME.fetch(url, init?).
func (h *HTTP) fetch(ctx context.Context, args []any) (any, error) {
	if h.c == nil {
		return nil, errors.New("http fetch: the capability is not provisioned and validated")
	}
	if err := h.c.Usable(); err != nil {
		return nil, err
	}
	rawURL, err := capabilities.String(args, 0, "url")
	if err != nil {
		return nil, err
	}
	init, err := capabilities.OptObject(args, 1, "init")
	if err != nil {
		return nil, err
	}
	req, err := h.parseRequest(rawURL, init)
	if err != nil {
		return nil, err
	}
	resp, err := h.c.Send(ctx, req)
	if err != nil {
		return nil, err
	}
	headers := make(map[string]any, len(resp.Header))
	for k, v := range resp.Header {
		headers[k] = v
	}
	res := map[string]any{
		"status":     float64(resp.Status),
		"statusText": resp.StatusText,
		"ok":         resp.Status >= 200 && resp.Status <= 299,
		"url":        resp.URL,
		"headers":    headers,
	}
	if utf8.Valid(resp.Body) {
		res["body"] = string(resp.Body)
	} else {
		res["body"] = ""
		res["bodyBytes"] = resp.Body
	}
	return res, nil
}

// initKeys are the options fetch takes.
var initKeys = []string{"method", "headers", "body"}

// parseRequest checks everything about a request that can be checked before
// connecting: the URL's origin, the method, the headers, the body size.
func (h *HTTP) parseRequest(rawURL string, init map[string]any) (*web.Request, error) {
	for k := range init {
		if !slices.Contains(initKeys, k) {
			return nil, fmt.Errorf("http fetch: init: unknown option %q (the options are %s)", k, strings.Join(initKeys, ", "))
		}
	}
	u, err := h.c.ResolveURL(rawURL)
	if err != nil {
		return nil, err
	}
	r := &web.Request{URL: u, Shown: u.String(), Header: http.Header{}}

	r.Method = "GET"
	if m, ok := init["method"]; ok && m != nil {
		s, ok := m.(string)
		if !ok {
			return nil, &capabilities.ArgError{Index: 1, Name: "init.method", Want: "a string", Got: m}
		}
		r.Method = strings.ToUpper(s)
	}
	if err := h.c.AllowsMethod(r.Shown, r.Method); err != nil {
		return nil, err
	}

	if hv, ok := init["headers"]; ok && hv != nil {
		hm, ok := hv.(map[string]any)
		if !ok {
			return nil, &capabilities.ArgError{Index: 1, Name: "init.headers", Want: "an object of header names to string values", Got: hv}
		}
		names := make([]string, 0, len(hm))
		for name := range hm {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			v, ok := hm[name].(string)
			if !ok {
				return nil, &capabilities.ArgError{Index: 1, Name: "init.headers[" + strconv.Quote(name) + "]", Want: "a string", Got: hm[name]}
			}
			key, err := h.c.CheckHeader(r.Shown, name, v)
			if err != nil {
				return nil, err
			}
			if _, dup := r.Header[key]; dup {
				return nil, fmt.Errorf("http fetch %s: init.headers: %s is given twice (header names are case-insensitive)", r.Shown, key)
			}
			r.Header[key] = []string{v}
		}
	}

	if bv, ok := init["body"]; ok && bv != nil {
		switch b := bv.(type) {
		case string:
			r.Body = []byte(b)
			if r.Header.Get("Content-Type") == "" {
				r.Header.Set("Content-Type", "text/plain;charset=UTF-8") // as fetch does
			}
		case []byte:
			r.Body = b
		default:
			return nil, &capabilities.ArgError{Index: 1, Name: "init.body", Want: "a string or Uint8Array", Got: bv}
		}
		if err := h.c.CheckBody(r); err != nil {
			return nil, err
		}
	}
	return r, nil
}
