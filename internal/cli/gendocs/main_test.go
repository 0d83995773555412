package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The checked-in reference matches the commands. After changing a
// command, a flag or a help text, regenerate it.
func TestReferenceIsCurrent(t *testing.T) {
	checkedIn := filepath.Join("..", "..", "..", "docs", "reference")
	fresh := t.TempDir()
	if err := generate(fresh); err != nil {
		t.Fatal(err)
	}
	want := pages(t, fresh)
	got := pages(t, checkedIn)
	stale := false
	for name, text := range want {
		if got[name] != text {
			t.Errorf("docs/reference/%s is out of date", name)
			stale = true
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("docs/reference/%s documents a command that no longer exists", name)
			stale = true
		}
	}
	if stale {
		t.Errorf("the command reference is stale: run %q from the module root and commit docs/reference", Regenerate)
	}
}

func pages(t *testing.T, dir string) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(paths)
	out := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = string(b)
	}
	return out
}
