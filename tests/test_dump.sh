#!/bin/sh
# ztdp-dump end to end on the real ZeroTierOne 1.14.1 captures of
# interop/data and interop/data-bridge: every packet authenticates, the
# controller's config is shown verified, the frames written are the ones
# the members' TAPs saw, and no identities / cut files / bad usage end
# cleanly.
set -u
DUMP=${1:?usage: test_dump.sh path/to/ztdp-dump path/to/pcap_frames_cmp}
CMP=${2:?usage: test_dump.sh path/to/ztdp-dump path/to/pcap_frames_cmp}
SHARED=${ZTDP_SHARED_DIR:-../shared}
D=$SHARED/interop/data
B=$SHARED/interop/data-bridge
PCAP=$D/pcap/underlay-join-ping.pcap
if [ ! -f "$PCAP" ] || [ ! -d "$D/identities" ]; then
	echo "SKIP: $PCAP or $D/identities is absent"
	exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
# count <regex> <file>: lines matching (grep -c prints 0 and exits 1 on none)
count() { grep -c -E -- "$1" "$2" || true; }
ids="-i $D/identities/root.identity.secret -i $D/identities/a.identity.secret -i $D/identities/b.identity.secret"

# expect_error <what> <stderr-substring> <command...>: exit 1, exactly one
# line on stderr containing the substring, nothing on stdout.
expect_error() {
	what=$1; want=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	lines=$(wc -l <"$T/err")
	if [ "$rc" -ne 1 ]; then fail "$what: exit $rc, wanted 1"; return; fi
	if [ "$lines" -ne 1 ]; then fail "$what: $lines stderr lines, wanted 1: $(cat "$T/err")"; return; fi
	if ! grep -q -- "$want" "$T/err"; then fail "$what: stderr '$(cat "$T/err")' lacks '$want'"; return; fi
	if [ -s "$T/out" ]; then fail "$what: wrote to stdout"; return; fi
	ok "$what -> $(cat "$T/err")"
}

# ---- The acceptance capture, all three secrets, JSON -------------------------
# interop/data/README.md: 181 UDP datagrams. One is the 4-byte RENDEZVOUS
# junk (not ZeroTier); 10 packets came as head + fragment (20 datagrams),
# so 181 - 1 - 10 = 170 packets.
# shellcheck disable=SC2086
"$DUMP" --json $ids "$PCAP" >"$T/j" 2>"$T/je"; rc=$?
[ "$rc" -eq 0 ] || fail "--json exit $rc: $(cat "$T/je")"
n=$(wc -l <"$T/j")
[ "$n" -eq 170 ] && ok "170 JSON lines" || fail "$n JSON lines, wanted 170"
[ "$(count '"authenticated":true' "$T/j")" -eq 170 ] && ok "all 170 authenticated" ||
	fail "authenticated: $(count '"authenticated":true' "$T/j") of $n"
[ "$(count '"status":"ok"' "$T/j")" -eq 170 ] || fail "not every status is ok"
[ "$(count '"status":"(undecryptable|incomplete|auth-failed|malformed|dropped)"' "$T/j")" -eq 0 ] ||
	fail "undecryptable/incomplete/failed packets reported"
[ "$(count '"fragments":2,' "$T/j")" -eq 10 ] && ok "10 packets reassembled from 2 datagrams" ||
	fail "reassembled: $(count '"fragments":2,' "$T/j"), wanted 10"
# Every line has the required fields in their forms.
for re in '"time":[0-9]+\.[0-9]+' '"src":"[0-9a-f]{10}"' '"dst":"[0-9a-f]{10}"' \
	'"cipher":[0-9]' '"verb":"[A-Z_]+"' '"authenticated":(true|false)' \
	'"underlay_src":"10\.99\.0\.[123]/9993"' '"hops":[0-9]' '"compressed":(true|false)'; do
	[ "$(count "$re" "$T/j")" -eq 170 ] || fail "field $re on $(count "$re" "$T/j") of 170 lines"
