package powerquery

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"modernc.org/sqlite"

	"github.com/pskit/pskit/emulator/internal/pluginaccess"
)

// A PowerQuery's SQL comes from a plugin, so it runs on a connection that
// can only read: PRAGMA query_only, and an SQLite authorizer that sees
// every table and column the compiled statement touches (after views and
// CTEs are resolved, which no text check can do). The authorizer lets a
// plugin's own query read only the columns its access_request grants, and
// no query at all read the emulator's own tables.

// internalTable reports the emulator's own tables and SQLite's catalogue,
// which no PowerQuery may read whatever the plugin requested.
func internalTable(name string) bool {
	n := strings.ToUpper(name)
	return strings.HasPrefix(n, "EMU_") || n == "PLUGINDEF" ||
		strings.HasPrefix(n, "SQLITE_") || strings.HasPrefix(n, "PRAGMA_")
}

// policy decides what one PowerQuery run may touch and remembers what it
// refused, so the answer can name it.
type policy struct {
	caller *pluginaccess.Caller // nil: a core query, not checked against grants
	schema *schema

	mu       sync.Mutex
	missing  []pluginaccess.Detail // columns outside the grant
	internal []string              // the emulator's own tables
	other    []string              // statements that are not reads
	viaView  []pluginaccess.Detail // base columns of a view outside the grant
}

