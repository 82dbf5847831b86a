/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Credentials (protocol notes section 9): the COMs and COOs a real 1.14.1
 * controller issued (inside the configs and the members' NETWORK_CREDENTIALS
 * of interop/data and interop/data-bridge) decode, verify against the
 * controller identity only, re-encode byte for byte, and are reproduced
 * exactly by issuing and signing them here with the controller's secret
 * (signatures are deterministic). Tags and Revocations, absent from the
 * captures, go through sign / encode / decode / verify. Every decoder is
 * also run on every truncation and on tampered input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netconf_capture.h"
#include "test_util.h"
#include "ztdp_credentials.h"
#include "ztdp_crypto.h"
#include "ztdp_netconf.h"

#define DATA		"interop/data"
#define BRIDGE		"interop/data-bridge"
#define JOIN_PCAP	"pcap/underlay-join-ping.pcap"
#define BRIDGE_PCAP	"pcap/bridge-underlay.pcap"

static int setup(void **state)
{
	(void)state;
	return ztdp_crypto_init(NULL);
}

static struct ztdp_netconf *decode_config(const struct nc_config *cfg)
{
	struct ztdp_netconf *nc = ztdp_netconf_alloc();

	assert_non_null(nc);
	assert_int_equal(ztdp_netconf_decode(cfg->dict, cfg->len, nc, NULL), 0);
	return nc;
}

/* Every strict prefix of an encoded credential is ESHORT, never a crash or
 * a success, and the whole thing decodes to exactly its length. */
typedef int (*decode_fn)(struct ztdp_rd *r, void *out);

static int dec_com(struct ztdp_rd *r, void *o) { return ztdp_com_decode(r, o); }
static int dec_tag(struct ztdp_rd *r, void *o) { return ztdp_tag_decode(r, o); }
static int dec_coo(struct ztdp_rd *r, void *o) { return ztdp_coo_decode(r, o); }
static int dec_rev(struct ztdp_rd *r, void *o) { return ztdp_revocation_decode(r, o); }

static void check_truncations(decode_fn dec, const uint8_t *b, size_t n, size_t objsize)
{
	void *obj = malloc(objsize);
	struct ztdp_rd r;

	assert_non_null(obj);
	for (size_t i = 0; i < n; i++) {
		uint8_t *copy = malloc(i ? i : 1);	/* exact size: ASan sees overreads */

		assert_non_null(copy);
		memcpy(copy, b, i);
		ztdp_rd_init(&r, copy, i);
		if (dec(&r, obj) != ZTDP_CRED_ESHORT)
			fail_msg("prefix of %zu/%zu bytes not reported short", i, n);
		free(copy);
	}
	ztdp_rd_init(&r, b, n);
	assert_int_equal(dec(&r, obj), 0);
	assert_int_equal(r.off, n);
	free(obj);
}

/* ---- COM ---------------------------------------------------------------- */

