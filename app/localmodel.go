package app

import (
	"context"
	"net/http"
	"time"
)

// localModelURLs are where OpenAI-compatible servers listen on this machine
// by default: Ollama, llama.cpp's llama-server, LM Studio.
var localModelURLs = []string{
	"http://127.0.0.1:11434/v1",
	"http://127.0.0.1:8080/v1",
	"http://127.0.0.1:1234/v1",
}

// LocalModel returns the base URL of an OpenAI-compatible model server
// answering on this machine (Ollama, llama-server, LM Studio at their
// default ports), or "" when none does: the page offers the inbox-ai example
// when one answers. Each probe is a GET of BASE/models on loopback, bounded
// to half a second.
func (a *API) LocalModel() string {
	if v, ok, err := forward[string](a, "LocalModel"); ok && err == nil {
		return v
	}
	return probeLocalModel(a.context(), localModelURLs)
}

// probeLocalModel returns the first of urls whose /models answers 200.
func probeLocalModel(ctx context.Context, urls []string) string {
	client := &http.Client{Timeout: 500 * time.Millisecond}
	for _, u := range urls {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"/models", nil)
		if err != nil {
			continue
		}
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return u
		}
	}
	return ""
}
