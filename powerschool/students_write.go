package powerschool

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// StudentWrite is one record of a bulk POST /ws/v1/student.
type StudentWrite struct {
	// ClientUID identifies the record in the answer; PowerSchool echoes it.
	ClientUID string
	// Action is "INSERT" or "UPDATE".
	Action string
	// ID is the student's DCID, required for UPDATE.
	ID int64
	// Fields are the student's fields as PowerSchool names them, e.g.
	// {"name": {"first_name": "Ada"}, "school_enrollment": {...},
	// "_extension_data": {"_table_extension": {...}}}.
	Fields map[string]any
}

// MarshalJSON implements json.Marshaler.
func (w StudentWrite) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(w.Fields)+3)
	for k, v := range w.Fields {
		m[k] = v
	}
	m["client_uid"] = w.ClientUID
	m["action"] = strings.ToUpper(w.Action)
	if w.ID != 0 {
		m["id"] = strconv.FormatInt(w.ID, 10)
	}
	return json.Marshal(m)
}

// BulkResult is PowerSchool's answer to a bulk student write.
type BulkResult struct {
	InsertCount FlexInt                `json:"insert_count"`
	UpdateCount FlexInt                `json:"update_count"`
	DeleteCount FlexInt                `json:"delete_count"`
	Results     List[BulkRecordResult] `json:"result"`
}

// BulkRecordResult is the outcome for one record.
type BulkRecordResult struct {
	ClientUID      FlexString `json:"client_uid"`
	Status         string     `json:"status"` // SUCCESS or ERROR
	Action         string     `json:"action"`
	SuccessMessage *struct {
		ID  FlexInt `json:"id"`
		Ref string  `json:"ref"`
	} `json:"success_message,omitempty"`
	ErrorMessage *struct {
		Error List[BulkRecordError] `json:"error"`
	} `json:"error_message,omitempty"`
}

// ID is the student's DCID on success.
func (r *BulkRecordResult) ID() int64 {
	if r.SuccessMessage == nil {
		return 0
	}
	return int64(r.SuccessMessage.ID)
}

// Err is nil on success and describes the failure otherwise.
func (r *BulkRecordResult) Err() error {
	if strings.EqualFold(r.Status, "SUCCESS") {
		return nil
	}
	var msgs []string
	if r.ErrorMessage != nil {
		for _, e := range r.ErrorMessage.Error {
			msgs = append(msgs, e.Error())
		}
	}
	if len(msgs) == 0 {
		msgs = append(msgs, "status "+r.Status)
	}
	return fmt.Errorf("client_uid %s: %s failed: %s", r.ClientUID, r.Action, strings.Join(msgs, "; "))
}

// BulkRecordError is one validation error of a record.
type BulkRecordError struct {
	Field       string `json:"field"`
	Code        string `json:"error_code"`
	Description string `json:"error_description"`
}

func (e BulkRecordError) Error() string {
	return fmt.Sprintf("%s: %s (%s)", e.Field, e.Code, e.Description)
}

// BulkWriteError lists the records PowerSchool refused (it answers HTTP 200
// even then).
type BulkWriteError struct {
	Failed []BulkRecordResult
	Total  int
}

func (e *BulkWriteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "powerschool: POST /ws/v1/student: %d of %d records failed", len(e.Failed), e.Total)
	for i, r := range e.Failed {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(e.Failed)-5)
			break
		}
		b.WriteString("; ")
		b.WriteString(r.Err().Error())
	}
	return b.String() + "; fix those records and send them again"
}

// Write inserts and updates students in one bulk request. Extension tables
// named in the records' _extension_data are added to the ?extensions=
// parameter automatically (without it PowerSchool silently ignores them).
// When any record fails, the result is returned with a *BulkWriteError.
func (s *StudentsService) Write(ctx context.Context, records []StudentWrite) (*BulkResult, error) {
	if len(records) == 0 {
		return &BulkResult{}, nil
	}
	body, err := encodeBody(map[string]any{"students": map[string]any{"student": records}})
	if err != nil {
		return nil, fmt.Errorf("powerschool: POST /ws/v1/student: encoding the records: %w", err)
	}
	q := url.Values{}
	if ext := extensionTables(records); len(ext) > 0 {
		q.Set("extensions", strings.Join(ext, ","))
	}
	var res struct {
		Results BulkResult `json:"results"`
	}
	if err := s.c.do(ctx, &request{method: "POST", path: "/ws/v1/student", query: q, body: body}, &res); err != nil {
		return nil, err
	}
	out := &res.Results
	var failed []BulkRecordResult
	for _, r := range out.Results {
		if r.Err() != nil {
			failed = append(failed, r)
		}
	}
	if len(failed) > 0 {
		return out, &BulkWriteError{Failed: failed, Total: len(records)}
	}
	return out, nil
}

func extensionTables(records []StudentWrite) []string {
	var names []string
	for _, r := range records {
		v, ok := r.Fields["_extension_data"]
		if !ok {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			continue
		}
		var ed ExtensionData
		if json.Unmarshal(b, &ed) != nil {
			continue
		}
		for _, t := range ed.Tables {
			if n := strings.ToLower(t.Name); n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}
