// Package powerquery serves PowerSchool's PowerQuery API on the emulator's
// store: POST /ws/schema/query/{name} (and /count) runs a built-in or the
// calling plugin's named query, translated from Oracle SQL to SQLite, with
// $q filters, order, projection, paging and streaming; GET
// /ws/schema/query/api lists the queries.
package powerquery

import (
	"database/sql"
	"net/http"
	"sync"

	"github.com/pskit/pskit/emulator/internal/pluginaccess"
	"github.com/pskit/pskit/emulator/internal/powerquery/oraclesql"
	"github.com/pskit/pskit/plugin"
)

// DefaultPageSize is PowerQuery's page size when pagesize is absent
// (reference §4.1).
const DefaultPageSize = 100

// Handler serves /ws/schema/query/.
type Handler struct {
	db     *sql.DB
	lookup pluginaccess.Lookup

	translated sync.Map // SQL text -> *oraclesql.Statement or error
	columns    columnTypes
	extensions sync.Map // core table -> []string extension tables

	schemaOnce sync.Once
	schema     *schema // the store's tables and views, for the authorizer
	schemaErr  error
}

// New returns the PowerQuery handler over the store's database. lookup
// identifies the calling plugin; a request without one gets 401.
func New(db *sql.DB, lookup pluginaccess.Lookup) *Handler {
	h := &Handler{db: db, lookup: lookup}
	h.columns.db = db
	return h
}

// Mount registers the PowerQuery routes on mux, each wrapped by wrap (nil
// for none). These are the only declarations of the routes.
func (h *Handler) Mount(mux *http.ServeMux, wrap func(http.HandlerFunc) http.HandlerFunc) {
	pluginaccess.Handle(mux, wrap, "GET /ws/schema/query/api", h.lookup.Require(h.serveList))
	pluginaccess.Handle(mux, wrap, "POST /ws/schema/query/{name}", h.lookup.Require(h.serveQuery))
	pluginaccess.Handle(mux, wrap, "POST /ws/schema/query/{name}/count", h.lookup.Require(h.serveCount))
}

// find returns the named query visible to the caller: the built-ins, then
// the plugin's own. Names match exactly, as PowerSchool's do.
func find(name string, c *pluginaccess.Caller) (plugin.NamedQuery, bool) {
	for _, q := range Builtin {
		if q.Name == name {
			return q, true
		}
	}
	for _, q := range c.Queries {
		if q.Name == name {
			return q, true
		}
	}
	return plugin.NamedQuery{}, false
}

// queries lists every query visible to the caller, built-ins first.
func queries(c *pluginaccess.Caller) []plugin.NamedQuery {
	out := append([]plugin.NamedQuery(nil), Builtin...)
	seen := map[string]bool{}
	for _, q := range Builtin {
		seen[q.Name] = true
	}
	for _, q := range c.Queries {
		if !seen[q.Name] {
			seen[q.Name] = true
			out = append(out, q)
		}
	}
	return out
}

func (h *Handler) translate(sqlText string) (*oraclesql.Statement, error) {
	if v, ok := h.translated.Load(sqlText); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*oraclesql.Statement), nil
	}
	st, err := oraclesql.Translate(sqlText)
	if err != nil {
		h.translated.Store(sqlText, err)
		return nil, err
	}
	h.translated.Store(sqlText, st)
	return st, nil
}
