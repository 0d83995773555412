package plugin

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// PackageReport says what Package put in the zip and what it left out.
type PackageReport struct {
	Files    []string  // zip paths written, plugin.xml first
	Skipped  []string  // paths under dir left out, with the reason after ": "
	Problems []Problem // warnings from validation (errors stop packaging)
}

// ValidationError is returned when validation finds errors; it lists all
// problems so the caller can show them.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var errs []string
	for _, p := range e.Problems {
		if p.Severity == SeverityError {
			errs = append(errs, p.String())
		}
	}
	return fmt.Sprintf("plugin has %d error(s); fix them and try again:\n  %s", len(errs), strings.Join(errs, "\n  "))
}

// zipEpoch is the modification time of every entry, so the same directory
// always yields the same zip bytes.
var zipEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Package zips the plugin in dir: plugin.xml at the zip root plus the
// folders in KeptRoots, and nothing else (other files, dot files and
// symbolic links are reported in Skipped). The result is loaded back and
// validated before anything is written to w; on validation errors it
// returns a *ValidationError and writes nothing.
func Package(dir string, w io.Writer) (*PackageReport, error) {
	report := &PackageReport{}
	xmlPath := filepath.Join(dir, "plugin.xml")
	if _, err := os.Stat(xmlPath); err != nil {
		return nil, fmt.Errorf("package %s: no plugin.xml in that directory (%v); point at the folder that holds plugin.xml", dir, err)
	}

	type entry struct{ zipPath, osPath string }
	entries := []entry{{"plugin.xml", xmlPath}}
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		zp := filepath.ToSlash(rel)
		skip := func(why string) error {
			report.Skipped = append(report.Skipped, zp+": "+why)
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case zp == "plugin.xml":
			return nil
		case strings.HasPrefix(d.Name(), "."):
			return skip("hidden")
		case d.Type()&fs.ModeSymlink != 0:
			return skip("symbolic link")
		case !strings.Contains(zp, "/") && !(d.IsDir() && isKeptRoot(zp)):
			return skip("not plugin.xml or one of " + strings.Join(KeptRoots, ", "))
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return skip("not a regular file")
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		if total > MaxBundleSize {
			return fmt.Errorf("the files to package exceed %d bytes", MaxBundleSize)
		}
		entries = append(entries, entry{zp, p})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", dir, err)
	}
	sort.Slice(entries[1:], func(i, j int) bool { return entries[1+i].zipPath < entries[1+j].zipPath })

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		body, err := os.ReadFile(e.osPath)
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", dir, err)
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: e.zipPath, Method: zip.Deflate, Modified: zipEpoch})
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(body); err != nil {
			return nil, err
		}
		report.Files = append(report.Files, e.zipPath)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}

	b, err := Load(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", dir, err)
	}
	probs := b.Validate()
	if HasErrors(probs) {
		return report, &ValidationError{Problems: probs}
	}
	report.Problems = probs
	if _, err := w.Write(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("package %s: writing the zip: %w", dir, err)
	}
	return report, nil
}

func isKeptRoot(name string) bool {
	for _, r := range KeptRoots {
		if name == r {
			return true
		}
	}
	return false
}

// InitOptions describe a new plugin.xml.
type InitOptions struct {
	Name            string // required
	Version         string // default "1.0.0"
	Description     string
	PublisherName   string   // required
	ContactEmail    string   // required
	AccessLevelV1   string   // accessLevelV1Api: NONE, READ (default) or FULL
	Fields          []string // TABLE.FIELD or TABLE.FIELD:FullAccess (default ViewOnly)
	RegistrationURL string   // optional https:// URL
	// Gradebook adds GradebookFields: what grade passback through
	// PowerTeacher Pro's /ws/xte needs.
	Gradebook bool
}

// Init builds a plugin with <oauth> and <access_request> from opts. The
// result passes Validate, or Init returns a *ValidationError saying why.
func Init(opts InitOptions) (*Plugin, error) {
	if opts.Version == "" {
		opts.Version = "1.0.0"
	}
	level := strings.ToUpper(opts.AccessLevelV1)
	if level == "" {
		level = "READ"
	}
	p := &Plugin{
		Name: opts.Name, Version: opts.Version, Description: opts.Description, Namespace: Namespace,
		Publisher: &Publisher{Name: opts.PublisherName, Contact: &Contact{Email: opts.ContactEmail}},
		OAuth:     &OAuth{AccessLevelV1API: level},
	}
	if len(opts.Fields) > 0 || opts.Gradebook {
		p.AccessRequest = &AccessRequest{}
		if opts.Gradebook {
			p.AccessRequest.Fields = MergeFields(p.AccessRequest.Fields, GradebookFields()...)
		}
		var errs []error
		for _, spec := range opts.Fields {
			f, err := ParseFieldSpec(spec)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			p.AccessRequest.Fields = MergeFields(p.AccessRequest.Fields, f)
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	if opts.RegistrationURL != "" {
		p.Registration = &Registration{URL: opts.RegistrationURL}
	}
	if probs := p.Validate(); HasErrors(probs) {
		return nil, &ValidationError{Problems: probs}
	}
	return p, nil
}

// ParseFieldSpec reads TABLE.FIELD or TABLE.FIELD:ACCESS, where ACCESS is
// ViewOnly (the default) or FullAccess, case-insensitively.
func ParseFieldSpec(spec string) (Field, error) {
	s := strings.TrimSpace(spec)
	tf, access, hasAccess := strings.Cut(s, ":")
	table, field, ok := strings.Cut(tf, ".")
	if !ok || table == "" || field == "" || strings.Contains(field, ".") {
		return Field{}, fmt.Errorf("field %q: write TABLE.FIELD or TABLE.FIELD:FullAccess, e.g. STUDENTS.DCID", spec)
	}
	f := Field{Table: table, Field: field, Access: ViewOnly}
	if hasAccess {
		switch strings.ToLower(access) {
		case "viewonly", "view", "read":
			f.Access = ViewOnly
		case "fullaccess", "full", "write":
			f.Access = FullAccess
		default:
			return Field{}, fmt.Errorf("field %q: access %q is not ViewOnly or FullAccess", spec, access)
		}
	}
	return f, nil
}

// MergeFields adds fields to have, matching table and field names
// case-insensitively; an existing ViewOnly entry is raised to FullAccess
// when an added one asks for it, and never lowered.
func MergeFields(have []Field, add ...Field) []Field {
	for _, f := range add {
		found := false
		for i := range have {
			if strings.EqualFold(have[i].Table, f.Table) && strings.EqualFold(have[i].Field, f.Field) {
				found = true
				if f.Access == FullAccess {
					have[i].Access = FullAccess
				}
				break
			}
		}
		if !found {
			have = append(have, f)
		}
	}
	return have
}
