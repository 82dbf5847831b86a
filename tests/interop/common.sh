# Shared by the ZT_ONE-gated interop tests (sourced, not run).
#
#   interop_require_zt TOOL...  skip (exit 77) without ZT_ONE, root, or
#                               one of the tools
#   interop_require TOOL...     the same, and the shared harness
#   ok / fail MESSAGE         one result line; fail counts into $fails
#   wait_for SECONDS CMD...   until CMD succeeds (polls every 0.2 s)
#
# Sets SHARED and HARNESS from ZTDP_SHARED_DIR (default: ../shared beside
# the checkout).
# meson test sets MALLOC_PERTURB_ for every test; zerotier-one 1.14.1 then
# dies once frames flow (seen here: members exit after joining, with
# MALLOC_PERTURB_=102 and not without), so the reference nodes get the
# ordinary allocator. ztdp's own tests keep it.
unset MALLOC_PERTURB_
SHARED=${ZTDP_SHARED_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/shared}
HARNESS=$SHARED/interop/harness
fails=0

interop_require_zt() {
	if [ -z "${ZT_ONE:-}" ]; then echo "SKIP: ZT_ONE is not set (path to a built ZeroTierOne 1.14 zerotier-one)"; exit 77; fi
	if [ ! -x "$ZT_ONE" ]; then echo "SKIP: ZT_ONE=$ZT_ONE is not an executable"; exit 77; fi
	if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root for network namespaces"; exit 77; fi
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "SKIP: $t is not installed (scripts/setup.sh installs it)"; exit 77; }
	done
}

interop_require() {
	interop_require_zt "$@"
	if [ ! -d "$HARNESS" ]; then echo "SKIP: $HARNESS is absent"; exit 77; fi
}

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

wait_for() {
	local n=$(( $1 * 5 )); shift
	for _ in $(seq 1 $n); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
	return 1
}
