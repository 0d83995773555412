package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// parquetTarget writes one snapshot per table, DIR/<table>/data.parquet,
// readable by DuckDB and pandas. Parquet files cannot be updated in place,
// so a table that changed is written whole again (a new file renamed over
// the old one, so readers see the old or the new snapshot); an unchanged
// table costs only the probe. State and the run log are JSON files beside
// the tables.
type parquetTarget struct {
	dir string
	mu  sync.Mutex
}

// OpenParquet opens (creating) the directory dir.
func OpenParquet(ctx context.Context, dir string) (Target, error) {
	if dir == "" {
		return nil, errors.New("parquet target: give a directory, e.g. --to parquet:out")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("parquet target: %w (check that %s can be created)", err, dir)
	}
	return &parquetTarget{dir: dir}, nil
}

func (t *parquetTarget) String() string { return "parquet:" + t.dir }
func (t *parquetTarget) Close() error   { return nil }

// fullOnly tells the engine every changed table is rewritten whole.
func (t *parquetTarget) fullOnly() bool { return true }

func (t *parquetTarget) Lock(ctx context.Context, district string) (func(), error) {
	return lockFile(filepath.Join(t.dir, ".pskit-sync.lock"))
}

func (t *parquetTarget) statePath() string { return filepath.Join(t.dir, "_pskit_sync_state.json") }

func (t *parquetTarget) states() (map[string]*State, error) {
	out := map[string]*State{}
	b, err := os.ReadFile(t.statePath())
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the sync state: %w", err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("reading the sync state %s: %w (remove it and run with --full)", t.statePath(), err)
	}
	return out, nil
}

func (t *parquetTarget) State(ctx context.Context, table string) (*State, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	all, err := t.states()
	if err != nil {
		return nil, err
	}
	return all[table], nil
}

func (t *parquetTarget) StartRun(ctx context.Context, r *Report) error { return nil }

func (t *parquetTarget) FinishRun(ctx context.Context, r *Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(t.dir, "_pskit_runs.ndjson"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeAtomic replaces path with b.
func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (t *parquetTarget) Begin(ctx context.Context, s Schema) (TableTx, error) {
	dir := filepath.Join(t.dir, s.Table)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("parquet target: %w", err)
	}
	f, err := os.CreateTemp(dir, ".snapshot-*.parquet")
	if err != nil {
		return nil, fmt.Errorf("parquet target: %w", err)
	}
	group := parquet.Group{RawColumn: parquet.String()}
	for _, c := range s.Columns {
		var n parquet.Node
		switch c.Type {
		case TypeInt:
			n = parquet.Int(64)
		case TypeFloat:
			n = parquet.Leaf(parquet.DoubleType)
		default:
			n = parquet.String()
		}
		group[c.Name] = parquet.Optional(n)
	}
	ps := parquet.NewSchema(s.Table, group)
	idx := map[string]int{}
	for i, path := range ps.Columns() {
		idx[path[0]] = i
	}
	return &parquetTx{t: t, f: f, w: parquet.NewGenericWriter[any](f, ps), schema: s, idx: idx}, nil
}

type parquetTx struct {
	t      *parquetTarget
	f      *os.File
	w      *parquet.GenericWriter[any]
	schema Schema
	idx    map[string]int
	rows   int
}

func (x *parquetTx) Schema() Schema { return x.schema }

func (x *parquetTx) Grow(ctx context.Context, s Schema) error {
	if _, added, widened := merge(x.schema, s); len(added)+len(widened) > 0 {
		return fmt.Errorf("%s: its columns changed while the snapshot was written; run the sync again", x.schema.Table)
	}
	return nil
}

func (x *parquetTx) Upsert(ctx context.Context, rows []Row) (int, int, error) {
	if c := conflicts(x.schema, rows); len(c) > 0 {
		return 0, 0, fmt.Errorf("%s: column %s holds values that are not %s; run with --full after PowerSchool's metadata reflects the change", x.schema.Table, c[0].Name, c[0].Type)
	}
	out := make([]parquet.Row, len(rows))
	args := make([]any, len(x.schema.Columns)+1)
	for i, r := range rows {
		if err := rowArgs(x.schema, r, args); err != nil {
			return 0, 0, err
		}
		pr := make(parquet.Row, len(x.idx))
		for j, c := range x.schema.Columns {
			col := x.idx[c.Name]
			if args[j] == nil {
				pr[col] = parquet.Value{}.Level(0, 0, col)
			} else {
				pr[col] = parquet.ValueOf(args[j]).Level(0, 1, col)
			}
		}
		col := x.idx[RawColumn]
		pr[col] = parquet.ValueOf(string(r.Raw)).Level(0, 0, col)
		out[i] = pr
	}
	if _, err := x.w.WriteRows(out); err != nil {
		return 0, 0, fmt.Errorf("writing %s: %w", x.schema.Table, err)
	}
	x.rows += len(rows)
	return len(rows), 0, nil
}

// A snapshot holds exactly what was read: nothing to delete.
func (x *parquetTx) Seen(ctx context.Context, keys []string) error { return nil }
func (x *parquetTx) DeleteUnseen(ctx context.Context) (int, error) { return 0, nil }
func (x *parquetTx) DeleteAll(ctx context.Context) (int, error)    { return 0, nil }
func (x *parquetTx) Count(ctx context.Context) (int, error)        { return x.rows, nil }

func (x *parquetTx) Commit(ctx context.Context, st *State) error {
	st.Schema = x.schema
	if err := x.w.Close(); err != nil {
		x.Rollback()
		return fmt.Errorf("writing %s: %w", x.schema.Table, err)
	}
	if err := x.f.Close(); err != nil {
		x.Rollback()
		return fmt.Errorf("writing %s: %w", x.schema.Table, err)
	}
	if err := os.Rename(x.f.Name(), filepath.Join(x.t.dir, x.schema.Table, "data.parquet")); err != nil {
		x.Rollback()
		return fmt.Errorf("publishing %s: %w", x.schema.Table, err)
	}
	x.t.mu.Lock()
	defer x.t.mu.Unlock()
	all, err := x.t.states()
	if err != nil {
		return err
	}
	all[st.Table] = st
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(x.t.statePath(), b)
}

func (x *parquetTx) Rollback() {
	x.f.Close()
	os.Remove(x.f.Name())
}

// A snapshot is never read incrementally, so it never looks for deletes
// by key range.
func (x *parquetTx) CountRange(ctx context.Context, lo, hi int64) (int, error) {
	return 0, errors.New("parquet snapshots have no key ranges")
}

func (x *parquetTx) KeyAt(ctx context.Context, lo, hi int64, offset int) (int64, error) {
	return 0, errors.New("parquet snapshots have no key ranges")
}

func (x *parquetTx) DeleteUnseenRange(ctx context.Context, lo, hi int64) (int, error) {
	return 0, errors.New("parquet snapshots have no key ranges")
}
