/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config chunks (proto/ztdp_netconf_chunk.h, protocol notes section 6.11):
 * codec, signature, legacy form, chunker, and the assembler fed chunks in
 * any order with duplicates, overlaps, lies and over-limit inputs; then the
 * real chunks of the 1.14.1 captures against the controller's identity.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "verbs_capture.h"
#include "ztdp_crypto.h"
#include "ztdp_dict.h"
#include "ztdp_netconf_chunk.h"
#include "ztdp_verbs.h"
#include "ztdp_wire.h"

/* interop/data/identities/c: a controller for networks a05f585b07xxxxxx. */
static const char ctrl_secret[] =
	"a05f585b07:0:5e8165f3bb7f58025e96d6a4e928c58b859d4273dbd3630d26ad4ef2b6"
	"67eb3a543092af90038415cc77ac46815358648fb2f024759138c82243c952557b95b2:"
	"c78b0dc9afaf7a885eb666219bce6a2541f141e0ba150e2d5ad212dd52e6d6bb02959a"
	"8620e360b2525af65478738945f0b8ce8e3de677b9b0ad4557b6906842";

#define NWID		0xa05f585b07123456ULL
#define CHUNK_BUF	(ZTDP_NETCONF_CHUNK_MAX_DATA + 256)

static struct ztdp_identity ctrl;

static void load_ctrl(void)
{
	const char *why = NULL;

	if (ctrl.address != 0)
		return;
	if (ztdp_identity_from_string(&ctrl, ctrl_secret, &why) != 0)
		fail_msg("controller identity: %s", why);
}

/* Deterministic pseudo-random bytes and order. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static uint8_t *make_dict(size_t len)
{
	uint8_t *d = malloc(len);

	assert_non_null(d);
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)('a' + rng() % 26);
	return d;
}

/* One signed chunk body, owned by the caller. */
struct body {
	uint8_t *p;
	size_t len;
};

static struct body sign_chunk(uint64_t nwid, uint64_t update_id, uint32_t total,
			      uint32_t index, const uint8_t *data, uint16_t len)
{
	struct body b = { malloc(CHUNK_BUF), 0 };
	struct ztdp_wr w;

	assert_non_null(b.p);
	ztdp_wr_init(&w, b.p, CHUNK_BUF);
	assert_int_equal(ztdp_netconf_chunk_sign_encode(&w, &ctrl, nwid, 0, update_id,
							total, index, data, len), 0);
	b.len = w.off;
	return b;
}

static int add_body(struct ztdp_netconf_asm *a, const struct body *b,
		    const uint8_t **dict, size_t *dict_len)
{
	struct ztdp_netconf_chunk c;

	assert_int_equal(ztdp_netconf_chunk_decode(b->p, b->len, &c), 0);
	return ztdp_netconf_asm_add(a, &c, &ctrl, false, 0, dict, dict_len);
}

/* ---- Codec and signature ----------------------------------------------------- */

