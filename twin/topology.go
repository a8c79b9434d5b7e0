// Package twin builds a copy of the deployed network out of Linux network namespaces, so that
// the program's routing, security groups and NAT boot script can be exercised without AWS.
package twin

import "net/netip"

// Topology is the deployed network reduced to what packets see. It is derived from the
// resources the program registers (see FromGraph), never written by hand.
type Topology struct {
	VPC            netip.Prefix
	Subnets        []Subnet
	Instances      []Instance
	SecurityGroups map[string]SecurityGroup // by resource name
	Pairs          []Pair                   // NAT pairs (natHighAvailability), see pair.go
	// ARNs are the ARNs of what the members' calls act on (interfaces and route tables by id,
	// Elastic IPs by allocation id), as the program's policies name them.
	ARNs map[string]string
}

// Subnet is a subnet and the routes of the route table associated with it. AWS's implicit
// "VPC CIDR -> local" route is not listed: the VPC router always delivers inside the VPC.
type Subnet struct {
	Name   string
	Zone   string
	CIDR   netip.Prefix
	Routes []Route
	// RouteTableID is the id of the route table associated with the subnet: what the AWS
	// stand-in's replace-route names.
	RouteTableID string
}

// Route sends Destination to the internet gateway, or to the ENI of the instance named ENI.
type Route struct {
	Destination     netip.Prefix
	InternetGateway bool
	ENI             string // instance name, when not InternetGateway
}

// Instance is an EC2 instance with its one network interface.
type Instance struct {
	Name            string
	Subnet          string // Subnet.Name
	PrivateIP       netip.Addr
	SourceDestCheck bool
	SecurityGroups  []string   // keys of Topology.SecurityGroups
	ElasticIP       netip.Addr // invalid (zero) when the instance has none
	// Boot is what the instance runs at boot, taken from its user data: the script's bytes
	// and the arguments its systemd unit passes. Empty for instances without one.
	Boot *BootCommand
	// ENI is the id of the instance's own network interface, when launched with one.
	ENI string
	// PairFiles are the files a NAT pair member's user data writes, by path; nil for others.
	PairFiles map[string]string
	// Policy is what its instance profile's role allows (iam.go); nil: no role, nothing allowed.
	Policy *IAMPolicy
}

// SecurityGroup holds stateful rules, as AWS evaluates them at an ENI's edge.
type SecurityGroup struct {
	Ingress []Rule
	Egress  []Rule
}

// Rule allows Protocol ("tcp", "udp", "icmp" or "-1" for all) on ports FromPort..ToPort
// (ignored for icmp and -1) from or to any of CIDRs or the members of SourceGroups.
type Rule struct {
	Protocol     string
	FromPort     int
	ToPort       int
	CIDRs        []netip.Prefix
	SourceGroups []string
}
