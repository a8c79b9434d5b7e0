#!/bin/bash
# The network twin's stand-in for the AWS CLI v2: it hands its arguments and the CLI's retry
# settings (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE) to the twin's AWS stand-in on the member's loopback
# (as the real CLI reaches the API over the network), which plays the CLI's retries, timeouts and
# the service's answers, then prints what the CLI would and exits with its status (0; 252 syntax,
# 253 configuration, 254 refused by the service, 255 no answer).
exec 3<>/dev/tcp/127.0.0.1/8773 || {
	echo "aws (twin stand-in): the twin's AWS endpoint does not answer" >&2
	exit 255
}
printf '%s\0' "$#" "$@" "${AWS_MAX_ATTEMPTS-}" "${AWS_RETRY_MODE-}" >&3
IFS= read -r -d '' status <&3
IFS= read -r -d '' stdout <&3
IFS= read -r -d '' stderr <&3
printf '%s' "$stdout"
[ -z "$stderr" ] || printf '%s\n' "$stderr" >&2
exit "${status:-255}"