static void test_chunk_codec(void **state)
{
	static const char dict[] = "v=7\nnwid=a05f585b07123456\nn=test";
	uint8_t out[CHUNK_BUF];
	struct ztdp_netconf_chunk c, again;
	struct body b;
	struct ztdp_wr w;

	(void)state;
	load_ctrl();
	b = sign_chunk(NWID, 0x1122334455667788ULL, sizeof(dict) - 1, 0,
		       (const uint8_t *)dict, sizeof(dict) - 1);
	assert_int_equal(b.len, 8 + 2 + sizeof(dict) - 1 + ZTDP_NETCONF_CHUNK_TAIL_LEN + 3 +
			 ZTDP_C25519_SIGNATURE_LEN);
	assert_int_equal(ztdp_netconf_chunk_decode(b.p, b.len, &c), 0);
	assert_false(c.legacy);
	assert_true(c.nwid == NWID);
	assert_true(c.update_id == 0x1122334455667788ULL);
	assert_int_equal(c.total_len, sizeof(dict) - 1);
	assert_int_equal(c.index, 0);
	assert_int_equal(c.sig_type, ZTDP_NETCONF_CHUNK_SIG_TYPE_C25519);
	assert_int_equal(c.sig_len, ZTDP_C25519_SIGNATURE_LEN);
	assert_int_equal(c.signed_len, b.len - 3 - ZTDP_C25519_SIGNATURE_LEN);
	assert_memory_equal(c.data, dict, sizeof(dict) - 1);
	assert_true(ztdp_netconf_chunk_verify(&c, &ctrl));

	ztdp_wr_init(&w, out, sizeof(out));
	assert_int_equal(ztdp_netconf_chunk_encode(&w, &c), 0);
	assert_int_equal(w.off, b.len);
	assert_memory_equal(out, b.p, b.len);

	/* Every truncation: an error, or (cut right after the data) the legacy
	 * form, which never verifies. */
	for (size_t n = 0; n < b.len; n++) {
		uint8_t *exact = malloc(n ? n : 1);
		int rc;

		memcpy(exact, b.p, n);
		rc = ztdp_netconf_chunk_decode(exact, n, &again);
		if (n == 10 + sizeof(dict) - 1) {
			assert_int_equal(rc, 0);
			assert_true(again.legacy);
			assert_false(ztdp_netconf_chunk_verify(&again, &ctrl));
		} else {
			assert_int_equal(rc, ZTDP_NCC_ETRUNC);
		}
		free(exact);
	}
	/* Trailing bytes after the signature are ignored. */
	{
		uint8_t *longer = malloc(b.len + 3);

		memcpy(longer, b.p, b.len);
		memset(longer + b.len, 0xee, 3);
		assert_int_equal(ztdp_netconf_chunk_decode(longer, b.len + 3, &again), 0);
		assert_true(ztdp_netconf_chunk_verify(&again, &ctrl));
		free(longer);
	}
	/* Writer too small: ENOSPC, and the signer refuses without a key. */
	for (size_t cap = 0; cap < b.len; cap += 7) {
		ztdp_wr_init(&w, out, cap);
		assert_int_equal(ztdp_netconf_chunk_encode(&w, &c), ZTDP_NCC_ENOSPC);
	}
	{
		struct ztdp_identity pub = ctrl;

		pub.has_private = false;
		ztdp_wr_init(&w, out, sizeof(out));
		assert_int_equal(ztdp_netconf_chunk_sign_encode(&w, &pub, NWID, 0, 1, 3, 0,
								(const uint8_t *)"abc", 3),
				 ZTDP_NCC_EKEY);
	}
	free(b.p);
}

static void test_chunk_tamper(void **state)
{
	static const char dict[] = "v=7\nr=1\n";
	struct ztdp_netconf_chunk c;
	struct ztdp_identity other;
	struct body b;
	size_t fail_decode = 0, fail_verify = 0;

	(void)state;
	load_ctrl();
	b = sign_chunk(NWID, 5, 20, 4, (const uint8_t *)dict, sizeof(dict) - 1);
	/* Every single-bit flip anywhere is caught, by decode or verify. */
	for (size_t i = 0; i < b.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			b.p[i] ^= (uint8_t)(1 << bit);
			if (ztdp_netconf_chunk_decode(b.p, b.len, &c) != 0)
				fail_decode++;
			else if (!ztdp_netconf_chunk_verify(&c, &ctrl))
				fail_verify++;
			else
				fail_msg("flip of byte %zu bit %d went unnoticed", i, bit);
			b.p[i] ^= (uint8_t)(1 << bit);
		}
	}
	assert_int_equal(fail_decode + fail_verify, b.len * 8);
	assert_true(fail_verify > 0);

	assert_int_equal(ztdp_netconf_chunk_decode(b.p, b.len, &c), 0);
	assert_true(ztdp_netconf_chunk_verify(&c, &ctrl));
	/* Another key with the controller's address, and the right key under
	 * another address (not the nwid's controller), both fail. */
	other = ctrl;
	other.pub[40] ^= 1;
	assert_false(ztdp_netconf_chunk_verify(&c, &other));
	other = ctrl;
	other.address ^= 1;
	assert_false(ztdp_netconf_chunk_verify(&c, &other));
	assert_false(ztdp_netconf_chunk_verify(&c, NULL));
	/* Signature type 2 or a short length: not verified. */
	c.sig_type = 2;
	assert_false(ztdp_netconf_chunk_verify(&c, &ctrl));
	c.sig_type = 1;
	c.sig_len = 95;
	assert_false(ztdp_netconf_chunk_verify(&c, &ctrl));
	/* index + C > total is malformed at decode. */
	{
		struct body bad = sign_chunk(NWID, 5, 20, 4, (const uint8_t *)dict,
					     sizeof(dict) - 1);
		size_t at = 10 + sizeof(dict) - 1 + 1 + 8;	/* total */

		bad.p[at + 3] = 11;	/* total 11 < 4 + 8 */
		assert_int_equal(ztdp_netconf_chunk_decode(bad.p, bad.len, &c), ZTDP_NCC_EINVAL);
		/* index near 2^32 must not wrap around the check. */
		bad.p[at + 3] = 20;
		memset(bad.p + at + 4, 0xff, 4);
		assert_int_equal(ztdp_netconf_chunk_decode(bad.p, bad.len, &c), ZTDP_NCC_EINVAL);
		free(bad.p);
	}
	free(b.p);
}

