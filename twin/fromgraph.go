package twin

import (
	"fmt"
	"net/netip"
	"strings"

	"nat-instance/compute"
	"nat-instance/mockgraph"
	"nat-instance/natpair"
	"nat-instance/userdata"
)

// FromGraph reduces the resources a program run registered to the network they describe.
// Nothing is assumed: a route, rule or flag the program did not ask for is not in the twin.
func FromGraph(g *mockgraph.Graph) (Topology, error) {
	var topo Topology
	vpcs := g.OfType("aws:ec2/vpc:Vpc")
	if len(vpcs) != 1 {
		return topo, fmt.Errorf("twin: %d VPCs registered, want 1", len(vpcs))
	}
	vpc, err := netip.ParsePrefix(vpcs[0].String("cidrBlock"))
	if err != nil {
		return topo, fmt.Errorf("twin: VPC CIDR: %w", err)
	}
	topo.VPC = vpc

	groupNames := map[string]string{} // security group id -> name
	for _, sg := range g.OfType("aws:ec2/securityGroup:SecurityGroup") {
		groupNames[sg.ID] = sg.Name
	}
	topo.SecurityGroups = map[string]SecurityGroup{}
	for _, sg := range g.OfType("aws:ec2/securityGroup:SecurityGroup") {
		var group SecurityGroup
		if group.Ingress, err = rules(sg, "ingress", groupNames); err == nil {
			group.Egress, err = rules(sg, "egress", groupNames)
		}
		if err != nil {
			return topo, err
		}
		topo.SecurityGroups[sg.Name] = group
	}

	subnetNames := map[string]string{} // subnet id -> name
	for _, s := range g.OfType("aws:ec2/subnet:Subnet") {
		subnetNames[s.ID] = s.Name
	}
	for _, inst := range g.OfType("aws:ec2/instance:Instance") {
		instance, err := instanceOf(g, inst, subnetNames, groupNames)
		if err != nil {
			return topo, err
		}
		topo.Instances = append(topo.Instances, instance)
	}

	for _, s := range g.OfType("aws:ec2/subnet:Subnet") {
		cidr, err := netip.ParsePrefix(s.String("cidrBlock"))
		if err != nil {
			return topo, fmt.Errorf("twin: subnet %s: %w", s.Name, err)
		}
		subnet := Subnet{Name: s.Name, Zone: s.String("availabilityZone"), CIDR: cidr}
		if subnet.RouteTableID, subnet.Routes, err = routesOf(g, s); err != nil {
			return topo, err
		}
		topo.Subnets = append(topo.Subnets, subnet)
	}
	publicIPs := map[string]netip.Addr{} // allocation id -> address
	topo.ARNs = map[string]string{}
	for _, eip := range g.OfType("aws:ec2/eip:Eip") {
		publicIPs[fmt.Sprint(eip.State["allocationId"])], _ = netip.ParseAddr(fmt.Sprint(eip.State["publicIp"]))
		topo.ARNs[fmt.Sprint(eip.State["allocationId"])] = fmt.Sprint(eip.State["arn"])
	}
	for _, typ := range []string{"aws:ec2/networkInterface:NetworkInterface", "aws:ec2/routeTable:RouteTable"} {
		for _, r := range g.OfType(typ) {
			topo.ARNs[r.ID] = fmt.Sprint(r.State["arn"])
		}
	}
	topo.Pairs, err = pairsOf(topo.Instances, publicIPs)
	return topo, err
}

// instanceOf reads an instance's interface: its own ENI when launched with one, otherwise the
// subnet, address and groups given to the instance.
func instanceOf(g *mockgraph.Graph, inst mockgraph.Resource, subnetNames, groupNames map[string]string) (Instance, error) {
	out := Instance{Name: inst.Name, SourceDestCheck: true}
	iface := inst
	ipKey, groupsKey := "privateIp", "vpcSecurityGroupIds"
	if nics := inst.Objects("networkInterfaces"); len(nics) > 0 {
		eni, ok := g.ByID(fmt.Sprint(nics[0]["networkInterfaceId"]))
		if !ok {
			return out, fmt.Errorf("twin: instance %s: its network interface was not registered", inst.Name)
		}
		iface = eni
		out.ENI = eni.ID
		ipKey, groupsKey = "", "securityGroups"
		if ips := eni.Strings("privateIps"); len(ips) > 0 {
			out.PrivateIP, _ = netip.ParseAddr(ips[0])
		}
	}
	if ipKey != "" {
		out.PrivateIP, _ = netip.ParseAddr(iface.String(ipKey))
	}
	var err error
	if !out.PrivateIP.IsValid() {
		return out, fmt.Errorf("twin: instance %s has no fixed private IP", inst.Name)
	}
	if check, set := iface.Inputs["sourceDestCheck"].(bool); set {
		out.SourceDestCheck = check // AWS's default, when unset, is on
	}
	out.Subnet = subnetNames[iface.String("subnetId")]
	if out.Subnet == "" {
		return out, fmt.Errorf("twin: instance %s is in no registered subnet", inst.Name)
	}
	for _, id := range iface.Strings(groupsKey) {
		out.SecurityGroups = append(out.SecurityGroups, groupNames[id])
	}
	out.ElasticIP = elasticIP(g, inst.ID, iface.ID)
	if out.Policy, err = rolePolicyOf(g, inst); err != nil {
		return out, err
	}

	userData, err := userdata.Read(inst.String("userData"), inst.String("userDataBase64"))
	if err != nil {
		return out, fmt.Errorf("twin: instance %s: %w", inst.Name, err)
	}
	if _, member := userData.File(natpair.EnvPath); member {
		out.PairFiles = map[string]string{}
		for _, f := range userData.Files() {
			out.PairFiles[f.Path] = f.Content
		}
	} else if len(userData.Steps) > 0 {
		if out.Boot, err = bootCommand(userData); err != nil {
			return out, fmt.Errorf("twin: instance %s: %w", inst.Name, err)
		}
	}
	return out, nil
}