done
# OK and ERROR carry the verb they answer; nothing else does.
nok=$(count '"verb":"(OK|ERROR)"' "$T/j")
[ "$nok" -gt 0 ] && [ "$(count '"in_re_verb":"[A-Z_]+"' "$T/j")" -eq "$nok" ] &&
	ok "$nok OK/ERROR with in_re_verb" || fail "in_re_verb on OK/ERROR lines"
for v in HELLO OK WHOIS RENDEZVOUS FRAME MULTICAST_LIKE NETWORK_CREDENTIALS \
	NETWORK_CONFIG_REQUEST NETWORK_CONFIG MULTICAST_GATHER MULTICAST_FRAME PUSH_DIRECT_PATHS; do
	[ "$(count "\"verb\":\"$v\"" "$T/j")" -gt 0 ] || fail "no $v decoded"
done
[ "$(count '"in_re_verb":"NETWORK_CONFIG_REQUEST"' "$T/j")" -eq 2 ] || fail "OK(NETWORK_CONFIG_REQUEST) count"
[ "$(count '"cipher":0,' "$T/j")" -eq "$(count '"verb":"HELLO"' "$T/j")" ] || fail "suite 0 is HELLO only"
[ "$(count '"relay_copy":true' "$T/j")" -gt 0 ] || fail "no relayed packet seen twice"
[ "$(count '"netconf":\{"name":"interop","nwid":"31a462e3d25a2681"' "$T/j")" -eq 4 ] &&
	ok "4 configs in JSON" || fail "netconf objects: $(count '"netconf":' "$T/j")"
grep -q '"ips":\["10.147.17.11/24"\]' "$T/j" || fail "a's config IP in JSON"
grep -q '"com_verified":true' "$T/j" || fail "COM verified in JSON"
grep -Eq '181 datagrams, 170 packets \(10 reassembled\), 170 authenticated, 0 undecryptable, 0 auth-failed, 0 incomplete' "$T/je" &&
	grep -q '1 not ZeroTier' "$T/je" && ok "summary: $(cat "$T/je")" || fail "summary line: $(cat "$T/je")"
[ "$(wc -l <"$T/je")" -eq 1 ] || fail "stderr has more than the summary line"

# ---- Text: the controller's config ---------------------------------------------
# shellcheck disable=SC2086
"$DUMP" $ids "$PCAP" >"$T/t" 2>/dev/null || fail "text mode exit $?"
grep -q '^    ips 10.147.17.11/24$' "$T/t" && ok "a's IP 10.147.17.11/24" || fail "no 10.147.17.11/24 line"
grep -q '^    ips 10.147.17.12/24$' "$T/t" || fail "no 10.147.17.12/24 line"
grep -q '^    routes 10.147.17.0/24$' "$T/t" && ok "route 10.147.17.0/24" || fail "no route line"
[ "$(count 'signature verified$' "$T/t")" -eq 4 ] && ok "4 configs, signature verified" ||
	fail "'signature verified' on $(count 'signature verified$' "$T/t") config lines"
[ "$(count 'COM verified yes' "$T/t")" -eq 4 ] || fail "COM not verified"
grep -q 'mtu 2800 multicast-limit 32' "$T/t" || fail "mtu / multicast limit"
grep -q 'OK(NETWORK_CONFIG_REQUEST) in-re [0-9a-f]\{16\} nwid 31a462e3d25a2681 chunk' "$T/t" || fail "chunk line"
grep -q 'OK(ECHO) in-re [0-9a-f]\{16\} (ack of NETWORK_CONFIG)' "$T/t" || fail "config-push ack not recognised"
[ "$(grep -c . "$T/t")" -eq $((170 + 4 * 7)) ] || fail "text: $(grep -c . "$T/t") lines, wanted 170 + 4 configs x 7"

# ---- Frames: every frame of a's TAP ------------------------------------------
# overlay-a-ping.pcap is a's TAP during the pings: 62 unicast a<->b frames
# and 6 ARP broadcasts from a. All 68 crossed the underlay (FRAME, or
# MULTICAST_FRAME for the broadcasts) and must come out byte for byte.
# The converse holds too, with one allowance (--exact-window): the TAP
# capture stopped at the last ping reply, while the underlay capture went
# on 0.6 s longer and holds one more unicast ARP exchange b<->a; frames
# stamped after the TAP's last frame may be absent from it.
# shellcheck disable=SC2086
"$DUMP" -q -w "$T/frames.pcap" $ids "$PCAP" 2>"$T/fe" || fail "--write-frames exit $?"
grep -q '70 frames written' "$T/fe" || fail "frames written: $(cat "$T/fe")"
if "$CMP" --exact-window "$D/pcap/overlay-a-ping.pcap" "$T/frames.pcap" >"$T/cmp"; then
	ok "overlay-a-ping: $(tail -n 1 "$T/cmp")"
