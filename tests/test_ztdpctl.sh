#!/bin/sh
# ztdpctl end to end against the real JSON-RPC server and a real node
# (tests/rpc_test_server) on a temporary socket: each command's output
# against what zerotier-cli printed for the same node in the recorded run
# (shared/interop/data/cli, node a), -j against its JSON, join/leave and
# their persistence across a restart, and bad input (one error line on
# stderr, exit 1).
set -u
CTL=${1:?usage: test_ztdpctl.sh path/to/ztdpctl path/to/rpc_test_server}
SERVER=${2:?usage: test_ztdpctl.sh path/to/ztdpctl path/to/rpc_test_server}
SHARED=${ZTDP_SHARED_DIR:-../shared}
DATA=$SHARED/interop/data
SRC=${ZTDP_SOURCE_DIR:-.}
NWID=31a462e3d25a2681

for f in identities/a.identity.secret identities/root.identity.secret planet/planet \
	cli/cli-a-listnetworks.txt cli/cli-a-listnetworks.json cli/cli-a-listpeers.json \
	cli/cli-a-info.json cli/cli-a-peers.txt; do
	if [ ! -f "$DATA/$f" ]; then
		echo "SKIP: $DATA/$f is absent (set ZTDP_SHARED_DIR to the shared/ folder)"
		exit 77
	fi
done
if ! command -v jq >/dev/null 2>&1; then
	echo "SKIP: jq is not installed (apt-get install jq)"
	exit 77
fi

T=$(mktemp -d /tmp/ztdp-test-ctl.XXXXXX)
SOCK=$T/ztdp.sock
SPID=
# stop_server: SIGTERM, and the server must exit cleanly (under ASan a
# leak or any error report makes its status non-zero).
stop_server() {
	if [ -n "$SPID" ]; then
		kill "$SPID" 2>/dev/null
		wait "$SPID"; src=$?
		SPID=
		[ "$src" -eq 0 ] || fail "server exited with status $src"
	fi
}
trap 'stop_server; rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# start_server [<root identity>]: run it and wait until it answers (a stale
# socket may be there before it listens).
start_server() {
	"$SERVER" "$T/state" "$SOCK" zt2j3drrkt "$@" 2>>"$T/server.log" &
	SPID=$!
	i=0
	until "$CTL" -s "$SOCK" info >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -ge 400 ]; then
			fail "server did not start: $(cat "$T/server.log")"
			exit 1
		fi
		sleep 0.05
	done
}

# expect_error <what> <stderr-substring> <command...>: exit 1, one line on
# stderr containing the substring, nothing on stdout.
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

# The state directory of node a after the recorded run: its identity, the
# private planet, and the config its controller sent (cached, as ztdp keeps
# it), so the node comes up already configured and offline.
mkdir -m 700 "$T/state" "$T/state/networks.d"
cp "$DATA/identities/a.identity.secret" "$T/state/identity.secret"
chmod 600 "$T/state/identity.secret"
cp "$DATA/planet/planet" "$T/state/planet"
cp "$SRC/tests/data/netconf/data-a-ok.dict" "$T/state/networks.d/$NWID.conf"

VERSION=$("$CTL" -v)
echo "$VERSION" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$' && ok "-v prints $VERSION" || fail "-v: '$VERSION'"
"$CTL" -h | grep -q "listnetworks" && ok "-h" || fail "-h"

# --- Offline node ------------------------------------------------------
start_server
mode=$(stat -c %a "$SOCK")
[ "$mode" = 600 ] && ok "socket is 0600" || fail "socket mode $mode"

out=$("$CTL" -s "$SOCK" info)
[ "$out" = "200 info dec87a28aa $VERSION OFFLINE" ] && ok "info: $out" || fail "info: '$out'"

# listnetworks: byte for byte what zerotier-cli printed for node a.
"$CTL" -s "$SOCK" listnetworks >"$T/ln.txt"
if cmp -s "$T/ln.txt" "$DATA/cli/cli-a-listnetworks.txt"; then
	ok "listnetworks == zerotier-cli's"
else
	fail "listnetworks differs from zerotier-cli's:"; diff "$T/ln.txt" "$DATA/cli/cli-a-listnetworks.txt"
