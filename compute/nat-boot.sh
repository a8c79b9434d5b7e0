#!/bin/bash
# Turns this host into a NAT instance for the VPC whose CIDR is the first argument.
# Runs at every boot (systemd unit nat-instance.service) and is idempotent: the whole
# ruleset is replaced in one nft transaction, so running it twice leaves one copy of each rule.
set -euo pipefail

fail() {
	echo "nat-instance-setup: $*" >&2
	exit 1
}

[ $# -eq 1 ] || fail "usage: nat-instance-setup VPC_CIDR (for example 10.40.0.0/16)"
vpc_cidr=$1
[[ $vpc_cidr =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$ ]] || fail "VPC CIDR '$vpc_cidr' is not an IPv4 prefix like 10.40.0.0/16"
command -v nft >/dev/null || fail "nft not found: install the nftables package"

# The primary interface is the one holding the default route: ens5 on Amazon Linux 2023 on
# Nitro, eth0 elsewhere. Wait for it briefly, because the unit may start before DHCP is done.
iface=""
for _ in $(seq 1 30); do
	iface=$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
	[ -n "$iface" ] && break
	sleep 1
done
[ -n "$iface" ] || fail "no IPv4 default route after 30 s: cannot tell which interface faces the internet"

# Forward IPv4, and send no ICMP redirects: the private hosts must keep sending through us.
sysctl_file=/etc/sysctl.d/90-nat-instance.conf
cat >"$sysctl_file" <<EOF
net.ipv4.ip_forward = 1
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.conf.$iface.send_redirects = 0
EOF
sysctl -q -p "$sysctl_file" >/dev/null || fail "could not apply $sysctl_file"

# Instances use MTU 9001 inside the VPC and offer an MSS to match; the internet carries 1500.
# The route MTU here is 9001 too, so clamping to it would change nothing: clamp forwarded SYNs
# (both ways, one interface) to what a 1500-byte path carries.
internet_mss=1460

# One table owns everything this script does. Declaring it empty and deleting it first makes
# the load replace the previous copy in the same transaction.
nft -f - <<EOF || fail "nft rejected the ruleset for $iface and $vpc_cidr"
table ip nat_instance
delete table ip nat_instance
table ip nat_instance {
	chain forward_filter {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ct state invalid drop
		iifname "$iface" oifname "$iface" ip saddr $vpc_cidr ip daddr != $vpc_cidr accept
	}
	chain forward_mss {
		type filter hook forward priority mangle; policy accept;
		oifname "$iface" tcp flags syn tcp option maxseg size > $internet_mss tcp option maxseg size set $internet_mss
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "$iface" ip saddr $vpc_cidr ip daddr != $vpc_cidr masquerade
	}
}
EOF

echo "nat-instance-setup: forwarding and masquerading $vpc_cidr out of $iface"
