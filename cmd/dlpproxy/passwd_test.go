package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/config"
)

func TestPasswd(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantErr  string
	}{
		{name: "hash from stdin", args: []string{"--iterations", "1000", "alice"}, stdin: "s3cret\n", wantCode: exitOK},
		{name: "CRLF line end", args: []string{"--iterations", "1000", "bob"}, stdin: "s3cret\r\n", wantCode: exitOK},
		{name: "empty password", args: []string{"alice"}, stdin: "\n", wantCode: exitError, wantErr: "empty password"},
		{name: "no name", args: nil, stdin: "x\n", wantCode: exitUsage, wantErr: "usage"},
		{name: "name with colon", args: []string{"a:b"}, stdin: "x\n", wantCode: exitUsage, wantErr: "no ':'"},
		{name: "too few iterations", args: []string{"--iterations", "10", "alice"}, stdin: "x\n", wantCode: exitUsage, wantErr: "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"passwd"}, tt.args...), strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit = %d, want %d; stderr: %s", code, tt.wantCode, stderr.String())
			}
			if tt.wantErr != "" {
				if !strings.Contains(stderr.String(), tt.wantErr) {
					t.Errorf("stderr = %q, want it to mention %q", stderr.String(), tt.wantErr)
				}
				return
			}
			if strings.Contains(stdout.String(), "s3cret") {
				t.Fatal("the output holds the password")
			}
			// The output is a users entry the serve configuration accepts.
			c, err := config.Parse("c.yaml", []byte("users:\n"+stdout.String()))
			if err != nil {
				t.Fatalf("config rejects the entry: %v\n%s", err, stdout.String())
			}
			auth := c.Authenticator()
			user := tt.args[len(tt.args)-1]
			if !auth.Authenticate(user, "s3cret") || auth.Authenticate(user, "s3cret\r") {
				t.Errorf("the hash does not verify exactly the password:\n%s", stdout.String())
			}
		})
	}
}
