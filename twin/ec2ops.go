package twin

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// apiError is an error the service answers with: its code, its message, and whether the CLI
// retries it (AWS CLI User Guide, "AWS CLI retries": throttling, 500, 502, 503, 504).
type apiError struct {
	code, message string
	retryable     bool
}

func (e *apiError) Error() string { return fmt.Sprintf("(%s): %s", e.code, e.message) }

func refused(code, format string, args ...any) *apiError {
	return &apiError{code: code, message: fmt.Sprintf(format, args...)}
}

// serve answers one request that reached the endpoint: IAM first (an unauthorized call is
// refused whatever its parameters), then EC2's own checks, then the effect on EC2's record.
// It returns the response (nil for operations that answer nothing). Called under t.ec2.mu.
func (t *Twin) serve(member string, cmd awsCommand) (any, error) {
	inst := t.topo.Instances[t.instanceIndex(member)]
	t.ec2.changing = t.pairOf(member).AllocationID
	request := t.iamRequestOf(cmd)
	if !inst.Policy.allows(request) {
		code := "UnauthorizedOperation" // EC2's code; CloudWatch answers AccessDenied
		if cmd.service == "cloudwatch" {
			code = "AccessDenied"
		}
		return nil, refused(code, "You are not authorized to perform this operation. User: %s's role is not authorized to perform: %s on resource: %s",
			member, request.action, strings.Join(request.resources, ", "))
	}
	switch cmd.operation {
	case "assign-private-ip-addresses":
		return t.assignAddresses(cmd)
	case "associate-address":
		return t.associateAddress(cmd)
	case "replace-route":
		return nil, t.replaceRoute(cmd)
	case "describe-network-interfaces":
		return t.describeInterfaces(cmd)
	case "describe-addresses":
		return t.describeAddresses(cmd)
	case "describe-route-tables":
		return t.describeRouteTables(cmd)
	default: // put-metric-data
		return nil, t.putMetricData(member, cmd)
	}
}

// iamRequestOf names the resources a call acts on, as the Service Authorization Reference lists
// them for the action (network-interface for AssignPrivateIpAddresses, elastic-ip and
// network-interface for AssociateAddress, route-table for ReplaceRoute; none for the Describe
// actions and for PutMetricData, which IAM then matches against "*").
func (t *Twin) iamRequestOf(cmd awsCommand) iamRequest {
	r := iamRequest{action: cmd.op.action, context: map[string]string{"aws:requestedregion": cmd.region, "ec2:region": cmd.region}}
	arn := func(id string) string {
		if a, ok := t.topo.ARNs[id]; ok {
			return a
		}
		return "arn:aws:ec2:" + cmd.region + ":unknown:" + id
	}
	switch cmd.operation {
	case "assign-private-ip-addresses":
		r.resources = []string{arn(cmd.value("--network-interface-id"))}
	case "associate-address":
		r.resources = []string{arn(cmd.value("--allocation-id")), arn(cmd.value("--network-interface-id"))}
	case "replace-route":
		r.resources = []string{arn(cmd.value("--route-table-id"))}
	case "put-metric-data":
		r.resources = []string{"*"}
		r.context["cloudwatch:namespace"] = cmd.value("--namespace")
	default:
		r.resources = []string{"*"}
	}
	return r
}