fi
# -j: ZeroTierOne's JSON, except the multicast groups the TAP had joined.
"$CTL" -s "$SOCK" -j listnetworks >"$T/ln.json"
a=$(jq -S 'map(del(.multicastSubscriptions))' "$T/ln.json")
b=$(jq -S 'map(del(.multicastSubscriptions))' "$DATA/cli/cli-a-listnetworks.json")
[ "$a" = "$b" ] && ok "-j listnetworks == zerotier-cli's JSON" || { fail "-j listnetworks differs"; echo "$a"; }
# -j anywhere on the line, and the long option.
"$CTL" listnetworks --socket="$SOCK" -j | jq -e 'length == 1' >/dev/null &&
	ok "options after the command" || fail "options after the command"
ZTDP_SOCKET=$SOCK "$CTL" info | grep -q '^200 info ' && ok "ZTDP_SOCKET" || fail "ZTDP_SOCKET"

# -j info: every field zerotier-cli has, and ztdp's version.
a=$("$CTL" -s "$SOCK" -j info | jq -S 'keys')
b=$(jq -S 'keys' "$DATA/cli/cli-a-info.json")
[ "$a" = "$b" ] && ok "-j info has zerotier-cli's fields" || fail "-j info fields: $a"
"$CTL" -s "$SOCK" -j info | jq -e --arg v "$VERSION" \
	'.version == $v and .address == "dec87a28aa" and .online == false and .planetWorldId == 3405643777' \
	>/dev/null && ok "-j info values" || fail "-j info values"

# Offline, the planet's root is a peer without a path.
"$CTL" -s "$SOCK" listpeers >"$T/lp.txt"
[ "$(head -1 "$T/lp.txt")" = "$(head -1 "$DATA/cli/cli-a-listpeers.txt")" ] &&
	ok "listpeers header" || fail "listpeers header: $(head -1 "$T/lp.txt")"
grep -Eq '^200 listpeers 31a462e3d2 - -?[0-9]+ - PLANET$' "$T/lp.txt" &&
	ok "listpeers, root without path: $(sed -n 2p "$T/lp.txt")" || fail "listpeers: $(cat "$T/lp.txt")"
"$CTL" -s "$SOCK" peers >"$T/p.txt"
[ "$(head -2 "$T/p.txt")" = "$(head -2 "$DATA/cli/cli-a-peers.txt")" ] &&
	ok "peers header" || fail "peers header: $(head -2 "$T/p.txt")"
grep -Eq '^31a462e3d2 -      PLANET +-?[0-9]+ RELAY$' "$T/p.txt" &&
	ok "peers, root without path: $(sed -n 3p "$T/p.txt")" || fail "peers: $(cat "$T/p.txt")"

# join / leave, and what they leave in the state directory.
NEW=8056c2e21c000001
out=$("$CTL" -s "$SOCK" join $NEW)
[ "$out" = "200 join OK" ] && ok "join: $out" || fail "join: '$out'"
"$CTL" -s "$SOCK" listnetworks | grep -Eq "^200 listnetworks $NEW  ([0-9a-f]{2}:){5}[0-9a-f]{2} REQUESTING_CONFIGURATION PRIVATE zt2j3drrkt -$" &&
	ok "listnetworks shows the joined network" || fail "after join: $("$CTL" -s "$SOCK" listnetworks)"
[ -f "$T/state/networks.d/$NEW.conf" ] && ok "join persisted networks.d/$NEW.conf" ||
	fail "join did not persist networks.d/$NEW.conf"
"$CTL" -s "$SOCK" -j join 8056C2E21C000001 | jq -e --arg n $NEW '.nwid == $n and .id == $n' >/dev/null &&
	ok "-j join (upper case ID) answers the network" || fail "-j join"
out=$("$CTL" -s "$SOCK" leave $NEW)
[ "$out" = "200 leave OK" ] && ok "leave: $out" || fail "leave: '$out'"
[ ! -e "$T/state/networks.d/$NEW.conf" ] && ok "leave removed networks.d/$NEW.conf" ||
	fail "leave left networks.d/$NEW.conf"