else
	fail "overlay-a-ping frames: $(cat "$T/cmp")"
fi
grep -q '^matched 68/68 expected, 0 excepted, 0 extra of 70 actual (2 late)$' "$T/cmp" || fail "frame counts: $(tail -n 1 "$T/cmp")"
[ -s "$T/t" ] && [ "$(wc -l <"$T/fe")" -eq 1 ] || fail "-q printed more than the summary"

# ---- No identities: undecryptable, still exit 0 --------------------------------
"$DUMP" --json "$PCAP" >"$T/n" 2>"$T/ne"; rc=$?
[ "$rc" -eq 0 ] || fail "no identities: exit $rc"
[ "$(count '"status":"undecryptable"' "$T/n")" -eq 170 ] && [ "$(count '"authenticated":true' "$T/n")" -eq 0 ] &&
	ok "no identities: 170 undecryptable" || fail "no identities: $(cat "$T/ne")"
[ "$(count '"reason":"neither side.s secret known"' "$T/n")" -eq 170 ] || fail "undecryptable reason"
# Only HELLO's verb is in clear (suite 0); its clear fields are shown.
nh=$(count '"verb":"HELLO"' "$T/n")
[ "$nh" -eq 11 ] && [ "$(count '"verb":null' "$T/n")" -eq $((170 - nh)) ] &&
	[ "$(count '"verb":"HELLO".*"identity":"[0-9a-f]{10}"' "$T/n")" -eq "$nh" ] ||
	fail "no identities: verbs: $nh HELLO, $(count '"verb":null' "$T/n") null"
"$DUMP" "$PCAP" >/dev/null 2>&1 || fail "no identities, text mode exit $?"

# ---- One secret: the rest is learned from the capture ----------------------------
# With a's secret only, root's and b's public identities come from their
# HELLOs: everything to or from a decrypts, root<->b does not.
"$DUMP" --json -i "$D/identities/a.identity.secret" "$PCAP" >"$T/o" 2>"$T/oe" || fail "one secret: exit $?"
grep -q '3 identities (1 secret, 2 learned)' "$T/oe" || fail "learning: $(cat "$T/oe")"
na=$(count '"authenticated":true' "$T/o")
bad=$(grep '"authenticated":true' "$T/o" | grep -Evc '"(src|dst)":"dec87a28aa"' || true)
und=$(grep '"status":"undecryptable"' "$T/o" | grep -Ec '"(src|dst)":"dec87a28aa"' || true)
[ "$na" -gt 100 ] && [ "$bad" -eq 0 ] && [ "$und" -eq 0 ] && [ "$((na + $(count '"status":"undecryptable"' "$T/o")))" -eq 170 ] &&
	ok "a's secret only: $na authenticated, all involving a" || fail "a's secret only: $na auth, $bad not a's, $und of a's undecryptable"

# ---- A capture cut short ------------------------------------------------------------
# Cut at many points: never a crash, exit 0, a warning naming the cut and
# the summary; a cut between a fragmented packet's head and its fragment
# reports the packet as incomplete.
size=$(wc -c <"$PCAP")
cut=100; cuts=0; incomplete=0
while [ "$cut" -lt "$size" ]; do
	head -c "$cut" "$PCAP" >"$T/cut.pcap"
	# shellcheck disable=SC2086
	"$DUMP" --single-pass --json $ids "$T/cut.pcap" >"$T/c" 2>"$T/ce"; rc=$?
	if [ "$rc" -ne 0 ]; then fail "cut at $cut: exit $rc: $(cat "$T/ce")"; break; fi
	grep -q 'records, .* datagrams, ' "$T/ce" || { fail "cut at $cut: no summary"; break; }
	if grep -q 'warning: .*truncated' "$T/ce"; then cuts=$((cuts + 1)); fi
	if [ "$(count '"status":"incomplete"' "$T/c")" -gt 0 ]; then
		incomplete=$((incomplete + 1))
		grep '"status":"incomplete"' "$T/c" | grep -q '"reason":"fragments missing at end of capture"' ||
			fail "cut at $cut: incomplete without its reason"
	fi
	[ "$(count '"status":"(undecryptable|auth-failed|malformed|dropped)"' "$T/c")" -eq 0 ] ||
		fail "cut at $cut: a packet failed"
	cut=$((cut + 613))
