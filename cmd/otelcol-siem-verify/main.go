// Command otelcol-siem-verify checks what a SIEM stored from an otelcol-siem exporter with
// `integrity:` on: per stream it reports the records checked, gaps, duplicates, reordering,
// altered and inserted records and a cut tail, and says what it cannot know. It reads CEF or JSON
// lines (with or without syslog headers, as rsyslog or syslog-ng wrote them) and Splunk's JSON
// export, from files or standard input.
//
// Exit status: 0 when nothing but duplicates and reordering was found, 1 when anything else was,
// 2 on a usage or read error.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/unified-ot/otelcol-siem/internal/integrity"
)

type keyFlags []string

func (k *keyFlags) String() string     { return strings.Join(*k, ",") }
func (k *keyFlags) Set(v string) error { *k = append(*k, v); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("otelcol-siem-verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var keys keyFlags
	fs.Var(&keys, "key", "a key file (as the exporter's integrity.key_file); repeat it for rotated keys")
	keyDir := fs.String("key-dir", "", "a directory whose every regular file is a key")
	until := fs.String("until", "now", `end of the export's time window (RFC 3339), or "now"; "" skips the cut-tail check`)
	slack := fs.Duration("slack", 5*time.Minute, "how late a due checkpoint may be before the tail counts as cut")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: otelcol-siem-verify -key FILE [-key FILE ...] [-key-dir DIR] [-until TIME] [FILE ...]\n\n"+
			"Checks an export of a SIEM (CEF or JSON lines, with or without syslog headers; Splunk JSON export)\n"+
			"against the integrity keys. Reads standard input when no FILE is given.\n"+
			"Exit status: 0 clean (duplicates and reordering allowed), 1 loss or tampering found, 2 usage or read error.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	v := &integrity.Verifier{Keys: map[string][]byte{}, Slack: *slack}
	if *keyDir != "" {
		entries, err := os.ReadDir(*keyDir)
		if err != nil {
			fmt.Fprintln(stderr, "otelcol-siem-verify:", err)
			return 2
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				keys = append(keys, filepath.Join(*keyDir, e.Name()))
			}
		}
	}
	if len(keys) == 0 {
		fmt.Fprintln(stderr, "otelcol-siem-verify: no key given (-key or -key-dir)")
		return 2
	}
	for _, k := range keys {
		key, err := integrity.ReadKey(k)
		if err != nil {
			fmt.Fprintln(stderr, "otelcol-siem-verify:", err)
			return 2
		}
		// The key id only: the key itself is never printed.
		fmt.Fprintf(stdout, "key %s: id %s\n", k, integrity.KeyID(key))
		v.Keys[integrity.KeyID(key)] = key
	}
	switch *until {
	case "":
	case "now":
		v.Until = time.Now()
	default:
		t, err := time.Parse(time.RFC3339, *until)
		if err != nil {
			fmt.Fprintln(stderr, "otelcol-siem-verify: -until:", err)
			return 2
		}
		v.Until = t
	}
	inputs := fs.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	for _, in := range inputs {
		if err := read(v, in, stdin); err != nil {
			fmt.Fprintln(stderr, "otelcol-siem-verify:", err)
			return 2
		}
	}
	r := v.Report()
	if _, err := r.WriteTo(stdout); err != nil {
		return 2
	}
	if r.Failed() {
		return 1
	}
	return 0
}

func read(v *integrity.Verifier, path string, stdin io.Reader) error {
	var r io.Reader = stdin
	name := "stdin"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r, name = f, path
	}
	// Line numbers in the report count within each input.
	v.File(name)
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			v.Add(line)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
}
