package deploycheck

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// deployDir is the deploy/ folder, relative to this package.
const deployDir = "../../deploy"

// readDeploy returns the content of a file under deploy/.
func readDeploy(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deployFiles lists the files under deploy/ whose name ends in one of exts,
// relative to deploy/.
func deployFiles(t *testing.T, exts ...string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(deployDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, e := range exts {
			if strings.HasSuffix(p, e) {
				rel, _ := filepath.Rel(deployDir, p)
				out = append(out, rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no %v files under %s", exts, deployDir)
	}
	return out
}

// requireTool returns the path of an external program. Without it the test
// is skipped on a developer machine and fails in CI (CI set), where
// .ci/run installs it.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not installed; .ci/run must install it", name)
	}
	t.Skipf("%s not installed (set CI to make this a failure)", name)
	return ""
}
