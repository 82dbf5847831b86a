/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Verb codecs (proto/ztdp_verbs.h, protocol notes section 6):
 *  - round trips for every verb and reply, built from typed values, with
 *    edge cases (empty lists, optional tails absent, every flag);
 *  - every such encoding: each truncation fails cleanly or decodes a valid
 *    prefix, each too-small writer fails with ENOSPC without overrunning;
 *  - malformed inputs for each decoder;
 *  - real traffic: every packet of the 1.14.1 captures in interop/data and
 *    interop/data-bridge decodes, and re-encodes to the same bytes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "verbs_capture.h"
#include "verbs_dispatch.h"
#include "ztdp_capability.h"
#include "ztdp_credentials.h"
#include "ztdp_crypto.h"
#include "ztdp_dict.h"
#include "ztdp_mac.h"
#include "ztdp_netconf_chunk.h"
#include "ztdp_verbs.h"
#include "ztdp_wire.h"
#include "ztdp_world.h"

/* A spare identity (interop/data/identities/c), so the unit tests need no
 * shared data and no slow identity generation. */
static const char test_identity_secret[] =
	"a05f585b07:0:5e8165f3bb7f58025e96d6a4e928c58b859d4273dbd3630d26ad4ef2b6"
	"67eb3a543092af90038415cc77ac46815358648fb2f024759138c82243c952557b95b2:"
	"c78b0dc9afaf7a885eb666219bce6a2541f141e0ba150e2d5ad212dd52e6d6bb02959a"
	"8620e360b2525af65478738945f0b8ce8e3de677b9b0ad4557b6906842";

#define NWID	0xa05f585b07123456ULL	/* controller = test identity */
#define BUF_LEN	ZTDP_MAX_PACKET_LEN

static struct ztdp_identity test_id;

static void load_test_identity(void)
{
	const char *why = NULL;

	if (test_id.address != 0)
		return;
	if (ztdp_identity_from_string(&test_id, test_identity_secret, &why) != 0)
		fail_msg("test identity: %s", why);
	assert_true(test_id.has_private);
}

static void dump_seed(enum vd_kind k, const uint8_t *p, size_t len, bool real);

/* ---- Generic checks on one valid encoding --------------------------------- */

/* Every prefix of a valid encoding: the decoder fails, or what it decoded
 * re-encodes to a prefix of that prefix (it took a valid shorter form and
 * ignored the rest, as the format allows). */
static void check_truncations(enum vd_kind k, const uint8_t *buf, size_t len)
{
	uint8_t *out = malloc(BUF_LEN);

	assert_non_null(out);
	for (size_t n = 0; n < len; n++) {
		/* A fresh allocation of exactly n bytes: ASan sees overreads. */
		uint8_t *exact = malloc(n ? n : 1);
		union vd_msg m;
		struct ztdp_wr w;
		int rc;

		assert_non_null(exact);
		memcpy(exact, buf, n);
		rc = vd_decode(k, exact, n, &m);
		if (rc == 0) {
			ztdp_wr_init(&w, out, BUF_LEN);
			if (vd_encode(k, &w, &m) != 0)
				fail_msg("%s: prefix %zu of %zu decodes but does not encode",
					 vd_name(k), n, len);
			if (w.off > n || memcmp(out, buf, w.off) != 0) {
				/* Non-canonical forms (NETWORK_CREDENTIALS without
				 * the terminator) must at least mean the same. */
				union vd_msg again;

				if (vd_canonical(k) ||
				    vd_decode(k, out, w.off, &again) != 0 ||
				    !vd_equal(k, &m, &again))
					fail_msg("%s: prefix %zu of %zu decodes to something "
						 "else (%zu bytes)", vd_name(k), n, len, w.off);
				vd_clear(k, &again);
			}
		} else {
			assert_true(rc < 0);
		}
		vd_clear(k, &m);
		free(exact);
	}
	free(out);
}

/* Encoding into every writer shorter than needed fails with ENOSPC and
 * writes nothing past the writer's end. */
static void check_enospc(enum vd_kind k, const union vd_msg *m, size_t len)
{
	uint8_t *out = malloc(len + 16);

	assert_non_null(out);
	for (size_t cap = 0; cap < len; cap++) {
		struct ztdp_wr w;
		int rc;

		memset(out, 0xa5, len + 16);
		ztdp_wr_init(&w, out, cap);
		rc = vd_encode(k, &w, m);
		if (rc != ZTDP_VERBS_ENOSPC && rc != ZTDP_NCC_ENOSPC)
			fail_msg("%s: encode into %zu of %zu bytes gave %d", vd_name(k),
				 cap, len, rc);
		for (size_t i = cap; i < len + 16; i++)
			if (out[i] != 0xa5)
				fail_msg("%s: encode into %zu bytes wrote byte %zu", vd_name(k),
					 cap, i);
	}
	free(out);
}

/* bytes must decode as kind k; the decoded message re-encodes to exactly
 * bytes; then truncations and small writers. Returns the decoded message
 * (pointing into bytes). */
static void check_codec(enum vd_kind k, const uint8_t *bytes, size_t len,
			union vd_msg *m)
{
	uint8_t *out = malloc(BUF_LEN);
	union vd_msg again;
	struct ztdp_wr w;
	int rc;

	assert_non_null(out);
	rc = vd_decode(k, bytes, len, m);
	if (rc != 0)
		fail_msg("%s: %zu bytes do not decode (%d)", vd_name(k), len, rc);
	ztdp_wr_init(&w, out, BUF_LEN);
	assert_int_equal(vd_encode(k, &w, m), 0);
	assert_int_equal(w.off, len);
	assert_memory_equal(out, bytes, len);
	assert_int_equal(vd_decode(k, out, w.off, &again), 0);
	assert_true(vd_equal(k, m, &again));
	vd_clear(k, &again);
	free(out);
	check_truncations(k, bytes, len);
	check_enospc(k, m, len);
}

/* Encode a typed message, then check_codec on the result. *out gets a
 * malloc'd copy of the bytes (the decoded *m points into it). */
static size_t build(enum vd_kind k, const union vd_msg *typed, uint8_t **out,
		    union vd_msg *m)
{
	uint8_t *buf = malloc(BUF_LEN);
	struct ztdp_wr w;
	int rc;

	assert_non_null(buf);
	ztdp_wr_init(&w, buf, BUF_LEN);
	rc = vd_encode(k, &w, typed);
	if (rc != 0)
		fail_msg("%s: encode failed (%d)", vd_name(k), rc);
	*out = buf;
	dump_seed(k, buf, w.off, false);
	check_codec(k, buf, w.off, m);
	return w.off;
}

static void expect_decode_error(enum vd_kind k, const uint8_t *p, size_t len,
				int want)
{
	uint8_t *exact = malloc(len ? len : 1);
	union vd_msg m;
	int rc;

	assert_non_null(exact);
	memcpy(exact, p, len);
	rc = vd_decode(k, exact, len, &m);
	if (rc != want)
		fail_msg("%s: expected %d, got %d", vd_name(k), want, rc);
	vd_clear(k, &m);
	free(exact);
}

/* A signed COM for member test_id on NWID, as bytes. */
static size_t make_com(uint8_t *buf, size_t cap, struct ztdp_com *com)
{
	struct ztdp_wr w;

	load_test_identity();
	ztdp_com_issue(com, 1700000000000ULL, 7200000, NWID, &test_id);
	assert_int_equal(ztdp_com_sign(com, &test_id), 0);
	ztdp_wr_init(&w, buf, cap);
	assert_int_equal(ztdp_com_encode(&w, com), 0);
	return w.off;
}

/* ---- HELLO ------------------------------------------------------------------ */

static void hello_base(struct ztdp_hello *h)
{
	load_test_identity();
	memset(h, 0, sizeof(*h));
	h->proto_version = ZTDP_PROTO_VERSION;
	h->major = 1;
	h->minor = 14;
	h->revision = 1;
	h->timestamp = 0x0000018c12345678ULL;
	h->identity = test_id;	/* private key present: must not be sent */
}