static void check_real_com(const struct nc_capture *c, const struct ztdp_netconf *nc)
{
	const struct ztdp_identity *root = &c->ids[NC_NODE_ROOT];
	int me = nc_capture_node(c, nc->issued_to);
	uint8_t b[512], b2[512];
	struct ztdp_wr w;
	struct ztdp_rd r;
	struct ztdp_com com, mine;

	ztdp_wr_init(&w, b, sizeof(b));
	assert_int_equal(ztdp_com_encode(&w, &nc->com), 0);
	assert_int_equal(w.off, ztdp_com_size(&nc->com));
	assert_int_equal(w.off, ZTDP_COM_FIXED_LEN + 7 * ZTDP_COM_QUALIFIER_LEN +
			 ZTDP_C25519_SIGNATURE_LEN);
	check_truncations(dec_com, b, w.off, sizeof(struct ztdp_com));

	/* Issued and signed here with the controller's key: the same bytes
	 * (qualifiers of section 9.1, deterministic signature). */
	ztdp_com_issue(&mine, nc->timestamp, nc->credential_time_max_delta, nc->nwid,
		       &c->ids[me]);
	assert_int_equal(ztdp_com_sign(&mine, root), 0);
	ztdp_wr_init(&w, b2, sizeof(b2));
	assert_int_equal(ztdp_com_encode(&w, &mine), 0);
	assert_int_equal(w.off, ztdp_com_size(&nc->com));
	assert_memory_equal(b, b2, w.off);

	/* Only the controller verifies; any changed qualifier byte or
	 * signature byte breaks it. */
	assert_true(ztdp_com_verify(&nc->com, root));
	assert_false(ztdp_com_verify(&nc->com, &c->ids[NC_NODE_A]));
	assert_false(ztdp_com_verify(&nc->com, NULL));
	for (size_t i = 3; i < w.off; i++) {
		if (i >= 3 + 7 * 24 && i < 3 + 7 * 24 + 5)
			continue;	/* signer address: tested below */
		b2[i] ^= 0x01;
		ztdp_rd_init(&r, b2, w.off);
		if (ztdp_com_decode(&r, &com) == 0 && ztdp_com_verify(&com, root))
			fail_msg("COM with byte %zu flipped verifies", i);
		b2[i] ^= 0x01;
	}
	com = nc->com;
	com.signed_by ^= 1;
	assert_false(ztdp_com_verify(&com, root));
	com = nc->com;
	com.signed_by = 0;
	assert_false(ztdp_com_verify(&com, root));
	/* A COM for another network the same controller does not control. */
	com = nc->com;
	com.q[1].value ^= 1ULL << 40;
	assert_false(ztdp_com_verify(&com, root));
}

static void test_com_rules(void **state)
{
	struct ztdp_com a, b, e;
	uint8_t buf[512];
	struct ztdp_wr w;
	struct ztdp_rd r;
	uint64_t v;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.qualifier_count = 3;
	a.q[0] = (struct ztdp_com_qualifier){ 0, 1000, 100 };
	a.q[1] = (struct ztdp_com_qualifier){ 1, 0x8056c2e21c000001ULL, 0 };
	a.q[2] = (struct ztdp_com_qualifier){ 2, 0x1234567890ULL, UINT64_MAX };
	b = a;
	b.q[2].value = 0x0987654321ULL;
	/* Section 9.3 (c): within our max delta, per qualifier. */
	assert_true(ztdp_com_agree(&a, &b));
	b.q[0].value = 1100;
	assert_true(ztdp_com_agree(&a, &b));
	b.q[0].value = 1101;
	assert_false(ztdp_com_agree(&a, &b));
	b.q[0].value = 900;
	assert_true(ztdp_com_agree(&a, &b));
	b.q[0].value = 899;
	assert_false(ztdp_com_agree(&a, &b));
	b.q[0].value = 1000;
	b.q[1].value ^= 1;	/* another network: max delta 0 */
	assert_false(ztdp_com_agree(&a, &b));
	b.q[1].value ^= 1;
	b.qualifier_count = 2;	/* theirs lacks one of ours */
	assert_false(ztdp_com_agree(&a, &b));
	assert_true(ztdp_com_agree(&b, &a));	/* ours lacks one of theirs: fine */
	memset(&e, 0, sizeof(e));
	assert_false(ztdp_com_agree(&a, &e));
	assert_false(ztdp_com_agree(&e, &a));
	/* No identity hash in ours: the identity part passes. */
	assert_true(ztdp_com_agree_identity(&a, &b, NULL));

	/* Codec: unsigned COM (signer 0) has no signature. */
	ztdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_com_encode(&w, &a), 0);
	assert_int_equal(w.off, ZTDP_COM_FIXED_LEN + 3 * ZTDP_COM_QUALIFIER_LEN);
	check_truncations(dec_com, buf, w.off, sizeof(struct ztdp_com));
	/* Equal ids pass (1.14.1), decreasing ones do not; the last of equal
	 * ids is the one looked up. */
	buf[3 + 24 + 7] = 0;	/* q[1].id = 0 */
	ztdp_rd_init(&r, buf, w.off);
	assert_int_equal(ztdp_com_decode(&r, &e), 0);
	assert_true(ztdp_com_get(&e, 0, &v));
	assert_int_equal(v, a.q[1].value);
	buf[3 + 7] = 2;		/* q[0].id = 2 > q[1].id */
	ztdp_rd_init(&r, buf, w.off);
	assert_int_equal(ztdp_com_decode(&r, &e), ZTDP_CRED_EMALFORMED);
	assert_int_equal(e.qualifier_count, 0);
	/* Type byte and qualifier limit. */
	buf[0] = 2;
	ztdp_rd_init(&r, buf, w.off);
	assert_int_equal(ztdp_com_decode(&r, &e), ZTDP_CRED_EMALFORMED);
	buf[0] = 1;
	buf[1] = 0;
	buf[2] = ZTDP_COM_MAX_QUALIFIERS + 1;
	ztdp_rd_init(&r, buf, sizeof(buf));
	assert_int_equal(ztdp_com_decode(&r, &e), ZTDP_CRED_ELIMIT);
	e.qualifier_count = ZTDP_COM_MAX_QUALIFIERS + 1;
	ztdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_com_encode(&w, &e), ZTDP_CRED_EINVAL);
	/* Encoder out of room. */
	ztdp_wr_init(&w, buf, 10);
	assert_int_equal(ztdp_com_encode(&w, &a), ZTDP_CRED_ENOSPC);
}

