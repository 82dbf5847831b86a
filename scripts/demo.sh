#!/bin/bash
# The main job: a whole private ZeroTier network from ztdp alone, in network
# namespaces (scripts/lab.sh): one ztdp as planet root and network
# controller, two ztdp appliances each with a host behind it. It makes a
# planet, creates a network, authorizes the members, shows the hosts
# pinging across (small and fragmented), then each appliance's ztdpctl
# info / listnetworks / listpeers and its dataplane counters, and tears
# everything down.
#
#   ./scripts/demo.sh          run it
#   ./scripts/demo.sh --keep   leave it running to explore; it prints how,
#                              and `./scripts/demo.sh --down` removes it
set -eu
cd "$(dirname "$0")/.."
[ -x build/apps/ztdp/ztdp ] || ./scripts/setup.sh
if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: needs root (network namespaces and a DPDK process per namespace)" >&2
	exit 1
fi
source scripts/lab.sh
KEEP=0
case "${1:-}" in
--keep) KEEP=1 ;;
--down) LAB_PID=(); for n in r n1 n2; do pkill -f "file-prefix $LAB_PREFIX-$n " 2>/dev/null || true; done
	sleep 1; lab_down; echo "removed"; exit 0 ;;
"") ;;
*) echo "usage: demo.sh [--keep | --down]" >&2; exit 1 ;;
esac
[ $KEEP = 1 ] || trap lab_down EXIT

step() { echo; echo "== $*"; }
show() { echo "\$ $*"; "$@"; }

step "namespaces, a planet naming ztdp as its root, the root/controller up"
lab_up
echo "root/controller $(lab_address r) on ${LAB_IP[r]}; planet $LAB_DIR/planet:"
"$LAB_BUILD/apps/ztdp-idtool" showplanet "$LAB_DIR/planet" | head -4

step "a network on ztdp's embedded controller"
NWID=$(lab_network demo '{"name": "demo", "private": true,
  "ipAssignmentPools": [{"ipRangeStart": "10.147.20.10", "ipRangeEnd": "10.147.20.99"}],
  "routes": [{"target": "10.147.20.0/24"}], "v4AssignMode": {"zt": true}}')
[ -n "$NWID" ] || { echo "could not create the network"; exit 1; }
show lab_ctl r controller network list

step "two appliances join $NWID; the controller authorizes them"
lab_start n1 --join "$NWID"
lab_start n2 --join "$NWID"
for n in n1 n2; do
	addr=$(lab_address $n)
	lab_wait 30 sh -c "$(declare -f lab_ctl); LAB_BUILD=$LAB_BUILD LAB_DIR=$LAB_DIR LAB_PREFIX=$LAB_PREFIX; lab_ns() { echo \$LAB_PREFIX-\$1; }; lab_ctl r controller member list $NWID | grep -q $addr" ||
		{ echo "the controller never heard from $n"; exit 1; }
	show lab_ctl r controller member authorize "$NWID" "$addr"
done
for n in n1 n2; do
	lab_wait 30 sh -c "[ \"\$(ip netns exec $(lab_ns $n) $LAB_BUILD/apps/ztdpctl -s $LAB_DIR/$n/ztdp.sock -j listnetworks | jq -r '.[0].status')\" = OK ]" ||
		{ echo "$n: network not OK"; lab_ctl $n listnetworks; exit 1; }
done
ip1=$(lab_ctl n1 -j listnetworks | jq -r '.[0].assignedAddresses[0]' | cut -d/ -f1)
ip2=$(lab_ctl n2 -j listnetworks | jq -r '.[0].assignedAddresses[0]' | cut -d/ -f1)
dev1=$(lab_ctl n1 -j listnetworks | jq -r '.[0].portDeviceName')
show ip -n "$(lab_ns n1)" -br addr show dev "$dev1"

step "the host behind n1 ($ip1) pings the host behind n2 ($ip2)"
# The first packet waits for ARP across the network (a multicast gather at
# the root, WHOIS, the root relaying until the two meet directly).
lab_wait 20 ip netns exec "$(lab_ns n1)" ping -c 1 -W 1 "$ip2" ||
	echo "(no answer yet after 20 s)"
show ip netns exec "$(lab_ns n1)" ping -c 4 -i 0.3 -W 2 "$ip2"
step "and back, 2700 bytes (fragmented on the underlay's 1500-byte MTU)"
show ip netns exec "$(lab_ns n2)" ping -c 4 -i 0.3 -W 2 -s 2700 "$ip1"

for n in n1 n2; do
	step "appliance $n"
	show lab_ctl $n info
	show lab_ctl $n listnetworks
	show lab_ctl $n listpeers
	if command -v dpdk-telemetry.py >/dev/null && command -v jq >/dev/null; then
		echo "\$ echo /ztdp/stats | dpdk-telemetry.py -f $LAB_PREFIX-$n   (dataplane)"
		echo /ztdp/stats | ip netns exec "$(lab_ns $n)" dpdk-telemetry.py -f "$LAB_PREFIX-$n" 2>/dev/null |
			jq -c '."/ztdp/stats".dataplane | {ul_rx, ul_tx, l2_rx, l2_tx, encap, decap, fragments_tx, reassembled, to_control, drops}'
	fi
done
step "the root/controller"
show lab_ctl r listpeers
show lab_ctl r controller member list "$NWID"

if [ $KEEP = 1 ]; then
	cat <<TXT

Left running. Explore with, e.g.:
  ip netns exec $(lab_ns n1) ping $ip2
  ip netns exec $(lab_ns n1) $LAB_BUILD/apps/ztdpctl -s $LAB_DIR/n1/ztdp.sock listpeers
  ip netns exec $(lab_ns r) $LAB_BUILD/apps/ztdpctl -s $LAB_DIR/r/ztdp.sock controller member list $NWID
Logs in $LAB_DIR/*.log. Remove it all with ./scripts/demo.sh --down
TXT
else
	step "tearing down"
fi
