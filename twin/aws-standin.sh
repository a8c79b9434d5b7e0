#!/bin/bash
# The network twin's stand-in for the AWS CLI v2: it hands its arguments to the twin's EC2
# stand-in (on the member's loopback, as the real CLI reaches the EC2 API over the network),
# which accepts exactly the calls the NAT pair's notify script makes, applies their effect to
# the twin and answers like the CLI: output, then the exit status (0, 252 bad syntax, 254 refused).
exec 3<>/dev/tcp/127.0.0.1/8773 || {
	echo "aws (twin stand-in): the twin's EC2 endpoint does not answer" >&2
	exit 255
}
printf '%s\0' "$#" "$@" >&3
IFS= read -r -d '' status <&3
IFS= read -r -d '' output <&3
if [ "$status" = 0 ]; then
	printf '%s\n' "$output"
else
	printf '%s\n' "$output" >&2
fi
exit "${status:-255}"
