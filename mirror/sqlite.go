package mirror

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

// sqliteTarget keeps a district in one SQLite file.
type sqliteTarget struct {
	path string
	db   *sql.DB

	readOnce sync.Once
	read     *sql.DB // readers of committed tables, beside the writer
	readErr  error
}

// OpenSQLite opens (creating) the SQLite file at path.
func OpenSQLite(ctx context.Context, path string) (Target, error) {
	if path == "" {
		return nil, errors.New("sqlite target: give a file, e.g. --to sqlite:district.db")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlite target: %w (check that %s can be created)", err, dir)
		}
	}
	// WAL lets readers see the last committed table while a sync writes
	// the next one; busy_timeout makes a second writer wait, not fail.
	dsn := sqliteDSN(path) + "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite target %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; temp tables live on the connection
	t := &sqliteTarget{path: path, db: db}
	if err := t.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return t, nil
}

func sqliteDSN(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?_pragma=busy_timeout(30000)"
}

func (t *sqliteTarget) String() string { return "sqlite:" + t.path }

// readDB opens, once, the connections that read committed tables while the
// writer's transaction is open (WAL lets readers and the writer overlap).
// They map the file into memory: the delete search walks key ranges of
// tables far larger than SQLite's page cache, and a mapped page costs no
// read call (five to ten times faster counts and offsets).
func (t *sqliteTarget) readDB() (*sql.DB, error) {
	t.readOnce.Do(func() {
		t.read, t.readErr = sql.Open("sqlite", sqliteDSN(t.path)+"&_pragma=query_only(1)&_pragma=mmap_size(1073741824)")
		if t.readErr != nil {
			t.readErr = fmt.Errorf("sqlite target %s: opening a reader: %w", t.path, t.readErr)
			return
		}
		t.read.SetMaxOpenConns(4)
	})
	return t.read, t.readErr
}

func (t *sqliteTarget) reader(sch Schema) tableReader { return sqliteReader{t: t, sch: sch} }

// sqliteReader reads a committed table through the reading connections.
type sqliteReader struct {
	t   *sqliteTarget
	sch Schema
}

func (r sqliteReader) table() (sqliteTable, error) {
	db, err := r.t.readDB()
	return sqliteTable{q: db, sch: r.sch}, err
}

func (r sqliteReader) Count(ctx context.Context) (int, error) {
	t, err := r.table()
	if err != nil {
		return 0, err
	}
	return t.Count(ctx)
}

func (r sqliteReader) CountRange(ctx context.Context, lo, hi int64) (int, error) {
	t, err := r.table()
	if err != nil {
		return 0, err
	}
	return t.CountRange(ctx, lo, hi)
}

func (r sqliteReader) KeyAt(ctx context.Context, lo, hi int64, offset int) (int64, error) {
	t, err := r.table()
	if err != nil {
		return 0, err
	}
	return t.KeyAt(ctx, lo, hi, offset)
}

func (r sqliteReader) Existing(ctx context.Context, keys []string) (map[string]bool, error) {
	t, err := r.table()
	if err != nil {
		return nil, err
	}
	return t.Existing(ctx, keys)
}

// sqlQueryer is a transaction or the reading connections.
type sqlQueryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// sqliteTable reads one table, in a transaction or out of one.
type sqliteTable struct {
	q   sqlQueryer
	sch Schema
}

func (t sqliteTable) Count(ctx context.Context) (int, error) {
	var n int
	err := t.q.QueryRowContext(ctx, "SELECT count(*) FROM "+qi(t.sch.Table)).Scan(&n)
	return n, err
}

func (t sqliteTable) CountRange(ctx context.Context, lo, hi int64) (int, error) {
	var n int
	err := t.q.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE %s >= ? AND %s < ?", qi(t.sch.Table), qi(t.sch.Key), qi(t.sch.Key)), lo, hi).Scan(&n)
	return n, err
}

func (t sqliteTable) KeyAt(ctx context.Context, lo, hi int64, offset int) (int64, error) {
	var k int64
	err := t.q.QueryRowContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s >= ? AND %s < ? ORDER BY %s LIMIT 1 OFFSET ?",
		qi(t.sch.Key), qi(t.sch.Table), qi(t.sch.Key), qi(t.sch.Key), qi(t.sch.Key)), lo, hi, offset).Scan(&k)
	return k, err
}

// Existing reads the table's raw JSON of the rows with the given keys.
func (t sqliteTable) Existing(ctx context.Context, keys []string) (map[string]bool, error) {
	old, err := t.raws(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(old))
	for k := range old {
		out[k] = true
	}
	return out, nil
}

