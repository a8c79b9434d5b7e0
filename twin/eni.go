package twin

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// Each instance's network interface (ENI) is a namespace of its own between the instance and the
// VPC router: EC2 evaluates security groups, and tracks connections, per network interface
// ("Amazon EC2 security group connection tracking", EC2 User Guide,
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html).
// A namespace has a connection tracking table of its own, so a flow tracked on one interface is
// unknown on every other: after a NAT pair's takeover, the server's packets reach an interface
// that never saw the flow, as on AWS.
//
//	instance [ens5] --- [i] ENI [r] --- [rK] VPC router
//
// The ENI forwards: what the instance sends (in on i) goes to the router, everything the router
// delivers (in on r) goes to the instance, whatever the destination (the instance's own address,
// a secondary address that floats onto it, or anything it forwards with source/dest check off).
// It answers the instance's ARP for every address (proxy ARP, as AWS's fabric does) and the
// router's ARP for any address routed to it. It holds no address of its own: next hops are
// static neighbours, with MAC addresses the twin chooses.

// eniNamespace is the namespace of an instance's network interface.
func (t *Twin) eniNamespace(instance string) string { return t.prefix + "eni-" + instance }

// The ENI's ports: i towards the instance, r towards the router; each side's routing table.
const (
	eniInstancePort = "i"
	eniRouterPort   = "r"
	eniToInstance   = "1"
	eniToRouter     = "2"
)

// mac is the MAC address the twin gives one end of instance k's links: 1 the instance's ens5,
// 2 the ENI's i, 3 the ENI's r, 4 the router's port.
func mac(k, end int) string { return fmt.Sprintf("02:00:%02x:%02x:00:%02x", k>>8, k&0xff, end) }

// linkENI makes instance k's interface: its namespace (a fresh one, whatever a killed or rebooted
// instance left), the links to the instance's namespace (which must exist) and to the router, its
// forwarding and its security groups. One `ip` batch, one nft load, the kernel settings written
// directly.
func (t *Twin) linkENI(ctx context.Context, k int, gateway netip.Addr) error {
	inst := t.topo.Instances[k]
	eni := t.eniNamespace(inst.Name)
	if _, err := os.Stat(filepath.Join("/run/netns", eni)); err == nil {
		if _, err := run(ctx, "ip", "netns", "delete", eni); err != nil {
			return err
		}
	}
	if _, err := run(ctx, "ip", "netns", "add", eni); err != nil {
		return err
	}
	ip := inst.PrivateIP.String()
	err := ipBatch(ctx, eni,
		"link set lo up", // the local table, without which no gateway is valid
		fmt.Sprintf("link add %s address %s type veth peer name %s address %s netns %s", eniInstancePort, mac(k, 2), Interface, mac(k, 1), t.Namespace(inst.Name)),
		fmt.Sprintf("link add %s address %s type veth peer name %s address %s netns %s", eniRouterPort, mac(k, 3), routerPort(k), mac(k, 4), t.router()),
		fmt.Sprintf("link set %s mtu %s up", eniInstancePort, vpcMTU),
		fmt.Sprintf("link set %s mtu %s up", eniRouterPort, vpcMTU),
		fmt.Sprintf("rule add iif %s lookup %s pref 100", eniRouterPort, eniToInstance),
		fmt.Sprintf("rule add iif %s lookup %s pref 100", eniInstancePort, eniToRouter),
		fmt.Sprintf("route add default via %s dev %s onlink table %s", ip, eniInstancePort, eniToInstance),
		fmt.Sprintf("route add default via %s dev %s onlink table %s", gateway, eniRouterPort, eniToRouter),
		fmt.Sprintf("neigh replace %s lladdr %s dev %s nud permanent", ip, mac(k, 1), eniInstancePort),
		fmt.Sprintf("neigh replace %s lladdr %s dev %s nud permanent", gateway, mac(k, 4), eniRouterPort),
	)
	if err != nil {
		return err
	}
	// The ruleset first: its connection tracking makes the kernel's tracking settings exist here.
	if err := nftIn(ctx, eni, t.eniRuleset(k)); err != nil {
		return err
	}
	settings := []string{"net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
		// EC2 does not judge TCP sequence numbers (nothing in its documentation says so): an
		// out-of-window packet is not "invalid" here, it is judged by the rules like any other.
		"net.netfilter.nf_conntrack_tcp_be_liberal=1",
		// EC2's default idle timeout of a UDP stream ("Connection tracking timeouts", same guide;
		// ConnectionTrackingConfiguration in the EC2 API reference): 180 s, Linux's is 120 s. TCP
		// (5 days), one-way UDP (30 s) and other protocols (600 s, "only the IP address and protocol
		// number is tracked") are Linux's defaults already.
		"net.netfilter.nf_conntrack_udp_timeout_stream=180"}
	for _, port := range []string{eniInstancePort, eniRouterPort} {
		settings = append(settings, "net.ipv4.conf."+port+".rp_filter=0", "net.ipv4.conf."+port+".proxy_arp=1",
			"net.ipv4.neigh."+port+".proxy_delay=0") // answer at once, not after up to 0.8 s
	}
	return writeSysctls(eni, settings...)
}

// writeSysctls sets kernel parameters of a namespace without starting a process: /proc/sys/net
// shows the namespace of the thread that opens it.
func writeSysctls(ns string, settings ...string) error {
	return inNamespace(ns, func() error {
		for _, s := range settings {
			key, value, _ := strings.Cut(s, "=")
			path := filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
			if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
				return fmt.Errorf("sysctl %s in %s: %w", s, ns, err)
			}
		}
		return nil
	})
}

// removeENIs deletes every interface's namespace (no process runs there).
func (t *Twin) removeENIs() error {
	var errs []error
	for _, inst := range t.topo.Instances {
		eni := t.eniNamespace(inst.Name)
		if _, err := os.Stat(filepath.Join("/run/netns", eni)); err != nil {
			continue
		}
		if _, err := run(context.Background(), "ip", "netns", "delete", eni); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
