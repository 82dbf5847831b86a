#!/bin/bash
# ztdp as the root and the controller of real ZeroTierOne members (issue 6
# acceptance), on the shared harness with ZT_NODES="a b":
#
#   zt-root  10.99.0.1  ztdp (net_af_packet over eth0): planet root (the
#                       planet made by ztdp-idtool genplanet names it) and
#                       network controller
#   zt-a     10.99.0.2  zerotier-one 1.14.1 member a
#   zt-b     10.99.0.3  zerotier-one 1.14.1 member b
#
# Checks: a and b accept the planet and come online with ztdp as PLANET;
# they join a network on ztdp's controller, are recorded, authorized and
# get IPs from its pool; they ping each other (56 and 2700 bytes); ztdp
# relays their first packets and introduces them (RENDEZVOUS), after
# which a lists b on its direct address.
#
# Needs root, ZT_ONE=/path/to/zerotier-one (1.14.x), and the build
# directory (arg 1). Without ZT_ONE it says why and skips.
set -u
BUILD=${1:?usage: roles-zt.sh path/to/build}
source "$(dirname "$0")/common.sh"
interop_require jq ip ping

export ZT_ONE ZT_RUN=${ZT_RUN:-/tmp/ztdp-roles-zt} ZT_NODES="a b"
unset ZT_IDS
T=$(mktemp -d /tmp/ztdp-roles.XXXXXX)
ROOT_IP=10.99.0.1
ztdp_pid=
cleanup() {
	[ -n "$ztdp_pid" ] && kill -KILL "$ztdp_pid" 2>/dev/null
	"$HARNESS/teardown.sh" >/dev/null 2>&1
	[ "${ZTDP_KEEP_LOGS:-0}" = 1 ] && echo "logs kept in $T" || rm -rf "$T"
}
trap cleanup EXIT

source "$HARNESS/env.sh"
need_zt_one
"$HARNESS/teardown.sh" >/dev/null 2>&1
"$HARNESS/setup-netns.sh" || exit 1

# ztdp's identity, then the planet naming it as the one root.
mkdir -p "$T/state" && chmod 700 "$T/state"
"$BUILD/apps/ztdp-idtool" generate "$T/state/identity.secret" "$T/state/identity.public" >/dev/null
ROOT_ID=$(cut -c1-10 "$T/state/identity.public")
cat >"$T/planet.json" <<JSON
{"id": "0x00000000cafe0e06", "signing_key": "planet.c25519",
 "roots": [{"identity": "state/identity.public", "endpoints": ["$ROOT_IP/9993"]}]}
JSON
"$BUILD/apps/ztdp-idtool" genplanet "$T/planet.json" "$T/planet" >/dev/null || { fail "genplanet"; exit 1; }
export ZT_PLANET=$T/planet

# ztdp takes zt-root's eth0; the kernel must not answer for 10.99.0.1 too.
ip netns exec zt-root ip addr flush dev eth0
for side in "zt-root eth0" "zt-sw p-root"; do
	set -- $side
	ip netns exec "$1" ethtool -K "$2" tso off gso off gro off tx off rx off >/dev/null 2>&1
done
ip netns exec zt-root "$BUILD/apps/ztdp/ztdp" -l 0 --no-huge -m 512 --no-pci \
	--file-prefix ztdp-roles-zt --log-level=lib.eal:error --vdev=net_af_packet0,iface=eth0 -- \
	--state-dir "$T/state" --planet "$T/planet" --address "$ROOT_IP/24" \
	--rpc-socket "$T/ztdp.sock" >"$T/ztdp.log" 2>&1 &
ztdp_pid=$!
ctl() { ip netns exec zt-root "$BUILD/apps/ztdpctl" -s "$T/ztdp.sock" "$@"; }
wait_for 20 ctl info || { cat "$T/ztdp.log"; fail "ztdp never answered"; exit 1; }
echo "ztdp $ROOT_ID is the root and the controller"

