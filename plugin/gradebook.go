package plugin

import "strings"

// gradebookTable is one table PowerTeacher Pro's /ws/xte reads or writes
// for a plugin, with the columns the plugin's access_request must name.
type gradebookTable struct {
	table   string
	access  string
	columns []string
}

// audit are the columns PowerTeacher Pro fills itself on every write. A
// plugin still needs FullAccess to them: without ASSIGNMENT.CREATEDBYPLUGIN
// the first assignment create answers 403 "No access to field
// assignment.createdbyplugin" (reference oneroster.md §2.4, [live] psd401).
var audit = []string{"WHOCREATED", "WHENCREATED", "WHOMODIFIED", "WHENMODIFIED"}

// gradebookTables is the one list of the fields grade passback through
// /ws/xte needs: FullAccess to every modelled column, audit columns
// included, of the five tables it writes, ViewOnly to the two category
// tables it reads, and ViewOnly to the two tables a client reads ids from.
// The emulator enforces this list for the /ws/xte tables.
var gradebookTables = []gradebookTable{
	{"ASSIGNMENT", FullAccess, append([]string{"ASSIGNMENTID", "STANDARDSCORINGMETHOD", "CREATEDBYPLUGIN"}, audit...)},
	{"ASSIGNMENTSECTION", FullAccess, append([]string{"ASSIGNMENTSECTIONID", "ASSIGNMENTID", "SECTIONSDCID", "NAME",
		"DESCRIPTION", "DUEDATE", "SCORETYPE", "SCOREENTRYPOINTS", "TOTALPOINTVALUE", "EXTRACREDITPOINTS", "WEIGHT",
		"ISCOUNTEDINFINALGRADE", "ISSCORESPUBLISH", "YEARID"}, audit...)},
	{"ASSIGNMENTCATEGORYASSOC", FullAccess, append([]string{"ASSIGNMENTCATEGORYASSOCID", "ASSIGNMENTSECTIONID",
		"TEACHERCATEGORYID", "ISPRIMARY"}, audit...)},
	{"ASSIGNMENTSCORE", FullAccess, append([]string{"ASSIGNMENTSCOREID", "ASSIGNMENTSECTIONID", "STUDENTSDCID",
		"ACTUALSCOREENTERED", "ACTUALSCOREKIND", "SCOREPOINTS", "ISLATE", "ISEXEMPT", "ISMISSING", "ISCOLLECTED",
		"ISABSENT", "ISINCOMPLETE", "SCOREENTRYDATE"}, audit...)},
	{"ASSIGNMENTSCORECOMMENT", FullAccess, append([]string{"ASSIGNMENTSCORECOMMENTID", "ASSIGNMENTSCOREID",
		"COMMENTVALUE"}, audit...)},
	{"TEACHERCATEGORY", ViewOnly, []string{"TEACHERCATEGORYID", "USERSDCID", "NAME", "ISACTIVE", "ISINFINALGRADES",
		"DISTRICTTEACHERCATEGORYID", "YEARID", "COLOR", "DISPLAYPOSITION"}},
	{"DISTRICTTEACHERCATEGORY", ViewOnly, []string{"DISTRICTTEACHERCATEGORYID", "NAME", "ISACTIVE", "ISINFINALGRADES",
		"COLOR"}},
	// Id lookups a passback client makes through the table API: /ws/v1
	// gives a section's teacher as SCHOOLSTAFF.DCID (the teacher is acted
	// for as USERS.DCID) and its term as TERMS.DCID (PUT /ws/xte/score
	// takes TERMS.ID as term_id).
	{"SCHOOLSTAFF", ViewOnly, []string{"DCID", "USERS_DCID"}},
	{"TERMS", ViewOnly, []string{"DCID", "ID"}},
}

// GradebookFields returns the access_request entries PowerTeacher Pro's
// /ws/xte needs for grade passback, for the named tables (all of them when
// none are named), in a stable order. Write tables come with FullAccess,
// the category tables with ViewOnly.
func GradebookFields(tables ...string) []Field {
	var out []Field
	for _, t := range gradebookTables {
		if len(tables) > 0 && !containsFold(tables, t.table) {
			continue
		}
		for _, c := range t.columns {
			out = append(out, Field{Table: t.table, Field: c, Access: t.access})
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
