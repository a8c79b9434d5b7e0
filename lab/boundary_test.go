package lab

import "testing"

// With iamPermissionsBoundary set, every role of the stack carries it (the delivery deploy role
// creates no other); without it, none does (the lab's graph is the one it always was).
func TestEveryRoleCarriesTheConfiguredBoundary(t *testing.T) {
	const boundary = "arn:aws:iam::123456789012:policy/nat-instance-boundary"
	for name, pairs := range map[string]string{"single NATs": "false", "NAT pairs": "true"} {
		t.Run(name, func(t *testing.T) {
			for _, set := range []bool{true, false} {
				cfg := config("natHighAvailability", pairs)
				want := ""
				if set {
					cfg = config("natHighAvailability", pairs, "iamPermissionsBoundary", boundary)
					want = boundary
				}
				roles := record(t, cfg).OfType(tRole)
				if len(roles) < 3 {
					t.Fatalf("%d roles, want the instance, NAT or pair, and flow log roles", len(roles))
				}
				for _, r := range roles {
					if got := r.String("permissionsBoundary"); got != want {
						t.Errorf("boundary set %v: role %s has boundary %q, want %q", set, r.Name, got, want)
					}
				}
			}
		})
	}
}
