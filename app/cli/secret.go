package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"littleboxes/app/daemon"
	"littleboxes/app/secrets"
	"littleboxes/app/store"
	"littleboxes/vault"
	"littleboxes/vault/keyring"
)

// The keyring's names index is a store.NameSet in the secrets bucket.
var _ keyring.Names = (*store.NameSet)(nil)

const secretUsageText = `usage: littleboxes secret set [--data DIR] NAME     store a secret read from stdin
       littleboxes secret list [--data DIR]         print the names of the stored secrets
       littleboxes secret delete [--data DIR] NAME  delete a secret

Secrets live in the OS keyring (the Secret Service: gnome-keyring, KeePassXC);
their names in the data directory (default $XDG_DATA_HOME/littleboxes).
The value is read from stdin, never from the command line: typed with echo
off on a terminal, else all of stdin less one trailing newline:
       printf %s "$TOKEN" | littleboxes secret set github-token
NAME is 1 to 128 of A-Z a-z 0-9 . _ -
`

// cmdSecret manages secrets in the OS keyring: set, list, delete.
func cmdSecret(args []string, std IO) int {
	if len(args) == 0 {
		io.WriteString(std.Stderr, secretUsageText)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		io.WriteString(std.Stdout, secretUsageText)
		return ExitOK
	case "set":
		return secretSet(args[1:], std)
	case "list":
		return secretList(args[1:], std)
	case "delete":
		return secretDelete(args[1:], std)
	}
	fmt.Fprintf(std.Stderr, "littleboxes secret: unknown subcommand %q\n\n", args[0])
	io.WriteString(std.Stderr, secretUsageText)
	return ExitUsage
}

// secretFlags parses a subcommand's flags, which may come before or after
// its arguments, and returns the data flag and the arguments. code is the
// exit code to return at once when ok is false.
func secretFlags(sub string, args []string, std IO) (data string, pos []string, code int, ok bool) {
	fs := flag.NewFlagSet("littleboxes secret "+sub, flag.ContinueOnError)
	// The flag package would quote a bad flag back; for set, that word may
	// be a secret, so errors are written here.
	fs.SetOutput(io.Discard)
	fs.StringVar(&data, "data", "", "the data `DIR` (default $XDG_DATA_HOME/littleboxes)")
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			fs.SetOutput(std.Stdout)
			io.WriteString(std.Stdout, secretUsageText+"\nFlags:\n")
			fs.PrintDefaults()
			return "", nil, ExitOK, false
		case err != nil && sub == "set":
			fmt.Fprintf(std.Stderr, "littleboxes secret set: bad flag (the only flag is --data DIR)\n%s\n", refuseArgvValue)
			return "", nil, ExitUsage, false
		case err != nil:
			fmt.Fprintf(std.Stderr, "littleboxes secret %s: %v\n\n%s", sub, err, secretUsageText)
			return "", nil, ExitUsage, false
		}
		if fs.NArg() == 0 {
			return data, pos, 0, true
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// refuseArgvValue is the message for a value given on the command line.
const refuseArgvValue = "littleboxes secret set: the value is read from stdin, never from the command line " +
	"(arguments are visible in ps and shell history); run:\n" +
	"       littleboxes secret set NAME            (and type it), or\n" +
	"       printf %s \"$VALUE\" | littleboxes secret set NAME"

func secretSet(args []string, std IO) int {
	data, pos, code, ok := secretFlags("set", args, std)
	if !ok {
		return code
	}
	switch {
	case len(pos) == 0:
		fmt.Fprintf(std.Stderr, "littleboxes secret set: missing NAME\n\n%s", secretUsageText)
		return ExitUsage
	case len(pos) > 1 || strings.Contains(pos[0], "="):
		// Never echo the words: one of them is a secret.
		io.WriteString(std.Stderr, refuseArgvValue+"\n")
		return ExitUsage
	}
	name := pos[0]
	if err := vault.ValidateName(name); err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes secret set: %v\n", err)
		return ExitUsage
	}
	value, err := readValue(std, name)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes secret set: read the value: %v\n", err)
		return ExitFailed
	}
	if err := vault.ValidateValue(value); err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes secret set: %v (the value is read from stdin)\n", err)
		return ExitUsage
	}
	stored := func() { fmt.Fprintf(std.Stderr, "littleboxes: secret %s stored in the OS keyring\n", name) }
	return withKeyring(data, std, "set", func(ctx context.Context, k *keyring.Keyring) error {
		if err := k.Set(ctx, name, value); err != nil {
			return err
		}
		stored()
		return nil
	}, func(ctx context.Context, c *daemon.Client) error {
		// The engine stores it, learns it for redaction and restarts the
		// army that uses it.
		if err := c.Call(ctx, "SetSecret", nil, name, value); err != nil {
			return err
		}
		stored()
		return nil
	})
}

