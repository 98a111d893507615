#!/usr/bin/env bash
# bench-cgroups.sh HUSK [RUNTIME...] — the cost of `update` and `events --stats`
# on a running container, husk side by side with other runtimes (default: runc),
# interleaved, N samples each (default 30); prints the median of each and the
# ratio to the first runtime. Run by `make bench`; root; cgroup v1 or v2.
# As ../shared/bench/bench.sh, it runs in a private mount namespace without
# the hybrid host's unified hierarchy, which crun refuses.
set -euo pipefail
if [ -z "${BENCH_CG_NS:-}" ]; then
	BENCH_CG_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	# a tmpfs stand-in, so that crun's bare-directory writes vanish with the namespace
	umount /sys/fs/cgroup/unified && mount -t tmpfs -o size=4m,mode=755 bench-standin /sys/fs/cgroup/unified
fi

[ "$(id -u)" = 0 ] || { echo "bench-cgroups: must run as root" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
N=${N:-30}
[ $# -ge 1 ] || { echo "usage: bench-cgroups.sh HUSK [RUNTIME...]" >&2; exit 2; }
rts=("$(realpath "$1")"); shift
[ $# -gt 0 ] || set -- runc
for r in "$@"; do rts+=("$(command -v "$r")"); done

W=$(mktemp -d /tmp/bench-cgroups.XXXXXX)
ids=()
cleanup() {
	for i in "${!ids[@]}"; do "${rts[$i]}" --root "$W/root$i" delete -f "${ids[$i]}" >/dev/null 2>&1 || true; done
	rm -rf "$W"
}
trap cleanup EXIT

SPEC_TOOL=${rts[0]} "$here/mkbundle.sh" --force --args '["sleep","600"]' "$W/bundle" >/dev/null
# a memory limit, so that every runtime has a memory cgroup to update; the
# ociVersion of the oldest runtime (crun 1.8 refuses 1.3.0)
jq '.ociVersion = "1.0.2" | .linux.resources.memory = {"limit": 268435456}' "$W/bundle/config.json" >"$W/c.json"
mv "$W/c.json" "$W/bundle/config.json"

for i in "${!rts[@]}"; do
	ids[$i]=bench-cg-$$-$i
	"${rts[$i]}" --root "$W/root$i" run -d --bundle "$W/bundle" "${ids[$i]}" </dev/null >/dev/null
done

# crun has no `events`
noevents=()
for i in "${!rts[@]}"; do
	"${rts[$i]}" events --help >/dev/null 2>&1 || noevents[$i]=1
done

# sample OP: one interleaved round of OP per runtime, N times; ms per sample in $W/OP.i
sample() {
	local op=$1 n i t0 t1 mem
	for ((n = 0; n < N; n++)); do
		for i in "${!rts[@]}"; do
			mem=$(((256 + n % 2) << 20))
			[ "$op" = events ] && [ -n "${noevents[$i]:-}" ] && continue
			t0=$(date +%s%N)
			case $op in
			update) "${rts[$i]}" --root "$W/root$i" update --memory "$mem" "${ids[$i]}" >/dev/null ;;
			events) "${rts[$i]}" --root "$W/root$i" events --stats "${ids[$i]}" >/dev/null ;;
			esac
			t1=$(date +%s%N)
			echo $(((t1 - t0) / 1000)) >>"$W/$op.$i"
		done
	done
}
median() { [ -s "$1" ] || { echo n/a; return; }; sort -n "$1" | awk '{a[NR]=$1} END{printf "%.1f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)/1000}'; }

sample update
sample events
printf '%-22s' "row (median ms, N=$N)"
for r in "${rts[@]}"; do printf '%12s' "$(basename "$r")"; done
for r in "${rts[@]:1}"; do printf '%14s' "husk/$(basename "$r")"; done
echo
for op in update events; do
	label=$op; [ $op = events ] && label="events --stats"
	printf '%-22s' "$label"
	m0=$(median "$W/$op.0")
	for i in "${!rts[@]}"; do printf '%12s' "$(median "$W/$op.$i")"; done
	for i in "${!rts[@]}"; do
		[ "$i" = 0 ] && continue
		printf '%14s' "$(awk -v a="$m0" -v b="$(median "$W/$op.$i")" 'BEGIN{if (b == "n/a") print "n/a"; else printf "%.2f", a/b}')"
	done
	echo
done