static void test_hello_roundtrip(void **state)
{
	const struct ztdp_hello_moon moons[3] = {
		{ ZTDP_WORLD_TYPE_MOON, 0x1122334455667788ULL, 1234 },
		{ ZTDP_WORLD_TYPE_MOON, 0x99, 0 },
		{ 5, 42, 43 },	/* not a moon: kept, 1.14.1 skips it */
	};
	union vd_msg t, m;
	struct ztdp_hello_moon got;
	uint8_t *buf;
	size_t len, off;

	(void)state;
	/* Oldest form: fixed part only. */
	hello_base(&t.hello);
	len = build(VD_HELLO, &t, &buf, &m);
	assert_int_equal(len, ZTDP_HELLO_FIXED_LEN);
	assert_false(m.hello.has_dest);
	assert_false(m.hello.identity.has_private);
	assert_true(m.hello.identity.address == test_id.address);
	assert_memory_equal(m.hello.identity.pub, test_id.pub, ZTDP_C25519_PUBLIC_LEN);
	assert_int_equal(ztdp_hello_crypt_offset(buf, len, &off), 0);
	assert_int_equal(off, len);
	vd_clear(VD_HELLO, &m);
	free(buf);

	/* Relayed HELLO: null destination, world, no moons (what a leaf sends). */
	hello_base(&t.hello);
	t.hello.has_dest = true;
	t.hello.has_world = true;
	t.hello.world_id = ZTDP_WORLD_ID_EARTH;
	t.hello.world_timestamp = 1644592324813ULL;
	t.hello.has_moons = true;
	len = build(VD_HELLO, &t, &buf, &m);
	assert_int_equal(len, ZTDP_HELLO_FIXED_LEN + 1 + 16 + 2);
	assert_true(m.hello.has_dest && m.hello.dest.family == 0);
	assert_true(m.hello.world_id == ZTDP_WORLD_ID_EARTH);
	assert_true(m.hello.has_moons);
	assert_int_equal(m.hello.moon_count, 0);
	assert_int_equal(ztdp_hello_crypt_offset(buf, len, &off), 0);
	assert_int_equal(off, ZTDP_HELLO_FIXED_LEN + 1 + 16);
	vd_clear(VD_HELLO, &m);
	free(buf);

	/* IPv6 destination, three moons. */
	hello_base(&t.hello);
	t.hello.has_dest = true;
	{
		const uint8_t ip6[16] = { 0xfd, 0x7a, 0x4d, 0x39, [15] = 1 };

		ztdp_inetaddr_set_v6(&t.hello.dest, ip6, 9993);
	}
	t.hello.has_world = true;
	t.hello.world_id = 0xcafe0b01;
	t.hello.world_timestamp = 1795309425899ULL;
	t.hello.has_moons = true;
	t.hello.moon_count = 3;
	t.hello.moons = moons;
	len = build(VD_HELLO, &t, &buf, &m);
	assert_int_equal(len, ZTDP_HELLO_FIXED_LEN + 19 + 16 + 2 + 3 * 17);
	assert_int_equal(m.hello.dest.family, 6);
	assert_int_equal(m.hello.dest.port, 9993);
	assert_int_equal(m.hello.moon_count, 3);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(ztdp_hello_moon_get(&m.hello, i, &got), 0);
		assert_int_equal(got.type, moons[i].type);
		assert_true(got.world_id == moons[i].world_id);
		assert_true(got.timestamp == moons[i].timestamp);
	}
	assert_int_equal(ztdp_hello_moon_get(&m.hello, 3, &got), ZTDP_VERBS_EINVAL);
	vd_clear(VD_HELLO, &m);
	free(buf);

	/* IPv4 destination and world, but the sender stopped before moons. */
	hello_base(&t.hello);
	t.hello.has_dest = true;
	ztdp_inetaddr_set_v4(&t.hello.dest, 0x0a630001, 9993);
	t.hello.has_world = true;
	len = build(VD_HELLO, &t, &buf, &m);
	assert_int_equal(len, ZTDP_HELLO_FIXED_LEN + 7 + 16);
	assert_false(m.hello.has_moons);
	vd_clear(VD_HELLO, &m);
	free(buf);

	/* has_* flags chain: a world without a destination is not written. */
	hello_base(&t.hello);
	t.hello.has_world = true;
	t.hello.has_moons = true;
	len = build(VD_HELLO, &t, &buf, &m);
	assert_int_equal(len, ZTDP_HELLO_FIXED_LEN);
	vd_clear(VD_HELLO, &m);
	free(buf);
}

/* The cryptField round trip with a real key: encode, encrypt the tail as a
 * sender does, find the offset from the clear part, decrypt, decode. */
static void test_hello_cryptfield(void **state)
{
	const struct ztdp_hello_moon moon = { ZTDP_WORLD_TYPE_MOON, 77, 88 };
	uint8_t key[ZTDP_PEER_KEY_LEN], pkt[512], plain[512];
	struct ztdp_peer_key pk;
	struct ztdp_hello h, d;
	struct ztdp_wr w;
	size_t crypt_off, off, len;

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(ztdp_peer_key_init(&pk, key), 0);
	hello_base(&h);
	h.has_dest = true;
	ztdp_inetaddr_set_v4(&h.dest, 0x0a630002, 9993);
	h.has_world = true;
	h.world_id = 1;
	h.world_timestamp = 2;
	h.has_moons = true;
	h.moon_count = 1;
	h.moons = &moon;

	ztdp_wr_init(&w, pkt, sizeof(pkt));
	memset(pkt, 0x11, ZTDP_PKT_HEADER_LEN);
	ztdp_wr_reserve(&w, ZTDP_PKT_HEADER_LEN);
	assert_int_equal(ztdp_hello_encode(&w, &h, &crypt_off), 0);
	len = w.off;
	memcpy(plain, pkt, len);
	ztdp_hello_cryptfield(&pk, pkt, crypt_off, len);
	assert_memory_not_equal(pkt + crypt_off, plain + crypt_off, len - crypt_off);
	/* Before decryption the moon count is garbage ... */
	assert_int_equal(ztdp_hello_crypt_offset(pkt + ZTDP_PKT_IDX_PAYLOAD,
						 len - ZTDP_PKT_IDX_PAYLOAD, &off), 0);
	assert_int_equal(ZTDP_PKT_IDX_PAYLOAD + off, crypt_off);
	/* ... after it the payload decodes. */
	ztdp_hello_cryptfield(&pk, pkt, ZTDP_PKT_IDX_PAYLOAD + off, len);
	assert_memory_equal(pkt, plain, len);
	assert_int_equal(ztdp_hello_decode(pkt + ZTDP_PKT_IDX_PAYLOAD,
					   len - ZTDP_PKT_IDX_PAYLOAD, &d), 0);
	assert_int_equal(d.moon_count, 1);
	ztdp_identity_clear(&d.identity);
	ztdp_identity_clear(&h.identity);
	ztdp_peer_key_clear(&pk);
}

static void test_hello_malformed(void **state)
{
	union vd_msg t, m;
	uint8_t *buf, bad[256];
	size_t len;

	(void)state;
	hello_base(&t.hello);
	t.hello.has_dest = true;
	ztdp_inetaddr_set_v4(&t.hello.dest, 0x0a630001, 9993);
	t.hello.has_world = true;
	t.hello.has_moons = true;
	len = build(VD_HELLO, &t, &buf, &m);
	vd_clear(VD_HELLO, &m);
	assert_true(len < sizeof(bad));

	/* Identity type 1 does not exist. */
	memcpy(bad, buf, len);
	bad[ZTDP_HELLO_IDX_IDENTITY + 5] = 1;
	expect_decode_error(VD_HELLO, bad, len, ZTDP_VERBS_ECRED);
	/* A private key in a HELLO is refused. */
	{
		uint8_t big[ZTDP_HELLO_FIXED_LEN + ZTDP_C25519_PRIVATE_LEN];

		memcpy(big, buf, ZTDP_HELLO_FIXED_LEN);
		big[ZTDP_HELLO_FIXED_LEN - 1] = ZTDP_C25519_PRIVATE_LEN;
		memcpy(big + ZTDP_HELLO_FIXED_LEN, test_id.priv, ZTDP_C25519_PRIVATE_LEN);
		expect_decode_error(VD_HELLO, big, sizeof(big), ZTDP_VERBS_ECRED);
	}
	/* Unknown InetAddress type. */
	memcpy(bad, buf, len);
	bad[ZTDP_HELLO_FIXED_LEN] = 0x05;
	expect_decode_error(VD_HELLO, bad, len, ZTDP_VERBS_EINVAL);
	/* Moon count larger than what follows. */
	memcpy(bad, buf, len);
	bad[len - 1] = 1;
	expect_decode_error(VD_HELLO, bad, len, ZTDP_VERBS_ETRUNC);
	free(buf);
}

static void test_ok_hello(void **state)
{
	static const uint8_t worlds[40] = { ZTDP_WORLD_TYPE_PLANET, 1, 2, 3 };
	union vd_msg t, m;
	uint8_t *buf;
	size_t len;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.ok_hello.timestamp = 123456789;
	t.ok_hello.proto_version = 12;
	t.ok_hello.major = 1;
	t.ok_hello.minor = 14;
	t.ok_hello.revision = 1;
	len = build(VD_OK_HELLO, &t, &buf, &m);
	assert_int_equal(len, ZTDP_OK_HELLO_FIXED_LEN);
	free(buf);

	t.ok_hello.has_addr = true;
	ztdp_inetaddr_set_v4(&t.ok_hello.addr, 0x0a630003, 9993);
	t.ok_hello.has_worlds = true;	/* length 0: no update */
	len = build(VD_OK_HELLO, &t, &buf, &m);
	assert_int_equal(len, ZTDP_OK_HELLO_FIXED_LEN + 7 + 2);
	assert_true(m.ok_hello.has_worlds);
	assert_int_equal(m.ok_hello.worlds_len, 0);
	assert_int_equal(ztdp_inetaddr_v4(&m.ok_hello.addr), 0x0a630003);
	free(buf);

	t.ok_hello.worlds = worlds;
	t.ok_hello.worlds_len = sizeof(worlds);
	len = build(VD_OK_HELLO, &t, &buf, &m);
	assert_int_equal(m.ok_hello.worlds_len, sizeof(worlds));
	assert_memory_equal(m.ok_hello.worlds, worlds, sizeof(worlds));
	/* World length past the end. */
	buf[ZTDP_OK_HELLO_FIXED_LEN + 7 + 1]++;
	expect_decode_error(VD_OK_HELLO, buf, len, ZTDP_VERBS_ETRUNC);
	free(buf);
}

/* ---- OK / ERROR envelopes ---------------------------------------------------- */

