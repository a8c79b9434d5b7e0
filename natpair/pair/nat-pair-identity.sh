#!/bin/bash
# Keeps the NAT's identity on this member while it is active: nat-pair-notify starts it on MASTER
# (in a session of its own) and ends it when the member leaves MASTER. `nat-pair-identity MODE
# AGENT_PID`: with MODE takeover it first moves the floating address and every route at once,
# then the Elastic IP onto the address; then, every NAT_CHECK_INTERVAL seconds (sooner after a
# failure, or when nat-pair-notify signals USR1: a lower priority was heard), it reads where the
# address, the Elastic IP and the routes are and moves back what is not this member's. EC2 reads
# may lag behind its changes (EC2 API, "Eventual consistency"): a repair only repeats a change
# that EC2 accepts again. It publishes IdentityWhole (1 whole, 0 not or unknown) to CloudWatch
# when it changes and at least every minute.
set -uo pipefail
PATH=${PATH:+$PATH:}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# shellcheck source=/dev/null
. "${NAT_PAIR_ENV:-/usr/local/etc/nat-pair.env}"
mode=$1 agent=$2
state_file=$NAT_RUN_DIR/vrrp-state
work=$NAT_RUN_DIR/identity
mkdir -p "$work"

retry_after=3   # seconds before a failed check or repair is tried again
lower_gap=5     # at most one check every 5 s when lower priorities keep coming
yield_checks=6  # checks a lower-priority member leaves the address to a live other holder

# Every call has a bounded time (AWS CLI User Guide, "AWS CLI retries", and the global options
# --cli-connect-timeout, --cli-read-timeout): 3 attempts, 2 s to connect, 5 s to read, waits of
# at most 1 s then 2 s. An unreachable endpoint costs a call at most 3 * 2 + 1 + 2 = 9 s, one
# that never answers 3 * (2 + 5) + 3 = 24 s.
export AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=3 AWS_PAGER=""
aws_() { aws --region "$NAT_REGION" --cli-connect-timeout 2 --cli-read-timeout 5 "$@"; }

log() { logger -t nat-pair-identity -- "$*" 2>/dev/null || true; echo "nat-pair-identity: $*" >&2; }

# active: keepalived's last state, as nat-pair-notify recorded it, is still MASTER.
active() {
	local state=""
	[ -r "$state_file" ] && read -r state _ <"$state_file"
	[ "$state" = MASTER ] && kill -0 "$agent" 2>/dev/null
}

# change makes one EC2 change, only while this member is active, and logs EC2's refusal.
change() {
	active || return 1
	local err
	if err=$(aws_ ec2 "$@" 2>&1 >/dev/null); then
		log "ec2 $1: done"
		return 0
	fi
	log "ec2 $1 failed: $err"
	return 1
}
claim_address() {
	change assign-private-ip-addresses --network-interface-id "$NAT_SELF_ENI" \
		--private-ip-addresses "$NAT_FLOATING_IP" --allow-reassignment
}
claim_elastic_ip() {
	change associate-address --allocation-id "$NAT_ALLOCATION_ID" --network-interface-id "$NAT_SELF_ENI" \
		--private-ip-address "$NAT_FLOATING_IP" --allow-reassociation
}
claim_route() {
	change replace-route --route-table-id "$1" --destination-cidr-block 0.0.0.0/0 --network-interface-id "$NAT_SELF_ENI"
}

# claim moves the address (unless $1 is "keep-address") then the Elastic IP (unless $2 is
# "keep-eip"), and the routes given after them at the same time; it fails if any call does.
claim() {
	local address=$1 eip=$2 failed=0 pid pids=() rtb
	shift 2
	for rtb in "$@"; do
		claim_route "$rtb" &
		pids+=($!)
	done
	if [ "$address" != keep-address ] && ! claim_address; then
		failed=1
	elif [ "$eip" != keep-eip ] && ! claim_elastic_ip; then
		failed=1
	fi
	for pid in "${pids[@]}"; do
		wait "$pid" || failed=1
	done
	return $failed
}

# read_identity reads, with three calls at once, which interfaces hold the floating address
# (holders), where the Elastic IP is associated (eip_eni, eip_ip: None when it is not) and each
# table's default route target (targets[table]).
read_identity() {
	aws_ ec2 describe-network-interfaces --filters "Name=addresses.private-ip-address,Values=$NAT_FLOATING_IP" \
		--query 'NetworkInterfaces[].NetworkInterfaceId' --output text >"$work/address" 2>"$work/address.err" &
	local a=$!
	aws_ ec2 describe-addresses --allocation-ids "$NAT_ALLOCATION_ID" \
		--query 'Addresses[0].[NetworkInterfaceId,PrivateIpAddress]' --output text >"$work/eip" 2>"$work/eip.err" &
	local e=$!
	# shellcheck disable=SC2086 # one argument per table
	aws_ ec2 describe-route-tables --route-table-ids $NAT_ROUTE_TABLE_IDS \
		--query "RouteTables[].[RouteTableId, Routes[?DestinationCidrBlock=='0.0.0.0/0'].NetworkInterfaceId | [0]]" \
		--output text >"$work/routes" 2>"$work/routes.err"
	local r=$? failed=0 pid
	for pid in $a $e; do
		wait "$pid" || failed=1
	done
	if [ $failed = 1 ] || [ $r != 0 ]; then
		log "cannot read the identity: $(cat "$work/address.err" "$work/eip.err" "$work/routes.err")"
		return 1
	fi
	read -r -a holders <"$work/address" || holders=()
	read -r eip_eni eip_ip <"$work/eip"
	targets=()
	local table target
	while read -r table target; do
		targets[$table]=$target
	done <"$work/routes"
}

