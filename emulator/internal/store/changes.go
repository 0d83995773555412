package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// Tracked is a table whose writes the emulator stamps and logs.
type Tracked struct {
	Table string // PowerSchool's name, upper case
	Key   string // the column whose value identifies a row in the change log
	// Stamps are the cursor columns a write sets to the emulator's clock:
	// TRANSACTION_DATE on core tables, WHENMODIFIED (and WHENCREATED on
	// insert) on audit-column tables.
	Stamps []string
}

// TrackedTables are the tables a warehouse syncs, with PowerSchool's
// cursor columns. Tables with no Stamps have no cursor in PowerSchool
// either; their writes are still logged for /ws/dataversion.
var TrackedTables = []Tracked{
	{"SCHOOLS", "DCID", []string{"TRANSACTION_DATE"}},
	{"STUDENTS", "DCID", []string{"TRANSACTION_DATE"}},
	{"TERMS", "DCID", []string{"TRANSACTION_DATE"}},
	{"COURSES", "DCID", []string{"TRANSACTION_DATE"}},
	{"SECTIONS", "DCID", []string{"TRANSACTION_DATE"}},
	{"CC", "DCID", []string{"TRANSACTION_DATE"}},
	{"ATTENDANCE", "DCID", []string{"TRANSACTION_DATE"}},
	{"STOREDGRADES", "DCID", []string{"TRANSACTION_DATE"}},
	{"PGFINALGRADES", "DCID", []string{"TRANSACTION_DATE"}},
	{"USERS", "DCID", []string{"TRANSACTION_DATE", "WHENMODIFIED"}},
	{"SCHOOLSTAFF", "DCID", []string{"TRANSACTION_DATE", "WHENMODIFIED"}},
	{"U_STUDENTSUSERFIELDS", "STUDENTSDCID", []string{"WHENMODIFIED"}},
	{"STUDENTCOREFIELDS", "STUDENTSDCID", []string{"WHENMODIFIED"}},
	{"FEE", "DCID", nil},
	{"SPENROLLMENTS", "DCID", nil},
	{"TRANSPORTATION", "DCID", nil},
	// The gradebook's tables (created by the gradebook package).
	{"TEACHERCATEGORY", "TEACHERCATEGORYID", []string{"WHENMODIFIED"}},
	{"ASSIGNMENT", "ASSIGNMENTID", nil},
	{"ASSIGNMENTSECTION", "ASSIGNMENTSECTIONID", []string{"WHENMODIFIED"}},
	{"ASSIGNMENTCATEGORYASSOC", "ASSIGNMENTCATEGORYASSOCID", nil},
	{"ASSIGNMENTSCORE", "ASSIGNMENTSCOREID", []string{"WHENMODIFIED"}},
}