func (p *policy) authorize(action sqlite.AuthorizerActionCode, arg1, arg2, _, via string) sqlite.AuthorizerReturnCode {
	switch action {
	case sqlite.AuthFunction:
		if !strings.EqualFold(arg2, "load_extension") { // off in the driver too
			return sqlite.AuthorizerOK
		}
	case sqlite.AuthSelect, sqlite.AuthRecursive:
		return sqlite.AuthorizerOK
	case sqlite.AuthRead:
		return p.read(arg1, arg2, via)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.other = append(p.other, actionName(action, arg1))
	return sqlite.AuthorizerDeny
}

func (p *policy) read(table, column, via string) sqlite.AuthorizerReturnCode {
	p.mu.Lock()
	defer p.mu.Unlock()
	if internalTable(table) {
		p.internal = appendOnce(p.internal, strings.ToUpper(table))
		return sqlite.AuthorizerDeny
	}
	if p.caller == nil || p.grants(table, column, via) {
		return sqlite.AuthorizerOK
	}
	if _, isView := p.schema.views[strings.ToUpper(via)]; isView {
		// Inside a view: let compiling go on to the view column the query
		// names, which is what the 403 should name. Should nothing else be
		// refused, the statement is still refused (see refusal).
		p.viaView = append(p.viaView, pluginaccess.Detail{Resource: strings.ToUpper(via), Field: "*", Code: "missing_field_access"})
		return sqlite.AuthorizerIgnore
	}
	field := strings.ToUpper(column)
	if field == "" {
		field = "*"
	}
	d := pluginaccess.Detail{Resource: strings.ToUpper(table), Field: field, Code: "missing_field_access"}
	for _, m := range p.missing {
		if m == d {
			return sqlite.AuthorizerDeny
		}
	}
	p.missing = append(p.missing, d)
	return sqlite.AuthorizerDeny
}

// grants reports whether the caller may read table.column. A read with no
// column (COUNT(*) on a table) needs some field of the table. A read made
// inside one of the store's views (TEACHERS) is allowed when the caller
// may read a view column built from it: the view's own columns are checked
// as the query names them.
func (p *policy) grants(table, column, via string) bool {
	c := p.caller
	if column == "" {
		// A CTE read whole (COUNT(*) over it) has no column; its own
		// reads were checked as it was compiled.
		return !p.schema.tables[strings.ToUpper(table)] || c.CanReadTable(table)
	}
	if c.CanRead(table, column) {
		return true
	}
	deps, ok := p.schema.views[strings.ToUpper(via)]
	if !ok {
		return false
	}
	for _, vc := range deps.exposedBy[strings.ToUpper(table)+"."+strings.ToUpper(column)] {
		if c.CanRead(via, vc) {
			return true
		}
	}
	return false
}

func appendOnce(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func actionName(a sqlite.AuthorizerActionCode, arg string) string {
	switch a {
	case sqlite.AuthInsert:
		return "INSERT INTO " + arg
	case sqlite.AuthUpdate:
		return "UPDATE " + arg
	case sqlite.AuthDelete:
		return "DELETE FROM " + arg
	case sqlite.AuthAttach:
		return "ATTACH"
	case sqlite.AuthDetach:
		return "DETACH"
	case sqlite.AuthPragma:
		return "PRAGMA " + arg
	case sqlite.AuthTransaction, sqlite.AuthSavepoint:
		return "a transaction"
	case sqlite.AuthFunction:
		return "loading an extension"
	}
	return fmt.Sprintf("a statement that changes the database (SQLite action %d)", a)
}

// refusal turns what the policy refused into the answer's error: a
// *forbiddenError for fields outside the grant, a *badRequest otherwise,
// nil when the policy refused nothing.
func (p *policy) refusal(name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case len(p.internal) > 0:
		sort.Strings(p.internal)
		return badf("query %s reads %s, the emulator's own state, not a PowerSchool table; a named query can read only PowerSchool tables", name, strings.Join(p.internal, ", "))
	case len(p.other) > 0:
		return badf("query %s does more than read: %s; a PowerQuery runs one SELECT statement, read-only", name, strings.Join(p.other, ", "))
	case len(p.missing) > 0:
		return &forbiddenError{append([]pluginaccess.Detail(nil), p.missing...)}
	case len(p.viaView) > 0:
		return &forbiddenError{p.viaView[:1]}
	}
	return nil
}

// viewDeps maps each base column a view reads to the view columns built
// from it; columns every view column reads (join keys) map to all of them.
type viewDeps struct {
	exposedBy map[string][]string // TABLE.COLUMN -> view columns
}

// schema is what the authorizer needs to know of the store: its tables
// (upper case) and views.
type schema struct {
	tables map[string]bool
	views  map[string]viewDeps
}

// loadSchema reads the store's tables and views once, and what each view
// column reads, by compiling one SELECT per view column under a recording
// authorizer.
func (h *Handler) loadSchema(ctx context.Context) (*schema, error) {
	h.schemaOnce.Do(func() {
		h.schema, h.schemaErr = h.readSchema(ctx)
	})
	return h.schema, h.schemaErr
}

func (h *Handler) readSchema(ctx context.Context) (*schema, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')`)
	if err != nil {
		return nil, err
	}
	sc := &schema{tables: map[string]bool{}, views: map[string]viewDeps{}}
	var names []string
	for rows.Next() {
		var n, typ string
		if err := rows.Scan(&n, &typ); err != nil {
			rows.Close()
			return nil, err
		}
		if typ == "table" {
			sc.tables[strings.ToUpper(n)] = true
		} else {
			names = append(names, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	conn, err := h.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	for _, v := range names {
		cols, err := tableColumns(ctx, conn, v)
		if err != nil {
			return nil, err
		}
		d := viewDeps{exposedBy: map[string][]string{}}
		for _, col := range cols {
			var reads []string
			rec := func(action sqlite.AuthorizerActionCode, t, c, _, via string) sqlite.AuthorizerReturnCode {
				if action == sqlite.AuthRead && strings.EqualFold(via, v) {
					reads = append(reads, strings.ToUpper(t)+"."+strings.ToUpper(c))
				}
				return sqlite.AuthorizerOK
			}
			err := withAuthorizer(conn, rec, func() error {
				st, err := conn.PrepareContext(ctx, fmt.Sprintf(`SELECT "%s" FROM "%s"`, col, v))
				if err == nil {
					st.Close()
				}
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("reading view %s: %w", v, err)
			}
			for _, r := range reads {
				d.exposedBy[r] = appendOnce(d.exposedBy[r], strings.ToUpper(col))
			}
		}
		sc.views[strings.ToUpper(v)] = d
	}
	return sc, nil
}

func tableColumns(ctx context.Context, conn *sql.Conn, table string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// withAuthorizer runs f with fn installed on conn, then removes it; a
// connection whose authorizer cannot be removed is discarded.
func withAuthorizer(conn *sql.Conn, fn sqlite.AuthorizerFn, f func() error) error {
	if err := setAuthorizer(conn, fn); err != nil {
		return err
	}
	ferr := f()
	if err := setAuthorizer(conn, nil); err != nil {
		discard(conn)
	}
	return ferr
}

func setAuthorizer(conn *sql.Conn, fn sqlite.AuthorizerFn) error {
	return conn.Raw(func(dc any) error {
		r, ok := dc.(sqlite.AuthorizerRegisterer)
		if !ok {
			return errors.New("the SQLite driver has no authorizer")
		}
		return r.RegisterAuthorizer(fn)
	})
}

// discard makes database/sql close conn instead of returning it to the pool.
func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
}

// readOnly is a pooled connection lent to one PowerQuery run: query_only,
// with the run's policy as its authorizer until release.
type readOnly struct {
	conn *sql.Conn
	pol  *policy
}

func (h *Handler) readOnly(ctx context.Context, c *pluginaccess.Caller, core bool) (*readOnly, error) {
	sc, err := h.loadSchema(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the store's schema: %w", err)
	}
	pol := &policy{caller: c, schema: sc}
	if core {
		pol.caller = nil
	}
	conn, err := h.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA query_only = 1`); err != nil {
		discard(conn)
		conn.Close()
		return nil, err
	}
	if err := setAuthorizer(conn, pol.authorize); err != nil {
		discard(conn)
		conn.Close()
		return nil, err
	}
	return &readOnly{conn: conn, pol: pol}, nil
}

// release returns the connection to the pool as it was, or drops it.
func (ro *readOnly) release() {
	if err := setAuthorizer(ro.conn, nil); err != nil {
		discard(ro.conn)
	} else if _, err := ro.conn.ExecContext(context.Background(), `PRAGMA query_only = 0`); err != nil {
		discard(ro.conn)
	}
	ro.conn.Close()
}

// refused is what the authorizer refused while compiling a statement that
// compiled anyway (a view's base column read as NULL), or nil.
func (ro *readOnly) refused(cl *call) error { return ro.pol.refusal(cl.q.Name) }

// explain prefers what the authorizer refused over SQLite's bare "not
// authorized".
func (ro *readOnly) explain(cl *call, err error) error {
	if r := ro.pol.refusal(cl.q.Name); r != nil {
		return r
	}
	return queryError(cl, err)
}
