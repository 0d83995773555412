package powerquery

import (
	"testing"

	"modernc.org/sqlite"

	"github.com/pskit/pskit/emulator/internal/pluginaccess"
	"github.com/pskit/pskit/plugin"
)

// The authorizer alone, without the translator's text checks, refuses
// everything but reads of granted columns.
func TestPolicyRefusesAllButGrantedReads(t *testing.T) {
	c := &pluginaccess.Caller{Fields: []plugin.Field{{Table: "STUDENTS", Field: "DCID", Access: plugin.ViewOnly}}}
	sc := &schema{tables: map[string]bool{"STUDENTS": true, "CC": true}, views: map[string]viewDeps{}}
	for _, tc := range []struct {
		name   string
		action sqlite.AuthorizerActionCode
		a, b   string
		want   sqlite.AuthorizerReturnCode
	}{
		{"granted column", sqlite.AuthRead, "students", "dcid", sqlite.AuthorizerOK},
		{"ungranted column", sqlite.AuthRead, "STUDENTS", "LAST_NAME", sqlite.AuthorizerDeny},
		{"table read whole", sqlite.AuthRead, "CC", "", sqlite.AuthorizerDeny},
		{"CTE read whole", sqlite.AuthRead, "pq", "", sqlite.AuthorizerOK},
		{"credentials", sqlite.AuthRead, "EMU_OAUTH_CLIENT", "CLIENT_SECRET", sqlite.AuthorizerDeny},
		{"catalogue", sqlite.AuthRead, "sqlite_master", "name", sqlite.AuthorizerDeny},
		{"pragma function", sqlite.AuthRead, "pragma_table_info", "name", sqlite.AuthorizerDeny},
		{"pragma", sqlite.AuthPragma, "table_info", "STUDENTS", sqlite.AuthorizerDeny},
		{"update", sqlite.AuthUpdate, "STUDENTS", "LAST_NAME", sqlite.AuthorizerDeny},
		{"insert", sqlite.AuthInsert, "STUDENTS", "", sqlite.AuthorizerDeny},
		{"attach", sqlite.AuthAttach, "file:/tmp/x.db", "", sqlite.AuthorizerDeny},
		{"transaction", sqlite.AuthTransaction, "BEGIN", "", sqlite.AuthorizerDeny},
		{"select", sqlite.AuthSelect, "", "", sqlite.AuthorizerOK},
		{"function", sqlite.AuthFunction, "", "upper", sqlite.AuthorizerOK},
		{"extension", sqlite.AuthFunction, "", "load_extension", sqlite.AuthorizerDeny},
	} {
		p := &policy{caller: c, schema: sc}
		if got := p.authorize(tc.action, tc.a, tc.b, "main", ""); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	// Core queries skip the grant, never the emulator's own tables.
	core := &policy{schema: sc}
	if core.authorize(sqlite.AuthRead, "STUDENTS", "LAST_NAME", "main", "") != sqlite.AuthorizerOK ||
		core.authorize(sqlite.AuthRead, "EMU_ACCESS_TOKEN", "TOKEN", "main", "") != sqlite.AuthorizerDeny {
		t.Error("a core query's policy is wrong")
	}
}
