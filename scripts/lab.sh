# A whole private ZeroTier network from ztdp alone, in network namespaces
# (sourced by scripts/demo.sh and tests/test_e2e.sh, not run).
#
#   ztl-sw   a Linux bridge: the underlay, 10.77.9.0/24
#   ztl-r    ztdp as planet root and network controller, 10.77.9.1
#   ztl-n1   ztdp appliance, 10.77.9.11; its namespace's kernel is the host
#            behind it (interface zt<nwid>, the managed IP)
#   ztl-n2   ztdp appliance, 10.77.9.12, the same
#
# Every ztdp takes its namespace's eth0 with net_af_packet (the kernel's
# address is removed: ztdp answers ARP itself). The planet is made here
# with ztdp-idtool genplanet, naming the root's identity and address.
#
#   lab_up                 namespaces, identities, planet, the three ztdps
#   lab_network NAME JSON  create a network on the controller, print its ID
#   lab_start NODE [ARGS]  (re)start one ztdp (r, n1, n2); ARGS go after --
#   lab_stop NODE [SIG]    stop one (SIGTERM by default)
#   lab_ctl NODE ARGS...   ztdpctl against that node
#   lab_down               stop everything, delete the namespaces and files
#
# Needs root, ip, and the build in $LAB_BUILD (default build/).
LAB_BUILD=${LAB_BUILD:-build}
LAB_DIR=${LAB_DIR:-/tmp/ztdp-lab}
LAB_PREFIX=ztl
declare -A LAB_IP=([r]=10.77.9.1 [n1]=10.77.9.11 [n2]=10.77.9.12)
declare -A LAB_LCORE=([r]=0 [n1]=1 [n2]=0)
declare -A LAB_PID=()
declare -A LAB_ARGS=()

lab_ns() { echo "$LAB_PREFIX-$1"; }
lab_log() { echo "[lab] $*" >&2; }

lab_ctl() {
	local n=$1; shift
	ip netns exec "$(lab_ns "$n")" "$LAB_BUILD/apps/ztdpctl" -s "$LAB_DIR/$n/ztdp.sock" "$@"
}

# lab_wait SECONDS CMD...: until CMD succeeds.
lab_wait() {
	local n=$(( $1 * 5 )); shift
	for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
	return 1
}

lab_start() {
	local n=$1; shift
	[ $# -gt 0 ] && LAB_ARGS[$n]="$*"
	# shellcheck disable=SC2086
	ip netns exec "$(lab_ns "$n")" "$LAB_BUILD/apps/ztdp/ztdp" -l "${LAB_LCORE[$n]}" \
		--no-huge -m 512 --no-pci --file-prefix "$LAB_PREFIX-$n" --log-level=lib.eal:error \
		--vdev=net_af_packet0,iface=eth0 -- \
		--state-dir "$LAB_DIR/$n" --planet "$LAB_DIR/planet" \
		--address "${LAB_IP[$n]}/24" --rpc-socket "$LAB_DIR/$n/ztdp.sock" \
		${LAB_ARGS[$n]:-} >>"$LAB_DIR/$n.log" 2>&1 &
	LAB_PID[$n]=$!
	lab_wait 20 lab_ctl "$n" info || { tail -20 "$LAB_DIR/$n.log" >&2; return 1; }
}

lab_stop() {
	local n=$1 sig=${2:-TERM} pid=${LAB_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	LAB_PID[$n]=
}

lab_down() {
	for n in n1 n2 r; do lab_stop "$n"; done
	for n in r n1 n2 sw; do ip netns del "$(lab_ns "$n")" 2>/dev/null || true; done
	[ "${LAB_KEEP_FILES:-0}" = 1 ] || rm -rf "$LAB_DIR"
}

lab_up() {
	local sw
	sw=$(lab_ns sw)
	lab_down
	mkdir -p "$LAB_DIR/r" "$LAB_DIR/n1" "$LAB_DIR/n2"
	chmod 700 "$LAB_DIR"
	ip netns add "$sw"
	ip -n "$sw" link add br0 type bridge
	ip -n "$sw" link set br0 up
	for n in r n1 n2; do
		local ns
		ns=$(lab_ns "$n")
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		ip -n "$ns" link add eth0 type veth peer name "p-$n" netns "$sw"
		ip -n "$sw" link set "p-$n" master br0 up
		ip -n "$ns" link set eth0 up
		# af_packet hands frames over as the kernel queued them: no
		# offloaded checksums or segments on the underlay.
		for side in "$ns eth0" "$sw p-$n"; do
			set -- $side
			ip netns exec "$1" ethtool -K "$2" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
		done
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	done
	# The root's identity first: the planet names it.
	"$LAB_BUILD/apps/ztdp-idtool" generate "$LAB_DIR/r/identity.secret" \
		"$LAB_DIR/r/identity.public" >/dev/null || return 1
	cat >"$LAB_DIR/planet.json" <<JSON
{"id": "0x00000000cafe0777", "signing_key": "planet.c25519",
 "roots": [{"identity": "r/identity.public", "endpoints": ["${LAB_IP[r]}/9993"]}]}
JSON
	"$LAB_BUILD/apps/ztdp-idtool" genplanet "$LAB_DIR/planet.json" "$LAB_DIR/planet" >/dev/null ||
		return 1
	lab_start r || return 1
}

# lab_network NAME JSON: a network on the root's controller; prints its ID.
lab_network() {
	lab_ctl r -j controller network create "$2" | jq -r .id
}

lab_address() { lab_ctl "$1" info | awk '{print $3}'; }
lab_status() { lab_ctl "$1" -j listnetworks | jq -r ".[] | select(.id == \"$2\") | .status"; }
