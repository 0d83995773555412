package plugin

import (
	"fmt"
	"strings"
)

// NamedQuery is one <query> of a *.named_queries.xml file: a PowerQuery.
type NamedQuery struct {
	Name        string
	CoreTable   string
	Flattened   bool
	DAT         bool     // dat="true": a PowerQuery DAT (22.9+)
	Tags        []string // tags="a,b"
	Summary     string
	Description string
	Args        []QueryArg
	Columns     []QueryColumn
	SQL         string

	File string // path of the file it came from, e.g. queries_root/x.named_queries.xml
	Pos  Pos
}

// QueryArg is <arg> of a named query.
type QueryArg struct {
	Name        string
	Column      string // e.g. STUDENTS.DCID
	Type        string // "primitive" (default) or "array"
	Default     string
	Description string
	Casing      string // "upper", "lower" or "none"
	Required    bool
	Pos         Pos
}

// QueryColumn is <column column="students.dcid">alias</column>: Column is
// the source column, Alias the element text (1 or 2 dot-separated parts)
// under which the value appears in results.
type QueryColumn struct {
	Column      string
	Alias       string
	Description string
	Pos         Pos
}

// ParseNamedQueries reads a *.named_queries.xml document (root <queries>).
// file names the document in errors and is recorded in each query.
func ParseNamedQueries(file string, data []byte) ([]NamedQuery, error) {
	root, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if root.Name != "queries" {
		return nil, fmt.Errorf("%s: %w", file, &SyntaxError{Line: root.Pos.Line, Column: root.Pos.Column,
			Msg: fmt.Sprintf("root element is <%s>; a named_queries.xml file must start with <queries>", root.Name)})
	}
	var out []NamedQuery
	for _, q := range root.Children {
		if q.Name != "query" {
			continue
		}
		nq := NamedQuery{
			Name:      q.attr("name"),
			CoreTable: q.attr("coreTable"),
			Flattened: isTrue(q.attr("flattened")),
			DAT:       isTrue(q.attr("dat")),
			File:      file,
			Pos:       q.Pos,
		}
		for _, t := range strings.Split(q.attr("tags"), ",") {
			if t = strings.TrimSpace(t); t != "" {
				nq.Tags = append(nq.Tags, t)
			}
		}
		for _, c := range q.Children {
			switch c.Name {
			case "summary":
				nq.Summary = strings.TrimSpace(c.Text)
			case "description":
				nq.Description = strings.TrimSpace(c.Text)
			case "sql":
				nq.SQL = strings.TrimSpace(c.Text)
			case "args":
				for _, a := range c.Children {
					if a.Name != "arg" {
						continue
					}
					typ := a.attr("type")
					if typ == "" {
						typ = "primitive"
					}
					nq.Args = append(nq.Args, QueryArg{
						Name: a.attr("name"), Column: a.attr("column"), Type: typ,
						Default: a.attr("default"), Description: a.attr("description"),
						Casing: a.attr("casing"), Required: isTrue(a.attr("required")), Pos: a.Pos,
					})
				}
			case "columns":
				for _, col := range c.Children {
					if col.Name != "column" {
						continue
					}
					nq.Columns = append(nq.Columns, QueryColumn{
						Column: col.attr("column"), Alias: strings.TrimSpace(col.Text),
						Description: col.attr("description"), Pos: col.Pos,
					})
				}
			}
		}
		out = append(out, nq)
	}
	return out, nil
}

func isTrue(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "true") }
