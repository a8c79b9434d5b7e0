#!/usr/bin/env bash
# Measures what a developer waits for: a cold build of the program (empty Go build cache, as on
# a fresh machine with the modules already downloaded), a warm build after editing the program
# (build cache filled), and one full program run under mocks (Go benchmark). Prints the figures
# docs/testing.md quotes.
set -euo pipefail
cd "$(dirname "$0")/.."

go mod download
out=$(mktemp -d)
cold_cache=$(mktemp -d)
edited=$(mktemp -d)
trap 'rm -rf "$out" "$cold_cache" "$edited"' EXIT

# Prints how long a command took, in tenths of a second.
elapsed() {
	local start
	start=$(date +%s%N)
	"$@"
	local tenths=$((($(date +%s%N) - start) / 100000000))
	echo "$((tenths / 10)).$((tenths % 10))"
}

cold=$(elapsed env GOCACHE="$cold_cache" go build -o "$out/nat-instance" .)
go build -o "$out/nat-instance" . # fill the normal cache
# An edit to the program, in a copy of the tree: lab and main are compiled again, the rest is cached.
cp -r . "$edited/tree"
echo "// edited" >>"$edited/tree/lab/lab.go"
warm=$(cd "$edited/tree" && elapsed go build -o "$out/nat-instance" .)

echo "cold build: $cold s"
echo "warm build: $warm s"
go test ./lab/ -run '^$' -bench BenchmarkProgram -benchmem -count 5
