package data

import (
	"context"
	"encoding/json"
	"iter"
	"sort"
	"strings"

	ps "github.com/pskit/pskit/powerschool"
)

// rawSeq is a list of records as PowerSchool sent them.
type rawSeq = iter.Seq2[json.RawMessage, error]

// resource describes one /ws/v1 list the data commands can pull and count.
type resource struct {
	name, singular string
	short          string
	// district lists and counts across the district; nil when PowerSchool
	// only offers the list per school.
	district      func(c *ps.Client, ctx context.Context, o *ps.ListOptions) rawSeq
	districtCount func(c *ps.Client, ctx context.Context, o *ps.ListOptions) (int, error)
	// school lists and counts one school's records; nil for schools.
	school      func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) rawSeq
	schoolCount func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) (int, error)
	// section lists and counts one section's records; set for resources
	// PowerSchool only offers per section (they need --section).
	section      func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) rawSeq
	sectionCount func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) (int, error)
	aliases      []string
	shape        bool // accepts --expansions/--extensions
}

// raws turns a typed SDK iterator into the records' raw JSON.
func raws[T any](seq iter.Seq2[T, error], raw func(*T) json.RawMessage) rawSeq {
	return func(yield func(json.RawMessage, error) bool) {
		for v, err := range seq {
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(raw(&v), nil) {
				return
			}
		}
	}
}

var resources = map[string]*resource{
	"schools": {
		name: "schools", singular: "school", short: "List the district's schools", shape: true,
		district: func(c *ps.Client, ctx context.Context, o *ps.ListOptions) rawSeq {
			return raws(c.Schools.List(ctx, o), func(v *ps.School) json.RawMessage { return v.Raw })
		},
		districtCount: func(c *ps.Client, ctx context.Context, o *ps.ListOptions) (int, error) {
			return c.Schools.Count(ctx, o)
		},
	},
	"students": {
		name: "students", singular: "student", short: "List students, district-wide or for one school", shape: true,
		district: func(c *ps.Client, ctx context.Context, o *ps.ListOptions) rawSeq {
			return raws(c.Students.List(ctx, o), func(v *ps.Student) json.RawMessage { return v.Raw })
		},
		districtCount: func(c *ps.Client, ctx context.Context, o *ps.ListOptions) (int, error) {
			return c.Students.Count(ctx, o)
		},
		school: func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) rawSeq {
			return raws(c.Students.ListBySchool(ctx, id, o), func(v *ps.Student) json.RawMessage { return v.Raw })
		},
		schoolCount: func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) (int, error) {
			return c.Students.CountBySchool(ctx, id, o)
		},
	},
	"staff": {
		name: "staff", singular: "staff member", short: "List active staff (per school; every school by default)", shape: true,
		school: func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) rawSeq {
			return raws(c.Staff.List(ctx, id, o), func(v *ps.Staff) json.RawMessage { return v.Raw })
		},
		schoolCount: func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) (int, error) {
			return c.Staff.Count(ctx, id, o)
		},
	},
	"sections": {
		name: "sections", singular: "section", short: "List sections (per school; every school by default)", shape: true,
		school: func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) rawSeq {
			return raws(c.Sections.List(ctx, id, o), func(v *ps.Section) json.RawMessage { return v.Raw })
		},
		schoolCount: func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) (int, error) {
			return c.Sections.Count(ctx, id, o)
		},
	},
	"courses": {
		name: "courses", singular: "course", short: "List courses (per school; every school by default)",
		school: func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) rawSeq {
			return raws(c.Courses.List(ctx, id, o), func(v *ps.Course) json.RawMessage { return v.Raw })
		},
		schoolCount: func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) (int, error) {
			return c.Courses.Count(ctx, id, o)
		},
	},
	"enrollments": {
		name: "enrollments", singular: "section enrollment", short: "List the enrollments of sections (--section ID)",
		aliases: []string{"section-enrollments"},
		section: func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) rawSeq {
			return raws(c.SectionEnrollments.List(ctx, id, o), func(v *ps.SectionEnrollment) json.RawMessage { return v.Raw })
		},
		sectionCount: func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) (int, error) {
			return c.SectionEnrollments.Count(ctx, id, o)
		},
	},
	"terms": {
		name: "terms", singular: "term", short: "List terms (per school; every school by default)",
		school: func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) rawSeq {
			return raws(c.Terms.List(ctx, id, o), func(v *ps.Term) json.RawMessage { return v.Raw })
		},
		schoolCount: func(c *ps.Client, ctx context.Context, id int64, o *ps.ListOptions) (int, error) {
			return c.Terms.Count(ctx, id, o)
		},
	},
}

func resourceNames() []string {
	var n []string
	for k := range resources {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func resourceList() string { return strings.Join(resourceNames(), ", ") }

// lookupResource finds a resource by name or alias, ignoring case.
func lookupResource(name string) (*resource, bool) {
	name = strings.ToLower(name)
	if r, ok := resources[name]; ok {
		return r, true
	}
	for _, r := range resources {
		for _, a := range r.aliases {
			if a == name {
				return r, true
			}
		}
	}
	return nil, false
}
