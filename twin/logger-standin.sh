#!/bin/bash
# The network twin's stand-in for logger(1) inside a NAT pair member: it prints the message on the
# member's console (its first process's output, the member log the twin shows), where the
# instance's journal would keep it. Takes `logger -t TAG -- MESSAGE...` as the scripts call it.
tag="logger"
while [ $# -gt 0 ]; do
	case $1 in
	-t) tag=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
printf '%s %s: %s\n' "$(date +%T.%3N)" "$tag" "$*" >>/proc/1/fd/1