/* ---- COO ------------------------------------------------------------------ */

static void check_real_coo(const struct nc_capture *c, const struct ztdp_netconf *nc)
{
	const struct ztdp_identity *root = &c->ids[NC_NODE_ROOT];
	const struct ztdp_coo *coo = &nc->coos[0];
	uint8_t b[1024], msg[1024];
	struct ztdp_wr w;
	struct ztdp_rd r;
	struct ztdp_coo mine, t;
	size_t body;

	ztdp_wr_init(&w, b, sizeof(b));
	assert_int_equal(ztdp_coo_encode(&w, coo), 0);
	assert_int_equal(w.off, 8 + 8 + 8 + 4 + 2 + coo->thing_count * 17 + 5 + 5 + 1 + 2 +
			 ZTDP_C25519_SIGNATURE_LEN + 2);
	check_truncations(dec_coo, b, w.off, sizeof(struct ztdp_coo));

	/* Reproduce it: same fields, signed here. */
	memset(&mine, 0, sizeof(mine));
	mine.nwid = coo->nwid;
	mine.timestamp = coo->timestamp;
	mine.flags = coo->flags;
	mine.id = coo->id;
	mine.issued_to = coo->issued_to;
	for (unsigned int i = 0; i < nc->static_ip_count; i++) {
		const struct ztdp_inetaddr *a = &nc->static_ips[i];

		assert_int_equal(ztdp_coo_add_thing(&mine, a->family == 4 ?
						    ZTDP_COO_THING_IPV4 : ZTDP_COO_THING_IPV6,
						    a->ip, a->family == 4 ? 4 : 16), 0);
	}
	assert_int_equal(ztdp_coo_sign(&mine, root), 0);
	{
		uint8_t b2[1024];
		struct ztdp_wr w2;

		ztdp_wr_init(&w2, b2, sizeof(b2));
		assert_int_equal(ztdp_coo_encode(&w2, &mine), 0);
		assert_int_equal(w2.off, w.off);
		assert_memory_equal(b, b2, w.off);
	}
	assert_true(ztdp_coo_verify(coo, root));
	assert_false(ztdp_coo_verify(coo, &c->ids[NC_NODE_B]));

	/* Section 9.4: the signed message keeps extLen (00 00); without it
	 * the real signature does not verify. */
	body = w.off - (1 + 2 + ZTDP_C25519_SIGNATURE_LEN + 2);
	memset(msg, 0x7f, 8);
	memcpy(msg + 8, b, body);
	memset(msg + 8 + body, 0, 2);
	memset(msg + 8 + body + 2, 0x7f, 8);
	assert_true(ztdp_identity_verify(root, msg, body + 18, coo->signature, 96));
	memset(msg + 8 + body, 0x7f, 8);
	assert_false(ztdp_identity_verify(root, msg, body + 16, coo->signature, 96));

	/* Tampering with any byte before the signature block. */
	for (size_t i = 0; i < body; i++) {
		b[i] ^= 0x20;
		ztdp_rd_init(&r, b, w.off);
		if (ztdp_coo_decode(&r, &t) == 0 && ztdp_coo_verify(&t, root))
			fail_msg("COO with byte %zu changed verifies", i);
		b[i] ^= 0x20;
	}
}

