#!/bin/sh
# The test command: installs what is missing, builds, runs the unit tests in
# a normal build and again under ASan+UBSan, then gives each fuzzer a short
# run. Exit status is non-zero if anything failed.
set -eu
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-30}

./scripts/setup.sh

echo "== unit tests (build/)"
meson test -C build --print-errorlogs

echo "== unit tests under ASan+UBSan (build-asan/)"
[ -f build-asan/build.ninja ] ||
	meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
ninja -C build-asan
meson test -C build-asan --print-errorlogs

echo "== fuzzers, ${FUZZ_SECONDS}s each"
FUZZ_SECONDS=$FUZZ_SECONDS ./scripts/fuzz.sh
echo "== all tests passed"
