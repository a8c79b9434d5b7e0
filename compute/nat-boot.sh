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

# --- begin connection tracking capacity ---
# The kernel sizes the table from memory: buckets = RAM / 16 KiB / 8 B, at least 1024, and as
# many entries as buckets (nf_conntrack_init_start, Linux 5.15+, so AL2023's 6.1 and 6.12):
# about 3,500-4,096 entries on a 512 MiB t4g.nano, which a busy subnet fills in seconds. Size
# it on purpose: one entry per 8 KiB of memory, at least 65,536 (above a NAT gateway's 55,000
# per destination) and at most 1,048,576. An entry costs about 0.4 KiB (the nf_conn slab
# object and its NAT extension), so a full table takes about 5 % of memory, 26 MiB at the
# floor; the hash table, one 8-byte bucket per entry (the kernel's own ratio), 0.5-8 MiB.
mem_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
[[ $mem_kib =~ ^[0-9]+$ ]] || fail "cannot read MemTotal from /proc/meminfo"
# A multiple of 8192, so that the hash fills whole pages (4 or 64 KiB) and keeps its exact size.
conntrack_max=$((mem_kib / 8 / 8192 * 8192))
((conntrack_max >= 65536)) || conntrack_max=65536
((conntrack_max <= 1048576)) || conntrack_max=1048576
conntrack_buckets=$conntrack_max

# Timeouts. Established TCP: 2 h 4 min (RFC 5382 REQ-5: a NAT must not drop an idle
# established TCP flow sooner), not the kernel's 5 days, which lets dead flows hold entries;
# a NAT gateway cuts idle TCP after 350 s, this NAT keeps it 21 times longer. TIME_WAIT: 60 s,
# the endpoints' own (Linux TCP_TIMEWAIT_LEN), not 120 s: short HTTPS calls leave fewer
# entries behind. UDP: 30 s for a flow with no second exchange (a DNS query and its answer),
# 120 s once it is a stream (RFC 4787 REQ-5: at least 2 minutes); ICMP 30 s. These are the
# kernel's values, written down so that they are chosen, not inherited.
conntrack_file=/etc/sysctl.d/91-nat-instance-conntrack.conf
cat >"$conntrack_file" <<EOF
net.netfilter.nf_conntrack_max = $conntrack_max
net.netfilter.nf_conntrack_tcp_timeout_established = 7440
net.netfilter.nf_conntrack_tcp_timeout_time_wait = 60
net.netfilter.nf_conntrack_udp_timeout = 30
net.netfilter.nf_conntrack_udp_timeout_stream = 120
net.netfilter.nf_conntrack_icmp_timeout = 30
EOF
# At boot, systemd-modules-load loads conntrack (with its hash size) before systemd-sysctl
# applies the file above, whose keys exist only once the module is in.
install -d -m 0755 /etc/modules-load.d /etc/modprobe.d
echo nf_conntrack >/etc/modules-load.d/nat-instance.conf
echo "options nf_conntrack hashsize=$conntrack_buckets" >/etc/modprobe.d/nat-instance.conf
[ -e /proc/sys/net/netfilter/nf_conntrack_max ] || modprobe nf_conntrack || fail "cannot load nf_conntrack"

# The table size and hash size are host-wide: only the initial network namespace may change
# them, and the kernel makes nf_conntrack_max read-only (0444) anywhere else (a container, the
# network twin), for root too. Where it is read-only, keep both and say so.
if [ -w /proc/sys/net/netfilter/nf_conntrack_max ]; then
	echo "$conntrack_buckets" >/sys/module/nf_conntrack/parameters/hashsize || fail "could not set the conntrack hash size to $conntrack_buckets"
	sysctl -q -p "$conntrack_file" >/dev/null || fail "could not apply $conntrack_file"
else
	grep -v '^net.netfilter.nf_conntrack_max ' "$conntrack_file" | sysctl -q -p - >/dev/null || fail "could not apply $conntrack_file"
	echo "nat-instance-setup: not the initial network namespace: host-wide nf_conntrack_max $(cat /proc/sys/net/netfilter/nf_conntrack_max) and hash size $(cat /sys/module/nf_conntrack/parameters/hashsize) kept"
fi
echo "nat-instance-setup: connection tracking sized for ${mem_kib} KiB of memory: max $conntrack_max entries, $conntrack_buckets buckets"
# --- end connection tracking capacity ---

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
