package main

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// sgRule is one security group rule, whichever resource type declares it: inline in a
// (default) security group, a SecurityGroupRule, or a vpc SecurityGroupIngressRule/EgressRule.
type sgRule struct {
	where       string // e.g. `nat-instance ingress[2]`, for messages
	ingress     bool
	protocol    property.Value
	cidrs       []property.Value // IPv4 and IPv6
	groups      []property.Value // source or destination security groups
	prefixLists []property.Value
	// input is the resource's input that holds the rule, whose property dependencies name the
	// prefix lists it was given as outputs.
	input       string
	description property.Value
	// pairUntracked: a rule of a NAT pair's untracked group (untrackedGroup).
	pairUntracked bool
}

// toOrFrom says which way the rule's addresses are: "from" for ingress, "to" for egress.
func (r sgRule) toOrFrom() string {
	if r.ingress {
		return "from"
	}
	return "to"
}

// rulesOf lists the security group rules a resource declares. Rules not known before
// `pulumi up` (computed lists) are left out: the policies judge them at `pulumi up`.
func rulesOf(r policyx.AnalyzerResource) []sgRule {
	props := r.Properties
	switch r.Type {
	case typeSecurityGroup, typeDefaultSecurityGroup:
		var rules []sgRule
		pairUntracked := r.Type == typeSecurityGroup && untrackedGroup(props)
		for _, direction := range []string{"ingress", "egress"} {
			list := props.Get(direction)
			if !list.IsArray() {
				continue
			}
			for i, item := range list.AsArray().All {
				if !item.IsMap() {
					continue
				}
				m := item.AsMap()
				rules = append(rules, sgRule{
					where:         fmt.Sprintf("%s %s[%d]", r.Name, direction, i),
					ingress:       direction == "ingress",
					protocol:      m.Get("protocol"),
					cidrs:         append(values(m.Get("cidrBlocks")), values(m.Get("ipv6CidrBlocks"))...),
					groups:        values(m.Get("securityGroups")),
					prefixLists:   values(m.Get("prefixListIds")),
					input:         direction,
					description:   m.Get("description"),
					pairUntracked: pairUntracked,
				})
			}
		}
		return rules
	case typeSecurityGroupRule:
		kind := props.Get("type")
		if !kind.IsString() {
			return nil
		}
		return []sgRule{{
			where:       r.Name,
			ingress:     kind.AsString() == "ingress",
			protocol:    props.Get("protocol"),
			cidrs:       append(values(props.Get("cidrBlocks")), values(props.Get("ipv6CidrBlocks"))...),
			groups:      []property.Value{props.Get("sourceSecurityGroupId")},
			prefixLists: values(props.Get("prefixListIds")),
			input:       "prefixListIds",
			description: props.Get("description"),
		}}
	case typeIngressRule, typeEgressRule:
		return []sgRule{{
			where:       r.Name,
			ingress:     r.Type == typeIngressRule,
			protocol:    props.Get("ipProtocol"),
			cidrs:       []property.Value{props.Get("cidrIpv4"), props.Get("cidrIpv6")},
			groups:      []property.Value{props.Get("referencedSecurityGroupId")},
			prefixLists: []property.Value{props.Get("prefixListId")},
			input:       "prefixListId",
			description: props.Get("description"),
		}}
	}
	return nil
}

// values lists the items of a list value (none for null or unknown).
func values(list property.Value) []property.Value {
	if !list.IsArray() {
		return nil
	}
	return list.AsArray().AsSlice()
}

// eachRule turns a check of one rule into a resource policy over every rule of a resource.
func eachRule(check func(sgRule) []string) func(context.Context, policyx.ResourceValidationArgs) error {
	return func(_ context.Context, args policyx.ResourceValidationArgs) error {
		for _, rule := range rulesOf(args.Resource) {
			for _, problem := range check(rule) {
				args.Manager.ReportViolation(problem, "")
			}
		}
		return nil
	}
}

func noIngressFromAnywhere(rule sgRule) []string {
	if !rule.ingress || rule.pairUntracked {
		return nil
	}
	var problems []string
	for _, cidr := range anywhere(rule) {
		problems = append(problems, fmt.Sprintf("%s allows ingress from %s", rule.where, cidr))
	}
	for _, group := range rule.groups {
		if g := str(group); crossAccountGroup.MatchString(g) {
			problems = append(problems, fmt.Sprintf("%s allows ingress from %s, a security group of another account", rule.where, g))
		}
	}
	return problems
}

// crossAccountGroup is a security group of another account, as EC2 names one ("account/sg-id").
var crossAccountGroup = regexp.MustCompile(`^[0-9]{12}/`)

func noAllProtocolsWithAnywhere(rule sgRule) []string {
	p := rule.protocol
	all := (p.IsString() && (p.AsString() == "-1" || strings.EqualFold(p.AsString(), "all"))) ||
		(p.IsNumber() && p.AsNumber() == -1)
	if !all {
		return nil
	}
	var problems []string
	for _, cidr := range anywhere(rule) {
		problems = append(problems, fmt.Sprintf("%s allows all protocols %s %s", rule.where, rule.toOrFrom(), cidr))
	}
	return problems
}

func ruleHasDescription(rule sgRule) []string {
	d := rule.description
	if d.IsComputed() || (d.IsString() && strings.TrimSpace(d.AsString()) != "") {
		return nil
	}
	return []string{rule.where + " has no description"}
}

// anywhere returns the rule's CIDRs that count as the internet (see internet), and those that
// are not CIDRs at all (a rule the policy cannot read is not shown safe).
func anywhere(rule sgRule) []string {
	var out []string
	for _, cidr := range rule.cidrs {
		if !cidr.IsString() {
			continue // null, or unknown before `pulumi up`
		}
		prefix, err := netip.ParsePrefix(strings.TrimSpace(cidr.AsString()))
		switch {
		case err != nil:
			out = append(out, fmt.Sprintf("%q (not a CIDR)", cidr.AsString()))
		case internet(prefix):
			out = append(out, cidr.AsString())
		}
	}
	return out
}

// Prefix lengths shorter than these count as the internet. IPv4: the program refuses SSH from
// anything wider than /8 (settings: sshAllowedCidrs takes /8 to /32), since /1 to /7 open a large
// part of the internet in a few rules (0.0.0.0/1 and 128.0.0.0/1 are the whole of it). IPv6: a
// /32 is what a regional registry gives one provider; anything wider spans many.
const (
	narrowestInternetV4 = 8
	narrowestInternetV6 = 32
)

// internet reports whether a network is wide enough to count as the internet.
func internet(p netip.Prefix) bool {
	if p.Addr().Is4() {
		return p.Bits() < narrowestInternetV4
	}
	return p.Bits() < narrowestInternetV6
}
