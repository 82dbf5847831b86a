#!/bin/sh
# The main job until the appliance lands: make a ZeroTier identity, check
# it, sign and verify with it, show a forgery refused, then measure packet
# crypto on this CPU for a few seconds.
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
run build/bench/ztdp-crypto-bench --duration 0.2 --sizes 64,1400 --no-primitives
