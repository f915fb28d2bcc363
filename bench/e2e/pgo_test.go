package main

import (
	"bytes"
	"os"
	"testing"
)

// TestProfilesAreTheProducts: the benchmarks are built with the profile the
// product ships (cmd/dlpproxy/default.pgo), so they measure the engine and
// proxy as built for production.
func TestProfilesAreTheProducts(t *testing.T) {
	want, err := os.ReadFile("../../cmd/dlpproxy/default.pgo")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"default.pgo", "../engine/default.pgo"} {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("bench/%s differs from cmd/dlpproxy/default.pgo: copy it (cp cmd/dlpproxy/default.pgo bench/e2e/ bench/engine/)", path)
		}
	}
}
