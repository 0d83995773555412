// Package pluginaccess carries what the schema APIs (PowerQueries, the
// table API, bulk student writes) need to know about the plugin making a
// request, checks its access_request fields, and writes their JSON errors.
package pluginaccess

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/pskit/pskit/emulator/internal/respond"
	"github.com/pskit/pskit/plugin"
)

// Caller is the plugin behind a request, as the emulator's bearer-token
// middleware found it.
type Caller struct {
	PluginID      int64
	Fields        []plugin.Field      // <access_request> fields
	Queries       []plugin.NamedQuery // the plugin's named queries
	MaxPageSize   int                 // table API default and cap; 0 means 100
	AccessLevelV1 string              // accessLevelV1Api: "NONE", "READ" or "FULL"
}

// Lookup finds the caller of an authenticated request. The schema handlers
// answer 401 when it returns an error or nil, so a mux without the
// emulator's auth in front never serves data.
type Lookup func(r *http.Request) (*Caller, error)

// Route is a handler that needs the calling plugin.
type Route func(w http.ResponseWriter, r *http.Request, c *Caller)

// Require adapts next to net/http: a request whose caller l cannot find
// (or a nil l) gets 401 in the /ws/schema dialect.
func (l Lookup) Require(next Route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var c *Caller
		var err error
		if l != nil {
			c, err = l(r)
		}
		if err != nil || c == nil {
			Unauthorized(w)
			return
		}
		next(w, r, c)
	}
}

// Handle registers h on mux under pattern, wrapped by wrap when not nil.
func Handle(mux *http.ServeMux, wrap func(http.HandlerFunc) http.HandlerFunc, pattern string, h http.HandlerFunc) {
	if wrap != nil {
		h = wrap(h)
	}
	mux.HandleFunc(pattern, h)
}

// Access returns the plugin's access to table.field: plugin.FullAccess,
// plugin.ViewOnly or "" (none). Names match case-insensitively.
func (c *Caller) Access(table, field string) string {
	best := ""
	for _, f := range c.Fields {
		if !strings.EqualFold(f.Table, table) || !strings.EqualFold(f.Field, field) {
			continue
		}
		if strings.EqualFold(f.Access, plugin.FullAccess) {
			return plugin.FullAccess
		}
		best = plugin.ViewOnly
	}
	return best
}

// CanRead reports ViewOnly or FullAccess to table.field.
func (c *Caller) CanRead(table, field string) bool { return c.Access(table, field) != "" }

// CanReadTable reports access to some field of table.
func (c *Caller) CanReadTable(table string) bool {
	for _, f := range c.Fields {
		if strings.EqualFold(f.Table, table) {
			return true
		}
	}
	return false
}

// CanWrite reports FullAccess to table.field.
func (c *Caller) CanWrite(table, field string) bool {
	return c.Access(table, field) == plugin.FullAccess
}

// PageSize is the table API's default and maximum page size.
func (c *Caller) PageSize() int {
	if c.MaxPageSize > 0 {
		return c.MaxPageSize
	}
	return 100
}

// Loader builds Callers from the store's PLUGINDEF rows, parsing each
// plugin archive once per install.
type Loader struct {
	DB    *sql.DB
	mu    sync.Mutex
	cache map[int64]loaded
}

type loaded struct {
	installed string
	size      int64
	caller    Caller
}

