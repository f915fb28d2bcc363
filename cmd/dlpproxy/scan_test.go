package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// writeZip writes an archive of named members to dir and returns its path;
// a member whose name starts with "secret" is flagged encrypted.
func writeZip(t *testing.T, dir, name string, members map[string][]byte) string {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range slices.Sorted(maps.Keys(members)) {
		h := &zip.FileHeader{Name: n, Method: zip.Deflate}
		if strings.HasPrefix(n, "secret") {
			h.Flags |= 1
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatalf("zip header: %v", err)
		}
		if _, err := f.Write(members[n]); err != nil {
			t.Fatalf("zip write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("zip close: %v", err)
	}
	return writeIn(t, dir, name, buf.Bytes())
}

// writeIn writes data to dir/name and returns the path.
func writeIn(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	writeFile(t, p, data)
	return p
}

// mobileList is a CSV of n distinct mobiles under a labelled header.
func mobileList(n int) []byte {
	var b bytes.Buffer
	b.WriteString("姓名,手机号\n")
	for _, r := range corpus.Records(3, n) {
		b.WriteString(r.Name + "," + r.Mobile + "\n")
	}
	return b.Bytes()
}

// TestScanUninspectable: a partly encrypted archive reports the counts of
// what could be read and the reasons for the rest; the policy's
// uninspectable setting decides whether it would be blocked.
func TestScanUninspectable(t *testing.T) {
	dir := t.TempDir()
	list := mobileList(5)
	encrypted := writeZip(t, dir, "enc.zip", map[string][]byte{"open.csv": list, "secret.csv": list})
	plain := writeZip(t, dir, "plain.zip", map[string][]byte{"open.csv": list})
	failClosed := writeIn(t, dir, "closed.yaml", []byte("version: t1\nsettings:\n  uninspectable: block\nrules: []\n"))
	override := writeIn(t, dir, "override.yaml", []byte("version: t2\nsettings:\n  uninspectable: block\n  uninspectable_overrides:\n    encrypted: allow\nrules: []\n"))
	tests := []struct {
		name       string
		give       []string
		wantCode   int
		wantReason []string
		wantAction string
		wantBy     string // verdict.uninspectable
	}{
		{name: "encrypted, no policy", give: []string{encrypted}, wantCode: exitOK, wantReason: []string{"encrypted"}, wantAction: "allow"},
		{name: "encrypted, fail closed", give: []string{"--policy", failClosed, encrypted}, wantCode: exitBlocked, wantReason: []string{"encrypted"}, wantAction: "block", wantBy: "encrypted"},
		{name: "encrypted, overridden", give: []string{"--policy", override, encrypted}, wantCode: exitOK, wantReason: []string{"encrypted"}, wantAction: "allow"},
		{name: "readable, fail closed", give: []string{"--policy", failClosed, plain}, wantCode: exitOK, wantAction: "allow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runScan(append([]string{"--json"}, tt.give...), nil, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.wantCode, stderr.String())
			}
			var res scanResult
			if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
				t.Fatalf("decode %q: %v", stdout.String(), err)
			}
			if res.Error != "" || res.Counts["cn_mobile"] != 5 {
				t.Errorf("error %q, counts %v; want no error and the open member's 5 mobiles", res.Error, res.Counts)
			}
			if !slices.Equal(res.Uninspectable, tt.wantReason) {
				t.Errorf("uninspectable %v, want %v", res.Uninspectable, tt.wantReason)
			}
			if res.Verdict.Action != tt.wantAction || res.Verdict.Uninspectable != tt.wantBy {
				t.Errorf("verdict %+v, want action %s by uninspectable %q", *res.Verdict, tt.wantAction, tt.wantBy)
			}
			if strings.Contains(stdout.String()+stderr.String(), corpus.Records(3, 1)[0].Mobile) {
				t.Error("output holds a raw mobile number")
			}
		})
	}
}

// TestScanUninspectableTable: the table names the uninspectable parts and
// the reason behind a block.
func TestScanUninspectableTable(t *testing.T) {
	dir := t.TempDir()
	list := mobileList(5)
	encrypted := writeZip(t, dir, "enc.zip", map[string][]byte{"open.csv": list, "secret.csv": list})
	failClosed := writeIn(t, dir, "closed.yaml", []byte("version: t1\nsettings:\n  uninspectable: block\nrules: []\n"))
	var stdout, stderr bytes.Buffer
	if code := runScan([]string{"--policy", failClosed, encrypted}, nil, &stdout, &stderr); code != exitBlocked {
		t.Errorf("exit %d, want %d; stderr %q", code, exitBlocked, stderr.String())
	}
	for _, want := range []string{"uninspectable parts: encrypted", "cn_mobile", "verdict: BLOCK: uninspectable (encrypted) (policy t1)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
}
