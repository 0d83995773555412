// Package tableapi serves PowerSchool's table API, /ws/schema/table/{table},
// on the emulator's store: reads of extension and core tables, and
// inserts, updates and deletes on extension tables (U_* and *COREFIELDS),
// each governed by the calling plugin's access_request.
package tableapi

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/pskit/pskit/emulator/internal/pluginaccess"
	"github.com/pskit/pskit/emulator/internal/respond"
	"github.com/pskit/pskit/emulator/internal/store"
)

// Handler serves /ws/schema/table and everything under it.
type Handler struct {
	st     *store.Store // writes go through st.Write
	db     *sql.DB
	lookup pluginaccess.Lookup
	tables sync.Map // upper name -> *table
}

// New returns the table API handler over the store's database. lookup
// identifies the calling plugin; a request without one gets 401.
func New(st *store.Store, lookup pluginaccess.Lookup) *Handler {
	return &Handler{st: st, db: st.DB, lookup: lookup}
}

// Mount registers every table API route on mux, each wrapped by wrap (nil
// for none). These are the only declarations of the routes.
func (h *Handler) Mount(mux *http.ServeMux, wrap func(http.HandlerFunc) http.HandlerFunc) {
	for pattern, route := range map[string]http.HandlerFunc{
		"GET /ws/schema/table":                  h.withCaller(h.serveTables),
		"GET /ws/schema/table/{table}":          h.withTable(h.serveList),
		"GET /ws/schema/table/{table}/count":    h.withTable(h.serveCount),
		"GET /ws/schema/table/{table}/metadata": h.withTable(h.serveMetadata),
		"GET /ws/schema/table/{table}/{id}":     h.withTable(h.serveGet),
		"POST /ws/schema/table/{table}":         h.withTable(h.serveInsert),
		"PUT /ws/schema/table/{table}/{id}":     h.withTable(h.serveUpdate),
		"DELETE /ws/schema/table/{table}/{id}":  h.withTable(h.serveDelete),
	} {
		pluginaccess.Handle(mux, wrap, pattern, route)
	}
}

// withCaller answers a handler that needs the calling plugin in the
// /ws/schema dialect.
func (h *Handler) withCaller(next func(r *http.Request, c *pluginaccess.Caller) (any, error)) http.HandlerFunc {
	return h.lookup.Require(func(w http.ResponseWriter, r *http.Request, c *pluginaccess.Caller) {
		respond.Schema.Handle(func(r *http.Request) (any, error) { return next(r, c) })(w, r)
	})
}

// withTable also resolves {table}, or answers 404.
func (h *Handler) withTable(next func(r *http.Request, c *pluginaccess.Caller, t *table) (any, error)) http.HandlerFunc {
	return h.withCaller(func(r *http.Request, c *pluginaccess.Caller) (any, error) {
		name := r.PathValue("table")
		t, err := h.table(r.Context(), name)
		if err != nil {
			return nil, pluginaccess.Errorf(http.StatusInternalServerError, err.Error())
		}
		if t == nil {
			return nil, pluginaccess.Errorf(http.StatusNotFound, fmt.Sprintf("table %q not found: the table API serves extension tables (U_*, *COREFIELDS) and the core tables; list them with GET /ws/schema/table", name))
		}
		return next(r, c, t)
	})
}

// table describes one store table as the API shows it.
type table struct {
	name     string // upper case, PowerSchool's spelling
	view     bool
	writable bool // an extension table: inserts, updates, deletes allowed
	// required lists, for a core table that takes inserts (STOREDGRADES,
	// SPENROLLMENTS), the rules an insert must meet; nil for the others.
	required []requirement
	key      string // the integer primary key column; "" if none
	cols     []column
}

type column struct {
	name    string // upper case
	typ     string // declared SQLite type
	notNull bool
}

func (t *table) lower() string { return strings.ToLower(t.name) }

func (t *table) column(name string) (column, bool) {
	for _, c := range t.cols {
		if strings.EqualFold(c.name, name) {
			return c, true
		}
	}
	return column{}, false
}

// hidden tables hold the emulator's own state or PowerSchool's plugin
// registry; neither is reachable through the table API.
func hidden(name string) bool {
	n := strings.ToUpper(name)
	return strings.HasPrefix(n, "EMU_") || strings.HasPrefix(n, "SQLITE_") || n == "PLUGINDEF"
}

// isExtension reports a table the API may write: database extension
// tables, named U_* by districts and *COREFIELDS by PowerSchool.
func isExtension(name string) bool {
	n := strings.ToUpper(name)
	return strings.HasPrefix(n, "U_") || strings.HasSuffix(n, "COREFIELDS")
}

// table looks a table up case-insensitively; nil when it does not exist or
// is hidden.
func (h *Handler) table(ctx context.Context, name string) (*table, error) {
	up := strings.ToUpper(name)
	if hidden(up) {
		return nil, nil
	}
	if v, ok := h.tables.Load(up); ok {
		return v.(*table), nil
	}
	var real, typ string
	err := h.db.QueryRowContext(ctx, `SELECT name, type FROM sqlite_master WHERE type IN ('table','view') AND upper(name) = ?`, up).Scan(&real, &typ)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up table %s: %w", up, err)
	}
	t := &table{name: strings.ToUpper(real), view: typ == "view"}
	t.writable = !t.view && isExtension(t.name)
	t.required = coreInserts[t.name]
	rows, err := h.db.QueryContext(ctx, `SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, real)
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", up, err)
	}
	defer rows.Close()
	pks := 0
	var pk string
	for rows.Next() {
		var c column
		var notNull, pkPos int
		if err := rows.Scan(&c.name, &c.typ, &notNull, &pkPos); err != nil {
			return nil, err
		}
		c.name, c.notNull = strings.ToUpper(c.name), notNull != 0
		if pkPos > 0 {
			pks++
			pk = c.name
		}
		t.cols = append(t.cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	switch {
	case pks == 1:
		t.key = pk
	case t.view:
		if _, ok := t.column("DCID"); ok {
			t.key = "DCID"
		}
	}
	h.tables.Store(up, t)
	return t, nil
}

// requirement is one rule of a core-table insert: one of the columns must
// hold a value.
type requirement []string

// coreInserts are the core tables PowerSchool's table API documents
// inserts for, with what an insert must include. STOREDGRADES: "schoolid,
// schoolyear, storecode, studentid, a course name or number, and either
// grade or percent"; SPENROLLMENTS' rules are not documented (assumed:
// student, school, programme and entry date).
var coreInserts = map[string][]requirement{
	"STOREDGRADES":  {{"SCHOOLID"}, {"SCHOOLYEAR"}, {"STORECODE"}, {"STUDENTID"}, {"COURSE_NAME", "COURSE_NUMBER"}, {"GRADE", "PERCENT"}},
	"SPENROLLMENTS": {{"STUDENTID"}, {"SCHOOLID"}, {"PROGRAMID"}, {"ENTER_DATE"}},
}
