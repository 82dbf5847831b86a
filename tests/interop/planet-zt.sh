#!/bin/bash
# Planets made by ztdp-idtool genplanet, checked by the real ZeroTierOne.
#
#   ztdp-pl-r  10.98.7.1  zerotier-one, the planet's only root
#   ztdp-pl-a  10.98.7.2  zerotier-one leaf
#   on a bridge in ztdp-pl-sw (own namespaces and subnet, so that it runs
#   beside the shared harness's zt-* namespaces).
#
# The root runs an update of the planet (genplanet --update, signing key
# rotated) while the leaf starts from the first version. Checks: the leaf
# comes online through the root (so it took the ztdp-made planet and the
# root's stable endpoint), lists it as PLANET, and replaces its planet file
# with the root's update byte for byte (so 1.14.1 verified the update's
# signature against the key the first planet names).
#
# Needs root and ZT_ONE=/path/to/zerotier-one (1.14.x); argument 1 is
# ztdp-idtool. Without ZT_ONE it says why and skips.
set -u
IDTOOL=${1:?usage: planet-zt.sh path/to/ztdp-idtool}
source "$(dirname "$0")/common.sh"
interop_require_zt ip jq

NS_SW=ztdp-pl-sw
declare -A NS=([r]=ztdp-pl-r [a]=ztdp-pl-a) IP=([r]=10.98.7.1 [a]=10.98.7.2)
T=$(mktemp -d /tmp/ztdp-planet-zt.XXXXXX)
declare -A PID=()
cleanup() {
	for n in "${!PID[@]}"; do kill -TERM "${PID[$n]}" 2>/dev/null; done
	for _ in $(seq 1 30); do
		alive=0
		for n in "${!PID[@]}"; do kill -0 "${PID[$n]}" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for n in "${!PID[@]}"; do kill -KILL "${PID[$n]}" 2>/dev/null; wait "${PID[$n]}" 2>/dev/null; done
	for ns in "${NS[@]}" "$NS_SW"; do ip netns del "$ns" 2>/dev/null; done
	[ "${ZTDP_KEEP_LOGS:-0}" = 1 ] && echo "logs kept in $T" || rm -rf "$T"
}
trap cleanup EXIT
for ns in "$NS_SW" "${NS[@]}"; do
	if ip netns list | grep -qw "^$ns"; then echo "FAIL: namespace $ns exists (another run?)"; trap - EXIT; exit 1; fi
done

ip netns add "$NS_SW"
ip netns exec "$NS_SW" ip link add br0 type bridge
ip netns exec "$NS_SW" ip link set br0 up
for n in r a; do
	ns=${NS[$n]}
	ip netns add "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip link add eth0 type veth peer name "pl-$n"
	ip netns exec "$ns" ip link set "pl-$n" netns "$NS_SW"
	ip netns exec "$NS_SW" ip link set "pl-$n" master br0
	ip netns exec "$NS_SW" ip link set "pl-$n" up
	ip netns exec "$ns" ip addr add "${IP[$n]}/24" dev eth0
	ip netns exec "$ns" ip link set eth0 up
done

# Homes, identities (ztdp-made: ZeroTier takes them), planets.
for n in r a; do
	mkdir -p "$T/$n"
	"$IDTOOL" generate "$T/$n/identity.secret" "$T/$n/identity.public" >/dev/null || exit 1
	printf '{"settings": {"primaryPort": 9993, "allowSecondaryPort": false, "portMappingEnabled": false, "allowTcpFallbackRelay": false, "softwareUpdate": "disable"}}\n' >"$T/$n/local.conf"
done
ts=$(date +%s%3N)
cat >"$T/spec.json" <<EOF
{"id": "0x00000000cafe7e57", "timestamp": $ts, "signing_key": "first.c25519",
 "roots": [{"identity": "r/identity.public", "endpoints": ["${IP[r]}/9993"]}]}
EOF
printf '{"timestamp": %s, "signing_key": "first.c25519", "updates_key": "second.c25519"}' $((ts + 1)) >"$T/update.json"
"$IDTOOL" genplanet "$T/spec.json" "$T/planet1" >/dev/null || { fail "genplanet"; exit 1; }
"$IDTOOL" genplanet --update "$T/planet1" "$T/update.json" "$T/planet2" >/dev/null || { fail "genplanet --update"; exit 1; }
cp "$T/planet2" "$T/r/planet"
cp "$T/planet1" "$T/a/planet"
ROOT_ID=$(cut -c1-10 "$T/r/identity.public")

ln -s "$(readlink -f "$ZT_ONE")" "$T/zerotier-cli"
cli() { local n=$1; shift; ip netns exec "${NS[$n]}" "$T/zerotier-cli" -D"$T/$n" -p9993 "$@"; }
for n in r a; do
	ip netns exec "${NS[$n]}" "$ZT_ONE" -U -p9993 "$T/$n" >"$T/zt-$n.log" 2>&1 &
	PID[$n]=$!
	sleep 0.5
done

online=false
for _ in $(seq 1 100); do
	[ "$(cli a -j info 2>/dev/null | jq -r .online)" = true ] && { online=true; break; }
	sleep 0.2
done
$online && ok "ZeroTier leaf online through the root of a ztdp-made planet" ||
	fail "leaf never online: $(cli a info 2>&1)"
role=$(cli a -j listpeers 2>/dev/null | jq -r ".[] | select(.address == \"$ROOT_ID\") | .role")
[ "$role" = PLANET ] && ok "leaf lists $ROOT_ID as PLANET" || fail "leaf's role for the root: '$role'"
updated=false
for _ in $(seq 1 50); do
	cmp -s "$T/a/planet" "$T/planet2" && { updated=true; break; }
	sleep 0.2
done
$updated && ok "leaf took the root's planet update (key rotated) byte for byte" ||
	fail "leaf's planet is not the update ($(stat -c %s "$T/a/planet") bytes)"
wts=$(cli a -j info 2>/dev/null | jq -r .planetWorldTimestamp)
[ "$wts" = $((ts + 1)) ] && ok "leaf runs the update (planetWorldTimestamp $wts)" ||
	fail "leaf's planetWorldTimestamp $wts, wanted $((ts + 1))"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "ZeroTierOne accepts ztdp-made planets and updates"