/* NETWORK_CREDENTIALS (section 6.9) as the members sent them: their COM
 * (the one from their config), terminator, no capabilities, tags or
 * revocations, their COO. */
static void check_network_credentials(const struct nc_capture *c)
{
	const struct ztdp_identity *root = &c->ids[NC_NODE_ROOT];

	assert_true(c->creds_count >= 2);
	for (size_t i = 0; i < c->creds_count; i++) {
		const struct nc_config *cfg = nc_capture_last_for(c, c->creds_src[i]);
		struct ztdp_netconf *nc;
		struct ztdp_rd r;
		struct ztdp_com com;
		struct ztdp_coo coo;
		unsigned int ncoms = 0;

		assert_non_null(cfg);
		nc = decode_config(cfg);
		ztdp_rd_init(&r, c->creds[i], c->creds_len[i]);
		while (ztdp_rd_left(&r) > 0 && r.p[r.off] == ZTDP_COM_TYPE) {
			assert_int_equal(ztdp_com_decode(&r, &com), 0);
			assert_true(ztdp_com_verify(&com, root));
			assert_int_equal(ztdp_com_issued_to(&com), c->creds_src[i]);
			assert_true(ztdp_com_agree(&nc->com, &com));
			ncoms++;
		}
		assert_int_equal(ncoms, 1);
		assert_int_equal(ztdp_rd_u8(&r), 0);		/* terminator */
		assert_int_equal(ztdp_rd_u16(&r), 0);		/* capabilities */
		assert_int_equal(ztdp_rd_u16(&r), 0);		/* tags */
		assert_int_equal(ztdp_rd_u16(&r), 0);		/* revocations */
		assert_int_equal(ztdp_rd_u16(&r), 1);		/* COOs */
		assert_int_equal(ztdp_coo_decode(&r, &coo), 0);
		assert_true(ztdp_rd_ok(&r));
		assert_int_equal(ztdp_rd_left(&r), 0);
		assert_true(ztdp_coo_verify(&coo, root));
		assert_int_equal(coo.issued_to, c->creds_src[i]);
		ztdp_netconf_free(nc);
	}
}

static void run_capture(const char *dataset, const char *pcap)
{
	struct nc_capture c;

	if (!nc_capture_load(&c, dataset, pcap)) {
		skip();
		return;
	}
	for (size_t i = 0; i < c.count; i++) {
		struct ztdp_netconf *nc = decode_config(&c.configs[i]);

		check_real_com(&c, nc);
		assert_int_equal(nc->coo_count, 1);
		check_real_coo(&c, nc);
		ztdp_netconf_free(nc);
	}
	check_network_credentials(&c);
	nc_capture_free(&c);
}

static void test_capture_join(void **state)
{
	(void)state;
	run_capture(DATA, JOIN_PCAP);
}

static void test_capture_bridge(void **state)
{
	(void)state;
	run_capture(BRIDGE, BRIDGE_PCAP);
}

/* ---- Tag, Revocation, COO from scratch --------------------------------------- */

static void load_root(struct ztdp_identity *root, struct ztdp_identity *other)
{
	static const char *const names[2] = { "root", "a" };
	struct ztdp_identity *ids[2] = { root, other };

	for (int i = 0; i < 2; i++) {
		char rel[128];
		size_t len;
		uint8_t *t;

		snprintf(rel, sizeof(rel), DATA "/identities/%s.identity.secret", names[i]);
		t = ztdp_test_read_file(ztdp_test_shared_path(rel), &len);
		while (len > 0 && (t[len - 1] == '\n' || t[len - 1] == ' '))
			t[--len] = 0;
		assert_int_equal(ztdp_identity_from_string(ids[i], (const char *)t, NULL), 0);
		free(t);
	}
}

static bool have_ids(void)
{
	return ztdp_test_have_shared(DATA "/identities/root.identity.secret") &&
	       ztdp_test_have_shared(DATA "/identities/a.identity.secret");
}

