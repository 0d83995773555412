package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testSecret = "s3cr3t-VALUE-never-printed"

func validRegistration() RegistrationRequest {
	return RegistrationRequest{
		ServerURL: "https://district.powerschool.com", PluginName: "Roster Sync", PluginVersion: "1.0.0",
		PluginID: "42", ClientID: "0f9c7f2e-client", ClientSecret: testSecret, CallbackData: "licence=7",
		Parameters: map[string]string{"region": "eu"},
	}
}

func TestRegistrationJSONRoundTrip(t *testing.T) {
	want := validRegistration()
	data, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"server_url"`, `"plugin_name"`, `"plugin_version"`, `"plugin_id":"42"`, `"client_id"`, `"client_secret"`, `"callback_data"`, `"parameters"`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("JSON lacks %s: %s", key, data)
		}
	}
	got, err := DecodeRegistrationRequest(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestDecodeRegistrationRequest(t *testing.T) {
	got, err := DecodeRegistrationRequest(strings.NewReader(`{"server_url":"http://127.0.0.1:8080","plugin_name":"P","plugin_id":17,"client_id":"c","client_secret":"s","extra":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if got.PluginID != "17" || got.ServerURL != "http://127.0.0.1:8080" {
		t.Errorf("got %v", got)
	}
	for _, tt := range []struct{ body, want string }{
		{"", "the body is empty"},
		{"{", "ends early"},
		{"[1]", "must be a JSON object"},
		{`{"plugin_name":5}`, `field "plugin_name" should be a string`},
		{`{"plugin_id":1.5}`, "plugin_id must be a string or an integer"},
		{`{"plugin_id":{}}`, "plugin_id must be a string or an integer"},
		{`{} {}`, "unexpected data"},
		{`{"client_secret":"` + strings.Repeat("a", MaxRegistrationSize) + `"}`, "larger than"},
		{`{"client_secret":` + testSecret + `}`, "invalid JSON at byte"},
	} {
		_, err := DecodeRegistrationRequest(strings.NewReader(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("body %.40q: err = %v, want %q", tt.body, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), testSecret) {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

func TestDecodeRegistrationForm(t *testing.T) {
	v := url.Values{"server_url": {"https://ps.example.net"}, "plugin_name": {"P"}, "plugin_id": {"3"},
		"client_id": {"c"}, "client_secret": {"s"}, "parameter.region": {"eu"}}
	got := DecodeRegistrationForm(v)
	if got.ClientSecret != "s" || got.Parameters["region"] != "eu" || got.Validate() != nil {
		t.Errorf("got %v, validate %v", got, got.Validate())
	}
}

func TestRegistrationValidate(t *testing.T) {
	if err := (RegistrationRequest{}).Validate(); err == nil {
		t.Fatal("empty request validated")
	} else {
		for _, want := range []string{"server_url is missing", "plugin_name is missing", "plugin_id is missing", "client_id is missing", "client_secret is missing"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err lacks %q: %v", want, err)
			}
		}
	}
	for _, tt := range []struct {
		edit func(*RegistrationRequest)
		want string
	}{
		{func(r *RegistrationRequest) { r.ServerURL = "district.powerschool.com" }, "absolute http:// or https://"},
		{func(r *RegistrationRequest) { r.ServerURL = "ftp://district.powerschool.com" }, "absolute http:// or https://"},
		{func(r *RegistrationRequest) { r.ServerURL = "https://admin:pw@district.powerschool.com" }, "user name or password"},
		{func(r *RegistrationRequest) { r.ServerURL = "https://district.powerschool.com/?x=1" }, "query or fragment"},
		{func(r *RegistrationRequest) { r.ClientID = "  " }, "client_id is missing"},
		{func(r *RegistrationRequest) { r.ClientSecret = "a b" }, "client_secret contains whitespace"},
		{func(r *RegistrationRequest) { r.PluginName = strings.Repeat("p", 41) }, "at most 40"},
	} {
		r := validRegistration()
		tt.edit(&r)
		err := r.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want %q", err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), r.ClientSecret) && r.ClientSecret != "" {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

func TestRegistrationNeverPrintsSecret(t *testing.T) {
	r := validRegistration()
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10v", "%-30s"} {
		outputs = append(outputs, fmt.Sprintf(verb, r), fmt.Sprintf(verb, &r), fmt.Sprintf(verb, []RegistrationRequest{r}),
			fmt.Sprintf(verb, struct{ Req RegistrationRequest }{r}))
	}
	outputs = append(outputs, r.String(), r.GoString(), fmt.Sprint(r), fmt.Sprintln(r))
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("registered", "req", r)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("registered", "req", r, "ptr", &r)
	outputs = append(outputs, logs.String())
	for _, out := range outputs {
		if strings.Contains(out, testSecret) || strings.Contains(out, fmt.Sprintf("%x", testSecret)) {
			t.Errorf("output leaks the secret: %s", out)
		}
	}
	if !strings.Contains(r.String(), "client_secret=[REDACTED]") || !strings.Contains(r.String(), "0f9c7f2e-client") {
		t.Errorf("String() = %s", r)
	}
	if !strings.Contains(logs.String(), "client_secret_set=true") {
		t.Errorf("slog output should say the secret is set: %s", logs.String())
	}
}
