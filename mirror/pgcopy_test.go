package mirror_test

import (
	"context"
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
