package main

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// violationRecorder stands in for the engine's policy manager and keeps what was reported.
type violationRecorder struct{ messages []string }

func (v *violationRecorder) ReportViolation(message, _ string) {
	v.messages = append(v.messages, message)
}

// validate runs one resource policy of the pack on a resource, as the engine does for each resource.
func validate(t *testing.T, policy, typ, name string, inputs map[string]any) ([]string, error) {
	t.Helper()
	pack, err := Pack()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pack.Policies() {
		if p.Name() != policy {
			continue
		}
		rp, ok := p.(policyx.ResourceValidationPolicy)
		if !ok {
			t.Fatalf("%s is not a resource policy", policy)
		}
		recorder := &violationRecorder{}
		err := rp.Validate(context.Background(), policyx.ResourceValidationArgs{
			Manager: recorder,
			Resource: policyx.AnalyzerResource{
				Type:       typ,
				Name:       name,
				Properties: resource.FromResourcePropertyMap(resource.NewPropertyMapFromMap(inputs)),
			},
		})
		return recorder.messages, err
	}
	t.Fatalf("no policy %q in the pack", policy)
	return nil, nil
}

// unknown is a value not known before `pulumi up` (an output of another resource).
var unknown = resource.Computed{Element: resource.NewStringProperty("")}

type policyCase struct {
	name   string
	typ    string
	inputs map[string]any
	want   string // "" for no violation, else a part of the one expected message
}

func runCases(t *testing.T, policy string, cases []policyCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := validate(t, policy, c.typ, "res", c.inputs)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.want == "" && len(got) > 0:
				t.Errorf("want no violation, got %q", got)
			case c.want != "" && (len(got) != 1 || !strings.Contains(got[0], c.want)):
				t.Errorf("want one violation containing %q, got %q", c.want, got)
			}
		})
	}
}

// rule is an inline security group rule.
func rule(protocol string, cidrs ...any) map[string]any {
	return map[string]any{"protocol": protocol, "fromPort": 0, "toPort": 0, "cidrBlocks": cidrs, "description": "a rule"}
}

func group(direction string, rules ...map[string]any) map[string]any {
	items := make([]any, len(rules))
	for i, r := range rules {
		items[i] = r
	}
	return map[string]any{"description": "a group", direction: items}
}

func TestNoIngressFromAnywhere(t *testing.T) {
	runCases(t, "no-ingress-from-anywhere", []policyCase{
		{"VPC CIDR", typeSecurityGroup, group("ingress", rule("tcp", "10.40.0.0/16")), ""},
		{"0.0.0.0/0", typeSecurityGroup, group("ingress", rule("tcp", "0.0.0.0/0")), "ingress[0] allows ingress from 0.0.0.0/0"},
		{"the lab's 10.40.0.0/0", typeSecurityGroup, group("ingress", rule("tcp", "10.40.2.0/24", "10.40.0.0/0")), "from 10.40.0.0/0"},
		{"::/0", typeSecurityGroup, map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "ipv6CidrBlocks": []any{"::/0"}}}}, "from ::/0"},
		{"not a CIDR", typeSecurityGroup, group("ingress", rule("tcp", "10.40.0.0")), "not a CIDR"},
		{"egress to the internet", typeSecurityGroup, group("egress", rule("tcp", "0.0.0.0/0")), ""},
		{"unknown before up", typeSecurityGroup, group("ingress", rule("tcp", unknown)), ""},
		{"default group", typeDefaultSecurityGroup, group("ingress", rule("tcp", "0.0.0.0/0")), "from 0.0.0.0/0"},
		{"SecurityGroupRule ingress", typeSecurityGroupRule, map[string]any{"type": "ingress", "protocol": "tcp", "cidrBlocks": []any{"1.2.3.4/0"}}, "from 1.2.3.4/0"},
		{"SecurityGroupRule egress", typeSecurityGroupRule, map[string]any{"type": "egress", "protocol": "tcp", "cidrBlocks": []any{"0.0.0.0/0"}}, ""},
		{"vpc ingress rule", typeIngressRule, map[string]any{"ipProtocol": "tcp", "cidrIpv4": "0.0.0.0/0"}, "from 0.0.0.0/0"},
		{"vpc ingress rule from a group", typeIngressRule, map[string]any{"ipProtocol": "tcp", "referencedSecurityGroupId": "sg-1"}, ""},
		{"not a security group", typeInstance, map[string]any{"ingress": []any{rule("tcp", "0.0.0.0/0")}}, ""},
	})
}

func TestNoAllProtocolsToOrFromAnywhere(t *testing.T) {
	runCases(t, "no-all-protocols-to-or-from-anywhere", []policyCase{
		{"web to the internet", typeSecurityGroup, group("egress", rule("tcp", "0.0.0.0/0")), ""},
		{"all to the internet", typeSecurityGroup, group("egress", rule("-1", "0.0.0.0/0")), "egress[0] allows all protocols to 0.0.0.0/0"},
		{"all from 10.40.0.0/0", typeSecurityGroup, group("ingress", rule("-1", "10.40.0.0/0")), "all protocols from 10.40.0.0/0"},
		{"all to the VPC", typeSecurityGroup, group("egress", rule("-1", "10.40.0.0/16")), ""},
		{`"all" spelled out`, typeSecurityGroupRule, map[string]any{"type": "egress", "protocol": "all", "cidrBlocks": []any{"0.0.0.0/0"}}, "all protocols to 0.0.0.0/0"},
		{"vpc egress rule", typeEgressRule, map[string]any{"ipProtocol": "-1", "cidrIpv6": "::/0"}, "all protocols to ::/0"},
	})
}

