package mirror_test

import (
	"context"
	"database/sql"
	"fmt"

	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to read PostgreSQL targets

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/mirror"
	ps "github.com/pskit/pskit/powerschool"
)

// district is an in-process emulator with a plugin that may read every
// column of the tables under test.
type district struct {
	srv   *emulator.Server
	creds emulator.Credentials
}

func newDistrict(t testing.TB, students int, tables []string) *district {
	t.Helper()
	return newDistrictWith(t, emulator.Options{Students: students, Seed: 7}, tables)
}

func newDistrictWith(t testing.TB, opts emulator.Options, tables []string) *district {
	t.Helper()
	ctx := context.Background()
	opts.Plugin = emulator.DefaultPlugin
	srv, err := emulator.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	// The metadata lists every column (NoAccess included): a plugin
	// asking for all of them can then read whole tables.
	c := clientFor(t, srv.URL(), srv.Credentials())
	var fields strings.Builder
	for _, tb := range tables {
		var m struct {
			Columns []struct{ Name string } `json:"columns"`
		}
		if err := c.Do(ctx, "GET", "/ws/schema/table/"+tb+"/metadata", nil, nil, &m); err != nil {
			t.Fatalf("metadata of %s: %v", tb, err)
		}
		for _, col := range m.Columns {
			fmt.Fprintf(&fields, "    <field table=%q field=%q access=\"ViewOnly\"/>\n", strings.ToUpper(tb), strings.ToUpper(col.Name))
		}
	}
	xml := `<?xml version="1.0" encoding="UTF-8"?>
<plugin xmlns="http://plugin.powerschool.pearson.com" name="pskit sync test" version="1.0.0" description="reads whole tables">
  <oauth accessLevelV1Api="READ"/>
  <publisher name="pskit"><contact email="dev@example.org"/></publisher>
  <access_request>
` + fields.String() + `  </access_request>
</plugin>
`
	creds, err := srv.InstallPlugin([]byte(xml))
	if err != nil {
		t.Fatal(err)
	}
	return &district{srv: srv, creds: creds}
}

func clientFor(t testing.TB, url string, creds emulator.Credentials) *ps.Client {
	t.Helper()
	c, err := ps.NewClient(ps.WithBaseURL(url), ps.WithCredentials(creds.ClientID, creds.ClientSecret))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (d *district) client(t testing.TB) *ps.Client { return clientFor(t, d.srv.URL(), d.creds) }

func openSQLite(t testing.TB, path string) mirror.Target {
	t.Helper()
	tg, err := mirror.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

func sync(t testing.TB, d *district, tg mirror.Target, plan mirror.Plan) mirror.Report {
	t.Helper()
	rep, err := mirror.Run(context.Background(), d.client(t), tg, plan)
	if err != nil {
		t.Fatalf("sync into %s: %v", tg, err)
	}
	return rep
}

func tableReport(t testing.TB, rep mirror.Report, table string) mirror.TableReport {
	t.Helper()
	for _, tr := range rep.Tables {
		if tr.Table == table {
			return tr
		}
	}
	t.Fatalf("no report for %s in %+v", table, rep.Tables)
	return mirror.TableReport{}
}

// dumpSQL reads every row of table, all columns, as sorted lines.
func dumpSQL(t testing.TB, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM "` + table + `"`)
	if err != nil {
		t.Fatalf("reading %s: %v", table, err)
	}
	defer rows.Close()
	names, _ := rows.Columns()
	cols := append([]string(nil), names...)
	sort.Strings(cols)
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for i, n := range names {
			m[n] = fmt.Sprintf("%v", normalize(vals[i]))
		}
		var b strings.Builder
		for _, c := range cols {
			fmt.Fprintf(&b, "%s=%s|", c, m[c])
		}
		out = append(out, b.String())
	}
	sort.Strings(out)
	return out
}

// normalize makes driver values comparable across databases.
func normalize(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int32:
		return int64(x)
	}
	return v
}

func openDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func firstDiff(a, b []string) string {
	in := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, x := range a {
		if !mb[x] {
			out = append(out, "only in incremental: "+x)
		}
	}
	for _, x := range b {
		if !ma[x] {
			out = append(out, "only in fresh: "+x)
		}
	}
	if len(out) > 6 {
		out = out[:6]
	}
	return strings.Join(out, "\n")
}

func tempDB(t testing.TB, name string) string { return filepath.Join(t.TempDir(), name) }

// store is one kind of target under test: open gives a fresh target and a
// read-only view of its tables.
type store struct {
	name string
	skip string // why the store cannot run here
	open func(t testing.TB, label string) (mirror.Target, *sql.DB)
}

func sqliteStore() store {
	return store{name: "sqlite", open: func(t testing.TB, label string) (mirror.Target, *sql.DB) {
		path := tempDB(t, label+".db")
		return openSQLite(t, path), openDB(t, path)
	}}
}

// postgresStore uses the server PSKIT_TEST_POSTGRES names, one fresh
// schema per target.
func postgresStore(t testing.TB) store {
	dsn := os.Getenv("PSKIT_TEST_POSTGRES")
	if dsn == "" {
		t.Skip(pgSkip)
	}
	return store{name: "postgres", open: func(t testing.TB, label string) (mirror.Target, *sql.DB) {
		schema := fmt.Sprintf("t_%s_%d", label, time.Now().UnixNano())
		tg, err := mirror.Open(context.Background(), withParam(dsn, "schema", schema))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tg.Close() })
		db, err := sql.Open("pgx", withParam(dsn, "search_path", schema))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			db.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`)
			db.Close()
		})
		return tg, db
	}}
}

func postgresDSN() string { return os.Getenv("PSKIT_TEST_POSTGRES") }

// schemaOf reads the schema back from a PostgreSQL target's description.
func schemaOf(tg mirror.Target) string {
	_, s, _ := strings.Cut(tg.String(), " schema ")
	return s
}

func withParam(dsn, k, v string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + k + "=" + v
}

// stores lists the targets every end-to-end test runs against; the
// PostgreSQL one skips (saying how to run it) when no server is given.
func stores(t *testing.T) []store {
	if os.Getenv("PSKIT_TEST_POSTGRES") != "" {
		return []store{sqliteStore(), postgresStore(t)}
	}
	return []store{sqliteStore(), {name: "postgres", skip: pgSkip}}
}

const pgSkip = "PSKIT_TEST_POSTGRES is not set: set it to a PostgreSQL URL (postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) to run the PostgreSQL sync tests; .ci/run starts a server and sets it"

// need skips the test when the store is unavailable.
func (s store) need(t *testing.T) {
	if s.skip != "" {
		t.Skip(s.skip)
	}
}

// equalDBs checks that every table holds the same rows in both targets.
func equalDBs(t testing.TB, got, want *sql.DB, tables []string) {
	t.Helper()
	for _, tb := range tables {
		gr, wr := dumpSQL(t, got, tb), dumpSQL(t, want, tb)
		if len(wr) == 0 {
			t.Fatalf("%s: the fresh sync holds no rows; the comparison would prove nothing", tb)
		}
		if strings.Join(gr, "\n") != strings.Join(wr, "\n") {
			t.Errorf("%s: incremental target differs from a fresh full sync (%d vs %d rows)\n%s", tb, len(gr), len(wr), firstDiff(gr, wr))
		}
	}
}
