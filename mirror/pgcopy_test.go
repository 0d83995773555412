package mirror_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/pskit/pskit/mirror"
)

// A table empty when its transaction begins takes its rows by COPY
// straight into it; a key that comes again in a later batch (a
// PowerQuery's key need not be unique) undoes only that batch, which is
// upserted instead: the last copy wins, and no row is lost or doubled.
func TestPostgresFirstLoadTakesARepeatedKey(t *testing.T) {
	st := postgresStore(t)
	ctx := context.Background()
	tg, db := st.open(t, "copy")
	sch := mirror.Schema{Table: "things", Key: "id", Columns: []mirror.Column{{Name: "id", Type: mirror.TypeInt}, {Name: "name", Type: mirror.TypeText}}}
	row := func(id, name string) mirror.Row {
		return mirror.Row{Key: id, Values: map[string]string{"id": id, "name": name}, Raw: []byte(`{"id":"` + id + `","name":"` + name + `"}`)}
	}
	tx, err := tg.Begin(ctx, sch)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() // a failed test must not hold the schema's locks against its cleanup
	batches := []struct {
		rows     []mirror.Row
		ins, upd int
	}{
		{[]mirror.Row{row("1", "a"), row("2", "b")}, 2, 0},
		{[]mirror.Row{row("3", "c")}, 1, 0},
		{[]mirror.Row{row("4", "d"), row("2", "B")}, 1, 1}, // 2 again: this batch is upserted
		{[]mirror.Row{row("5", "e")}, 1, 0},
	}
	for i, b := range batches {
		ins, upd, err := tx.Upsert(ctx, b.rows)
		if err != nil {
			t.Fatalf("batch %d: %v", i+1, err)
		}
		if ins != b.ins || upd != b.upd {
			t.Errorf("batch %d: inserted %d, updated %d; want %d, %d", i+1, ins, upd, b.ins, b.upd)
		}
	}
	if err := tx.Commit(ctx, &mirror.State{Table: "things", Strategy: mirror.StrategyFull}); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	rows, err := db.Query(`SELECT id, name FROM things`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		got[id] = name
	}
	want := map[string]string{"1": "a", "2": "B", "3": "c", "4": "d", "5": "e"}
	if len(got) != len(want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("row %s: %q, want %q", k, got[k], v)
		}
	}
}

