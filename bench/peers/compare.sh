#!/usr/bin/env bash
# compare.sh: gigq's burndown against River's and goqite's, on SQLite, on
# this machine. It builds gigq from the repository root and the peer
# programs from this module, then runs, interleaved for R rounds, gigq bench
# ceiling, gigq bench burndown, river and goqite, each with the same --jobs
# and --sync and each on a new temporary database, and prints one table (or
# with --json the list of every report, marked with "system" and "run").
#
#   bash bench/peers/compare.sh [--jobs N] [--runs R] [--sync normal|full] [--json]
set -euo pipefail

usage() {
	echo "usage: $0 [--jobs N (100000)] [--runs R (3)] [--sync normal|full (normal)] [--json]" >&2
	exit 2
}

jobs=100000 runs=3 sync=normal json=()
while (($#)); do
	case $1 in
	--jobs) jobs=${2:?$(usage)}; shift 2 ;;
	--runs) runs=${2:?$(usage)}; shift 2 ;;
	--sync) sync=${2:?$(usage)}; shift 2 ;;
	--json) json=(-json); shift ;;
	-h | --help) usage ;;
	*) echo "unknown argument: $1" >&2; usage ;;
	esac
done
[[ $jobs =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || usage
[[ $sync == normal || $sync == full ]] || usage

peers=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$peers/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "building gigq, river, goqite and compare ..." >&2
(cd "$root" && go build -o "$tmp/gigq" ./cmd/gigq)
(cd "$peers" && go build -o "$tmp/river" ./river && go build -o "$tmp/goqite" ./goqite && go build -o "$tmp/compare" ./compare)

reports=()
for ((run = 1; run <= runs; run++)); do
	for system in ceiling gigq river goqite; do
		case $system in
		ceiling) cmd=("$tmp/gigq" bench ceiling) ;;
		gigq) cmd=("$tmp/gigq" bench burndown) ;;
		*) cmd=("$tmp/$system") ;;
		esac
		echo "run $run/$runs: $system, $jobs jobs, sync $sync ..." >&2
		out="$tmp/$system-$run.json"
		# Each writes a new temporary database of its own and removes it.
		"${cmd[@]}" --jobs "$jobs" --sync "$sync" --json >"$out"
		reports+=("$system:$run:$out")
	done
done
"$tmp/compare" "${json[@]}" "${reports[@]}"