"$HARNESS/start-nodes.sh" || exit 1
A=$(node_id a); B=$(node_id b)
online() { zt_cli "$1" info | grep -q ONLINE; }
for n in a b; do
	if wait_for 30 online $n; then ok "$n came online on ztdp's planet: $(zt_cli $n info)"
	else fail "$n not online: $(zt_cli $n info)"; fi
	zt_cli $n listpeers | grep "$ROOT_ID" | grep -q PLANET &&
		ok "$n lists ztdp as its PLANET root: $(zt_cli $n listpeers | grep "$ROOT_ID")" ||
		fail "$n's peers: $(zt_cli $n listpeers)"
done

NWID=$(ctl -j controller network create '{"name": "ztdp-roles", "private": true,
  "ipAssignmentPools": [{"ipRangeStart": "10.147.17.100", "ipRangeEnd": "10.147.17.200"}],
  "routes": [{"target": "10.147.17.0/24"}], "v4AssignMode": {"zt": true}}' | jq -r .id)
echo "network $NWID on ztdp's controller"
for n in a b; do zt_cli $n join "$NWID" >/dev/null; done
seen() { ctl controller member list "$NWID" | grep -q "$1"; }
for addr in "$A" "$B"; do
	wait_for 30 seen "$addr" && ok "controller recorded $addr" || fail "controller never heard from $addr"
	ctl controller member authorize "$NWID" "$addr" >/dev/null
done
zt_ip() { zt_cli "$1" -j listnetworks | jq -r ".[] | select(.id == \"$NWID\") | select(.status == \"OK\") | .assignedAddresses[0] // empty" | cut -d/ -f1; }
has_ip() { [ -n "$(zt_ip "$1")" ]; }
for n in a b; do
	if wait_for 40 has_ip $n; then ok "$n got $(zt_ip $n) from ztdp's controller: $(zt_cli $n listnetworks | grep "$NWID")"
	else fail "$n has no IP: $(zt_cli $n listnetworks)"; fi
done
IPA=$(zt_ip a); IPB=$(zt_ip b)
reach() { ip netns exec zt-a ping -c 1 -W 1 "$IPB"; }
wait_for 30 reach || fail "a never reached b"
out=$(ip netns exec zt-a ping -c 5 -i 0.2 -W 2 "$IPB" 2>&1)
echo "$out" | grep -q " 0% packet loss" && ok "a pings b: $(echo "$out" | tail -1)" || fail "a -> b: $out"
out=$(ip netns exec zt-b ping -c 5 -i 0.2 -W 2 -s 2700 "$IPA" 2>&1)
echo "$out" | grep -q " 0% packet loss" && ok "b pings a at 2700 bytes: $(echo "$out" | tail -1)" || fail "b -> a 2700: $out"
introduced() { zt_cli a listpeers | grep "$B" | grep -q "10.99.0.3/"; }
wait_for 30 introduced && ok "a and b introduced, direct: $(zt_cli a listpeers | grep "$B")" ||
	fail "a's path to b: $(zt_cli a listpeers)"
stats=$(ctl -j stats)
lcore_relayed=$(echo /ztdp/stats | ip netns exec zt-root dpdk-telemetry.py -f ztdp-roles-zt 2>/dev/null |
	jq '."/ztdp/stats".dataplane.relayed' 2>/dev/null)
echo "ztdp's lcores relayed ${lcore_relayed:-?} datagram(s), its node $(echo "$stats" | jq .relayed) (first of each pair), sent $(echo "$stats" | jq '.txByVerb.RENDEZVOUS // 0') RENDEZVOUS, answered $(echo "$stats" | jq '.rxByVerb.MULTICAST_GATHER // 0') gathers"
[ "$(echo "$stats" | jq '.txByVerb.RENDEZVOUS // 0')" -ge 2 ] && ok "ztdp sent RENDEZVOUS to both" || fail "no RENDEZVOUS: $stats"
echo "--- ztdpctl listpeers / controller member list on ztdp"
ctl listpeers; ctl controller member list "$NWID"
echo "--- zerotier-cli listpeers on a"
zt_cli a listpeers
if [ $fails -gt 0 ]; then echo "--- ztdp log"; tail -30 "$T/ztdp.log"; echo "roles-zt: $fails failure(s)"; exit 1; fi
echo "roles-zt: all checks passed"