done
[ "$cuts" -gt 50 ] && [ "$incomplete" -gt 0 ] && ok "cut captures: $cuts truncated reads, $incomplete with an incomplete packet" ||
	fail "cut captures: $cuts truncated, $incomplete incomplete"
head -c 10 "$PCAP" >"$T/tiny.pcap"
expect_error "pcap header cut" "tiny.pcap" "$DUMP" "$T/tiny.pcap"

# ---- data-bridge: every capture there ---------------------------------------------
if [ -d "$B/pcap" ] && [ -d "$B/identities" ]; then
	for p in "$B"/pcap/*.pcap; do
		name=$(basename "$p")
		"$DUMP" --json -i "$B/identities" -w "$T/bf-$name" "$p" >"$T/b" 2>"$T/be"; rc=$?
		[ "$rc" -eq 0 ] || { fail "$name: exit $rc: $(cat "$T/be")"; continue; }
		np=$(wc -l <"$T/b")
		nau=$(count '"authenticated":true' "$T/b")
		[ "$np" -eq "$nau" ] && grep -q " $np packets .*, $np authenticated, 0 undecryptable, 0 auth-failed, 0 incomplete, 0 malformed, 0 dropped" "$T/be" &&
			ok "$name: $np packets, all authenticated" || fail "$name: $(cat "$T/be")"
	done
	# The standard setup again with other nodes: the same holds for a's TAP.
	if "$CMP" --exact-window "$B/pcap/overlay-a-ping.pcap" "$T/bf-underlay-join-ping.pcap" >"$T/bcmp0"; then
		ok "data-bridge overlay-a-ping: $(tail -n 1 "$T/bcmp0")"
	else
		fail "data-bridge overlay-a-ping frames: $(cat "$T/bcmp0")"
	fi
	U=bridge-underlay.pcap
	"$DUMP" --json -i "$B/identities" "$B/pcap/$U" >"$T/bj" 2>/dev/null
	"$DUMP" -i "$B/identities" "$B/pcap/$U" >"$T/bt" 2>/dev/null
	# README: 39 EXT_FRAMEs, 18 with the LAN host's MAC as source (from a),
	# the LAN host's ARP broadcasts as MULTICAST_FRAME with flags 0x06.
	[ "$(count '"verb":"EXT_FRAME"' "$T/bj")" -eq 39 ] || fail "EXT_FRAMEs: $(count '"verb":"EXT_FRAME"' "$T/bj"), wanted 39"
	[ "$(grep '"verb":"EXT_FRAME"' "$T/bj" | grep '"src_mac":"02:1a:00:00:00:31"' | grep -c '"src_mac_foreign":true')" -eq 18 ] &&
		ok "18 EXT_FRAMEs from the LAN host's foreign MAC" || fail "foreign-source EXT_FRAMEs"
	grep -q 'EXT_FRAME nwid 7a4d39540c063f74 flags 0x00 02:1a:00:00:00:31 > 76:a3:1a:39:2f:9d foreign-src' "$T/bt" ||
		fail "text: foreign source MAC not shown"
	grep -q 'MULTICAST_FRAME nwid 7a4d39540c063f74 flags 0x06 group ff:ff:ff:ff:ff:ff/0a93210c src 02:1a:00:00:00:31 foreign-src' "$T/bt" ||
		fail "text: bridged ARP broadcast"
	grep -q '^    config "interop-bridge" .* revision 4 .*signature verified$' "$T/bt" || fail "bridge config revision 4"
	grep -q '^    rules 4: MATCH_IP_PROTOCOL, MATCH_IP_DEST_PORT_RANGE, ACTION_DROP, ACTION_ACCEPT$' "$T/bt" || fail "bridge rules"
	grep -q '^    ips fd7a:4d39:540c:63f:7499:9302:6575:5a25/88 fc76:4b06:2002:6575:5a25::1/40 10.147.33.11/24$' "$T/bt" ||
		fail "bridge IPv4 + rfc4193 + 6plane"
	grep -q 'specialists 1 0265755a25(bridge)' "$T/bt" || fail "active bridge specialist"
	# b's TAP holds every frame of the bridge scenario that crossed the
	# underlay (b is an end of each overlay conversation: a<->b, LAN<->b),
	# so the frames written must be exactly b's TAP minus what b's node
	# never sent. Those 13 (1-based frame numbers of bridge-overlay-b.pcap):
	#  1 2 5 7 9  MLDv2 reports to ff02::16 and 8 69  router solicitations:
	#             sent before a became an active bridge (config revision 4,
	#             ~9 s in), when no member subscribed to those groups (the
	#             later solicitation, frame 103, did go to the bridge);
	#  3 6        b's duplicate-address probes for its own link-local and
	#             rfc4193 addresses (solicited-node groups only b is in);
	#  11 12 41 42 b's neighbor solicitations for a's rfc4193 and 6plane
	#             addresses and the advertisements answering them, which
	#             b's own node made up locally (NDP emulation, flag 0x04).
	if "$CMP" --exact --except-frames 1,2,3,5,6,7,8,9,11,12,41,42,69 \
		"$B/pcap/bridge-overlay-b.pcap" "$T/bf-$U" >"$T/bcmp"; then
		ok "bridge-overlay-b: $(tail -n 1 "$T/bcmp")"
	else
		fail "bridge-overlay-b frames: $(cat "$T/bcmp")"
	fi
else
	echo "SKIP part: $B is absent"
fi

# ---- Other ports, other link layers ------------------------------------------------
"$DUMP" -q --port 9994 $ids "$PCAP" 2>"$T/pe" || fail "--port exit $?"
grep -q '0 datagrams, 0 packets' "$T/pe" && grep -q '181 skipped records' "$T/pe" || fail "--port 9994: $(cat "$T/pe")"
"$DUMP" -q --any-port $ids "$PCAP" 2>"$T/pe" || fail "--any-port exit $?"
grep -q '181 datagrams, 170 packets' "$T/pe" || fail "--any-port: $(cat "$T/pe")"

# ---- Bad usage: one line, exit 1 ------------------------------------------------------
expect_error "no capture" "no capture file" "$DUMP"
expect_error "missing capture" "nope.pcap" "$DUMP" "$T/nope.pcap"
expect_error "not a pcap" "a.identity.secret" "$DUMP" "$D/identities/a.identity.secret"
expect_error "missing identity" "No such file" "$DUMP" -i "$T/nope" "$PCAP"
head -c 60 "$D/identities/a.identity.secret" >"$T/bad.secret"
expect_error "bad identity" "not an identity" "$DUMP" -i "$T/bad.secret" "$PCAP"
expect_error "identity dir without identities" "no identity files" "$DUMP" -i "$D/pcap" "$PCAP"
expect_error "bad port" "bad port" "$DUMP" --port 0 "$PCAP"
expect_error "unknown option" "unknown option" "$DUMP" --frobnicate "$PCAP"
expect_error "option without argument" "needs an argument" "$DUMP" "$PCAP" -i
expect_error "two captures" "unexpected argument" "$DUMP" "$PCAP" "$PCAP"
expect_error "unwritable frames file" "no/such/dir" "$DUMP" -w "$T/no/such/dir/f.pcap" "$PCAP"
"$DUMP" --help | grep -q -- '--write-frames' || fail "--help"
# An identity directory works like the files in it.
"$DUMP" -q -i "$D/identities" "$PCAP" 2>"$T/de" && grep -q '170 authenticated' "$T/de" || fail "identity directory: $(cat "$T/de")"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all ztdp-dump checks passed"