static void test_chunk_legacy(void **state)
{
	static const char dict[] = "v=5\nnwid=a05f585b07123456";
	struct ztdp_netconf_asm a;
	struct ztdp_netconf_chunk c;
	uint8_t body[64], out[64];
	const uint8_t *d = NULL;
	size_t dl = 0;
	struct ztdp_wr w;

	(void)state;
	load_ctrl();
	ztdp_wr_init(&w, body, sizeof(body));
	ztdp_wr_u64(&w, NWID);
	ztdp_wr_u16(&w, sizeof(dict) - 1);
	ztdp_wr_bytes(&w, dict, sizeof(dict) - 1);
	assert_int_equal(ztdp_netconf_chunk_decode(body, w.off, &c), 0);
	assert_true(c.legacy);
	assert_int_equal(c.total_len, sizeof(dict) - 1);
	assert_false(ztdp_netconf_chunk_verify(&c, &ctrl));
	{
		struct ztdp_wr w2;

		ztdp_wr_init(&w2, out, sizeof(out));
		assert_int_equal(ztdp_netconf_chunk_encode(&w2, &c), 0);
		assert_int_equal(w2.off, w.off);
		assert_memory_equal(out, body, w.off);
	}
	ztdp_netconf_asm_init(&a, 0);
	/* Not from the controller: refused. */
	assert_int_equal(ztdp_netconf_asm_add(&a, &c, &ctrl, false, 77, &d, &dl),
			 ZTDP_NCC_ELEGACY);
	assert_int_equal(ztdp_netconf_asm_add(&a, &c, &ctrl, true, 77, &d, &dl),
			 ZTDP_NCASM_COMPLETE);
	assert_int_equal(dl, sizeof(dict) - 1);
	assert_memory_equal(d, dict, dl);
	assert_int_equal(d[dl], 0);
	/* The same packet again is a duplicate. */
	assert_int_equal(ztdp_netconf_asm_add(&a, &c, &ctrl, true, 77, &d, &dl),
			 ZTDP_NCASM_DUPLICATE);
	ztdp_netconf_asm_fini(&a);
}

/* ---- Chunker and assembler --------------------------------------------------- */

/* Cut dict with the chunker, then assemble the chunks in a random order,
 * each offered `copies` times; exactly one COMPLETE, with the same bytes. */
