package powerquery

import "github.com/pskit/pskit/plugin"

// Builtin are PowerSchool's core named queries the emulator serves to every
// plugin. Their names are PowerSchool's (reference §4.1); their columns and
// arguments are the emulator's reading of what the names promise, except
// sectionEnrollments, whose section_dcid array argument and string-typed
// students.dcid/id/grade_level/student_number are evidenced.
var Builtin = []plugin.NamedQuery{
	{
		Name:      "com.pearson.core.student.student_dcid_id_map",
		CoreTable: "students",
		Summary:   "Student DCID to ID map",
		Columns: []plugin.QueryColumn{
			{Column: "STUDENTS.DCID", Alias: "students.dcid"},
			{Column: "STUDENTS.ID", Alias: "students.id"},
		},
		SQL: `select s.dcid, s.id from students s order by s.dcid`,
	},
	{
		Name:      "com.pearson.core.student.search.get_student_basic_info",
		CoreTable: "students",
		Summary:   "Basic information of every student",
		Columns: []plugin.QueryColumn{
			{Column: "STUDENTS.DCID", Alias: "students.dcid"},
			{Column: "STUDENTS.ID", Alias: "students.id"},
			{Column: "STUDENTS.STUDENT_NUMBER", Alias: "students.student_number"},
			{Column: "STUDENTS.FIRST_NAME", Alias: "students.first_name"},
			{Column: "STUDENTS.MIDDLE_NAME", Alias: "students.middle_name"},
			{Column: "STUDENTS.LAST_NAME", Alias: "students.last_name"},
			{Column: "STUDENTS.GRADE_LEVEL", Alias: "students.grade_level"},
			{Column: "STUDENTS.SCHOOLID", Alias: "students.schoolid"},
			{Column: "STUDENTS.ENROLL_STATUS", Alias: "students.enroll_status"},
		},
		SQL: `select s.dcid, s.id, s.student_number, s.first_name, s.middle_name, s.last_name,
  s.grade_level, s.schoolid, s.enroll_status from students s order by s.dcid`,
	},
	{
		Name:      "com.pearson.core.teachers.sectionEnrollments",
		CoreTable: "students",
		Summary:   "Students enrolled in the given sections",
		Args: []plugin.QueryArg{
			{Name: "section_dcid", Column: "SECTIONS.DCID", Type: "array", Required: true, Description: "DCIDs of the sections"},
		},
		Columns: []plugin.QueryColumn{
			{Column: "STUDENTS.DCID", Alias: "students.dcid"},
			{Column: "STUDENTS.ID", Alias: "students.id"},
			{Column: "STUDENTS.STUDENT_NUMBER", Alias: "students.student_number"},
			{Column: "STUDENTS.FIRST_NAME", Alias: "students.first_name"},
			{Column: "STUDENTS.LAST_NAME", Alias: "students.last_name"},
			{Column: "STUDENTS.GRADE_LEVEL", Alias: "students.grade_level"},
			{Column: "SECTIONS.DCID", Alias: "sections.dcid"},
			{Column: "CC.DATEENROLLED", Alias: "cc.dateenrolled"},
			{Column: "CC.DATELEFT", Alias: "cc.dateleft"},
		},
		SQL: `select s.dcid, s.id, s.student_number, s.first_name, s.last_name, s.grade_level,
  sec.dcid, cc.dateenrolled, cc.dateleft
from sections sec
  join cc on abs(cc.sectionid) = sec.id
  join students s on s.id = cc.studentid
where sec.dcid in (:section_dcid)
order by sec.dcid, s.last_name, s.first_name, s.dcid`,
	},
}