// raws reads the raw JSON of the rows with the given keys, by key.
func (t sqliteTable) raws(ctx context.Context, keys []string) (map[string]string, error) {
	s := t.sch
	table := qi(s.Table)
	old := map[string]string{}
	for start := 0; start < len(keys); start += 500 {
		end := min(start+500, len(keys))
		args := make([]any, 0, end-start)
		for _, k := range keys[start:end] {
			args = append(args, k)
		}
		q := fmt.Sprintf("SELECT CAST(%s AS TEXT), %s FROM %s WHERE CAST(%s AS TEXT) IN (%s)", qi(s.Key), qi(RawColumn), table, qi(s.Key),
			strings.TrimSuffix(strings.Repeat("?,", len(args)), ","))
		if kc, _ := s.Col(s.Key); kc.Type == TypeInt {
			q = fmt.Sprintf("SELECT CAST(%s AS TEXT), %s FROM %s WHERE %s IN (%s)", qi(s.Key), qi(RawColumn), table, qi(s.Key),
				strings.TrimSuffix(strings.Repeat("?,", len(args)), ","))
			for i, a := range args {
				if v, ok := convert(TypeInt, a.(string)); ok {
					args[i] = v
				}
			}
		}
		res, err := t.q.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", s.Table, err)
		}
		for res.Next() {
			var k, raw string
			if err := res.Scan(&k, &raw); err != nil {
				res.Close()
				return nil, err
			}
			old[k] = raw
		}
		res.Close()
		if err := res.Err(); err != nil {
			return nil, err
		}
	}
	return old, nil
}

func (t *sqliteTarget) init(ctx context.Context) error {
	_, err := t.db.ExecContext(ctx, `
CREATE TABLE IF NOT EXISTS _pskit_sync_state (
  table_name TEXT PRIMARY KEY, strategy TEXT NOT NULL, cursor_column TEXT, watermark TEXT,
  remote_count INTEGER NOT NULL, schema_json TEXT NOT NULL, synced_at TEXT NOT NULL, run_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _pskit_runs (
  run_id TEXT PRIMARY KEY, district TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
  status TEXT NOT NULL, report_json TEXT);`)
	if err != nil {
		return fmt.Errorf("sqlite target %s: creating the state tables: %w (is it a SQLite file this user may write?)", t.path, err)
	}
	return nil
}

func (t *sqliteTarget) Close() error {
	if t.read != nil {
		t.read.Close()
	}
	return t.db.Close()
}

func (t *sqliteTarget) Lock(ctx context.Context, district string) (func(), error) {
	return lockFile(t.path + ".lock")
}

func (t *sqliteTarget) State(ctx context.Context, table string) (*State, error) {
	return scanState(t.db.QueryRowContext(ctx, `SELECT table_name, strategy, coalesce(cursor_column,''), coalesce(watermark,''),
  remote_count, schema_json, synced_at, run_id FROM _pskit_sync_state WHERE table_name = ?`, table))
}

func scanState(row interface{ Scan(...any) error }) (*State, error) {
	var st State
	var schema, synced string
	err := row.Scan(&st.Table, &st.Strategy, &st.Cursor, &st.Watermark, &st.RemoteCount, &schema, &synced, &st.RunID)
	if errors.Is(err, sql.ErrNoRows) || (err != nil && strings.Contains(err.Error(), "no rows")) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the sync state: %w", err)
	}
	if err := json.Unmarshal([]byte(schema), &st.Schema); err != nil {
		return nil, fmt.Errorf("reading the sync state of %s: %w (run with --full to rebuild it)", st.Table, err)
	}
	st.SyncedAt, _ = time.Parse(time.RFC3339Nano, synced)
	return &st, nil
}

func (t *sqliteTarget) StartRun(ctx context.Context, r *Report) error {
	_, err := t.db.ExecContext(ctx, `INSERT INTO _pskit_runs (run_id, district, started_at, status) VALUES (?, ?, ?, 'running')`,
		r.RunID, r.District, r.Started.UTC().Format(time.RFC3339Nano))
	return err
}

func (t *sqliteTarget) FinishRun(ctx context.Context, r *Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = t.db.ExecContext(ctx, `UPDATE _pskit_runs SET finished_at = ?, status = ?, report_json = ? WHERE run_id = ?`,
		r.Finished.UTC().Format(time.RFC3339Nano), r.Status, string(b), r.RunID)
	return err
}

func sqliteType(typ string) string {
	switch typ {
	case TypeInt:
		return "INTEGER"
	case TypeFloat:
		return "REAL"
	}
	return "TEXT"
}