func TestSecurityGroupRuleDescriptions(t *testing.T) {
	undescribed := rule("tcp", "10.0.0.0/8")
	delete(undescribed, "description")
	blank := rule("tcp", "10.0.0.0/8")
	blank["description"] = " "
	runCases(t, "security-group-rule-descriptions", []policyCase{
		{"described", typeSecurityGroup, group("ingress", rule("tcp", "10.0.0.0/8")), ""},
		{"no description", typeSecurityGroup, group("egress", rule("tcp", "10.0.0.0/8"), undescribed), "egress[1] has no description"},
		{"blank description", typeDefaultSecurityGroup, group("ingress", blank), "has no description"},
		{"SecurityGroupRule", typeSecurityGroupRule, map[string]any{"type": "ingress", "protocol": "tcp"}, "has no description"},
		{"vpc rule", typeIngressRule, map[string]any{"ipProtocol": "tcp", "description": "web"}, ""},
		{"unknown before up", typeEgressRule, map[string]any{"ipProtocol": "tcp", "description": unknown}, ""},
	})
}

func TestImdsv2Required(t *testing.T) {
	runCases(t, "imdsv2-required", []policyCase{
		{"required", typeInstance, map[string]any{"metadataOptions": map[string]any{"httpTokens": "required"}}, ""},
		{"optional", typeInstance, map[string]any{"metadataOptions": map[string]any{"httpTokens": "optional"}}, `httpTokens is "optional"`},
		{"not set", typeInstance, map[string]any{}, "httpTokens is not set"},
		{"launch template", typeLaunchTemplate, map[string]any{"metadataOptions": map[string]any{}}, "httpTokens is not set"},
		{"unknown before up", typeInstance, map[string]any{"metadataOptions": unknown}, ""},
		{"from its launch template", typeInstance, map[string]any{"launchTemplate": map[string]any{"id": "lt-1"}}, ""},
		{"own options beside a launch template", typeInstance, map[string]any{"launchTemplate": map[string]any{"id": "lt-1"},
			"metadataOptions": map[string]any{"httpTokens": "optional"}}, `httpTokens is "optional"`},
	})
}

func TestEncryptedRootVolume(t *testing.T) {
	runCases(t, "encrypted-root-volume", []policyCase{
		{"encrypted", typeInstance, map[string]any{"rootBlockDevice": map[string]any{"encrypted": true}}, ""},
		{"not encrypted", typeInstance, map[string]any{"rootBlockDevice": map[string]any{"encrypted": false}}, "encrypted is false"},
		{"no root block device", typeInstance, map[string]any{}, "encrypted is not set"},
		{"from its launch template", typeInstance, map[string]any{"launchTemplate": map[string]any{"id": "lt-1"}}, ""},
		{"launch template, encrypted", typeLaunchTemplate, map[string]any{"blockDeviceMappings": []any{
			map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{"encrypted": "true"}}}}, ""},
		{"launch template, not encrypted", typeLaunchTemplate, map[string]any{"blockDeviceMappings": []any{
			map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{"encrypted": "false"}}}}, `ebs.encrypted is "false"`},
		{"launch template, no mapping", typeLaunchTemplate, map[string]any{}, "the image decides"},
		{"other type", typeNetworkInterface, map[string]any{}, ""},
	})
}

// A NAT pair's untracked group lets TCP and UDP in from anywhere, and nothing else does: the
// exception holds for exactly the shape the program sets.
func TestNatPairUntrackedGroupIsTheOnlyException(t *testing.T) {
	untracked := func(protocol string) map[string]any {
		r := rule(protocol, "0.0.0.0/0")
		r["toPort"] = 65535
		return r
	}
	both := []any{untracked("tcp"), untracked("udp")}
	pair := func(ingress, egress []any) map[string]any {
		return map[string]any{"description": "a pair", "ingress": ingress, "egress": egress}
	}
	for _, c := range []struct {
		name   string
		group  map[string]any
		wanted int // violations of no-ingress-from-anywhere
	}{
		{"the untracked group", pair(both, both), 0},
		{"untracked in one direction only", pair(both, nil), 2},
		{"UDP missing", pair(both[:1], both[:1]), 1},
		{"TCP twice", pair([]any{untracked("tcp"), untracked("tcp")}, both), 2},
		{"a port range", pair([]any{rule("tcp", "0.0.0.0/0"), untracked("udp")}, both), 2},
		{"a rule more", pair(append([]any{rule("icmp", "10.0.0.0/8")}, both...), both), 2},
		{"::/0 beside it", pair(append([]any{map[string]any{"protocol": "tcp", "fromPort": 0, "toPort": 65535, "ipv6CidrBlocks": []any{"::/0"}}}, both...), both), 3},
	} {
		got, err := validate(t, "no-ingress-from-anywhere", typeSecurityGroup, "res", c.group)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != c.wanted {
			t.Errorf("%s: %d violations %q, want %d", c.name, len(got), got, c.wanted)
		}
	}
	// The default group gets no exception.
	got, _ := validate(t, "no-ingress-from-anywhere", typeDefaultSecurityGroup, "res", pair(both, both))
	if len(got) != 2 {
		t.Errorf("default group with the pair's shape: %q, want both rules refused", got)
	}
}
