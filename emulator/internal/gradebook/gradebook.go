// Package gradebook serves PowerTeacher Pro's /ws/xte gradebook API and
// OneRoster 1.1 (rostering reads, gradebook reads and writes) over the
// emulator's SQLite store. Both surfaces read and write the same
// ASSIGNMENT* tables, so a score written through one reads back through the
// other.
//
// The package owns its tables (TEACHERCATEGORY, ASSIGNMENT,
// ASSIGNMENTSECTION, ASSIGNMENTCATEGORYASSOC, ASSIGNMENTSCORE) and only
// reads the core ones (SCHOOLS, TERMS, COURSES, SECTIONS, CC, STUDENTS,
// USERS, SCHOOLSTAFF, PREFS). Authentication is the caller's job: mount the
// handlers behind the emulator's bearer-token check.
package gradebook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pskit/pskit/emulator/internal/pluginaccess"
)

// Options tunes a Gradebook. The zero value is usable.
type Options struct {
	// PageSizeCap returns the calling plugin's maximum page size, which caps
	// the OneRoster limit parameter. Nil or a result <= 0 means no cap.
	PageSizeCap func(*http.Request) int
	// Caller finds the plugin behind a request. When set, /ws/xte requests
	// and OneRoster lineItem/result writes need the fields
	// plugin.GradebookFields lists in the plugin's access_request (403
	// otherwise, 401 when the lookup fails). Nil checks nothing.
	Caller pluginaccess.Lookup
	// Now is the clock for modification and score entry times; time.Now if nil.
	Now func() time.Time
	// Write runs a write transaction on the database's single write path;
	// nil serialises the gradebook's own writes only.
	Write func(ctx context.Context, fn func(tx *sql.Tx) error) error
}

// Gradebook holds the handlers' shared state.
type Gradebook struct {
	db   *sql.DB
	opts Options
	// wmu serialises writes: SQLite allows one writer, and taking the lock
	// here avoids deferred transactions failing with SQLITE_BUSY on upgrade.
	wmu      sync.Mutex
	resubmit atomic.Int64 // score writes still to answer 412 Resubmit
}

// New creates the gradebook tables when missing, seeds teacher categories
// for every user without any, and returns the handlers' state.
func New(ctx context.Context, db *sql.DB, opts Options) (*Gradebook, error) {
	if db == nil {
		return nil, errors.New("gradebook: no database given")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	g := &Gradebook{db: db, opts: opts}
	if err := g.write(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, schema); return err }); err != nil {
		return nil, fmt.Errorf("gradebook: creating tables: %w", err)
	}
	if err := g.SeedCategories(ctx); err != nil {
		return nil, err
	}
	return g, nil
}

// Mount registers the /ws/xte handler and the OneRoster handler on both base
// paths (/ims/oneroster/v1p1 and /api/ims/oneroster/v1p1). wrap, when not
// nil, wraps each handler (the emulator's token check).
func (g *Gradebook) Mount(mux *http.ServeMux, wrap func(http.HandlerFunc) http.HandlerFunc) {
	if wrap == nil {
		wrap = func(h http.HandlerFunc) http.HandlerFunc { return h }
	}
	// Each /ws/xte route goes on mux itself (not one subtree handler), so
	// the emulator's counters see "PUT /ws/xte/score" apart from reads.
	g.xteRoutes(func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, wrap(h)) })
	or := wrap(g.OneRoster().ServeHTTP)
	for _, base := range OneRosterBasePaths {
		mux.Handle(base+"/", or)
	}
}

// FailNextScoreWrites makes the next n PUT /ws/xte/score requests answer
// 412 {"message":"Resubmit"} without writing anything, as PowerTeacher Pro
// does under concurrent edits. n <= 0 clears the fault.
func (g *Gradebook) FailNextScoreWrites(n int) {
	g.resubmit.Store(int64(max(n, 0)))
}

// takeResubmit consumes one pending 412 fault, if any.
func (g *Gradebook) takeResubmit() bool {
	for {
		n := g.resubmit.Load()
		if n <= 0 {
			return false
		}
		if g.resubmit.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// ErrNoTeacher is returned by SectionTeacher for a section without a teacher.
var ErrNoTeacher = errors.New("section has no teacher")

// ErrUnknownSection is returned for a SECTIONS.DCID that does not exist.
var ErrUnknownSection = errors.New("no such section")

// SectionTeacher returns the USERS.DCID of the teacher of the section with
// the given SECTIONS.DCID: the users_dcid that /ws/xte calls for that
// section must carry.
func (g *Gradebook) SectionTeacher(ctx context.Context, sectionDCID int64) (int64, error) {
	sec, err := g.section(ctx, g.db, sectionDCID)
	if err != nil {
		return 0, err
	}
	if sec.teacherDCID == 0 {
		return 0, fmt.Errorf("section %d: %w", sectionDCID, ErrNoTeacher)
	}
	return sec.teacherDCID, nil
}

func (g *Gradebook) now() time.Time { return g.opts.Now().UTC().Truncate(time.Second) }
