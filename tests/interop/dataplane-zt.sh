#!/bin/bash
# ztdp's dataplane against real ZeroTierOne members (issue 5 acceptance).
#
#   zt-root  10.99.0.1  zerotier-one: planet root + network controller
#   zt-a     10.99.0.2  zerotier-one member a, 10.147.17.11
#   zt-b     10.99.0.3  zerotier-one member b, 10.147.17.12
#   zt-dut   10.99.0.4  ztdp on net_af_packet over eth0, two lcores; the
#                       namespace's kernel is the host behind ztdp's TAP
#                       (net_tap zt<nwid>, 10.147.17.21 set by ztdp)
#   zt-lan   a LAN bridge with hosts zt-h1 (10.147.17.31) and zt-h2
#            (10.147.17.32), each with its own MAC, behind a second ztdp
#            run whose L2 port is net_af_packet on the LAN (bridge mode)
#
# Member mode: the host pings a at 56 and 2700 bytes (fragmented on the
# underlay) and a pings it back; ARP resolves across; iperf3 TCP runs 10 s
# each way; a and ztdp end up on a direct path. Bridge mode: a reaches both
# LAN hosts through ztdp (EXT_FRAME with their MACs), the controller
# having marked ztdp activeBridge.
#
# Prints iperf3 Gbit/s and the CPU seconds ztdp and a's zerotier-one used
# during each run. Needs root, ZT_ONE=/path/to/zerotier-one (1.14.x), iperf3,
# and the ztdp and ztdpctl binaries (args 1 and 2).
set -u
ZTDP=${1:?usage: dataplane-zt.sh path/to/ztdp path/to/ztdpctl}
ZTDPCTL=${2:?usage: dataplane-zt.sh path/to/ztdp path/to/ztdpctl}
source "$(dirname "$0")/common.sh"
IPERF_SECONDS=${IPERF_SECONDS:-10}

interop_require jq curl ip ping iperf3 bc

export ZT_ONE ZT_RUN=${ZT_RUN:-/tmp/ztdp-dataplane-zt}
export ZT_PLANET=$SHARED/interop/data/planet/planet ZT_IDS=$SHARED/interop/data/identities
T=$(mktemp -d /tmp/ztdp-dp.XXXXXX)
STATE=$T/state
SOCK=$T/ztdp.sock
ZTDP_IP=10.99.0.4
ZTDP_ZT_IP=10.147.17.21
A_IP=10.147.17.11
H1_IP=10.147.17.31
H2_IP=10.147.17.32
ztdp_pid=

