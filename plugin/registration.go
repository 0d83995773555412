package plugin

// This file defines the Registration Request: what PowerSchool sends to a
// plugin's <registration url> when the plugin is installed. PowerSchool's
// real payload is not public (reference §6.2 and §9 item 7), so this is
// pskit's own definition, kept in this one file so that it can be
// corrected in one place when the real one is known. The emulator sends
// it and `psctl register listen` receives it.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// RegistrationRequest carries a plugin's credentials to the vendor. It is
// sent as a JSON object with the snake_case names in the tags, by POST,
// with Content-Type application/json. A 2xx reply means accepted.
//
// Printing it (fmt verbs, slog) never shows ClientSecret; only
// encoding/json, for the wire, includes it.
type RegistrationRequest struct {
	ServerURL     string `json:"server_url"` // the PowerSchool server, e.g. https://district.powerschool.com
	PluginName    string `json:"plugin_name"`
	PluginVersion string `json:"plugin_version,omitempty"`
	PluginID      string `json:"plugin_id"`
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret"`
	CallbackData  string `json:"callback_data,omitempty"` // <registration><callback-data> from plugin.xml
	// Parameters are the <registration><parameter name> values, if any.
	Parameters map[string]string `json:"parameters,omitempty"`
}

// Registration content types a receiver accepts.
const (
	RegistrationContentType = "application/json"
	registrationFormType    = "application/x-www-form-urlencoded"
)

// MaxRegistrationSize bounds a Registration Request body.
const MaxRegistrationSize = 64 << 10

// DecodeRegistrationRequest reads one JSON Registration Request from r,
// reading at most MaxRegistrationSize bytes. plugin_id may be a JSON
// string or number. It does not validate; call Validate.
func DecodeRegistrationRequest(r io.Reader) (RegistrationRequest, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxRegistrationSize+1))
	if err != nil {
		return RegistrationRequest{}, fmt.Errorf("registration request: reading the body: %w", err)
	}
	if len(data) > MaxRegistrationSize {
		return RegistrationRequest{}, fmt.Errorf("registration request: body is larger than %d bytes", MaxRegistrationSize)
	}
	var wire struct {
		RegistrationRequest
		PluginID json.RawMessage `json:"plugin_id"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&wire); err != nil {
		return RegistrationRequest{}, fmt.Errorf("registration request: cannot decode the body: %s", jsonProblem(err))
	}
	if dec.More() {
		return RegistrationRequest{}, errors.New("registration request: unexpected data after the JSON object")
	}
	req := wire.RegistrationRequest
	if id, err := flexibleID(wire.PluginID); err != nil {
		return RegistrationRequest{}, fmt.Errorf("registration request: plugin_id %w", err)
	} else {
		req.PluginID = id
	}
	return req, nil
}

// jsonProblem describes a decoding error without echoing field values,
// which could include the secret.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field == "" {
		return "the body must be a JSON object, not a JSON " + te.Value
	}
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q should be a %s, not a JSON %s", strings.TrimPrefix(te.Field, "RegistrationRequest."), te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	if errors.Is(err, io.EOF) {
		return "the body is empty"
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the JSON ends early"
	}
	return "it could not be decoded"
}

// flexibleID accepts a JSON string or integer.
func flexibleID(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if _, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
			return n.String(), nil
		}
	}
	return "", errors.New("must be a string or an integer")
}

// DecodeRegistrationForm reads a form-encoded Registration Request with
// the same field names as the JSON form (parameters as parameter.NAME).
func DecodeRegistrationForm(v url.Values) RegistrationRequest {
	req := RegistrationRequest{
		ServerURL: v.Get("server_url"), PluginName: v.Get("plugin_name"), PluginVersion: v.Get("plugin_version"),
		PluginID: v.Get("plugin_id"), ClientID: v.Get("client_id"), ClientSecret: v.Get("client_secret"),
		CallbackData: v.Get("callback_data"),
	}
	for k := range v {
		if name, ok := strings.CutPrefix(k, "parameter."); ok {
			if req.Parameters == nil {
				req.Parameters = map[string]string{}
			}
			req.Parameters[name] = v.Get(k)
		}
	}
	return req
}

// Validate names every missing or malformed field, joined into one error
// (nil when the request is complete). It never quotes the secret.
func (r RegistrationRequest) Validate() error {
	var errs []error
	switch u, err := url.Parse(r.ServerURL); {
	case r.ServerURL == "":
		errs = append(errs, errors.New("server_url is missing"))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, fmt.Errorf("server_url %q must be an absolute http:// or https:// URL", r.ServerURL))
	case u.User != nil:
		errs = append(errs, errors.New("server_url must not contain a user name or password"))
	case u.RawQuery != "" || u.Fragment != "":
		errs = append(errs, fmt.Errorf("server_url %q must not have a query or fragment", u.Redacted()))
	}
	required := []struct{ name, value string }{
		{"plugin_name", r.PluginName}, {"plugin_id", r.PluginID}, {"client_id", r.ClientID}, {"client_secret", r.ClientSecret},
	}
	for _, f := range required {
		if strings.TrimSpace(f.value) == "" {
			errs = append(errs, fmt.Errorf("%s is missing", f.name))
		}
	}
	for _, f := range []struct{ name, value string }{{"plugin_id", r.PluginID}, {"client_id", r.ClientID}, {"client_secret", r.ClientSecret}} {
		if strings.ContainsAny(f.value, " \t\r\n") && strings.TrimSpace(f.value) != "" {
			errs = append(errs, fmt.Errorf("%s contains whitespace", f.name))
		}
	}
	if len(r.PluginName) > 40 {
		errs = append(errs, fmt.Errorf("plugin_name is %d characters; PowerSchool plugin names have at most 40", len(r.PluginName)))
	}
	return errors.Join(errs...)
}

const redacted = "[REDACTED]"

// String describes the request without the client secret.
func (r RegistrationRequest) String() string {
	secret := ""
	if r.ClientSecret != "" {
		secret = redacted
	}
	return fmt.Sprintf("RegistrationRequest{server_url=%s plugin_name=%q plugin_version=%q plugin_id=%q client_id=%q client_secret=%s callback_data=%q parameters=%d}",
		r.ServerURL, r.PluginName, r.PluginVersion, r.PluginID, r.ClientID, secret, r.CallbackData, len(r.Parameters))
}

// GoString is String, so %#v does not show the secret either.
func (r RegistrationRequest) GoString() string { return r.String() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %x, %d...) print the
// redacted String rather than the fields.
func (r RegistrationRequest) Format(f fmt.State, verb rune) {
	s := r.String()
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	io.WriteString(f, s)
}

// LogValue makes slog record the request without the secret.
func (r RegistrationRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("server_url", r.ServerURL),
		slog.String("plugin_name", r.PluginName),
		slog.String("plugin_version", r.PluginVersion),
		slog.String("plugin_id", r.PluginID),
		slog.String("client_id", r.ClientID),
		slog.Bool("client_secret_set", r.ClientSecret != ""),
	)
}

// RegistrationReply is the JSON body a receiver answers with: on success
// Status "registered"; on failure Error says what was wrong.
type RegistrationReply struct {
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}
