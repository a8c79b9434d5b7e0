#!/bin/bash
# keepalived's notify script: keepalived runs it as `nat-pair-notify INSTANCE NAME STATE PRIORITY`,
# and with state MASTER_RX_LOWER_PRI when the active member hears another active one after the two
# could not hear each other: both took the identity, the higher priority takes it back.
# MASTER: conntrack-tools' primary-backup order (commit the synced connections to the kernel
# before any packet arrives, then resync and send the table to the peer), THEN take the NAT's
# identity: the floating address locally, then in EC2 (address, Elastic IP, routes).
# BACKUP/FAULT: drop the floating address locally, shorten the kernel's timers, and (BACKUP) ask
# the peer for its table.
set -uo pipefail
PATH=${PATH:+$PATH:}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# shellcheck source=/dev/null # the settings file the user data writes at boot
. "${NAT_PAIR_ENV:-/usr/local/etc/nat-pair.env}"
state=${3:-}
log() { logger -t nat-pair-notify -- "$*" 2>/dev/null || true; echo "nat-pair-notify: $*" >&2; }
ctd() { conntrackd -C "$NAT_CONNTRACKD_CONF" "$@" || log "conntrackd $* failed"; }

# keepalived starts notify scripts without waiting: one transition at a time, in order.
exec 9>"$NAT_RUN_DIR/notify.lock"
flock 9

# Bounded retries: an API call that keeps failing is logged with AWS's message, and the next one
# still runs.
aws_retry() {
	local attempt message
	for attempt in 1 2 3 4 5; do
		message=$(aws --region "$NAT_REGION" ec2 "$@" 2>&1 >/dev/null) && return 0
		log "aws ec2 $1 failed (attempt $attempt): $message"
		sleep "$attempt"
	done
	return 1
}

# The NAT's address on this interface, then its Elastic IP on that address.
claim_identity() {
	aws_retry assign-private-ip-addresses --network-interface-id "$NAT_SELF_ENI" \
		--private-ip-addresses "$NAT_FLOATING_IP" --allow-reassignment &&
		aws_retry associate-address --allocation-id "$NAT_ALLOCATION_ID" --network-interface-id "$NAT_SELF_ENI" \
			--private-ip-address "$NAT_FLOATING_IP" --allow-reassociation
}

iface=$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
case $state in
MASTER | MASTER_RX_LOWER_PRI)
	log "becoming active ($state)"
	ctd -c
	ctd -f
	ctd -R
	ctd -B
	ip addr replace "$NAT_FLOATING_IP/$NAT_PREFIX_LEN" dev "$iface"
	# The address must be on this interface before the Elastic IP can follow it; the routes
	# depend on nothing: they move at the same time, each call taking about a second.
	claim_identity &
	claim=$!
	for rtb in $NAT_ROUTE_TABLE_IDS; do
		aws_retry replace-route --route-table-id "$rtb" --destination-cidr-block 0.0.0.0/0 \
			--network-interface-id "$NAT_SELF_ENI" &
	done
	if wait "$claim"; then
		wait
		log "active: $NAT_FLOATING_IP, Elastic IP and routes moved to $NAT_SELF_ENI"
	else
		wait
		# EC2 can refuse for minutes: when pairs are turned on in a deployed stack, the NAT address
		# is the old NAT's primary address until the update deletes that NAT. Keep claiming while
		# this member is active (it holds the address), without the lock, for at most 15 minutes.
		log "could not take $NAT_FLOATING_IP and the Elastic IP yet: retrying every 10 s while active"
		(
			exec 9>&-
			for _ in $(seq 1 90); do
				sleep 10
				ip -4 addr show dev "$iface" | grep -q " $NAT_FLOATING_IP/" || exit 0
				claim_identity && { log "active: $NAT_FLOATING_IP and the Elastic IP moved to $NAT_SELF_ENI"; exit 0; }
			done
			log "gave up claiming $NAT_FLOATING_IP: move it by hand or restart keepalived"
		) &
	fi
	;;
BACKUP | FAULT | STOP)
	log "now $state"
	ip addr del "$NAT_FLOATING_IP/$NAT_PREFIX_LEN" dev "$iface" 2>/dev/null
	if [ "$state" != STOP ]; then
		# primary-backup.sh: shorten the kernel's timers, so the flows this member no longer
		# serves leave its table, then (as a backup) ask the peer for its table.
		ctd -t
		[ "$state" = FAULT ] || ctd -n
	fi
	;;
*)
	log "unknown state '$state'"
	exit 1
	;;
esac
exit 0