// Caller returns the caller for an installed plugin. The result is a copy
// the request may change (e.g. to set MaxPageSize).
func (l *Loader) Caller(ctx context.Context, pluginID int64) (*Caller, error) {
	var installed, level string
	var size int64
	err := l.DB.QueryRowContext(ctx, `SELECT INSTALLED, ACCESS_LEVEL_V1, length(ARCHIVE) FROM PLUGINDEF WHERE ID = ?`, pluginID).
		Scan(&installed, &level, &size)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("plugin %d is not installed", pluginID)
	}
	if err != nil {
		return nil, fmt.Errorf("reading plugin %d: %w", pluginID, err)
	}
	l.mu.Lock()
	e, ok := l.cache[pluginID]
	l.mu.Unlock()
	if !ok || e.installed != installed || e.size != size {
		var archive []byte
		if err := l.DB.QueryRowContext(ctx, `SELECT ARCHIVE FROM PLUGINDEF WHERE ID = ?`, pluginID).Scan(&archive); err != nil {
			return nil, fmt.Errorf("reading plugin %d: %w", pluginID, err)
		}
		b, err := plugin.Load(archive)
		if err != nil {
			return nil, fmt.Errorf("plugin %d no longer loads: %w", pluginID, err)
		}
		e = loaded{installed: installed, size: size, caller: *FromBundle(pluginID, b)}
		l.mu.Lock()
		if l.cache == nil {
			l.cache = map[int64]loaded{}
		}
		l.cache[pluginID] = e
		l.mu.Unlock()
	}
	c := e.caller
	c.AccessLevelV1 = level
	return &c, nil
}

// FromBundle makes the caller for a loaded plugin.
func FromBundle(pluginID int64, b *plugin.Bundle) *Caller {
	c := &Caller{PluginID: pluginID, Queries: b.Queries}
	if b.Plugin != nil {
		if b.Plugin.AccessRequest != nil {
			c.Fields = b.Plugin.AccessRequest.Fields
		}
		if b.Plugin.OAuth != nil {
			c.AccessLevelV1 = strings.ToUpper(b.Plugin.OAuth.AccessLevelV1API)
		}
	}
	return c
}

// Detail is one entry of an error body's "errors" list. For access errors
// Resource is the table and Field the column, in PowerSchool's upper case,
// so `psctl plugin access --from-error` can turn them into access_request.
type Detail struct {
	Resource string `json:"resource,omitempty"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code,omitempty"`
}

// WriteError writes {"message": ..., "errors": [...]}, the error shape
// clients of PowerSchool's schema APIs parse.
func WriteError(w http.ResponseWriter, status int, message string, details ...Detail) {
	respond.Schema.Error(w, Errorf(status, message, details...))
}

// Errorf is a /ws/schema error with its details, for handlers that return
// their errors.
func Errorf(status int, message string, details ...Detail) *respond.Error {
	return &respond.Error{Status: status, Message: message, Details: details}
}

// Forbidden writes a 403 naming every field the plugin lacks, with the
// access it needs, in words and as errors[].
func Forbidden(w http.ResponseWriter, access string, missing []Detail) {
	respond.Schema.Error(w, ForbiddenError(access, missing))
}

// ForbiddenError is the 403 Forbidden writes, for handlers that return
// their errors.
func ForbiddenError(access string, missing []Detail) *respond.Error {
	names := make([]string, len(missing))
	for i, m := range missing {
		names[i] = m.Resource + "." + m.Field
	}
	verb := "read"
	if access == plugin.FullAccess {
		verb = "write (FullAccess)"
	}
	return Errorf(http.StatusForbidden, fmt.Sprintf("Insufficient permission: the plugin's access_request does not allow it to %s the field(s) %s; add them to plugin.xml with access=%q and reinstall the plugin",
		verb, strings.Join(names, ", "), access), missing...)
}

// Unauthorized answers a request that reached a schema handler without a
// caller.
func Unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="PowerSchool"`)
	WriteError(w, http.StatusUnauthorized, "Unauthorized: send a valid access token from /oauth/access_token as 'Authorization: Bearer <token>'")
}

// Query parses the request's query string like r.URL.Query, but keeps
// semicolons inside values: PowerSchool's order=a.b;desc is sent
// unencoded by clients, and net/url drops such pairs.
func Query(r *http.Request) url.Values {
	v := url.Values{}
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(val); err == nil {
			val = uv
		}
		v.Add(k, val)
	}
	return v
}
