package natpair

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/compute"
)

// Nat is a NAT as a program uses it, a single instance (compute.NatInstance) or a pair (Pair).
type Nat interface {
	Endpoint() compute.NatEndpoint
	Monitored() compute.Monitored
}

// NatArgs places a NAT: a single instance, or a pair when Pair is set.
type NatArgs struct {
	compute.NatInstanceArgs
	// Pair makes the NAT a pair (natHighAvailability); nil for a single instance.
	Pair *Pairing
}

// Pairing is what a pair needs besides what a single NAT instance does. The NAT's address
// (NatInstanceArgs.PrivateIP) is the one that floats between the members; the members get a
// role of their own, so NatInstanceArgs' InstanceProfileName is ignored.
type Pairing struct {
	Region string
	// SubnetPrefixLen is the public subnet's prefix length, for the floating address.
	SubnetPrefixLen int
	// MemberIPs are the members' fixed primary addresses, in member order.
	MemberIPs [Members]string
	// VirtualRouterID is the pair's VRRP id, unique in the VPC.
	VirtualRouterID int
	// Rolling tells which members take the configured image, type, key pair and boot script now.
	Rolling [Members]bool
	// RouteTableArns are the ARNs of the tables of NatInstanceArgs.PrivateRoutes, in order: the
	// role may replace their default routes.
	RouteTableArns []pulumi.StringInput
	// PermissionsBoundary is the ARN of the pair role's permissions boundary; empty for none.
	PermissionsBoundary string
}

// NewNat builds the NAT named name: a pair with args.Pair, else a single NAT instance.
func NewNat(ctx *pulumi.Context, name string, args NatArgs, opts ...pulumi.ResourceOption) (Nat, error) {
	single := args.NatInstanceArgs
	if args.Pair == nil {
		nat, err := compute.NewNatInstance(ctx, name, &single, opts...)
		if err != nil {
			return nil, err
		}
		return nat, nil
	}
	routes := make([]Route, len(single.PrivateRoutes))
	for i, r := range single.PrivateRoutes {
		routes[i] = Route{PrivateRoute: r, RouteTableArn: args.Pair.RouteTableArns[i]}
	}
	pair, err := New(ctx, name, &Args{
		InstanceSettings:    single.InstanceSettings,
		Region:              args.Pair.Region,
		VpcID:               single.VpcID,
		VpcCidr:             single.VpcCidr,
		SubnetID:            single.SubnetID,
		SubnetPrefixLen:     args.Pair.SubnetPrefixLen,
		FloatingIP:          single.PrivateIP,
		MemberIPs:           args.Pair.MemberIPs,
		SSHAllowedCidrs:     single.SSHAllowedCidrs,
		VirtualRouterID:     args.Pair.VirtualRouterID,
		InternetGateway:     single.InternetGateway,
		PublicRouting:       single.PublicRouting,
		Rolling:             args.Pair.Rolling,
		PrivateRoutes:       routes,
		MonitoringArgs:      single.MonitoringArgs,
		PermissionsBoundary: args.Pair.PermissionsBoundary,
	}, opts...)
	if err != nil {
		return nil, err
	}
	return pair, nil
}
