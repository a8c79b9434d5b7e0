package lab

import (
	"net/netip"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/compute"
	"nat-instance/network"
	"nat-instance/settings"
)

// sshUser is the default user of Amazon Linux 2023.
const sshUser = "ec2-user"

// exportOutputs exports the addresses the lab's checks look at and ready-to-paste commands.
func exportOutputs(ctx *pulumi.Context, s settings.Settings, region string, zones []string,
	vpc *network.Vpc, nat *compute.NatInstance, private *compute.PrivateInstances) {
	ctx.Export("vpcId", vpc.VpcId)
	ctx.Export("availabilityZone", pulumi.String(zones[0]))
	ctx.Export("natPublicIp", nat.PublicIp)
	ctx.Export("natPrivateIp", nat.PrivateIp)
	ctx.Export("natInstanceId", nat.InstanceId)
	ctx.Export("privateInstanceIps", private.PrivateIps)
	ctx.Export("privateInstanceIds", private.InstanceIds)

	session := func(id pulumi.StringInput) pulumi.StringOutput {
		return pulumi.Sprintf("aws ssm start-session --region %s --target %s", region, id)
	}
	ctx.Export("natSessionCommand", session(nat.InstanceId.ToStringOutput()))
	sessions := pulumi.StringArray{}
	for _, id := range private.InstanceIds {
		sessions = append(sessions, session(id))
	}
	ctx.Export("privateSessionCommands", sessions)

	if s.KeyName == "" {
		return
	}
	if len(s.SSHAllowedCidrs) == 0 {
		_ = ctx.Log.Warn("keyName is set but sshAllowedCidrs is empty: SSH from outside the VPC is closed; "+
			"use the session commands, or set sshAllowedCidrs to your network", nil)
	}
	ctx.Export("natSshCommand", pulumi.Sprintf("ssh %s@%s", sshUser, nat.PublicIp))
	jumps := pulumi.StringArray{}
	for _, ip := range private.PrivateIps {
		jumps = append(jumps, pulumi.Sprintf("ssh -J %s@%s %s@%s", sshUser, nat.PublicIp, sshUser, ip))
	}
	ctx.Export("privateSshCommands", jumps)
}

func prefixStrings(prefixes []netip.Prefix) []string {
	out := make([]string, len(prefixes))
	for i, p := range prefixes {
		out[i] = p.String()
	}
	return out
}

func addrStrings(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}
