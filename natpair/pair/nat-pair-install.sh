#!/bin/bash
# Installs what a NAT pair member runs when the image lacks it, at first boot, through the
# member's own Elastic IP: `nat-pair-install COMMAND:PACKAGE...` installs, with dnf, the package of
# every command not found. The minimal AL2023 image lacks nft and the AWS CLI; no AL2023 image
# ships keepalived or conntrackd.
#
# Each AL2023 image is locked to the repository release it was built from (AL2023 User Guide,
# "Deterministic upgrades through versioned repositories"): dnf installs from that release
# first. A package that release does not have ("No match for argument") comes from the latest
# release instead (`dnf --releasever=latest`), which the same guide advises against for updates:
# here it only adds what the pinned release lacks, on an otherwise pinned member.
#
# dnf can be OOM-killed on a 512 MiB instance next to the SSM agent's self-update: a swap file
# gives it room while it runs. Each release is tried up to three times, 10 s then 20 s apart.
set -uo pipefail

swap=/swapfile-nat-pair
missing=()
for need in "$@"; do
	command -v "${need%%:*}" >/dev/null || missing+=("${need#*:}")
done
if [ ${#missing[@]} = 0 ]; then
	echo "nat-pair-install: the image has every command"
	exit 0
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

if [ ! -e $swap ]; then
	dd if=/dev/zero of=$swap bs=1M count=1024 status=none && chmod 0600 $swap && mkswap $swap >/dev/null
fi
swapon $swap || echo "nat-pair-install: no swap: dnf runs without" >&2

# install RELEASE_OPTION... tries dnf three times; status 3 when the release lacks a package.
install() {
	local attempt out
	for attempt in 1 2 3; do
		if out=$(dnf -y -q "$@" install "${missing[@]}" 2>&1); then
			return 0
		fi
		echo "nat-pair-install: dnf $* install ${missing[*]} failed (attempt $attempt): $out" >&2
		if [[ $out == *"No match for argument"* || $out == *"Unable to find a match"* ]]; then
			return 3
		fi
		[ $attempt = 3 ] || sleep $((attempt * 10))
	done
	return 1
}

install
status=$?
if [ $status = 3 ]; then
	echo "nat-pair-install: the image's release lacks one of ${missing[*]}: trying the latest release" >&2
	install --releasever=latest
	status=$?
fi
swapoff $swap && rm -f $swap

for need in "$@"; do
	command -v "${need%%:*}" >/dev/null && continue
	echo "nat-pair-install: ${need%%:*} is still missing (dnf status $status)" >&2
	exit 1
done
echo "nat-pair-install: installed ${missing[*]}"
