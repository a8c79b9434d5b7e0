// Package nstest holds what the tests of namespace users share.
package nstest

import (
	"os"
	"testing"
)

// Require skips t with unavailable, the reason why this machine cannot run what (e.g. "network
// twin"), unless CI=true: CI runs as root with every package installed and must run every test.
// A nil unavailable lets t run.
func Require(t testing.TB, what string, unavailable error) {
	t.Helper()
	if unavailable == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI must run the %s: %v", what, unavailable)
	}
	t.Skipf("%s not run: %v", what, unavailable)
}
