package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
)

// goldenDistrict is a digest of every generated table of the district
// Config{Seed: 7, Students: 3000}: each row in rowid order, each value with
// its Go type. Making the seed faster must not change the district (tests,
// Mutate and users' saved expectations rely on it); a change that means to
// alter it updates these digests and says so.
var goldenDistrict = map[string]string{
	"ATTENDANCE":           "c6c73586c0c7aca0",
	"CC":                   "e0e46a238a27e8d3",
	"COURSES":              "a8b4f3d5adb4c555",
	"FEE":                  "6325196554cb8939",
	"PGFINALGRADES":        "bf7a80e1a0542581",
	"PREFS":                "4a9056ac21d935d6",
	"SCHOOLS":              "8a7162d498e0c683",
	"SCHOOLSTAFF":          "48d3625604e1a048",
	"SECTIONS":             "81bc9786d87deaf8",
	"SPENROLLMENTS":        "f1b48aefd9c2f2e9",
	"STOREDGRADES":         "f00e0bf24098abf7",
	"STUDENTCOREFIELDS":    "bbe97525dd62c16c",
	"STUDENTS":             "ab0357ced29b855b",
	"TERMS":                "242fd38a2fc57137",
	"TRANSPORTATION":       "48aac83291d2c21d",
	"USERS":                "ed35c8a51c65da47",
	"U_STUDENTSUSERFIELDS": "6f67932cb57bce84",
}

func TestGenerateUnchanged(t *testing.T) {
	s := openSeeded(t, "", 3000, 7)
	var check string
	if err := s.DB.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v; want ok", check, err)
	}
	if n := count(t, s.DB, "SELECT COUNT(*) FROM pragma_foreign_key_check"); n != 0 {
		t.Errorf("%d rows break a foreign key", n)
	}
	for table, want := range goldenDistrict {
		h := sha256.New()
		eachRow(t, s.DB, "SELECT * FROM "+table+" ORDER BY rowid", func(vals []any) {
			for _, v := range vals {
				fmt.Fprintf(h, "%T:%v|", v, v)
			}
		})
		if got := hex.EncodeToString(h.Sum(nil))[:16]; got != want {
			t.Errorf("%s digest = %s, want %s: the generated district changed", table, got, want)
		}
	}
}
