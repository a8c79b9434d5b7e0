#!/bin/bash
# keepalived's notify FIFO reader (vrrp_notify_fifo_script): keepalived starts it once, with the
# FIFO's path as last argument, and writes each event on a line of its own, in the order it
# happens: INSTANCE "nat" STATE PRIORITY. STATE is MASTER, BACKUP, FAULT or STOP, or
# MASTER_RX_LOWER_PRI: an active member heard a lower priority, i.e. the other member took over
# while the two could not hear each other. Notify scripts, unlike this FIFO, are started without
# waiting and may run out of order (keepalived 2.2.7); here one reader acts on keepalived's
# current state: of the events queued while it was busy, the last state counts.
#
# MASTER: conntrack-tools' primary-backup order (commit the synced connections to the kernel
# before any packet arrives, then resync and send the table to the peer), the floating address
# locally, then nat-pair-identity takes the identity in EC2 and keeps checking it while this
# member stays active. BACKUP/FAULT/STOP: end that, drop the address, shorten the kernel's
# timers, and (BACKUP) ask the peer for its table. Both are announced: a journal line and the
# pair's Takeovers and ActiveMember metrics. One function per event: on_EVENT.
set -uo pipefail
PATH=${PATH:+$PATH:}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# shellcheck source=/dev/null # the settings file the user data writes at boot
. "${NAT_PAIR_ENV:-/usr/local/etc/nat-pair.env}"
fifo=${!#}
[ -p "$fifo" ] || {
	echo "nat-pair-notify: $fifo is not keepalived's notify FIFO" >&2
	exit 1
}
state_file=$NAT_RUN_DIR/vrrp-state
identity_pid=
acted=
seq=0

log() { logger -t nat-pair-notify -- "$*" 2>/dev/null || true; echo "nat-pair-notify: $*" >&2; }
ctd() { timeout 10 conntrackd -C "$NAT_CONNTRACKD_CONF" "$@" || log "conntrackd $* failed"; }
iface=$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')

# The identity check runs in a session of its own: leaving MASTER ends it with the calls it makes.
# It writes its pid to $ready once it takes USR1 (before, USR1 would end it).
ready=$NAT_RUN_DIR/identity/ready
start_identity() {
	stop_identity
	rm -f "$ready"
	setsid nat-pair-identity "$1" $$ &
	identity_pid=$!
}
stop_identity() {
	[ -n "$identity_pid" ] || return 0
	kill -TERM -- "-$identity_pid" 2>/dev/null
	wait "$identity_pid" 2>/dev/null
	identity_pid=
}
leave_active() {
	stop_identity
	ip addr del "$NAT_FLOATING_IP/$NAT_PREFIX_LEN" dev "$iface" 2>/dev/null
	announce 0
}

# announce records this member's part in a transition: a line in the journal and, in CloudWatch,
# ActiveMember (1 active, 0 not) for this member and, as it becomes active, a Takeover for the
# pair. In the background: a takeover never waits for CloudWatch. Each call is bounded as
# nat-pair-identity's are (3 attempts, 2 s to connect, 5 s to read).
export AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=3 AWS_PAGER=""
announce() {
	local pair="NatPair=$NAT_PAIR_NAME"
	if [ "$1" = 1 ]; then
		log "event: $NAT_MEMBER_NAME took over $NAT_PAIR_NAME: it is the active member"
	else
		log "event: $NAT_MEMBER_NAME is not the active member of $NAT_PAIR_NAME"
	fi
	{
		[ "$1" = 1 ] && put_metric Takeovers 1 "$pair"
		put_metric ActiveMember "$1" "$pair,Member=$NAT_MEMBER_NAME"
	} &
}
put_metric() {
	local err
	err=$(aws --region "$NAT_REGION" --cli-connect-timeout 2 --cli-read-timeout 5 cloudwatch put-metric-data \
		--namespace "$NAT_METRICS_NAMESPACE" --metric-name "$1" --dimensions "$3" --value "$2" 2>&1 >/dev/null) ||
		log "$1 not published: $err"
}

on_MASTER() {
	log "becoming active"
	ctd -c
	ctd -f
	ctd -R
	ctd -B
	ip addr replace "$NAT_FLOATING_IP/$NAT_PREFIX_LEN" dev "$iface"
	start_identity takeover
	announce 1
}
# keepalived was reloaded while this member was active: it tells the state again; keep it.
on_MASTER_again() {
	log "still active"
	start_identity verify
}
on_BACKUP() {
	leave_active
	# primary-backup.sh: shorten the kernel's timers, so the flows this member no longer serves
	# leave its table, then ask the peer for its table.
	ctd -t
	ctd -n
}
on_FAULT() {
	leave_active
	ctd -t
}
on_STOP() { leave_active; }
# A lower priority was heard: check the identity now. What is this member's stays as it is: no
# EC2 change, whatever the number of adverts; what the other member took is taken back. (A check
# not ready yet checks soon anyway.)
on_MASTER_RX_LOWER_PRI() {
	local pid=""
	[ -r "$ready" ] && read -r pid <"$ready"
	[ -n "$identity_pid" ] && [ "$pid" = "$identity_pid" ] && kill -USR1 "$identity_pid" 2>/dev/null
}

# record is the state file nat-pair-identity reads before each EC2 change: state and sequence.
record() {
	seq=$((seq + 1))
	echo "$1 $seq" >"$state_file.new" && mv "$state_file.new" "$state_file"
}

# handle acts on one batch of events, in order of arrival: on its last state if it is not the
# state acted on, or if it is MASTER again after another (the other member may have taken over
# meanwhile); a MASTER followed by another state in the batch is never acted on. Then on a
# lower priority heard.
handle() {
	local event last="" other="" lower=""
	for event in "$@"; do
		case $event in
		MASTER | BACKUP | FAULT | STOP)
			[ -n "$last" ] && [ "$event" != "$last" ] && other=1
			last=$event
			;;
		MASTER_RX_LOWER_PRI) lower=1 ;;
		*) log "event $event ignored" ;;
		esac
	done
	if [ -n "$last" ] && { [ "$last" != "$acted" ] || { [ "$last" = MASTER ] && [ -n "$other" ]; }; }; then
		local before=$acted previous=""
		[ -r "$state_file" ] && read -r previous _ <"$state_file"
		record "$last"
		acted=$last
		if [ -z "$before" ] && [ "$last" = MASTER ] && [ "$previous" = MASTER ]; then
			on_MASTER_again
		else
			log "now $last"
			"on_$last"
		fi
	fi
	if [ -n "$lower" ] && [ "$acted" = MASTER ]; then
		on_MASTER_RX_LOWER_PRI
	fi
}

# keepalived sends SIGTERM before its last events when it stops (and alone when it reloads):
# read on for a second, then end. A keepalived that died without a word ends this reader too,
# as systemd would end the unit's processes.
terminating=
ending=
trap 'terminating=1' TERM
exec 3<>"$fifo"
while :; do
	if ! read -r -t 1 -u 3 _ _ event _; then
		if [ -n "$terminating" ] && [ -z "$ending" ]; then
			ending=$((SECONDS + 2))
		fi
		if { [ -n "$ending" ] && [ "$SECONDS" -ge "$ending" ]; } || ! kill -0 "$PPID" 2>/dev/null; then
			stop_identity
			exit 0
		fi
		continue
	fi
	batch=("$event")
	while read -r -t 0 -u 3 && read -r -u 3 _ _ event _; do
		batch+=("$event")
	done
	handle "${batch[@]}"
done
