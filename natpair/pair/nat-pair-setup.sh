#!/bin/bash
# Turns a member of a NAT pair into a NAT that translates to the pair's floating address.
# Runs at every boot (systemd unit nat-instance.service), before conntrackd and keepalived.
# The single NAT's script does the work (forwarding, filter, MSS clamp); this one then swaps its
# masquerade for SNAT to the floating address in one nft transaction: masquerade would use this
# member's own address, which the other member cannot take over. The member's own traffic
# (packages, AWS API calls through its own Elastic IP) is never translated.
set -euo pipefail

fail() {
	echo "nat-pair-setup: $*" >&2
	exit 1
}

env_file=${NAT_PAIR_ENV:-/usr/local/etc/nat-pair.env}
[ -r "$env_file" ] || fail "$env_file not found: the user data writes it"
# shellcheck source=/dev/null
. "$env_file"
for var in NAT_VPC_CIDR NAT_FLOATING_IP NAT_SELF_IP NAT_PEER_IP NAT_SYNC_PORT NAT_RUN_DIR; do
	[ -n "${!var:-}" ] || fail "$var is not set in $env_file"
done

/usr/local/sbin/nat-instance-setup "$NAT_VPC_CIDR"
iface=$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
[ -n "$iface" ] || fail "no IPv4 default route"

nft -f - <<NFT || fail "nft rejected the SNAT rule for $NAT_FLOATING_IP"
flush chain ip nat_instance postrouting
add rule ip nat_instance postrouting oifname "$iface" ip saddr $NAT_VPC_CIDR ip saddr != $NAT_SELF_IP ip daddr != $NAT_VPC_CIDR snat to $NAT_FLOATING_IP
NFT

# The members' security group lets TCP and UDP through untracked (EC2 tracks flows per interface,
# and a member taking over would drop the server's packets of flows set up through the other one:
# docs/nat-pairs.md), so this table is the NAT's security group, stateful, on the member itself:
# what the group allowed before (forward web, UDP and ICMP from the VPC to the internet; SSH from
# the allowed networks; VRRP from the peer; out: web, UDP, ICMP, SSH into the VPC), replies of
# flows this member tracks (synced ones included), and nothing else. Everything else is dropped,
# never rejected: nothing answers a probe. A flow this member does not know (not synced yet) is
# not reset either: the server's packets are new from outside and dropped, while the client's
# are taken up mid-stream (Linux's loose TCP tracking) and translated to the same port again.
# A table of its own, so that it outlives nat_instance.
# - A reply of a flow this member translated that reaches this host still addressed to the
#   floating address was not translated back: the nat ruleset is gone (the kernel stops
#   translating at once). Drop it rather than let this host answer with a reset: the flow carries
#   on on the other member after the failover the health check brings.
# - VRRP and state sync are taken from the peer only: UDP from the VPC is forwarded, and the
#   sync port cannot be told apart by anything but the sender.
ssh_rule=
[ -z "${NAT_SSH_CIDRS:-}" ] || ssh_rule="ip saddr { ${NAT_SSH_CIDRS// /, } } tcp dport 22 accept"
nft -f - <<NFT || fail "nft rejected the nat_pair table"
table ip nat_pair
delete table ip nat_pair
table ip nat_pair {
	chain input {
		type filter hook input priority filter; policy drop;
		iif lo accept
		ip daddr $NAT_FLOATING_IP ct status snat drop
		ct state established,related accept
		ip protocol 112 ip saddr != $NAT_PEER_IP drop
		udp dport $NAT_SYNC_PORT ip saddr != $NAT_PEER_IP counter drop
		ip protocol 112 accept
		ip saddr $NAT_VPC_CIDR tcp dport { 80, 443 } accept
		ip saddr $NAT_VPC_CIDR meta l4proto { udp, icmp } accept
		$ssh_rule
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ip saddr $NAT_VPC_CIDR ip daddr != $NAT_VPC_CIDR tcp dport { 80, 443 } accept
		ip saddr $NAT_VPC_CIDR ip daddr != $NAT_VPC_CIDR meta l4proto { udp, icmp } accept
	}
	chain output {
		type filter hook output priority filter; policy drop;
		oif lo accept
		ct state established,related accept
		ip daddr $NAT_PEER_IP ip protocol 112 accept
		tcp dport { 80, 443 } accept
		meta l4proto { udp, icmp } accept
		ip daddr $NAT_VPC_CIDR tcp dport 22 accept
	}
}
NFT

# During a takeover the two directions of a flow briefly take different members (the address
# moves before the routes), and a member adopts flows whose sequence numbers it has not seen:
# strict TCP window tracking would call their packets invalid, leave them untranslated and the
# member's own stack would answer them with resets. Liberal tracking still checks resets.
sysctl_file=/etc/sysctl.d/91-nat-pair.conf
echo "net.netfilter.nf_conntrack_tcp_be_liberal = 1" >"$sysctl_file"
sysctl -q -p "$sysctl_file" >/dev/null || fail "could not apply $sysctl_file"

# keepalived and conntrackd name the interface; it is known only now.
install -d -m 0755 "$NAT_RUN_DIR"
echo "\$NAT_IFACE=$iface" >"$NAT_RUN_DIR/keepalived-interface.conf"
sed -i "s/^\([[:space:]]*Interface\) .*/\1 $iface/" "$NAT_CONNTRACKD_CONF"
# conntrackd's caches must hold what the kernel's table holds (its docs: HashLimit twice
# nf_conntrack_max), or connections beyond them are not synced and break at a takeover.
read -r table_max </proc/sys/net/netfilter/nf_conntrack_max
sed -i -e "s/^\([[:space:]]*HashLimit\) .*/\1 $((table_max * 2))/" \
	-e "s/^\([[:space:]]*HashSize\) .*/\1 $table_max/" "$NAT_CONNTRACKD_CONF"
echo "nat-pair-setup: translating $NAT_VPC_CIDR to $NAT_FLOATING_IP out of $iface"