// Values are sent in COPY's text format: the characters it gives a
// meaning (tab, newline, carriage return, backslash) and the rest of
// Unicode must land as they were sent, in the typed columns, the text
// columns and _raw, whether the batch is copied straight into the table
// or staged and upserted; a whole number sent as 12.0 lands in an
// integer column, and a value that is no number widens its column.
func TestPostgresCopyKeepsEveryCharacter(t *testing.T) {
	st := postgresStore(t)
	ctx := context.Background()
	tg, db := st.open(t, "copytext")
	sch := mirror.Schema{Table: "things", Key: "id", Columns: []mirror.Column{
		{Name: "id", Type: mirror.TypeInt}, {Name: "name", Type: mirror.TypeText},
		{Name: "n", Type: mirror.TypeInt}, {Name: "f", Type: mirror.TypeFloat}, {Name: "code", Type: mirror.TypeInt}}}
	names := []string{"tab\there", "line\nbreak", "cr\rhere", `back\slash`, `\N`, "ünï ☃ 𝄞", `quote"s`, "\\t literal"}
	raw := func(id int, name string) []byte {
		b, _ := json.Marshal(map[string]string{"id": strconv.Itoa(id), "name": name})
		return b
	}
	batch := func(suffix string, from int) []mirror.Row {
		var rows []mirror.Row
		for i, name := range names {
			id := from + i
			name += suffix
			rows = append(rows, mirror.Row{Key: strconv.Itoa(id), Values: map[string]string{"id": strconv.Itoa(id), "name": name, "n": "12.0", "f": "2.5", "code": "7"}, Raw: raw(id, name)})
		}
		return rows
	}
	tx, err := tg.Begin(ctx, sch)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if ins, _, err := tx.Upsert(ctx, batch("", 1)); err != nil || ins != len(names) {
		t.Fatalf("copied straight in: inserted %d, %v", ins, err)
	}
	again := batch(" again", 1) // the same keys: this batch is staged and upserted
	again[0].Values["code"] = "A7"
	if ins, upd, err := tx.Upsert(ctx, again); err != nil || ins != 0 || upd != len(names) {
		t.Fatalf("upserted: inserted %d, updated %d, %v; want 0, %d", ins, upd, err, len(names))
	}
	if ins, _, err := tx.Upsert(ctx, batch("", 100)); err != nil || ins != len(names) {
		t.Fatalf("staged: inserted %d, %v", ins, err)
	}
	if err := tx.Commit(ctx, &mirror.State{Table: "things", Strategy: mirror.StrategyFull}); err != nil {
		t.Fatal(err)
	}
	var codeType string
	if err := db.QueryRow(`SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'things' AND column_name = 'code'`).Scan(&codeType); err != nil {
		t.Fatal(err)
	}
	if codeType != "text" {
		t.Errorf("code is %s after the value A7, want text", codeType)
	}
	rows, err := db.Query(`SELECT id, name, n, f, code, _raw::text FROM things`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id, n int
		var name, code, gotRaw string
		var f float64
		if err := rows.Scan(&id, &name, &n, &f, &code, &gotRaw); err != nil {
			t.Fatal(err)
		}
		seen++
		var want string
		if id < 100 {
			want = names[id-1] + " again"
		} else {
			want = names[id-100]
		}
		if name != want || gotRaw != string(raw(id, want)) {
			t.Errorf("row %d: name %q, _raw %s; want %q, %s", id, name, gotRaw, want, raw(id, want))
		}
		if n != 12 || f != 2.5 {
			t.Errorf("row %d: n %d, f %v; want 12, 2.5", id, n, f)
		}
		if wantCode := map[bool]string{true: "A7", false: "7"}[id == 1]; code != wantCode {
			t.Errorf("row %d: code %q, want %q", id, code, wantCode)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != 2*len(names) {
		t.Errorf("%d rows, want %d", seen, 2*len(names))
	}
}

// A table made when _raw was jsonb keeps it: an unchanged row is left
// alone (jsonb's equality), a changed one is updated.
func TestPostgresJSONBRawStillUpserts(t *testing.T) {
	st := postgresStore(t)
	ctx := context.Background()
	tg, db := st.open(t, "jsonb")
	sch := mirror.Schema{Table: "things", Key: "id", Columns: []mirror.Column{{Name: "id", Type: mirror.TypeInt}, {Name: "name", Type: mirror.TypeText}}}
	row := func(id, name string) mirror.Row {
		return mirror.Row{Key: id, Values: map[string]string{"id": id, "name": name}, Raw: []byte(`{"id": "` + id + `", "name": "` + name + `"}`)}
	}
	write := func(rows ...mirror.Row) (int, int) {
		t.Helper()
		tx, err := tg.Begin(ctx, sch)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		ins, upd, err := tx.Upsert(ctx, rows)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx, &mirror.State{Table: "things", Strategy: mirror.StrategyFull}); err != nil {
			t.Fatal(err)
		}
		return ins, upd
	}
	write(row("1", "a"), row("2", "b"))
	var typ string
	if err := db.QueryRow(`SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'things' AND column_name = '_raw'`).Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if typ != "json" {
		t.Errorf("a new table's _raw is %s, want json", typ)
	}
	if _, err := db.Exec(`ALTER TABLE things ALTER COLUMN _raw TYPE jsonb USING _raw::jsonb`); err != nil {
		t.Fatal(err)
	}
	if ins, upd := write(row("1", "a"), row("2", "B"), row("3", "c")); ins != 1 || upd != 1 {
		t.Errorf("inserted %d, updated %d; want 1, 1 (row 1 unchanged)", ins, upd)
	}
	var name string
	if err := db.QueryRow(`SELECT _raw->>'name' FROM things WHERE id = 2`).Scan(&name); err != nil || name != "B" {
		t.Errorf("row 2's _raw name %q (%v), want B", name, err)
	}
}
