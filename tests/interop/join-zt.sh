#!/bin/bash
# ztdp joins a real ZeroTierOne network (issue 4 acceptance).
#
#   zt-root  10.99.0.1  zerotier-one: planet root + network controller
#   zt-a     10.99.0.2  zerotier-one member a
#   zt-b     10.99.0.3  zerotier-one member b
#   zt-dut   10.99.0.4  ztdp on net_af_packet over eth0 (the kernel's
#                       address is removed so only ztdp answers)
#   all on bridge br0 in zt-sw, built by ../shared/interop/harness.
#
# Checks: ztdp comes online with the root as PLANET and a latency; joins the
# network, is authorized through the controller's API and gets its managed
# IP (listnetworks OK); the controller lists it authorized; after SIGKILL and
# restart it has the same identity and the network is OK again straight from
# the cached config; a network it is not authorized on shows ACCESS_DENIED,
# and one the controller lacks shows NOT_FOUND.
#
# Needs root, ZT_ONE=/path/to/zerotier-one (1.14.x) and the ztdp and ztdpctl
# binaries (args 1 and 2). Without ZT_ONE it says why and skips.
set -u
ZTDP=${1:?usage: join-zt.sh path/to/ztdp path/to/ztdpctl}
ZTDPCTL=${2:?usage: join-zt.sh path/to/ztdp path/to/ztdpctl}
source "$(dirname "$0")/common.sh"

interop_require jq curl ip ping

export ZT_ONE ZT_RUN=${ZT_RUN:-/tmp/ztdp-join-zt}
export ZT_PLANET=$SHARED/interop/data/planet/planet ZT_IDS=$SHARED/interop/data/identities
T=$(mktemp -d /tmp/ztdp-join.XXXXXX)
STATE=$T/state
SOCK=$T/ztdp.sock
ZTDP_IP=10.99.0.4
ZTDP_ZT_IP=10.147.17.21
ztdp_pid=