static void chunk_and_assemble(size_t dict_len, uint16_t max_data, unsigned int copies)
{
	uint8_t *dict = make_dict(dict_len);
	struct ztdp_netconf_chunker ch;
	struct ztdp_netconf_asm a;
	struct body *b = NULL;
	size_t n = 0, *order;
	unsigned int completes = 0, dups = 0;
	const uint8_t *got = NULL;
	size_t got_len = 0;
	int rc;

	assert_int_equal(ztdp_netconf_chunker_init(&ch, &ctrl, NWID, 0xabcdef, 0, dict,
						   dict_len, max_data), 0);
	for (;;) {
		struct ztdp_wr w;

		b = realloc(b, (n + 1) * sizeof(*b));
		b[n].p = malloc(CHUNK_BUF);
		ztdp_wr_init(&w, b[n].p, CHUNK_BUF);
		rc = ztdp_netconf_chunker_next(&ch, &w);
		assert_true(rc >= 0);
		if (rc == 0) {
			free(b[n].p);
			break;
		}
		b[n++].len = w.off;
	}
	{
		uint16_t md = max_data ? max_data : ZTDP_NETCONF_CHUNK_MAX_DATA;

		assert_int_equal(n, (dict_len + md - 1) / md);
	}
	order = malloc(n * copies * sizeof(*order));
	for (size_t i = 0; i < n * copies; i++)
		order[i] = i % n;
	for (size_t i = n * copies; i > 1; i--) {
		size_t j = rng() % i, t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
	ztdp_netconf_asm_init(&a, 0);
	for (size_t i = 0; i < n * copies; i++) {
		const uint8_t *d;
		size_t dl;

		rc = add_body(&a, &b[order[i]], &d, &dl);
		if (rc == ZTDP_NCASM_COMPLETE) {
			completes++;
			got = d;
			got_len = dl;
		} else if (rc == ZTDP_NCASM_DUPLICATE) {
			dups++;
		} else {
			assert_int_equal(rc, ZTDP_NCASM_PENDING);
		}
	}
	assert_int_equal(completes, 1);
	assert_int_equal(dups, n * (copies - 1));
	assert_int_equal(got_len, dict_len);
	assert_memory_equal(got, dict, dict_len);
	ztdp_netconf_asm_fini(&a);
	for (size_t i = 0; i < n; i++)
		free(b[i].p);
	free(b);
	free(order);
	free(dict);
}

static void test_assemble_any_order(void **state)
{
	(void)state;
	load_ctrl();
	chunk_and_assemble(1, 0, 1);
	chunk_and_assemble(1100, 0, 2);			/* one chunk, as in the captures */
	chunk_and_assemble(ZTDP_NETCONF_CHUNK_MAX_DATA, 0, 1);	/* exactly one */
	chunk_and_assemble(ZTDP_NETCONF_CHUNK_MAX_DATA + 1, 0, 2);
	chunk_and_assemble(40000, 0, 3);		/* 5 chunks of 9740 */
	chunk_and_assemble(3000, 100, 2);		/* 30 small chunks */
	chunk_and_assemble(300, 10, 3);			/* 30 tiny chunks, thrice */
	chunk_and_assemble(40, 1, 2);			/* one-byte chunks */
}

static void test_assemble_overlaps_and_lies(void **state)
{
	uint8_t *dict = make_dict(1000);
	struct ztdp_netconf_asm a;
	const uint8_t *d;
	size_t dl;
	struct body b;
	uint8_t liar[300];

	(void)state;
	load_ctrl();
	ztdp_netconf_asm_init(&a, 0);
	/* Overlapping slices of one update, all true: fine. */
	b = sign_chunk(NWID, 1, 1000, 0, dict, 600);
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCASM_PENDING);
	free(b.p);
	b = sign_chunk(NWID, 1, 1000, 500, dict + 500, 300);
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCASM_PENDING);
	free(b.p);
	/* Inside what is held: a duplicate even though never sent as such. */
	b = sign_chunk(NWID, 1, 1000, 100, dict + 100, 650);
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCASM_DUPLICATE);
	free(b.p);
	/* A signed lie about bytes already held. */
	memcpy(liar, dict + 700, sizeof(liar));
	liar[50] ^= 0x20;
	b = sign_chunk(NWID, 1, 1000, 700, liar, sizeof(liar));
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCC_ECONFLICT);
	free(b.p);
	/* A different total for the same update. */
	b = sign_chunk(NWID, 1, 1001, 800, dict + 800, 200);
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCC_ECONFLICT);
	free(b.p);
	/* Same update ID on another network: a separate update. */
	b = sign_chunk(NWID + 1, 1, 1000, 800, dict + 800, 200);
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCASM_PENDING);
	free(b.p);
	/* An unsigned (forged) chunk is refused and changes nothing. */
	b = sign_chunk(NWID, 1, 1000, 800, dict + 800, 200);
	b.p[b.len - 1] ^= 1;
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCC_ESIG);
	b.p[b.len - 1] ^= 1;
	/* The honest rest, overlapping the end of what is held. */
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCASM_COMPLETE);
	assert_int_equal(dl, 1000);
	assert_memory_equal(d, dict, 1000);
	/* After completion every chunk is a duplicate (or a lie). */
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCASM_DUPLICATE);
	free(b.p);
	ztdp_netconf_asm_fini(&a);
	free(dict);
}

