package powerschool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestPowerQueryForms(t *testing.T) {
	f := newFakePS(t)
	var lastBody map[string]any
	var lastQuery string
	f.handle("POST /ws/schema/query/{name}", func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&lastBody)
		lastQuery = r.URL.RawQuery
		switch r.PathValue("name") {
		case "com.x.grouped":
			fmt.Fprint(w, `{"name":"Students","count":2,"record":[{"id":3328,"name":"Students","tables":{"students":{"dcid":"3328","last_name":"Ada"}}},{"id":"3329","name":"Students","tables":{"students":{"dcid":3329,"last_name":"Bo"}}}],"@extensions":""}`)
		case "com.x.flat":
			fmt.Fprint(w, `{"name":"Person","record":{"_id":12345,"_name":"Person","person_id":"12345","person_firstname":"John"},"@extensions":"personcorefields"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	f.handle("POST /ws/schema/query/{name}/count", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"count":"707625"}`)
	})
	c := f.client()
	ctx := context.Background()
	res, err := c.PowerQuery(ctx, "com.x.grouped", &PowerQuery{
		Args: map[string]any{"studentnumber": 1012973}, Q: "students.grade_level=ge=8",
		Projection: []string{"students.dcid", "students.last_name"}, Order: "students.last_name;desc", Count: true, Page: 2, PageSize: 50,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count == nil || *res.Count != 2 || len(res.Records) != 2 {
		t.Fatalf("result = %+v", res)
	}
	if v, _ := res.Records[0].Value("students.last_name"); v != "Ada" {
		t.Errorf("students.last_name = %q", v)
	}
	if v, _ := res.Records[1].Value("DCID"); v != "3329" || res.Records[1].ID != 3329 {
		t.Errorf("dcid = %q, id %d", v, res.Records[1].ID)
	}
	if lastBody["$q"] != "students.grade_level=ge=8" || lastBody["projection"] != "students.dcid;students.last_name" || lastBody["studentnumber"] != 1012973.0 {
		t.Errorf("body = %v", lastBody)
	}
	for _, want := range []string{"count=true", "page=2", "pagesize=50", "order=students.last_name%3Bdesc"} {
		if !strings.Contains(lastQuery, want) {
			t.Errorf("query %q lacks %q", lastQuery, want)
		}
	}
	flat, err := c.PowerQuery(ctx, "com.x.flat", nil)
	if err != nil || len(flat.Records) != 1 || flat.Records[0].ID != 12345 || flat.Records[0].Name != "Person" {
		t.Fatalf("flat = %+v, %v", flat, err)
	}
	if v, ok := flat.Records[0].Value("person_firstname"); !ok || v != "John" {
		t.Errorf("person_firstname = %q", v)
	}
	if n, err := c.PowerQueryCount(ctx, "com.x.grouped", nil); err != nil || n != 707625 {
		t.Errorf("count = %d, %v", n, err)
	}
	if _, err := c.PowerQuery(ctx, "missing", nil); !IsNotFound(err) {
		t.Errorf("unknown query: %v", err)
	}
	if _, err := c.PowerQuery(ctx, "../etc", nil); err == nil {
		t.Error("a name with a slash was accepted")
	}
}

func TestPowerQueryRecordsStreamingAndPaged(t *testing.T) {
	f := newFakePS(t)
	const rows = 2345
	var mu sync.Mutex
	var requests []string
	f.handle("POST /ws/schema/query/com.x.all/count", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"count":%d}`, rows)
	})
	f.handle("POST /ws/schema/query/com.x.all", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		requests = append(requests, r.URL.RawQuery)
		mu.Unlock()
		size, _ := strconv.Atoi(r.URL.Query().Get("pagesize"))
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if size > 100 { // above the plugin's maximum
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		lo, hi := 1, rows
		if size > 0 {
			lo, hi = (page-1)*size+1, min(page*size, rows)
		}
		fmt.Fprint(w, `{"name":"all","@extensions":"","record":[`)
		for i := lo; i <= hi; i++ {
			if i > lo {
				fmt.Fprint(w, ",")
			}
			fmt.Fprintf(w, `{"_id":%d,"_name":"all","n":"%d"}`, i, i)
		}
		fmt.Fprint(w, `],"count":1}`)
	})
	c := f.client()
	for _, size := range []int{0, 500} {
		requests = nil
		i := 0
		for r, err := range c.PowerQueryRecords(context.Background(), "com.x.all", &PowerQuery{PageSize: size}) {
			if err != nil {
				t.Fatal(err)
			}
			i++
			if v, _ := r.Value("n"); v != strconv.Itoa(i) {
				t.Fatalf("pagesize %d: row %d has n=%q", size, i, v)
			}
		}
		if i != rows {
			t.Errorf("pagesize %d: %d rows, want %d", size, i, rows)
		}
		// A page size above the plugin's maximum (100 here) is refused
		// once, then capped at the maximum read from metadata.
		wantReq := 1
		if size > 0 {
			wantReq = 1 + rows/100 + 1
		}
		if len(requests) != wantReq || (size == 0 && !strings.Contains(requests[0], "pagesize=0")) || (size > 0 && (!strings.Contains(requests[0], "pagesize=500") || !strings.Contains(requests[1], "pagesize=100"))) {
			t.Errorf("pagesize %d: requests %v", size, requests)
		}
	}
}

func TestTableAPI(t *testing.T) {
	f := newFakePS(t)
	rows := map[int]map[string]any{}
	for i := 1; i <= 250; i++ {
		rows[i] = map[string]any{"id": strconv.Itoa(i), "label": "row" + strconv.Itoa(i)}
	}
	f.handle("GET /ws/schema/table/u_def_list/count", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"count":%d}`, len(rows))
	})
	f.handle("GET /ws/schema/table/u_def_list", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("projection") != "*" {
			w.WriteHeader(400)
			return
		}
		page, _ := strconv.Atoi(q.Get("page"))
		size, _ := strconv.Atoi(q.Get("pagesize"))
		if !q.Has("pagesize") {
			size = 100 // the plugin's maximum, which is also the default
		}
		if size < 1 || size > 100 {
			w.WriteHeader(400)
			return
		}
		var recs []any
		for i := (page-1)*size + 1; i <= min(page*size, len(rows)); i++ {
			recs = append(recs, map[string]any{"id": i, "name": "U_DEF_LIST", "tables": map[string]any{"u_def_list": rows[i]}})
		}
		writeJSON(w, map[string]any{"name": "U_DEF_LIST", "record": recs})
	})
	f.handle("GET /ws/schema/table/u_def_list/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		writeJSON(w, map[string]any{"id": id, "name": "U_DEF_LIST", "tables": map[string]any{"u_def_list": rows[id]}})
	})
	var inserted, updated map[string]any
	f.handle("POST /ws/schema/table/u_def_list", func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&inserted)
		fmt.Fprint(w, `{"result":[{"client_uid":"","status":"SUCCESS","action":"INSERT","success_message":{"id":251}}]}`)
	})
	f.handle("PUT /ws/schema/table/u_def_list/{id}", func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&updated)
		w.WriteHeader(http.StatusNoContent)
	})
	var deleted string
	f.handle("DELETE /ws/schema/table/u_def_list/{id}", func(w http.ResponseWriter, r *http.Request) {
		deleted = r.PathValue("id")
		w.WriteHeader(http.StatusNoContent)
	})
	c := f.client()
	ctx := context.Background()
	got, err := collect(t, c.Tables.List(ctx, "U_DEF_LIST", nil))
	if err != nil || len(got) != 250 {
		t.Fatalf("list: %d rows, %v", len(got), err)
	}
	for i, r := range got {
		if v, _ := r.Value("u_def_list.label"); v != "row"+strconv.Itoa(i+1) {
			t.Fatalf("row %d label %q", i, v)
		}
	}
	one, err := c.Tables.Get(ctx, "u_def_list", 7)
	if v, _ := one.Value("label"); err != nil || v != "row7" || one.ID != 7 {
		t.Errorf("get = %+v, %v", one, err)
	}
	ins, err := c.Tables.Insert(ctx, "u_def_list", map[string]any{"label": "new"})
	if err != nil || ins.ID != 251 || ins.Status != "SUCCESS" {
		t.Errorf("insert = %+v, %v", ins, err)
	}
	if tb, _ := inserted["tables"].(map[string]any); tb["u_def_list"] == nil {
		t.Errorf("insert body = %v", inserted)
	}
	if err := c.Tables.Update(ctx, "u_def_list", 7, map[string]any{"label": "x"}); err != nil || updated["name"] != "u_def_list" || updated["id"] != 7.0 {
		t.Errorf("update body %v, %v", updated, err)
	}
	if err := c.Tables.Delete(ctx, "u_def_list", 9); err != nil || deleted != "9" {
		t.Errorf("delete %q, %v", deleted, err)
	}
	ro := f.client(WithReadOnly())
	if _, err := ro.Tables.Insert(ctx, "u_def_list", nil); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only insert: %v", err)
	}
}

