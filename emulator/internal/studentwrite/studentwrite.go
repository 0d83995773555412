// Package studentwrite serves POST /ws/v1/student, PowerSchool's bulk
// student insert and update (reference §3.7): every record gets its own
// result, validation failures included, and the answer is HTTP 200
// whenever the envelope itself was readable.
package studentwrite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pskit/pskit/emulator/internal/pluginaccess"
	"github.com/pskit/pskit/emulator/internal/respond"
	"github.com/pskit/pskit/emulator/internal/store"
)

// errRejected rolls back a write whose fields were refused.
var errRejected = errors.New("rejected")

// maxBody bounds a bulk request.
const maxBody = 8 << 20

// Handler serves POST /ws/v1/student.
type Handler struct {
	st     *store.Store // writes go through st.Write, one at a time, so new DCIDs (max+1) never collide
	lookup pluginaccess.Lookup
}

// New returns the handler over the store's database. lookup identifies the
// calling plugin; a request without one gets 401.
func New(st *store.Store, lookup pluginaccess.Lookup) *Handler {
	return &Handler{st: st, lookup: lookup}
}

// fieldError is one entry of error_message.error.
type fieldError struct {
	Field       string `json:"field"`
	Code        string `json:"error_code"`
	Description string `json:"error_description"`
}

type successMessage struct {
	ID  int64  `json:"id"`
	Ref string `json:"ref"`
}

type result struct {
	ClientUID any             `json:"client_uid,omitempty"`
	Status    string          `json:"status"`
	Action    string          `json:"action"`
	Success   *successMessage `json:"success_message,omitempty"`
	Error     *struct {
		Error any `json:"error"` // one fieldError, or a list of several
	} `json:"error_message,omitempty"`
}

type results struct {
	Results struct {
		InsertCount int `json:"insert_count"`
		UpdateCount int `json:"update_count"`
		DeleteCount int `json:"delete_count"`
		Result      any `json:"result"` // one result, or a list of several
	} `json:"results"`
}

// Mount registers POST /ws/v1/student on mux, wrapped by wrap (nil for
// none); the only declaration of the route.
func (h *Handler) Mount(mux *http.ServeMux, wrap func(http.HandlerFunc) http.HandlerFunc) {
	pluginaccess.Handle(mux, wrap, "POST /ws/v1/student", h.lookup.Require(func(w http.ResponseWriter, r *http.Request, c *pluginaccess.Caller) {
		respond.Schema.Handle(func(r *http.Request) (any, error) { return h.serve(r, c) })(w, r)
	}))
}

// serve answers a bulk write: the results of each student, in the
// /ws/schema dialect (its errors have the same shape).
func (h *Handler) serve(r *http.Request, c *pluginaccess.Caller) (any, error) {
	if !strings.EqualFold(c.AccessLevelV1, "FULL") {
		level := c.AccessLevelV1
		if level == "" {
			level = "NONE"
		}
		return nil, pluginaccess.Errorf(http.StatusForbidden, fmt.Sprintf("plugin %d has accessLevelV1Api %s; writing students needs <oauth accessLevelV1Api=\"FULL\"/> in plugin.xml", c.PluginID, level))
	}
	students, err := readEnvelope(r)
	if err != nil {
		return nil, pluginaccess.Errorf(http.StatusBadRequest, err.Error())
	}
	exts := map[string]bool{}
	for _, e := range strings.Split(pluginaccess.Query(r).Get("extensions"), ",") {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			exts[e] = true
		}
	}
	base := baseURL(r)
	var out results
	list := make([]result, 0, len(students))
	for _, s := range students {
		res := h.apply(r.Context(), s, exts, base)
		if res.Status == "SUCCESS" {
			if res.Action == "INSERT" {
				out.Results.InsertCount++
			} else {
				out.Results.UpdateCount++
			}
		}
		list = append(list, res)
	}
	if len(list) == 1 {
		out.Results.Result = list[0]
	} else {
		out.Results.Result = list
	}
	return out, nil
}

const envelopeHint = `send {"students":{"student":[{"client_uid":"1","action":"INSERT","name":{...},...}]}}`

func readEnvelope(r *http.Request) ([]map[string]any, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body: %v", err)
	}
	if len(data) > maxBody {
		return nil, fmt.Errorf("the body is larger than %d bytes; send fewer students per request", maxBody)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var env struct {
		Students *struct {
			Student json.RawMessage `json:"student"`
		} `json:"students"`
	}
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("the body is not valid JSON (%v); %s", err, envelopeHint)
	}
	if env.Students == nil || len(env.Students.Student) == 0 {
		return nil, fmt.Errorf("the body has no students.student; %s", envelopeHint)
	}
	decodeAny := func(raw []byte, v any) error {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		return d.Decode(v)
	}
	raw := bytes.TrimSpace(env.Students.Student)
	if raw[0] == '{' {
		var one map[string]any
		if err := decodeAny(raw, &one); err != nil {
			return nil, fmt.Errorf("students.student is not a valid object (%v); %s", err, envelopeHint)
		}
		return []map[string]any{one}, nil
	}
	var many []map[string]any
	if err := decodeAny(raw, &many); err != nil {
		return nil, fmt.Errorf("students.student must be an object or a list of objects (%v); %s", err, envelopeHint)
	}
	if len(many) == 0 {
		return nil, fmt.Errorf("students.student is empty; %s", envelopeHint)
	}
	return many, nil
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// clientUID echoes client_uid as a number, as PowerSchool does, when it is
// one.
func clientUID(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		return t
	case string:
		if i, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64); err == nil {
			return i
		}
		return t
	}
	return nil
}

