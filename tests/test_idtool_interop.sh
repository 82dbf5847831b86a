#!/bin/sh
# ztdp-idtool against the real zerotier-idtool, both ways. Runs when ZT_ONE
# names a built zerotier-one (it acts as zerotier-idtool when called by that
# name); otherwise it says why it skips.
set -u
IDTOOL=${1:?usage: test_idtool_interop.sh path/to/ztdp-idtool}
if [ -z "${ZT_ONE:-}" ]; then
	echo "SKIP: ZT_ONE is not set (path to a built ZeroTierOne 1.14 zerotier-one)"
	exit 77
fi
if [ ! -x "$ZT_ONE" ]; then
	echo "SKIP: ZT_ONE=$ZT_ONE is not an executable"
	exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ln -s "$(readlink -f "$ZT_ONE")" "$T/zerotier-idtool"
ZT="$T/zerotier-idtool"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
printf 'interop message %s\n' "$(date +%s)" >"$T/msg"

for i in 1 2 3; do
	# ztdp makes, ZeroTier checks
	"$IDTOOL" generate "$T/z.secret" "$T/z.public" >/dev/null || fail "ztdp generate"
	"$ZT" validate "$T/z.secret" >/dev/null 2>&1 || fail "zerotier-idtool rejects ztdp's secret: $(cat "$T/z.secret")"
	"$ZT" validate "$T/z.public" >/dev/null 2>&1 || fail "zerotier-idtool rejects ztdp's public"
	"$ZT" getpublic "$T/z.secret" >"$T/gp" && cmp -s "$T/gp" "$T/z.public" || fail "zerotier-idtool getpublic differs from ztdp's public file"
	"$IDTOOL" sign "$T/z.secret" "$T/msg" >"$T/z.sig" || fail "ztdp sign"
	"$ZT" verify "$T/z.public" "$T/msg" "$T/z.sig" >/dev/null 2>&1 || fail "zerotier-idtool rejects ztdp's signature"
	"$ZT" sign "$T/z.secret" "$T/msg" >"$T/zz.sig" 2>/dev/null && cmp -s "$T/z.sig" "$T/zz.sig" || fail "signatures by the same key differ"

	# ZeroTier makes, ztdp checks
	"$ZT" generate "$T/r.secret" "$T/r.public" >/dev/null 2>&1 || fail "zerotier-idtool generate"
	"$IDTOOL" validate "$T/r.secret" >/dev/null || fail "ztdp rejects zerotier-idtool's secret: $(cat "$T/r.secret")"
	"$IDTOOL" validate "$T/r.public" >/dev/null || fail "ztdp rejects zerotier-idtool's public"
	"$IDTOOL" getpublic "$T/r.secret" >"$T/gp" && cmp -s "$T/gp" "$T/r.public" || fail "ztdp getpublic differs from zerotier-idtool's public file"
	"$ZT" sign "$T/r.secret" "$T/msg" >"$T/r.sig" 2>/dev/null || fail "zerotier-idtool sign"
	"$IDTOOL" verify "$T/r.public" "$T/msg" "$T/r.sig" >/dev/null || fail "ztdp rejects zerotier-idtool's signature"
	"$IDTOOL" verify "$T/r.public" "$T/msg" "$(cat "$T/r.sig")" >/dev/null || fail "ztdp rejects zerotier-idtool's signature as hex"

	# and both refuse the same forgeries
	printf 'tampered\n' >>"$T/msg2"
	if "$ZT" verify "$T/z.public" "$T/msg2" "$T/z.sig" >/dev/null 2>&1; then fail "zerotier-idtool accepted a bad signature"; fi
	if "$IDTOOL" verify "$T/r.public" "$T/msg2" "$T/r.sig" >/dev/null 2>&1; then fail "ztdp accepted a bad signature"; fi
done
ok "3 rounds: generate/validate/getpublic/sign/verify agree both ways"

if [ "$fails" -ne 0 ]; then
	echo "$fails interop check(s) failed"
	exit 1
fi
echo "idtool interop with $("$ZT_ONE" -v 2>/dev/null || echo zerotier-one) passed"