func TestBulkStudentWrite(t *testing.T) {
	f := newFakePS(t)
	var body map[string]any
	var ext string
	f.handle("POST /ws/v1/student", func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&body)
		ext = r.URL.Query().Get("extensions")
		fmt.Fprint(w, `{"results":{"insert_count":1,"update_count":0,"delete_count":0,"result":[
		 {"client_uid":555807,"status":"SUCCESS","action":"INSERT","success_message":{"id":7337,"ref":"https://x/ws/v1/student/7337"}},
		 {"client_uid":1051,"status":"ERROR","action":"UPDATE","error_message":{"error":{"field":"students/demographics/birth_date","error_code":"INVALID_DATE_VALUE","error_description":"Date value or date format is invalid."}}}]}}`)
	})
	c := f.client()
	res, err := c.Students.Write(context.Background(), []StudentWrite{
		{ClientUID: "555807", Action: "insert", Fields: map[string]any{"name": map[string]any{"first_name": "Ada", "last_name": "L"},
			"_extension_data": map[string]any{"_table_extension": map[string]any{"name": "StudentCoreFields", "_field": []any{map[string]any{"name": "pscore_legal_first_name", "value": "Ada"}}}}}},
		{ClientUID: "1051", Action: "UPDATE", ID: 442, Fields: map[string]any{"demographics": map[string]any{"birth_date": "2099-99-99"}}},
	})
	var be *BulkWriteError
	if !errors.As(err, &be) || len(be.Failed) != 1 || !strings.Contains(err.Error(), "INVALID_DATE_VALUE") || !strings.Contains(err.Error(), "1051") {
		t.Fatalf("err = %v, want a BulkWriteError for client_uid 1051", err)
	}
	if res == nil || len(res.Results) != 2 || res.Results[0].ID() != 7337 || res.Results[0].Err() != nil || res.InsertCount != 1 {
		t.Fatalf("result = %+v", res)
	}
	if ext != "studentcorefields" {
		t.Errorf("extensions param = %q, want studentcorefields", ext)
	}
	recs := body["students"].(map[string]any)["student"].([]any)
	second := recs[1].(map[string]any)
	if second["id"] != "442" || second["action"] != "UPDATE" || second["client_uid"] != "1051" || recs[0].(map[string]any)["action"] != "INSERT" {
		t.Errorf("body = %v", body)
	}
}

// A streamed answer's records keep the bytes PowerSchool sent, in its
// order, whether "record" holds a list or (one row) a bare object.
func TestPowerQueryStreamKeepsRecordBytes(t *testing.T) {
	f := newFakePS(t)
	one := `{"_id":7,"students.last_name":"Ng","students.dcid":"7","_name":"Person"}`
	f.handle("POST /ws/schema/query/{name}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("name") == "com.x.one" {
			fmt.Fprint(w, `{"name":"Person","record":`+one+`}`)
			return
		}
		fmt.Fprint(w, `{"name":"Person","record":[`+one+`, `+one+`]}`)
	})
	c := f.client()
	for _, name := range []string{"com.x.one", "com.x.two"} {
		n := 0
		for rec, err := range c.PowerQueryRecords(context.Background(), name, nil) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if string(rec.Raw) != one || rec.ID != 7 || rec.Name != "Person" {
				t.Errorf("%s: record %s (id %d, name %q), want %s", name, rec.Raw, rec.ID, rec.Name, one)
			}
		}
		if n == 0 {
			t.Errorf("%s: no records", name)
		}
	}
}
