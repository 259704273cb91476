package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"littleboxes/app/capstore"
	"littleboxes/app/daemon"
	"littleboxes/capabilities"
)

const kvUsage = `usage: littleboxes kv list [--data DIR]                  list the kv namespaces: keys and persisted label
       littleboxes kv clear NAMESPACE --yes [--data DIR]  delete a namespace's data and reset its label

A kv namespace is shared by name by every army using the data directory, and
keeps a label: who may know what was ever written there (the meet of its
writers' labels), and who could have steered what was written there (the
join of its writers' integrity). The label only narrows and the writers only
grow; the one way to reset them is to clear the namespace, which deletes
every key in it. clear asks for --yes.
NAMESPACE is the kv capability's namespace prop ("notes") or "kv:notes".
When an engine runs for the data directory, kv asks it, over its socket.
`

// cmdKV implements `littleboxes kv list|clear`.
func cmdKV(args []string, std IO) int {
	if len(args) == 0 || (args[0] != "list" && args[0] != "clear") {
		io.WriteString(std.Stderr, kvUsage)
		return ExitUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("kv "+sub, flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	data := fs.String("data", "", "the data `DIR`")
	yes := fs.Bool("yes", false, "confirm: delete the namespace's data and label")
	fs.Usage = func() { io.WriteString(std.Stderr, kvUsage) }
	want := 0 // list takes no argument, clear its namespace
	if sub == "clear" {
		want = 1
	}
	pos, code, done := parseArgs(fs, args[1:], want)
	if done {
		return code
	}
	nss, clear, closeKV, err := kvSource(*data)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes kv: %v\n", err)
		return ExitFailed
	}
	defer closeKV()
	if sub == "list" {
		if len(nss) == 0 {
			fmt.Fprintln(std.Stdout, "no kv namespaces")
		}
		for _, ns := range nss {
			fmt.Fprintf(std.Stdout, "%s\t%d keys\treaders %s\twritten by %s\n", ns.Name, ns.Keys, strings.Join(ns.Label.Strings(), ", "), writtenBy(ns.Integrity))
		}
		return ExitOK
	}
	name := pos[0]
	if !strings.HasPrefix(name, "kv:") {
		name = "kv:" + name
	}
	var found *capstore.Namespace
	for i := range nss {
		if nss[i].Name == name {
			found = &nss[i]
		}
	}
	if found == nil {
		fmt.Fprintf(std.Stderr, "littleboxes kv clear: no namespace %s here\n", name)
		return ExitFailed
	}
	if !*yes {
		fmt.Fprintf(std.Stderr, "littleboxes kv clear: this deletes all %d keys of %s, for every army using this data directory, and resets its label (readers %s); nothing was deleted. Run again with --yes to do it.\n",
			found.Keys, name, strings.Join(found.Label.Strings(), ", "))
		return ExitUsage
	}
	n, err := clear(name)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes kv clear: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(std.Stdout, "cleared %s: %d keys deleted, label reset, writers forgotten\n", name, n)
	return ExitOK
}

// writtenBy shows a namespace's persisted integrity.
func writtenBy(w []capabilities.Principal) string {
	if len(w) == 0 {
		return "the owner (trusted)"
	}
	return strings.Join(capabilities.Label(w).Strings(), ", ")
}

// kvSource returns the data directory's kv namespaces and how to clear
// one: through its engine when one runs, else on the store, in this
// process. closeKV releases what it took.
func kvSource(data string) (nss []capstore.Namespace, clear func(string) (int, error), closeKV func(), err error) {
	ctx := context.Background()
	c, err := dialEngine(ctx, data)
	if err != nil {
		return nil, nil, nil, err
	}
	if c != nil {
		if err := c.Call(ctx, daemon.MethodKVNamespaces, &nss); err != nil {
			c.Close()
			return nil, nil, nil, err
		}
		clear = func(ns string) (n int, err error) {
			err = c.Call(ctx, daemon.MethodKVClear, &n, ns)
			return n, err
		}
		return nss, clear, func() { c.Close() }, nil
	}
	st, err := openStore(data)
	if err != nil {
		return nil, nil, nil, err
	}
	if nss, err = capstore.Namespaces(st); err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	clear = func(ns string) (int, error) { return capstore.Clear(st, ns) }
	return nss, clear, func() { st.Close() }, nil
}