static void test_ok_envelope(void **state)
{
	static const uint8_t body[5] = { 1, 2, 3, 4, 5 };
	union vd_msg t, m;
	uint8_t *buf;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.ok.in_re_verb = ZTDP_VERB_WHOIS;
	t.ok.in_re_packet_id = 0x0102030405060708ULL;
	assert_int_equal(build(VD_OK, &t, &buf, &m), ZTDP_OK_IDX_PAYLOAD);
	assert_int_equal(m.ok.payload_len, 0);
	free(buf);
	t.ok.payload = body;
	t.ok.payload_len = sizeof(body);
	assert_int_equal(build(VD_OK, &t, &buf, &m), ZTDP_OK_IDX_PAYLOAD + 5);
	assert_true(m.ok.in_re_packet_id == 0x0102030405060708ULL);
	assert_memory_equal(m.ok.payload, body, sizeof(body));
	free(buf);
}

static void test_error_codes(void **state)
{
	static const char auth[] = "aV=1\naU=https://sso.example/x";
	union vd_msg t, m;
	uint8_t *buf;
	size_t len;

	(void)state;
	/* No payload. */
	for (uint8_t code = ZTDP_ERROR_INVALID_REQUEST; code <= ZTDP_ERROR_IDENTITY_COLLISION;
	     code++) {
		if (code == ZTDP_ERROR_OBJ_NOT_FOUND)
			continue;
		memset(&t, 0, sizeof(t));
		t.error.in_re_verb = ZTDP_VERB_HELLO;
		t.error.in_re_packet_id = 99;
		t.error.code = code;
		assert_int_equal(build(VD_ERROR, &t, &buf, &m), ZTDP_ERROR_IDX_PAYLOAD);
		assert_false(m.error.has_nwid);
		free(buf);
	}
	/* nwid-only codes. */
	const uint8_t nwid_codes[] = {
		ZTDP_ERROR_OBJ_NOT_FOUND, ZTDP_ERROR_UNSUPPORTED_OPERATION,
		ZTDP_ERROR_NEED_MEMBERSHIP_CERTIFICATE, ZTDP_ERROR_NETWORK_ACCESS_DENIED,
		ZTDP_ERROR_NETWORK_AUTHENTICATION_REQUIRED,
	};
	for (size_t i = 0; i < sizeof(nwid_codes); i++) {
		memset(&t, 0, sizeof(t));
		t.error.in_re_verb = nwid_codes[i] == ZTDP_ERROR_NEED_MEMBERSHIP_CERTIFICATE ?
				     ZTDP_VERB_FRAME : ZTDP_VERB_NETWORK_CONFIG_REQUEST;
		t.error.in_re_packet_id = 0xfeedfacecafebeefULL;
		t.error.code = nwid_codes[i];
		t.error.has_nwid = true;
		t.error.nwid = NWID;
		len = build(VD_ERROR, &t, &buf, &m);
		assert_int_equal(len, ZTDP_ERROR_IDX_PAYLOAD + 8);
		assert_true(m.error.has_nwid && m.error.nwid == NWID);
		assert_false(m.error.has_auth_info);
		/* nwid required here: missing it is malformed. */
		expect_decode_error(VD_ERROR, buf, ZTDP_ERROR_IDX_PAYLOAD, ZTDP_VERBS_ETRUNC);
		free(buf);
		t.error.has_nwid = false;
		{
			uint8_t out[64];
			struct ztdp_wr w;

			ztdp_wr_init(&w, out, sizeof(out));
			assert_int_equal(ztdp_error_encode(&w, &t.error), ZTDP_VERBS_EINVAL);
		}
	}
	assert_true(ztdp_error_is_network_scoped(ZTDP_ERROR_NETWORK_ACCESS_DENIED));
	assert_false(ztdp_error_is_network_scoped(ZTDP_ERROR_NEED_MEMBERSHIP_CERTIFICATE));
	assert_false(ztdp_error_is_network_scoped(ZTDP_ERROR_UNWANTED_MULTICAST));

	/* OBJ_NOT_FOUND for a WHOIS: no nwid needed. */
	memset(&t, 0, sizeof(t));
	t.error.in_re_verb = ZTDP_VERB_WHOIS;
	t.error.code = ZTDP_ERROR_OBJ_NOT_FOUND;
	assert_int_equal(build(VD_ERROR, &t, &buf, &m), ZTDP_ERROR_IDX_PAYLOAD);
	free(buf);

	/* UNWANTED_MULTICAST: nwid, MAC, ADI. */
	memset(&t, 0, sizeof(t));
	t.error.in_re_verb = ZTDP_VERB_MULTICAST_FRAME;
	t.error.code = ZTDP_ERROR_UNWANTED_MULTICAST;
	t.error.has_nwid = true;
	t.error.nwid = NWID;
	t.error.group = ztdp_mcast_group_arp(0x0a93210b);
	assert_int_equal(build(VD_ERROR, &t, &buf, &m), ZTDP_ERROR_IDX_PAYLOAD + 18);
	assert_true(m.error.group.mac == ZTDP_MAC_BROADCAST);
	assert_int_equal(m.error.group.adi, 0x0a93210b);
	free(buf);

	/* NETWORK_AUTHENTICATION_REQUIRED with the SSO dictionary. */
	memset(&t, 0, sizeof(t));
	t.error.in_re_verb = ZTDP_VERB_NETWORK_CONFIG_REQUEST;
	t.error.code = ZTDP_ERROR_NETWORK_AUTHENTICATION_REQUIRED;
	t.error.has_nwid = true;
	t.error.nwid = NWID;
	t.error.has_auth_info = true;
	t.error.auth_info = (const uint8_t *)auth;
	t.error.auth_info_len = (uint16_t)strlen(auth);
	len = build(VD_ERROR, &t, &buf, &m);
	assert_int_equal(len, ZTDP_ERROR_IDX_PAYLOAD + 8 + 2 + strlen(auth));
	assert_true(m.error.has_auth_info);
	assert_memory_equal(m.error.auth_info, auth, strlen(auth));
	{
		struct ztdp_dict d;
		uint64_t v = 0;

		assert_int_equal(ztdp_dict_init(&d, m.error.auth_info,
						m.error.auth_info_len), 0);
		assert_int_equal(ztdp_dict_get_u64(&d, "aV", &v), 0);
		assert_true(v == 1);
	}
	/* Dictionary length past the end. */
	buf[ZTDP_ERROR_IDX_PAYLOAD + 9]++;
	expect_decode_error(VD_ERROR, buf, len, ZTDP_VERBS_ETRUNC);
	free(buf);
}

/* ---- WHOIS / OK(WHOIS) / RENDEZVOUS ---------------------------------------------- */

static void test_whois(void **state)
{
	const uint64_t addrs[3] = { 0x31a462e3d2ULL, 0xdec87a28aaULL, 0xffffffffffULL };
	union vd_msg t, m;
	uint8_t *buf;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(build(VD_WHOIS, &t, &buf, &m), 0);
	free(buf);
	t.whois.count = 3;
	t.whois.addrs = addrs;
	assert_int_equal(build(VD_WHOIS, &t, &buf, &m), 15);
	for (unsigned int i = 0; i < 3; i++)
		assert_true(ztdp_whois_address(&m.whois, i) == addrs[i]);
	assert_true(ztdp_whois_address(&m.whois, 3) == 0);
	expect_decode_error(VD_WHOIS, buf, 7, ZTDP_VERBS_ETRUNC);
	free(buf);
	{
		const uint64_t too_big = 1ULL << 40;
		uint8_t out[8];
		struct ztdp_wr w;

		t.whois.count = 1;
		t.whois.addrs = &too_big;
		ztdp_wr_init(&w, out, sizeof(out));
		assert_int_equal(ztdp_whois_encode(&w, &t.whois), ZTDP_VERBS_EINVAL);
	}
}

static void test_ok_whois(void **state)
{
	struct ztdp_identity ids[2], got;
	union vd_msg t, m;
	uint8_t *buf;
	size_t len;

	(void)state;
	load_test_identity();
	ids[0] = test_id;
	ids[1] = test_id;
	ids[1].address = 0x0102030405ULL;	/* not self-consistent: codec only */
	memset(&t, 0, sizeof(t));
	t.ok_whois.count = 2;
	t.ok_whois.ids = ids;
	len = build(VD_OK_WHOIS, &t, &buf, &m);
	assert_int_equal(len, 2 * ZTDP_IDENTITY_PUBLIC_BIN_LEN);
	assert_int_equal(m.ok_whois.count, 2);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(ztdp_ok_whois_identity(&m.ok_whois, i, &got), 0);
		assert_true(got.address == ids[i].address);
		assert_false(got.has_private);
		assert_memory_equal(got.pub, ids[i].pub, ZTDP_C25519_PUBLIC_LEN);
	}
	assert_int_equal(ztdp_ok_whois_identity(&m.ok_whois, 2, &got), ZTDP_VERBS_EINVAL);
	/* A bad identity type anywhere fails the whole reply. */
	buf[ZTDP_IDENTITY_PUBLIC_BIN_LEN + 5] = 9;
	expect_decode_error(VD_OK_WHOIS, buf, len, ZTDP_VERBS_ECRED);
	free(buf);
}