cleanup() {
	[ -n "$ztdp_pid" ] && kill -KILL "$ztdp_pid" 2>/dev/null
	ip netns exec zt-a pkill -x iperf3 2>/dev/null
	for ns in zt-lan zt-h1 zt-h2; do ip netns del $ns 2>/dev/null; done
	"$HARNESS/teardown.sh" >/dev/null 2>&1
	[ "${ZTDP_KEEP_LOGS:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT

source "$HARNESS/env.sh"
need_zt_one
"$HARNESS/teardown.sh" >/dev/null 2>&1
for ns in zt-lan zt-h1 zt-h2; do ip netns del $ns 2>/dev/null; done
"$HARNESS/setup-netns.sh" || exit 1
"$HARNESS/start-nodes.sh" || exit 1
"$HARNESS/create-network.sh" || exit 1
NWID=$(cat "$ZT_RUN/nwid")
"$HARNESS/add-dut.sh" zt-dut "$ZTDP_IP" || exit 1
ip netns exec zt-dut ip addr flush dev eth0

start_ztdp() {
	ip netns exec zt-dut "$ZTDP" -l 0-1 --no-huge -m 768 --no-pci --file-prefix ztdp-dp-zt \
		--log-level=lib.eal:error --vdev=net_af_packet0,iface=eth0 -- \
		--state-dir "$STATE" --planet "$ZT_PLANET" --address "$ZTDP_IP/24" \
		--rpc-socket "$SOCK" --join "$NWID" "$@" >>"$T/ztdp.log" 2>&1 &
	ztdp_pid=$!
}
stop_ztdp() { kill -TERM "$ztdp_pid"; wait "$ztdp_pid" 2>/dev/null; ztdp_pid=; }
ctl() { ip netns exec zt-dut "$ZTDPCTL" -s "$SOCK" "$@"; }
net_ok() { [ "$(ctl -j listnetworks | jq -r ".[] | select(.id == \"$NWID\") | .status")" = OK ]; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
a_pid=$(cat "$(pidfile_of zt-a)")

# --- Member mode: the namespace's kernel behind ztdp's TAP -------------------------
start_ztdp
wait_for 20 ctl info || { cat "$T/ztdp.log"; fail "ztdpctl info never answered"; exit 1; }
ZTDP_ID=$(ctl info | awk '{print $3}')
TAP=zt${NWID:6:10}
echo "ztdp $ZTDP_ID on network $NWID, TAP $TAP"
seen() { zt_api root GET "/controller/network/$NWID/member/$ZTDP_ID" | jq -e .id; }
wait_for 30 seen || fail "controller never saw ztdp's config request"
zt_api root POST "/controller/network/$NWID/member/$ZTDP_ID" \
	"{\"authorized\": true, \"ipAssignments\": [\"$ZTDP_ZT_IP\"]}" >/dev/null
wait_for 40 net_ok && ok "network OK: $(ctl listnetworks | grep "$NWID")" || fail "network not OK: $(ctl listnetworks)"
wait_for 10 sh -c "ip -n zt-dut -4 addr show dev $TAP | grep -q '$ZTDP_ZT_IP/24'" &&
	ok "ztdp put $ZTDP_ZT_IP/24 on $TAP: $(ip -n zt-dut -br addr show dev $TAP)" ||
	fail "$TAP lacks $ZTDP_ZT_IP: $(ip -n zt-dut addr show dev $TAP 2>&1)"
mtu=$(cat /sys/class/net/$TAP/mtu 2>/dev/null || ip netns exec zt-dut cat /sys/class/net/$TAP/mtu)
[ "$mtu" = 2800 ] && ok "$TAP MTU follows the network config (2800)" || fail "$TAP MTU $mtu"

if wait_for 30 ip netns exec zt-dut ping -c 1 -W 1 $A_IP; then
	ok "host behind ztdp reaches a ($A_IP)"
else
	fail "no ping to a"
fi
out=$(ip netns exec zt-dut ping -c 10 -i 0.2 -W 2 $A_IP 2>&1)
echo "$out" | grep -q " 0% packet loss" && ok "ping a, 56 bytes: $(echo "$out" | tail -1)" || fail "ping 56: $out"
out=$(ip netns exec zt-dut ping -c 10 -i 0.2 -W 2 -s 2700 $A_IP 2>&1)
echo "$out" | grep -q " 0% packet loss" && ok "ping a, 2700 bytes (fragmented): $(echo "$out" | tail -1)" || fail "ping 2700: $out"
out=$(ip netns exec zt-a ping -c 10 -i 0.2 -W 2 $ZTDP_ZT_IP 2>&1)
echo "$out" | grep -q " 0% packet loss" && ok "a pings the host, 56 bytes: $(echo "$out" | tail -1)" || fail "a ping 56: $out"
out=$(ip netns exec zt-a ping -c 10 -i 0.2 -W 2 -s 2700 $ZTDP_ZT_IP 2>&1)
echo "$out" | grep -q " 0% packet loss" && ok "a pings the host, 2700 bytes: $(echo "$out" | tail -1)" || fail "a ping 2700: $out"
A_MAC=$(zt_cli a -j listnetworks | jq -r ".[] | select(.id == \"$NWID\") | .mac")
ip -n zt-dut neigh show $A_IP | grep -qi "$A_MAC" && ok "ARP resolved a to its MAC $A_MAC" || fail "neighbour: $(ip -n zt-dut neigh show $A_IP)"
ip -n zt-a neigh show $ZTDP_ZT_IP | grep -q lladdr && ok "a resolved the host: $(ip -n zt-a neigh show $ZTDP_ZT_IP)" || fail "a's neighbour entry: $(ip -n zt-a neigh show $ZTDP_ZT_IP)"

# Direct path: a lists ztdp with ztdp's underlay address
a_direct() { zt_cli a listpeers | grep "$ZTDP_ID" | grep -q "$ZTDP_IP/"; }
if wait_for 30 a_direct; then
	ok "a has a direct path to ztdp: $(zt_cli a listpeers | grep "$ZTDP_ID")"
else
	fail "a has no direct path to ztdp: $(zt_cli a listpeers | grep "$ZTDP_ID")"
fi
ctl listpeers | grep "$(zt_cli a info | awk '{print $3}')" | grep -q "10.99.0.2/" &&
	ok "ztdp has a direct path to a: $(ctl listpeers | grep 10.99.0.2/)" || fail "ztdp's peers: $(ctl listpeers)"

# iperf3, each way, with CPU seconds of both ends' ZeroTier processes
ip netns exec zt-a iperf3 -s -D -1 >/dev/null 2>&1 || true
iperf_run() {	# <label> <extra iperf3 args>
	local label=$1; shift
	ip netns exec zt-a pkill -x iperf3 2>/dev/null; sleep 0.2
	ip netns exec zt-a iperf3 -s -D >/dev/null 2>&1; sleep 0.5
	local z0 a0 z1 a1 json bps retr
	z0=$(cpu_ticks "$ztdp_pid"); a0=$(cpu_ticks "$a_pid")
	json=$(ip netns exec zt-dut iperf3 -c $A_IP -t "$IPERF_SECONDS" -J "$@" 2>&1)
	z1=$(cpu_ticks "$ztdp_pid"); a1=$(cpu_ticks "$a_pid")
	bps=$(echo "$json" | jq -r '.end.sum_received.bits_per_second // empty' 2>/dev/null)
	retr=$(echo "$json" | jq -r '.end.sum_sent.retransmits // 0' 2>/dev/null)
	stalls=$(echo "$json" | jq '[.intervals[].sum.bits_per_second | select(. < 1000000)] | length' 2>/dev/null)
	if [ -n "$bps" ] && [ "${stalls:-1}" = 0 ]; then
		ok "$(printf 'iperf3 %s: %.2f Gbit/s for %ss, %s retransmits, no stalled second; CPU: ztdp %.2f s (%.0f%% of one core incl. its polling lcore), zerotier-one a %.2f s (%.0f%%)' \
			"$label" "$(echo "$bps / 1000000000" | bc -l)" "$IPERF_SECONDS" "$retr" \
			"$(echo "($z1 - $z0) / $hz" | bc -l)" "$(echo "($z1 - $z0) * 100 / $hz / $IPERF_SECONDS" | bc -l)" \
			"$(echo "($a1 - $a0) / $hz" | bc -l)" "$(echo "($a1 - $a0) * 100 / $hz / $IPERF_SECONDS" | bc -l)")"
	else
		fail "iperf3 $label: stalls=${stalls:-?} $(echo "$json" | tail -5)"
	fi
}
iperf_run "host -> a (ztdp encap)"
iperf_run "a -> host (ztdp decap)" -R
ip netns exec zt-a pkill -x iperf3 2>/dev/null

# --- The same host behind a net_tap L2 port ----------------------------------------
# DPDK 22.11's net_tap takes no MTU above 1500: ztdp fragments larger IPv4
# for it, and answers DF packets with ICMP fragmentation-needed, so a's
# kernel lowers its path MTU to the host (the first such ping is lost).
stop_ztdp
start_ztdp --l2 "$NWID=tap"
wait_for 20 ctl info || fail "ztdp with a TAP never answered"
wait_for 30 net_ok || fail "tap: network not OK"
tap_ip() { ip -n zt-dut -4 addr show dev "$TAP" 2>/dev/null | grep -q "$ZTDP_ZT_IP/24"; }
wait_for 10 tap_ip && ok "tap: $(ip -n zt-dut -br addr show dev "$TAP"), MTU $(ip netns exec zt-dut cat /sys/class/net/$TAP/mtu)" ||
	fail "tap: no address on $TAP"
wait_for 30 ip netns exec zt-dut ping -c 1 -W 1 $A_IP || fail "tap: no ping to a"
for args in "" "-s 2700"; do
	out=$(ip netns exec zt-dut ping -c 10 -i 0.2 -W 2 $args $A_IP 2>&1)
	echo "$out" | grep -q " 0% packet loss" && ok "tap: host pings a ${args:-56 bytes}: $(echo "$out" | tail -1)" ||
		fail "tap: host -> a $args: $out"
done
ip netns exec zt-a ping -c 1 -W 2 -s 2700 $ZTDP_ZT_IP >/dev/null 2>&1	# learns the path MTU
for args in "" "-s 2700"; do
	out=$(ip netns exec zt-a ping -c 10 -i 0.2 -W 2 $args $ZTDP_ZT_IP 2>&1)
	echo "$out" | grep -q " 0% packet loss" && ok "tap: a pings the host ${args:-56 bytes}: $(echo "$out" | tail -1)" ||
		fail "tap: a -> host $args: $out"
done
ip -n zt-a route get $ZTDP_ZT_IP | grep -q "mtu 1500" &&
	ok "tap: a learned path MTU 1500 from ztdp's ICMP: $(ip -n zt-a route get $ZTDP_ZT_IP | head -2 | tr '\n' ' ')" ||
	fail "tap: a's route: $(ip -n zt-a route get $ZTDP_ZT_IP)"
iperf_run "host -> a over the TAP"
iperf_run "a -> host over the TAP" -R

# --- Bridge mode: a LAN with two hosts behind ztdp (af_packet L2 port) -------------
stop_ztdp
ip netns add zt-lan; ip netns add zt-h1; ip netns add zt-h2
ip -n zt-lan link add brl type bridge; ip -n zt-lan link set brl up
for h in h1 h2 dut; do
	ns=zt-$h; [ $h = dut ] && ns=zt-dut
	ifc=lan0; [ $h = dut ] && ifc=lan0
	ip -n zt-lan link add p-$h type veth peer name $ifc netns $ns
	ip -n zt-lan link set p-$h mtu 2800 master brl up
	ip -n $ns link set $ifc mtu 2800 up
	ip netns exec $ns ethtool -K $ifc tso off gso off gro off tx off rx off >/dev/null 2>&1
	ip netns exec zt-lan ethtool -K p-$h tso off gso off gro off tx off rx off >/dev/null 2>&1
done
ip -n zt-h1 addr add $H1_IP/24 dev lan0; ip -n zt-h1 link set lo up
ip -n zt-h2 addr add $H2_IP/24 dev lan0; ip -n zt-h2 link set lo up
zt_api root POST "/controller/network/$NWID/member/$ZTDP_ID" '{"activeBridge": true}' >/dev/null
start_ztdp --l2 "$NWID=vdev:net_af_packet1,iface=lan0,framesz=3072,blocksz=12288"
wait_for 20 ctl info || fail "ztdp in bridge mode never answered"
wait_for 30 net_ok || fail "bridge mode: network not OK"
for h in h1 h2; do
	ip=$H1_IP; [ $h = h2 ] && ip=$H2_IP
	mac=$(ip -n zt-$h link show lan0 | awk '/link\/ether/ {print $2}')
	if wait_for 30 ip netns exec zt-a ping -c 1 -W 1 $ip; then
		out=$(ip netns exec zt-a ping -c 5 -i 0.2 -W 2 $ip 2>&1)
		echo "$out" | grep -q " 0% packet loss" && ok "bridge mode: a reaches $h ($ip, MAC $mac) behind ztdp" || fail "bridge $h: $out"
		ip -n zt-a neigh show $ip | grep -qi "$mac" && ok "a's ARP entry for $h is its own MAC $mac" || fail "a's neighbour for $h: $(ip -n zt-a neigh show $ip)"
	else
		fail "bridge mode: a cannot reach $h ($ip)"
	fi
done
out=$(ip netns exec zt-h1 ping -c 5 -i 0.2 -W 2 -s 2700 $A_IP 2>&1)
echo "$out" | grep -q " 0% packet loss" && ok "bridge mode: h1 pings a at 2700 bytes" || fail "h1 -> a 2700: $out"

echo "--- ztdpctl info / listnetworks / listpeers"
ctl info; ctl listnetworks; ctl listpeers
echo "--- /ztdp/stats (dataplane)"
if command -v dpdk-telemetry.py >/dev/null; then
	echo /ztdp/stats | ip netns exec zt-dut dpdk-telemetry.py -f ztdp-dp-zt 2>/dev/null | jq -c '."/ztdp/stats".dataplane' 2>/dev/null
fi
stop_ztdp
if [ $fails -gt 0 ]; then
	echo "--- ztdp log"; tail -40 "$T/ztdp.log"
	echo "dataplane-zt: $fails check(s) failed"; exit 1
fi
echo "dataplane-zt: all checks passed"