static void test_assemble_limits(void **state)
{
	uint8_t *dict = make_dict(2000);
	struct ztdp_netconf_asm a;
	struct ztdp_netconf_chunk c;
	const uint8_t *d;
	size_t dl;
	struct body b;
	int rc;

	(void)state;
	load_ctrl();
	/* Capacity: totals must stay below it. */
	ztdp_netconf_asm_init(&a, 1000);
	b = sign_chunk(NWID, 1, 1000, 0, dict, 10);
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCC_ETOOBIG);
	free(b.p);
	b = sign_chunk(NWID, 1, 999, 989, dict, 10);
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCASM_PENDING);
	free(b.p);
	ztdp_netconf_asm_fini(&a);
	/* The default capacity is 1.14.1's. */
	ztdp_netconf_asm_init(&a, 0);
	assert_int_equal(a.capacity, ZTDP_DICT_MAX_LEN);
	memset(&c, 0, sizeof(c));
	c.nwid = NWID;
	c.total_len = ZTDP_DICT_MAX_LEN;
	c.data = dict;
	c.data_len = 1;
	assert_int_equal(ztdp_netconf_asm_add(&a, &c, &ctrl, false, 0, &d, &dl),
			 ZTDP_NCC_ETOOBIG);
	/* index + C > total in a hand-made chunk. */
	c.total_len = 10;
	c.index = 10;
	assert_int_equal(ztdp_netconf_asm_add(&a, &c, &ctrl, false, 0, &d, &dl),
			 ZTDP_NCC_EINVAL);

	/* Scattered one-byte chunks: every other byte, until the range table
	 * is full; then refused, and the update can still complete by
	 * filling gaps (which merge ranges). */
	for (unsigned int i = 0; i < ZTDP_NETCONF_ASM_MAX_RANGES; i++) {
		b = sign_chunk(NWID, 2, 2000, 2 * i, dict + 2 * i, 1);
		assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCASM_PENDING);
		free(b.p);
	}
	b = sign_chunk(NWID, 2, 2000, 2 * ZTDP_NETCONF_ASM_MAX_RANGES + 10,
		       dict + 2 * ZTDP_NETCONF_ASM_MAX_RANGES + 10, 1);
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCC_ELIMIT);
	free(b.p);
	b = sign_chunk(NWID, 2, 2000, 0, dict, 2000);
	rc = add_body(&a, &b, &d, &dl);
	assert_int_equal(rc, ZTDP_NCASM_COMPLETE);
	assert_memory_equal(d, dict, 2000);
	free(b.p);
	ztdp_netconf_asm_fini(&a);
	free(dict);
}