static void test_rendezvous(void **state)
{
	const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x42 };
	union vd_msg t, m;
	uint8_t *buf;
	size_t len;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.rendezvous.with = 0x3285290482ULL;
	ztdp_inetaddr_set_v4(&t.rendezvous.addr, 0x0a630003, 9993);
	assert_int_equal(build(VD_RENDEZVOUS, &t, &buf, &m), ZTDP_RENDEZVOUS_FIXED_LEN + 4);
	assert_true(m.rendezvous.with == 0x3285290482ULL);
	assert_int_equal(ztdp_inetaddr_v4(&m.rendezvous.addr), 0x0a630003);
	assert_int_equal(m.rendezvous.addr.port, 9993);
	free(buf);
	ztdp_inetaddr_set_v6(&t.rendezvous.addr, ip6, 0);
	len = build(VD_RENDEZVOUS, &t, &buf, &m);
	assert_int_equal(len, ZTDP_RENDEZVOUS_FIXED_LEN + 16);
	assert_memory_equal(m.rendezvous.addr.ip, ip6, 16);
	/* Address length other than 4 or 16. */
	buf[8] = 6;
	expect_decode_error(VD_RENDEZVOUS, buf, len, ZTDP_VERBS_EINVAL);
	free(buf);
	t.rendezvous.addr.family = 0;
	{
		uint8_t out[32];
		struct ztdp_wr w;

		ztdp_wr_init(&w, out, sizeof(out));
		assert_int_equal(ztdp_rendezvous_encode(&w, &t.rendezvous), ZTDP_VERBS_EINVAL);
	}
}

/* ---- Frames ------------------------------------------------------------------------ */

static void test_frame(void **state)
{
	uint8_t data[1500];
	union vd_msg t, m;
	uint8_t *buf;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	memset(&t, 0, sizeof(t));
	t.frame.nwid = NWID;
	t.frame.ethertype = 0x0800;
	assert_int_equal(build(VD_FRAME, &t, &buf, &m), ZTDP_FRAME_IDX_DATA);
	assert_int_equal(m.frame.data_len, 0);
	free(buf);
	t.frame.data = data;
	t.frame.data_len = 98;
	assert_int_equal(build(VD_FRAME, &t, &buf, &m), ZTDP_FRAME_IDX_DATA + 98);
	assert_true(m.frame.nwid == NWID);
	assert_int_equal(m.frame.ethertype, 0x0800);
	/* Zero-copy: the data pointer is into the payload. */
	assert_ptr_equal(m.frame.data, buf + ZTDP_FRAME_IDX_DATA);
	free(buf);
	{
		uint8_t out[16];
		struct ztdp_wr w;

		ztdp_wr_init(&w, out, sizeof(out));
		assert_int_equal(ztdp_frame_encode_header(&w, &t.frame), 0);
		assert_int_equal(w.off, ZTDP_FRAME_IDX_DATA);
	}
}

static void test_ext_frame(void **state)
{
	const uint8_t flag_set[] = { 0x00, ZTDP_EXT_FRAME_FLAG_ACK,
		ZTDP_EXT_FRAME_FLAGS_TEE_OUT, ZTDP_EXT_FRAME_FLAGS_REDIRECT_OUT,
		ZTDP_EXT_FRAME_FLAGS_WATCH_OUT, ZTDP_EXT_FRAME_FLAGS_TEE_IN,
		ZTDP_EXT_FRAME_FLAGS_REDIRECT_IN, ZTDP_EXT_FRAME_FLAGS_WATCH_IN,
		ZTDP_EXT_FRAME_FLAG_COM, ZTDP_EXT_FRAME_FLAG_COM | ZTDP_EXT_FRAME_FLAG_ACK };
	const unsigned int subtype[] = { 0, 0, 1, 2, 3, 4, 5, 6, 0, 0 };
	uint8_t data[300], com[400];
	struct ztdp_com c;
	size_t com_len = make_com(com, sizeof(com), &c);
	union vd_msg t, m;
	uint8_t *buf;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(255 - i);
	for (size_t i = 0; i < sizeof(flag_set); i++) {
		memset(&t, 0, sizeof(t));
		t.ext_frame.nwid = NWID;
		t.ext_frame.flags = flag_set[i];
		if (flag_set[i] & ZTDP_EXT_FRAME_FLAG_COM) {
			t.ext_frame.com = com;
			t.ext_frame.com_len = com_len;
		}
		t.ext_frame.dst_mac = ztdp_mac_from_address(0x3285290482ULL, NWID);
		t.ext_frame.src_mac = 0x021a00000031ULL;	/* bridged host */
		t.ext_frame.ethertype = 0x0806;
		t.ext_frame.data = data;
		t.ext_frame.data_len = 28 + i;
		len = build(VD_EXT_FRAME, &t, &buf, &m);
		assert_int_equal(len, 9 + (flag_set[i] & 1 ? com_len : 0) + 14 + 28 + i);
		assert_int_equal(ztdp_ext_frame_subtype(m.ext_frame.flags), subtype[i]);
		assert_true(m.ext_frame.src_mac == 0x021a00000031ULL);
		assert_false(ztdp_mac_is_zerotier(m.ext_frame.src_mac, NWID));
		assert_true(ztdp_mac_is_zerotier(m.ext_frame.dst_mac, NWID));
		if (flag_set[i] & ZTDP_EXT_FRAME_FLAG_COM) {
			struct ztdp_com got;
			struct ztdp_rd r;

			assert_int_equal(m.ext_frame.com_len, com_len);
			ztdp_rd_init(&r, m.ext_frame.com, m.ext_frame.com_len);
			assert_int_equal(ztdp_com_decode(&r, &got), 0);
			assert_true(ztdp_com_verify(&got, &test_id));
			/* A COM with more qualifiers than allowed. */
			buf[10] = 0x40;
			expect_decode_error(VD_EXT_FRAME, buf, len, ZTDP_VERBS_ECRED);
			buf[10] = 0;
			/* A COM cut short by the end of the payload. */
			expect_decode_error(VD_EXT_FRAME, buf, 9 + com_len - 1,
					    ZTDP_VERBS_ETRUNC);
		}
		free(buf);
	}
	/* COM flag without a COM to write. */
	{
		uint8_t out[64];
		struct ztdp_wr w;

		t.ext_frame.flags = ZTDP_EXT_FRAME_FLAG_COM;
		t.ext_frame.com = NULL;
		ztdp_wr_init(&w, out, sizeof(out));
		assert_int_equal(ztdp_ext_frame_encode(&w, &t.ext_frame), ZTDP_VERBS_EINVAL);
		t.ext_frame.flags = 0;
		t.ext_frame.src_mac = 1ULL << 48;
		ztdp_wr_init(&w, out, sizeof(out));
		assert_int_equal(ztdp_ext_frame_encode(&w, &t.ext_frame), ZTDP_VERBS_EINVAL);
	}
	/* COM flag set but the bytes are not a COM (type byte 0x02). */
	{
		uint8_t bad[9 + 20];

		memset(bad, 0, sizeof(bad));
		bad[8] = ZTDP_EXT_FRAME_FLAG_COM;
		bad[9] = 0x02;
		expect_decode_error(VD_EXT_FRAME, bad, sizeof(bad), ZTDP_VERBS_ECRED);
	}

	/* OK(EXT_FRAME): the nwid. */
	memset(&t, 0, sizeof(t));
	t.ok_ext_frame.nwid = NWID;
	assert_int_equal(build(VD_OK_EXT_FRAME, &t, &buf, &m), 8);
	assert_true(m.ok_ext_frame.nwid == NWID);
	free(buf);
}

/* ---- ECHO, config push OK, USER_MESSAGE ---------------------------------------------- */

static void test_echo_and_small(void **state)
{
	static const uint8_t blob[33] = { 9, 8, 7 };
	union vd_msg t, m;
	uint8_t *buf;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(build(VD_ECHO, &t, &buf, &m), 0);	/* keepalive */
	free(buf);
	t.echo.data = blob;
	t.echo.len = sizeof(blob);
	assert_int_equal(build(VD_ECHO, &t, &buf, &m), sizeof(blob));
	free(buf);

	memset(&t, 0, sizeof(t));
	t.ok_config_push.nwid = NWID;
	t.ok_config_push.update_id = 0x8877665544332211ULL;
	assert_int_equal(build(VD_OK_CONFIG_PUSH, &t, &buf, &m), ZTDP_OK_CONFIG_PUSH_LEN);
	assert_true(m.ok_config_push.update_id == 0x8877665544332211ULL);
	free(buf);
	{
		int alt;

		assert_int_equal(vd_kind_for_ok(ZTDP_OK_CONFIG_PUSH_IN_RE_VERB, 16, &alt),
				 VD_ECHO);
		assert_int_equal(alt, VD_OK_CONFIG_PUSH);
	}

	memset(&t, 0, sizeof(t));
	t.user_message.type = ZTDP_USER_MESSAGE_RESERVED_MAX + 1;
	assert_int_equal(build(VD_USER_MESSAGE, &t, &buf, &m), 8);
	free(buf);
	t.user_message.data = blob;
	t.user_message.len = 5;
	assert_int_equal(build(VD_USER_MESSAGE, &t, &buf, &m), 13);
	assert_true(m.user_message.type == 65536);
	assert_memory_equal(m.user_message.data, blob, 5);
	free(buf);
}

/* ---- Multicast --------------------------------------------------------------------------- */

