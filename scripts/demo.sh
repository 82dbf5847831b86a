#!/bin/sh
# The main job until the appliance demo lands: make a ZeroTier identity,
# check it, sign and verify with it, show a forgery refused, decode a real
# ZeroTierOne capture, then measure packet crypto on this CPU.
set -eu
cd "$(dirname "$0")/.."
[ -x build/apps/ztdp-idtool ] || ./scripts/setup.sh
IDTOOL=build/apps/ztdp-idtool
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT

run() { echo "\$ $*"; "$@"; echo; }

run $IDTOOL generate "$D/identity.secret" "$D/identity.public"
run cat "$D/identity.public"
run $IDTOOL validate "$D/identity.secret"
echo "hello from ztdp" >"$D/message.txt"
echo "\$ $IDTOOL sign $D/identity.secret $D/message.txt > $D/message.sig"
$IDTOOL sign "$D/identity.secret" "$D/message.txt" >"$D/message.sig"
echo; cat "$D/message.sig"; echo; echo
run $IDTOOL verify "$D/identity.public" "$D/message.txt" "$D/message.sig"
echo "hello from someone else" >"$D/message.txt"
echo "\$ $IDTOOL verify ... (after changing the message)"
$IDTOOL verify "$D/identity.public" "$D/message.txt" "$D/message.sig" || echo "(refused, exit $?)"
echo
# A real ZeroTierOne 1.14.1 join, decrypted with the nodes' secrets: HELLOs,
# the signed network config, ARP over MULTICAST_FRAME, pings over FRAME.
SHARED=${ZTDP_SHARED_DIR:-../shared}
if [ -f "$SHARED/interop/data/pcap/underlay-join-ping.pcap" ]; then
	echo "\$ build/apps/ztdp-dump -i $SHARED/interop/data/identities $SHARED/interop/data/pcap/underlay-join-ping.pcap"
	build/apps/ztdp-dump -i "$SHARED/interop/data/identities" \
		"$SHARED/interop/data/pcap/underlay-join-ping.pcap" 2>&1 |
		awk '/ HELLO / && h++ < 2 { print; next }
		     /OK\(NETWORK_CONFIG_REQUEST\)/ && c++ < 1 { print; cfg = 1; next }
		     /^    / { if (cfg) print; next }
		     { cfg = 0 }
		     /ARP who-has/ && a++ < 1 { print; next }
		     /echo (request|reply)/ && e++ < 2 { print; next }
		     /^ztdp-dump:/ { print }' | cut -c1-200
	echo
else
	echo "(skipping the ztdp-dump step: $SHARED/interop/data is absent)"
fi
run build/bench/ztdp-crypto-bench --duration 0.2 --sizes 64,1400 --no-primitives
