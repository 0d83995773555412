package plugin

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// Bundle is an installable plugin: a bare plugin.xml, or a zip with
// plugin.xml at its root plus queries, permissions and web files.
type Bundle struct {
	Plugin  *Plugin
	Queries []NamedQuery // from queries_root/**/*.named_queries.xml, in file then document order

	// Files holds every kept file other than plugin.xml (the queries files
	// included) by its path in the zip, e.g. "web_root/admin/x.html".
	Files map[string][]byte

	// Skipped lists zip entries outside the folders PowerSchool reads
	// (see KeptRoots); they are not in Files.
	Skipped []string
}

// KeptRoots are the top-level folders of a plugin zip PowerSchool reads.
var KeptRoots = []string{"queries_root", "permissions_root", "web_root", "MessageKeys", "pagecataloging"}

// Limits on what Load reads, so a hostile zip cannot exhaust memory.
const (
	MaxBundleSize = 64 << 20 // total uncompressed bytes across all entries
	MaxZipEntries = 10000
)

// Load reads an installable plugin: a zip (detected by its signature) with
// plugin.xml at the root, or a bare plugin.xml. It refuses zips whose
// plugin.xml sits in a top-level folder, zips without plugin.xml, entries
// whose paths escape the root, more than MaxBundleSize uncompressed bytes,
// and malformed XML (errors carry file, line and column).
func Load(data []byte) (*Bundle, error) {
	if !isZip(data) {
		p, err := Parse(data)
		if err != nil {
			return nil, err
		}
		return &Bundle{Plugin: p, Files: map[string][]byte{}}, nil
	}
	if len(data) > MaxBundleSize {
		return nil, fmt.Errorf("plugin zip is %d bytes, more than the %d allowed", len(data), MaxBundleSize)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("plugin zip: cannot read it (%v); re-create it with a standard zip tool", err)
	}
	if len(zr.File) > MaxZipEntries {
		return nil, fmt.Errorf("plugin zip has %d entries, more than the %d allowed", len(zr.File), MaxZipEntries)
	}

	files := map[string][]byte{}
	var (
		pluginXML []byte
		nested    string // a plugin.xml found inside a folder
		skipped   []string
		budget    int64 = MaxBundleSize
	)
	for _, f := range zr.File {
		name, err := cleanZipPath(f.Name)
		if err != nil {
			return nil, err
		}
		if f.FileInfo().IsDir() || name == "" {
			continue
		}
		if f.UncompressedSize64 > uint64(budget) {
			return nil, fmt.Errorf("plugin zip: %s would take the uncompressed total past %d bytes; the zip is too large or malformed", name, MaxBundleSize)
		}
		if _, dup := files[name]; dup || (name == "plugin.xml" && pluginXML != nil) {
			return nil, fmt.Errorf("plugin zip: %s appears twice; re-create the zip", name)
		}
		if name != "plugin.xml" && !kept(name) {
			if path.Base(name) == "plugin.xml" && nested == "" {
				nested = name
			}
			skipped = append(skipped, name)
			continue
		}
		body, err := readEntry(f, budget)
		if err != nil {
			return nil, fmt.Errorf("plugin zip: %s: %w", name, err)
		}
		budget -= int64(len(body))
		if name == "plugin.xml" {
			pluginXML = body
		} else {
			files[name] = body
		}
	}
	if pluginXML == nil {
		if nested != "" {
			return nil, fmt.Errorf("plugin zip: plugin.xml is at %s, inside a folder; PowerSchool needs it at the root: zip the folder's contents, not the folder", nested)
		}
		return nil, errors.New("plugin zip: no plugin.xml at the root; a plugin zip must contain plugin.xml at its top level")
	}
	p, err := Parse(pluginXML)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Plugin: p, Files: files, Skipped: skipped}

	var queryFiles []string
	for name := range files {
		if strings.HasPrefix(name, "queries_root/") && strings.HasSuffix(name, ".named_queries.xml") {
			queryFiles = append(queryFiles, name)
		}
	}
	sort.Strings(queryFiles)
	seen := map[string]string{}
	for _, name := range queryFiles {
		qs, err := ParseNamedQueries(name, files[name])
		if err != nil {
			return nil, fmt.Errorf("plugin zip: %w", err)
		}
		for _, q := range qs {
			if prev, dup := seen[q.Name]; dup && q.Name != "" {
				return nil, fmt.Errorf("plugin zip: %s:%s: query %q is already defined in %s; query names share one namespace", name, q.Pos, q.Name, prev)
			}
			seen[q.Name] = fmt.Sprintf("%s:%s", name, q.Pos)
		}
		b.Queries = append(b.Queries, qs...)
	}
	return b, nil
}

func isZip(data []byte) bool {
	return bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte("PK\x05\x06"))
}

// kept reports whether a zip path lies under one of KeptRoots.
func kept(name string) bool {
	top, _, found := strings.Cut(name, "/")
	if !found {
		return false
	}
	for _, r := range KeptRoots {
		if top == r {
			return true
		}
	}
	return false
}

// cleanZipPath returns the entry's path relative to the zip root, or an
// error when it is absolute, climbs out with "..", or uses backslashes.
func cleanZipPath(name string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("plugin zip: entry %q %s; refusing to install it", name, why)
	}
	switch {
	case strings.Contains(name, `\`):
		return bad("uses backslashes (re-create the zip with a tool that writes '/' separators)")
	case strings.HasPrefix(name, "/"), len(name) > 1 && name[1] == ':':
		return bad("is an absolute path")
	case strings.ContainsRune(name, 0):
		return bad("contains a NUL byte")
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", nil
	}
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return bad("escapes the zip root")
	}
	return clean, nil
}

// readEntry reads a zip entry, counting real bytes rather than trusting the
// header, and fails once more than budget bytes come out.
func readEntry(f *zip.File, budget int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, budget+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > budget {
		return nil, fmt.Errorf("uncompressed size exceeds the %d-byte limit for a plugin zip", MaxBundleSize)
	}
	return body, nil
}