// TrackChanges installs the triggers that stamp cursor columns and log
// every insert, update and delete of the tracked tables that exist. Call it
// after seeding (seeded rows carry their own stamps and are version 0) and
// after every package has created its tables. It is idempotent.
//
// Triggers, not the Go write paths, keep the stamps: no writer can forget
// them. The stamping UPDATE inside a trigger does not fire the update
// trigger again because it changes the stamp column, which the update
// trigger's WHEN clause excludes.
func (s *Store) TrackChanges(ctx context.Context) error {
	return s.Write(ctx, func(tx *sql.Tx) error {
		for _, t := range TrackedTables {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, t.Table).Scan(&n); err != nil {
				return fmt.Errorf("tracking changes to %s: %w", t.Table, err)
			}
			if n == 0 {
				continue
			}
			var created int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = 'WHENCREATED'`, t.Table).Scan(&created); err != nil {
				return fmt.Errorf("tracking changes to %s: %w", t.Table, err)
			}
			if _, err := tx.ExecContext(ctx, triggers(t, created > 0)); err != nil {
				return fmt.Errorf("tracking changes to %s: %w", t.Table, err)
			}
		}
		return nil
	})
}

func triggers(t Tracked, hasCreated bool) string {
	const clock = `(SELECT NOW FROM EMU_CLOCK)`
	var ins, upd []string
	for _, c := range t.Stamps {
		ins = append(ins, c+" = "+clock)
		upd = append(upd, c+" = "+clock)
		if c == "WHENMODIFIED" && hasCreated {
			ins = append(ins, "WHENCREATED = "+clock)
		}
	}
	log := func(row string) string {
		return fmt.Sprintf(`INSERT INTO EMU_CHANGELOG (TABLENAME, ROWKEY) VALUES ('%s', %s.%s);`, t.Table, row, t.Key)
	}
	stamp := func(sets []string) string {
		if len(sets) == 0 {
			return ""
		}
		return fmt.Sprintf(`UPDATE %s SET %s WHERE rowid = NEW.rowid;`, t.Table, strings.Join(sets, ", "))
	}
	when := ""
	if len(t.Stamps) > 0 {
		when = fmt.Sprintf(" WHEN NEW.%[1]s IS OLD.%[1]s", t.Stamps[0])
	}
	return fmt.Sprintf(`
CREATE TRIGGER IF NOT EXISTS EMU_%[1]s_INSERT AFTER INSERT ON %[1]s BEGIN %[2]s %[3]s END;
CREATE TRIGGER IF NOT EXISTS EMU_%[1]s_UPDATE AFTER UPDATE ON %[1]s%[4]s BEGIN %[5]s %[3]s END;
CREATE TRIGGER IF NOT EXISTS EMU_%[1]s_DELETE AFTER DELETE ON %[1]s BEGIN %[6]s END;`,
		t.Table, stamp(ins), log("NEW"), when, stamp(upd), log("OLD"))
}

// Changes is what changed since a data version.
type Changes struct {
	Version int64              // the current data version
	Tables  map[string][]int64 // lower-case table name -> row keys, ascending
}

// DataVersion is the current data version: the number of row writes
// logged since seeding.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.DB.QueryRowContext(ctx, DataVersionSQL).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("reading the data version: %w", err)
	}
	return v, nil
}

// ChangedSince lists the keys of rows inserted, updated or deleted after
// version, per table; tables (any case) limits the answer, nil means all.
// Deleted rows are listed too: a client that fetches one finds nothing.
func (s *Store) ChangedSince(ctx context.Context, version int64, tables []string) (Changes, error) {
	out := Changes{Tables: map[string][]int64{}}
	tx, err := s.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, fmt.Errorf("reading changes: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, DataVersionSQL).Scan(&out.Version); err != nil {
		return out, fmt.Errorf("reading changes: %w", err)
	}
	want := map[string]bool{}
	for _, t := range tables {
		want[strings.ToUpper(t)] = true
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT TABLENAME, ROWKEY FROM EMU_CHANGELOG WHERE VERSION > ? AND VERSION <= ?`, version, out.Version)
	if err != nil {
		return out, fmt.Errorf("reading changes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var key int64
		if err := rows.Scan(&name, &key); err != nil {
			return out, fmt.Errorf("reading changes: %w", err)
		}
		if len(want) > 0 && !want[name] {
			continue
		}
		l := strings.ToLower(name)
		out.Tables[l] = append(out.Tables[l], key)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("reading changes: %w", err)
	}
	for _, ids := range out.Tables {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	}
	return out, nil
}

// DataVersionSQL reads the current data version (for packages that run
// their own SQL, such as PowerQueries).
const DataVersionSQL = `SELECT COALESCE(MAX(VERSION), 0) FROM EMU_CHANGELOG`

// ChangedKeysSQL is a subquery listing the keys of table's rows changed
// after the data version bound to the named parameter param.
func ChangedKeysSQL(table, param string) string {
	return fmt.Sprintf(`SELECT ROWKEY FROM EMU_CHANGELOG WHERE TABLENAME = '%s' AND VERSION > :%s`, strings.ToUpper(table), param)
}

// TrackedKey returns the change-log key column of a tracked table.
func TrackedKey(table string) (string, bool) {
	for _, t := range TrackedTables {
		if strings.EqualFold(t.Table, table) {
			return t.Key, true
		}
	}
	return "", false
}

// StampColumn reports a column PowerSchool maintains itself (the audit
// columns and TRANSACTION_DATE), which no plugin needs access to in order
// to delete a row or read an extension table.
func StampColumn(name string) bool {
	switch strings.ToUpper(name) {
	case "TRANSACTION_DATE", "WHOCREATED", "WHENCREATED", "WHOMODIFIED", "WHENMODIFIED":
		return true
	}
	return false
}