static void test_multicast_like(void **state)
{
	struct ztdp_multicast_like_rec recs[4], got;
	const uint8_t ip6[16] = { 0xfd, [13] = 0xaa, [14] = 0xbb, [15] = 0xcc };
	union vd_msg t, m;
	uint8_t *buf;

	(void)state;
	recs[0].nwid = NWID;
	recs[0].group = ztdp_mcast_group_broadcast();
	recs[1].nwid = NWID;
	recs[1].group = ztdp_mcast_group_arp(0x0a93210c);
	recs[2].nwid = NWID + 1;
	recs[2].group = ztdp_mcast_group_ndp(ip6);
	recs[3].nwid = 0;
	recs[3].group.mac = 0x010203040506ULL;
	recs[3].group.adi = 0xffffffff;
	memset(&t, 0, sizeof(t));
	assert_int_equal(build(VD_MULTICAST_LIKE, &t, &buf, &m), 0);
	free(buf);
	t.multicast_like.count = 4;
	t.multicast_like.recs = recs;
	assert_int_equal(build(VD_MULTICAST_LIKE, &t, &buf, &m), 4 * ZTDP_MC_LIKE_REC_LEN);
	for (unsigned int i = 0; i < 4; i++) {
		ztdp_multicast_like_get(&m.multicast_like, i, &got);
		assert_true(got.nwid == recs[i].nwid);
		assert_true(got.group.mac == recs[i].group.mac);
		assert_int_equal(got.group.adi, recs[i].group.adi);
	}
	/* A partial record. */
	expect_decode_error(VD_MULTICAST_LIKE, buf, 20, ZTDP_VERBS_ETRUNC);
	free(buf);
}

static void test_multicast_gather(void **state)
{
	const uint64_t addrs[3] = { 0x31a462e3d2ULL, 0xdec87a28aaULL, 0x3285290482ULL };
	uint8_t com[400];
	struct ztdp_com c;
	size_t com_len = make_com(com, sizeof(com), &c);
	union vd_msg t, m;
	uint8_t *buf;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.multicast_gather.nwid = NWID;
	t.multicast_gather.group = ztdp_mcast_group_arp(0x0a93210b);
	t.multicast_gather.limit = 32;
	assert_int_equal(build(VD_MULTICAST_GATHER, &t, &buf, &m), ZTDP_MC_GATHER_FIXED_LEN);
	assert_int_equal(m.multicast_gather.limit, 32);
	free(buf);
	t.multicast_gather.flags = ZTDP_MC_GATHER_FLAG_COM;
	t.multicast_gather.com = com;
	t.multicast_gather.com_len = com_len;
	assert_int_equal(build(VD_MULTICAST_GATHER, &t, &buf, &m),
			 ZTDP_MC_GATHER_FIXED_LEN + com_len);
	assert_memory_equal(m.multicast_gather.com, com, com_len);
	free(buf);

	memset(&t, 0, sizeof(t));
	t.ok_multicast_gather.nwid = NWID;
	t.ok_multicast_gather.group = ztdp_mcast_group_broadcast();
	t.ok_multicast_gather.res.total_known = 7;
	assert_int_equal(build(VD_OK_MULTICAST_GATHER, &t, &buf, &m), 8 + 10 + 6);
	free(buf);
	t.ok_multicast_gather.res.count = 3;
	t.ok_multicast_gather.res.addrs = addrs;
	assert_int_equal(build(VD_OK_MULTICAST_GATHER, &t, &buf, &m), 8 + 10 + 6 + 15);
	assert_int_equal(m.ok_multicast_gather.res.total_known, 7);
	for (unsigned int i = 0; i < 3; i++)
		assert_true(ztdp_gather_results_address(&m.ok_multicast_gather.res, i) ==
			    addrs[i]);
	free(buf);
}

static void test_multicast_frame(void **state)
{
	const uint64_t addrs[2] = { 0xdec87a28aaULL, 0x3285290482ULL };
	uint8_t data[64], com[400];
	struct ztdp_com c;
	size_t com_len = make_com(com, sizeof(com), &c);
	union vd_msg t, m;
	uint8_t *buf;
	size_t len;

	(void)state;
	memset(data, 0x5a, sizeof(data));
	/* Every combination of the four flags. */
	for (unsigned int flags = 0; flags < 16; flags++) {
		size_t want = 9 + 6 + 4 + 2 + 42;

		memset(&t, 0, sizeof(t));
		t.multicast_frame.nwid = NWID;
		t.multicast_frame.flags = (uint8_t)flags;
		if (flags & ZTDP_MC_FRAME_FLAG_COM) {
			t.multicast_frame.com = com;
			t.multicast_frame.com_len = com_len;
			want += com_len;
		}
		if (flags & ZTDP_MC_FRAME_FLAG_GATHER_LIMIT) {
			t.multicast_frame.gather_limit = 32;
			want += 4;
		}
		if (flags & ZTDP_MC_FRAME_FLAG_SOURCE_MAC) {
			t.multicast_frame.src_mac = 0x021a00000031ULL;
			want += 6;
		}
		t.multicast_frame.group = ztdp_mcast_group_arp(0x0a93210c);
		t.multicast_frame.ethertype = 0x0806;
		t.multicast_frame.data = data;
		t.multicast_frame.data_len = 42;
		len = build(VD_MULTICAST_FRAME, &t, &buf, &m);
		assert_int_equal(len, want);
		assert_int_equal(m.multicast_frame.flags, flags);
		assert_int_equal(m.multicast_frame.gather_limit,
				 flags & ZTDP_MC_FRAME_FLAG_GATHER_LIMIT ? 32 : 0);
		assert_true(m.multicast_frame.src_mac ==
			    (flags & ZTDP_MC_FRAME_FLAG_SOURCE_MAC ? 0x021a00000031ULL : 0));
		assert_true(m.multicast_frame.group.mac == ZTDP_MAC_BROADCAST);
		assert_int_equal(m.multicast_frame.data_len, 42);
		free(buf);
	}

	/* OK(MULTICAST_FRAME): results, COM + results, COM only, neither. */
	for (unsigned int flags = 0; flags < 4; flags++) {
		size_t want = 8 + 10 + 1;

		memset(&t, 0, sizeof(t));
		t.ok_multicast_frame.nwid = NWID;
		t.ok_multicast_frame.group = ztdp_mcast_group_arp(0x0a93210c);
		t.ok_multicast_frame.flags = (uint8_t)flags;
		if (flags & ZTDP_MC_FRAME_OK_FLAG_COM) {
			t.ok_multicast_frame.com = com;
			t.ok_multicast_frame.com_len = com_len;
			want += com_len;
		}
		if (flags & ZTDP_MC_FRAME_OK_FLAG_GATHER) {
			t.ok_multicast_frame.res.total_known = 2;
			t.ok_multicast_frame.res.count = 2;
			t.ok_multicast_frame.res.addrs = addrs;
			want += 6 + 10;
		}
		assert_int_equal(build(VD_OK_MULTICAST_FRAME, &t, &buf, &m), want);
		if (flags & ZTDP_MC_FRAME_OK_FLAG_GATHER)
			assert_true(ztdp_gather_results_address(&m.ok_multicast_frame.res, 1) ==
				    addrs[1]);
		free(buf);
	}
}

/* ---- PUSH_DIRECT_PATHS ------------------------------------------------------------------ */

static void test_push_direct_paths(void **state)
{
	static const uint8_t ext[3] = { 0xe1, 0xe2, 0xe3 };
	static const uint8_t odd_addr[7] = { 1, 2, 3, 4, 5, 6, 7 };
	const uint8_t ip6[16] = { 0xfd, 0x7a, [15] = 0x25 };
	struct ztdp_push_path paths[4], got;
	union vd_msg t, m;
	struct ztdp_rd it;
	uint8_t *buf;
	size_t len;
	int n = 0, rc;

	(void)state;
	memset(paths, 0, sizeof(paths));
	ztdp_inetaddr_set_v4(&paths[0].addr, 0x0a630002, 9993);
	ztdp_inetaddr_set_v4(&paths[1].addr, 0x0a630002, 9993);	/* duplicate, as 1.14.1 */
	paths[2].flags = ZTDP_PUSH_PATH_FLAG_CLUSTER_REDIRECT;
	paths[2].ext = ext;
	paths[2].ext_len = sizeof(ext);
	ztdp_inetaddr_set_v6(&paths[2].addr, ip6, 12345);
	paths[3].addr_type = 9;		/* unknown: skipped by receivers */
	paths[3].addr_len = sizeof(odd_addr);
	paths[3].addr_raw = odd_addr;

	memset(&t, 0, sizeof(t));
	assert_int_equal(build(VD_PUSH_DIRECT_PATHS, &t, &buf, &m), 2);
	free(buf);
	t.push_direct_paths.count = 4;
	t.push_direct_paths.paths = paths;
	len = build(VD_PUSH_DIRECT_PATHS, &t, &buf, &m);
	assert_int_equal(len, 2 + (5 + 6) * 2 + (5 + 3 + 18) + (5 + 7));
	assert_int_equal(m.push_direct_paths.count, 4);
	ztdp_rd_init(&it, m.push_direct_paths.raw, m.push_direct_paths.raw_len);
	while ((rc = ztdp_push_direct_paths_next(&it, &got)) == 1) {
		if (n < 3) {
			assert_true(ztdp_inetaddr_equal(&got.addr, &paths[n].addr));
		} else {
			assert_int_equal(got.addr.family, 0);
			assert_int_equal(got.addr_type, 9);
			assert_memory_equal(got.addr_raw, odd_addr, sizeof(odd_addr));
		}
		assert_int_equal(got.flags, paths[n].flags);
		assert_int_equal(got.ext_len, paths[n].ext_len);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 4);
	/* Fewer records than the count says. */
	buf[1] = 5;
	expect_decode_error(VD_PUSH_DIRECT_PATHS, buf, len, ZTDP_VERBS_ETRUNC);
	/* IPv4 with an address length that would eat into the next record. */
	buf[1] = 4;
	buf[2 + 4] = 5;
	expect_decode_error(VD_PUSH_DIRECT_PATHS, buf, len, ZTDP_VERBS_EINVAL);
	free(buf);
}

/* ---- NETWORK_CREDENTIALS, NETWORK_CONFIG_REQUEST ---------------------------------------- */

