#!/bin/bash
# End to end, ztdp alone (issue 6): scripts/lab.sh's namespaces with one
# ztdp as planet root and controller (r) and two appliances (n1, n2).
#
#   join: both members authorized, configured, managed IPs on their hosts
#   ping n1 -> n2 (56 bytes) and n2 -> n1 (2700 bytes, fragmented)
#   the two meet directly (RENDEZVOUS from the root)
#   the root goes down: the direct path keeps working
#   the root comes back: its controller state (members) persisted
#   n1 killed (SIGKILL) and restarted: same identity, network back from
#     its cache, pings again
#   bridge mode: n2 marked activeBridge with a LAN behind it
#     (net_af_packet); a host there with its own MAC is reached from n1
#   n2 deauthorized: its traffic stops at n1 and it sees ACCESS_DENIED
#
# Needs root; args: the build directory. Skips without root or jq.
set -u
BUILD=${1:?usage: test_e2e.sh path/to/build}
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root for network namespaces"; exit 77; fi
for t in ip jq ping ethtool; do command -v $t >/dev/null || { echo "SKIP: $t is not installed (scripts/setup.sh installs it)"; exit 77; }; done
cd "$(dirname "$0")/.."
LAB_BUILD=$BUILD
LAB_DIR=$(mktemp -d /tmp/ztdp-e2e.XXXXXX)
source scripts/lab.sh
LAB_PREFIX=zte		# not the demo's: both may run on one machine
fails=0
ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
pings() {	# <from node> <to ip> [ping args]: all answered
	local from=$1 to=$2; shift 2
	ip netns exec "$(lab_ns "$from")" ping -q -c 5 -i 0.2 -W 2 "$@" "$to" | grep -q " 0% packet loss"
}
reach() { lab_wait "$3" ip netns exec "$(lab_ns "$1")" ping -c 1 -W 1 "$2"; }
status_is() { [ "$(lab_status "$1" "$NWID")" = "$2" ]; }
member_seen() { lab_ctl r controller member list "$NWID" | grep -q "$1"; }
cleanup() {
	ip netns del zte-h 2>/dev/null
	[ $fails -gt 0 ] && for f in "$LAB_DIR"/*.log; do echo "--- $f"; tail -15 "$f"; done
	lab_down
}
trap cleanup EXIT

lab_up || { fail "the root/controller starts"; exit 1; }
ok "root/controller $(lab_address r) up on a planet made by genplanet"
NWID=$(lab_network e2e '{"name": "e2e", "private": true,
  "ipAssignmentPools": [{"ipRangeStart": "10.147.30.10", "ipRangeEnd": "10.147.30.99"}],
  "routes": [{"target": "10.147.30.0/24"}], "v4AssignMode": {"zt": true}}')
check "network created on the controller ($NWID)" test -n "$NWID"

# --- join ---------------------------------------------------------------------
lab_start n1 --join "$NWID" && lab_start n2 --join "$NWID" || { fail "appliances start"; exit 1; }
A1=$(lab_address n1); A2=$(lab_address n2)
for a in "$A1" "$A2"; do
	check "controller recorded $a (unauthorized)" lab_wait 30 member_seen "$a"
done
check "n1 is ACCESS_DENIED before authorization" lab_wait 20 status_is n1 ACCESS_DENIED
for a in "$A1" "$A2"; do lab_ctl r controller member authorize "$NWID" "$a" >/dev/null; done
for n in n1 n2; do check "$n joined: network OK" lab_wait 30 status_is $n OK; done
IP1=$(lab_ctl n1 -j listnetworks | jq -r '.[0].assignedAddresses[0]' | cut -d/ -f1)
IP2=$(lab_ctl n2 -j listnetworks | jq -r '.[0].assignedAddresses[0]' | cut -d/ -f1)
DEV=$(lab_ctl n1 -j listnetworks | jq -r '.[0].portDeviceName')
check "n1's host has its managed IP $IP1 on $DEV" \
	sh -c "ip -n $(lab_ns n1) -4 addr show dev $DEV | grep -q '$IP1/24'"

# --- ping, direct path ----------------------------------------------------------
check "n1's host reaches n2's ($IP2)" reach n1 "$IP2" 20
check "ping n1 -> n2, 56 bytes" pings n1 "$IP2"
check "ping n2 -> n1, 2700 bytes (fragmented)" pings n2 "$IP1" -s 2700
direct() { lab_ctl n1 listpeers | grep "$A2" | grep -q "${LAB_IP[n2]}/"; }
check "n1 and n2 on a direct path" lab_wait 20 direct

# --- the root goes down, then comes back ----------------------------------------
lab_stop r
check "root down: n1 -> n2 still answered" pings n1 "$IP2"
check "root down: n2 -> n1 (2700 bytes) still answered" pings n2 "$IP1" -s 2700
lab_start r || fail "root restarts"
authorized() { [ "$(lab_ctl r controller member list "$NWID" | grep -c ' true ')" = 2 ]; }
check "root back: its controller still has both members authorized" authorized

# --- restart with persisted state ------------------------------------------------
lab_stop n1 KILL
lab_start n1 || fail "n1 restarts"
check "n1 after SIGKILL: same identity" test "$(lab_address n1)" = "$A1"
check "n1 after restart: network OK from its cache" lab_wait 10 status_is n1 OK
check "n1 after restart: reaches n2 again" reach n1 "$IP2" 20

# --- bridge mode: a LAN behind n2 --------------------------------------------------
HIP=10.147.30.200
ip netns add zte-h
ip -n zte-h link set lo up
ip -n "$(lab_ns n2)" link add lan0 type veth peer name eth0 netns zte-h
for side in "$(lab_ns n2) lan0" "zte-h eth0"; do
	set -- $side
	ip -n "$1" link set "$2" mtu 2800 up
	ip netns exec "$1" ethtool -K "$2" tso off gso off gro off tx off rx off >/dev/null 2>&1
done
ip -n zte-h addr add "$HIP/24" dev eth0
HMAC=$(ip -n zte-h link show eth0 | awk '/link\/ether/ {print $2}')
lab_ctl r controller member set "$NWID" "$A2" '{"activeBridge": true}' >/dev/null
lab_stop n2
lab_start n2 --l2 "$NWID=vdev:net_af_packet1,iface=lan0,framesz=3072,blocksz=12288" ||
	fail "n2 restarts as a bridge"
check "bridge: n2 OK again" lab_wait 30 status_is n2 OK
check "bridge: n1 reaches the LAN host $HIP behind n2" reach n1 "$HIP" 30
# n2's af_packet port takes 1500 as DPDK 22.11 reports it (the network's is
# 2800): n2 answers the first big DF ping with ICMP fragmentation-needed,
# after which n1's host fragments (dataplane/l2_mtu.c).
ip netns exec "$(lab_ns n1)" ping -c 1 -W 2 -s 2700 "$HIP" >/dev/null 2>&1
check "bridge: n1's host learned path MTU 1500 from n2's ICMP" \
	sh -c "ip -n $(lab_ns n1) route get $HIP | grep -q 'mtu 1500'"
check "bridge: ping n1 -> LAN host, 56 and 2700 bytes" \
	sh -c "$(declare -f pings lab_ns); LAB_PREFIX=$LAB_PREFIX; pings n1 $HIP && pings n1 $HIP -s 2700"
check "bridge: n1's host sees the LAN host's own MAC ($HMAC)" \
	sh -c "ip -n $(lab_ns n1) neigh show $HIP | grep -qi '$HMAC'"

# --- deauthorization --------------------------------------------------------------
lab_ctl r controller member deauthorize "$NWID" "$A2" >/dev/null
stopped() { ! ip netns exec "$(lab_ns n1)" ping -c 2 -i 0.2 -W 1 "$HIP" >/dev/null 2>&1; }
check "deauthorized: traffic from behind n2 stops at n1" lab_wait 30 stopped
check "deauthorized: n2 shows ACCESS_DENIED" lab_wait 90 status_is n2 ACCESS_DENIED

echo "# e2e: $fails failure(s)"
[ $fails -eq 0 ]
