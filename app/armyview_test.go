package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestLoadArmyViewInbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	v := loadArmyView(context.Background(), dir, "inbox")
	if v.Error != "" {
		t.Fatalf("error: %s", v.Error)
	}
	if v.Name != "inbox" || v.Doc == "" {
		t.Errorf("name %q, doc %q", v.Name, v.Doc)
	}
	if len(v.Agents) != 13 {
		t.Fatalf("%d agents, want 13", len(v.Agents))
	}
	items := 0
	var summarizer *ArmyAgent
	for i, a := range v.Agents {
		if a.Template == "triage" {
			items++
			if a.Name != "triage["+a.Item+"]" {
				t.Errorf("item agent %q, item %q", a.Name, a.Item)
			}
		}
		if a.Name == "summarizer" {
			summarizer = &v.Agents[i]
		}
	}
	if items != 12 {
		t.Errorf("%d triage items, want 12", items)
	}
	if summarizer == nil || !slices.Equal(summarizer.Label, []string{"owner"}) {
		t.Errorf("summarizer: %+v", summarizer)
	}
	if len(v.Sinks) == 0 || len(v.Channels) != 12 {
		t.Errorf("%d sinks, %d channels (want 12)", len(v.Sinks), len(v.Channels))
	}
	for _, c := range v.Channels {
		if c.To != "summarizer" {
			t.Errorf("channel %+v", c)
		}
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("data dir: %v %v", st.Mode(), err)
	}
	// Loading again over the materialized files works too.
	if v2 := loadArmyView(context.Background(), dir, "inbox"); v2.Error != "" || len(v2.Agents) != 13 {
		t.Errorf("second load: %q, %d agents", v2.Error, len(v2.Agents))
	}
}

func TestLoadArmyViewLeaky(t *testing.T) {
	v := loadArmyView(context.Background(), t.TempDir(), "inbox-leaky")
	if v.Error != "" {
		t.Fatalf("error: %s", v.Error)
	}
	found := false
	for _, s := range v.Sinks {
		if s.Agent == "summarizer" && s.Binding == "webhook" {
			found = true
			if s.Verdict != "approval" || s.Why == "" || len(s.Audience) == 0 {
				t.Errorf("webhook sink: %+v", s)
			}
		}
	}
	if !found {
		t.Errorf("no summarizer.webhook sink in %+v", v.Sinks)
	}
}

func TestLoadArmyViewErrorIsJSONFriendly(t *testing.T) {
	v := loadArmyView(context.Background(), t.TempDir(), "no-such-army")
	if v.Error == "" {
		t.Fatal("want an error")
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"agents", "sinks", "channels"} {
		if _, ok := m[k].([]any); !ok {
			t.Errorf("%s is %v, want []", k, m[k])
		}
	}
}