static void test_network_credentials(void **state)
{
	struct ztdp_com coms[2];
	struct ztdp_tag tag;
	struct ztdp_coo coo;
	struct ztdp_revocation rev;
	struct ztdp_capability *cap = calloc(1, sizeof(*cap));
	uint8_t com_bytes[400], *buf = malloc(BUF_LEN);
	const uint8_t ip4[4] = { 10, 147, 17, 11 };
	union vd_msg m;
	struct ztdp_wr w;
	size_t len;

	(void)state;
	assert_true(cap && buf);
	make_com(com_bytes, sizeof(com_bytes), &coms[0]);
	coms[1] = coms[0];
	memset(&tag, 0, sizeof(tag));
	tag.nwid = NWID;
	tag.timestamp = 1700000000000ULL;
	tag.id = 1000;
	tag.value = 42;
	tag.issued_to = test_id.address;
	assert_int_equal(ztdp_tag_sign(&tag, &test_id), 0);
	memset(&coo, 0, sizeof(coo));
	coo.nwid = NWID;
	coo.timestamp = 1700000000000ULL;
	coo.id = 7;
	coo.issued_to = test_id.address;
	assert_int_equal(ztdp_coo_add_thing(&coo, ZTDP_COO_THING_IPV4, ip4, 4), 0);
	assert_int_equal(ztdp_coo_sign(&coo, &test_id), 0);
	memset(&rev, 0, sizeof(rev));
	rev.id = 3;
	rev.nwid = NWID;
	rev.threshold = 1700000000000LL;
	rev.target = 0x0102030405ULL;
	rev.credential_type = ZTDP_CRED_TYPE_COM;
	assert_int_equal(ztdp_revocation_sign(&rev, &test_id), 0);
	cap->nwid = NWID;
	cap->ts = 1700000000000ULL;
	cap->id = 11;
	cap->max_custody = 1;
	assert_int_equal(ztdp_capability_sign(cap, &test_id, 0x0102030405ULL), 0);

	/* Everything, as 1.14.1 sends it (all four counts). */
	ztdp_wr_init(&w, buf, BUF_LEN);
	assert_int_equal(ztdp_network_credentials_build(&w, coms, 2, cap, 1, &tag, 1,
							&rev, 1, &coo, 1), 0);
	len = w.off;
	check_codec(VD_NETWORK_CREDENTIALS, buf, len, &m);
	assert_int_equal(m.network_credentials.com_count, 2);
	assert_true(m.network_credentials.has_caps && m.network_credentials.has_tags &&
		    m.network_credentials.has_revocations && m.network_credentials.has_coos);
	assert_int_equal(m.network_credentials.cap_count, 1);
	assert_int_equal(m.network_credentials.tag_count, 1);
	assert_int_equal(m.network_credentials.revocation_count, 1);
	assert_int_equal(m.network_credentials.coo_count, 1);
	{
		struct ztdp_rd r;
		struct ztdp_com c;
		struct ztdp_coo co;

		ztdp_rd_init(&r, m.network_credentials.coms, m.network_credentials.coms_len);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(ztdp_com_decode(&r, &c), 0);
			assert_true(ztdp_com_verify(&c, &test_id));
		}
		assert_int_equal(ztdp_rd_left(&r), 0);
		ztdp_rd_init(&r, m.network_credentials.coos, m.network_credentials.coos_len);
		assert_int_equal(ztdp_coo_decode(&r, &co), 0);
		assert_true(ztdp_coo_verify(&co, &test_id));
	}

	/* Older senders: COM and terminator only; COMs only, no terminator;
	 * nothing at all; only a COO section after empty ones. */
	ztdp_wr_init(&w, buf, BUF_LEN);
	assert_int_equal(ztdp_com_encode(&w, &coms[0]), 0);
	len = w.off;
	expect_decode_error(VD_NETWORK_CREDENTIALS, buf, len, 0);
	ztdp_wr_u8(&w, 0);
	check_codec(VD_NETWORK_CREDENTIALS, buf, w.off, &m);
	assert_int_equal(m.network_credentials.com_count, 1);
	assert_false(m.network_credentials.has_caps);
	expect_decode_error(VD_NETWORK_CREDENTIALS, buf, 0, 0);

	ztdp_wr_init(&w, buf, BUF_LEN);
	assert_int_equal(ztdp_network_credentials_build(&w, NULL, 0, NULL, 0, NULL, 0,
							NULL, 0, &coo, 1), 0);
	check_codec(VD_NETWORK_CREDENTIALS, buf, w.off, &m);
	assert_int_equal(m.network_credentials.com_count, 0);
	assert_int_equal(m.network_credentials.coo_count, 1);
	/* A count that promises more than is there. */
	buf[1 + 2 + 2 + 1]++;	/* revocation count 0 -> 1 */
	expect_decode_error(VD_NETWORK_CREDENTIALS, buf, w.off, ZTDP_VERBS_ECRED);

	free(buf);
	free(cap);
}

static void test_netconf_request(void **state)
{
	static const char meta[] = "a=token:xyz\nv=7\npv=c\nmajv=1\nminv=e\nrevv=1";
	union vd_msg t, m;
	uint8_t *buf;
	size_t len;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.netconf_request.nwid = NWID;
	assert_int_equal(build(VD_NETCONF_REQUEST, &t, &buf, &m), 8);
	assert_false(m.netconf_request.has_meta);
	free(buf);
	t.netconf_request.has_meta = true;
	t.netconf_request.meta = (const uint8_t *)meta;
	t.netconf_request.meta_len = (uint16_t)strlen(meta);
	assert_int_equal(build(VD_NETCONF_REQUEST, &t, &buf, &m), 10 + strlen(meta));
	free(buf);
	t.netconf_request.has_revision = true;
	t.netconf_request.revision = 4;
	t.netconf_request.timestamp = 1795309425899ULL;
	len = build(VD_NETCONF_REQUEST, &t, &buf, &m);
	assert_int_equal(len, 26 + strlen(meta));
	assert_true(m.netconf_request.revision == 4);
	assert_memory_equal(m.netconf_request.meta, meta, strlen(meta));
	free(buf);
	/* No metadata but revision/timestamp: an empty dictionary goes first. */
	t.netconf_request.has_meta = false;
	assert_int_equal(build(VD_NETCONF_REQUEST, &t, &buf, &m), 26);
	assert_true(m.netconf_request.has_meta);
	assert_int_equal(m.netconf_request.meta_len, 0);
	free(buf);
}

/* ---- Real traffic ----------------------------------------------------------------------- */

struct cap_ctx {
	const struct vc_nodes *nodes;
	uint64_t nwid;
	uint8_t *out;
	struct ztdp_netconf_asm asm_;
	unsigned int kinds[VD_COUNT];
	unsigned int ok_in_re[32], errors[16];
	unsigned int configs, chunks, config_push_oks, echo_oks;
	unsigned int foreign_src_ext_frames, mc_frames_06, mc_frames_02;
	unsigned int moons_sent, worlds_received, hellos_with_dest;
	unsigned int coms_verified, coos_verified;
	unsigned int paths;
	/* Section 3.3: replies name the post-armor packet ID of the request. */
	struct { uint64_t id; int src, dst; uint8_t verb; } sent[2048];
	unsigned int nsent, in_re_matched, in_re_unmatched, in_re_quirk;
	/* Section 14: suites of HELLO and of the first OK(HELLO) per pair. */
	unsigned int hello_suite[8], first_ok_hello_suite[8];
	bool ok_hello_seen[VC_NODES][VC_NODES];
	/* version_known[x][y]: x has learnt y's version (it answered a HELLO
	 * of y's or got an OK(HELLO) from y). */
	bool version_known[VC_NODES][VC_NODES];
	unsigned int ok_hello_suite_as_expected, ok_hello_suite_other;
	uint64_t last_ok_hello_id;
	unsigned int chunk_pkts_compressed, chunk_pkts_fragmented;
};

/* Find the request a reply (from vp->src to vp->dst) answers. */
static void cap_match_in_re(struct cap_ctx *c, const struct vc_packet *vp,
			    uint8_t in_re_verb, uint64_t in_re_id)
{
	for (unsigned int i = c->nsent; i-- > 0;) {
		if (c->sent[i].id != in_re_id || c->sent[i].src != vp->dst ||
		    c->sent[i].dst != vp->src)
			continue;
		if (c->sent[i].verb == in_re_verb) {
			c->in_re_matched++;
		} else if (in_re_verb == ZTDP_OK_CONFIG_PUSH_IN_RE_VERB &&
			   c->sent[i].verb == ZTDP_VERB_NETWORK_CONFIG) {
			c->in_re_quirk++;	/* section 6.11, 14 */
		} else {
			fail_msg("record %u: reply in re verb %#x to a packet of verb %#x",
				 vp->record, in_re_verb, c->sent[i].verb);
		}
		return;
	}
	c->in_re_unmatched++;
}

/* With ZTDP_VERBS_SEED_DIR set, the first few payloads of each kind (from
 * the captures, and the hand-built ones of the round-trip tests) are
 * written there as fuzz_verbs seeds (selector byte, payload): how
 * tests/fuzz/corpus/fuzz_verbs was made. */
static void dump_seed(enum vd_kind k, const uint8_t *p, size_t len, bool real)
{
	static unsigned int dumped[2][VD_COUNT];
	const char *dir = getenv("ZTDP_VERBS_SEED_DIR");
	char path[4096];
	uint8_t sel = (uint8_t)k;
	FILE *f;

	if (dir == NULL || dumped[real][k] >= (real ? 3u : 2u))
		return;
	snprintf(path, sizeof(path), "%s/%s-%02d-%s-%u", dir, real ? "real" : "made",
		 (int)k, vd_name(k), dumped[real][k]++);
	for (char *q = path + strlen(dir) + 1; *q; q++)
		if (*q == '(' || *q == ')' || *q == ' ')
			*q = '_';
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(&sel, 1, 1, f), 1);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
}

