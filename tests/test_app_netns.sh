#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ztdp on a real (virtual) wire: DPDK's net_af_packet on one end of a veth,
# the kernel on the other. The kernel side has no idea it talks to DPDK.
#
#   ns A (ztdp)                                   ns B (kernel stack)
#   +-------------------------------+             +---------------------+
#   | ztdp  net_af_packet0,iface=vza|    veth     | vzb  10.77.0.2/24   |
#   |       10.77.0.1/24            |-------------|      2001:db8:77::2 |
#   |       2001:db8:77::1/64       |             |                     |
#   |  vza: no address, IPv6 off,   |             | (ztdp #2 on vzb as  |
#   |  so the kernel never answers  |             |  10.77.0.3 at the   |
#   +-------------------------------+             |  end)               |
#                                                 +---------------------+
#
# ztdp gets a one-root planet whose root is "at" 10.77.0.2/9993 in ns B,
# where a plain UDP socket waits: the node's HELLO to its root proves the
# whole send path (ARP resolution with the packet parked, IP/UDP headers and
# checksums, which the kernel verifies) without any traffic leaving the
# namespaces.
#
# Checks: ARP and ND answered with vza's MAC by ztdp; ICMP and ICMPv6 echo
# answered; UDP to 9993 counted (and to another port dropped by name);
# telemetry /ztdp/*; JSON-RPC (ztdpctl info); identity.secret 0600; after
# SIGKILL a restart keeps the identity; a second instance on the same wire
# does not disturb the first.
#
# Usage: test_app_netns.sh <ztdp> [<ztdpctl> [<ztdp-idtool>]]. Needs root and `ip netns`;
# prints SKIP and exits 77 otherwise. Leaves no namespace or process.
set -u

ZTDP=${1:?usage: $0 <ztdp> [<ztdpctl>]}
ZTDPCTL=${2:-}
IDTOOL=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
PROBE="python3 $HERE/netns_probe.py"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null && ip netns list >/dev/null 2>&1 || skip "no 'ip netns' (iproute2)"
command -v python3 >/dev/null || skip "no python3"
[ -x "$ZTDP" ] || skip "$ZTDP not built"

TAG=zt$$
NSA=$TAG-a
NSB=$TAG-b
PREFIX=ztdp-netns-$$
TMP=$(mktemp -d /tmp/ztdp-netns.XXXXXX)
STATE=$TMP/state
SOCK=$STATE/ztdp.sock
PIDS=()
pass=0
fail=0

cleanup() {
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$TMP" /var/run/dpdk/"$PREFIX" /var/run/dpdk/"$PREFIX"-2
}
trap cleanup EXIT

ok() { echo "ok - $*"; pass=$((pass + 1)); }
not_ok() {
	echo "not ok - $*"
	fail=$((fail + 1))
}
check() {	# check "what" command...
	local what=$1
	shift
	if "$@" >"$TMP/out" 2>&1; then ok "$what"; else not_ok "$what"; sed 's/^/    /' "$TMP/out"; fi
}
finish() {
	echo "$pass passed, $fail failed"
	if [ "$fail" -ne 0 ]; then
		for l in "$TMP"/ztdp*.log; do
			[ -f "$l" ] && { echo "--- $l"; tail -n 40 "$l"; }
		done
		exit 1
	fi
	exit 0
}

# --- Topology -------------------------------------------------------------
ip netns add "$NSA" 2>/dev/null || skip "cannot create network namespaces here"
ip netns add "$NSB"
ip link add vza netns "$NSA" type veth peer name vzb netns "$NSB" ||
	skip "cannot create a veth pair"
for ns in "$NSA" "$NSB"; do ip -n "$ns" link set lo up; done
ip netns exec "$NSA" sysctl -qw net.ipv6.conf.vza.disable_ipv6=1
ip -n "$NSA" link set vza up
ip -n "$NSB" link set vzb up
ip -n "$NSB" addr add 10.77.0.2/24 dev vzb
ip -n "$NSB" -6 addr add 2001:db8:77::2/64 dev vzb nodad
# veths offload checksums and segmentation into frames af_packet cannot
# handle (dpdk-notes.md): off on both ends.
if command -v ethtool >/dev/null; then
	ip netns exec "$NSA" ethtool -K vza tso off gso off gro off tx off rx off >/dev/null 2>&1
	ip netns exec "$NSB" ethtool -K vzb tso off gso off gro off tx off rx off >/dev/null 2>&1
