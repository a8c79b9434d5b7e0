#!/bin/bash
# Publishes the NAT instance's capacity to CloudWatch, in the namespace given as argument: its
# connection-tracking table against its limit, the packets the full table dropped, and EC2's
# per-instance allowance counters (ENA driver, ethtool -S: bandwidth, packets per second,
# connections, link-local). Run every minute by nat-instance-metrics.timer; the counters are
# cumulative, so it publishes what they grew by since its last run (state in RUNTIME_DIRECTORY,
# which systemd provides and keeps).
set -euo pipefail

fail() {
	echo "nat-instance-metrics: $*" >&2
	exit 1
}

[ $# -eq 1 ] || fail "usage: nat-instance-metrics CLOUDWATCH_NAMESPACE"
namespace=$1
[[ $namespace =~ ^[A-Za-z0-9_./#:-]+$ ]] || fail "namespace '$namespace' has characters CloudWatch does not accept"
imds=${IMDS_ENDPOINT:-http://169.254.169.254}
state_dir=${RUNTIME_DIRECTORY:-/run/nat-instance-metrics}

# Which instance and region, from the instance metadata service (IMDSv2: a token first).
token=$(curl -sf -X PUT "$imds/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300") ||
	fail "no IMDSv2 token from $imds"
metadata() { curl -sf -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/$1"; }
instance_id=$(metadata instance-id) || fail "no instance id from $imds"
region=$(metadata placement/region) || fail "no region from $imds"

count=$(</proc/sys/net/netfilter/nf_conntrack_count)
limit=$(</proc/sys/net/netfilter/nf_conntrack_max)
used_percent=$(awk -v c="$count" -v m="$limit" 'BEGIN { printf "%.1f", 100 * c / m }')

# Packets the table refused (drop, early_drop, insert_failed; hex, one line per CPU).
drops=0
{
	read -r -a header
	while read -r -a row; do
		for i in "${!header[@]}"; do
			case ${header[$i]} in
			drop | early_drop | insert_failed) drops=$((drops + 16#${row[$i]})) ;;
			esac
		done
	done
} </proc/net/stat/nf_conntrack

# EC2's allowance counters, summed: any growth means the instance type's limits shaped traffic.
iface=$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
allowance=""
if command -v ethtool >/dev/null && stats=$(ethtool -S "$iface" 2>/dev/null) && [[ $stats == *_allowance_exceeded:* ]]; then
	allowance=0
	while read -r key value; do
		if [[ $key == *_allowance_exceeded: ]]; then
			allowance=$((allowance + value))
		fi
	done <<<"$stats"
fi

# What the counters grew by since the last run; nothing to compare with on the first run, and a
# counter that went back (a driver reset) counts from zero.
growth() {
	local now=$1 before=$2
	if [ -z "$before" ]; then
		echo 0
	elif ((now >= before)); then
		echo $((now - before))
	else
		echo "$now"
	fi
}
previous_drops="" previous_allowance=""
[ -r "$state_dir/counters" ] && read -r previous_drops previous_allowance <"$state_dir/counters"
install -d -m 0755 "$state_dir"
echo "$drops $allowance" >"$state_dir/counters"

metric() { # name value unit
	printf '{"MetricName":"%s","Dimensions":[{"Name":"InstanceId","Value":"%s"}],"Value":%s,"Unit":"%s"}' "$1" "$instance_id" "$2" "$3"
}
data="$(metric ConntrackCount "$count" Count),$(metric ConntrackUsedPercent "$used_percent" Percent)"
data="$data,$(metric ConntrackDrops "$(growth "$drops" "$previous_drops")" Count)"
if [ -n "$allowance" ]; then
	data="$data,$(metric AllowanceExceeded "$(growth "$allowance" "$previous_allowance")" Count)"
else
	echo "nat-instance-metrics: no ENA allowance counters on $iface (ethtool -S): AllowanceExceeded not published"
fi

aws cloudwatch put-metric-data --region "$region" --namespace "$namespace" --metric-data "[$data]" ||
	fail "put-metric-data to $namespace in $region failed"
echo "nat-instance-metrics: $instance_id: conntrack $count of $limit ($used_percent %), drops $drops, allowance exceeded ${allowance:-n/a} (cumulative)"
