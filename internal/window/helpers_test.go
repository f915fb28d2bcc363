package window

import (
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// hashKey is the shared secret of the tests' engines and trackers.
var hashKey = []byte("window-test-hash-key-0123456789")

// newEngine returns an engine hashing values with hashKey.
func newEngine(t testing.TB) *inspect.Engine {
	t.Helper()
	e, err := inspect.NewEngine(inspect.Config{HashKey: hashKey})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
