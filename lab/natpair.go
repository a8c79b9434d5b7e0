package lab

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/natpair"
	"nat-instance/settings"
)

// pairing is what the zone's NAT needs to be a pair (natHighAvailability). index is the NAT's
// position, which makes its VRRP router id unique in the VPC; tableArns are those of the private
// route tables it serves.
func pairing(s settings.Settings, region string, zone, index int, tableArns []pulumi.StringInput) *natpair.Pairing {
	z := s.Zones[zone]
	return &natpair.Pairing{
		Region:              region,
		SubnetPrefixLen:     z.PublicSubnet.Bits(),
		MemberIPs:           [natpair.Members]string{z.NatMemberIPs[0].String(), z.NatMemberIPs[1].String()},
		VirtualRouterID:     1 + index,
		Rolling:             natpair.Rolling(settings.NatName(zone), s.NatPairRoll),
		RouteTableArns:      tableArns,
		PermissionsBoundary: s.IamPermissionsBoundary,
	}
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