/* Decode p as kind k, re-encode, demand the same bytes. */
static void cap_roundtrip(struct cap_ctx *c, const struct vc_packet *vp,
			  enum vd_kind k, const uint8_t *p, size_t len,
			  union vd_msg *m)
{
	struct ztdp_wr w;
	int rc = vd_decode(k, p, len, m);

	dump_seed(k, p, len, true);
	if (rc != 0)
		fail_msg("record %u: %s of %zu bytes does not decode: %s (%d)",
			 vp->record, vd_name(k), len, ztdp_verbs_strerror(rc), rc);
	ztdp_wr_init(&w, c->out, BUF_LEN);
	rc = vd_encode(k, &w, m);
	if (rc != 0)
		fail_msg("record %u: %s does not re-encode (%d)", vp->record, vd_name(k), rc);
	if (w.off != len || memcmp(c->out, p, len) != 0)
		fail_msg("record %u: %s re-encodes to different bytes (%zu vs %zu)",
			 vp->record, vd_name(k), w.off, len);
	/* Real payloads cut short fail cleanly too (first few of each kind). */
	if (c->kinds[k] < 4)
		check_truncations(k, p, len);
	c->kinds[k]++;
}

static void cap_chunk(struct cap_ctx *c, const struct vc_packet *vp,
		      const struct ztdp_netconf_chunk *ch)
{
	const struct ztdp_identity *ctrl = &c->nodes->id[VC_ROOT];
	const uint8_t *dict;
	size_t dict_len;
	struct ztdp_dict d;
	uint64_t v = 0;
	int rc;

	c->chunks++;
	assert_false(ch->legacy);
	assert_true(ch->nwid == c->nwid);
	if (!ztdp_netconf_chunk_verify(ch, ctrl))
		fail_msg("record %u: config chunk does not verify", vp->record);
	rc = ztdp_netconf_asm_add(&c->asm_, ch, ctrl, false, 0, &dict, &dict_len);
	if (rc != ZTDP_NCASM_COMPLETE)
		fail_msg("record %u: single-chunk config not complete (%d)", vp->record, rc);
	assert_int_equal(dict_len, ch->total_len);
	assert_int_equal(dict[dict_len], 0);
	assert_int_equal(ztdp_dict_init(&d, dict, dict_len), 0);
	assert_int_equal(ztdp_dict_get_u64(&d, "nwid", &v), 0);
	assert_true(v == c->nwid);
	c->configs++;
}

static void cap_packet(void *ctx, const struct vc_packet *vp)
{
	struct cap_ctx *c = ctx;
	const uint8_t *p = vp->pkt + ZTDP_PKT_IDX_PAYLOAD;
	size_t len = vp->len - ZTDP_PKT_IDX_PAYLOAD;
	int k = vd_kind_for_verb(vp->verb);
	union vd_msg m, body;

	if (k < 0)
		fail_msg("record %u: verb %#x has no codec", vp->record, vp->verb);
	if (c->nsent < sizeof(c->sent) / sizeof(c->sent[0])) {
		c->sent[c->nsent].id = vp->wire_id;
		c->sent[c->nsent].src = vp->src;
		c->sent[c->nsent].dst = vp->dst;
		c->sent[c->nsent++].verb = vp->verb;
	}
	cap_roundtrip(c, vp, (enum vd_kind)k, p, len, &m);
	if (k == VD_OK)
		cap_match_in_re(c, vp, m.ok.in_re_verb, m.ok.in_re_packet_id);
	if (k == VD_ERROR)
		cap_match_in_re(c, vp, m.error.in_re_verb, m.error.in_re_packet_id);
	if (k == VD_NETCONF_CHUNK ||
	    (k == VD_OK && m.ok.in_re_verb == ZTDP_VERB_NETWORK_CONFIG_REQUEST)) {
		c->chunk_pkts_compressed += vp->compressed;
		c->chunk_pkts_fragmented += vp->reassembled;
	}
	if (k == VD_HELLO)
		c->hello_suite[vp->cipher & 7]++;
	if (k == VD_OK && m.ok.in_re_verb == ZTDP_VERB_HELLO &&
	    !c->ok_hello_seen[vp->src][vp->dst]) {
		c->ok_hello_seen[vp->src][vp->dst] = true;
		c->first_ok_hello_suite[vp->cipher & 7]++;
	}
	/* 1.14.1 armors OK(HELLO) with AES-GMAC-SIV only once it knows the
	 * requester's version, which it records after replying: so suite 1
	 * for the first HELLO it answers from a peer it has not heard an
	 * OK(HELLO) from, suite 3 afterwards. A relayed copy is the same
	 * event. */
	if (k == VD_OK && m.ok.in_re_verb == ZTDP_VERB_HELLO &&
	    vp->wire_id != c->last_ok_hello_id) {
		unsigned int want = c->version_known[vp->src][vp->dst] ?
				    ZTDP_CIPHER_AES_GMAC_SIV : ZTDP_CIPHER_POLY1305_SALSA2012;

		c->last_ok_hello_id = vp->wire_id;
		if (vp->cipher == want)
			c->ok_hello_suite_as_expected++;
		else
			c->ok_hello_suite_other++;
		c->version_known[vp->src][vp->dst] = true;
		c->version_known[vp->dst][vp->src] = true;
	}

	switch (k) {
	case VD_HELLO: {
		uint8_t tmp[512];
		struct ztdp_wr w;
		size_t crypt_off;

		assert_true(m.hello.identity.address ==
			    c->nodes->id[vp->src].address);
		assert_memory_equal(m.hello.identity.pub, c->nodes->id[vp->src].pub,
				    ZTDP_C25519_PUBLIC_LEN);
		assert_int_equal(m.hello.proto_version, ZTDP_PROTO_VERSION);
		assert_true(m.hello.has_moons);
		c->moons_sent += m.hello.moon_count;
		c->hellos_with_dest += m.hello.dest.family != 0;
		ztdp_wr_init(&w, tmp, sizeof(tmp));
		assert_int_equal(ztdp_hello_encode(&w, &m.hello, &crypt_off), 0);
		assert_int_equal(crypt_off, vp->hello_crypt_off);
		break;
	}
	case VD_OK: {
		int alt, bk = vd_kind_for_ok(m.ok.in_re_verb, m.ok.payload_len, &alt);

		c->ok_in_re[m.ok.in_re_verb & 31]++;
		if (bk < 0)
			fail_msg("record %u: OK in re %#x has no codec", vp->record,
				 m.ok.in_re_verb);
		cap_roundtrip(c, vp, (enum vd_kind)bk, m.ok.payload, m.ok.payload_len, &body);
		if (bk == VD_OK_HELLO && body.ok_hello.worlds_len > 0) {
			struct ztdp_world wd;

			assert_int_equal(ztdp_world_parse(body.ok_hello.worlds,
							  body.ok_hello.worlds_len, &wd), 0);
			c->worlds_received++;
		}
		if (bk == VD_NETCONF_CHUNK)
			cap_chunk(c, vp, &body.netconf_chunk);
		if (bk == VD_ECHO) {
			/* In these captures nobody sent ECHO requests: every OK
			 * in re ECHO is the 1.14.1 answer to a config push. */
			assert_true(alt == VD_OK_CONFIG_PUSH);
			cap_roundtrip(c, vp, VD_OK_CONFIG_PUSH, m.ok.payload,
				      m.ok.payload_len, &body);
			assert_true(body.ok_config_push.nwid == c->nwid);
			c->config_push_oks++;
		}
		vd_clear((enum vd_kind)bk, &body);
		break;
	}
	case VD_ERROR:
		c->errors[m.error.code & 15]++;
		if (m.error.has_nwid)
			assert_true(m.error.nwid == c->nwid);
		break;
	case VD_NETCONF_CHUNK:
		cap_chunk(c, vp, &m.netconf_chunk);
		break;
	case VD_FRAME:
		assert_true(m.frame.nwid == c->nwid);
		break;
	case VD_EXT_FRAME:
		assert_true(m.ext_frame.nwid == c->nwid);
		assert_int_equal(m.ext_frame.flags, 0);
		if (!ztdp_mac_is_zerotier(m.ext_frame.src_mac, c->nwid))
			c->foreign_src_ext_frames++;
		break;
	case VD_MULTICAST_FRAME:
		assert_true(m.multicast_frame.nwid == c->nwid);
		assert_true(ztdp_mac_is_multicast(m.multicast_frame.group.mac));
		if (m.multicast_frame.flags == 0x06) {
			assert_true(m.multicast_frame.src_mac == 0x021a00000031ULL);
			c->mc_frames_06++;
		} else {
			assert_int_equal(m.multicast_frame.flags, 0x02);
			c->mc_frames_02++;
		}
		break;
	case VD_MULTICAST_LIKE:
		for (unsigned int i = 0; i < m.multicast_like.count; i++) {
			struct ztdp_multicast_like_rec r;

			ztdp_multicast_like_get(&m.multicast_like, i, &r);
			assert_true(r.nwid == c->nwid);
		}
		break;
	case VD_NETWORK_CREDENTIALS: {
		const struct ztdp_identity *ctrl = &c->nodes->id[VC_ROOT];
		struct ztdp_rd r;

		ztdp_rd_init(&r, m.network_credentials.coms, m.network_credentials.coms_len);
		for (unsigned int i = 0; i < m.network_credentials.com_count; i++) {
			struct ztdp_com com;

			assert_int_equal(ztdp_com_decode(&r, &com), 0);
			assert_true(ztdp_com_verify(&com, ctrl));
			c->coms_verified++;
		}
		ztdp_rd_init(&r, m.network_credentials.coos, m.network_credentials.coos_len);
		for (unsigned int i = 0; i < m.network_credentials.coo_count; i++) {
			struct ztdp_coo coo;

			assert_int_equal(ztdp_coo_decode(&r, &coo), 0);
			assert_true(ztdp_coo_verify(&coo, ctrl));
			c->coos_verified++;
		}
		break;
	}
	case VD_PUSH_DIRECT_PATHS: {
		struct ztdp_push_path pp;
		struct ztdp_rd it;

		ztdp_rd_init(&it, m.push_direct_paths.raw, m.push_direct_paths.raw_len);
		while (ztdp_push_direct_paths_next(&it, &pp) == 1) {
			assert_int_equal(pp.addr.family, 4);
			assert_int_equal(pp.ext_len, 0);
			c->paths++;
		}
		break;
	}
	default:
		break;
	}
	vd_clear((enum vd_kind)k, &m);
}

