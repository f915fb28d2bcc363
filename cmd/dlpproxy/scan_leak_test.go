package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// TestScanOutputHoldsNoRawValue runs scan, human and JSON, on every
// rendering of a corpus and checks that no raw value of any record appears
// in what it prints: counts and masked samples only.
func TestScanOutputHoldsNoRawValue(t *testing.T) {
	recs := corpus.Records(11, 200)
	dir := t.TempDir()
	var files []string
	for _, doc := range corpus.Renderings(recs) {
		path := filepath.Join(dir, doc.Name)
		if err := os.WriteFile(path, doc.Data, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	for _, mode := range [][]string{nil, {"--json"}} {
		var out, errOut bytes.Buffer
		args := append(append([]string{}, mode...), files...)
		if code := runScan(args, strings.NewReader(""), &out, &errOut); code != exitOK {
			t.Fatalf("scan %v: exit %d, stderr %s", mode, code, errOut.String())
		}
		printed := out.String() + errOut.String()
		if !strings.Contains(printed, "cn_resident_id") {
			t.Fatalf("scan %v printed no findings:\n%s", mode, printed)
		}
		for _, r := range recs {
			for _, v := range []string{r.ResidentID, r.Mobile, r.BankCard, r.Email, r.Passport, r.TravelPermit, r.Name, r.Address} {
				if v != "" && strings.Contains(printed, v) {
					t.Fatalf("scan %v printed a raw value (%d bytes long)", mode, len(v))
				}
			}
		}
	}
}