func qi(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func (t *sqliteTarget) Begin(ctx context.Context, s Schema) (TableTx, error) {
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite target %s: starting the transaction for %s: %w", t.path, s.Table, err)
	}
	x := &sqliteTx{t: t, tx: tx}
	old, err := x.existing(ctx, s.Table)
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	if old == nil {
		var defs []string
		for _, c := range s.Columns {
			d := qi(c.Name) + " " + sqliteType(c.Type)
			if c.Name == s.Key {
				d += " PRIMARY KEY"
			}
			defs = append(defs, d)
		}
		defs = append(defs, qi(RawColumn)+" TEXT NOT NULL")
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", qi(s.Table), strings.Join(defs, ", "))); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("creating %s: %w", s.Table, err)
		}
		x.schema, x.created = s, true
	} else {
		x.schema = *old
		if err := x.Grow(ctx, s); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS _pskit_seen (k TEXT PRIMARY KEY); DELETE FROM _pskit_seen`); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("preparing %s: %w", s.Table, err)
	}
	return x, nil
}

type sqliteTx struct {
	t       *sqliteTarget
	tx      *sql.Tx
	schema  Schema
	created bool // the table is new in this transaction: every row is an insert
}

// existing reads the table's schema: column types from the saved state
// (SQLite keeps a declared type it cannot change), columns from the table.
func (x *sqliteTx) existing(ctx context.Context, table string) (*Schema, error) {
	rows, err := x.tx.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", table, err)
	}
	defer rows.Close()
	s := &Schema{Table: table}
	for rows.Next() {
		var name, typ string
		var pk int
		if err := rows.Scan(&name, &typ, &pk); err != nil {
			return nil, err
		}
		if name == RawColumn {
			continue
		}
		c := Column{Name: name, Type: TypeText}
		switch strings.ToUpper(typ) {
		case "INTEGER":
			c.Type = TypeInt
		case "REAL":
			c.Type = TypeFloat
		}
		if pk > 0 {
			s.Key = name
		}
		s.Columns = append(s.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(s.Columns) == 0 {
		return nil, nil
	}
	// Widened columns are recorded in the state, not in the declared type.
	st, err := scanState(x.tx.QueryRowContext(ctx, `SELECT table_name, strategy, coalesce(cursor_column,''), coalesce(watermark,''),
  remote_count, schema_json, synced_at, run_id FROM _pskit_sync_state WHERE table_name = ?`, table))
	if err != nil {
		return nil, err
	}
	if st != nil {
		for i, c := range s.Columns {
			if sc, ok := st.Schema.Col(c.Name); ok && sc.Type == TypeText {
				s.Columns[i].Type = TypeText
			}
		}
	}
	return s, nil
}

func (x *sqliteTx) Schema() Schema { return x.schema }

func (x *sqliteTx) Grow(ctx context.Context, s Schema) error {
	merged, added, _ := merge(x.schema, s)
	for _, c := range added {
		if _, err := x.tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", qi(x.schema.Table), qi(c.Name), sqliteType(c.Type))); err != nil {
			return fmt.Errorf("adding column %s to %s: %w", c.Name, x.schema.Table, err)
		}
	}
	// SQLite stores any value in any column: widening only stops the
	// conversion, which the schema (saved with the state) remembers.
	x.schema = merged
	return nil
}

func (x *sqliteTx) widen(cols []Column) {
	for _, c := range cols {
		for i := range x.schema.Columns {
			if x.schema.Columns[i].Name == c.Name {
				x.schema.Columns[i].Type = TypeText
			}
		}
	}
}

func (x *sqliteTx) Upsert(ctx context.Context, rows []Row) (int, int, error) {
	if len(rows) == 0 {
		return 0, 0, nil
	}
	x.widen(conflicts(x.schema, rows))
	s := x.schema
	table := qi(s.Table)
	old := map[string]string{}
	if s.Key != "" && !x.created {
		keys := make([]string, len(rows))
		for i, r := range rows {
			keys[i] = r.Key
		}
		var err error
		if old, err = (sqliteTable{q: x.tx, sch: s}).raws(ctx, keys); err != nil {
			return 0, 0, err
		}
	}
	names := make([]string, 0, len(s.Columns)+1)
	sets := make([]string, 0, len(s.Columns)+1)
	for _, c := range s.Columns {
		names = append(names, qi(c.Name))
		if c.Name != s.Key {
			sets = append(sets, qi(c.Name)+" = excluded."+qi(c.Name))
		}
	}
	names = append(names, qi(RawColumn))
	sets = append(sets, qi(RawColumn)+" = excluded."+qi(RawColumn))
	// Keys are unique within a batch (the engine de-duplicates), and a new
	// table has no earlier rows, so every row is an insert.
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(names, ", "), strings.TrimSuffix(strings.Repeat("?,", len(names)), ","))
	if s.Key != "" {
		q += fmt.Sprintf(" ON CONFLICT (%s) DO UPDATE SET %s", qi(s.Key), strings.Join(sets, ", "))
	}
	stmt, err := x.tx.PrepareContext(ctx, q)
	if err != nil {
		return 0, 0, fmt.Errorf("writing %s: %w", s.Table, err)
	}
	defer stmt.Close()
	ins, upd := 0, 0
	args := make([]any, len(names))
	for _, r := range rows {
		prev, had := old[r.Key]
		if had && prev == string(r.Raw) {
			continue
		}
		if err := rowArgs(s, r, args); err != nil {
			return 0, 0, err
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return 0, 0, fmt.Errorf("writing %s row %s: %w", s.Table, r.Key, err)
		}
		if had {
			upd++
		} else {
			ins++
		}
	}
	return ins, upd, nil
}

// rowArgs fills args with r's values in s's column order, then the raw JSON.
func rowArgs(s Schema, r Row, args []any) error {
	for i, c := range s.Columns {
		v, ok := r.Values[c.Name]
		if !ok || v == "" {
			args[i] = nil
			continue
		}
		cv, fits := convert(c.Type, v)
		if !fits {
			return fmt.Errorf("%s row %s: %s %q is not a %s value", s.Table, r.Key, c.Name, v, c.Type)
		}
		args[i] = cv
	}
	args[len(s.Columns)] = string(r.Raw)
	return nil
}

func (x *sqliteTx) Seen(ctx context.Context, keys []string) error {
	stmt, err := x.tx.PrepareContext(ctx, `INSERT OR IGNORE INTO _pskit_seen (k) VALUES (?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, k := range keys {
		if _, err := stmt.ExecContext(ctx, k); err != nil {
			return fmt.Errorf("recording keys of %s: %w", x.schema.Table, err)
		}
	}
	return nil
}

func (x *sqliteTx) DeleteUnseen(ctx context.Context) (int, error) {
	res, err := x.tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE CAST(%s AS TEXT) NOT IN (SELECT k FROM _pskit_seen)", qi(x.schema.Table), qi(x.schema.Key)))
	if err != nil {
		return 0, fmt.Errorf("deleting the rows gone from %s: %w", x.schema.Table, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (x *sqliteTx) CountRange(ctx context.Context, lo, hi int64) (int, error) {
	return sqliteTable{q: x.tx, sch: x.schema}.CountRange(ctx, lo, hi)
}

func (x *sqliteTx) KeyAt(ctx context.Context, lo, hi int64, offset int) (int64, error) {
	return sqliteTable{q: x.tx, sch: x.schema}.KeyAt(ctx, lo, hi, offset)
}

func (x *sqliteTx) DeleteUnseenRange(ctx context.Context, lo, hi int64) (int, error) {
	res, err := x.tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s >= ? AND %s < ? AND CAST(%s AS TEXT) NOT IN (SELECT k FROM _pskit_seen)",
		qi(x.schema.Table), qi(x.schema.Key), qi(x.schema.Key), qi(x.schema.Key)), lo, hi)
	if err != nil {
		return 0, fmt.Errorf("deleting the rows gone from %s: %w", x.schema.Table, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (x *sqliteTx) DeleteAll(ctx context.Context) (int, error) {
	res, err := x.tx.ExecContext(ctx, "DELETE FROM "+qi(x.schema.Table))
	if err != nil {
		return 0, fmt.Errorf("emptying %s: %w", x.schema.Table, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (x *sqliteTx) Count(ctx context.Context) (int, error) {
	return sqliteTable{q: x.tx, sch: x.schema}.Count(ctx)
}

func (x *sqliteTx) Commit(ctx context.Context, st *State) error {
	st.Schema = x.schema
	schema, err := encodeState(st)
	if err != nil {
		return err
	}
	if _, err := x.tx.ExecContext(ctx, `INSERT INTO _pskit_sync_state (table_name, strategy, cursor_column, watermark, remote_count, schema_json, synced_at, run_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (table_name) DO UPDATE SET strategy = excluded.strategy, cursor_column = excluded.cursor_column,
  watermark = excluded.watermark, remote_count = excluded.remote_count, schema_json = excluded.schema_json,
  synced_at = excluded.synced_at, run_id = excluded.run_id`,
		st.Table, st.Strategy, st.Cursor, st.Watermark, st.RemoteCount, schema, st.SyncedAt.UTC().Format(time.RFC3339Nano), st.RunID); err != nil {
		x.tx.Rollback()
		return fmt.Errorf("saving the state of %s: %w", st.Table, err)
	}
	if err := x.tx.Commit(); err != nil {
		return fmt.Errorf("committing %s: %w", st.Table, err)
	}
	return nil
}

func (x *sqliteTx) Rollback() { x.tx.Rollback() }