static void test_assemble_eviction(void **state)
{
	uint8_t *dict = make_dict(200);
	struct ztdp_netconf_asm a;
	const uint8_t *d;
	size_t dl;
	struct body first = { NULL, 0 }, b;

	(void)state;
	load_ctrl();
	ztdp_netconf_asm_init(&a, 0);
	/* Update 1 half done, then three more updates start: 1 is the least
	 * recently touched and goes. */
	first = sign_chunk(NWID, 1, 200, 0, dict, 100);
	assert_int_equal(add_body(&a, &first, &d, &dl), ZTDP_NCASM_PENDING);
	for (uint64_t u = 2; u <= 1 + ZTDP_NETCONF_MAX_INCOMING_UPDATES; u++) {
		b = sign_chunk(NWID, u, 200, 0, dict, 100);
		assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCASM_PENDING);
		free(b.p);
	}
	/* The second half of update 1 alone does not complete it ... */
	b = sign_chunk(NWID, 1, 200, 100, dict + 100, 100);
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCASM_PENDING);
	/* ... until the first half is sent again. */
	assert_int_equal(add_body(&a, &first, &d, &dl), ZTDP_NCASM_COMPLETE);
	assert_memory_equal(d, dict, 200);
	free(b.p);
	free(first.p);
	/* Touching an update keeps it: update 3 (touched after 2) survives
	 * while 2 goes. */
	b = sign_chunk(NWID, 3, 200, 100, dict + 100, 100);
	assert_int_equal(add_body(&a, &b, &d, &dl), ZTDP_NCASM_COMPLETE);
	free(b.p);
	ztdp_netconf_asm_fini(&a);
	free(dict);
}

/* ---- Real chunks ---------------------------------------------------------------- */

struct real_ctx {
	const struct vc_nodes *nodes;
	struct body bodies[16];
	unsigned int n;
};

static void collect_chunk(void *ctx, const struct vc_packet *vp)
{
	struct real_ctx *c = ctx;
	const uint8_t *p = vp->pkt + ZTDP_PKT_IDX_PAYLOAD;
	size_t len = vp->len - ZTDP_PKT_IDX_PAYLOAD;
	struct ztdp_ok ok;

	if (vp->verb == ZTDP_VERB_OK) {
		assert_int_equal(ztdp_ok_decode(p, len, &ok), 0);
		if (ok.in_re_verb != ZTDP_VERB_NETWORK_CONFIG_REQUEST)
			return;
		p = ok.payload;
		len = ok.payload_len;
	} else if (vp->verb != ZTDP_VERB_NETWORK_CONFIG) {
		return;
	}
	assert_true(c->n < 16);
	c->bodies[c->n].p = malloc(len);
	memcpy(c->bodies[c->n].p, p, len);
	c->bodies[c->n++].len = len;
}

