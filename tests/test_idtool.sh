#!/bin/sh
# ztdp-idtool end to end: each command, file modes, interop with the
# identities and signatures real zerotier-idtool 1.14.1 made, and bad input
# (one error line, exit 1, never a crash).
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

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all idtool checks passed"
