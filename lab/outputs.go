package lab

import (
	"net/netip"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/compute"
	"nat-instance/network"
	"nat-instance/settings"
)

// sshUser is the default user of Amazon Linux 2023.
const sshUser = "ec2-user"

// exportOutputs exports the addresses the lab's checks look at and ready-to-paste commands.
// The lab's outputs describe the first zone's NAT; with several zones, per-zone lists follow.
func exportOutputs(ctx *pulumi.Context, s settings.Settings, region string, zones []string,
	vpc *network.Vpc, nats []compute.NatEndpoint, private *compute.PrivateInstances) {
	nat := nats[0]
	ctx.Export("vpcId", vpc.VpcID)
	// The zones the subnets are in, as recorded: a zone the program picked stays with the
	// stack even when it would pick another today (network.ZoneArgs.KeepZone).
	ctx.Export("availabilityZone", vpc.PublicSubnets[0].AvailabilityZone)
	ctx.Export("natPublicIp", nat.PublicIP)
	ctx.Export("natPrivateIp", nat.PrivateIP)
	ctx.Export("natInstanceId", nat.InstanceID)
	ctx.Export("privateInstanceIps", private.PrivateIPs)
	ctx.Export("privateInstanceIds", private.InstanceIDs)

	ctx.Export("natSessionCommand", sessionCommand(region, nat.InstanceID))
	sessions := pulumi.StringArray{}
	for _, id := range private.InstanceIDs {
		sessions = append(sessions, sessionCommand(region, id))
	}
	ctx.Export("privateSessionCommands", sessions)

	if len(zones) > 1 {
		exportZones(ctx, s, vpc, nats, private)
	}

	if s.KeyName == "" {
		return
	}
	if len(s.SSHAllowedCidrs) == 0 {
		_ = ctx.Log.Warn("keyName is set but sshAllowedCidrs is empty: SSH from outside the VPC is closed; "+
			"use the session commands, or set sshAllowedCidrs to your network", nil)
	}
	ctx.Export("natSshCommand", pulumi.Sprintf("ssh %s@%s", sshUser, nat.PublicIP))
	jumps := pulumi.StringArray{}
	for i, ip := range private.PrivateIPs {
		jump := nats[natIndex(s, s.PrivateInstances[i].Zone)].PublicIP
		jumps = append(jumps, pulumi.Sprintf("ssh -J %s@%s %s@%s", sshUser, jump, sshUser, ip))
	}
	ctx.Export("privateSshCommands", jumps)
}

// sessionCommand opens a shell on an instance through Session Manager.
func sessionCommand(region string, id pulumi.StringInput) pulumi.StringOutput {
	return pulumi.Sprintf("aws ssm start-session --region %s --target %s", region, id)
}

// exportZones exports, zone by zone, the NAT that serves it and its private instances.
func exportZones(ctx *pulumi.Context, s settings.Settings, vpc *network.Vpc, nats []compute.NatEndpoint, private *compute.PrivateInstances) {
	publicIPs, privateIPs, instanceIDs := pulumi.StringArray{}, pulumi.StringArray{}, pulumi.StringArray{}
	for _, nat := range nats {
		publicIPs = append(publicIPs, nat.PublicIP)
		privateIPs = append(privateIPs, nat.PrivateIP)
		instanceIDs = append(instanceIDs, nat.InstanceID)
	}
	zones := pulumi.StringArray{}
	for _, subnet := range vpc.PublicSubnets {
		zones = append(zones, subnet.AvailabilityZone)
	}
	ctx.Export("availabilityZones", zones)
	ctx.Export("natPublicIps", publicIPs)
	ctx.Export("natPrivateIps", privateIPs)
	ctx.Export("natInstanceIds", instanceIDs)

	// zone name -> the Elastic IP its private instances leave through, and their addresses.
	egress, byZone := pulumi.StringArray{}, pulumi.Array{}
	for i := range s.Zones {
		egress = append(egress, nats[natIndex(s, i)].PublicIP)
		ips := pulumi.StringArray{}
		for j, p := range s.PrivateInstances {
			if p.Zone == i {
				ips = append(ips, private.PrivateIPs[j])
			}
		}
		byZone = append(byZone, ips)
	}
	ctx.Export("egressIpByZone", keyedByZone[string](zones, egress))
	ctx.Export("privateInstanceIpsByZone", keyedByZone[any](zones, byZone))
}

// keyedByZone maps each zone name to the value at its position; values resolve to a []T.
func keyedByZone[T any](zones pulumi.StringArray, values pulumi.Input) pulumi.Output {
	return pulumi.All(zones, values).ApplyT(func(all []any) map[string]T {
		names, vals := all[0].([]string), all[1].([]T)
		out := make(map[string]T, len(names))
		for i, name := range names {
			out[name] = vals[i]
		}
		return out
	})
}

// natZone returns the zone whose NAT instance serves a zone: its own under perZone, the first
// under single.
func natZone(s settings.Settings, zone int) int {
	if s.NatStrategy == settings.Single {
		return 0
	}
	return zone
}

// natIndex returns the position, in the list of NAT instances, of the one that serves a zone.
func natIndex(s settings.Settings, zone int) int {
	return slices.Index(s.NatZones(), natZone(s, zone))
}

func prefixStrings(prefixes []netip.Prefix) []string {
	out := make([]string, len(prefixes))
	for i, p := range prefixes {
		out[i] = p.String()
	}
	return out
}