// memberInterface finds the instance launched with a network interface id.
func (t *Twin) memberInterface(id string) (Instance, error) {
	for _, inst := range t.topo.Instances {
		if inst.ENI != "" && inst.ENI == id {
			return inst, nil
		}
	}
	return Instance{}, refused("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
}

// floatingPair finds the pair whose floating address ip is: the only secondary addresses the
// twin can deliver.
func (t *Twin) floatingPair(ip netip.Addr) *Pair {
	for i, p := range t.topo.Pairs {
		if p.FloatingIP == ip {
			return &t.topo.Pairs[i]
		}
	}
	return nil
}

// assignAddresses plays AssignPrivateIpAddresses: an address must lie in the interface's
// subnet; another interface's primary address is never moved; one held by another interface
// moves only with --allow-reassignment, and "any Elastic IP address that is associated with the
// IP address is also moved" (API Reference, AssignPrivateIpAddresses).
func (t *Twin) assignAddresses(cmd awsCommand) (any, error) {
	inst, err := t.memberInterface(cmd.value("--network-interface-id"))
	if err != nil {
		return nil, err
	}
	subnet := t.topo.Subnets[t.subnetIndex(inst.Subnet)].CIDR
	var ips []netip.Addr
	for _, text := range cmd.values["--private-ip-addresses"] {
		ip, err := netip.ParseAddr(text)
		switch {
		case err != nil || !subnet.Contains(ip):
			return nil, refused("InvalidParameterValue", "Address %s does not fall within the subnet's address range", text)
		case slices.ContainsFunc(t.topo.Instances, func(i Instance) bool { return i.PrivateIP == ip }):
			return nil, refused("InvalidIPAddress.InUse", "Address %s is in use as the primary address of an interface", ip)
		case t.floatingPair(ip) == nil:
			return nil, refused("InvalidParameterValue", "the twin can move only a pair's floating address, not %s", ip)
		}
		if holder := t.ec2.record.secondary[ip]; holder != "" && holder != inst.Name && !cmd.flags["--allow-reassignment"] {
			return nil, refused("InvalidIPAddress.InUse", "Address %s is in use", ip)
		}
		ips = append(ips, ip)
	}
	assigned := []map[string]string{}
	t.change(func(v *ec2View) {
		for _, ip := range ips {
			v.secondary[ip] = inst.Name
			for id, a := range v.associations {
				if a.private == ip {
					v.associations[id] = association{ip, inst.Name}
				}
			}
			assigned = append(assigned, map[string]string{"PrivateIpAddress": ip.String()})
		}
	})
	return map[string]any{"NetworkInterfaceId": inst.ENI, "AssignedPrivateIpAddresses": assigned}, nil
}

// associateAddress plays AssociateAddress: the address must be the interface's; an Elastic IP
// associated elsewhere moves only with --allow-reassociation (Resource.AlreadyAssociated).
func (t *Twin) associateAddress(cmd awsCommand) (any, error) {
	id := cmd.value("--allocation-id")
	if !slices.ContainsFunc(t.topo.Pairs, func(p Pair) bool { return p.AllocationID == id }) {
		return nil, refused("InvalidAllocationID.NotFound", "The allocation ID '%s' does not exist", id)
	}
	inst, err := t.memberInterface(cmd.value("--network-interface-id"))
	if err != nil {
		return nil, err
	}
	ip, _ := netip.ParseAddr(cmd.value("--private-ip-address"))
	if ip != inst.PrivateIP && t.ec2.record.secondary[ip] != inst.Name {
		return nil, refused("InvalidParameterValue", "The specified address %s is not assigned to interface %s", cmd.value("--private-ip-address"), inst.ENI)
	}
	want := association{ip, inst.Name}
	if a, ok := t.ec2.record.associations[id]; ok && a != want && !cmd.flags["--allow-reassociation"] {
		return nil, refused("Resource.AlreadyAssociated", "resource %s is already associated with associate-id %s", id, a.instance)
	}
	t.change(func(v *ec2View) { v.associations[id] = want })
	return map[string]string{"AssociationId": "eipassoc-" + inst.Name}, nil
}

// replaceRoute plays ReplaceRoute on a table's existing default route.
func (t *Twin) replaceRoute(cmd awsCommand) error {
	table := cmd.value("--route-table-id")
	if _, known := t.ec2.record.routeTargets[table]; !known {
		return refused("InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist", table)
	}
	if cmd.value("--destination-cidr-block") != "0.0.0.0/0" {
		return refused("InvalidRoute.NotFound", "There is no route defined for '%s' in the route table", cmd.value("--destination-cidr-block"))
	}
	inst, err := t.memberInterface(cmd.value("--network-interface-id"))
	if err != nil {
		return err
	}
	t.change(func(v *ec2View) { v.routeTargets[table] = inst.Name })
	return nil
}

// describeInterfaces plays DescribeNetworkInterfaces on the members' interfaces, by id or by the
// addresses.private-ip-address filter, as the describe lag shows them.
func (t *Twin) describeInterfaces(cmd awsCommand) (any, error) {
	ids := cmd.values["--network-interface-ids"]
	for _, id := range ids {
		if _, err := t.memberInterface(id); err != nil {
			return nil, err
		}
	}
	var addresses []string
	for _, f := range cmd.values["--filters"] {
		filter, err := shorthand(f)
		if err != nil {
			return nil, err
		}
		if name := filter["Name"]; len(name) != 1 || name[0] != "addresses.private-ip-address" {
			return nil, refused("InvalidParameterValue", "The filter '%v' is invalid (the stand-in knows addresses.private-ip-address)", filter["Name"])
		}
		addresses = append(addresses, filter["Values"]...)
	}
	view := t.described()
	out := []map[string]any{}
	for _, inst := range t.topo.Instances {
		if inst.ENI == "" || (len(ids) > 0 && !slices.Contains(ids, inst.ENI)) || t.pairOf(inst.Name) == nil {
			continue
		}
		held := []map[string]any{{"Primary": true, "PrivateIpAddress": inst.PrivateIP.String()}}
		all := []string{inst.PrivateIP.String()}
		var secondary []netip.Addr
		for ip, holder := range view.secondary {
			if holder == inst.Name {
				secondary = append(secondary, ip)
			}
		}
		slices.SortFunc(secondary, netip.Addr.Compare)
		for _, ip := range secondary {
			held = append(held, map[string]any{"Primary": false, "PrivateIpAddress": ip.String()})
			all = append(all, ip.String())
		}
		if len(addresses) > 0 && !slices.ContainsFunc(all, func(a string) bool { return slices.Contains(addresses, a) }) {
			continue
		}
		out = append(out, map[string]any{"NetworkInterfaceId": inst.ENI, "PrivateIpAddress": inst.PrivateIP.String(),
			"PrivateIpAddresses": held, "SourceDestCheck": inst.SourceDestCheck, "Status": "in-use"})
	}
	return map[string]any{"NetworkInterfaces": out}, nil
}

// describeAddresses plays DescribeAddresses on the pairs' floating Elastic IPs: an unassociated
// address has no association fields.
func (t *Twin) describeAddresses(cmd awsCommand) (any, error) {
	view := t.described()
	out := []map[string]any{}
	for _, p := range t.topo.Pairs {
		ids := cmd.values["--allocation-ids"]
		if len(ids) > 0 && !slices.Contains(ids, p.AllocationID) {
			continue
		}
		address := map[string]any{"AllocationId": p.AllocationID, "PublicIp": p.ElasticIP.String(), "Domain": "vpc"}
		if a, ok := view.associations[p.AllocationID]; ok {
			address["AssociationId"] = "eipassoc-" + a.instance
			address["NetworkInterfaceId"] = t.topo.Instances[t.instanceIndex(a.instance)].ENI
			address["PrivateIpAddress"] = a.private.String()
		}
		out = append(out, address)
	}
	for _, id := range cmd.values["--allocation-ids"] {
		if !slices.ContainsFunc(out, func(a map[string]any) bool { return a["AllocationId"] == id }) {
			return nil, refused("InvalidAllocationID.NotFound", "The allocation ID '%s' does not exist", id)
		}
	}
	return map[string]any{"Addresses": out}, nil
}

// describeRouteTables plays DescribeRouteTables on the tables whose default route a pair serves.
func (t *Twin) describeRouteTables(cmd awsCommand) (any, error) {
	view := t.described()
	ids := cmd.values["--route-table-ids"]
	for _, id := range ids {
		if _, ok := view.routeTargets[id]; !ok {
			return nil, refused("InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist", id)
		}
	}
	out := []map[string]any{}
	for _, table := range slices.Sorted(maps.Keys(view.routeTargets)) {
		if len(ids) > 0 && !slices.Contains(ids, table) {
			continue
		}
		target := t.topo.Instances[t.instanceIndex(view.routeTargets[table])]
		out = append(out, map[string]any{"RouteTableId": table, "Routes": []map[string]any{
			{"DestinationCidrBlock": t.topo.VPC.String(), "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"},
			{"DestinationCidrBlock": "0.0.0.0/0", "NetworkInterfaceId": target.ENI, "Origin": "CreateRoute", "State": "active"},
		}})
	}
	return map[string]any{"RouteTables": out}, nil
}

// putMetricData records one value, with the CLI's --dimensions Name=Value,... form.
func (t *Twin) putMetricData(member string, cmd awsCommand) error {
	value, err := strconv.ParseFloat(cmd.value("--value"), 64)
	if err != nil {
		return refused("InvalidParameterValue", "The value %s for parameter MetricData.member.1.Value is invalid", cmd.value("--value"))
	}
	d := MetricDatum{At: time.Now(), Member: member, Namespace: cmd.value("--namespace"), Name: cmd.value("--metric-name"),
		Value: value, Dimensions: map[string]string{}}
	for _, text := range cmd.values["--dimensions"] {
		pairs, err := shorthand(text)
		if err != nil {
			return err
		}
		for name, values := range pairs {
			d.Dimensions[name] = strings.Join(values, ",")
		}
	}
	t.ec2.metrics = append(t.ec2.metrics, d)
	return nil
}
