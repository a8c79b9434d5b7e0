package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// prefixListsOfTheStack examines the prefix lists that ingress rules name: each must be a
// prefix list of the stack, whose entries (inline, and ManagedPrefixListEntry resources) must
// not count as the internet. A list outside the stack (an AWS-managed or shared one) cannot be
// examined here, so it is not shown safe.
func prefixListsOfTheStack(g *stackGraph, m policyx.PolicyManager) {
	for _, r := range g.resources {
		for _, rule := range rulesOf(r) {
			if !rule.ingress {
				continue
			}
			lists := g.refs(r, rule.input, typePrefixList)
			for _, id := range rule.prefixLists {
				if id.IsString() && !g.knows(id.AsString(), typePrefixList) {
					m.ReportViolation(fmt.Sprintf("%s allows ingress from prefix list %s, which is not in the stack: its entries cannot be examined", rule.where, id.AsString()), "")
				}
				if urn, ok := g.byID[str(id)]; ok {
					lists = append(lists, urn)
				}
			}
			for _, urn := range lists {
				for _, cidr := range entriesOf(g, g.byURN[urn]) {
					if prefix, err := netip.ParsePrefix(strings.TrimSpace(str(cidr))); err == nil && internet(prefix) {
						m.ReportViolation(fmt.Sprintf("%s allows ingress from prefix list %s, whose entry %s counts as the internet", rule.where, g.byURN[urn].Name, str(cidr)), "")
					}
				}
			}
		}
	}
}

// knows reports whether id is the id of a resource of the stack of the type.
func (g *stackGraph) knows(id, typ string) bool {
	urn, ok := g.byID[id]
	return ok && g.byURN[urn].Type == typ
}

// entriesOf returns a prefix list's CIDRs: its inline entries and its entry resources.
func entriesOf(g *stackGraph, list policyx.AnalyzerResource) []property.Value {
	var out []property.Value
	for _, e := range values(list.Properties.Get("entries")) {
		out = append(out, field(e, "cidr"))
	}
	for _, e := range g.ofType(typePrefixListEntry) {
		for _, urn := range g.refs(e, "prefixListId", typePrefixList) {
			if urn == list.URN {
				out = append(out, e.Properties.Get("cidr"))
			}
		}
	}
	return out
}
