package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pskit/pskit/emulator/internal/fiql"
	"github.com/pskit/pskit/emulator/internal/respond"
	"github.com/pskit/pskit/emulator/internal/store"
)

// This file holds what every /ws/v1 resource shares: paging, expansions,
// the list envelope with its XML-to-JSON quirks, counts and q= filtering.

// row is one result row keyed by upper-case column name.
type row = store.Row

// obj drops nil members and renders an empty block as "" (reference §3.2:
// empty expansion blocks are empty strings).
func obj(kv ...any) any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if v == nil {
			continue
		}
		if s, ok := v.(string); ok && s == "" {
			continue
		}
		m[kv[i].(string)] = v
	}
	if len(m) == 0 {
		return ""
	}
	return m
}

// nonEmpty turns "" from obj into nil so an optional nested block is omitted.
func nonEmpty(v any) any {
	if s, ok := v.(string); ok && s == "" {
		return nil
	}
	return v
}

// oneOrMany renders a list the way PowerSchool's XML-to-JSON layer does: a
// single element as an object, several as an array, none as nil.
func oneOrMany[T any](items []T) any {
	switch len(items) {
	case 0:
		return nil
	case 1:
		return items[0]
	}
	return items
}

// listPage is a parsed page request.
type listPage struct {
	page, size int
	expansions map[string]bool
	extensions map[string]bool
}

func (p listPage) offset() int { return (p.page - 1) * p.size }

// storePage is the page as the store's typed reads take it.
func (p listPage) storePage() store.Page { return store.Page{Offset: p.offset(), Limit: p.size} }

// parsePage reads page (from 1), pagesize (defaulting to and capped by the
// plugin's maximum), expansions and extensions. available is the
// resource's "@expansions" list; an expansion outside it is refused, while
// unknown extensions are ignored as PowerSource documents (reference §3.4).
func parsePage(r *http.Request, max int, available string) (listPage, error) {
	q := r.URL.Query()
	p := listPage{page: 1, size: max, expansions: splitSet(q.Get("expansions")), extensions: splitSet(q.Get("extensions"))}
	if err := checkExpansions(p.expansions, available); err != nil {
		return p, err
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fmt.Errorf("page must be a whole number from 1, got %q", v)
		}
		p.page = n
	}
	if v := q.Get("pagesize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, fmt.Errorf("pagesize must be a whole number, got %q", v)
		}
		if n > 0 {
			p.size = min(n, max)
		}
	}
	if int64(p.page-1)*int64(p.size) > 1<<40 {
		return p, fmt.Errorf("page %d is beyond any data", p.page)
	}
	return p, nil
}

// acceptedUnserved are documented student expansions of newer servers
// (reference §3.4) that the emulator accepts but renders nothing for.
var acceptedUnserved = map[string]bool{"counselors": true, "global_id": true}

func checkExpansions(requested map[string]bool, available string) error {
	known := splitSet(available)
	var unknown []string
	for e := range requested {
		if !known[e] && !acceptedUnserved[e] {
			unknown = append(unknown, e)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	if available == "" {
		return fmt.Errorf("unknown expansion %s: this resource has no expansions", strings.Join(unknown, ", "))
	}
	return fmt.Errorf("unknown expansion %s: available expansions are %s", strings.Join(unknown, ", "), available)
}

func splitSet(v string) map[string]bool {
	m := map[string]bool{}
	for part := range strings.SplitSeq(v, ",") {
		if part = strings.ToLower(strings.TrimSpace(part)); part != "" {
			m[part] = true
		}
	}
	return m
}

// envelope wraps a page: {"<plural>":{"@expansions":..,"@extensions":..,
// "<singular>": object-or-array}}, without the record key when empty.
func envelope[T any](plural, singular, expansions, extensions string, recs []T) map[string]any {
	inner := map[string]any{"@expansions": expansions, "@extensions": extensions}
	if v := oneOrMany(recs); v != nil {
		inner[singular] = v
	}
	return map[string]any{plural: inner}
}

// countBody is the body of every /count resource.
func countBody(n int64) any { return map[string]any{"resource": map[string]any{"count": n}} }

// fail is a /ws/v1 error the client must act on.
func fail(status int, msg string) error { return &respond.Error{Status: status, Message: msg} }

// pathID reads a numeric {id}; anything else is treated as a missing record.
func pathID(r *http.Request, name string) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return n, err == nil
}

// Searchable fields: how a q= field maps onto SQL.
type fieldKind int

const (
	kindInt fieldKind = iota
	kindText
	kindDate
	kindEnrollStatus
)

type searchField struct {
	col  string
	kind fieldKind
}

// enrollCodes translates enroll_status letters to ENROLL_STATUS codes
// (reference §3.5); "I" is any other code.
var enrollCodes = map[string]int{"A": 0, "P": -1, "T": 2, "G": 3, "H": 4}

// fiqlField is how the shared FIQL compiler filters the field.
func (f searchField) fiqlField(name string) fiql.Field {
	switch f.kind {
	case kindInt:
		return fiql.Field{Expr: f.col, Kind: fiql.Int}
	case kindDate:
		return fiql.Field{Expr: f.col, Kind: fiql.Date}
	case kindEnrollStatus:
		return fiql.Field{Expr: f.col, Custom: func(op fiql.Op, v string) (string, []any, error) {
			if op != fiql.Eq {
				return "", nil, fmt.Errorf("%s takes only == (with A, P, T, G, H or I)", name)
			}
			letter := strings.ToUpper(v)
			if code, ok := enrollCodes[letter]; ok {
				return f.col + " = ?", []any{code}, nil
			}
			if letter == "I" {
				return f.col + " NOT IN (0, -1, 2, 3, 4)", nil, nil
			}
			return "", nil, fmt.Errorf("%s must be A, P, T, G, H or I, got %q", name, v)
		}}
	}
	return fiql.Field{Expr: f.col, Kind: fiql.Text}
}

// badQuery is a q= the client must fix (400).
type badQuery struct{ msg string }

func (e *badQuery) Error() string { return e.msg }

// compileQ turns q into a SQL condition (with "1=1" for no q).
func compileQ(q string, fields map[string]searchField) (string, []any, error) {
	if q == "" {
		return "1=1", nil, nil
	}
	conds, err := fiql.V1.Parse(q)
	if err != nil {
		return "", nil, &badQuery{err.Error()}
	}
	where, args, err := fiql.V1.Where(conds, func(sel string) (fiql.Field, error) {
		f, ok := fields[strings.ToLower(sel)]
		if !ok {
			names := make([]string, 0, len(fields))
			for n := range fields {
				names = append(names, n)
			}
			sort.Strings(names)
			return fiql.Field{}, fmt.Errorf("%q is not a searchable field here; use one of %s", sel, strings.Join(names, ", "))
		}
		return f.fiqlField(sel), nil
	})
	if err != nil {
		return "", nil, &badQuery{"invalid q: " + err.Error()}
	}
	return where, args, nil
}

// queryError is 400 for a bad q and an internal failure otherwise.
func queryError(what string, err error) error {
	var bq *badQuery
	if errors.As(err, &bq) {
		return fail(http.StatusBadRequest, bq.msg)
	}
	return respond.Internal(what, err)
}

// expansionList renders the "@expansions" value: comma and space.
func expansionList(names ...string) string { return strings.Join(names, ", ") }
