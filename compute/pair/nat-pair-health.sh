#!/bin/bash
# keepalived's track script: succeeds only while this member can forward and translate. A failure
# puts the member in FAULT, which gives the NAT's identity to the other member.
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || exit 1
nft list chain ip nat_instance postrouting >/dev/null 2>&1 || exit 1
[ -n "$(ip -4 route show default)" ] || exit 1
