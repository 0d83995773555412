package powerquery

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/pskit/pskit/emulator/internal/store"
)

// dataVersion is a delta request: "$dataversion" and
// "$dataversion_applicationname" in the body. Rows come back when at least
// one of the query's key columns (students.dcid, cc.dcid, ...) names a row
// changed after since, which is what a query written with outer joins sees
// in PowerSchool. Every application name sees every tracked table.
type dataVersion struct {
	since   int64
	current int64
	keys    []int // columns holding a tracked table's key
}

// parseDataVersion reads the two body keys; both or neither must be given.
func parseDataVersion(cl *call, version, app any, haveVersion, haveApp bool) error {
	if !haveVersion && !haveApp {
		return nil
	}
	if haveVersion != haveApp {
		return badf(`"$dataversion" and "$dataversion_applicationname" must be sent together`)
	}
	name, _ := app.(string)
	if strings.TrimSpace(name) == "" {
		return badf(`"$dataversion_applicationname" must be a non-empty string naming your data version subscription`)
	}
	var since int64
	var err error
	switch v := version.(type) {
	case string:
		since, err = strconv.ParseInt(v, 10, 64)
	case json.Number:
		since, err = strconv.ParseInt(v.String(), 10, 64)
	default:
		err = strconv.ErrSyntax
	}
	if err != nil || since < 0 {
		return badf(`"$dataversion" must be a whole number from 0, as a string (the "$dataversion" of your last answer, or "0")`)
	}
	dv := &dataVersion{since: since}
	for i, c := range cl.cols {
		if key, ok := store.TrackedKey(c.table); ok && strings.EqualFold(key, c.field) {
			dv.keys = append(dv.keys, i)
		}
	}
	if len(dv.keys) == 0 {
		return badf("query %s selects no key column of a table with change tracking (such as students.dcid or cc.dcid), so it cannot answer a $dataversion request", cl.q.Name)
	}
	cl.delta = dv
	return nil
}

// readCurrent records the data version the answer reports.
func (dv *dataVersion) readCurrent(ctx context.Context, db *sql.DB) error {
	return db.QueryRowContext(ctx, store.DataVersionSQL).Scan(&dv.current)
}

// where is the filter on the wrapped query's columns c0..cN.
func (dv *dataVersion) where(cl *call) (string, []any) {
	parts := make([]string, len(dv.keys))
	for i, k := range dv.keys {
		parts[i] = "c" + strconv.Itoa(k) + " IN (" + store.ChangedKeysSQL(cl.cols[k].table, "pq_dv") + ")"
	}
	return "(" + strings.Join(parts, " OR ") + ")", []any{sql.Named("pq_dv", dv.since)}
}
