package openapi_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
	"littleboxes/capabilities/openapi"
	"littleboxes/capabilities/web"
	"littleboxes/vault"
)

const secret = "s3cr3t-T0KEN-abcdefghijklmnop"

func TestConformance(t *testing.T) {
	captest.Check(t, openapi.ID)
}

// petServer implements testdata/petstore-ish.yaml under /v1 and records
// the request URIs it receives, as sent on the wire.
type petServer struct {
	*httptest.Server
	mu   sync.Mutex
	uris []string
}

func (s *petServer) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.uris...)
}

func newPetServer(t testing.TB) *petServer {
	t.Helper()
	s := &petServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.uris = append(s.uris, r.Method+" "+r.RequestURI)
		s.mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		jsonReply := func(code int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(v)
		}
		p := r.URL.EscapedPath()
		switch {
		case r.Method == "GET" && p == "/v1/pets":
			jsonReply(200, []any{map[string]any{"id": "7", "name": "Rex"}, map[string]any{"id": "8", "name": "Tom", "query": r.URL.RawQuery}})
		case r.Method == "POST" && p == "/v1/pets":
			var in map[string]any
			_ = json.Unmarshal(body, &in)
			in["id"] = "9"
			in["contentType"] = r.Header.Get("Content-Type")
			jsonReply(201, in)
		case r.Method == "GET" && p == "/v1/pets/7":
			jsonReply(200, map[string]any{"id": "7", "name": "Rex", "trace": r.Header.Get("X-Trace")})
		case r.Method == "GET" && strings.HasPrefix(p, "/v1/pets/"):
			jsonReply(404, map[string]any{"error": "no pet " + strings.TrimPrefix(p, "/v1/pets/")})
		case r.Method == "DELETE" && strings.HasPrefix(p, "/v1/pets/"):
			w.WriteHeader(204)
		case r.Method == "GET" && p == "/v1/status":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "up")
		case r.Method == "POST" && p == "/v1/echo":
			h := map[string]any{}
			for k, v := range r.Header {
				h[k] = strings.Join(v, ", ")
			}
			jsonReply(200, map[string]any{"headers": h, "body": string(body), "uri": r.RequestURI})
		case r.Method == "GET" && p == "/v1/big":
			w.Header().Set("Content-Type", "text/plain")
			chunk := strings.Repeat("x", 64<<10)
			for i := 0; i < 80; i++ { // 5 MiB
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		default:
			http.Error(w, "no route "+r.Method+" "+p, 418)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// specPath is the absolute path of a file of testdata, as the army gives
// it once resolved against the army file's folder.
func specPath(t testing.TB, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func props(t testing.TB, spec, origin string, extra map[string]any) string {
	t.Helper()
	m := map[string]any{"spec": spec, "origin": origin, "operations": []string{"*"}, "allow_private_network": true}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// host fills in h (nil for none): the secret in the vault as "tok", and the
// capability's name pets.
func host(h *capabilities.Host) *capabilities.Host {
	return captest.Fill(h, "pets", vault.NewMemory(map[string]string{"tok": secret}))
}

func provision(t testing.TB, props string, h *capabilities.Host) (capabilities.Instance, error) {
	t.Helper()
	return captest.Provision(t, openapi.ID, props, host(h))
}

func mustProvision(t testing.TB, props string, h *capabilities.Host) capabilities.Instance {
	t.Helper()
	return captest.MustProvision(t, openapi.ID, props, host(h))
}

var specs = []string{"petstore-ish.yaml", "petstore-ish-3.1.yaml"}

// TestDeclaration: the table of each version of the document passes the
// conformance checks, and its TypeScript matches the one golden file: the
// 3.0 document says nullable where 3.1 says type [string, "null"], and the
// two declare the same.
func TestDeclaration(t *testing.T) {
	srv := newPetServer(t)
	for _, name := range specs {
		t.Run(name, func(t *testing.T) {
			inst := mustProvision(t, props(t, specPath(t, name), srv.URL, nil), nil)
			captest.CheckTable(t, inst)
			got, err := capabilities.RenderEnv([]capabilities.Binding{{Name: "pets", Kind: openapi.ID, Table: capabilities.TableOf(inst)}})
			if err != nil {
				t.Fatal(err)
			}
			got = strings.ReplaceAll(got, srv.URL, "http://127.0.0.1:PORT") // the server's port changes
			captest.Golden(t, filepath.Join("testdata", "petstore-ish.d.ts"), []byte(got))
		})
	}
}

// TestRoles: a GET with no parameters is a source; an operation whose
// arguments reach the origin is an exchange; only those that may change
// state are consequential.
func TestRoles(t *testing.T) {
	srv := newPetServer(t)
	inst := mustProvision(t, props(t, specPath(t, specs[0]), srv.URL, nil), nil)
	tb := capabilities.TableOf(inst)
	if got := strings.Join(tb.Names(), ","); got != "big,echo,listPets,createPet,getPet,deletePet,getStatus" {
		t.Fatalf("methods %s", got)
	}
	for _, c := range []struct {
		name          string
		role          capabilities.Role
		consequential bool
	}{
		{"getStatus", capabilities.Source, false},
		{"listPets", capabilities.Exchange, false},
		{"getPet", capabilities.Exchange, false},
		{"createPet", capabilities.Exchange, true},
		{"deletePet", capabilities.Exchange, true},
	} {
		m, ok := tb.Method(c.name)
		if !ok || m.Role != c.role || (m.Role.Writes() && !m.Inconsequential) != c.consequential {
			t.Errorf("%s: %+v, want role %s, consequential %v", c.name, m, c.role, c.consequential)
		}
	}
	f := inst.Flow()
	origin := capabilities.Origin(srv.URL)
	if captest.JSON(f.Audience) != captest.JSON(capabilities.NewLabel(origin)) || captest.JSON(f.Label) != captest.JSON(capabilities.NewLabel(capabilities.Owner, origin)) || captest.JSON(f.Writers) != captest.JSON(capabilities.NewLabel(origin)) {
		t.Fatalf("flow %+v, want the origin's", f)
	}
}

// TestCalls calls every operation of both versions against the server.
func TestCalls(t *testing.T) {
	for _, name := range specs {
		t.Run(name, func(t *testing.T) {
			srv := newPetServer(t)
			inst := mustProvision(t, props(t, specPath(t, name), srv.URL, nil), nil)
			got, err := captest.Call(inst, "listPets", map[string]any{"limit": 2.0, "tag": []any{"a b", "c&d"}})
			if err != nil {
				t.Fatal(err)
			}
			if s := captest.JSON(got); !strings.Contains(s, `"query":"limit=2\u0026tag=a+b\u0026tag=c%26d"`) {
				t.Fatalf("listPets = %s", s)
			}
			got, err = captest.Call(inst, "getPet", map[string]any{"petId": "7", "X-Trace": "t-1"})
			if err != nil || captest.JSON(got) != `{"id":"7","name":"Rex","trace":"t-1"}` {
				t.Fatalf("getPet 7 = %s, %v", captest.JSON(got), err)
			}
			_, err = captest.Call(inst, "getPet", map[string]any{"petId": "8"})
			if !errors.Is(err, openapi.ErrStatus) || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "no pet 8") {
				t.Fatalf("getPet 8: err = %v, want ErrStatus naming 404 and the body", err)
			}
			got, err = captest.Call(inst, "createPet", map[string]any{"body": map[string]any{"name": "Kit", "age": 2.0}})
			if err != nil || captest.JSON(got) != `{"age":2,"contentType":"application/json","id":"9","name":"Kit"}` {
				t.Fatalf("createPet = %s, %v", captest.JSON(got), err)
			}
			got, err = captest.Call(inst, "deletePet", map[string]any{"petId": "9"})
			if err != nil || got != nil {
				t.Fatalf("deletePet = %#v, %v; want null", got, err)
			}
			got, err = captest.Call(inst, "getStatus")
			if err != nil || got != "up" {
				t.Fatalf("getStatus = %#v, %v", got, err)
			}
			want := []string{"GET /v1/pets?limit=2&tag=a+b&tag=c%26d", "GET /v1/pets/7", "GET /v1/pets/8", "POST /v1/pets", "DELETE /v1/pets/9", "GET /v1/status"}
			if got := srv.seen(); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("the server saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestArgsRefused: arguments the schemas refuse are a TypeError naming what
// is wrong, and nothing is sent.
func TestArgsRefused(t *testing.T) {
	for _, name := range specs {
		t.Run(name, func(t *testing.T) {
			srv := newPetServer(t)
			inst := mustProvision(t, props(t, specPath(t, name), srv.URL, nil), nil)
			for _, c := range []struct {
				name, method string
				args         any
				want         string
			}{
				{"missing path parameter", "getPet", map[string]any{}, "args.petId is required (the path parameter petId) but missing"},
				{"wrong type", "listPets", map[string]any{"limit": "two"}, "args.limit"},
				{"under the minimum", "listPets", map[string]any{"limit": 0.0}, "args.limit"},
				{"not an integer", "listPets", map[string]any{"limit": 1.5}, "args.limit"},
				{"unknown argument", "getPet", map[string]any{"petId": "7", "id": "7"}, `getPet takes no argument "id"; it takes X-Trace, petId`},
				{"body missing", "createPet", map[string]any{}, "args.body is required"},
				{"body property missing", "createPet", map[string]any{"body": map[string]any{"tag": "x"}}, "args.body"},
				{"body property extra", "createPet", map[string]any{"body": map[string]any{"name": "x", "owner": "me"}}, "args.body"},
				{"body property wrong type", "createPet", map[string]any{"body": map[string]any{"name": 3.0}}, "args.body.name"},
				{"not an object", "getPet", "7", "argument 1 (args): want an object of the operation's arguments, got a string"},
				{"object as a path parameter", "deletePet", map[string]any{"petId": map[string]any{"a": 1.0}}, "args.petId"},
			} {
				t.Run(c.name, func(t *testing.T) {
					_, err := captest.Call(inst, c.method, c.args)
					var ce *capabilities.CallError
					if !errors.As(err, &ce) || !ce.TypeError() || !strings.Contains(err.Error(), c.want) {
						t.Fatalf("err = %v, want a CallError saying %q", err, c.want)
					}
				})
			}
			if got := srv.seen(); len(got) != 0 {
				t.Fatalf("refused calls reached the server: %v", got)
			}
		})
	}
}

// TestPathEscaping: a path parameter is one segment, whatever it holds.
func TestPathEscaping(t *testing.T) {
	srv := newPetServer(t)
	inst := mustProvision(t, props(t, specPath(t, specs[0]), srv.URL, nil), nil)
	for _, c := range []struct{ id, want string }{
		{"../admin", "GET /v1/pets/..%2Fadmin"},
		{"a/b", "GET /v1/pets/a%2Fb"},
		{"%2E%2E%2Fadmin", "GET /v1/pets/%252E%252E%252Fadmin"},
		{"..%2f..%2fetc", "GET /v1/pets/..%252f..%252fetc"},
		{"x?admin=1#f", "GET /v1/pets/x%3Fadmin=1%23f"},
		{"{petId}", "GET /v1/pets/%7BpetId%7D"},
	} {
		before := len(srv.seen())
		_, err := captest.Call(inst, "getPet", map[string]any{"petId": c.id})
		if !errors.Is(err, openapi.ErrStatus) {
			t.Fatalf("petId %q: err = %v, want the server's 404", c.id, err)
		}
		if got := srv.seen()[before:]; len(got) != 1 || got[0] != c.want {
			t.Fatalf("petId %q: the server saw %v, want %s", c.id, got, c.want)
		}
	}
	for _, id := range []string{"..", ".", ""} {
		_, err := captest.Call(inst, "getPet", map[string]any{"petId": id})
		var ce *capabilities.CallError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "cannot be a path segment") {
			t.Fatalf("petId %q: err = %v, want it refused", id, err)
		}
	}
	for _, u := range srv.seen() {
		if strings.Contains(u, "/v1/admin") || strings.Contains(u, "/etc") && !strings.Contains(u, "%252f") {
			t.Fatalf("a request climbed out of its path: %s", u)
		}
	}
}

// TestOriginWins: the document's server names another host; requests go
// to the origin prop's alone (under the server's path), and the flow names
// only the origin.
func TestOriginWins(t *testing.T) {
	srv := newPetServer(t)
	inst := mustProvision(t, props(t, specPath(t, specs[0]), srv.URL, nil), nil)
	if _, err := captest.Call(inst, "getStatus"); err != nil {
		t.Fatal(err)
	}
	if got := srv.seen(); len(got) != 1 || got[0] != "GET /v1/status" {
		t.Fatalf("the origin's server saw %v", got)
	}
	if s := captest.JSON(inst.Flow()); strings.Contains(s, "evil.example.net") {
		t.Fatalf("the flow names the document's server: %s", s)
	}
	if ts := capabilities.TableOf(inst).TypeScript(); strings.Contains(ts, "evil.example.net") || !strings.Contains(ts, srv.URL) {
		t.Fatalf("the declaration should name the origin, not the document's server:\n%s", ts)
	}
}

// TestHugeResponse: a response over max_response_bytes is an error, not a
// result.
func TestHugeResponse(t *testing.T) {
	srv := newPetServer(t)
	inst := mustProvision(t, props(t, specPath(t, specs[0]), srv.URL, map[string]any{"max_response_bytes": 1 << 20}), nil)
	_, err := captest.Call(inst, "big")
	if !errors.Is(err, web.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

// TestCredentialRedacted: the credential is attached on the Go side, and a
// server reflecting it back finds it replaced in the result.
func TestCredentialRedacted(t *testing.T) {
	srv := newPetServer(t)
	p := props(t, specPath(t, specs[0]), srv.URL, map[string]any{"auth": map[string]any{"type": "bearer"}})
	inst := mustProvision(t, p, &capabilities.Host{SecretRefs: map[string]string{web.CredentialSlot: "tok"}})
	got, err := captest.Call(inst, "echo", map[string]any{"body": map[string]any{"x": 1.0}})
	if err != nil {
		t.Fatal(err)
	}
	s := captest.JSON(got)
	if strings.Contains(s, secret) || strings.Contains(s, "abcdefghijklmnop") {
		t.Fatalf("the credential came back: %s", s)
	}
	if !strings.Contains(s, `"Authorization":"Bearer `+web.Marker+`"`) {
		t.Fatalf("the echo should show the credential replaced: %s", s)
	}
	// The header parameter cannot carry its own Authorization.
	if strings.Contains(capabilities.TableOf(inst).TypeScript(), "Authorization") {
		t.Fatal("the declaration offers an Authorization argument")
	}
}

// TestPrivateNetwork: a loopback origin needs allow_private_network.
func TestPrivateNetwork(t *testing.T) {
	srv := newPetServer(t)
	p := props(t, specPath(t, specs[0]), srv.URL, map[string]any{"allow_private_network": false})
	_, err := provision(t, p, nil)
	if !errors.Is(err, capabilities.ErrProps) || !strings.Contains(err.Error(), "allow_private_network") {
		t.Fatalf("err = %v, want a props error naming allow_private_network", err)
	}
}

// TestBadSpecs: a document that cannot be used is a clear error naming the
// file and what is wrong, and so is an allowlist naming what it lacks.
func TestBadSpecs(t *testing.T) {
	srv := newPetServer(t)
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name, file, body string
		ops              []string
		is               error
		want             string
	}{
		{"not YAML", "a.yaml", "openapi: [3.0\n  : :", nil, openapi.ErrSpec, "a.yaml: not an OpenAPI document"},
		{"not OpenAPI", "b.json", `{"swagger": "2.0", "paths": {}}`, nil, openapi.ErrSpec, "b.json"},
		{"invalid", "c.yaml", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /x:\n    get:\n      responses: {}\n      parameters: [{name: a, in: nowhere}]\n", nil, openapi.ErrSpec, "c.yaml"},
		{"external ref", "d.yaml", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n        '200': {$ref: 'http://127.0.0.1:1/r.yaml#/R'}\n", nil, openapi.ErrSpec, "d.yaml"},
		{"missing file", "nope.yaml", "", nil, openapi.ErrSpec, "nope.yaml: no such file"},
		{"unknown operation", "petstore-ish.yaml", "", []string{"getPet", "stealPets"}, capabilities.ErrProps, `has no operation "stealPets"; it has big, echo, listPets, createPet, getPet, delete-pet, GET /status`},
		{"undeclared path variable", "e.yaml", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /x/{id}:\n    get:\n      operationId: x\n      responses: {'200': {description: ok}}\n", nil, openapi.ErrSpec, "e.yaml"},
		{"name collision", "f.yaml", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      operationId: get-a\n      responses: {'200': {description: ok}}\n  /b:\n    get:\n      operationId: getA\n      responses: {'200': {description: ok}}\n", nil, openapi.ErrNameCollision, "getA"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.file)
			switch {
			case c.body != "":
				path = write(c.file, c.body)
			case c.file == "petstore-ish.yaml":
				path = specPath(t, c.file)
			}
			extra := map[string]any{}
			if c.ops != nil {
				extra["operations"] = c.ops
			}
			_, err := provision(t, props(t, path, srv.URL, extra), nil)
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %v saying %q", err, c.is, c.want)
			}
		})
	}
	if got := srv.seen(); len(got) != 0 {
		t.Fatalf("provisioning made requests: %v", got)
	}
}

// TestCheckProps: the props' own rules, each problem at its prop.
func TestCheckProps(t *testing.T) {
	for _, c := range []struct {
		name, props string
		paths       []string
	}{
		{"relative spec", `{"spec": "api.yaml", "origin": "https://api.example.com", "operations": ["*"]}`, []string{"spec"}},
		{"not a spec file", `{"spec": "/x/api.txt", "origin": "https://api.example.com", "operations": ["*"]}`, []string{"spec"}},
		{"no origin, no operations", `{"spec": "/x/api.yaml"}`, []string{"operations", "origin"}},
		{"star with others", `{"spec": "/x/api.yaml", "origin": "https://api.example.com", "operations": ["*", "getPet"]}`, []string{"operations[0]"}},
		{"bad method", `{"spec": "/x/api.yaml", "origin": "https://api.example.com", "operations": ["FETCH /pets", "GET pets"]}`, []string{"operations[0]", "operations[1]"}},
		{"origin with a path", `{"spec": "/x/api.yaml", "origin": "https://api.example.com/v1", "operations": ["*"]}`, []string{"origin"}},
		{"auth without credential", `{"spec": "/x/api.yaml", "origin": "https://api.example.com", "operations": ["*"], "auth": {"type": "bearer"}}`, []string{"auth"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := capabilities.CheckProps(openapi.ID, []byte(c.props), nil)
			var got []string
			for _, pe := range capabilities.PropErrors(err) {
				got = append(got, pe.Path)
			}
			if strings.Join(got, ",") != strings.Join(c.paths, ",") {
				t.Fatalf("problems at %v (%v), want %v", got, err, c.paths)
			}
		})
	}
	ok := `{"spec": "/x/api.yaml", "origin": "https://api.example.com", "operations": ["getPet", "post /pets"], "label": "public"}`
	if err := capabilities.CheckProps(openapi.ID, []byte(ok), nil); err != nil {
		t.Fatalf("good props refused: %v", err)
	}
}
