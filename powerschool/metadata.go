package powerschool

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

const metadataPath = "/ws/v1/metadata"

// Metadata is GET /ws/v1/metadata: the server's versions and the calling
// plugin's ID and maximum page sizes.
type Metadata struct {
	PluginID                     FlexInt    `json:"plugin_id"`
	PowerSchoolVersion           string     `json:"powerschool_version"`
	PowerTeacherVersion          string     `json:"powerteacher_version,omitempty"`
	StateReportingVersion        string     `json:"state_reporting_version,omitempty"`
	MobileAPIVersion             string     `json:"mobile_api_version,omitempty"`
	State                        string     `json:"state,omitempty"`
	DistrictTimezone             string     `json:"district_timezone,omitempty"`
	DistrictUUID                 string     `json:"district_uuid,omitempty"`
	CourseMaxPageSize            FlexInt    `json:"course_max_page_size"`
	SchoolMaxPageSize            FlexInt    `json:"school_max_page_size"`
	SectionMaxPageSize           FlexInt    `json:"section_max_page_size"`
	SectionEnrollmentMaxPageSize FlexInt    `json:"section_enrollment_max_page_size"`
	StaffMaxPageSize             FlexInt    `json:"staff_max_page_size"`
	StudentMaxPageSize           FlexInt    `json:"student_max_page_size"`
	TermMaxPageSize              FlexInt    `json:"term_max_page_size"`
	SchemaTableQueryMaxPageSize  FlexInt    `json:"schema_table_query_max_page_size"`
	SSOEnabledAdmin              FlexBool   `json:"sso_enabled_admin"`
	SSOEnabledGuardian           FlexBool   `json:"sso_enabled_guardian"`
	SSOEnabledStudent            FlexBool   `json:"sso_enabled_student"`
	SSOEnabledTeacher            FlexBool   `json:"sso_enabled_teacher"`
	Raw                          RawMessage `json:"-"`
}

// RawMessage is a record's JSON exactly as PowerSchool sent it.
type RawMessage = json.RawMessage

func decodeMetadata(r io.Reader) (*Metadata, error) {
	var env struct {
		Metadata json.RawMessage `json:"metadata"`
	}
	if err := json.NewDecoder(r).Decode(&env); err != nil {
		return nil, fmt.Errorf("powerschool: GET %s: the answer is not the expected JSON: %w", metadataPath, err)
	}
	md := &Metadata{}
	if len(env.Metadata) == 0 || isEmptyValue(env.Metadata) {
		return md, nil
	}
	if err := json.Unmarshal(env.Metadata, md); err != nil {
		return nil, fmt.Errorf("powerschool: GET %s: the metadata is not as expected: %w", metadataPath, err)
	}
	md.Raw = env.Metadata
	return md, nil
}

// Metadata fetches /ws/v1/metadata (and refreshes the copy the list
// iterators use for page sizes).
func (c *Client) Metadata(ctx context.Context) (*Metadata, error) {
	resp, err := c.send(ctx, &request{method: http.MethodGet, path: metadataPath})
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	md, err := decodeMetadata(resp.Body)
	if err != nil {
		return nil, err
	}
	c.setMetadata(md)
	return md, nil
}

func (c *Client) setMetadata(md *Metadata) {
	c.metaMu.Lock()
	c.meta = md
	c.metaMu.Unlock()
}

// cachedMetadata returns the metadata, reading it once per client.
func (c *Client) cachedMetadata(ctx context.Context) (*Metadata, error) {
	c.metaMu.Lock()
	md := c.meta
	c.metaMu.Unlock()
	if md != nil {
		return md, nil
	}
	return c.Metadata(ctx)
}

// District is GET /ws/v1/district.
type District struct {
	UUID           string     `json:"uuid,omitempty"`
	Name           string     `json:"name,omitempty"`
	DistrictNumber FlexString `json:"district_number,omitempty"`
	Raw            RawMessage `json:"-"`
}

// District fetches the district record. Raw holds every field, including
// expansions such as addresses and phones.
func (c *Client) District(ctx context.Context, expansions ...string) (*District, error) {
	var env struct {
		District json.RawMessage `json:"district"`
	}
	q := make(map[string][]string)
	if len(expansions) > 0 {
		q["expansions"] = []string{strings.Join(expansions, ",")}
	}
	if err := c.do(ctx, &request{method: http.MethodGet, path: "/ws/v1/district", query: q}, &env); err != nil {
		return nil, err
	}
	d := &District{}
	if len(env.District) > 0 {
		if err := json.Unmarshal(env.District, d); err != nil {
			return nil, fmt.Errorf("powerschool: GET /ws/v1/district: the district record is not as expected: %w", err)
		}
		d.Raw = env.District
	}
	return d, nil
}

func trimSpace(s string) string { return strings.TrimSpace(s) }
