package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgTarget keeps a district in one PostgreSQL schema. Rows reach each table
// by COPY into a temporary table, then one INSERT .. ON CONFLICT in the
// same transaction; a session advisory lock keeps a second run out.
type pgTarget struct {
	conn   *pgx.Conn
	cfg    *pgx.ConnConfig
	schema string
	where  string // the address without secrets

	readMu sync.Mutex
	read   *pgxpool.Pool // reads committed tables beside the writer's transaction
}

// OpenPostgres connects to addr (postgres://user@host/db?schema=NAME); the
// schema is created if absent (default public).
func OpenPostgres(ctx context.Context, addr string) (Target, error) {
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("postgres target %s: not a URL: give postgres://USER@HOST:PORT/DB?schema=NAME", redactAddr(addr))
	}
	q := u.Query()
	schema := q.Get("schema")
	q.Del("schema")
	u.RawQuery = q.Encode()
	if schema == "" {
		schema = "public"
	}
	if !identRE.MatchString(schema) {
		return nil, fmt.Errorf("postgres target: schema %q must be letters, digits and _ (e.g. district_42)", schema)
	}
	where := u.Redacted()
	if schema != "public" {
		where += " schema " + schema
	}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("postgres target %s: %w", where, err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres target %s: cannot connect: %w (check the host, port, user and database)", where, err)
	}
	t := &pgTarget{conn: conn, cfg: cfg, schema: schema, where: where}
	if err := t.init(ctx); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	return t, nil
}

func (t *pgTarget) String() string { return t.where }

func (t *pgTarget) init(ctx context.Context) error {
	s := qi(t.schema)
	_, err := t.conn.Exec(ctx, fmt.Sprintf(`CREATE SCHEMA IF NOT EXISTS %s;
SET search_path TO %s;
CREATE TABLE IF NOT EXISTS _pskit_sync_state (
  table_name text PRIMARY KEY, strategy text NOT NULL, cursor_column text, watermark text,
  remote_count bigint NOT NULL, schema_json jsonb NOT NULL, synced_at timestamptz NOT NULL, run_id text NOT NULL);
CREATE TABLE IF NOT EXISTS _pskit_runs (
  run_id text PRIMARY KEY, district text NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz,
  status text NOT NULL, report_json jsonb);`, s, s))
	if err != nil {
		return fmt.Errorf("postgres target %s: creating the schema and state tables: %w (the user needs CREATE on the database)", t.where, err)
	}
	return nil
}

// DropSchema removes the target's schema and everything in it (benchmarks
// and tests clean up with it).
func (t *pgTarget) DropSchema(ctx context.Context) error {
	_, err := t.conn.Exec(ctx, "DROP SCHEMA "+qi(t.schema)+" CASCADE")
	return err
}

func (t *pgTarget) Close() error {
	if t.read != nil {
		t.read.Close()
	}
	return t.conn.Close(context.Background())
}

func (t *pgTarget) reader(sch Schema) tableReader { return pgReader{t: t, sch: sch} }

// pgReader reads a committed table on connections of its own (a
// connection runs one statement at a time, and the first is the
// writer's).
type pgReader struct {
	t   *pgTarget
	sch Schema
}

// with runs f on the reading connections, opened on first use.
func (r pgReader) with(ctx context.Context, f func(pgTable) error) error {
	t := r.t
	t.readMu.Lock()
	if t.read == nil {
		cfg, err := pgxpool.ParseConfig("")
		if err != nil {
			t.readMu.Unlock()
			return fmt.Errorf("postgres target %s: %w", t.where, err)
		}
		cfg.ConnConfig = t.cfg.Copy()
		cfg.MaxConns = 4
		search := "SET search_path TO " + qi(t.schema)
		cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error { _, err := c.Exec(ctx, search); return err }
		if t.read, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
			t.readMu.Unlock()
			return fmt.Errorf("postgres target %s: opening connections to read: %w", t.where, err)
		}
	}
	pool := t.read
	t.readMu.Unlock()
	return f(pgTable{q: pool, sch: r.sch})
}