out=$("$CTL" -s "$SOCK" leave $NEW)
[ "$out" = "200 leave OK" ] && ok "leave of a network not joined: $out (as zerotier-cli)" || fail "leave again: '$out'"
"$CTL" -s "$SOCK" join 1111111111111111 >/dev/null

# Other commands.
"$CTL" -s "$SOCK" stats | jq -e '.rpc.requests > 0' >/dev/null && ok "stats" || fail "stats"
"$CTL" -s "$SOCK" methods | jq -e 'map(.name) | index("peer_list") != null' >/dev/null &&
	ok "methods" || fail "methods"
"$CTL" -s "$SOCK" call network_get "{\"nwid\":\"$NWID\"}" | jq -e '.name == "interop"' >/dev/null &&
	ok "call network_get" || fail "call network_get"

# --- The embedded controller: node a controls networks dec87a28aaXXXXXX.
"$CTL" -s "$SOCK" controller status | jq -e '.controller == true and .apiVersion == 4 and
	.databaseReady == true' >/dev/null && ok "controller status" || fail "controller status"
out=$("$CTL" -s "$SOCK" controller network create '{"name": "ctlnet", "v4AssignMode": {"zt": true},
	"ipAssignmentPools": [{"ipRangeStart": "10.147.17.100", "ipRangeEnd": "10.147.17.200"}],
	"routes": [{"target": "10.147.17.0/24"}]}')
