package twin

import (
	"fmt"
	"net/netip"
	"testing"

	"nat-instance/compute"
	"nat-instance/lab"
	"nat-instance/mockgraph"
)

func TestFromGraphReadsTheLab(t *testing.T) {
	g, err := mockgraph.Run(lab.Program, map[string]string{}, mockgraph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	topo, err := FromGraph(g)
	if err != nil {
		t.Fatal(err)
	}
	if topo.VPC != netip.MustParsePrefix("10.40.0.0/16") {
		t.Errorf("VPC %s", topo.VPC)
	}
	got := fmt.Sprint(topo.Subnets)
	want := "[{nat-lab-private-1 ap-northeast-2a 10.40.2.0/24 [{0.0.0.0/0 false nat-instance}] RouteTable-nat-lab-private-1} " +
		"{nat-lab-public-1 ap-northeast-2a 10.40.1.0/24 [{0.0.0.0/0 true }] RouteTable-nat-lab-public}]"
	if got != want {
		t.Errorf("subnets\n got %s\nwant %s", got, want)
	}
	byName := map[string]Instance{}
	for _, i := range topo.Instances {
		byName[i.Name] = i
	}
	nat := byName["nat-instance"]
	if nat.PrivateIP.String() != "10.40.1.100" || nat.SourceDestCheck || !nat.ElasticIP.IsValid() ||
		nat.Subnet != "nat-lab-public-1" || fmt.Sprint(nat.SecurityGroups) != "[nat-instance]" {
		t.Errorf("NAT %+v", nat)
	}
	if nat.Boot == nil || string(nat.Boot.Script) != compute.NatBootScript || fmt.Sprint(nat.Boot.Args) != "[10.40.0.0/16]" {
		t.Errorf("NAT boot command %+v, want the embedded script with the VPC CIDR", nat.Boot)
	}
	p := byName["private-ec2-10-40-2-102"]
	if p.PrivateIP.String() != "10.40.2.102" || !p.SourceDestCheck || p.ElasticIP.IsValid() || p.Boot != nil ||
		p.Subnet != "nat-lab-private-1" || fmt.Sprint(p.SecurityGroups) != "[private-ec2]" {
		t.Errorf("private-ec2-10-40-2-102 %+v", p)
	}
	ssh := topo.SecurityGroups["private-ec2"].Ingress[0]
	if ssh.Protocol != "tcp" || ssh.FromPort != 22 || fmt.Sprint(ssh.SourceGroups) != "[nat-instance]" {
		t.Errorf("private SSH rule %+v, want tcp 22 from the nat-instance group", ssh)
	}
}
