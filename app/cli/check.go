package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/capstore"
	"littleboxes/app/flow"
	"littleboxes/app/secrets"
	"littleboxes/app/store"
	"littleboxes/capabilities"
	"littleboxes/examples"
	"littleboxes/vault"
	"littleboxes/vault/keyring"
)

// checkUsage is check's usage; %v is the list of built-in armies.
const checkUsage = `usage: littleboxes check ARMY.yaml|EXAMPLE [--json] [--accept-tools]

Validates an army file and prints each agent's label and each sink's
verdict (safe, or held for approval) with the reason. Runs nothing.
kv namespaces start at the labels and writers they keep in the data directory
(read only); if another littleboxes holds it, every namespace counts as the
owner's, written by someone unknown.
Secrets (an IMAP mailbox's password) are read from the OS keyring, as run does.
With --accept-tools, first accept the changed tool list of every mcp
capability whose server's tools differ from those pinned in the data
directory (a tool added, removed or changed stops the army until the owner
accepts it), and say what was accepted; this writes to the data directory.
EXAMPLE is one of the built-in armies: %v.
Exit codes: 0 the army is valid, 2 it is not (or usage).

Flags:
`

// cmdCheck validates an army file and prints the flow analysis, running
// nothing: which agent can read what, and which sinks are safe and which
// need the owner's approval.
func cmdCheck(args []string, std IO) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	asJSON := fs.Bool("json", false, "print the analysis as JSON")
	data := fs.String("data", "", "the data `DIR` whose kv labels count (default $XDG_DATA_HOME/littleboxes)")
	accept := fs.Bool("accept-tools", false, "accept the changed tool lists of the army's mcp capabilities, in the data directory")
	fs.Usage = func() { fmt.Fprintf(std.Stderr, checkUsage, examples.Names()); fs.PrintDefaults() }
	pos, code, done := parseArgs(fs, args, 1)
	if done {
		return code
	}
	path := pos[0]
	if _, err := os.Stat(path); errors.Is(err, iofs.ErrNotExist) && slices.Contains(examples.Names(), path) {
		dir, err := os.MkdirTemp("", "littleboxes-check-")
		if err != nil {
			fmt.Fprintf(std.Stderr, "littleboxes check: %v\n", err)
			return ExitFailed
		}
		defer os.RemoveAll(dir)
		if path, err = examples.Materialize(path, dir); err != nil {
			fmt.Fprintf(std.Stderr, "littleboxes check: %v\n", err)
			return ExitFailed
		}
	}
	a, err := army.Load(path)
	if err != nil {
		fmt.Fprintln(std.Stderr, err)
		return ExitUsage
	}
	ctx := context.Background()
	sec, keyErr := checkSecrets(ctx, a)
	if *accept {
		if !acceptTools(ctx, a, *data, sec, std) {
			if keyErr != nil {
				fmt.Fprintf(std.Stderr, "littleboxes check: the army names secrets but %v\n", keyErr)
			}
			return ExitUsage
		}
	}
	facts, cleanup, err := flow.StaticFactsWith(ctx, a, sec)
	if err != nil {
		fmt.Fprintf(std.Stderr, "%s: %v\n", path, err)
		if keyErr != nil {
			fmt.Fprintf(std.Stderr, "littleboxes check: the army names secrets but %v\n", keyErr)
		}
		return ExitUsage
	}
	defer cleanup()
	an, err := flow.Analyze(a, storeLabels(*data, facts, std))
	if err != nil {
		fmt.Fprintf(std.Stderr, "%s: %v\n", path, err)
		return ExitUsage
	}
	if *asJSON {
		b, err := an.JSON()
		if err != nil {
			fmt.Fprintf(std.Stderr, "littleboxes check: %v\n", err)
			return ExitFailed
		}
		fmt.Fprintln(std.Stdout, string(b))
		return ExitOK
	}
	fmt.Fprint(std.Stdout, an.Text())
	return ExitOK
}

// checkSecrets returns the OS keyring, read only, for provisioning a's
// capabilities as run does (an IMAP mailbox logs in to list its threads);
// nil when a names no secret. When the keyring cannot be reached it returns
// nil and the reason, told only should a capability then fail.
func checkSecrets(ctx context.Context, a *army.Army) (capabilities.Secrets, error) {
	if !secrets.Needed(a) {
		return nil, nil
	}
	if err := keyring.Check(ctx); err != nil {
		return nil, fmt.Errorf("the OS keyring cannot be reached: %w", err)
	}
	return vault.New(keyring.New(nil), vault.NewRedactor()), nil
}

// storeLabels returns facts with the persisted kv labels of the data
// directory, read without migrating or creating anything. With no store file
// nothing was ever written: every namespace is public. When the store cannot
// be read (another littleboxes holds it, or it is newer) every namespace
// counts as the owner's alone, the strictest label, and stderr says so: the
// verdicts may flag more than a run would, never less.
func storeLabels(dataFlag string, facts flow.Facts, std IO) flow.Facts {
	ls, ws, err := readLabels(dataFlag)
	if err == nil {
		return flow.WithStoreIntegrity(flow.WithStoreLabels(facts, ls, nil), ws, nil)
	}
	if errors.Is(err, iofs.ErrNotExist) {
		return facts
	}
	why := err.Error()
	if errors.Is(err, store.ErrLocked) {
		why = "another littleboxes process (run, or the window) holds it"
	}
	fmt.Fprintf(std.Stderr, "littleboxes check: cannot read the kv labels kept in the data directory: %s; every kv namespace counts as the owner's alone, written by someone unknown (stop the other process for exact verdicts)\n", why)
	return flow.WithStoreIntegrity(flow.WithStoreLabels(facts, nil, capabilities.NewLabel(capabilities.Owner)),
		nil, capabilities.NewLabel(capstore.UnknownWriter))
}

// readLabels reads the persisted labels and integrity of the data
// directory's kv namespaces.
func readLabels(dataFlag string) (ls, ws map[string]capabilities.Label, err error) {
	dir, err := store.DataDirPath(dataFlag)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.OpenReadOnly(filepath.Join(dir, storeFile), store.Options{LockTimeout: 200 * time.Millisecond})
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	if ls, err = capstore.Labels(st); err != nil {
		return nil, nil, err
	}
	if ws, err = capstore.Integrities(st); err != nil {
		return nil, nil, err
	}
	return ls, ws, nil
}
