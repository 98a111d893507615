#!/usr/bin/env bash
# conformance.sh [RUNTIME] [REGEX] — the OCI conformance suite (runtime-tools'
# validation programs, ../shared/oci-conformance/run.sh) against RUNTIME
# (default: ./husk of this repository), as a measurement: the count is printed,
# a failing count does not fail this script. A setup error of the suite does.
#
#   SHARED=DIR               where shared/ is (default: ../shared beside the repository)
#   CONFORMANCE_BUDGET=900   seconds for the whole suite; past that it is stopped
#                            (cleanly: run.sh cleans up on TERM) and reported, not failed
#   OCI_TIMEOUT, OCI_VERBOSE, OCI_LOG_DIR   passed to run.sh (see its header)
#
# The suite's closing line "N passed, M failed" is printed as
# "oci-conformance assertions (informational): N passed, M failed" so that it
# is not mistaken for the result of the test run itself.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
shared=${SHARED:-$repo/../shared}
rt=${1:-$repo/husk}
filter=${2:-}
budget=${CONFORMANCE_BUDGET:-900}
run=$shared/oci-conformance/run.sh

if [ ! -x "$run" ]; then
	echo "conformance: $run not found (shared/ is expected beside the repository); skipped" >&2
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "conformance: must run as root" >&2; exit 2; }
[ -x "$rt" ] || command -v "$rt" >/dev/null || { echo "conformance: runtime not found: $rt" >&2; exit 2; }

timeout -s TERM -k 60 "$budget" "$run" "$rt" ${filter:+"$filter"} 2>&1 |
	sed -u 's/^\([0-9][0-9]* passed, [0-9][0-9]* failed\)$/oci-conformance assertions (informational): \1/'
rc=${PIPESTATUS[0]}
case $rc in
0 | 1) exit 0 ;;
124 | 130 | 137 | 143)
	echo "conformance: stopped after the budget of ${budget}s (CONFORMANCE_BUDGET); no count" >&2
	exit 0
	;;
*)
	echo "conformance: the suite failed to set up (exit $rc)" >&2
	exit "$rc"
	;;
esac
