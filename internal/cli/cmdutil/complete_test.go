package cmdutil

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFieldNames(t *testing.T) {
	type inner struct {
		Last string `json:"last_name"`
	}
	type base struct {
		ID string `json:"sourcedId"`
	}
	type rec struct {
		base
		Name *inner          `json:"name,omitempty"`
		When time.Time       `json:"when"`
		Tags []string        `json:"tags"`
		Raw  json.RawMessage `json:"-"`
		//lint:ignore U1000 an unexported field must not be offered
		private int
		Plain   int
	}
	want := []string{"sourcedId", "name.last_name", "when", "tags", "Plain"}
	if diff := cmp.Diff(want, FieldNames(reflect.TypeFor[rec]())); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCompleteFieldList(t *testing.T) {
	complete := CompleteFieldList([]string{"id", "name.first_name", "name.last_name"})
	got, _ := complete(nil, nil, "id,name.l")
	if diff := cmp.Diff([]string{"id,name.last_name"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	got, _ = complete(nil, nil, "id,")
	if diff := cmp.Diff([]string{"id,name.first_name", "id,name.last_name"}, got); diff != "" {
		t.Errorf("given fields are not offered again (-want +got):\n%s", diff)
	}
}
