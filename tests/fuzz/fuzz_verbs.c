/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: every verb payload codec (proto/ztdp_verbs.h) and the
 * config chunk codec.
 *
 * Input: byte 0 selects the decoder (byte % VD_COUNT, see
 * tests/verbs_dispatch.h), the rest is the payload.
 *
 * If it decodes: every accessor walks the decoded lists without error;
 * encode succeeds; decoding the encoding gives an equal message; for
 * canonical formats the encoding is a prefix of the input (only ignored
 * trailing bytes may differ); encoding again gives the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "../verbs_dispatch.h"
#include "ztdp_capability.h"
#include "ztdp_credentials.h"

static uint8_t enc[ZTDP_MAX_PACKET_LEN * 2], enc2[sizeof(enc)];

/* Walk every list the message points at, through the public accessors. */
static void walk(enum vd_kind k, const union vd_msg *m)
{
	switch (k) {
	case VD_HELLO: {
		struct ztdp_hello_moon moon;

		for (unsigned int i = 0; i < m->hello.moon_count; i++)
			CHECK(ztdp_hello_moon_get(&m->hello, i, &moon) == 0);
		break;
	}
	case VD_WHOIS:
		for (unsigned int i = 0; i < m->whois.count; i++)
			(void)ztdp_whois_address(&m->whois, i);
		break;
	case VD_OK_WHOIS: {
		struct ztdp_identity id;

		for (unsigned int i = 0; i < m->ok_whois.count; i++)
			CHECK(ztdp_ok_whois_identity(&m->ok_whois, i, &id) == 0);
		break;
	}
	case VD_MULTICAST_LIKE: {
		struct ztdp_multicast_like_rec r;

		for (unsigned int i = 0; i < m->multicast_like.count; i++)
			ztdp_multicast_like_get(&m->multicast_like, i, &r);
		break;
	}
	case VD_OK_MULTICAST_GATHER:
		for (unsigned int i = 0; i < m->ok_multicast_gather.res.count; i++)
			(void)ztdp_gather_results_address(&m->ok_multicast_gather.res, i);
		break;
	case VD_OK_MULTICAST_FRAME:
		for (unsigned int i = 0; i < m->ok_multicast_frame.res.count; i++)
			(void)ztdp_gather_results_address(&m->ok_multicast_frame.res, i);
		break;
	case VD_PUSH_DIRECT_PATHS: {
		struct ztdp_push_path p;
		struct ztdp_rd it;
		unsigned int n = 0;
		int rc;

		ztdp_rd_init(&it, m->push_direct_paths.raw, m->push_direct_paths.raw_len);
		while ((rc = ztdp_push_direct_paths_next(&it, &p)) == 1)
			n++;
		CHECK(rc == 0);
		CHECK(n == m->push_direct_paths.count);
		break;
	}
	case VD_NETWORK_CREDENTIALS: {
		/* decode() promised every section parses as its count says. */
		static struct ztdp_capability cap;
		const struct ztdp_network_credentials *c = &m->network_credentials;
		struct ztdp_com com;
		struct ztdp_tag tag;
		struct ztdp_revocation rev;
		struct ztdp_coo coo;
		struct ztdp_rd r;

		ztdp_rd_init(&r, c->coms, c->coms_len);
		for (unsigned int i = 0; i < c->com_count; i++)
			CHECK(ztdp_com_decode(&r, &com) == 0);
		CHECK(ztdp_rd_ok(&r) && ztdp_rd_left(&r) == 0);
		ztdp_rd_init(&r, c->caps, c->caps_len);
		for (unsigned int i = 0; i < c->cap_count; i++)
			CHECK(ztdp_capability_decode(&r, &cap) == 0);
		CHECK(ztdp_rd_ok(&r) && ztdp_rd_left(&r) == 0);
		ztdp_rd_init(&r, c->tags, c->tags_len);
		for (unsigned int i = 0; i < c->tag_count; i++)
			CHECK(ztdp_tag_decode(&r, &tag) == 0);
		CHECK(ztdp_rd_ok(&r) && ztdp_rd_left(&r) == 0);
		ztdp_rd_init(&r, c->revocations, c->revocations_len);
		for (unsigned int i = 0; i < c->revocation_count; i++)
			CHECK(ztdp_revocation_decode(&r, &rev) == 0);
		CHECK(ztdp_rd_ok(&r) && ztdp_rd_left(&r) == 0);
		ztdp_rd_init(&r, c->coos, c->coos_len);
		for (unsigned int i = 0; i < c->coo_count; i++)
			CHECK(ztdp_coo_decode(&r, &coo) == 0);
		CHECK(ztdp_rd_ok(&r) && ztdp_rd_left(&r) == 0);
		break;
	}
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union vd_msg m, again;
	enum vd_kind k;
	struct ztdp_wr w;
	const uint8_t *p;
	size_t len, n;
	int rc;

	if (size < 1)
		return 0;
	k = (enum vd_kind)(data[0] % VD_COUNT);
	p = data + 1;
	len = size - 1;

	if (k == VD_HELLO) {
		/* The offset helper reads only the clear part, in bounds. */
		size_t off = 0;

		if (ztdp_hello_crypt_offset(p, len, &off) == 0)
			CHECK(off <= len);
	}
	rc = vd_decode(k, p, len, &m);
	if (rc != 0) {
		CHECK(rc < 0);
		vd_clear(k, &m);
		return 0;
	}
	walk(k, &m);

	ztdp_wr_init(&w, enc, sizeof(enc));
	rc = vd_encode(k, &w, &m);
	CHECK(rc == 0);
	n = w.off;
	if (vd_canonical(k))
		CHECK(n <= len && memcmp(enc, p, n) == 0);

	CHECK(vd_decode(k, enc, n, &again) == 0);
	CHECK(vd_equal(k, &m, &again));

	ztdp_wr_init(&w, enc2, sizeof(enc2));
	CHECK(vd_encode(k, &w, &again) == 0);
	CHECK(w.off == n && memcmp(enc, enc2, n) == 0);

	/* The same message into a writer one byte short fails cleanly. */
	if (n > 0) {
		ztdp_wr_init(&w, enc2, n - 1);
		rc = vd_encode(k, &w, &m);
		CHECK(rc == ZTDP_VERBS_ENOSPC || rc == ZTDP_NCC_ENOSPC);
		CHECK(w.off <= n - 1);
	}
	vd_clear(k, &m);
	vd_clear(k, &again);
	return 0;
}