# publish sends IdentityWhole when it changes and at least every minute, without waiting.
published="" published_at=0
publish() {
	if [ "$1" = "$published" ] && [ $((SECONDS - published_at)) -lt 60 ]; then
		return 0
	fi
	published=$1 published_at=$SECONDS
	{
		aws_ cloudwatch put-metric-data --namespace "$NAT_METRICS_NAMESPACE" --metric-name IdentityWhole \
			--dimensions "NatPair=$NAT_PAIR_NAME" --value "$1" >/dev/null 2>"$work/metric.err" ||
			log "IdentityWhole not published: $(cat "$work/metric.err")"
	} &
}

# check_and_repair reads the identity, publishes whether it is whole and moves back what is not
# this member's. Its status: 0 whole, 1 repaired (or left to another holder), 2 failed.
held=""   # this member held the address during this active period
yielded=0 # checks it left the address to another holder
declare -A targets
check_and_repair() {
	if ! read_identity; then
		publish 0
		return 2
	fi
	local rtb wrong=() address=keep-address elastic_ip=keep-eip
	for rtb in $NAT_ROUTE_TABLE_IDS; do
		[ "${targets[$rtb]-}" = "$NAT_SELF_ENI" ] || wrong+=("$rtb")
	done
	if [ "${holders[*]-}" = "$NAT_SELF_ENI" ]; then
		held=1
		[ "$eip_eni $eip_ip" = "$NAT_SELF_ENI $NAT_FLOATING_IP" ] || elastic_ip=claim
	else
		address=claim
		# "any Elastic IP address that is associated with the IP address is also moved" (EC2 API,
		# AssignPrivateIpAddresses): associate it only if it is elsewhere.
		[ "$eip_ip" = "$NAT_FLOATING_IP" ] || elastic_ip=claim
	fi
	if [ $address = keep-address ] && [ $elastic_ip = keep-eip ] && [ ${#wrong[@]} = 0 ]; then
		publish 1
		yielded=0
		return 0
	fi
	publish 0
	# The address went elsewhere after this member held it: only a live member moves it. In a
	# split brain the higher priority keeps the NAT; the lower one leaves it for a while, then
	# claims it again (the holder may have stopped being active since).
	if [ $address = claim ] && [ -n "$held" ] && [ "${#holders[@]}" -gt 0 ] && [ "$NAT_HIGHER_PRIORITY" != 1 ] &&
		[ $yielded -lt $yield_checks ]; then
		yielded=$((yielded + 1))
		log "the floating address is on ${holders[*]}: left there ($yielded of $yield_checks checks)"
		return 1
	fi
	yielded=0
	log "repairing: address on ${holders[*]:-nothing}, Elastic IP on $eip_eni $eip_ip, routes elsewhere: ${wrong[*]:-none}"
	# Traffic the other member served comes here now: its synced connections first.
	if [ $address = claim ]; then
		timeout 10 conntrackd -C "$NAT_CONNTRACKD_CONF" -c || log "conntrackd -c failed"
	fi
	claim "$address" "$elastic_ip" "${wrong[@]}" || return 2
	return 1
}

# pause waits $1 seconds, less when a lower priority was heard (at most one check every
# lower_gap seconds), and ends this script when the member is no longer active.
lower_heard=""
last_check=$SECONDS
trap 'lower_heard=1' USR1
trap 'exit 0' TERM
echo $$ >"$work/ready" # nat-pair-notify signals USR1 from now on
pause() {
	local until=$((SECONDS + $1)) left
	while :; do
		active || exit 0
		if [ -n "$lower_heard" ] && [ $((last_check + lower_gap)) -lt "$until" ]; then
			until=$((last_check + lower_gap))
		fi
		left=$((until - SECONDS))
		[ "$left" -gt 0 ] || break
		sleep "$left" &
		wait $! || kill $! 2>/dev/null
	done
	lower_heard=""
}

next=0
if [ "$mode" = takeover ]; then
	# shellcheck disable=SC2086 # one argument per table
	claim claim claim $NAT_ROUTE_TABLE_IDS || next=$retry_after
	[ $next = 0 ] && next=$NAT_CHECK_INTERVAL
fi
while pause "$next"; do
	last_check=$SECONDS
	check_and_repair
	if [ $? = 2 ]; then
		next=$retry_after
	else
		next=$NAT_CHECK_INTERVAL
	fi
done
