package lab

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	"nat-instance/mockgraph"
	"nat-instance/natpair"
)

// sgRule is a security group rule as recorded, with its CIDRs parsed.
type sgRule struct {
	group, direction, description, protocol string
	from, to                                int
	cidrs                                   []netip.Prefix
	groups                                  []string
	self                                    bool // the group's own members
}

func (r sgRule) String() string {
	return fmt.Sprintf("%s %s %s %d-%d %v %v", r.group, r.direction, r.protocol, r.from, r.to, r.cidrs, r.groups)
}

// rulesOf returns every rule of every security group of the graph. CIDRs are parsed, not
// compared as strings: "10.40.0.0/0" is a /0 as much as "0.0.0.0/0" is.
func rulesOf(t *testing.T, g *mockgraph.Graph) []sgRule {
	t.Helper()
	var out []sgRule
	for _, typ := range []string{tSecurityGroup, tDefaultSG} {
		for _, sg := range g.OfType(typ) {
			for _, direction := range []string{"ingress", "egress"} {
				for _, raw := range sg.Objects(direction) {
					r := sgRule{group: sg.Name, direction: direction, protocol: fmt.Sprint(raw["protocol"]),
						groups: mockgraph.AsStrings(raw["securityGroups"])}
					r.description, _ = raw["description"].(string)
					r.self, _ = raw["self"].(bool)
					from, _ := raw["fromPort"].(float64)
					to, _ := raw["toPort"].(float64)
					r.from, r.to = int(from), int(to)
					cidrs := append(mockgraph.AsStrings(raw["cidrBlocks"]), mockgraph.AsStrings(raw["ipv6CidrBlocks"])...)
					for _, c := range cidrs {
						p, err := netip.ParsePrefix(c)
						if err != nil {
							t.Fatalf("%s: unparsable CIDR %q", r, c)
						}
						r.cidrs = append(r.cidrs, p)
					}
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// Rules are inline only, so rulesOf sees them all: a standalone rule resource would escape it.
func TestNoStandaloneSecurityGroupRules(t *testing.T) {
	g := record(t, securityConfigs["ssh"])
	for _, r := range g.Resources {
		if strings.Contains(r.Type, "ecurityGroupRule") || strings.Contains(r.Type, "ecurityGroupIngressRule") ||
			strings.Contains(r.Type, "ecurityGroupEgressRule") {
			t.Errorf("standalone rule %s %s: the security tests read inline rules only", r.Type, r.Name)
		}
	}
}

// untrackedGroups names the groups that make TCP and UDP untracked on NAT pair members'
// interfaces (docs/nat-pairs.md, "Security groups and connection tracking"), recognised by what
// the program sets, not by name: a group on an interface of an instance whose user data installs
// keepalived, whose rules are all TCP or UDP on all ports from or to 0.0.0.0/0. EC2 leaves such
// flows untracked; the members filter them themselves.
func untrackedGroups(t *testing.T, g *mockgraph.Graph) map[string]bool {
	t.Helper()
	onMembers := map[string]bool{}
	for _, inst := range g.OfType(tInstance) {
		if _, member := fileOf(t, inst, natpair.KeepalivedPath); !member {
			continue
		}
		for _, nic := range inst.Objects("networkInterfaces") {
			for _, id := range byID(t, g, fmt.Sprint(nic["networkInterfaceId"]), tENI).Strings("securityGroups") {
				onMembers[byID(t, g, id, tSecurityGroup).Name] = true
			}
		}
	}
	out := map[string]bool{}
	for group := range onMembers {
		out[group] = true
		for _, r := range rulesOf(t, g) {
			untracked := (r.protocol == "tcp" || r.protocol == "udp") && r.from == 0 && r.to == 65535 &&
				slices.Equal(r.cidrs, []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}) && len(r.groups) == 0 && !r.self
			if r.group == group && !untracked {
				delete(out, group)
			}
		}
	}
	return out
}

func hasPrefixZero(cidrs []netip.Prefix) bool {
	return slices.ContainsFunc(cidrs, func(p netip.Prefix) bool { return p.Bits() == 0 })
}

func isAllProtocols(protocol string) bool { return protocol == "-1" || protocol == "all" }

// securityConfigs cover the default stack and one with SSH and a key, where most rules exist.
var securityConfigs = map[string]map[string]string{
	"defaults": config(),
	"ssh":      config("keyName", "lab-key", "sshAllowedCidrs", `["198.51.100.0/24","192.0.2.7/32"]`),
	"pairs":    config("natHighAvailability", "true", "keyName", "lab-key", "sshAllowedCidrs", `["198.51.100.0/24"]`),
}

func TestNoSecurityGroupRuleIsOpenToTheWorld(t *testing.T) {
	for name, cfg := range securityConfigs {
		t.Run(name, func(t *testing.T) {
			g := record(t, cfg)
			rules, exempt := rulesOf(t, g), untrackedGroups(t, g)
			if len(rules) == 0 {
				t.Fatal("no security group rules recorded")
			}
			var untracked []string
			for _, r := range rules {
				if exempt[r.group] {
					untracked = append(untracked, fmt.Sprintf("%s %s", r.direction, r.protocol))
					continue
				}
				if r.direction == "ingress" && hasPrefixZero(r.cidrs) {
					t.Errorf("ingress from a /0: %s", r)
				}
				if hasPrefixZero(r.cidrs) && isAllProtocols(r.protocol) {
					t.Errorf("all protocols to or from a /0: %s", r)
				}
			}
			// The exception is exactly TCP and UDP both ways, in one group per pair.
			var want []string
			for range g.OfType(tNatPair) {
				want = append(want, "egress tcp", "egress udp", "ingress tcp", "ingress udp")
			}
			slices.Sort(untracked)
			slices.Sort(want)
			if !slices.Equal(untracked, want) {
				t.Errorf("untracked rules %v, want %v (TCP and UDP both ways, in one group per pair: %v)", untracked, want, exempt)
			}
		})
	}
}

// awsDescription is what EC2 accepts in group and rule descriptions (the provider checks it at
// preview): an apostrophe fails the whole deployment.
var awsDescription = regexp.MustCompile(`^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,255}$`)

// undescribed lists the security groups and rules of g without a description EC2 accepts; a
// graph without groups or rules is a problem too: "every one is described" would prove nothing.
func undescribed(t *testing.T, g *mockgraph.Graph) []string {
	t.Helper()
	groups, rules := g.OfType(tSecurityGroup), rulesOf(t, g)
	var problems []string
	if len(groups) == 0 || len(rules) == 0 {
		problems = append(problems, fmt.Sprintf("%d security groups and %d rules recorded: nothing to check", len(groups), len(rules)))
	}
	for _, sg := range groups {
		if d := sg.String("description"); !awsDescription.MatchString(d) || d == "Managed by Pulumi" {
			problems = append(problems, fmt.Sprintf("security group %s: description %q is missing or not one EC2 accepts", sg.Name, d))
		}
	}
	for _, r := range rules {
		if !awsDescription.MatchString(r.description) {
			problems = append(problems, fmt.Sprintf("rule %s: description %q is missing or not one EC2 accepts", r, r.description))
		}
	}
	return problems
}

func TestEverySecurityGroupAndRuleIsDescribed(t *testing.T) {
	for name, cfg := range securityConfigs {
		t.Run(name, func(t *testing.T) {
			for _, problem := range undescribed(t, record(t, cfg)) {
				t.Error(problem)
			}
		})
	}
}

func TestDescriptionCheckFailsOnAnEmptyGraph(t *testing.T) {
	if problems := undescribed(t, &mockgraph.Graph{}); len(problems) == 0 {
		t.Error("an empty graph passes the description check")
	}
}

func TestNatSecurityGroupForwardsOnlyForTheVPC(t *testing.T) {
	vpc := netip.MustParsePrefix("10.40.0.0/16")
	for name, cfg := range securityConfigs {
		t.Run(name, func(t *testing.T) {
			g := record(t, cfg)
			var forwarded []string
			for _, r := range rulesOf(t, g) {
				if r.group != "nat-instance" || r.direction != "ingress" {
					continue
				}
				if r.protocol == "tcp" && r.from == 22 {
					continue // SSH, checked below
				}
				if r.self && len(r.cidrs) == 0 {
					continue // a pair's members to each other, checked in TestNatPairMembersTalkByGroupOnly
				}
				if !slices.Equal(r.cidrs, []netip.Prefix{vpc}) || len(r.groups) != 0 {
					t.Errorf("NAT ingress %s is not from the VPC only", r)
				}
				forwarded = append(forwarded, fmt.Sprintf("%s %d-%d", r.protocol, r.from, r.to))
			}
			slices.Sort(forwarded)
			want := []string{"icmp -1--1", "tcp 443-443", "tcp 80-80", "udp 0-65535"}
			if !slices.Equal(forwarded, want) {
				t.Errorf("NAT forwards %v, want %v", forwarded, want)
			}
		})
	}
}

func TestSSHOnlyFromAllowedNetworksAndTheNat(t *testing.T) {
	for name, cfg := range securityConfigs {
		t.Run(name, func(t *testing.T) {
			g := record(t, cfg)
			natSG, exempt := named(t, g, tSecurityGroup, "nat-instance"), untrackedGroups(t, g)
			var allowed []string
			if raw := cfg["nat-instance:sshAllowedCidrs"]; raw != "" {
				if err := json.Unmarshal([]byte(raw), &allowed); err != nil {
					t.Fatal(err)
				}
			}
			var natSSH []string
			for _, r := range rulesOf(t, g) {
				if r.direction != "ingress" || !(r.protocol == "tcp" && r.from <= 22 && 22 <= r.to) || exempt[r.group] {
					continue // the untracked group: a pair member's own firewall takes SSH from sshAllowedCidrs only
				}
				switch r.group {
				case "nat-instance":
					for _, c := range r.cidrs {
						natSSH = append(natSSH, c.String())
					}
				case "private-ec2":
					if len(r.cidrs) != 0 || !slices.Equal(r.groups, []string{natSG.ID}) {
						t.Errorf("private SSH rule %s, want only from the NAT's security group", r)
					}
				default:
					t.Errorf("unexpected SSH rule %s", r)
				}
			}
			for _, m := range g.OfType(tInstance) {
				if _, member := fileOf(t, m, natpair.EnvPath); member {
					if got := strings.Fields(strings.Trim(envValue(t, m, "NAT_SSH_CIDRS"), `"`)); !slices.Equal(got, allowed) {
						t.Errorf("%s's firewall takes SSH from %v, want exactly sshAllowedCidrs %v", m.Name, got, allowed)
					}
				}
			}
			slices.Sort(natSSH)
			slices.Sort(allowed)
			if !slices.Equal(natSSH, allowed) {
				t.Errorf("SSH to the NAT from %v, want exactly sshAllowedCidrs %v", natSSH, allowed)
			}
		})
	}
}

func TestInstancesUseTheirOwnSecurityGroups(t *testing.T) {
	g := record(t, config())
	natSG := named(t, g, tSecurityGroup, "nat-instance")
	privateSG := named(t, g, tSecurityGroup, "private-ec2")
	if got := named(t, g, tENI, "nat-instance").Strings("securityGroups"); !slices.Equal(got, []string{natSG.ID}) {
		t.Errorf("NAT ENI groups %v, want [%s]", got, natSG.ID)
	}
	for _, name := range []string{"private-ec2-10-40-2-101", "private-ec2-10-40-2-102"} {
		if got := named(t, g, tInstance, name).Strings("vpcSecurityGroupIds"); !slices.Equal(got, []string{privateSG.ID}) {
			t.Errorf("%s groups %v, want [%s]", name, got, privateSG.ID)
		}
	}
}

func TestPrefixZeroIsCaughtWhateverTheAddress(t *testing.T) {
	// The lab's typo: AWS stores 10.40.0.0/0 as 0.0.0.0/0. A string compare would miss it.
	for _, c := range []string{"0.0.0.0/0", "10.40.0.0/0"} {
		if !hasPrefixZero([]netip.Prefix{netip.MustParsePrefix(c)}) {
			t.Errorf("%s not recognised as open to the world", c)
		}
	}
	if hasPrefixZero([]netip.Prefix{netip.MustParsePrefix("10.40.0.0/16")}) {
		t.Error("10.40.0.0/16 taken for a /0")
	}
}
