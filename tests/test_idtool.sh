#!/bin/sh
# ztdp-idtool end to end: each command, file modes, interop with the
# identities and signatures real zerotier-idtool 1.14.1 made, planets
# (genplanet, updates, the shared private planet re-made byte for byte),
# and bad input (one error line, exit 1, never a crash).
set -u
IDTOOL=${1:?usage: test_idtool.sh path/to/ztdp-idtool}
SHARED=${ZTDP_SHARED_DIR:-../shared}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

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

# generate, with and without files
"$IDTOOL" generate "$T/id.secret" "$T/id.public" >"$T/out" || fail "generate exit $?"
grep -q "id.secret written" "$T/out" || fail "generate did not report the secret file"
mode=$(stat -c %a "$T/id.secret")
[ "$mode" = 600 ] && ok "identity.secret is 0600" || fail "identity.secret mode $mode"
grep -Eq '^[0-9a-f]{10}:0:[0-9a-f]{128}:[0-9a-f]{128}$' "$T/id.secret" || fail "secret file format"
grep -Eq '^[0-9a-f]{10}:0:[0-9a-f]{128}$' "$T/id.public" || fail "public file format"
[ -z "$(tail -c 1 "$T/id.secret" | tr -d ':0-9a-f')" ] || fail "secret has a trailing newline (zerotier-idtool writes none)"
"$IDTOOL" generate >"$T/stdout.secret" || fail "generate to stdout"
grep -Eq '^[0-9a-f]{10}:0:[0-9a-f]{128}:[0-9a-f]{128}$' "$T/stdout.secret" || fail "generate stdout format"

"$IDTOOL" validate "$T/id.secret" | grep -q "is a valid identity" && ok "validate secret" || fail "validate secret"
"$IDTOOL" validate "$T/id.public" >/dev/null && ok "validate public" || fail "validate public"
"$IDTOOL" validate "$(cat "$T/id.public")" >/dev/null && ok "validate literal" || fail "validate literal"
"$IDTOOL" getpublic "$T/id.secret" >"$T/gp" && cmp -s "$T/gp" "$T/id.public" && ok "getpublic == public file" || fail "getpublic"

printf 'a message to sign\n' >"$T/msg"
"$IDTOOL" sign "$T/id.secret" "$T/msg" >"$T/sig" || fail "sign"
grep -Eq '^[0-9a-f]{192}$' "$T/sig" && ok "signature is 192 hex" || fail "signature format"
"$IDTOOL" verify "$T/id.public" "$T/msg" "$T/sig" | grep -q "signature valid" && ok "verify (file)" || fail "verify file"
"$IDTOOL" verify "$T/id.public" "$T/msg" "$(cat "$T/sig")" >/dev/null && ok "verify (hex)" || fail "verify hex"

# what real zerotier-idtool 1.14.1 made
if [ -d "$SHARED/interop/data/identities" ]; then
	for n in root a b c; do
		"$IDTOOL" validate "$SHARED/interop/data/identities/$n.identity.secret" >/dev/null || fail "real $n secret"
		"$IDTOOL" getpublic "$SHARED/interop/data/identities/$n.identity.secret" >"$T/gp"
		cmp -s "$T/gp" "$SHARED/interop/data/identities/$n.identity.public" || fail "real $n getpublic differs"
	done
	ok "real identities validate, getpublic matches their public files"
	for n in c root; do
		"$IDTOOL" verify "$SHARED/interop/data/identities/$n.identity.public" \
			"$SHARED/interop/data/signature/message.txt" \
			"$SHARED/interop/data/signature/message.txt.$n.sig" >/dev/null || fail "real sig $n"
		"$IDTOOL" sign "$SHARED/interop/data/identities/$n.identity.secret" \
			"$SHARED/interop/data/signature/message.txt" >"$T/s"
		cmp -s "$T/s" "$SHARED/interop/data/signature/message.txt.$n.sig" || fail "our signature by $n differs from zerotier-idtool's"
	done
	ok "zerotier-idtool signatures verify; ours are byte-identical"
