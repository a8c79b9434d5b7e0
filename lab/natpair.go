package lab

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/compute"
	"nat-instance/natpair"
	"nat-instance/network"
	"nat-instance/settings"
)

// natEndpoint is what the rest of the program needs of a NAT, a single instance or a pair: its
// security group (private instances accept the jump host's SSH from it), the instance users
// reach (a pair's member that started active) and the NAT's private and public addresses.
type natEndpoint struct {
	SecurityGroupID pulumi.StringOutput
	InstanceID      pulumi.StringOutput
	PrivateIP       pulumi.StringOutput
	PublicIP        pulumi.StringOutput
}

// newNatPair builds the zone's NAT as a pair (natHighAvailability). index is the NAT's position,
// which makes its VRRP router id unique in the VPC.
func newNatPair(ctx *pulumi.Context, s settings.Settings, region string, vpc *network.Vpc, zone, index int,
	natSettings compute.InstanceSettings, routes []compute.PrivateRoute, tableArns pulumi.StringArray, monitoring compute.MonitoringArgs) (*natpair.Pair, error) {
	z := s.Zones[zone]
	pairRoutes := make([]natpair.Route, len(routes))
	for i, r := range routes {
		pairRoutes[i] = natpair.Route{PrivateRoute: r, RouteTableArn: tableArns[i]}
	}
	return natpair.New(ctx, settings.NatName(zone), &natpair.Args{
		InstanceSettings:    natSettings,
		Region:              region,
		VpcID:               vpc.VpcID.ToStringOutput(),
		VpcCidr:             s.VpcCidr.String(),
		SubnetID:            vpc.PublicSubnets[zone].ID().ToStringOutput(),
		SubnetPrefixLen:     z.PublicSubnet.Bits(),
		FloatingIP:          z.NatPrivateIP.String(),
		MemberIPs:           [2]string{z.NatMemberIPs[0].String(), z.NatMemberIPs[1].String()},
		SSHAllowedCidrs:     prefixStrings(s.SSHAllowedCidrs),
		VirtualRouterID:     1 + index,
		InternetGateway:     []pulumi.Resource{vpc.InternetGatewayAttachment},
		PublicRouting:       []pulumi.Resource{vpc.PublicDefaultRoute, vpc.PublicAssociations[zone]},
		Rolling:             natpair.Rolling(settings.NatName(zone), s.NatPairRoll),
		PrivateRoutes:       pairRoutes,
		MonitoringArgs:      monitoring,
		PermissionsBoundary: s.IamPermissionsBoundary,
	})
}

// exportNatPairs exports what a user needs to see the pairs, per NAT in NAT order (one entry
// for a one-NAT stack): each member's instance id, fixed private and public address, the member
// that started active, and a Session Manager command per member.
func exportNatPairs(ctx *pulumi.Context, region string, pairs []*natpair.Pair) {
	ids, privateIPs, publicIPs, active, sessions := pulumi.Array{}, pulumi.Array{}, pulumi.Array{}, pulumi.StringArray{}, pulumi.Array{}
	for _, p := range pairs {
		ids = append(ids, p.MemberInstanceIDs)
		privateIPs = append(privateIPs, p.MemberPrivateIPs)
		publicIPs = append(publicIPs, p.MemberPublicIPs)
		active = append(active, p.StartedActive)
		sessions = append(sessions, pulumi.StringArray{
			sessionCommand(region, p.MemberInstanceIDs.Index(pulumi.Int(0))),
			sessionCommand(region, p.MemberInstanceIDs.Index(pulumi.Int(1))),
		})
	}
	ctx.Export("natMemberInstanceIds", ids)
	ctx.Export("natMemberPrivateIps", privateIPs)
	ctx.Export("natMemberPublicIps", publicIPs)
	ctx.Export("natStartedActive", active)
	ctx.Export("natMemberSessionCommands", sessions)
}
