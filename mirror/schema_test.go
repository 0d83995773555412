package mirror_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/mirror"
)

// The target's schema only grows: a new column is added, a value that no
// longer fits its column widens it to text, and a column PowerSchool
// stopped sending stays.
func TestTargetSchemaOnlyGrows(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.need(t)
			ctx := context.Background()
			tg, db := st.open(t, "grow")
			v1 := mirror.Schema{Table: "u_things", Key: "id", Columns: []mirror.Column{
				{Name: "id", Type: mirror.TypeInt}, {Name: "size", Type: mirror.TypeInt}, {Name: "old", Type: mirror.TypeText}}}
			write := func(s mirror.Schema, rows ...mirror.Row) {
				t.Helper()
				tx, err := tg.Begin(ctx, s)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := tx.Upsert(ctx, rows); err != nil {
					tx.Rollback()
					t.Fatal(err)
				}
				if err := tx.Commit(ctx, &mirror.State{Table: s.Table, Strategy: "full", SyncedAt: time.Now(), RunID: "r"}); err != nil {
					t.Fatal(err)
				}
			}
			write(v1, mirror.Row{Key: "1", Values: map[string]string{"id": "1", "size": "10", "old": "a"}, Raw: []byte(`{"id":"1"}`)})
			// PowerSchool retyped size to text, dropped old, added colour.
			v2 := mirror.Schema{Table: "u_things", Key: "id", Columns: []mirror.Column{
				{Name: "id", Type: mirror.TypeInt}, {Name: "size", Type: mirror.TypeInt}, {Name: "colour", Type: mirror.TypeText}}}
			write(v2, mirror.Row{Key: "2", Values: map[string]string{"id": "2", "size": "XL", "colour": "red"}, Raw: []byte(`{"id":"2"}`)})

			rows := dumpSQL(t, db, "u_things")
			want := []string{"colour=<nil>|id=1|old=a|size=10|", "colour=red|id=2|old=<nil>|size=XL|"}
			for i := range rows {
				_, rows[i], _ = strings.Cut(rows[i], "|") // _raw sorts first
			}
			if strings.Join(rows, "\n") != strings.Join(want, "\n") {
				t.Fatalf("rows %q, want %q", rows, want)
			}
			st, err := tg.State(ctx, "u_things")
			if err != nil || st == nil {
				t.Fatalf("state: %v %v", st, err)
			}
			if c, _ := st.Schema.Col("size"); c.Type != mirror.TypeText {
				t.Errorf("size is %q in the saved schema, want text after the conflict", c.Type)
			}
		})
	}
}

func TestPostgresSecondRunIsRefusedWhileOneHoldsTheLock(t *testing.T) {
	st := postgresStore(t)
	a, _ := st.open(t, "locka")
	unlock, err := a.Lock(context.Background(), "https://district.example")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	// A second connection to the same schema: the same lock key.
	b, err := mirror.Open(context.Background(), withParam(postgresDSN(), "schema", schemaOf(a)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Lock(context.Background(), "https://district.example"); !errors.Is(err, mirror.ErrLocked) || !strings.Contains(err.Error(), "wait") {
		t.Fatalf("second lock: %v, want ErrLocked saying to wait", err)
	}
	// Another district in the same schema is not held up.
	unlock2, err := b.Lock(context.Background(), "https://other.example")
	if err != nil {
		t.Fatalf("another district: %v", err)
	}
	unlock2()
}
