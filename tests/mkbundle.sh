#!/usr/bin/env bash
# mkbundle.sh [--args JSON | --sh SCRIPT] [--force] DIR — an OCI bundle: DIR/rootfs (tests/mkrootfs.sh)
# and DIR/config.json written by `SPEC_TOOL spec` (the runtime's default config).
#
#   SPEC_TOOL   runtime whose `spec` command writes config.json; default: ./husk of this
#               repository when built, else `husk` on PATH. SPEC_TOOL=runc tests against runc.
#   --args JSON set process.args to JSON (an array of strings) and process.terminal=false,
#               so the bundle runs without a tty (needs jq)
#   --sh SCRIPT same as --args '["sh","-c",SCRIPT]'
#   --force     replace an existing DIR
set -euo pipefail

die() { echo "mkbundle: $*" >&2; exit 1; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
args="" force=0 dir=""
while [ $# -gt 0 ]; do
	case $1 in
	--args) args=${2:?--args needs a JSON array}; shift 2 ;;
	--sh) args=$(jq -cn --arg s "${2:?--sh needs a script}" '["sh","-c",$s]') || die "jq not found (apt-get install jq)"; shift 2 ;;
	--force) force=1; shift ;;
	-h | --help) sed -n '2,11p' "$0"; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) [ -z "$dir" ] || die "one DIR only"; dir=$1; shift ;;
	esac
done
[ -n "$dir" ] || die "usage: mkbundle.sh [--args JSON | --sh SCRIPT] [--force] DIR"

tool=${SPEC_TOOL:-}
if [ -z "$tool" ]; then
	if [ -x "$here/../husk" ]; then tool=$here/../husk; else tool=husk; fi
fi
tool_path=$(command -v -- "$tool" 2>/dev/null) || die "spec tool not found: $tool (make husk, or set SPEC_TOOL)"
tool_path=$(readlink -f -- "$tool_path")

if [ -e "$dir" ]; then
	[ "$force" = 1 ] || die "$dir exists (use --force)"
	rm -rf --one-file-system -- "$dir"
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

"$here/mkrootfs.sh" "$dir/rootfs" >/dev/null
(cd "$dir" && "$tool_path" spec) || die "$tool_path spec failed"
[ -s "$dir/config.json" ] || die "$tool_path spec wrote no config.json"

if [ -n "$args" ]; then
	command -v jq >/dev/null || die "jq not found (apt-get install jq)"
	jq -e 'type=="array" and length>0 and all(type=="string")' <<<"$args" >/dev/null ||
		die "--args must be a non-empty JSON array of strings: $args"
	jq --argjson a "$args" '.process.terminal = false | .process.args = $a' \
		"$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
fi
echo "$dir"