// elasticIP finds the Elastic IP associated with an instance or its interface.
func elasticIP(g *mockgraph.Graph, instanceID, interfaceID string) netip.Addr {
	for _, assoc := range g.OfType("aws:ec2/eipAssociation:EipAssociation") {
		if assoc.String("instanceId") != instanceID && assoc.String("networkInterfaceId") != interfaceID {
			continue
		}
		for _, eip := range g.OfType("aws:ec2/eip:Eip") {
			if eip.State["allocationId"] == assoc.String("allocationId") {
				addr, _ := netip.ParseAddr(fmt.Sprint(eip.State["publicIp"]))
				return addr
			}
		}
	}
	return netip.Addr{}
}

// bootCommand takes the NAT boot script and the arguments its systemd unit starts it with out
// of the user data. Only the package install is left out: the twin has the tools.
func bootCommand(userData userdata.Script) (*BootCommand, error) {
	script, ok := userData.File(compute.NatScriptPath)
	if !ok {
		return nil, fmt.Errorf("user data writes no %s", compute.NatScriptPath)
	}
	unit, ok := userData.File(compute.NatUnitPath)
	if !ok {
		return nil, fmt.Errorf("user data writes no %s", compute.NatUnitPath)
	}
	for line := range strings.Lines(unit.Content) {
		command, ok := strings.CutPrefix(strings.TrimSpace(line), "ExecStart=")
		if !ok {
			continue
		}
		fields := strings.Fields(command)
		if len(fields) == 0 || fields[0] != compute.NatScriptPath {
			return nil, fmt.Errorf("user data: %s starts %q, not %s", compute.NatUnitName, command, compute.NatScriptPath)
		}
		return &BootCommand{Script: []byte(script.Content), Args: fields[1:]}, nil
	}
	return nil, fmt.Errorf("user data: %s starts nothing", compute.NatUnitName)
}

// routesOf reads the id and routes of the table associated with a subnet. A subnet without an
// association would use the VPC's main table, which the program leaves empty.
func routesOf(g *mockgraph.Graph, subnet mockgraph.Resource) (string, []Route, error) {
	var table string
	for _, a := range g.OfType("aws:ec2/routeTableAssociation:RouteTableAssociation") {
		if a.String("subnetId") == subnet.ID {
			table = a.String("routeTableId")
		}
	}
	var routes []Route
	for _, r := range g.OfType("aws:ec2/route:Route") {
		if table == "" || r.String("routeTableId") != table {
			continue
		}
		dest, err := netip.ParsePrefix(r.String("destinationCidrBlock"))
		if err != nil {
			return "", nil, fmt.Errorf("twin: route %s: %w", r.Name, err)
		}
		route := Route{Destination: dest}
		switch {
		case r.String("gatewayId") != "":
			igw, ok := g.ByID(r.String("gatewayId"))
			if !ok || igw.Type != "aws:ec2/internetGateway:InternetGateway" {
				return "", nil, fmt.Errorf("twin: route %s targets %s, not an internet gateway", r.Name, r.String("gatewayId"))
			}
			route.InternetGateway = true
		case r.String("networkInterfaceId") != "":
			owner, err := interfaceOwner(g, r.String("networkInterfaceId"))
			if err != nil {
				return "", nil, fmt.Errorf("twin: route %s: %w", r.Name, err)
			}
			route.ENI = owner
		default:
			return "", nil, fmt.Errorf("twin: route %s has a target the twin does not model: %v", r.Name, r.Inputs)
		}
		routes = append(routes, route)
	}
	return table, routes, nil
}

// interfaceOwner names the instance launched with the network interface id.
func interfaceOwner(g *mockgraph.Graph, eniID string) (string, error) {
	for _, inst := range g.OfType("aws:ec2/instance:Instance") {
		for _, nic := range inst.Objects("networkInterfaces") {
			if nic["networkInterfaceId"] == eniID {
				return inst.Name, nil
			}
		}
	}
	return "", fmt.Errorf("network interface %s is attached to no instance", eniID)
}

// rules reads a security group's inline rules in one direction.
func rules(sg mockgraph.Resource, direction string, groupNames map[string]string) ([]Rule, error) {
	var out []Rule
	for _, raw := range sg.Objects(direction) {
		from, _ := raw["fromPort"].(float64)
		to, _ := raw["toPort"].(float64)
		rule := Rule{Protocol: fmt.Sprint(raw["protocol"]), FromPort: int(from), ToPort: int(to)}
		for _, c := range mockgraph.AsStrings(raw["cidrBlocks"]) {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				return nil, fmt.Errorf("twin: security group %s: %w", sg.Name, err)
			}
			// AWS keeps only the network part: 10.40.0.0/0 is 0.0.0.0/0.
			rule.CIDRs = append(rule.CIDRs, p.Masked())
		}
		if self, _ := raw["self"].(bool); self {
			rule.SourceGroups = append(rule.SourceGroups, sg.Name) // the group's own members
		}
		for _, id := range mockgraph.AsStrings(raw["securityGroups"]) {
			name, ok := groupNames[id]
			if !ok {
				return nil, fmt.Errorf("twin: security group %s refers to unknown group %s", sg.Name, id)
			}
			rule.SourceGroups = append(rule.SourceGroups, name)
		}
		out = append(out, rule)
	}
	return out, nil
}