else
	echo "SKIP part: $SHARED/interop/data is absent"
fi

# bad input
sec=$(cat "$T/id.secret")
expect_error "missing file" "No such file" "$IDTOOL" validate "$T/nope"
printf '%s' "$sec" | head -c 60 >"$T/trunc"
expect_error "truncated public key" "truncated public key" "$IDTOOL" validate "$T/trunc"
printf '%s' "$sec" | head -c 200 >"$T/trunc2"
expect_error "truncated private key" "truncated private key" "$IDTOOL" validate "$T/trunc2"
printf '%s' "$sec" | sed 's/^\(.\{20\}\)./\1x/' >"$T/badhex"
expect_error "bad hex" "not hex" "$IDTOOL" validate "$T/badhex"
printf '%s' "$sec" | sed 's/^./0/;s/^0/1/' >"$T/wrongaddr"
[ "$(head -c 10 "$T/wrongaddr")" != "$(head -c 10 "$T/id.secret")" ] || printf '%s' "$sec" | sed 's/^./2/' >"$T/wrongaddr"
expect_error "address not matching keys" "address does not match its keys" "$IDTOOL" validate "$T/wrongaddr"
"$IDTOOL" generate "$T/other.secret" >/dev/null
# public key of one identity with the private key of another
printf '%s:%s' "$(cut -d: -f1-3 "$T/id.secret")" "$(cut -d: -f4 "$T/other.secret")" >"$T/mixed"
expect_error "private key of another identity" "does not belong" "$IDTOOL" validate "$T/mixed"
expect_error "empty file" "truncated" "$IDTOOL" validate /dev/null
expect_error "sign with public" "no private key" "$IDTOOL" sign "$T/id.public" "$T/msg"
expect_error "sign missing message" "cannot read" "$IDTOOL" sign "$T/id.secret" "$T/nope"
expect_error "verify tampered" "signature check FAILED" "$IDTOOL" verify "$T/id.public" "$T/id.public" "$T/sig"
expect_error "verify bad signature text" "192 hex digits" "$IDTOOL" verify "$T/id.public" "$T/msg" "$T/id.public"
expect_error "verify missing signature" "neither" "$IDTOOL" verify "$T/id.public" "$T/msg" "$T/nope"
expect_error "unknown command" "unknown command" "$IDTOOL" frobnicate
head -c 4000 /dev/urandom >"$T/junk"
expect_error "binary junk" "invalid identity" "$IDTOOL" validate "$T/junk"
head -c 100000 /dev/urandom >"$T/huge"
expect_error "oversized file" "too large" "$IDTOOL" validate "$T/huge"
expect_error "generate into missing dir" "cannot write" "$IDTOOL" generate "$T/no/such/dir/id.secret"

# genplanet / showplanet
P="$T/planet"
mkdir "$P"
rootpub=$(cat "$T/id.public")
cat >"$P/spec.json" <<EOF
{"id": "0x7e5700000001", "timestamp": 1700000000000, "signing_key": "world.c25519",
 "roots": [{"identity": "$rootpub", "endpoints": ["198.51.100.1/9993", "[2001:db8::1]/9993"]},
           {"identity": "../id.public", "endpoints": ["198.51.100.2/443"]}]}
EOF
# The second root is the same identity (once literal, once a file beside
# the spec): refused, and no key is left behind.
expect_error "planet root listed twice" "listed twice" "$IDTOOL" genplanet "$P/spec.json" "$P/planet"
[ ! -e "$P/world.c25519" ] && ok "no key file left behind by a refused spec" || fail "refused spec left a key file"
"$IDTOOL" getpublic "$T/other.secret" >"$T/other.public"
sed -i 's#\.\./id\.public#../other.public#' "$P/spec.json"
"$IDTOOL" genplanet "$P/spec.json" "$P/planet" >"$T/out" || fail "genplanet exit $?"
grep -q "planet written" "$T/out" && grep -q "world.c25519 written (new key pair)" "$T/out" ||
	fail "genplanet output: $(cat "$T/out")"