static void test_tag(void **state)
{
	struct ztdp_identity root, a;
	struct ztdp_tag t, d;
	uint8_t buf[512];
	struct ztdp_wr w;
	struct ztdp_rd r;
	uint64_t nwid;

	(void)state;
	if (!have_ids()) {
		skip();
		return;
	}
	load_root(&root, &a);
	nwid = root.address << 24 | 0x5a2681;
	memset(&t, 0, sizeof(t));
	t.nwid = nwid;
	t.timestamp = 1795308400000ULL;
	t.id = 42;
	t.value = 0xdeadbeef;
	t.issued_to = a.address;
	/* Only the network's controller signs. */
	assert_int_equal(ztdp_tag_sign(&t, &a), ZTDP_CRED_EINVAL);
	t.nwid ^= 1ULL << 63;
	assert_int_equal(ztdp_tag_sign(&t, &root), ZTDP_CRED_EINVAL);
	t.nwid = nwid;
	assert_int_equal(ztdp_tag_sign(&t, &root), 0);
	assert_int_equal(t.signed_by, root.address);
	assert_true(ztdp_tag_verify(&t, &root));
	assert_false(ztdp_tag_verify(&t, &a));

	ztdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_tag_encode(&w, &t), 0);
	assert_int_equal(w.off, 8 + 8 + 4 + 4 + 5 + 5 + 1 + 2 + 96 + 2);
	check_truncations(dec_tag, buf, w.off, sizeof(struct ztdp_tag));
	ztdp_rd_init(&r, buf, w.off);
	assert_int_equal(ztdp_tag_decode(&r, &d), 0);
	assert_memory_equal(&d, &t, sizeof(t));
	assert_true(ztdp_tag_verify(&d, &root));
	for (size_t i = 0; i < w.off - 2; i++) {
		buf[i] ^= 0x80;
		ztdp_rd_init(&r, buf, w.off);
		if (ztdp_tag_decode(&r, &d) == 0 && ztdp_tag_verify(&d, &root))
			fail_msg("tag with byte %zu changed verifies", i);
		buf[i] ^= 0x80;
	}

	/* Ext bytes are skipped and not signed (1.14.1 re-serializes with
	 * extLen 0 to verify). */
	buf[w.off - 1] = 3;
	memcpy(buf + w.off, "xyz", 3);
	ztdp_rd_init(&r, buf, w.off + 3);
	assert_int_equal(ztdp_tag_decode(&r, &d), 0);
	assert_int_equal(r.off, w.off + 3);
	assert_true(ztdp_tag_verify(&d, &root));
	ztdp_rd_init(&r, buf, w.off + 2);
	assert_int_equal(ztdp_tag_decode(&r, &d), ZTDP_CRED_ESHORT);
	buf[w.off - 1] = 0;

	/* Signature type 1 must be 96 bytes; other types are skipped by
	 * their length and never verify. */
	buf[8 + 8 + 4 + 4 + 5 + 5 + 2] = 95;
	ztdp_rd_init(&r, buf, w.off);
	assert_int_equal(ztdp_tag_decode(&r, &d), ZTDP_CRED_EMALFORMED);
	buf[8 + 8 + 4 + 4 + 5 + 5] = 2;
	buf[8 + 8 + 4 + 4 + 5 + 5 + 2] = 96;
	ztdp_rd_init(&r, buf, w.off);
	assert_int_equal(ztdp_tag_decode(&r, &d), 0);
	assert_int_equal(d.sig_type, 2);
	assert_false(ztdp_tag_verify(&d, &root));
	ztdp_identity_clear(&root);
	ztdp_identity_clear(&a);
}

