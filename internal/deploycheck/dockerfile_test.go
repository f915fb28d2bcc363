package deploycheck

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseDockerfile(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    []Instruction
		wantErr bool
	}{
		{
			name: "comments and continuations",
			give: "# c\nFROM a:1 AS b\n\nRUN x \\\n  # inner comment\n  && y\nuser 1:1\n",
			want: []Instruction{
				{Cmd: "FROM", Args: "a:1 AS b", Line: 2},
				{Cmd: "RUN", Args: "x && y", Line: 4},
				{Cmd: "USER", Args: "1:1", Line: 7},
			},
		},
		{name: "CRLF", give: "FROM a:1\r\nUSER x\r\n", want: []Instruction{{Cmd: "FROM", Args: "a:1", Line: 1}, {Cmd: "USER", Args: "x", Line: 2}}},
		{name: "dangling continuation", give: "FROM a:1\nRUN x \\\n", wantErr: true},
		{name: "empty", give: "\n# only a comment\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDockerfile(tt.give)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCheckDockerfile(t *testing.T) {
	const good = "FROM golang:1.26 AS build\nRUN go build\nFROM base:1\nUSER 65532:65532\nHEALTHCHECK CMD [\"/hc\"]\nENTRYPOINT [\"/app\"]\n"
	tests := []struct {
		name string
		give string
		want string // substring of the error; "" means valid
	}{
		{name: "good", give: good},
		{name: "stage reference", give: "FROM golang:1.26 AS build\nFROM build AS test\n" + good[strings.Index(good, "FROM base"):]},
		{name: "single stage", give: good[strings.Index(good, "FROM base"):], want: "multi-stage"},
		{name: "no user", give: strings.Replace(good, "USER 65532:65532\n", "", 1), want: "no USER"},
		{name: "root user", give: strings.Replace(good, "USER 65532:65532", "USER root", 1), want: `runs as "root"`},
		{name: "uid 0", give: strings.Replace(good, "USER 65532:65532", "USER 0:0", 1), want: "runs as"},
		{name: "user only in build stage", give: "FROM golang:1.26\nUSER 1\nFROM base:1\nHEALTHCHECK CMD x\nENTRYPOINT x\n", want: "no USER"},
		{name: "no healthcheck", give: strings.Replace(good, "HEALTHCHECK CMD [\"/hc\"]\n", "", 1), want: "HEALTHCHECK"},
		{name: "healthcheck none", give: strings.Replace(good, "HEALTHCHECK CMD [\"/hc\"]", "HEALTHCHECK NONE", 1), want: "HEALTHCHECK"},
		{name: "no entrypoint", give: strings.Replace(good, "ENTRYPOINT [\"/app\"]\n", "", 1), want: "ENTRYPOINT"},
		{name: "latest", give: strings.Replace(good, "base:1", "base:latest", 1), want: "latest"},
		{name: "untagged", give: strings.Replace(good, "base:1", "registry:5000/base", 1), want: "no tag"},
		{name: "digest", give: strings.Replace(good, "base:1", "base@sha256:abcd", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ins, err := ParseDockerfile(tt.give)
			if err != nil {
				t.Fatal(err)
			}
			err = CheckDockerfile(ins)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("CheckDockerfile: %v, want valid", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("CheckDockerfile: %v, want error containing %q", err, tt.want)
			}
		})
	}
}

// TestDockerfile checks deploy/Dockerfile statically (no Docker engine
// here): its structure, and that the packages it builds exist.
func TestDockerfile(t *testing.T) {
	ins, err := ParseDockerfile(string(readDeploy(t, "Dockerfile")))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckDockerfile(ins); err != nil {
		t.Fatal(err)
	}
	var build string
	for _, in := range ins {
		if in.Cmd == "RUN" && strings.Contains(in.Args, "go build") {
			build = in.Args
		}
	}
	for _, pkg := range []string{"./cmd/dlpproxy", "./deploy/healthcheck"} {
		if !strings.Contains(build, pkg) {
			t.Errorf("Dockerfile does not build %s", pkg)
		}
		if _, err := os.Stat(filepath.Join("../..", pkg, "main.go")); err != nil {
			t.Errorf("Dockerfile builds %s: %v", pkg, err)
		}
	}
	if !strings.Contains(build, "CGO_ENABLED=0") {
		t.Error("binary is not built static (CGO_ENABLED=0)")
	}
}

// TestDockerIgnore: the Dockerfile copies the whole repository into its
// build stage, so .dockerignore must keep out the CA directory the compose
// quick start creates (its private key would sit in a build layer and the
// build cache) and the VCS metadata.
func TestDockerIgnore(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	excluded := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			excluded[strings.Trim(line, "/")] = true
		}
	}
	for _, p := range []string{"deploy/ca", ".git"} {
		if !excluded[p] {
			t.Errorf(".dockerignore does not exclude %s", p)
		}
	}
}

func FuzzParseDockerfile(f *testing.F) {
	for _, s := range []string{"FROM a:1\nRUN x \\\n y\n", "\\\n", "# c\n\nUSER 1\n", "RUN a \\\n# c\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ins, err := ParseDockerfile(s)
		if err != nil {
			return
		}
		for _, in := range ins {
			if in.Cmd == "" || in.Line < 1 || strings.ContainsAny(in.Args, "\n") {
				t.Fatalf("bad instruction %+v", in)
			}
		}
		_ = CheckDockerfile(ins)
	})
}
