package mirror

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Column types in the target, from the table's metadata.
const (
	TypeInt   = "int"
	TypeFloat = "float"
	TypeText  = "text"
)

// Column is one target column: PowerSchool's name in lower case.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Schema is a target table's shape.
type Schema struct {
	Table   string   `json:"table"` // lower case
	Key     string   `json:"key"`   // primary key column; "" when the table has none
	Columns []Column `json:"columns"`
}

// Col returns the named column.
func (s *Schema) Col(name string) (Column, bool) {
	for _, c := range s.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// RawColumn holds each row's JSON as PowerSchool sent it; it survives any
// retyping of the typed columns.
const RawColumn = "_raw"

// Row is one PowerSchool row: its key and its values as text (a missing
// value is NULL).
type Row struct {
	Key    string
	Values map[string]string
	Raw    []byte
}

// State is what the target remembers about a table between runs.
type State struct {
	Table       string    `json:"table"`
	Strategy    string    `json:"strategy"`
	Cursor      string    `json:"cursor,omitempty"`
	Watermark   string    `json:"watermark,omitempty"`
	RemoteCount int       `json:"remote_count"`
	Schema      Schema    `json:"schema"`
	SyncedAt    time.Time `json:"synced_at"`
	RunID       string    `json:"run_id"`
}

// Target is where a district lands. Each table is written in one
// transaction (Begin .. Commit), so readers never see half a table.
type Target interface {
	// Lock keeps a second run for the same district and target out; it
	// fails with ErrLocked when one is running.
	Lock(ctx context.Context, district string) (unlock func(), err error)
	// State is a table's saved state, nil when it was never synced.
	State(ctx context.Context, table string) (*State, error)
	// Begin opens the table's transaction, creating the table or adding
	// the schema's new columns; it returns the schema as the target now
	// has it (widened columns stay text, old columns stay).
	Begin(ctx context.Context, s Schema) (TableTx, error)
	// StartRun and FinishRun write the run log.
	StartRun(ctx context.Context, r *Report) error
	FinishRun(ctx context.Context, r *Report) error
	// String says where the target is, without secrets.
	String() string
	Close() error
}

// TableTx writes one table inside one transaction.
type TableTx interface {
	// Schema is the table's schema in the target.
	Schema() Schema
	// Grow adds the columns of s the table lacks (inside the transaction).
	Grow(ctx context.Context, s Schema) error
	// Upsert writes rows (unique keys) and says how many were new and how
	// many changed; rows equal to what the target has are left alone.
	Upsert(ctx context.Context, rows []Row) (inserted, updated int, err error)
	// Seen records keys present in PowerSchool; DeleteUnseen then removes
	// every other row.
	Seen(ctx context.Context, keys []string) error
	DeleteUnseen(ctx context.Context) (int, error)
	// CountRange counts rows whose integer key is in [lo, hi); KeyAt is
	// the key at offset (from 0, in key order) in that range;
	// DeleteUnseenRange removes the rows of the range not passed to Seen.
	CountRange(ctx context.Context, lo, hi int64) (int, error)
	KeyAt(ctx context.Context, lo, hi int64, offset int) (int64, error)
	DeleteUnseenRange(ctx context.Context, lo, hi int64) (int, error)
	// DeleteAll empties the table (a keyless table is reloaded whole).
	DeleteAll(ctx context.Context) (int, error)
	// Count counts the table's rows.
	Count(ctx context.Context) (int, error)
	// Commit saves st with the rows.
	Commit(ctx context.Context, st *State) error
	Rollback()
}

// ErrLocked is returned (wrapped) when another run holds the target.
var ErrLocked = fmt.Errorf("another sync of this district into this target is running")

// Open opens a target from its address: sqlite:PATH, postgres://... (or
// postgresql://...; a schema=NAME parameter picks the schema, default
// public) or parquet:DIR.
func Open(ctx context.Context, addr string) (Target, error) {
	switch {
	case strings.HasPrefix(addr, "sqlite:"):
		return OpenSQLite(ctx, strings.TrimPrefix(addr, "sqlite:"))
	case strings.HasPrefix(addr, "postgres://"), strings.HasPrefix(addr, "postgresql://"):
		return OpenPostgres(ctx, addr)
	case strings.HasPrefix(addr, "parquet:"):
		return OpenParquet(ctx, strings.TrimPrefix(addr, "parquet:"))
	}
	return nil, fmt.Errorf("target %q is not one of sqlite:PATH, postgres://USER@HOST/DB?schema=NAME, parquet:DIR", redactAddr(addr))
}

// redactAddr drops anything after a scheme's user info.
func redactAddr(addr string) string {
	if i := strings.Index(addr, "@"); i >= 0 {
		if j := strings.Index(addr, "://"); j >= 0 && j < i {
			return addr[:j+3] + "…" + addr[i:]
		}
	}
	return addr
}

// convert turns a text value into the column's Go type; ok is false when
// it does not fit (the column must widen to text).
func convert(typ, v string) (any, bool) {
	switch typ {
	case TypeInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			// PowerSchool sometimes sends whole numbers as 12.0.
			f, ferr := strconv.ParseFloat(v, 64)
			if ferr != nil || f != float64(int64(f)) {
				return nil, false
			}
			return int64(f), true
		}
		return n, true
	case TypeFloat:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, false
		}
		return f, true
	}
	return v, true
}

// merge returns old grown by s: new columns added, a type change widened
// to text, nothing dropped. changed lists the columns to add or widen.
func merge(old, s Schema) (out Schema, added, widened []Column) {
	out = Schema{Table: old.Table, Key: old.Key, Columns: append([]Column(nil), old.Columns...)}
	if out.Table == "" {
		out.Table = s.Table
	}
	if out.Key == "" && len(old.Columns) == 0 {
		out.Key = s.Key
	}
	for _, c := range s.Columns {
		i := -1
		for j, oc := range out.Columns {
			if oc.Name == c.Name {
				i = j
				break
			}
		}
		switch {
		case i < 0:
			out.Columns = append(out.Columns, c)
			added = append(added, c)
		case out.Columns[i].Type != c.Type && out.Columns[i].Type != TypeText:
			out.Columns[i].Type = TypeText
			widened = append(widened, out.Columns[i])
		}
	}
	return out, added, widened
}

// conflicts lists the typed columns some row's value does not fit.
func conflicts(s Schema, rows []Row) []Column {
	var out []Column
	for _, c := range s.Columns {
		if c.Type == TypeText || c.Name == s.Key {
			continue
		}
		for _, r := range rows {
			if v, ok := r.Values[c.Name]; ok {
				if _, fits := convert(c.Type, v); !fits {
					out = append(out, c)
					break
				}
			}
		}
	}
	return out
}

func encodeState(st *State) (string, error) {
	b, err := json.Marshal(st.Schema)
	return string(b), err
}
