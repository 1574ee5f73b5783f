#!/usr/bin/env bash
# targets.sh: the issue's targets other than the peer ratios (those are
# bench/peers/compare.sh), measured in interleaved rounds on new temporary
# databases, printed as median (min–max) of the rounds.
#
#   bash bench/results/targets.sh [--runs R (3)]
set -euo pipefail

runs=3
if [[ ${1:-} == --runs ]]; then runs=${2:?usage: $0 [--runs R]}; fi
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [--runs R]" >&2; exit 2; }
command -v jq >/dev/null || { echo "targets.sh needs jq" >&2; exit 2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/gigq" ./cmd/gigq)
g=$tmp/gigq out=$tmp/all.jsonl

for ((r = 1; r <= runs; r++)); do
	echo "round $r/$runs ..." >&2
	$g bench chain --steps 1000 --json | jq -c '{t: "chain", p50: .release_ms.p50, p99: .release_ms.p99}' >>"$out"
	$g bench burndown --jobs 50000 --submitters 8 --json | jq -c '{t: "submit8", v: (.insert_per_sec | floor)}' >>"$out"
	$g bench ceiling --jobs 50000 --json | jq -c '{t: "ceiling_insert", v: (.insert_per_sec | floor)}' >>"$out"
	$g bench depth --queued 10000 --jobs 20000 --json | jq -c '{t: "depth_10k", v: (.jobs_per_sec | floor)}' >>"$out"
	$g bench depth --queued 1000000 --jobs 20000 --json |
		jq -c '{t: "depth_1m", v: (.jobs_per_sec | floor), rss: (.peak_rss_bytes / 1048576 | floor)}' >>"$out"
done

# stat T FIELD: "median (min–max)" of FIELD over the rounds of T.
stat() {
	jq -rs --arg t "$1" --arg f "$2" '[.[] | select(.t == $t) | .[$f]] | sort |
		"\(.[length / 2 | floor] * 1000 | round / 1000) (\(.[0] * 1000 | round / 1000)–\(.[-1] * 1000 | round / 1000))"' "$out"
}
median() { jq -rs --arg t "$1" '[.[] | select(.t == $t) | .v] | sort | .[length / 2 | floor]' "$out"; }

echo "chain --steps 1000: release p50 $(stat chain p50) ms, p99 $(stat chain p99) ms   (targets 0.5 and 2 ms)"
echo "submit, 8 goroutines: $(stat submit8 v) jobs/s; ceiling insert $(stat ceiling_insert v) jobs/s;" \
	"ratio of medians $(jq -n "$(median submit8) / $(median ceiling_insert) * 100 | round")%   (target 50%)"
echo "depth: $(stat depth_1m v) jobs/s with 1,000,000 queued, $(stat depth_10k v) with 10,000;" \
	"ratio of medians $(jq -n "$(median depth_1m) / $(median depth_10k) * 100 | round / 100")   (target 0.8)"
echo "peak RSS with 1,000,000 pending: $(stat depth_1m rss) MiB   (target 150 MB)"