CNET=${out##* }
echo "$out" | grep -Eq '^200 controller network create OK dec87a28aa[0-9a-f]{6}$' &&
	ok "controller network create: $out" || fail "controller network create: '$out'"
"$CTL" -s "$SOCK" controller network list | grep -qx "200 controller network list $CNET ctlnet PRIVATE" &&
	ok "controller network list" || fail "controller network list: $("$CTL" -s "$SOCK" controller network list)"
"$CTL" -s "$SOCK" -j controller network list | jq -e --arg n "$CNET" '. == [$n]' >/dev/null &&
	ok "-j controller network list" || fail "-j controller network list"
"$CTL" -s "$SOCK" controller network get "$CNET" | jq -e '.name == "ctlnet" and .revision == 1 and
	.private == true and .routes[0].target == "10.147.17.0/24"' >/dev/null &&
	ok "controller network get" || fail "controller network get"
mode=$(stat -c %a "$T/state/controller.json" 2>/dev/null)
[ "$mode" = 600 ] && ok "controller state in controller.json, 0600" || fail "controller.json mode '$mode'"
# The node joins its own network (answered without the wire): refused and
# recorded until authorized, then configured with 1.14.1's pool pick.
"$CTL" -s "$SOCK" join "$CNET" >/dev/null
"$CTL" -s "$SOCK" listnetworks | grep -q "^200 listnetworks $CNET .* ACCESS_DENIED " &&
	ok "own network: ACCESS_DENIED before authorization" ||
	fail "own network: $("$CTL" -s "$SOCK" listnetworks)"
"$CTL" -s "$SOCK" controller member list "$CNET" |
	grep -qx "200 controller member list dec87a28aa false false -" &&
	ok "controller member list: the requester is recorded" ||
	fail "controller member list: $("$CTL" -s "$SOCK" controller member list "$CNET")"
out=$("$CTL" -s "$SOCK" controller member authorize "$CNET" dec87a28aa)
[ "$out" = "200 controller member authorize OK dec87a28aa" ] && ok "$out" || fail "authorize: '$out'"
IP=10.147.17.$((0xc87a28aa % 100 + 100))
"$CTL" -s "$SOCK" listnetworks | grep -q "^200 listnetworks $CNET ctlnet .* OK PRIVATE zt2j3drrkt $IP/24$" &&
	ok "own network: OK with $IP/24 after authorization" ||
	fail "after authorize: $("$CTL" -s "$SOCK" listnetworks)"
"$CTL" -s "$SOCK" controller member list "$CNET" |
	grep -qx "200 controller member list dec87a28aa true false $IP" &&
	ok "controller member list: authorized with $IP" ||
	fail "member list: $("$CTL" -s "$SOCK" controller member list "$CNET")"
"$CTL" -s "$SOCK" -j controller member list "$CNET" | jq -e '.dec87a28aa >= 2' >/dev/null &&
	ok "-j controller member list: {address: revision}" || fail "-j controller member list"
"$CTL" -s "$SOCK" controller network set "$CNET" '{"name": "renamed"}' >/dev/null
"$CTL" -s "$SOCK" listnetworks | grep -q "^200 listnetworks $CNET renamed " &&
	ok "network change pushed to the member" || fail "after set: $("$CTL" -s "$SOCK" listnetworks)"
"$CTL" -s "$SOCK" controller member set "$CNET" dec87a28aa '{"ipAssignments": ["10.147.17.7"]}' >/dev/null
"$CTL" -s "$SOCK" controller member get "$CNET" dec87a28aa | jq -e '.ipAssignments == ["10.147.17.7"] and
	.authorized == true' >/dev/null && ok "controller member set / get" || fail "controller member set / get"
"$CTL" -s "$SOCK" listnetworks | grep -q "^200 listnetworks $CNET .* 10.147.17.7/24$" &&
	ok "member change pushed" || fail "after member set: $("$CTL" -s "$SOCK" listnetworks)"
"$CTL" -s "$SOCK" controller member deauthorize "$CNET" dec87a28aa >/dev/null
"$CTL" -s "$SOCK" listnetworks | grep -q "^200 listnetworks $CNET .* ACCESS_DENIED " &&
	ok "deauthorized: ACCESS_DENIED" || fail "after deauthorize: $("$CTL" -s "$SOCK" listnetworks)"
expect_error "controller, bad field" '"mtu" must be an integer' \
	"$CTL" -s "$SOCK" controller network set "$CNET" '{"mtu": "x"}'
expect_error "controller, unknown field" 'unknown network field "privte"' \
	"$CTL" -s "$SOCK" controller network set "$CNET" '{"privte": false}'
expect_error "controller, bad rule" 'unknown or unsupported rule type' \
	"$CTL" -s "$SOCK" controller network set "$CNET" '{"rules": [{"type": "ACTION_FOO"}]}'
expect_error "controller, not JSON" "is not a JSON object" \
	"$CTL" -s "$SOCK" controller network set "$CNET" '{nope'
expect_error "controller, no such network" "no network 2222222222222222" \
	"$CTL" -s "$SOCK" controller network get 2222222222222222
expect_error "controller, foreign network" "belongs to controller 2222222222" \
	"$CTL" -s "$SOCK" controller network create 2222222222000001
expect_error "controller, bad address" "invalid member address 'xyz'" \
	"$CTL" -s "$SOCK" controller member get "$CNET" xyz
expect_error "controller, unknown command" "unknown command 'frob'" \
	"$CTL" -s "$SOCK" controller network frob
out=$("$CTL" -s "$SOCK" controller member delete "$CNET" dec87a28aa)
[ "$out" = "200 controller member delete OK dec87a28aa" ] && ok "$out" || fail "member delete: '$out'"
expect_error "controller, member gone" "no member dec87a28aa on network $CNET" \
	"$CTL" -s "$SOCK" controller member get "$CNET" dec87a28aa
# Asking again records it afresh, unauthorized and without its old address.
"$CTL" -s "$SOCK" leave "$CNET" >/dev/null
"$CTL" -s "$SOCK" join "$CNET" >/dev/null
"$CTL" -s "$SOCK" controller member list "$CNET" |
	grep -qx "200 controller member list dec87a28aa false false -" &&
	ok "a deleted member that asks again is recorded afresh" ||
	fail "after delete and rejoin: $("$CTL" -s "$SOCK" controller member list "$CNET")"
out=$("$CTL" -s "$SOCK" controller network delete "$CNET")
[ "$out" = "200 controller network delete OK $CNET" ] && ok "$out" || fail "delete: '$out'"
"$CTL" -s "$SOCK" listnetworks | grep -q "^200 listnetworks $CNET .* NOT_FOUND " &&
	ok "deleted: NOT_FOUND" || fail "after delete: $("$CTL" -s "$SOCK" listnetworks)"
"$CTL" -s "$SOCK" leave "$CNET" >/dev/null
"$CTL" -s "$SOCK" controller network create dec87a28aa0000aa '{"private": false}' >/dev/null &&
	ok "controller network create with an ID" || fail "controller network create with an ID"

# -j layout: zerotier-cli prints nlohmann's dump(1) (one-space indent,
# sorted keys); ztdpctl's output of the same JSON must be byte for byte
# the same.
for f in "$DATA"/cli/*.json; do
	if "$CTL" -s "$SOCK" call test_echo "$(cat "$f")" | cmp -s - "$f"; then
		ok "JSON layout == zerotier-cli's for $(basename "$f")"
	else
		fail "JSON layout differs for $(basename "$f")"
	fi
done

# Errors: one line, exit 1.
expect_error "join, short ID" "invalid network ID '123'" "$CTL" -s "$SOCK" join 123
expect_error "join, 17 digits" "invalid network ID" "$CTL" -s "$SOCK" join 31a462e3d25a26810
expect_error "join, not hex" "invalid network ID" "$CTL" -s "$SOCK" join 31a462e3d25a268g
expect_error "leave, no ID" "missing network ID" "$CTL" -s "$SOCK" leave
expect_error "unknown command" "unknown command 'frobnicate'" "$CTL" -s "$SOCK" frobnicate
expect_error "unknown option" "unknown option" "$CTL" -s "$SOCK" -x info
expect_error "-s without path" "needs a socket path" "$CTL" info -s
expect_error "no socket" "cannot connect to $T/nope.sock" "$CTL" -s "$T/nope.sock" info
expect_error "socket path too long" "too long" "$CTL" -s "/$(printf '%0200d' 0)" info
expect_error "unknown method" "error -32601" "$CTL" -s "$SOCK" call no_such_method
expect_error "network not found" "not a member of network 2222222222222222" \
	"$CTL" -s "$SOCK" call network_get '{"nwid":"2222222222222222"}'
expect_error "params not JSON" "not valid JSON" "$CTL" -s "$SOCK" call node_status '{nope'
expect_error "bad params" "error -32602" "$CTL" -s "$SOCK" call peer_get '{"address":"xyz"}'
"$CTL" >/dev/null 2>&1; [ $? -eq 1 ] && ok "no command: exit 1" || fail "no command"

# --- Restart: same identity, networks rejoined from the state directory;
# a SIGKILLed server's socket is stale and is replaced.
kill -9 "$SPID"; wait "$SPID" 2>/dev/null; SPID=
[ -S "$SOCK" ] || fail "expected a stale socket after SIGKILL"
start_server
out=$("$CTL" -s "$SOCK" listnetworks | cut -d' ' -f3,6 | LC_ALL=C sort | tr '\n' ' ')
[ "$out" = "1111111111111111 REQUESTING_CONFIGURATION 31a462e3d25a2681 OK <nwid> <status> " ] &&
	ok "restart rejoined both networks" || fail "after restart: '$out'"
"$CTL" -s "$SOCK" info | grep -q '^200 info dec87a28aa ' && ok "restart kept the identity" ||
	fail "identity after restart"
"$CTL" -s "$SOCK" -j controller network list | jq -e '. == ["dec87a28aa0000aa"]' >/dev/null &&
	ok "restart kept the controller's networks" ||
	fail "controller after restart: $("$CTL" -s "$SOCK" -j controller network list)"
stop_server
[ ! -e "$SOCK" ] && ok "socket removed on clean exit" || fail "socket left after clean exit"

# --- A full server: the refused client says why in one line. socat holds
# the only slot, its input a FIFO we keep open. The start-up probe's slot is
# freed when the server sees it close, so socat may come too early and be
# refused (it then exits): try again until it is the one holding the slot.
if command -v socat >/dev/null 2>&1; then
	RPC_TEST_MAX_CLIENTS=1 start_server
	mkfifo "$T/hold"
	exec 4<>"$T/hold"
	HOLD=
	for attempt in 1 2 3 4 5; do
		# 4>&-: socat must not hold the FIFO's write end itself.
		socat - "UNIX-CONNECT:$SOCK" <"$T/hold" 4>&- >/dev/null 2>&1 &
		HOLD=$!
		sleep 0.8
		kill -0 "$HOLD" 2>/dev/null && break
		wait "$HOLD" 2>/dev/null
		HOLD=
	done
	if [ -n "$HOLD" ]; then
		expect_error "server full" "too many clients (at most 1)" "$CTL" -s "$SOCK" info
	else
		fail "socat could not hold the server's only slot"
	fi
	exec 4>&-
	if [ -n "$HOLD" ]; then
		kill "$HOLD" 2>/dev/null
		wait "$HOLD" 2>/dev/null
	fi
	stop_server
else
	echo "skip: socat absent, no full-server check"
fi

# --- With the planet's root (a second real node in memory): a live path.
rm -f "$T/state/networks.d/1111111111111111.conf"
start_server "$DATA/identities/root.identity.secret"
i=0
until "$CTL" -s "$SOCK" info | grep -q ONLINE || [ $i -ge 200 ]; do sleep 0.1; i=$((i + 1)); done
out=$("$CTL" -s "$SOCK" info)
[ "$out" = "200 info dec87a28aa $VERSION ONLINE" ] && ok "info: $out" || fail "info with root: '$out'"
sleep 0.2
"$CTL" -s "$SOCK" listpeers >"$T/lp.txt"
line=$(grep '^200 listpeers 31a462e3d2 ' "$T/lp.txt")
# zerotier-cli's form: <ip/port>;<ms since last send>;<ms since last receive>.
if echo "$line" | grep -Eq '^200 listpeers 31a462e3d2 10\.99\.0\.1/9993;[0-9]+;[0-9]+ [0-9]+ [0-9]+\.[0-9]+\.[0-9]+ PLANET$'; then
	tx=$(echo "$line" | cut -d' ' -f4 | cut -d';' -f2)
	[ "$tx" -lt 20000 ] && ok "listpeers: $line" || fail "listpeers age $tx ms"
else
	fail "listpeers with root: '$line'"
fi
# The same pattern fits what zerotier-cli printed.
grep -Eq '^200 listpeers 31a462e3d2 10\.99\.0\.1/9993;[0-9]+;[0-9]+ [0-9]+ [0-9]+\.[0-9]+\.[0-9]+ PLANET$' \
	"$DATA/cli/cli-a-listpeers.txt" || fail "pattern does not fit zerotier-cli's own listpeers"
# peers: the columns exactly as zerotier-cli's printf lays them out.
"$CTL" -s "$SOCK" peers >"$T/p.txt"
row=$(grep '^31a462e3d2 ' "$T/p.txt")
set -- $row
want=$(printf '%s %-6s %-6s %5d DIRECT   %-8s %-8s %s' "$1" "$2" "$3" "$4" "$6" "$7" "$8")
[ "$row" = "$want" ] && [ "$5" = DIRECT ] && [ "$8" = 10.99.0.1/9993 ] && ok "peers: $row" ||
	fail "peers row '$row' (wanted '$want')"
zt=$(sed -n 3p "$DATA/cli/cli-a-peers.txt")
set -- $zt
[ "$zt" = "$(printf '%s %-6s %-6s %5d DIRECT   %-8s %-8s %s' "$1" "$2" "$3" "$4" "$6" "$7" "$8")" ] ||
	fail "layout check does not fit zerotier-cli's own peers row"
# -j listpeers: zerotier-cli's fields, for the peer and its paths.
a=$("$CTL" -s "$SOCK" -j listpeers | jq -S '.[0] | keys, (.paths[0] | keys)')
b=$(jq -S '.[0] | keys, (.paths[0] | keys)' "$DATA/cli/cli-a-listpeers.json")
[ "$a" = "$b" ] && ok "-j listpeers has zerotier-cli's fields" || fail "-j listpeers fields: $a"
"$CTL" -s "$SOCK" call peer_get '{"address":"31a462e3d2"}' |
	jq -e '.role == "PLANET" and (.paths[0].preferred == true)' >/dev/null &&
	ok "peer_get" || fail "peer_get"
stop_server

if grep -q "Sanitizer" "$T/server.log"; then
	fail "sanitizer report from the server"
fi
if [ "$fails" -ne 0 ]; then
	echo "$fails failure(s); server log:"
	cat "$T/server.log"
	exit 1
fi
echo "all ztdpctl tests passed"
