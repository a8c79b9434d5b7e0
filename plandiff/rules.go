package plandiff

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"nat-instance/mockgraph"
)

const (
	instanceType = "aws:ec2/instance:Instance"
	eniType      = "aws:ec2/networkInterface:NetworkInterface"
)

// forceNew lists, per resource type this program creates, the inputs terraform-provider-aws
// marks ForceNew: a change replaces the resource. An instance's userData (or userDataBase64) is
// here only with userDataReplaceOnChange, and an interface's privateIps only for the primary
// address (AWS cannot change it; secondary ones are assigned in place): see replacing.
var forceNew = map[string][]string{
	instanceType:                            {"ami", "availabilityZone", "subnetId", "privateIp", "keyName", "networkInterfaces", "placementGroup", "tenancy", "associatePublicIpAddress"},
	"aws:ec2/subnet:Subnet":                 {"availabilityZone", "availabilityZoneId", "cidrBlock", "vpcId"},
	"aws:ec2/vpc:Vpc":                       {"cidrBlock"},
	eniType:                                 {"subnetId", "interfaceType"},
	"aws:ec2/eip:Eip":                       {"domain", "address", "publicIpv4Pool", "networkBorderGroup"},
	"aws:ec2/eipAssociation:EipAssociation": {"allocationId", "instance", "networkInterfaceId", "privateIpAddress", "allowReassociation", "publicIp"},
	"aws:ec2/route:Route":                   {"routeTableId", "destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId"},
	"aws:ec2/routeTable:RouteTable":         {"vpcId"},
	"aws:ec2/routeTableAssociation:RouteTableAssociation":         {"subnetId", "gatewayId"},
	"aws:ec2/securityGroup:SecurityGroup":                         {"name", "namePrefix", "description", "vpcId"},
	"aws:ec2/internetGateway:InternetGateway":                     {},
	"aws:ec2/internetGatewayAttachment:InternetGatewayAttachment": {"vpcId", "internetGatewayId"},
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":           {"vpcId"},
	"aws:ec2/flowLog:FlowLog":                                     {"vpcId", "subnetId", "eniId", "trafficType", "logDestination", "logDestinationType", "iamRoleArn", "logFormat", "maxAggregationInterval"},
	"aws:cloudwatch/logGroup:LogGroup":                            {"name", "namePrefix"},
	"aws:iam/role:Role":                                           {"name", "namePrefix", "path"},
	"aws:iam/rolePolicy:RolePolicy":                               {"name", "namePrefix", "role"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":           {"role", "policyArn"},
	"aws:iam/instanceProfile:InstanceProfile":                     {"name", "namePrefix", "path"},
	"aws:cloudwatch/metricAlarm:MetricAlarm":                      {"name"},
	"aws:cloudwatch/dashboard:Dashboard":                          {"dashboardName"},
	"aws:sns/topic:Topic":                                         {"name", "namePrefix", "fifoTopic"},
	"aws:sns/topicPolicy:TopicPolicy":                             {"arn"},
	"aws:sns/topicSubscription:TopicSubscription":                 {"topic", "protocol", "endpoint"},
	"aws:kms/key:Key":                                             {"customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"},
}

// replacing returns the changed inputs that force a replacement.
func replacing(new, old *mockgraph.Resource, changed []string) []string {
	var out []string
	for _, k := range changed {
		force := slices.Contains(forceNew[new.Type], k)
		switch {
		case new.Type == instanceType && (k == "userData" || k == "userDataBase64"):
			force = new.Inputs["userDataReplaceOnChange"] == true
		case new.Type == eniType && k == "privateIps":
			force = !reflect.DeepEqual(first(old.Strings(k)), first(new.Strings(k)))
		}
		if force {
			out = append(out, k)
		}
	}
	return out
}

func first(items []string) []string { return items[:min(1, len(items))] }

// held returns the private addresses a resource claims: an instance's fixed address, an
// interface's addresses.
func held(r *mockgraph.Resource) []string {
	switch r.Type {
	case instanceType:
		if ip := r.String("privateIp"); ip != "" {
			return []string{ip}
		}
	case eniType:
		return r.Strings("privateIps")
	}
	return nil
}

// AddressClashes lists the steps that create an instance or interface on an address another
// resource held before the update. That one is still there when the creation runs: dropped
// resources are deleted at the end of an update (pulumi/pulumi#9979), kept ones stay, and the
// order of two unrelated replacements is not fixed. AWS refuses the creation
// (InvalidIPAddress.InUse).
func (p Plan) AddressClashes() []string {
	holder := map[string]string{} // address -> old URN
	for _, s := range p.Steps {
		if s.old != nil {
			for _, ip := range held(s.old) {
				holder[ip] = s.old.URN
			}
		}
	}
	var out []string
	for _, s := range p.Steps {
		if s.Action != Create && s.Action != Replace {
			continue
		}
		for _, ip := range held(s.new) {
			if other, ok := holder[ip]; ok && (s.old == nil || other != s.old.URN) {
				out = append(out, fmt.Sprintf("%s %s is created on %s, which %s still holds", s.Action, s.Name, ip, other))
			}
		}
	}
	return out
}

// natTypes are the components that make one NAT: a single instance, or a pair of members.
const (
	natInstanceType = "nat-instance:compute:NatInstance"
	natPairType     = "nat-instance:compute:NatPair"
)

// NatsDown lists the NATs this plan takes down at some point: a NAT instance stopped or
// replaced, or both members of a NAT pair (one member down leaves the other carrying the NAT).
func (p Plan) NatsDown(g *mockgraph.Graph) []string {
	down := map[string]int{} // NAT component URN -> members with an outage
	for _, s := range p.Steps {
		r := s.new
		if r == nil {
			r = s.old
		}
		if s.Outage {
			down[r.Parent]++
		}
	}
	var out []string
	for urn, n := range down {
		nat, ok := g.ByURN(urn)
		if ok && (nat.Type == natInstanceType || nat.Type == natPairType && n == 2) {
			out = append(out, nat.Name)
		}
	}
	slices.Sort(out)
	return out
}

// Apply returns what the stack records after `pulumi up` of after on the stack recorded in
// before: after's resources, where an ignored input keeps its recorded value (the engine does so
// on updates and replacements alike).
func Apply(before, after *mockgraph.Graph) *mockgraph.Graph {
	out := &mockgraph.Graph{Invokes: after.Invokes, Outputs: after.Outputs}
	for _, s := range Diff(before, after).Steps {
		if s.new == nil {
			continue
		}
		r := *s.new
		if s.old != nil && len(r.IgnoreChanges) > 0 {
			r.Inputs = maps.Clone(r.Inputs)
			for _, k := range r.IgnoreChanges {
				if v, ok := s.old.Inputs[k]; ok {
					r.Inputs[k] = v
				}
			}
		}
		out.Resources = append(out.Resources, r)
	}
	for _, r := range after.Resources {
		if !r.Custom {
			out.Resources = append(out.Resources, r)
		}
	}
	return out
}