func secretList(args []string, std IO) int {
	data, pos, code, ok := secretFlags("list", args, std)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(std.Stderr, "littleboxes secret list: takes no arguments\n\n%s", secretUsageText)
		return ExitUsage
	}
	return withKeyring(data, std, "list", func(ctx context.Context, k *keyring.Keyring) error {
		names, err := k.List(ctx)
		if err != nil {
			return err
		}
		for _, n := range names {
			fmt.Fprintln(std.Stdout, n)
		}
		return nil
	}, func(ctx context.Context, c *daemon.Client) error {
		var names []string
		if err := c.Call(ctx, "Secrets", &names); err != nil {
			return err
		}
		for _, n := range names {
			fmt.Fprintln(std.Stdout, n)
		}
		return nil
	})
}

func secretDelete(args []string, std IO) int {
	data, pos, code, ok := secretFlags("delete", args, std)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(std.Stderr, "littleboxes secret delete: takes one NAME\n\n%s", secretUsageText)
		return ExitUsage
	}
	name := pos[0]
	if err := vault.ValidateName(name); err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes secret delete: %v\n", err)
		return ExitUsage
	}
	return withKeyring(data, std, "delete", func(ctx context.Context, k *keyring.Keyring) error {
		err := k.Delete(ctx, name)
		if errors.Is(err, vault.ErrNotFound) {
			return fmt.Errorf("no secret named %s", name)
		}
		return err
	}, func(ctx context.Context, c *daemon.Client) error {
		return c.Call(ctx, "DeleteSecret", nil, name)
	})
}

// withKeyring runs remote with a client of the engine when one runs for
// the data directory; else it opens the store and the keyring over its
// names index and runs fn. It turns the error into an exit code.
func withKeyring(data string, std IO, sub string, fn func(context.Context, *keyring.Keyring) error,
	remote func(context.Context, *daemon.Client) error) int {
	ctx := context.Background()
	c, err := dialEngine(ctx, data)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes secret %s: %v\n", sub, err)
		return ExitFailed
	}
	if c != nil {
		defer c.Close()
		if err := remote(ctx, c); err != nil {
			fmt.Fprintf(std.Stderr, "littleboxes secret %s: %v\n", sub, err)
			return ExitFailed
		}
		return ExitOK
	}
	st, err := openStore(data)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes secret %s: %v\n", sub, err)
		return ExitFailed
	}
	err = fn(ctx, secrets.Keyring(st))
	if cerr := st.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes secret %s: %v\n", sub, err)
		return ExitFailed
	}
	return ExitOK
}

// readValue reads a secret value from stdin: typed with echo off when stdin
// is a terminal, else all of it less one trailing newline.
func readValue(std IO, name string) (string, error) {
	if f, ok := terminal(std.Stdin); ok {
		return readHidden(f, std.Stderr, name)
	}
	b, err := io.ReadAll(io.LimitReader(std.Stdin, vault.MaxValueLen+3))
	if err != nil {
		return "", err
	}
	return trimNewline(string(b)), nil
}

// trimNewline strips one trailing "\n" or "\r\n".
func trimNewline(s string) string {
	if s, ok := strings.CutSuffix(s, "\n"); ok {
		return strings.TrimSuffix(s, "\r")
	}
	return s
}

// terminal reports whether r is a terminal. /dev/null is a character device
// too, so stty, which works only on a terminal, has the last word.
func terminal(r io.Reader) (*os.File, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return nil, false
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil, false
	}
	return f, stty(f, "-g") == nil
}

func stty(f *os.File, arg string) error {
	cmd := exec.Command("stty", arg)
	cmd.Stdin = f
	return cmd.Run()
}

// readHidden prompts on stderr and reads one line from the terminal f with
// echo off. An interrupt while typing turns echo back on before exiting.
func readHidden(f *os.File, stderr io.Writer, name string) (string, error) {
	fmt.Fprintf(stderr, "Value of secret %s (typing is hidden): ", name)
	if err := stty(f, "-echo"); err != nil {
		fmt.Fprintln(stderr)
		return "", fmt.Errorf("cannot turn the terminal's echo off (%v); pipe the value in instead", err)
	}
	restore := func() {
		_ = stty(f, "echo")
		fmt.Fprintln(stderr)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-sig:
			restore()
			os.Exit(130)
		case <-done:
		}
	})
	line, err := bufio.NewReader(io.LimitReader(f, vault.MaxValueLen+3)).ReadString('\n')
	close(done)
	wg.Wait()
	signal.Stop(sig)
	restore()
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return trimNewline(line), nil
}
