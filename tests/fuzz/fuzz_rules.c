/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: rule list codec and evaluation (section 10).
 *
 * Input: byte 0 options (bit 0 inbound, bit 1 unknown-match result,
 * bits 2-3 which tags are known, bit 4 the sender owns everything, bit 5
 * no_tee), byte 1 ethertype selector, bytes 2-3 the rule list length L
 * (big-endian), then L bytes of rules, then the frame's Ethernet payload.
 *
 * 1. Decode the rules (netconf form, until the end). If they decode:
 *    encode (unless an unknown rule was too long to keep) -> decode gives
 *    equal rules, and encoding again gives the same bytes; the counted
 *    form reads the same rules.
 * 2. Evaluate them against the frame (also as a capability after a rule
 *    set that falls through), and check the verdict is self-consistent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_buf.h"
#include "ztdp_rules.h"
#include "ztdp_wire.h"

#define MAX_RULES 256

static const uint16_t ethertypes[4] = { 0x0800, 0x86dd, 0x0806, 0x8100 };
static const struct ztdp_rule_tag tags_a[] = { { 1, 5 }, { 2, 0xff }, { 0, 0 } };
static const struct ztdp_rule_tag tags_b[] = { { 1, 7 }, { 2, 0x0f } };

static bool owns_all(void *ctx, uint8_t type, const uint8_t *thing)
{
	(void)ctx;
	(void)type;
	(void)thing;
	return true;
}

static uint32_t draw(void *ctx)
{
	return *(const uint32_t *)ctx;
}

static struct ztdp_rule rules[MAX_RULES], again[MAX_RULES];
static uint8_t enc[MAX_RULES * (ZTDP_RULE_RECORD_HEADER_LEN + ZTDP_RULE_RAW_MAX)];
static uint8_t enc2[sizeof(enc)];

static void check_verdict(const struct ztdp_rules_verdict *v,
			  const struct ztdp_rules_frame *f, unsigned int ncaps)
{
	CHECK(v->copy_count <= 2);
	for (unsigned int i = 0; i < v->copy_count; i++) {
		CHECK(v->copies[i].address != 0);
		CHECK(v->copies[i].length <= f->len);
	}
	CHECK(!(v->accept && v->redirect_to != 0));
	CHECK(!v->super_accept || f->inbound);
	CHECK(v->capability >= -1 && v->capability < (int)ncaps);
	CHECK(v->qos_bucket <= ZTDP_RULE_QOS_BUCKET_MAX);
	if (!v->accept && v->redirect_to == 0)
		CHECK(v->copy_count == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ztdp_rule fall_through[] = {
		{ .t = ZTDP_RULE_ACTION_BREAK },
	};
	struct ztdp_rules_verdict v;
	struct ztdp_rules_frame f;
	struct ztdp_rules_env env;
	struct ztdp_rules_set set;
	struct ztdp_rd r;
	struct ztdp_wr w;
	unsigned int n = 0, m = 0;
	uint8_t *rbuf, *fbuf;
	uint32_t rnd = 0x80000000u;
	size_t rlen, flen;
	uint8_t opts;
	bool encodable = true;
	int rc;

	if (size < 4)
		return 0;
	opts = data[0];
	rlen = ztdp_load_be16(data + 2);
	if (rlen > size - 4)
		rlen = size - 4;
	flen = size - 4 - rlen;
	/* Exact-size copies, so ASan sees any overread. */
	rbuf = malloc(rlen ? rlen : 1);
	fbuf = malloc(flen ? flen : 1);
	CHECK(rbuf != NULL && fbuf != NULL);
	memcpy(rbuf, data + 4, rlen);
	memcpy(fbuf, data + 4 + rlen, flen);

	ztdp_rd_init(&r, rbuf, rlen);
	rc = ztdp_rules_decode_all(&r, rules, MAX_RULES, &n);
	if (rc != ZTDP_RULES_OK) {
		CHECK(rc < 0);
		goto out;
	}
	CHECK(ztdp_rd_left(&r) == 0);

	/* The counted form reads the same. */
	ztdp_rd_init(&r, rbuf, rlen);
	CHECK(ztdp_rules_decode(&r, n, again, MAX_RULES) == ZTDP_RULES_OK);
	CHECK(ztdp_rd_left(&r) == 0);

	for (unsigned int i = 0; i < n; i++)
		if (ztdp_rule_encoded_len(&rules[i]) < 0)
			encodable = false;
	ztdp_wr_init(&w, enc, sizeof(enc));
	rc = ztdp_rules_encode(&w, rules, n);
	if (encodable) {
		struct ztdp_wr w2;

		CHECK(rc == ZTDP_RULES_OK);
		CHECK(w.off <= rlen);	/* canonical is never longer */
		ztdp_rd_init(&r, enc, w.off);
		CHECK(ztdp_rules_decode_all(&r, again, MAX_RULES, &m) == ZTDP_RULES_OK);
		CHECK(m == n);
		for (unsigned int i = 0; i < n; i++)
			CHECK(ztdp_rule_equal(&rules[i], &again[i]));
		ztdp_wr_init(&w2, enc2, sizeof(enc2));
		CHECK(ztdp_rules_encode(&w2, again, m) == ZTDP_RULES_OK);
		CHECK(w2.off == w.off && memcmp(enc, enc2, w.off) == 0);
	} else {
		CHECK(rc == ZTDP_RULES_E_UNENCODABLE);
	}

	memset(&f, 0, sizeof(f));
	f.inbound = opts & 0x01;
	f.zt_source = f.inbound ? 0x9c1c357ba4ULL : 0x0265755a25ULL;
	f.zt_dest = f.inbound ? 0x0265755a25ULL : 0x9c1c357ba4ULL;
	f.mac_source = 0x763d63790e1cULL;
	f.mac_dest = (opts & 0x40) ? 0xffffffffffffULL : 0x76a31a392f9dULL;
	f.ethertype = ethertypes[data[1] & 3];
	f.vlan_id = data[1] >> 4;
	f.data = flen ? fbuf : NULL;
	f.len = flen;
	memset(&env, 0, sizeof(env));
	env.self = 0x0265755a25ULL;
	env.unsupported_match_result = opts & 0x02;
	if (opts & 0x04) {
		env.local_tags = tags_a;
		env.local_tag_count = 3;
	}
	if (opts & 0x08) {
		env.remote_tags = tags_b;
		env.remote_tag_count = 2;
	}
	if (opts & 0x10)
		env.owns = owns_all;
	if (opts & 0x80) {
		env.random = draw;
		env.random_ctx = &rnd;
	}
	ztdp_rules_filter(rules, n, NULL, 0, &f, &env, opts & 0x20, &v);
	check_verdict(&v, &f, 0);
	set.rules = rules;
	set.count = n;
	ztdp_rules_filter(fall_through, 1, &set, 1, &f, &env, opts & 0x20, &v);
	check_verdict(&v, &f, 1);
out:
	free(rbuf);
	free(fbuf);
	return 0;
}
