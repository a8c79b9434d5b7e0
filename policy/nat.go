package main

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// vrrpProtocol is the IP protocol of VRRP, which the members of a NAT pair speak to each other.
const vrrpProtocol = "112"

// natInterfaces returns the URNs of the stack's NAT interfaces, known by their role, which no
// name or tag can fake: a network interface with source/dest check off that a 0.0.0.0/0 route of
// the stack targets (a NAT forwards the private subnets' traffic), and the standby member of such
// a NAT (the program's pairs: in the same subnet and security group, which allows VRRP from
// itself; keepalived moves the routes to it on a takeover).
func natInterfaces(g *stackGraph) map[string]bool {
	nats := map[string]bool{}
	for _, route := range g.ofType(typeRoute) {
		if str(route.Properties.Get("destinationCidrBlock")) == "0.0.0.0/0" {
			markForwarding(g, nats, g.refs(route, "networkInterfaceId", typeNetworkInterface))
		}
	}
	for _, table := range append(g.ofType(typeRouteTable), g.ofType(typeDefaultRouteTable)...) {
		for _, route := range values(table.Properties.Get("routes")) {
			target := field(route, "networkInterfaceId")
			if str(field(route, "cidrBlock")) != "0.0.0.0/0" || target.IsNull() {
				continue
			}
			if urn, ok := g.byID[str(target)]; ok {
				markForwarding(g, nats, []string{urn})
			} else if target.IsComputed() {
				// Not known before `pulumi up`: the interfaces the table's routes come from.
				markForwarding(g, nats, g.refs(table, "routes", typeNetworkInterface))
			}
		}
	}
	active := slices.Sorted(maps.Keys(nats))
	for _, eni := range g.ofType(typeNetworkInterface) {
		if nats[eni.URN] || !isFalse(eni.Properties.Get("sourceDestCheck")) {
			continue
		}
		for _, nat := range active {
			if standbyOf(g, eni, g.byURN[nat]) {
				nats[eni.URN] = true
			}
		}
	}
	return nats
}

// markForwarding adds the interfaces among urns that have source/dest check off.
func markForwarding(g *stackGraph, nats map[string]bool, urns []string) {
	for _, urn := range urns {
		if isFalse(g.byURN[urn].Properties.Get("sourceDestCheck")) {
			nats[urn] = true
		}
	}
}

// standbyOf reports whether eni is the other member of nat's pair: same subnet, and a security
// group in common that allows VRRP from itself. (The members' other groups may differ while one
// of them rolls: the untracked group comes with the member's new boot files.)
func standbyOf(g *stackGraph, eni, nat policyx.AnalyzerResource) bool {
	subnets, groups := g.refs(eni, "subnetId", typeSubnet), g.refs(eni, "securityGroups", typeSecurityGroup)
	if len(subnets) == 0 || len(groups) == 0 || !slices.Equal(subnets, g.refs(nat, "subnetId", typeSubnet)) {
		return false
	}
	shared := g.refs(nat, "securityGroups", typeSecurityGroup)
	return slices.ContainsFunc(groups, func(urn string) bool {
		if !slices.Contains(shared, urn) {
			return false
		}
		return slices.ContainsFunc(values(g.byURN[urn].Properties.Get("ingress")), func(rule property.Value) bool {
			return str(field(rule, "protocol")) == vrrpProtocol && isTrue(field(rule, "self"))
		})
	})
}

// isFalse reads a boolean that is known and false (source/dest check not set is on).
func isFalse(v property.Value) bool { return v.IsBool() && !v.AsBool() }

func sourceDestCheckOnlyOnNat(g *stackGraph, m policyx.PolicyManager) {
	nats := natInterfaces(g)
	for _, eni := range g.ofType(typeNetworkInterface) {
		if isFalse(eni.Properties.Get("sourceDestCheck")) && !nats[eni.URN] {
			m.ReportViolation(fmt.Sprintf("%s: source/dest check is off, but it is no NAT: no 0.0.0.0/0 route of the stack targets it, and it is not the standby member of a NAT that one targets", eni.Name), "")
		}
	}
	for _, inst := range g.ofType(typeInstance) {
		if isFalse(inst.Properties.Get("sourceDestCheck")) && !slices.ContainsFunc(g.refs(inst, "networkInterfaces", typeNetworkInterface), func(u string) bool { return nats[u] }) {
			m.ReportViolation(fmt.Sprintf("%s: source/dest check is off, but the instance has no NAT interface", inst.Name), "")
		}
	}
}

// publicAddressesOnlyOnNat wants every Elastic IP association to end on a NAT interface, given
// as the interface or as its instance. A target not known before `pulumi up` is judged then.
func publicAddressesOnlyOnNat(g *stackGraph, m policyx.PolicyManager) {
	nats := natInterfaces(g)
	check := func(r policyx.AnalyzerResource, eniInput, instanceInput string) {
		eni, inst := r.Properties.Get(eniInput), r.Properties.Get(instanceInput)
		if eni.IsNull() && inst.IsNull() {
			return // not associated here
		}
		targets := g.refs(r, eniInput, typeNetworkInterface)
		instances := g.refs(r, instanceInput, typeInstance)
		for _, i := range instances {
			targets = append(targets, g.refs(g.byURN[i], "networkInterfaces", typeNetworkInterface)...)
		}
		if len(targets) == 0 && len(instances) == 0 && (eni.IsComputed() || inst.IsComputed()) {
			return // an output of something outside the stack, not known before `pulumi up`
		}
		if len(targets) == 0 || slices.ContainsFunc(targets, func(u string) bool { return !nats[u] }) {
			m.ReportViolation(fmt.Sprintf("%s: associates a public address with %s, which is not a NAT interface of the stack", r.Name, describe(eni, inst)), "")
		}
	}
	for _, a := range g.ofType(typeEipAssociation) {
		check(a, "networkInterfaceId", "instanceId")
	}
	for _, e := range g.ofType(typeEip) {
		check(e, "networkInterface", "instance")
	}
}

// describe names an association's target for a message.
func describe(eni, inst property.Value) string {
	if !eni.IsNull() {
		return "network interface " + show(eni)
	}
	return "instance " + show(inst)
}
