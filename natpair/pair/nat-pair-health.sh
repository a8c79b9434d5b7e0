#!/bin/bash
# keepalived's track script: succeeds only while this member can forward and translate. A failure
# puts the member in FAULT, which gives the NAT's identity to the other member. It runs every
# second: bash builtins where they do, one nft call.
read -r forwarding </proc/sys/net/ipv4/ip_forward
[ "$forwarding" = 1 ] || exit 1
# A default route: destination 00000000 in the kernel's IPv4 table (after the header line).
default_route=no
while read -r _ destination _; do
	[ "$destination" = 00000000 ] && default_route=yes
done </proc/net/route
[ "$default_route" = yes ] || exit 1
# The translation itself: a flushed chain would forward without translating.
rules=$(nft list chain ip nat_instance postrouting 2>/dev/null) || exit 1
[[ $rules == *"snat to "* ]]
