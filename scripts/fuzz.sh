#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build the libFuzzer targets (tests/fuzz) and run each one for a while.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target: first argument, else $FUZZ_SECONDS, else 30.
# TARGET: a harness name, e.g. fuzz_identity (default: every
# tests/fuzz/fuzz_*.c; each needs a max_len below).
# Environment: FUZZ_BUILD_DIR (default build-fuzz in the source tree),
# CC (default clang).
#
# Each target starts from a copy of tests/fuzz/corpus/<name>/ in a temporary
# directory, so the committed corpus never changes. Exits non-zero if any
# target crashes, leaks, hits a sanitizer report or fails to run; the
# reproducer (crash-*, leak-*, timeout-*, oom-*) and the log are kept and
# their paths printed.
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${FUZZ_BUILD_DIR:-$src_dir/build-fuzz}

seconds=${FUZZ_SECONDS:-30}
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
	seconds=$1
	shift
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
	for f in "$src_dir"/tests/fuzz/fuzz_*.c; do
		targets+=("$(basename "$f" .c)")
	done
fi

# Longest input per target: an identity's text form is at most 271 bytes
# (binary 135); a packet is at most ZTDP_MAX_PACKET_LEN (10024) plus the
# selector byte. Each harness has its own line.
max_len_for() {
	case $1 in
	fuzz_identity) echo 512 ;;
	fuzz_dearmor) echo 10100 ;;
	fuzz_rules) echo 4096 ;; fuzz_capability) echo 8192 ;;
	fuzz_packet) echo 10100 ;; fuzz_reasm) echo 16384 ;; fuzz_inetaddr) echo 256 ;;
	fuzz_dict) echo 8192 ;; fuzz_netconf) echo 16384 ;; fuzz_com) echo 2048 ;; fuzz_credentials) echo 2048 ;; fuzz_world) echo 4096 ;;
	fuzz_verbs) echo 10100 ;; fuzz_netconf_chunk) echo 32768 ;;
	fuzz_dump) echo 16384 ;;
	fuzz_node) echo 16384 ;; fuzz_node_root) echo 16384 ;;
	fuzz_controller) echo 65536 ;;
	*) echo "fuzz.sh: unknown target $1" >&2; return 1 ;;
	esac
}
for t in "${targets[@]}"; do max_len_for "$t" >/dev/null; done

# Configure on first use; reconfigure a build directory made without
# -Dfuzz=true.
if [[ ! -f $build_dir/build.ninja ]]; then
	CC=${CC:-clang} meson setup "$build_dir" "$src_dir" -Dfuzz=true -Db_lundef=false
elif ! grep -q 'tests/fuzz/fuzz_' "$build_dir/build.ninja"; then
	meson configure "$build_dir" -Dfuzz=true -Db_lundef=false
fi
ninja -C "$build_dir" "${targets[@]/#/tests/fuzz/}"

work=$(mktemp -d "${TMPDIR:-/tmp}/ztdp-fuzz.XXXXXX")
failed=0
for t in "${targets[@]}"; do
	corpus=$work/$t/corpus
	artifacts=$work/$t/artifacts
	mkdir -p "$corpus" "$artifacts"
	if [[ -d $src_dir/tests/fuzz/corpus/$t ]]; then
		cp -r "$src_dir/tests/fuzz/corpus/$t/." "$corpus/"
	fi
	echo "== $t: ${seconds}s, max_len $(max_len_for "$t")"
	# -error_exitcode: a sanitizer report or crash; -timeout: one input
	# taking over 10 s counts as a hang.
	if ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	   UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	   "$build_dir/tests/fuzz/$t" \
		-max_total_time="$seconds" -max_len="$(max_len_for "$t")" \
		-timeout=10 -error_exitcode=77 -print_final_stats=1 \
		-artifact_prefix="$artifacts/" "$corpus" >"$work/$t/log" 2>&1; then
		echo "   ok: $(grep -Eo '^#[0-9]+[[:space:]]+DONE.*' "$work/$t/log" | tail -n 1)"
	else
		failed=1
		echo "   FAILED ($t): log $work/$t/log" >&2
		tail -n 40 "$work/$t/log" >&2
		for a in "$artifacts"/*; do
			[[ -e $a ]] && echo "   reproducer: $a (run: $build_dir/tests/fuzz/$t $a)" >&2
		done
	fi
done

if [[ $failed -ne 0 ]]; then
	echo "fuzz.sh: failures; logs and reproducers kept in $work" >&2
	exit 1
fi
rm -rf "$work"
echo "fuzz.sh: all targets ran ${seconds}s without a crash"