func (h *Handler) apply(ctx context.Context, s map[string]any, exts map[string]bool, base string) result {
	res := result{ClientUID: clientUID(s["client_uid"]), Action: strings.ToUpper(strings.TrimSpace(str(s["action"])))}
	fail := func(errs ...fieldError) result {
		res.Status = "ERROR"
		res.Error = &struct {
			Error any `json:"error"`
		}{}
		if len(errs) == 1 {
			res.Error.Error = errs[0]
		} else {
			res.Error.Error = errs
		}
		return res
	}
	if res.Action != "INSERT" && res.Action != "UPDATE" {
		return fail(fieldError{"student/action", "INVALID_ACTION", "Action must be INSERT or UPDATE."})
	}
	ch, errs := changes(s, res.Action == "INSERT")
	if len(errs) > 0 {
		return fail(errs...)
	}
	extRows, errs := extensionChanges(s, exts)
	if len(errs) > 0 {
		return fail(errs...)
	}

	var dcid int64
	err := h.st.Write(ctx, func(tx *sql.Tx) error {
		if res.Action == "INSERT" {
			dcid, errs = insert(ctx, tx, ch)
		} else {
			dcid, errs = update(ctx, tx, s["id"], ch)
		}
		if len(errs) == 0 {
			errs = writeExtensions(ctx, tx, dcid, extRows)
		}
		if len(errs) > 0 {
			return errRejected
		}
		return nil
	})
	if len(errs) > 0 {
		return fail(errs...)
	}
	if err != nil {
		return fail(fieldError{"student", "SERVER_ERROR", "The emulator could not save the student: " + err.Error()})
	}
	res.Status = "SUCCESS"
	res.Success = &successMessage{ID: dcid, Ref: fmt.Sprintf("%s/ws/v1/student/%d", base, dcid)}
	return res
}

func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	return ""
}

func insert(ctx context.Context, tx *sql.Tx, ch *change) (int64, []fieldError) {
	var dcid, id, number int64
	if err := tx.QueryRowContext(ctx, `SELECT IFNULL(MAX(DCID),0)+1, IFNULL(MAX(ID),0)+1, IFNULL(MAX(STUDENT_NUMBER),0)+1 FROM STUDENTS`).Scan(&dcid, &id, &number); err != nil {
		return 0, []fieldError{{"student", "SERVER_ERROR", err.Error()}}
	}
	if _, ok := ch.cols["STUDENT_NUMBER"]; !ok {
		ch.set("STUDENT_NUMBER", number)
	}
	if _, ok := ch.cols["ENROLL_STATUS"]; !ok {
		ch.set("ENROLL_STATUS", int64(0))
	}
	ch.set("DCID", dcid)
	ch.set("ID", id)
	if errs := ch.checkSchool(ctx, tx); len(errs) > 0 {
		return 0, errs
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ch.order)), ", ")
	vals := make([]any, len(ch.order))
	for i, c := range ch.order {
		vals[i] = ch.cols[c]
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO STUDENTS (`+strings.Join(ch.order, ", ")+`) VALUES (`+marks+`)`, vals...); err != nil {
		return 0, []fieldError{{"student", "SERVER_ERROR", "The student could not be inserted: " + err.Error()}}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE STUDENTS SET LASTFIRST = LAST_NAME || ', ' || FIRST_NAME WHERE DCID = ?`, dcid); err != nil {
		return 0, []fieldError{{"student", "SERVER_ERROR", err.Error()}}
	}
	return dcid, nil
}

func update(ctx context.Context, tx *sql.Tx, rawID any, ch *change) (int64, []fieldError) {
	dcid, ok := intOf(rawID)
	if !ok {
		return 0, []fieldError{{"student/id", "REQUIRED_ID", "The id of the student to update is required."}}
	}
	var exists int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM STUDENTS WHERE DCID = ?`, dcid).Scan(&exists)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, []fieldError{{"student/id", "INVALID_ID", fmt.Sprintf("No student has id %d.", dcid)}}
	}
	if err != nil {
		return 0, []fieldError{{"student", "SERVER_ERROR", err.Error()}}
	}
	if errs := ch.checkSchool(ctx, tx); len(errs) > 0 {
		return 0, errs
	}
	if len(ch.order) > 0 {
		sets := make([]string, len(ch.order))
		vals := make([]any, len(ch.order))
		for i, c := range ch.order {
			sets[i], vals[i] = c+" = ?", ch.cols[c]
		}
		if _, err := tx.ExecContext(ctx, `UPDATE STUDENTS SET `+strings.Join(sets, ", ")+` WHERE DCID = ?`, append(vals, dcid)...); err != nil {
			return 0, []fieldError{{"student", "SERVER_ERROR", "The student could not be updated: " + err.Error()}}
		}
		// SET expressions see the old row, so LASTFIRST follows in a second step.
		if _, err := tx.ExecContext(ctx, `UPDATE STUDENTS SET LASTFIRST = IFNULL(LAST_NAME,'') || ', ' || IFNULL(FIRST_NAME,'') WHERE DCID = ?`, dcid); err != nil {
			return 0, []fieldError{{"student", "SERVER_ERROR", err.Error()}}
		}
	}
	return dcid, nil
}

func intOf(v any) (int64, bool) {
	switch t := v.(type) {
	case json.Number:
		i, err := t.Int64()
		return i, err == nil
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
		return i, err == nil
	}
	return 0, false
}

// parseDate accepts the two forms PowerSchool takes, YYYY-MM-DD and
// MM/DD/YYYY, and returns the store's YYYY-MM-DD.
func parseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "01/02/2006", "1/2/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}
