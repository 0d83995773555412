package gradebook

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/pskit/pskit/emulator/internal/pluginaccess"
	"github.com/pskit/pskit/emulator/internal/respond"
	"github.com/pskit/pskit/plugin"
)

// The tables each kind of gradebook request touches. The columns and the
// access each needs come from plugin.GradebookFields, the one list shared
// with `psctl plugin init --gradebook`.
var (
	categoryTables   = []string{"TEACHERCATEGORY", "DISTRICTTEACHERCATEGORY"}
	assignmentTables = []string{"ASSIGNMENT", "ASSIGNMENTSECTION", "ASSIGNMENTCATEGORYASSOC"}
	scoreTables      = []string{"ASSIGNMENTSCORE", "ASSIGNMENTSCORECOMMENT"}
	allWriteTables   = append(append([]string{}, assignmentTables...), scoreTables...)
)

// accessNeed is what one request needs: FullAccess (per the list) to the
// write tables and read access to the read tables.
type accessNeed struct {
	write, read []string
}

var (
	needCategories     = accessNeed{read: categoryTables}
	needReadAssignment = accessNeed{read: append(append([]string{}, allWriteTables...), categoryTables...)}
	needWriteAssign    = accessNeed{write: assignmentTables, read: categoryTables}
	needDeleteAssign   = accessNeed{write: allWriteTables}
	needWriteScores    = accessNeed{write: scoreTables}
)

// accessDenied is a request whose plugin lacks fields: the first one named
// as PowerSchool does ("No access to field assignment.createdbyplugin",
// lower case), all of them in errors[] so one round trip of
// `psctl plugin access --from-error` fixes the plugin.
type accessDenied struct {
	unauthenticated bool
	write           bool
	missing         []plugin.Field
}

func (e *accessDenied) Error() string {
	if e.unauthenticated {
		return "Unauthorized: send a valid access token from /oauth/access_token as 'Authorization: Bearer <token>'"
	}
	first := strings.ToLower(e.missing[0].Table + "." + e.missing[0].Field)
	if e.write {
		return fmt.Sprintf("No access to field %s: PowerTeacher Pro writes need FullAccess to every column of the tables they write, "+
			"audit columns included; add the %d fields listed in errors[] to plugin.xml's access_request "+
			"(psctl plugin access --from-error, or psctl plugin init --gradebook) and reinstall the plugin", first, len(e.missing))
	}
	return fmt.Sprintf("No access to field %s: PowerTeacher Pro reads need ViewOnly access to the gradebook and category tables; "+
		"add the %d fields listed in errors[] to plugin.xml's access_request (psctl plugin access --from-error) and reinstall the plugin",
		first, len(e.missing))
}

// details lists the missing fields as /ws/xte errors[] entries.
func (e *accessDenied) details() []fieldError {
	out := make([]fieldError, len(e.missing))
	for i, f := range e.missing {
		out[i] = fieldError{Resource: f.Table, Field: f.Field, Code: "missing_field_access", Value: f.Access}
	}
	return out
}

// checkAccess holds the calling plugin's access_request against need. It
// reports the missing write fields first and only then the missing read
// ones, so each 403 asks for one kind of access. Without a Caller lookup
// (the package used on its own) nothing is checked.
func (g *Gradebook) checkAccess(r *http.Request, need accessNeed) *accessDenied {
	if g.opts.Caller == nil {
		return nil
	}
	c, err := g.opts.Caller(r)
	if err != nil || c == nil {
		return &accessDenied{unauthenticated: true}
	}
	if m := missingFields(c, need.write, true); len(m) > 0 {
		return &accessDenied{write: true, missing: m}
	}
	if m := missingFields(c, append(append([]string{}, need.write...), need.read...), false); len(m) > 0 {
		return &accessDenied{missing: m}
	}
	return nil
}

// missingFields lists the gradebook fields of tables the caller lacks:
// with write, those the list gives FullAccess that the caller cannot
// write; otherwise those it cannot read at all (asked for as ViewOnly).
func missingFields(c *pluginaccess.Caller, tables []string, write bool) []plugin.Field {
	if len(tables) == 0 {
		return nil
	}
	var out []plugin.Field
	for _, f := range plugin.GradebookFields(tables...) {
		switch {
		case write && f.Access == plugin.FullAccess && !c.CanWrite(f.Table, f.Field):
			out = append(out, f)
		case !write && !c.CanRead(f.Table, f.Field):
			out = append(out, plugin.Field{Table: f.Table, Field: f.Field, Access: plugin.ViewOnly})
		}
	}
	return out
}

// bearerChallenge is the header of a 401.
var bearerChallenge = http.Header{"Www-Authenticate": {`Bearer realm="PowerSchool"`}}

// xteAccess checks need for a /ws/xte request: nil, or the 401/403 to
// answer.
func (g *Gradebook) xteAccess(r *http.Request, need accessNeed) error {
	d := g.checkAccess(r, need)
	switch {
	case d == nil:
		return nil
	case d.unauthenticated:
		return &respond.Error{Status: http.StatusUnauthorized, Message: d.Error(), Header: bearerChallenge}
	}
	return &respond.Error{Status: http.StatusForbidden, Message: d.Error(), Details: d.details()}
}

// orAccess is xteAccess for OneRoster writes, in the imsx error form.
func (g *Gradebook) orAccess(r *http.Request, need accessNeed) error {
	d := g.checkAccess(r, need)
	switch {
	case d == nil:
		return nil
	case d.unauthenticated:
		return &respond.Error{Status: http.StatusUnauthorized, Minor: "unauthorisedrequest", Message: d.Error(), Header: bearerChallenge}
	}
	names := make([]string, len(d.missing))
	for i, f := range d.missing {
		names[i] = f.Table + "." + f.Field
	}
	return &respond.Error{Status: http.StatusForbidden, Minor: "forbidden", Message: d.Error() + " (fields: " + strings.Join(names, ", ") + ")"}
}

// withAccess wraps a /ws/xte handler with the access check.
func (g *Gradebook) withAccess(need accessNeed, f respond.Func) http.HandlerFunc {
	return xteHandle(func(r *http.Request) (any, error) {
		if err := g.xteAccess(r, need); err != nil {
			return nil, err
		}
		return f(r)
	})
}

// withORAccess wraps a OneRoster write handler with the access check.
func (g *Gradebook) withORAccess(need accessNeed, f respond.Func) http.HandlerFunc {
	return orHandle(func(r *http.Request) (any, error) {
		if err := g.orAccess(r, need); err != nil {
			return nil, err
		}
		return f(r)
	})
}