static void test_revocation(void **state)
{
	struct ztdp_identity root, a;
	struct ztdp_revocation v, d;
	uint8_t buf[512];
	struct ztdp_wr w;
	struct ztdp_rd r;

	(void)state;
	if (!have_ids()) {
		skip();
		return;
	}
	load_root(&root, &a);
	memset(&v, 0, sizeof(v));
	v.id = 7;
	v.nwid = root.address << 24 | 0x5a2681;
	v.credential_id = 0;
	v.threshold = 1795308400000LL;
	v.flags = ZTDP_REVOCATION_FLAG_FAST_PROPAGATE;
	v.target = a.address;
	v.credential_type = ZTDP_CRED_TYPE_COM;
	assert_int_equal(ztdp_revocation_sign(&v, &a), ZTDP_CRED_EINVAL);
	assert_int_equal(ztdp_revocation_sign(&v, &root), 0);
	assert_true(ztdp_revocation_verify(&v, &root));
	assert_false(ztdp_revocation_verify(&v, &a));

	ztdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_revocation_encode(&w, &v), 0);
	assert_int_equal(w.off, 4 + 4 + 8 + 4 + 4 + 8 + 8 + 5 + 5 + 1 + 1 + 2 + 96 + 2);
	check_truncations(dec_rev, buf, w.off, sizeof(struct ztdp_revocation));
	ztdp_rd_init(&r, buf, w.off);
	assert_int_equal(ztdp_revocation_decode(&r, &d), 0);
	assert_memory_equal(&d, &v, sizeof(v));
	assert_true(ztdp_revocation_verify(&d, &root));
	for (size_t i = 0; i < w.off - 2; i++) {
		buf[i] ^= 0x04;
		ztdp_rd_init(&r, buf, w.off);
		if (ztdp_revocation_decode(&r, &d) == 0 && ztdp_revocation_verify(&d, &root))
			fail_msg("revocation with byte %zu changed verifies", i);
		buf[i] ^= 0x04;
	}
	/* Reserved bytes must be zero. */
	buf[0] = 1;
	ztdp_rd_init(&r, buf, w.off);
	assert_int_equal(ztdp_revocation_decode(&r, &d), ZTDP_CRED_EMALFORMED);
	buf[0] = 0;
	buf[16] = 1;
	ztdp_rd_init(&r, buf, w.off);
	assert_int_equal(ztdp_revocation_decode(&r, &d), ZTDP_CRED_EMALFORMED);
	ztdp_identity_clear(&root);
	ztdp_identity_clear(&a);
}

static void test_coo_limits(void **state)
{
	struct ztdp_coo c;
	uint8_t buf[1024], mac[6] = { 0x02, 1, 2, 3, 4, 5 }, ip[4] = { 10, 0, 0, 1 };
	struct ztdp_wr w;
	struct ztdp_rd r;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.sig_type = ZTDP_CRED_SIG_TYPE_C25519;
	assert_int_equal(ztdp_coo_add_thing(&c, ZTDP_COO_THING_MAC, mac, 6), 0);
	assert_int_equal(ztdp_coo_add_thing(&c, ZTDP_COO_THING_IPV4, ip, 4), 0);
	assert_int_equal(ztdp_coo_add_thing(&c, ZTDP_COO_THING_IPV4, ip, 17), ZTDP_CRED_EINVAL);
	assert_true(ztdp_coo_owns(&c, ZTDP_COO_THING_MAC, mac, 6));
	assert_true(ztdp_coo_owns(&c, ZTDP_COO_THING_IPV4, ip, 4));
	assert_false(ztdp_coo_owns(&c, ZTDP_COO_THING_IPV6, ip, 4));
	ip[3] = 2;
	assert_false(ztdp_coo_owns(&c, ZTDP_COO_THING_IPV4, ip, 4));
	while (c.thing_count < ZTDP_COO_MAX_THINGS)
		assert_int_equal(ztdp_coo_add_thing(&c, ZTDP_COO_THING_IPV4, ip, 4), 0);
	assert_int_equal(ztdp_coo_add_thing(&c, ZTDP_COO_THING_IPV4, ip, 4), ZTDP_CRED_ELIMIT);
	ztdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_coo_encode(&w, &c), 0);
	check_truncations(dec_coo, buf, w.off, sizeof(struct ztdp_coo));
	/* 17 things: more than 1.14.1 can parse. */
	buf[8 + 8 + 8 + 4 + 1] = ZTDP_COO_MAX_THINGS + 1;
	ztdp_rd_init(&r, buf, w.off);
	assert_int_equal(ztdp_coo_decode(&r, &c), ZTDP_CRED_ELIMIT);
	assert_int_equal(c.thing_count, 0);
	/* Without a signature nothing verifies. */
	memset(&c, 0, sizeof(c));
	assert_false(ztdp_coo_verify(&c, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_join),
		cmocka_unit_test(test_capture_bridge),
		cmocka_unit_test(test_com_rules),
		cmocka_unit_test(test_tag),
		cmocka_unit_test(test_revocation),
		cmocka_unit_test(test_coo_limits),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
