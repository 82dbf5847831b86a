#!/bin/sh
# Install every Debian 12 package ztdp needs (only what is missing), then
# configure and build into ./build. Safe to run again.
set -eu
cd "$(dirname "$0")/.."

PACKAGES="meson ninja-build pkg-config gcc clang libclang-rt-14-dev \
	libdpdk-dev dpdk dpdk-dev libsodium-dev libssl-dev libipsec-mb-dev liblz4-dev \
	libjansson-dev libcmocka-dev libpcap-dev iproute2 python3 \
	iputils-ping ethtool jq curl iperf3 arping tcpdump socat bc"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: need root to install:$missing (run with sudo)" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ -f build/build.ninja ] || meson setup build
ninja -C build