func (r pgReader) Count(ctx context.Context) (n int, err error) {
	err = r.with(ctx, func(t pgTable) error { n, err = t.Count(ctx); return err })
	return n, err
}

func (r pgReader) CountRange(ctx context.Context, lo, hi int64) (n int, err error) {
	err = r.with(ctx, func(t pgTable) error { n, err = t.CountRange(ctx, lo, hi); return err })
	return n, err
}

func (r pgReader) KeyAt(ctx context.Context, lo, hi int64, offset int) (k int64, err error) {
	err = r.with(ctx, func(t pgTable) error { k, err = t.KeyAt(ctx, lo, hi, offset); return err })
	return k, err
}

func (r pgReader) KeysAt(ctx context.Context, lo, hi int64, offsets []int) (keys []int64, err error) {
	err = r.with(ctx, func(t pgTable) error { keys, err = t.KeysAt(ctx, lo, hi, offsets); return err })
	return keys, err
}

func (r pgReader) Existing(ctx context.Context, keys []string) (m map[string]bool, err error) {
	err = r.with(ctx, func(t pgTable) error { m, err = t.Existing(ctx, keys); return err })
	return m, err
}

// pgQueryer is a transaction or a connection.
type pgQueryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// pgTable reads one table, in a transaction or out of one.
type pgTable struct {
	q   pgQueryer
	sch Schema
}

func (t pgTable) Count(ctx context.Context) (int, error) {
	var n int
	err := t.q.QueryRow(ctx, "SELECT count(*) FROM "+qi(t.sch.Table)).Scan(&n)
	return n, err
}

func (t pgTable) CountRange(ctx context.Context, lo, hi int64) (int, error) {
	var n int
	err := t.q.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE %s >= $1 AND %s < $2", qi(t.sch.Table), qi(t.sch.Key), qi(t.sch.Key)), lo, hi).Scan(&n)
	return n, err
}

func (t pgTable) KeyAt(ctx context.Context, lo, hi int64, offset int) (int64, error) {
	var k int64
	err := t.q.QueryRow(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s >= $1 AND %s < $2 ORDER BY %s LIMIT 1 OFFSET $3",
		qi(t.sch.Key), qi(t.sch.Table), qi(t.sch.Key), qi(t.sch.Key), qi(t.sch.Key)), lo, hi, offset).Scan(&k)
	return k, err
}