fi
MAC_A=$(ip -n "$NSA" -o link show vza | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

start_ztdp() {	# start_ztdp <log> <lcores>
	ip netns exec "$NSA" "$ZTDP" -l "$2" --no-huge -m 512 --no-pci \
		--file-prefix="$PREFIX" --log-level=lib.eal:notice \
		--vdev=net_af_packet0,iface=vza -- \
		--address 10.77.0.1/24 --address6 2001:db8:77::1/64 \
		--state-dir "$STATE" ${PLANET:+--planet "$PLANET"} \
		--log-level debug >"$1" 2>&1 &
	ZPID=$!
	PIDS+=("$ZPID")
	# Sockets a killed instance left behind exist before we listen: wait
	# for answers, not for files.
	for _ in $(seq 1 150); do
		$PROBE rpc "$SOCK" node_status >/dev/null 2>&1 &&
			$PROBE telemetry "$PREFIX" /ztdp/stats >/dev/null 2>&1 && return 0
		kill -0 "$ZPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "ztdp did not come up:"
	cat "$1"
	return 1
}

telemetry() { $PROBE telemetry "$PREFIX" "$1"; }
# Value of a dotted key in a telemetry reply, e.g. `tel_value /ztdp/stats control.rx_zerotier`.
tel_value() {
	telemetry "$1" | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$2"
}
wait_counter_at_least() {	# <telemetry cmd> <key> <min>
	for _ in $(seq 1 50); do
		v=$(tel_value "$1" "$2" 2>/dev/null) && [ "${v:-0}" -ge "$3" ] && return 0
		sleep 0.1
	done
	echo "$1 $2 = ${v:-?}, wanted >= $3"
	return 1
}
node_address() {
	if [ -n "$ZTDPCTL" ] && [ -x "$ZTDPCTL" ]; then
		"$ZTDPCTL" -s "$SOCK" info | awk '$1 == "200" && $2 == "info" { print $3 }'
	else
		$PROBE rpc "$SOCK" node_status | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])'
	fi
}

# A root in ns B: its identity, a planet naming it, a socket for its HELLO.
PLANET=
if [ -n "$IDTOOL" ] && [ -x "$IDTOOL" ] &&
	"$IDTOOL" generate "$TMP/root.secret" "$TMP/root.public" >/dev/null &&
	$PROBE mkplanet "$TMP/planet" "$(cat "$TMP/root.public")" 10.77.0.2 9993; then
	PLANET=$TMP/planet
	ip netns exec "$NSB" $PROBE udp-recv 10.77.0.2 9993 20 >"$TMP/hello" 2>&1 &
	LISTENER=$!
	PIDS+=("$LISTENER")
	sleep 0.3
fi

start_ztdp "$TMP/ztdp1.log" 0-1 || { not_ok "ztdp starts"; finish; }
ok "ztdp starts on net_af_packet (pid $ZPID)"

# --- L2/L3 of the underlay --------------------------------------------------
got=$(ip netns exec "$NSB" $PROBE arp vzb 10.77.0.2 10.77.0.1 2>&1)
check "ARP request answered with vza's MAC ($got)" test "$got" = "$MAC_A"
if command -v arping >/dev/null; then
	check "arping 10.77.0.1" ip netns exec "$NSB" arping -c 2 -w 4 -I vzb 10.77.0.1
fi
check "ICMP echo answered (raw socket, checksums verified)" \
	ip netns exec "$NSB" $PROBE ping 10.77.0.1
check "ICMPv6 echo answered (after neighbour discovery)" \
	ip netns exec "$NSB" $PROBE ping 2001:db8:77::1
if command -v ping >/dev/null; then
	check "ping 10.77.0.1" ip netns exec "$NSB" ping -c 2 -i 0.2 -W 2 10.77.0.1
	check "ping -6 2001:db8:77::1 (1400-byte payload)" \
		ip netns exec "$NSB" ping -6 -c 2 -i 0.2 -W 2 -s 1400 2001:db8:77::1
fi
check "kernel neighbour entry for 10.77.0.1 is vza's MAC" \
	bash -c "ip -n $NSB neigh show 10.77.0.1 dev vzb | grep -q '$MAC_A'"
check "kernel neighbour entry for 2001:db8:77::1 is vza's MAC (NS answered)" \
	bash -c "ip -n $NSB -6 neigh show 2001:db8:77::1 dev vzb | grep -q '$MAC_A'"

# --- UDP to the ZeroTier port -----------------------------------------------
before=$(tel_value /ztdp/drops dataplane.zt_short)
for i in 1 2 3; do
	ip netns exec "$NSB" $PROBE udp-send 10.77.0.1 9993 "not a zerotier packet $i"
