package e2e

import (
	"strings"
	"testing"
	"time"
)

func TestPlanTime(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name      string
		timeout   time.Duration // 0: no deadline
		wantWork  time.Duration // from now
		wantError string
	}{
		{"go test's default -timeout 10m", 10 * time.Minute, 0, "run it with -timeout 47m or more"},
		{"the old 60m, with the old 50m context", 60 * time.Minute, 38 * time.Minute, ""},
		{"just enough", 47 * time.Minute, 25 * time.Minute, ""},
		{"a minute short", 46 * time.Minute, 0, "leaves 24m0s for the work"},
		{"no deadline (-timeout 0)", 0, 45 * time.Minute, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := planTime(now, now.Add(c.timeout), c.timeout > 0)
			if c.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantError) {
					t.Fatalf("error %v, want one containing %q", err, c.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := b.workUntil.Sub(now); got != c.wantWork {
				t.Errorf("work gets %s, want %s", got, c.wantWork)
			}
			// The clean-up's whole share and the margin fit before the deadline.
			if c.timeout > 0 && b.workUntil.Add(b.cleanup+margin).After(now.Add(c.timeout)) {
				t.Errorf("work until %s plus clean-up %s and margin %s overruns the deadline", b.workUntil, b.cleanup, margin)
			}
		})
	}
}

func TestCheckAccount(t *testing.T) {
	for _, c := range []struct {
		name, expected, actual, want string
	}{
		{"unset", "", "123456789012", "E2E_AWS_ACCOUNT_ID is not set"},
		{"not an account id", "my-sandbox", "123456789012", `E2E_AWS_ACCOUNT_ID = "my-sandbox": must be a 12-digit`},
		{"another account's credentials", "111122223333", "123456789012", `belong to account "123456789012", not E2E_AWS_ACCOUNT_ID = 111122223333`},
		{"the expected account", "123456789012", "123456789012", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkAccount(c.expected, c.actual)
			if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}
