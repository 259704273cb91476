// Package examples holds the built-in example armies, embedded in the binary
// and kept as plain files beside this one:
//
//   - inbox: one triage agent per mail thread of the sample Maildir, each
//     sending a note over a one-way channel to a summarizer that reports to
//     the owner. Every flow is safe.
//   - inbox-leaky: the same, with the summarizer also posting its digest to a
//     webhook: each post is flagged and held for the owner's approval.
//   - inbox-llm: one drafter per thread asking a local OpenAI-compatible
//     model (Ollama on 127.0.0.1:11434) for a reply draft, reported to the
//     owner.
//   - inbox-ai: the inbox with triage agents whose code that model writes
//     from plain instructions (Code Mode, plan mode: one plan for every
//     thread, written without seeing a message).
//
// They work offline on the sample Maildir of capabilities/mail/sample.
package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"littleboxes/capabilities/mail/sample"
)

//go:embed *.yaml agents/*.ts
var files embed.FS

// Default is the example the desktop app opens on first launch.
const Default = "inbox"

// Names lists the example armies.
func Names() []string {
	entries, _ := fs.Glob(files, "*.yaml")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e, ".yaml"))
	}
	sort.Strings(names)
	return names
}

// folders are the folders an example's folder capabilities keep (the folder
// kind wants its folder to exist), relative to the army's folder.
var folders = map[string][]string{"notes": {"notes"}}

// Materialize writes the example army name into dir, with its agents, a
// copy of the sample Maildir (dir/maildir) and the folders its folder
// capabilities keep, and returns the army file's path.
// Existing files are overwritten; the Maildir is only written when absent, so
// mail filed by replies survives.
func Materialize(name, dir string) (string, error) {
	army, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return "", fmt.Errorf("no example army %q (have: %s)", name, strings.Join(Names(), ", "))
	}
	if err := os.MkdirAll(filepath.Join(dir, "agents"), 0o755); err != nil {
		return "", fmt.Errorf("example %s: %w", name, err)
	}
	agents, _ := fs.Glob(files, "agents/*.ts")
	for _, a := range agents {
		b, err := files.ReadFile(a)
		if err != nil {
			return "", fmt.Errorf("example %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, a), b, 0o644); err != nil {
			return "", fmt.Errorf("example %s: %w", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "maildir", "cur")); os.IsNotExist(err) {
		if err := sample.Extract(filepath.Join(dir, "maildir")); err != nil {
			return "", fmt.Errorf("example %s: extracting the sample Maildir: %w", name, err)
		}
	}
	for _, f := range folders[name] {
		if err := os.MkdirAll(filepath.Join(dir, f), 0o755); err != nil {
			return "", fmt.Errorf("example %s: %w", name, err)
		}
	}
	path := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(path, army, 0o644); err != nil {
		return "", fmt.Errorf("example %s: %w", name, err)
	}
	return path, nil
}