// KeysAt is the keys at offsets (ascending, from 0, in key order) in [lo,
// hi), in one pass over the range: PostgreSQL pays for an offset by
// walking to it (visiting the heap on a freshly written table), so k-1
// lookups would walk the range k/2 times.
func (t pgTable) KeysAt(ctx context.Context, lo, hi int64, offsets []int) ([]int64, error) {
	key := qi(t.sch.Key)
	rows, err := t.q.Query(ctx, fmt.Sprintf(`SELECT k FROM (SELECT %s AS k, row_number() OVER (ORDER BY %s) - 1 AS n
  FROM %s WHERE %s >= $1 AND %s < $2) s WHERE n = ANY($3) ORDER BY k`, key, key, qi(t.sch.Table), key, key), lo, hi, offsets)
	if err != nil {
		return nil, err
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err == nil && len(keys) != len(offsets) {
		err = fmt.Errorf("%d of %d offsets found in %s", len(keys), len(offsets), t.sch.Table)
	}
	return keys, err
}

func (t pgTable) Existing(ctx context.Context, keys []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(keys) == 0 {
		return out, nil
	}
	q := fmt.Sprintf("SELECT %s::text FROM %s WHERE %s::text = ANY($1::text[])", qi(t.sch.Key), qi(t.sch.Table), qi(t.sch.Key))
	var arg any = keys
	if kc, _ := t.sch.Col(t.sch.Key); kc.Type == TypeInt {
		// An integer key is compared as one, so its index serves the lookup.
		ints := make([]int64, 0, len(keys))
		for _, k := range keys {
			if v, ok := convert(TypeInt, k); ok {
				ints = append(ints, v.(int64))
			}
		}
		q, arg = fmt.Sprintf("SELECT %s::text FROM %s WHERE %s = ANY($1::bigint[])", qi(t.sch.Key), qi(t.sch.Table), qi(t.sch.Key)), ints
	}
	rows, err := t.q.Query(ctx, q, arg)
	if err != nil {
		return nil, fmt.Errorf("reading the keys of %s: %w", t.sch.Table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

// Lock takes a session advisory lock keyed on the district and schema.
func (t *pgTarget) Lock(ctx context.Context, district string) (func(), error) {
	if t.conn.IsClosed() {
		// A cancelled run's query closes its connection (and its lock
		// with it); the next run on this target connects again.
		conn, err := pgx.ConnectConfig(ctx, t.cfg)
		if err != nil {
			return nil, fmt.Errorf("postgres target %s: cannot connect again: %w (check the host, port, user and database)", t.where, err)
		}
		t.conn = conn
		if err := t.init(ctx); err != nil {
			return nil, err
		}
	}
	h := fnv.New64a()
	h.Write([]byte("pskit sync\x00" + t.schema + "\x00" + district))
	key := int64(h.Sum64())
	var ok bool
	if err := t.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		return nil, fmt.Errorf("postgres target %s: taking the advisory lock: %w", t.where, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s holds its advisory lock for %s; wait for that run to finish (the lock goes when its connection closes)", ErrLocked, t.where, district)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		t.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key)
	}, nil
}

func (t *pgTarget) State(ctx context.Context, table string) (*State, error) {
	return pgState(ctx, t.conn, table)
}

func pgState(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, table string) (*State, error) {
	var st State
	var schema []byte
	err := q.QueryRow(ctx, `SELECT table_name, strategy, coalesce(cursor_column,''), coalesce(watermark,''), remote_count, schema_json, synced_at, run_id
FROM _pskit_sync_state WHERE table_name = $1`, table).Scan(&st.Table, &st.Strategy, &st.Cursor, &st.Watermark, &st.RemoteCount, &schema, &st.SyncedAt, &st.RunID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the sync state of %s: %w", table, err)
	}
	if err := json.Unmarshal(schema, &st.Schema); err != nil {
		return nil, fmt.Errorf("reading the sync state of %s: %w (run with --full to rebuild it)", table, err)
	}
	return &st, nil
}

func (t *pgTarget) StartRun(ctx context.Context, r *Report) error {
	_, err := t.conn.Exec(ctx, `INSERT INTO _pskit_runs (run_id, district, started_at, status) VALUES ($1, $2, $3, 'running')`, r.RunID, r.District, r.Started)
	return err
}

func (t *pgTarget) FinishRun(ctx context.Context, r *Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = t.conn.Exec(ctx, `UPDATE _pskit_runs SET finished_at = $1, status = $2, report_json = $3 WHERE run_id = $4`, r.Finished, r.Status, string(b), r.RunID)
	return err
}

func pgType(typ string) string {
	switch typ {
	case TypeInt:
		return "bigint"
	case TypeFloat:
		return "double precision"
	}
	return "text"
}

func (t *pgTarget) Begin(ctx context.Context, s Schema) (TableTx, error) {
	tx, err := t.conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres target %s: starting the transaction for %s: %w", t.where, s.Table, err)
	}
	x := &pgTx{t: t, tx: tx}
	fail := func(err error) (TableTx, error) { tx.Rollback(ctx); return nil, err }
	old, err := x.existing(ctx, s.Table)
	if err != nil {
		return fail(err)
	}
	if old == nil {
		var defs []string
		for _, c := range s.Columns {
			d := qi(c.Name) + " " + pgType(c.Type)
			if c.Name == s.Key {
				d += " PRIMARY KEY"
			}
			defs = append(defs, d)
		}
		// json, not jsonb: the record is kept as sent (jsonb reorders keys
		// and drops duplicates), and the server only checks it, where
		// jsonb's parse was the largest part of a first load's COPY.
		defs = append(defs, qi(RawColumn)+" json NOT NULL")
		if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", qi(s.Table), strings.Join(defs, ", "))); err != nil {
			return fail(fmt.Errorf("creating %s: %w", s.Table, err))
		}
		x.schema, x.direct = s, true
	} else {
		x.schema = *old
		if err := x.Grow(ctx, s); err != nil {
			return fail(err)
		}
		var empty bool
		if err := tx.QueryRow(ctx, fmt.Sprintf("SELECT NOT EXISTS (SELECT 1 FROM %s)", qi(s.Table))).Scan(&empty); err != nil {
			return fail(fmt.Errorf("reading %s: %w", s.Table, err))
		}
		x.direct = empty
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS _pskit_seen (k text PRIMARY KEY) ON COMMIT DELETE ROWS`); err != nil {
		return fail(fmt.Errorf("preparing %s: %w", s.Table, err))
	}
	return x, nil
}

type pgTx struct {
	t      *pgTarget
	tx     pgx.Tx
	schema Schema
	staged bool // the stage table matches schema
	// direct: the table was empty when the transaction began, so rows are
	// copied straight into it (no stage, no upsert) until a key comes
	// twice.
	direct bool
	// rawJSONB: the table's _raw is jsonb (tables created before it
	// became json), whose equality the upsert's compare uses.
	rawJSONB bool
	buf      []byte // the batch being copied, in COPY's text format
}

func (x *pgTx) existing(ctx context.Context, table string) (*Schema, error) {
	rows, err := x.tx.Query(ctx, `SELECT c.column_name, c.data_type,
  EXISTS (SELECT 1 FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage k
          ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
          WHERE tc.table_schema = c.table_schema AND tc.table_name = c.table_name
            AND tc.constraint_type = 'PRIMARY KEY' AND k.column_name = c.column_name)
FROM information_schema.columns c WHERE c.table_schema = $1 AND c.table_name = $2 ORDER BY c.ordinal_position`, x.t.schema, table)
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", table, err)
	}
	defer rows.Close()
	s := &Schema{Table: table}
	for rows.Next() {
		var name, typ string
		var pk bool
		if err := rows.Scan(&name, &typ, &pk); err != nil {
			return nil, err
		}
		if name == RawColumn {
			x.rawJSONB = typ == "jsonb"
			continue
		}
		c := Column{Name: name, Type: TypeText}
		switch typ {
		case "bigint":
			c.Type = TypeInt
		case "double precision":
			c.Type = TypeFloat
		}
		if pk {
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
	return s, nil
}

func (x *pgTx) Schema() Schema { return x.schema }

func (x *pgTx) Grow(ctx context.Context, s Schema) error {
	merged, added, widened := merge(x.schema, s)
	for _, c := range added {
		if _, err := x.tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", qi(x.schema.Table), qi(c.Name), pgType(c.Type))); err != nil {
			return fmt.Errorf("adding column %s to %s: %w", c.Name, x.schema.Table, err)
		}
	}
	if err := x.widen(ctx, widened); err != nil {
		return err
	}
	x.schema = merged
	x.staged = false
	return nil
}

func (x *pgTx) widen(ctx context.Context, cols []Column) error {
	for _, c := range cols {
		if _, err := x.tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE text USING %s::text", qi(x.schema.Table), qi(c.Name), qi(c.Name))); err != nil {
			return fmt.Errorf("widening column %s of %s to text: %w", c.Name, x.schema.Table, err)
		}
		for i := range x.schema.Columns {
			if x.schema.Columns[i].Name == c.Name {
				x.schema.Columns[i].Type = TypeText
			}
		}
		x.staged = false
	}
	return nil
}

func (x *pgTx) Upsert(ctx context.Context, rows []Row) (int, int, error) {
	if len(rows) == 0 {
		return 0, 0, nil
	}
	if err := x.encode(ctx, rows); err != nil {
		return 0, 0, err
	}
	s := x.schema
	if x.direct {
		n, err := x.copyDirect(ctx)
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
			return n, 0, nil
		case errors.As(err, &pgErr) && pgErr.Code == "23505": // unique_violation
			x.direct = false // a key came twice: upsert from here on
		default:
			return 0, 0, err
		}
	}
	if !x.staged {
		if _, err := x.tx.Exec(ctx, fmt.Sprintf(`DROP TABLE IF EXISTS pg_temp._pskit_stage;
CREATE TEMP TABLE _pskit_stage (LIKE %s) ON COMMIT DROP`, qi(s.Table))); err != nil {
			return 0, 0, fmt.Errorf("staging %s: %w", s.Table, err)
		}
		x.staged = true
	} else if _, err := x.tx.Exec(ctx, `TRUNCATE pg_temp._pskit_stage`); err != nil {
		return 0, 0, fmt.Errorf("staging %s: %w", s.Table, err)
	}
	quoted := make([]string, 0, len(s.Columns)+1)
	sets := make([]string, 0, len(s.Columns)+1)
	for _, c := range s.Columns {
		quoted = append(quoted, qi(c.Name))
		if c.Name != s.Key {
			sets = append(sets, qi(c.Name)+" = EXCLUDED."+qi(c.Name))
		}
	}
	quoted = append(quoted, qi(RawColumn))
	sets = append(sets, qi(RawColumn)+" = EXCLUDED."+qi(RawColumn))
	if _, err := x.copy(ctx, "pg_temp._pskit_stage"); err != nil {
		return 0, 0, fmt.Errorf("copying rows of %s: %w", s.Table, err)
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM pg_temp._pskit_stage", qi(s.Table), strings.Join(quoted, ", "), strings.Join(quoted, ", "))
	if s.Key != "" {
		// json has no equality: its text is compared (the record as sent).
		cmp := fmt.Sprintf("%s.%s::text IS DISTINCT FROM EXCLUDED.%s::text", qi(s.Table), qi(RawColumn), qi(RawColumn))
		if x.rawJSONB {
			cmp = fmt.Sprintf("%s.%s IS DISTINCT FROM EXCLUDED.%s", qi(s.Table), qi(RawColumn), qi(RawColumn))
		}
		q += fmt.Sprintf(" ON CONFLICT (%s) DO UPDATE SET %s WHERE %s", qi(s.Key), strings.Join(sets, ", "), cmp)
	}
	// xmax is 0 on a row this statement inserted, set on one it updated.
	q += " RETURNING (xmax = 0)"
	res, err := x.tx.Query(ctx, q)
	if err != nil {
		return 0, 0, fmt.Errorf("writing %s: %w", s.Table, err)
	}
	ins, upd := 0, 0
	for res.Next() {
		var inserted bool
		if err := res.Scan(&inserted); err != nil {
			res.Close()
			return 0, 0, err
		}
		if inserted {
			ins++
		} else {
			upd++
		}
	}
	res.Close()
	if err := res.Err(); err != nil {
		return 0, 0, fmt.Errorf("writing %s: %w", s.Table, err)
	}
	return ins, upd, nil
}

// encode puts rows in x.buf as COPY's text format takes them: the
// schema's columns, then the raw JSON. The values are text already, so
// each is checked against its column's type and written as it is
// (PowerSchool's whole numbers sent as 12.0 are written 12); a value
// that does not fit its typed column widens that column to text first.
func (x *pgTx) encode(ctx context.Context, rows []Row) error {
	for {
		buf, misfits, err := appendCopyText(x.buf[:0], x.schema, rows)
		x.buf = buf
		if err != nil || len(misfits) == 0 {
			return err
		}
		if err := x.widen(ctx, misfits); err != nil {
			return err
		}
	}
}

// appendCopyText appends rows to buf in COPY's text format (s's columns,
// then the raw JSON); misfits lists the typed columns some value does not
// fit (buf is then incomplete). A key that does not fit is an error: its
// type is what range searches rely on.
func appendCopyText(buf []byte, s Schema, rows []Row) (_ []byte, misfits []Column, err error) {
	var bad []bool
	for _, r := range rows {
		for j, c := range s.Columns {
			if j > 0 {
				buf = append(buf, '\t')
			}
			v, ok := r.Values[c.Name]
			if !ok || v == "" {
				buf = append(buf, `\N`...)
				continue
			}
			switch c.Type {
			case TypeText:
				buf = appendCopyEscaped(buf, v)
				continue
			case TypeInt:
				if _, err := strconv.ParseInt(v, 10, 64); err == nil {
					buf = append(buf, v...) // PostgreSQL reads what ParseInt does
					continue
				}
			case TypeFloat:
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					buf = strconv.AppendFloat(buf, f, 'g', -1, 64)
					continue
				}
			}
			cv, fits := convert(c.Type, v) // 12.0 in an integer column
			if fits {
				buf = strconv.AppendInt(buf, cv.(int64), 10)
				continue
			}
			if c.Name == s.Key {
				return buf, nil, fmt.Errorf("%s row %s: key %s %q is not a %s value", s.Table, r.Key, c.Name, v, c.Type)
			}
			if bad == nil {
				bad = make([]bool, len(s.Columns))
			}
			bad[j] = true
		}
		if len(s.Columns) > 0 {
			buf = append(buf, '\t')
		}
		buf = appendCopyEscapedBytes(buf, r.Raw)
		buf = append(buf, '\n')
	}
	for j, b := range bad {
		if b {
			misfits = append(misfits, s.Columns[j])
		}
	}
	return buf, misfits, nil
}

// appendCopyEscaped appends v with the characters COPY's text format
// gives a meaning (backslash, tab, newline, carriage return) escaped.
func appendCopyEscaped(buf []byte, v string) []byte {
	if strings.IndexByte(v, '\\') < 0 && strings.IndexByte(v, '\t') < 0 && strings.IndexByte(v, '\n') < 0 && strings.IndexByte(v, '\r') < 0 {
		return append(buf, v...) // the common case, found by fast scans
	}
	return appendEscaped(buf, v)
}

// appendCopyEscapedBytes is appendCopyEscaped of a raw record.
func appendCopyEscapedBytes(buf []byte, v []byte) []byte {
	if bytes.IndexByte(v, '\\') < 0 && bytes.IndexByte(v, '\t') < 0 && bytes.IndexByte(v, '\n') < 0 && bytes.IndexByte(v, '\r') < 0 {
		return append(buf, v...)
	}
	return appendEscaped(buf, v)
}

func appendEscaped[T string | []byte](buf []byte, v T) []byte {
	from := 0
	for i := 0; i < len(v); i++ {
		var esc byte
		switch v[i] {
		case '\\':
			esc = '\\'
		case '\t':
			esc = 't'
		case '\n':
			esc = 'n'
		case '\r':
			esc = 'r'
		default:
			continue
		}
		buf = append(buf, v[from:i]...)
		buf = append(buf, '\\', esc)
		from = i + 1
	}
	return append(buf, v[from:]...)
}

// copy sends the rows encoded in x.buf into table (the schema's columns,
// then the raw JSON) and says how many it took.
func (x *pgTx) copy(ctx context.Context, table string) (int, error) {
	cols := make([]string, 0, len(x.schema.Columns)+1)
	for _, c := range x.schema.Columns {
		cols = append(cols, qi(c.Name))
	}
	cols = append(cols, qi(RawColumn))
	tag, err := x.tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(x.buf), fmt.Sprintf("COPY %s (%s) FROM STDIN", table, strings.Join(cols, ", ")))
	return int(tag.RowsAffected()), err
}

// copyDirect copies rows straight into the table, under a savepoint so
// that a key already there (a PowerQuery's key need not be unique) undoes
// only this batch, which is then upserted.
func (x *pgTx) copyDirect(ctx context.Context) (int, error) {
	if _, err := x.tx.Exec(ctx, "SAVEPOINT pskit_copy"); err != nil {
		return 0, fmt.Errorf("writing %s: %w", x.schema.Table, err)
	}
	n, err := x.copy(ctx, qi(x.schema.Table))
	if err != nil {
		if _, rerr := x.tx.Exec(ctx, "ROLLBACK TO SAVEPOINT pskit_copy"); rerr != nil {
			return 0, fmt.Errorf("copying rows of %s: %w", x.schema.Table, errors.Join(err, rerr))
		}
		return 0, err
	}
	if _, err := x.tx.Exec(ctx, "RELEASE SAVEPOINT pskit_copy"); err != nil {
		return 0, fmt.Errorf("writing %s: %w", x.schema.Table, err)
	}
	return n, nil
}

func (x *pgTx) Seen(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := x.tx.Exec(ctx, `INSERT INTO pg_temp._pskit_seen (k) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, keys); err != nil {
		return fmt.Errorf("recording keys of %s: %w", x.schema.Table, err)
	}
	return nil
}

func (x *pgTx) DeleteUnseen(ctx context.Context) (int, error) {
	tag, err := x.tx.Exec(ctx, fmt.Sprintf("DELETE FROM %s t WHERE NOT EXISTS (SELECT 1 FROM pg_temp._pskit_seen s WHERE s.k = t.%s::text)", qi(x.schema.Table), qi(x.schema.Key)))
	if err != nil {
		return 0, fmt.Errorf("deleting the rows gone from %s: %w", x.schema.Table, err)
	}
	return int(tag.RowsAffected()), nil
}

func (x *pgTx) CountRange(ctx context.Context, lo, hi int64) (int, error) {
	return pgTable{q: x.tx, sch: x.schema}.CountRange(ctx, lo, hi)
}

func (x *pgTx) KeyAt(ctx context.Context, lo, hi int64, offset int) (int64, error) {
	return pgTable{q: x.tx, sch: x.schema}.KeyAt(ctx, lo, hi, offset)
}

func (x *pgTx) KeysAt(ctx context.Context, lo, hi int64, offsets []int) ([]int64, error) {
	return pgTable{q: x.tx, sch: x.schema}.KeysAt(ctx, lo, hi, offsets)
}

func (x *pgTx) DeleteUnseenRange(ctx context.Context, lo, hi int64) (int, error) {
	tag, err := x.tx.Exec(ctx, fmt.Sprintf("DELETE FROM %s t WHERE t.%s >= $1 AND t.%s < $2 AND NOT EXISTS (SELECT 1 FROM pg_temp._pskit_seen s WHERE s.k = t.%s::text)",
		qi(x.schema.Table), qi(x.schema.Key), qi(x.schema.Key), qi(x.schema.Key)), lo, hi)
	if err != nil {
		return 0, fmt.Errorf("deleting the rows gone from %s: %w", x.schema.Table, err)
	}
	return int(tag.RowsAffected()), nil
}

func (x *pgTx) DeleteAll(ctx context.Context) (int, error) {
	tag, err := x.tx.Exec(ctx, "DELETE FROM "+qi(x.schema.Table))
	if err != nil {
		return 0, fmt.Errorf("emptying %s: %w", x.schema.Table, err)
	}
	return int(tag.RowsAffected()), nil
}

func (x *pgTx) Count(ctx context.Context) (int, error) {
	return pgTable{q: x.tx, sch: x.schema}.Count(ctx)
}

func (x *pgTx) Commit(ctx context.Context, st *State) error {
	st.Schema = x.schema
	schema, err := encodeState(st)
	if err != nil {
		return err
	}
	if _, err := x.tx.Exec(ctx, `INSERT INTO _pskit_sync_state (table_name, strategy, cursor_column, watermark, remote_count, schema_json, synced_at, run_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (table_name) DO UPDATE SET strategy = EXCLUDED.strategy, cursor_column = EXCLUDED.cursor_column,
  watermark = EXCLUDED.watermark, remote_count = EXCLUDED.remote_count, schema_json = EXCLUDED.schema_json,
  synced_at = EXCLUDED.synced_at, run_id = EXCLUDED.run_id`,
		st.Table, st.Strategy, st.Cursor, st.Watermark, st.RemoteCount, schema, st.SyncedAt, st.RunID); err != nil {
		x.tx.Rollback(ctx)
		return fmt.Errorf("saving the state of %s: %w", st.Table, err)
	}
	if err := x.tx.Commit(ctx); err != nil {
		return fmt.Errorf("committing %s: %w", st.Table, err)
	}
	return nil
}

func (x *pgTx) Rollback() { x.tx.Rollback(context.Background()) }
