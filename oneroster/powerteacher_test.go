package oneroster

import (
	"strings"
	"testing"
	"time"
)

func TestCheckPowerTeacherPro(t *testing.T) {
	good := LineItem{
		Base: Base{SourcedID: "li"}, Title: strings.Repeat("x", 50),
		DueDate: NewDateTime(time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)),
		Class:   Ref("c"), Category: Ref("cat"), ResultValueMax: 12,
	}
	if err := CheckPowerTeacherPro(good); err != nil {
		t.Fatalf("valid line item rejected: %v", err)
	}
	bad := good
	bad.Title = strings.Repeat("é", 26) // 26 characters, 52 bytes
	bad.DueDate = DateTime{}
	bad.ResultValueMax = 12.5
	bad.ResultValueMin = 1
	bad.Category = GUIDRef{}
	err := CheckPowerTeacherPro(bad)
	if err == nil {
		t.Fatal("invalid line item accepted")
	}
	for _, want := range []string{"52 bytes", "dueDate", "resultValueMin", "whole number", "category"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestPutResultChecksScoreStatus(t *testing.T) {
	c, err := NewClient("https://ps.example.org", WithOAuth2(OAuth2{ClientID: "id", ClientSecret: "secret"}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PutResult(t.Context(), Result{Base: Base{SourcedID: "r"}, ScoreStatus: "fully_graded"})
	if err == nil || !strings.Contains(err.Error(), `"fully graded"`) {
		t.Errorf("err = %v, want the valid values listed", err)
	}
}
