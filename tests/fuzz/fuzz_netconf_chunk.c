/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: config chunk codec and assembler (section 6.11).
 *
 * Input: a sequence of records, each
 *   mode (u8) | length (u16, big-endian) | body (length bytes)
 * until the input ends. Each body goes through ztdp_netconf_chunk_decode;
 * a decoded chunk must re-encode to a prefix of the body and decode again
 * to the same fields. Then it is offered to one assembler (capacity 4096,
 * so limits are reachable):
 *   mode bit 0: re-sign it first with the harness's controller key
 *               (random signatures never verify, and the assembler's
 *               interesting paths are behind the check); the nwid is set
 *               to one of two networks of that controller (bit 2);
 *   mode bit 1: legacy chunks accepted (as if from the controller).
 * After every add the assembler's invariants hold: ranges sorted, disjoint,
 * not abutting, within total; have_bytes = their sum; a COMPLETE result is
 * total bytes followed by a NUL; an update completes at most once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_netconf_chunk.h"

/* interop/data/identities/c: controller of networks a05f585b07xxxxxx. */
static const char ctrl_secret[] =
	"a05f585b07:0:5e8165f3bb7f58025e96d6a4e928c58b859d4273dbd3630d26ad4ef2b6"
	"67eb3a543092af90038415cc77ac46815358648fb2f024759138c82243c952557b95b2:"
	"c78b0dc9afaf7a885eb666219bce6a2541f141e0ba150e2d5ad212dd52e6d6bb02959a"
	"8620e360b2525af65478738945f0b8ce8e3de677b9b0ad4557b6906842";
static const uint64_t nwids[2] = { 0xa05f585b07000001ULL, 0xa05f585b07ffffffULL };

#define CAPACITY 4096

static struct ztdp_identity ctrl;
static uint8_t enc[70000], signed_buf[70000];

static void check_slot(const struct ztdp_netconf_asm_slot *s)
{
	uint64_t sum = 0;

	if (!s->in_use)
		return;
	CHECK(s->buf != NULL);
	CHECK(s->total_len < CAPACITY);
	CHECK(s->nranges <= ZTDP_NETCONF_ASM_MAX_RANGES);
	for (unsigned int i = 0; i < s->nranges; i++) {
		CHECK(s->ranges[i].start < s->ranges[i].end);
		CHECK(s->ranges[i].end <= s->total_len);
		if (i > 0)
			CHECK(s->ranges[i - 1].end < s->ranges[i].start);
		sum += s->ranges[i].end - s->ranges[i].start;
	}
	CHECK(sum == s->have_bytes);
	CHECK(s->have_bytes <= s->total_len);
	CHECK(s->complete == (s->have_bytes == s->total_len));
}

static void check_codec(const uint8_t *body, size_t len,
			const struct ztdp_netconf_chunk *c)
{
	struct ztdp_netconf_chunk again;
	struct ztdp_wr w;

	ztdp_wr_init(&w, enc, sizeof(enc));
	CHECK(ztdp_netconf_chunk_encode(&w, c) == 0);
	CHECK(w.off <= len && memcmp(enc, body, w.off) == 0);
	CHECK(ztdp_netconf_chunk_decode(enc, w.off, &again) == 0);
	CHECK(again.nwid == c->nwid && again.legacy == c->legacy &&
	      again.data_len == c->data_len && again.flags == c->flags &&
	      again.update_id == c->update_id && again.total_len == c->total_len &&
	      again.index == c->index && again.sig_type == c->sig_type &&
	      again.sig_len == c->sig_len && again.signed_len == c->signed_len);
	CHECK(c->legacy || (uint64_t)c->index + c->data_len <= c->total_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ztdp_netconf_asm a;
	size_t off = 0;

	if (ctrl.address == 0) {
		const char *why;

		if (ztdp_identity_from_string(&ctrl, ctrl_secret, &why) != 0)
			abort();
	}
	ztdp_netconf_asm_init(&a, CAPACITY);
	while (off + 3 <= size) {
		uint8_t mode = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		struct ztdp_netconf_chunk c;
		const uint8_t *dict = NULL;
		size_t dict_len = 0;
		int rc;

		off += 3;
		if (len > size - off)
			len = size - off;
		rc = ztdp_netconf_chunk_decode(data + off, len, &c);
		if (rc == 0)
			check_codec(data + off, len, &c);
		off += len;
		if (rc != 0) {
			CHECK(rc < 0);
			continue;
		}
		if ((mode & 1) && !c.legacy) {
			struct ztdp_wr w;

			ztdp_wr_init(&w, signed_buf, sizeof(signed_buf));
			CHECK(ztdp_netconf_chunk_sign_encode(&w, &ctrl, nwids[(mode >> 2) & 1],
							     c.flags, c.update_id, c.total_len,
							     c.index, c.data, c.data_len) == 0);
			CHECK(ztdp_netconf_chunk_decode(signed_buf, w.off, &c) == 0);
			CHECK(ztdp_netconf_chunk_verify(&c, &ctrl));
		}
		rc = ztdp_netconf_asm_add(&a, &c, &ctrl, (mode & 2) != 0, c.update_id ^ 0x55,
					  &dict, &dict_len);
		CHECK(rc == ZTDP_NCASM_PENDING || rc == ZTDP_NCASM_COMPLETE ||
		      rc == ZTDP_NCASM_DUPLICATE || rc < 0);
		if (rc == ZTDP_NCASM_COMPLETE) {
			CHECK(dict != NULL && dict_len < CAPACITY);
			CHECK(dict[dict_len] == 0);
			/* The last chunk's bytes are where it said. */
			if (c.data_len > 0)
				CHECK(memcmp(dict + (c.legacy ? 0 : c.index), c.data,
					     c.data_len) == 0);
		}
		for (int i = 0; i < ZTDP_NETCONF_MAX_INCOMING_UPDATES; i++)
			check_slot(&a.slot[i]);
	}
	ztdp_netconf_asm_fini(&a);
	return 0;
}
