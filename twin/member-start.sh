#!/bin/bash
# Boots a NAT pair member inside its network namespace, in a private mount namespace, as systemd
# does on the instance: the boot script, then conntrackd, then keepalived. The member's files
# (taken from its user data) are under $1; they are mounted where the user data writes them, so
# nothing on this machine changes. This process then stays as the member's anchor.
set -euo pipefail
root=$1
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /etc/sysctl.d
mount -t tmpfs -o mode=0755 tmpfs /usr/local
cp -a "$root/usr/local/." /usr/local/
for dir in /etc/keepalived /etc/conntrackd; do
	mount --bind "$root$dir" "$dir"
done
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

/usr/local/sbin/nat-pair-setup
conntrackd -d -C /etc/conntrackd/conntrackd.conf
keepalived -n -l -D -f /etc/keepalived/keepalived.conf -p /run/nat-pair/keepalived.pid -r /run/nat-pair/vrrp.pid &
exec sleep infinity