mode=$(stat -c %a "$P/world.c25519")
[ "$mode" = 600 ] && ok "new planet key is 0600" || fail "planet key mode $mode"
[ "$(stat -c %s "$P/world.c25519")" = 128 ] || fail "planet key is not 128 bytes"
"$IDTOOL" showplanet "$P/planet" >"$T/out" || fail "showplanet exit $?"
if grep -q "planet id 138912127254529 (0x00007e5700000001) timestamp 1700000000000, 2 root(s)" "$T/out" &&
   grep -q "198.51.100.1/9993 2001:db8::1/9993" "$T/out" &&
   grep -q "$(cut -c1-10 "$T/other.public") 198.51.100.2/443" "$T/out" &&
   grep -q "signed by its own updates key: yes" "$T/out"; then
	ok "showplanet: id, roots, endpoints, signature"
else
	fail "showplanet output: $(cat "$T/out")"
fi
"$IDTOOL" genplanet --hex --c-array "$P/spec.json" "$P/again" >"$T/out" || fail "genplanet again"
cmp -s "$P/planet" "$P/again" && ok "same spec and key: same bytes" || fail "genplanet is not deterministic"
[ "$(grep -E '^[0-9a-f]+$' "$T/out")" = "$(od -An -tx1 -v "$P/planet" | tr -d ' \n')" ] &&
	ok "--hex prints the planet" || fail "--hex does not print the planet"
grep -q "static const uint8_t ztdp_planet\[$(stat -c %s "$P/planet")\]" "$T/out" &&
	ok "--c-array prints the planet" || fail "--c-array"

# Updates: same id, newer, signed by the key the current planet names;
# the key may rotate.
printf '{"timestamp": 1700000000001, "signing_key": "world.c25519", "updates_key": "next.c25519"}' >"$P/u1.json"
"$IDTOOL" genplanet --update "$P/planet" "$P/u1.json" "$P/planet2" >"$T/out" || fail "genplanet --update: $(cat "$T/out")"
grep -q "next.c25519 written (new key pair)" "$T/out" || fail "rotated key not created"
"$IDTOOL" showplanet "$P/planet2" "$P/planet" | grep -q "replaces" && ok "update replaces the planet" ||
	fail "update does not replace"
"$IDTOOL" showplanet "$P/planet2" | grep -q "own updates key: no" || fail "rotated update claims to be self-signed"
printf '{"timestamp": 1700000000002, "signing_key": "next.c25519"}' >"$P/u2.json"
"$IDTOOL" genplanet --update "$P/planet2" "$P/u2.json" "$P/planet3" >/dev/null || fail "second update"
"$IDTOOL" showplanet "$P/planet3" "$P/planet2" >/dev/null && ok "second update, signed by the rotated key" ||
	fail "second update does not replace"
expect_error "update skipping a version" "does not replace" "$IDTOOL" showplanet "$P/planet3" "$P/planet"
expect_error "update not newer" "not newer" "$IDTOOL" genplanet --update "$P/planet2" "$P/u1.json" "$P/x"
printf '{"timestamp": 1700000000009, "signing_key": "world.c25519"}' >"$P/u3.json"
expect_error "update with the old key" "is not the key" "$IDTOOL" genplanet --update "$P/planet2" "$P/u3.json" "$P/x"
printf '{"timestamp": 1700000000009, "signing_key": "gone.c25519"}' >"$P/u4.json"
expect_error "update with a missing key" "does not exist" "$IDTOOL" genplanet --update "$P/planet2" "$P/u4.json" "$P/x"
printf '{"id": 5, "timestamp": 1700000000009, "signing_key": "next.c25519"}' >"$P/u5.json"
expect_error "update changing the id" "keeps the id" "$IDTOOL" genplanet --update "$P/planet2" "$P/u5.json" "$P/x"
expect_error "update of a non-planet" "not a planet" "$IDTOOL" genplanet --update "$P/spec.json" "$P/u2.json" "$P/x"
[ ! -e "$P/x" ] || fail "a refused update wrote a planet"

