package mirror_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/pskit/pskit/mirror"
)

func TestParquetSnapshotPerTableAndUnchangedSkip(t *testing.T) {
	d := newDistrict(t, 150, []string{"students"})
	dir := t.TempDir()
	tg, err := mirror.Open(context.Background(), "parquet:"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	plan := mirror.Plan{Tables: []mirror.TableSpec{{Name: "students", Cursor: "dcid"}}}
	if tr := tableReport(t, sync(t, d, tg, plan), "students"); tr.Inserted != 150 {
		t.Fatalf("first snapshot: %+v", tr)
	}
	path := filepath.Join(dir, "students", "data.parquet")
	rows := readParquet(t, path)
	if len(rows) != 150 {
		t.Fatalf("%s holds %d rows, want 150", path, len(rows))
	}
	if _, ok := rows[0]["last_name"]; !ok || rows[0]["_raw"] == nil {
		t.Errorf("a row lacks last_name or _raw: %v", rows[0])
	}
	if tr := tableReport(t, sync(t, d, tg, plan), "students"); tr.Strategy != mirror.StrategyUnchanged {
		t.Errorf("second run over an unchanged table: %+v, want unchanged", tr)
	}
	if _, err := d.srv.AddStudent(context.Background(), "Ada", "Lovelace"); err != nil {
		t.Fatal(err)
	}
	if tr := tableReport(t, sync(t, d, tg, plan), "students"); tr.Strategy != mirror.StrategyFull || tr.Inserted != 151 {
		t.Errorf("after a change the snapshot is rewritten whole: %+v", tr)
	}
	if n := len(readParquet(t, path)); n != 151 {
		t.Errorf("the new snapshot holds %d rows, want 151", n)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "students", ".snapshot-*")); len(m) != 0 {
		t.Errorf("temporary snapshots left behind: %v", m)
	}
}

func readParquet(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("%s is not a Parquet file: %v", path, err)
	}
	r := parquet.NewReader(pf)
	var out []map[string]any
	for {
		m := map[string]any{}
		if err := r.Read(&m); err != nil {
			break
		}
		out = append(out, m)
	}
	return out
}

// /ws/v1 staff land in a users snapshot: its columns are known before the
// first row (a snapshot cannot grow while it is written), and a person
// listed by several schools is one row.
func TestParquetV1Staff(t *testing.T) {
	d := newDistrict(t, 600, nil)
	dir := t.TempDir()
	tg, err := mirror.Open(context.Background(), "parquet:"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	sync(t, d, tg, mirror.Plan{Tables: []mirror.TableSpec{{Resource: "staff"}}})
	rows := readParquet(t, filepath.Join(dir, "users", "data.parquet"))
	seen := map[any]bool{}
	for _, r := range rows {
		if seen[r["dcid"]] {
			t.Errorf("users holds dcid %v twice", r["dcid"])
		}
		seen[r["dcid"]] = true
	}
	if len(rows) == 0 {
		t.Fatal("no staff")
	}
}