static uint64_t read_nwid(const char *rel)
{
	size_t len;
	uint8_t *text = ztdp_test_read_file(ztdp_test_shared_path(rel), &len);
	uint64_t v = strtoull((const char *)text, NULL, 16);

	free(text);
	return v;
}

static bool run_capture(const char *dir, const char *pcap, struct cap_ctx *c,
			struct vc_nodes *nodes, struct vc_stats *st)
{
	char rel[256], nwid_rel[256];

	snprintf(rel, sizeof(rel), "%s/%s", dir, pcap);
	if (!ztdp_test_have_shared(rel))
		return false;
	if (!vc_nodes_load(nodes, strcmp(dir, "interop/data") == 0 ?
			   "interop/data/identities" : "interop/data-bridge/identities"))
		return false;
	snprintf(nwid_rel, sizeof(nwid_rel), "%s/%s", dir,
		 strcmp(dir, "interop/data") == 0 ? "pcap/network-id.txt" : "network-id.txt");
	memset(c, 0, sizeof(*c));
	c->nodes = nodes;
	c->nwid = read_nwid(nwid_rel);
	c->out = malloc(BUF_LEN);
	assert_non_null(c->out);
	ztdp_netconf_asm_init(&c->asm_, 0);
	vc_run(nodes, rel, cap_packet, c, st);
	ztdp_netconf_asm_fini(&c->asm_);
	free(c->out);

	print_message("%s: %u datagrams, %u packets (%u reassembled, %u LZ4); decoded:",
		      rel, st->datagrams, st->packets, st->reassembled, st->compressed);
	for (int k = 0; k < VD_COUNT; k++)
		if (c->kinds[k])
			print_message(" %s %u", vd_name((enum vd_kind)k), c->kinds[k]);
	print_message("; configs %u, COMs %u, COOs %u verified; ERROR 0x06 %u; "
		      "replies matched to their request %u (+%u in re ECHO to a "
		      "NETWORK_CONFIG), unmatched %u; HELLO suites 0/1/3: %u/%u/%u, "
		      "first OK(HELLO) per pair 0/1/3: %u/%u/%u; chunk packets LZ4 %u, "
		      "fragmented %u; OK(HELLO) suite as predicted %u, not %u\n",
		      c->configs, c->coms_verified, c->coos_verified,
		      c->errors[ZTDP_ERROR_NEED_MEMBERSHIP_CERTIFICATE],
		      c->in_re_matched, c->in_re_quirk, c->in_re_unmatched,
		      c->hello_suite[0], c->hello_suite[1], c->hello_suite[3],
		      c->first_ok_hello_suite[0], c->first_ok_hello_suite[1],
		      c->first_ok_hello_suite[3], c->chunk_pkts_compressed,
		      c->chunk_pkts_fragmented, c->ok_hello_suite_as_expected,
		      c->ok_hello_suite_other);
	return true;
}

static void test_capture_join_ping(void **state)
{
	struct vc_nodes nodes;
	struct vc_stats st;
	struct cap_ctx c;

	(void)state;
	if (!run_capture("interop/data", "pcap/underlay-join-ping.pcap", &c, &nodes, &st)) {
		skip();
		return;
	}
	assert_true(st.packets > 100);
	assert_true(st.reassembled > 0);
	assert_true(c.kinds[VD_HELLO] > 0);
	assert_true(c.kinds[VD_OK_HELLO] > 0);
	assert_true(c.kinds[VD_WHOIS] > 0);
	assert_true(c.kinds[VD_OK_WHOIS] > 0);
	assert_true(c.kinds[VD_RENDEZVOUS] > 0);
	assert_true(c.kinds[VD_FRAME] > 0);
	assert_true(c.kinds[VD_MULTICAST_LIKE] > 0);
	assert_true(c.kinds[VD_NETWORK_CREDENTIALS] > 0);
	assert_true(c.kinds[VD_NETCONF_REQUEST] > 0);
	assert_true(c.kinds[VD_MULTICAST_GATHER] > 0);
	assert_true(c.kinds[VD_MULTICAST_FRAME] > 0);
	assert_true(c.kinds[VD_PUSH_DIRECT_PATHS] > 0);
	/* Section 6.11: each member's request got an OK and a push, and the
	 * push got the in-re-ECHO OK. */
	assert_true(c.configs >= 4);
	assert_true(c.ok_in_re[ZTDP_VERB_NETWORK_CONFIG_REQUEST] >= 2);
	assert_true(c.kinds[VD_NETCONF_CHUNK] == c.chunks);
	assert_true(c.config_push_oks >= 2);
	assert_true(c.coms_verified > 0 && c.coos_verified > 0);
	assert_true(c.paths > 0);
	assert_int_equal(c.moons_sent, 0);
	/* Section 3.3: every OK names the post-armor ID of a request seen
	 * earlier in the opposite direction, with that request's verb --
	 * except 1.14.1's OK to a config push, in re ECHO (section 14). */
	assert_int_equal(c.in_re_unmatched, 0);
	assert_int_equal(c.in_re_quirk, c.config_push_oks);
	/* Section 14: HELLO always suite 0; the first OK(HELLO) to a peer is
	 * suite 1; configs are LZ4-compressed and small ones not fragmented. */
	assert_int_equal(c.hello_suite[0], c.kinds[VD_HELLO]);
	assert_true(c.first_ok_hello_suite[1] > 0);
	assert_true(c.first_ok_hello_suite[3] > 0);	/* not "always suite 1" */
	assert_int_equal(c.ok_hello_suite_other, 0);
	assert_true(c.ok_hello_suite_as_expected > 0);
	assert_int_equal(c.chunk_pkts_compressed, c.chunks);
	assert_int_equal(c.chunk_pkts_fragmented, 0);
	vc_nodes_free(&nodes);
}

static void test_capture_bridge(void **state)
{
	struct vc_nodes nodes;
	struct vc_stats st;
	struct cap_ctx c;

	(void)state;
	if (!run_capture("interop/data-bridge", "pcap/bridge-underlay.pcap", &c, &nodes,
			 &st)) {
		skip();
		return;
	}
	assert_true(c.kinds[VD_EXT_FRAME] >= 39);
	assert_true(c.foreign_src_ext_frames > 0);
	assert_true(c.mc_frames_06 > 0);
	assert_true(c.mc_frames_02 > 0);
	assert_true(c.configs > 0);
	assert_true(c.config_push_oks > 0);
	assert_int_equal(c.ok_in_re[ZTDP_VERB_EXT_FRAME], 0);	/* ACK never asked */
	assert_int_equal(c.in_re_quirk, c.config_push_oks);
	assert_int_equal(c.chunk_pkts_compressed, c.chunks);
	vc_nodes_free(&nodes);

	if (!run_capture("interop/data-bridge", "pcap/underlay-join-ping.pcap", &c, &nodes,
			 &st)) {
		skip();
		return;
	}
	assert_true(c.kinds[VD_HELLO] > 0);
	assert_true(c.configs > 0);
	/* This run (unlike interop/data's) has 1.14.1 asking for credentials. */
	assert_true(c.errors[ZTDP_ERROR_NEED_MEMBERSHIP_CERTIFICATE] > 0);
	vc_nodes_free(&nodes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_envelope),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_hello_roundtrip),
		cmocka_unit_test(test_hello_cryptfield),
		cmocka_unit_test(test_hello_malformed),
		cmocka_unit_test(test_ok_hello),
		cmocka_unit_test(test_whois),
		cmocka_unit_test(test_ok_whois),
		cmocka_unit_test(test_rendezvous),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_ext_frame),
		cmocka_unit_test(test_echo_and_small),
		cmocka_unit_test(test_multicast_like),
		cmocka_unit_test(test_multicast_gather),
		cmocka_unit_test(test_multicast_frame),
		cmocka_unit_test(test_push_direct_paths),
		cmocka_unit_test(test_network_credentials),
		cmocka_unit_test(test_netconf_request),
		cmocka_unit_test(test_capture_join_ping),
		cmocka_unit_test(test_capture_bridge),
	};
	int rc;

	if (ztdp_crypto_init(NULL) != 0) {
		fprintf(stderr, "ztdp_crypto_init failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ztdp_identity_clear(&test_id);
	return rc;
}