# Bad specs: one line each, exit 1.
bad() {
	printf '%s' "$2" >"$P/bad.json"
	expect_error "spec: $1" "$3" "$IDTOOL" genplanet "$P/bad.json" "$P/x"
}
root1="{\"identity\": \"$rootpub\", \"endpoints\": [\"10.0.0.1/9993\"]}"
bad "not JSON" '{"id": 1,' "bad.json:1:"
bad "unknown key" '{"id": 1, "signing_key": "k", "root": []}' 'unknown key "root"'
bad "missing id" '{"signing_key": "k", "roots": []}' '"id" is missing'
bad "negative id" '{"id": -1, "signing_key": "k"}' "positive integer"
bad "no roots" '{"id": 1, "signing_key": "k", "roots": []}' "1 to 4 roots"
bad "five roots" "{\"id\": 1, \"signing_key\": \"k\", \"roots\": [$root1, $root1, $root1, $root1, $root1]}" "1 to 4 roots"
bad "bad identity" '{"id": 1, "signing_key": "k", "roots": [{"identity": "0123456789:0:zz000000000000000000000000000000000"}]}' "roots\[0\]: invalid identity"
bad "missing identity file" '{"id": 1, "signing_key": "k", "roots": [{"identity": "nope.public"}]}' "cannot read"
bad "endpoint without port" "{\"id\": 1, \"signing_key\": \"k\", \"roots\": [{\"identity\": \"$rootpub\", \"endpoints\": [\"10.0.0.1\"]}]}" "endpoints\[0\]"
bad "no signing key" "{\"id\": 1, \"roots\": [$root1]}" '"signing_key" must name'
head -c 100 /dev/urandom >"$P/junk.c25519"
bad "damaged key file" "{\"id\": 1, \"signing_key\": \"junk.c25519\", \"roots\": [$root1]}" "is 128 bytes"
head -c 64 "$P/world.c25519" >"$P/mixed.c25519"
tail -c 64 "$P/next.c25519" >>"$P/mixed.c25519"
bad "mixed-up key file" "{\"id\": 1, \"signing_key\": \"mixed.c25519\", \"roots\": [$root1]}" "does not belong"
expect_error "genplanet without a planet file" "needs <spec.json> <planet>" "$IDTOOL" genplanet "$P/spec.json"
expect_error "genplanet bad option" "unknown option" "$IDTOOL" genplanet --frob "$P/spec.json" "$P/x"
expect_error "showplanet on junk" "not a planet" "$IDTOOL" showplanet "$P/junk.c25519"

# The shared private planet, re-made from its spec and key: identical bytes.
D=$SHARED/interop/data/planet
if [ -f "$D/planet" ] && [ -f "$D/current.c25519" ]; then
	cat >"$P/shared.json" <<EOF
{"id": "0x00000000cafe0001", "timestamp": 1795308312761, "signing_key": "$D/current.c25519",
 "roots": [{"identity": "$SHARED/interop/data/identities/root.identity.public", "endpoints": ["10.99.0.1/9993"]}]}
EOF
	"$IDTOOL" genplanet "$P/shared.json" "$P/shared.planet" >/dev/null || fail "genplanet of the shared planet"
	cmp -s "$P/shared.planet" "$D/planet" && ok "shared interop planet re-made byte for byte" ||
		fail "re-made shared planet differs from $D/planet"
	"$IDTOOL" showplanet "$D/planet" | grep -q "root 31a462e3d2 10.99.0.1/9993" || fail "showplanet of the shared planet"
	printf '{"timestamp": 1795308312762, "signing_key": "%s"}' "$D/current.c25519" >"$P/shared-u.json"
	if "$IDTOOL" genplanet --update "$D/planet" "$P/shared-u.json" "$P/shared2" >/dev/null &&
	   "$IDTOOL" showplanet "$P/shared2" "$D/planet" >/dev/null; then
		ok "update of the shared planet"
	else
		fail "update of the shared planet"
	fi
else
	echo "SKIP part: $D is absent"
fi

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all idtool checks passed"
