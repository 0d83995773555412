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
	keys    []int              // columns holding a tracked table's key
	changed map[string][]int64 // lower-case table -> keys changed since
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

// readChanges reads, on the emulator's own connection, the current data
// version and the keys changed since dv.since. The plugin's query never
// reads the change log itself: the read-only connection it runs on may not
// touch the emulator's tables.
func (dv *dataVersion) readChanges(ctx context.Context, db *sql.DB, cl *call) error {
	tables := make([]string, len(dv.keys))
	for i, k := range dv.keys {
		tables[i] = cl.cols[k].table
	}
	ch, err := store.ChangedSince(ctx, db, dv.since, tables)
	if err != nil {
		return err
	}
	dv.current, dv.changed = ch.Version, ch.Tables
	return nil
}

// where is the filter on the wrapped query's columns c0..cN: the changed
// keys, written as integer literals (they come from the change log, never
// from the request).
func (dv *dataVersion) where(cl *call) string {
	parts := make([]string, len(dv.keys))
	for i, k := range dv.keys {
		ids := dv.changed[strings.ToLower(cl.cols[k].table)]
		lits := make([]string, len(ids))
		for j, id := range ids {
			lits[j] = strconv.FormatInt(id, 10)
		}
		parts[i] = "c" + strconv.Itoa(k) + " IN (" + strings.Join(lits, ",") + ")"
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}
