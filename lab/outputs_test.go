package lab

import (
	"fmt"
	"slices"
	"testing"
)

func TestOutputs(t *testing.T) {
	g := record(t, config())
	nat := named(t, g, tInstance, "nat-instance")
	eip := g.OfType(tEip)[0]
	p1, p2 := named(t, g, tInstance, "private-ec2-10-40-2-101"), named(t, g, tInstance, "private-ec2-10-40-2-102")

	want := map[string]any{
		"vpcId":              g.OfType(tVpc)[0].ID,
		"availabilityZone":   "ap-northeast-2a",
		"natPublicIp":        eip.State["publicIp"],
		"natPrivateIp":       "10.40.1.100",
		"natInstanceId":      nat.ID,
		"natAmiId":           "ami-arm64",
		"privateAmiId":       "ami-arm64",
		"privateInstanceIps": []any{"10.40.2.101", "10.40.2.102"},
		"privateInstanceIds": []any{p1.ID, p2.ID},
		"natSessionCommand":  "aws ssm start-session --region ap-northeast-2 --target " + nat.ID,
		"privateSessionCommands": []any{
			"aws ssm start-session --region ap-northeast-2 --target " + p1.ID,
			"aws ssm start-session --region ap-northeast-2 --target " + p2.ID,
		},
		"dashboardUrl": "https://ap-northeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-2" +
			"#dashboards:name=nat-instance-test-nat-lab-ap-northeast-2",
	}
	for key, value := range want {
		if fmt.Sprint(g.Outputs[key]) != fmt.Sprint(value) {
			t.Errorf("output %s = %v, want %v", key, g.Outputs[key], value)
		}
	}
	for key := range g.Outputs {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected output %s without keyName", key)
		}
	}
}

func TestSSHOutputsOnlyWithAKeyPair(t *testing.T) {
	g := record(t, config("keyName", "lab-key", "privateInstanceIps", `["10.40.2.50","10.40.2.20"]`))
	eip := g.OfType(tEip)[0].State["publicIp"]
	if got, want := g.Outputs["natSshCommand"], fmt.Sprintf("ssh ec2-user@%s", eip); got != want {
		t.Errorf("natSshCommand = %v, want %v", got, want)
	}
	wantJumps := []any{
		fmt.Sprintf("ssh -J ec2-user@%s ec2-user@10.40.2.50", eip),
		fmt.Sprintf("ssh -J ec2-user@%s ec2-user@10.40.2.20", eip),
	}
	if fmt.Sprint(g.Outputs["privateSshCommands"]) != fmt.Sprint(wantJumps) {
		t.Errorf("privateSshCommands = %v, want %v", g.Outputs["privateSshCommands"], wantJumps)
	}
	// Config order, not sorted order.
	if fmt.Sprint(g.Outputs["privateInstanceIps"]) != "[10.40.2.50 10.40.2.20]" {
		t.Errorf("privateInstanceIps = %v, want config order", g.Outputs["privateInstanceIps"])
	}
	for _, inst := range g.OfType(tInstance) {
		if inst.String("keyName") != "lab-key" {
			t.Errorf("%s key pair %q, want lab-key", inst.Name, inst.String("keyName"))
		}
	}
}

func TestNoPrivateInstances(t *testing.T) {
	g := record(t, config("privateInstanceIps", "[]"))
	if n := len(g.OfType(tInstance)); n != 1 {
		t.Errorf("%d instances, want only the NAT", n)
	}
	if fmt.Sprint(g.Outputs["privateInstanceIps"]) != "[]" {
		t.Errorf("privateInstanceIps = %v, want []", g.Outputs["privateInstanceIps"])
	}
}

func TestAMIFollowsTheInstanceArchitecture(t *testing.T) {
	for _, tc := range []struct{ natType, privateType, natArch, privateArch string }{
		{"t4g.nano", "t4g.nano", "arm64", "arm64"},
		{"t3.micro", "t3.micro", "x86_64", "x86_64"},
		{"t3.micro", "c7gn.medium", "x86_64", "arm64"},
	} {
		t.Run(tc.natType+"+"+tc.privateType, func(t *testing.T) {
			g := record(t, config("natInstanceType", tc.natType, "privateInstanceType", tc.privateType))
			var params []string
			for _, inv := range g.Invokes {
				if inv.Token == "aws:ssm/getParameter:getParameter" {
					params = append(params, inv.Args["name"].(string))
				}
			}
			for _, arch := range []string{tc.natArch, tc.privateArch} {
				want := "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-" + arch
				if !slices.Contains(params, want) {
					t.Errorf("SSM parameters read %v, want %s", params, want)
				}
			}
			// The mock cloud answers ami-<arch> for each parameter.
			for _, inst := range g.OfType(tInstance) {
				wantType, wantArch := tc.privateType, tc.privateArch
				if inst.Name == "nat-instance" {
					wantType, wantArch = tc.natType, tc.natArch
				}
				if inst.String("instanceType") != wantType || inst.String("ami") != "ami-"+wantArch {
					t.Errorf("%s: %s with %s, want %s with ami-%s", inst.Name, inst.String("instanceType"), inst.String("ami"), wantType, wantArch)
				}
			}
		})
	}
}
