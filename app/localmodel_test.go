package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestProbeLocalModel(t *testing.T) {
	models := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"data":[{"id":"llama3.2"}]}`))
	}))
	defer models.Close()
	notModels := httptest.NewServer(http.NotFoundHandler())
	defer notModels.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	ctx := context.Background()
	if got := probeLocalModel(ctx, []string{closed.URL + "/v1", notModels.URL + "/v1", models.URL + "/v1"}); got != models.URL+"/v1" {
		t.Fatalf("got %q", got)
	}
	if got := probeLocalModel(ctx, []string{closed.URL + "/v1", notModels.URL + "/v1"}); got != "" {
		t.Fatalf("got %q, want none", got)
	}
}
