package data

import (
	"reflect"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	ps "github.com/pskit/pskit/powerschool"
)

// recordTypes are the SDK models of the list resources, whose JSON tags
// name the fields --fields completes.
var recordTypes = map[string]reflect.Type{
	"schools":     reflect.TypeFor[ps.School](),
	"students":    reflect.TypeFor[ps.Student](),
	"staff":       reflect.TypeFor[ps.Staff](),
	"sections":    reflect.TypeFor[ps.Section](),
	"courses":     reflect.TypeFor[ps.Course](),
	"enrollments": reflect.TypeFor[ps.SectionEnrollment](),
	"terms":       reflect.TypeFor[ps.Term](),
}

// fieldNames are the --fields completions of a resource.
func fieldNames(resource string) []string {
	if t, ok := recordTypes[resource]; ok {
		return cmdutil.FieldNames(t)
	}
	return nil
}