cleanup() {
	[ -n "$ztdp_pid" ] && kill -KILL "$ztdp_pid" 2>/dev/null
	"$HARNESS/teardown.sh" >/dev/null 2>&1
	[ "${ZTDP_KEEP_LOGS:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT

source "$HARNESS/env.sh"
need_zt_one
"$HARNESS/teardown.sh" >/dev/null 2>&1
"$HARNESS/setup-netns.sh" || exit 1
"$HARNESS/start-nodes.sh" || exit 1
"$HARNESS/create-network.sh" || exit 1
NWID=$(cat "$ZT_RUN/nwid")
ROOT_ID=$(node_id root)
"$HARNESS/add-dut.sh" zt-dut "$ZTDP_IP" || exit 1
# ztdp owns the underlay address; the kernel must not answer for it too.
ip netns exec zt-dut ip addr flush dev eth0

start_ztdp() {
	ip netns exec zt-dut "$ZTDP" -l 0 --no-huge -m 512 --no-pci --file-prefix ztdp-join-zt \
		--log-level=lib.eal:error --vdev=net_af_packet0,iface=eth0 -- \
		--state-dir "$STATE" --planet "$ZT_PLANET" --address "$ZTDP_IP/24" \
		--rpc-socket "$SOCK" "$@" >>"$T/ztdp.log" 2>&1 &
	ztdp_pid=$!
}
ctl() { ip netns exec zt-dut "$ZTDPCTL" -s "$SOCK" "$@"; }
net_status() { ctl -j listnetworks | jq -r ".[] | select(.id == \"$1\") | .status"; }

start_ztdp --join "$NWID"
wait_for 20 ctl info || { cat "$T/ztdp.log"; fail "ztdpctl info never answered"; exit 1; }
ZTDP_ID=$(ctl info | awk '{print $3}')
echo "ztdp address $ZTDP_ID, network $NWID, controller $ROOT_ID"
wait_for 30 sh -c "ip netns exec zt-dut $ZTDPCTL -s $SOCK info | grep -q ONLINE" && ok "ztdp is ONLINE: $(ctl info)" || fail "not ONLINE: $(ctl info)"
if wait_for 20 sh -c "ip netns exec zt-dut $ZTDPCTL -s $SOCK listpeers | grep '$ROOT_ID' | grep -q PLANET"; then
	line=$(ctl listpeers | grep "$ROOT_ID")
	lat=$(echo "$line" | awk '{print $5}')
	[ "$lat" -ge 0 ] 2>/dev/null && ok "root listed as PLANET with latency $lat: $line" || fail "root latency missing: $line"
else
	fail "root not PLANET in listpeers: $(ctl listpeers)"
fi

# authorize through the controller's API once it has seen the request
api() { zt_api "$1" "$2" "$3" "${4:-}"; }
seen_by_controller() { api root GET "/controller/network/$NWID/member/$ZTDP_ID" | jq -e .id; }
wait_for 30 seen_by_controller || fail "controller never saw ztdp's config request"
zt_api root POST "/controller/network/$NWID/member/$ZTDP_ID" \
	"{\"authorized\": true, \"ipAssignments\": [\"$ZTDP_ZT_IP\"]}" >/dev/null
if wait_for 40 sh -c "[ \"\$(ip netns exec zt-dut $ZTDPCTL -s $SOCK -j listnetworks | jq -r '.[] | select(.id == \"$NWID\") | .status')\" = OK ]"; then
	ok "network OK: $(ctl listnetworks | grep "$NWID")"
else
	fail "network not OK: $(ctl listnetworks)"
fi
ctl listnetworks | grep "$NWID" | grep -q "$ZTDP_ZT_IP/24" && ok "managed IP $ZTDP_ZT_IP/24 assigned" || fail "managed IP missing"
auth=$(api root GET "/controller/network/$NWID/member/$ZTDP_ID" | jq -r .authorized)
[ "$auth" = true ] && ok "controller lists $ZTDP_ID authorized" || fail "controller member authorized=$auth"
api root GET "/controller/network/$NWID/member" | jq -e ".\"$ZTDP_ID\"" >/dev/null && ok "in the controller's member list" || fail "not in member list"

# SIGKILL and restart: same identity, network back at once from the cache
kill -KILL "$ztdp_pid"; wait "$ztdp_pid" 2>/dev/null; ztdp_pid=
start_ztdp
wait_for 20 ctl info || fail "restarted ztdp never answered"
[ "$(ctl info | awk '{print $3}')" = "$ZTDP_ID" ] && ok "same identity after SIGKILL" || fail "identity changed: $(ctl info)"
wait_for 10 sh -c "[ \"\$(ip netns exec zt-dut $ZTDPCTL -s $SOCK -j listnetworks | jq -r '.[] | select(.id == \"$NWID\") | .status')\" = OK ]" &&
	ok "network OK again after restart: $(ctl listnetworks | grep "$NWID")" || fail "network not OK after restart: $(ctl listnetworks)"

# a network on the controller that ztdp is never authorized on
NET2=$(zt_api root POST "/controller/network/${ROOT_ID}______" '{"name":"closed","private":true}' | jq -r .id)
ctl join "$NET2" >/dev/null
wait_for 40 sh -c "[ \"\$(ip netns exec zt-dut $ZTDPCTL -s $SOCK -j listnetworks | jq -r '.[] | select(.id == \"$NET2\") | .status')\" = ACCESS_DENIED ]" &&
	ok "unauthorized network $NET2 shows ACCESS_DENIED" || fail "network $NET2: $(net_status "$NET2")"
# a network ID the controller does not have
NET3=${ROOT_ID}abcdef
[ "$NET3" = "$NWID" ] && NET3=${ROOT_ID}abcdee
ctl join "$NET3" >/dev/null
wait_for 40 sh -c "[ \"\$(ip netns exec zt-dut $ZTDPCTL -s $SOCK -j listnetworks | jq -r '.[] | select(.id == \"$NET3\") | .status')\" = NOT_FOUND ]" &&
	ok "unknown network $NET3 shows NOT_FOUND" || fail "network $NET3: $(net_status "$NET3")"

echo "--- ztdpctl info / listnetworks / listpeers"
ctl info; ctl listnetworks; ctl listpeers
echo "--- zerotier-cli listpeers on a"
zt_cli a listpeers
if [ "$fails" -ne 0 ]; then
	echo "--- ztdp log (tail)"; tail -40 "$T/ztdp.log"
	echo "$fails check(s) failed"; exit 1
fi
echo "join-zt: all checks passed"
