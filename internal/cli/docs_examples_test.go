package cli

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/pskit/pskit/emulator"
)

// TestDocsQueryAndTableExamples runs every `psctl query` and `psctl table`
// example of docs/cli.md, in order, against an emulator with the default
// plugin, as `psctl demo --serve` and `psctl emulator` install it: each must
// succeed with no other setup.
func TestDocsQueryAndTableExamples(t *testing.T) {
	examples := docExamples(t, "../../docs/cli.md", "psctl query ", "psctl table ")
	if len(examples) < 5 {
		t.Fatalf("found %d examples in docs/cli.md; the test no longer finds them", len(examples))
	}
	srv, err := emulator.Start(context.Background(), emulator.Options{Plugin: emulator.DefaultPlugin})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	creds := srv.Credentials()
	creds.URL = srv.URL()
	r := newRunner(t)
	t.Chdir(r.dir)
	r.ok(creds.ClientSecret+"\n", "env", "add", "demo", "--url", creds.URL, "--client-id", creds.ClientID, "--client-secret-stdin")
	for _, ex := range examples {
		args := shellWords(strings.TrimPrefix(ex, "psctl "))
		if out, errOut, code := r.run("", args...); code != 0 {
			t.Errorf("%s: exit %d\nstdout: %s\nstderr: %s", ex, code, out, errOut)
		}
	}
}

// docExamples returns the lines of the fenced code blocks of a Markdown
// file that start with one of the prefixes and hold no placeholders
// (upper-case words, [optional] parts).
func docExamples(t *testing.T, path string, prefixes ...string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	inCode := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
			continue
		}
		if !inCode || strings.Contains(line, "[") && !strings.Contains(line, "=[") {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) && !hasPlaceholder(line) {
				out = append(out, line)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func hasPlaceholder(line string) bool {
	for _, w := range strings.Fields(line) {
		if w == "NAME" || w == "TABLE" || w == "ID" || w == "FILE" {
			return true
		}
	}
	return false
}

// shellWords splits a command line as a POSIX shell would for the simple
// quoting the docs use ('...' and "...", no escapes).
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