static void check_real_chunks(const char *dir, const char *pcap, unsigned int min)
{
	char rel[256], ids[256];
	struct vc_nodes nodes;
	struct vc_stats st;
	struct real_ctx c;
	const struct ztdp_identity *root;

	snprintf(rel, sizeof(rel), "%s/%s", dir, pcap);
	snprintf(ids, sizeof(ids), "%s/identities", dir);
	if (!ztdp_test_have_shared(rel) || !vc_nodes_load(&nodes, ids)) {
		skip();
		return;
	}
	root = &nodes.id[VC_ROOT];
	memset(&c, 0, sizeof(c));
	c.nodes = &nodes;
	vc_run(&nodes, rel, collect_chunk, &c, &st);
	assert_true(c.n >= min);
	for (unsigned int i = 0; i < c.n; i++) {
		struct ztdp_netconf_chunk ch, ch2;
		struct ztdp_netconf_asm a;
		struct ztdp_netconf_chunker ker;
		struct ztdp_identity a_id = nodes.id[VC_A];
		const uint8_t *d;
		size_t dl;
		uint8_t *dict;
		size_t dict_len;
		uint8_t *buf = malloc(CHUNK_BUF);
		unsigned int pieces = 0;
		int rc;

		assert_int_equal(ztdp_netconf_chunk_decode(c.bodies[i].p, c.bodies[i].len,
							   &ch), 0);
		assert_false(ch.legacy);
		assert_int_equal(ch.index, 0);
		assert_int_equal(ch.data_len, ch.total_len);
		assert_true(ch.update_id != 0);
		/* Verifies against the controller (root), not against a. */
		assert_true(ztdp_netconf_chunk_verify(&ch, root));
		assert_false(ztdp_netconf_chunk_verify(&ch, &a_id));
		/* A tampered copy does not. */
		c.bodies[i].p[10 + ch.data_len / 2] ^= 0x01;
		assert_int_equal(ztdp_netconf_chunk_decode(c.bodies[i].p, c.bodies[i].len,
							   &ch2), 0);
		assert_false(ztdp_netconf_chunk_verify(&ch2, root));
		c.bodies[i].p[10 + ch.data_len / 2] ^= 0x01;

		/* Assemble the real one. */
		ztdp_netconf_asm_init(&a, 0);
		assert_int_equal(ztdp_netconf_asm_add(&a, &ch, root, false, 0, &d, &dl),
				 ZTDP_NCASM_COMPLETE);
		dict_len = dl;
		dict = malloc(dict_len);
		memcpy(dict, d, dl);
		{
			struct ztdp_dict dd;

			assert_int_equal(ztdp_dict_init(&dd, dict, dict_len), 0);
			assert_true(ztdp_dict_has(&dd, "nwid"));
		}
		ztdp_netconf_asm_fini(&a);

		/* Re-chunk the real config with the root's key into 97-byte
		 * pieces, assemble backwards. */
		assert_int_equal(ztdp_netconf_chunker_init(&ker, root, ch.nwid, ch.update_id + 1,
							   0, dict, dict_len, 97), 0);
		ztdp_netconf_asm_init(&a, 0);
		{
			struct body parts[64];
			unsigned int np = 0;

			for (;;) {
				struct ztdp_wr w;

				ztdp_wr_init(&w, buf, CHUNK_BUF);
				rc = ztdp_netconf_chunker_next(&ker, &w);
				if (rc == 0)
					break;
				assert_int_equal(rc, 1);
				assert_true(np < 64);
				parts[np].p = malloc(w.off);
				memcpy(parts[np].p, buf, w.off);
				parts[np++].len = w.off;
			}
			while (np > 0) {
				struct ztdp_netconf_chunk pc;

				np--;
				assert_int_equal(ztdp_netconf_chunk_decode(parts[np].p,
									   parts[np].len, &pc), 0);
				rc = ztdp_netconf_asm_add(&a, &pc, root, false, 0, &d, &dl);
				pieces++;
				assert_int_equal(rc, np == 0 ? ZTDP_NCASM_COMPLETE
							   : ZTDP_NCASM_PENDING);
				free(parts[np].p);
			}
		}
		assert_true(pieces > 5);
		assert_int_equal(dl, dict_len);
		assert_memory_equal(d, dict, dict_len);
		ztdp_netconf_asm_fini(&a);
		free(dict);
		free(buf);
		free(c.bodies[i].p);
	}
	print_message("%s: %u real config chunks verified and reassembled\n", rel, c.n);
	vc_nodes_free(&nodes);
}

static void test_real_chunks(void **state)
{
	(void)state;
	check_real_chunks("interop/data", "pcap/underlay-join-ping.pcap", 4);
}

static void test_real_chunks_bridge(void **state)
{
	(void)state;
	check_real_chunks("interop/data-bridge", "pcap/bridge-underlay.pcap", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunk_codec),
		cmocka_unit_test(test_chunk_tamper),
		cmocka_unit_test(test_chunk_legacy),
		cmocka_unit_test(test_assemble_any_order),
		cmocka_unit_test(test_assemble_overlaps_and_lies),
		cmocka_unit_test(test_assemble_limits),
		cmocka_unit_test(test_assemble_eviction),
		cmocka_unit_test(test_real_chunks),
		cmocka_unit_test(test_real_chunks_bridge),
	};
	int rc;

	if (ztdp_crypto_init(NULL) != 0) {
		fprintf(stderr, "ztdp_crypto_init failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ztdp_identity_clear(&ctrl);
	return rc;
}
