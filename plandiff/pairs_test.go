package plandiff_test

import (
	"slices"
	"strings"
	"testing"

	"nat-instance/mockgraph"
	"nat-instance/plandiff"
)

// The prod stack with NAT pairs, its NATs on a pinned image.
var (
	oldImage, newImage = "ami-0aaaaaaaaaaaaaaaa", "ami-0bbbbbbbbbbbbbbbb"
	pairImages         = mockgraph.Options{Stack: "prod", Images: map[string]string{oldImage: "arm64", newImage: "arm64"}}
	membersA           = `["nat-instance-a","nat-instance-2-a","nat-instance-3-a"]`
	membersB           = `["nat-instance-b","nat-instance-2-b","nat-instance-3-b"]`
)

func pairs(t *testing.T, kv ...string) map[string]string {
	return stackFile(t, "prod", append([]string{"natHighAvailability", "true", "natAmiId", oldImage}, kv...)...)
}

// replacedOrStopped names the instances a plan replaces or stops.
func replacedOrStopped(p plandiff.Plan) []string {
	var out []string
	for _, s := range p.Steps {
		if s.Outage {
			out = append(out, s.Name)
		}
	}
	slices.Sort(out)
	return out
}

// Without natPairRoll no change reaches a pair member: a new image, another instance type, a
// key pair leave every NAT as it runs. The unsafe path (both members in one update) does not
// exist.
func TestPairMembersKeepWhatTheyRunUntilRolled(t *testing.T) {
	before := record(t, pairs(t), pairImages)
	for name, kv := range map[string][]string{
		"new image":          {"natAmiId", newImage},
		"new instance type":  {"natInstanceType", "t4g.medium"},
		"key pair":           {"keyName", "ops"},
		"new Amazon release": {},
	} {
		t.Run(name, func(t *testing.T) {
			opts := pairImages
			opts.AmiRelease = "2"
			after := record(t, pairs(t, kv...), opts)
			p := plan(t, before, after)
			for _, down := range replacedOrStopped(p) {
				if strings.HasPrefix(down, "nat-instance") {
					t.Errorf("%s stops or replaces %s", name, down)
				}
			}
		})
	}
}

// The documented roll-out: members b (standby) take the new image, then members a (after the
// handover), then natPairRoll is removed. No step takes a NAT down, and the stack ends on the
// new image everywhere.
func TestRollingOutAnImageOneMemberAtATime(t *testing.T) {
	state := record(t, pairs(t), pairImages)
	steps := []struct {
		name string
		kv   []string
		want []string // the instances replaced
	}{
		{"members b", []string{"natAmiId", newImage, "natPairRoll", membersB}, []string{"nat-instance-2-b", "nat-instance-3-b", "nat-instance-b"}},
		{"members a", []string{"natAmiId", newImage, "natPairRoll", membersA}, []string{"nat-instance-2-a", "nat-instance-3-a", "nat-instance-a"}},
		{"done", []string{"natAmiId", newImage}, nil},
	}
	for _, step := range steps {
		after := record(t, pairs(t, step.kv...), pairImages)
		p := plan(t, state, after)
		if got := replacedOrStopped(p); strings.Join(got, " ") != strings.Join(step.want, " ") {
			t.Errorf("%s: replaces %v, want %v", step.name, got, step.want)
		}
		for _, s := range p.Changes() {
			replaced := s.Type == tInstance && s.Action == plandiff.Replace && strings.Join(s.Changed, ",") == "ami"
			// A member's alarms watch its instance id, which the replacement changes.
			alarm := s.Type == "aws:cloudwatch/metricAlarm:MetricAlarm" && s.Action == plandiff.Update && strings.Join(s.Changed, ",") == "dimensions"
			if !replaced && !alarm {
				t.Errorf("%s: unexpected step %s", step.name, s)
			}
		}
		if down := p.NatsDown(after); len(down) != 0 {
			t.Errorf("%s takes NATs down: %v", step.name, down)
		}
		state = plandiff.Apply(state, after)
	}
	for _, r := range state.OfType(tInstance) {
		if strings.HasPrefix(r.Name, "nat-instance") && r.String("ami") != newImage {
			t.Errorf("%s ends on %s, want %s", r.Name, r.String("ami"), newImage)
		}
	}
}

// An instance type change rolls the same way: one member stopped and started at a time.
func TestRollingAnInstanceTypeStopsOneMemberPerPair(t *testing.T) {
	before := record(t, pairs(t), pairImages)
	after := record(t, pairs(t, "natInstanceType", "t4g.medium", "natPairRoll", `["nat-instance-b","nat-instance-2-a"]`), pairImages)
	p := plan(t, before, after)
	if got := strings.Join(replacedOrStopped(p), " "); got != "nat-instance-2-a nat-instance-b" {
		t.Errorf("stops %s, want nat-instance-2-a nat-instance-b", got)
	}
	if down := p.NatsDown(after); len(down) != 0 {
		t.Errorf("NATs down: %v", down)
	}
}

// Without pairs, the checker sees what a plain change does: every zone's NAT down in one update.
func TestNatsDownSeesEveryZonesNat(t *testing.T) {
	opts := mockgraph.Options{Stack: "prod", Images: pairImages.Images}
	before := record(t, stackFile(t, "prod", "natHighAvailability", "false", "natAmiId", oldImage), opts)
	after := record(t, stackFile(t, "prod", "natHighAvailability", "false", "natAmiId", newImage), opts)
	if down := plan(t, before, after).NatsDown(after); strings.Join(down, " ") != "nat-instance nat-instance-2 nat-instance-3" {
		t.Errorf("NATs down %v, want all three", down)
	}
}

// Turning pairs on keeps each private default route (an alias to its former parent): AWS refuses
// a second 0.0.0.0/0 in a table, so a route created before the old one goes would fail.
func TestTurningPairsOnKeepsTheRoutes(t *testing.T) {
	p := plan(t, record(t, stackFile(t, "prod"), mockgraph.Options{Stack: "prod"}),
		record(t, stackFile(t, "prod", "natHighAvailability", "true"), mockgraph.Options{Stack: "prod"}))
	for _, s := range p.Steps {
		if s.Type == "aws:ec2/route:Route" && s.Action != plandiff.Same {
			t.Errorf("route step %s", s)
		}
	}
}