done
ip netns exec "$NSB" $PROBE udp-send 2001:db8:77::1 9993 "over IPv6"
check "UDP/IPv4 and UDP/IPv6 to 9993 reach the dataplane's ZeroTier check (too short: zt_short)" \
	wait_counter_at_least /ztdp/drops dataplane.zt_short $((${before:-0} + 4))
ip netns exec "$NSB" $PROBE udp-send 10.77.0.1 9994 "wrong port"
check "UDP to another port dropped as udp_port_closed" \
	wait_counter_at_least /ztdp/drops dataplane.ul_udp_port 1

# --- Telemetry and JSON-RPC -------------------------------------------------
for cmd in /ztdp/stats /ztdp/drops /ztdp/peers /ztdp/networks; do
	check "telemetry $cmd answers" telemetry "$cmd"
done
check "dataplane counted replies on the wire" \
	wait_counter_at_least /ztdp/stats dataplane.ul_tx 4
check "the control thread runs its passes over the dataplane's tables" \
	wait_counter_at_least /ztdp/stats publish.passes 2
ADDR1=$(node_address)
check "JSON-RPC info over the socket gives an address ($ADDR1)" \
	grep -Eqx '[0-9a-f]{10}' <<<"$ADDR1"
check "identity.public matches the node address" \
	test "$(cut -c1-10 "$STATE/identity.public")" = "$ADDR1"
check "identity.secret is 0600" test "$(stat -c %a "$STATE/identity.secret")" = 600
check "RPC socket is 0600" test "$(stat -c %a "$SOCK")" = 600

# --- The node's first packet to its root ------------------------------------
if [ -n "$PLANET" ]; then
	wait "$LISTENER"
	read -r hello_ip hello_port hello_hex <"$TMP/hello"
	ROOT=$(cut -c1-10 "$TMP/root.public")
	check "HELLO reached the root from 10.77.0.1/9993 ($hello_ip $hello_port)" \
		test "$hello_ip $hello_port" = "10.77.0.1 9993"
	# ZeroTier header: packet ID (8), destination (5), source (5).
	check "it is a ZeroTier packet from $ADDR1 to the root $ROOT" \
		test "${hello_hex:16:10} ${hello_hex:26:10}" = "$ROOT $ADDR1"
	check "the control thread parked it while ARP resolved 10.77.0.2" \
		wait_counter_at_least /ztdp/stats control.neigh_parked 1
else
	echo "# no ztdp-idtool: the HELLO-to-root check is skipped"
fi

# --- SIGKILL and restart: same identity ------------------------------------
kill -KILL "$ZPID"
wait "$ZPID" 2>/dev/null
start_ztdp "$TMP/ztdp2.log" 0 || not_ok "ztdp restarts after SIGKILL"
ADDR2=$(node_address)
check "same identity after SIGKILL and restart ($ADDR1)" \
	test -n "$ADDR1" -a "$ADDR1" = "$ADDR2"
check "answers pings again after restart (dataplane on the main lcore)" \
	ip netns exec "$NSB" $PROBE ping 10.77.0.1

# --- A second instance on the other end of the wire --------------------------
ip netns exec "$NSB" "$ZTDP" -l 1 --no-huge -m 512 --no-pci \
	--file-prefix="$PREFIX"-2 --log-level=lib.eal:notice \
	--vdev=net_af_packet0,iface=vzb -- \
	--address 10.77.0.3/24 --state-dir "$TMP/state2" >"$TMP/ztdp3.log" 2>&1 &
Z2=$!
PIDS+=("$Z2")
for _ in $(seq 1 150); do [ -S "$TMP/state2/ztdp.sock" ] && break; sleep 0.1; done
sleep 1
check "second instance is up" kill -0 "$Z2"
check "first instance still answers with the second on the wire" \
	ip netns exec "$NSB" $PROBE ping 10.77.0.1
check "first instance still alive" kill -0 "$ZPID"

# --- Clean shutdown -----------------------------------------------------------
kill -TERM "$Z2" "$ZPID"
for _ in $(seq 1 50); do
	if ! kill -0 "$ZPID" 2>/dev/null && ! kill -0 "$Z2" 2>/dev/null; then break; fi
	sleep 0.1
done
wait "$ZPID"; rc1=$?
wait "$Z2"; rc2=$?
check "SIGTERM stops both cleanly (exit $rc1, $rc2)" test "$rc1$rc2" = 00
check "RPC socket removed on shutdown" test ! -e "$SOCK"
finish
