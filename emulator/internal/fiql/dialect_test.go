package fiql

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestDialectsOnSQLite runs the same kinds of filters through both
// dialects: /ws/v1 ignores case (wildcards included), the schema APIs
// match it, and each dialect allows only its own syntax.
func TestDialectsOnSQLite(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE s (id INTEGER, grade INTEGER, name TEXT, entry TEXT);
		INSERT INTO s VALUES (1, 9, 'Smith', '2025-08-20'), (2, 10, 'smithers', '2025-09-01'), (3, 11, 'SMYTHE', NULL), (4, 12, 'Jones', '2025-08-20')`); err != nil {
		t.Fatal(err)
	}
	v1Fields := map[string]Field{"grade": {Expr: "grade", Kind: Int}, "name": {Expr: "name", Kind: Text}, "entry": {Expr: "entry", Kind: Date}}
	v1 := func(sel string) (Field, error) {
		f, ok := v1Fields[sel]
		if !ok {
			return Field{}, fmt.Errorf("%w %q", ErrUnknownField, sel)
		}
		return f, nil
	}
	schema := Columns(func(sel string) (string, error) { return strings.TrimPrefix(sel, "s."), nil })
	run := func(d Dialect, resolve Resolver, q string) (string, error) {
		t.Helper()
		conds, err := d.Parse(q)
		if err != nil {
			return "", err
		}
		where, args, err := d.Where(conds, resolve)
		if err != nil {
			return "", err
		}
		rows, err := db.Query("SELECT id FROM s WHERE "+where+" ORDER BY id", args...)
		if err != nil {
			t.Fatalf("%q -> %s: %v", q, where, err)
		}
		defer rows.Close()
		var ids []string
		for rows.Next() {
			var id string
			rows.Scan(&id)
			ids = append(ids, id)
		}
		return strings.Join(ids, ","), rows.Err()
	}
	for _, tc := range []struct {
		d       Dialect
		resolve Resolver
		q, want string
	}{
		{V1, v1, "name==sm*", "1,2,3"},
		{V1, v1, "name==smith", "1"},
		{V1, v1, "name==(jones,SMITH)", "1,4"},
		{V1, v1, "grade==(9,11);name==S*", "1,3"},
		{V1, v1, "entry=ge=2025-09-01", "2"},
		{Schema, schema, "s.name==sm*", "2"},
		{Schema, schema, "s.name==smith", ""},
		{Schema, schema, "s.name!=S*", "2,4"},
		{Schema, schema, `s.entry==\u0000`, "3"},
		{Schema, schema, "s.grade=ge=11", "3,4"},
	} {
		got, err := run(tc.d, tc.resolve, tc.q)
		if err != nil || got != tc.want {
			t.Errorf("%q (%+v): matched %q, %v; want %q", tc.q, tc.d.Param, got, err, tc.want)
		}
	}
	// Each dialect refuses the other's syntax.
	resolverOf := map[bool]Resolver{true: v1, false: schema}
	for _, tc := range []struct {
		d    Dialect
		q    string
		want string
	}{
		{V1, "name!=Smith", "expected an operator"},
		{Schema, "s.name==(a,b)", "OR"},
		{V1, "grade==x", "whole number"},
		{V1, "entry==2025-8-1", "YYYY-MM-DD"},
		{V1, "name=gt=S*", "wildcards work only with =="},
	} {
		_, err := run(tc.d, resolverOf[tc.d.ValueLists], tc.q)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want one mentioning %q", tc.q, err, tc.want)
		}
	}
	if _, err := run(V1, v1, "nope==1"); !errors.Is(err, ErrUnknownField) {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := V1.Parse(""); err == nil {
		t.Error("V1 accepted an empty q")
	}
	if c, err := Schema.Parse(" "); err != nil || c != nil {
		t.Errorf("Schema.Parse(blank) = %v, %v; want no conditions", c, err)
	}
}
