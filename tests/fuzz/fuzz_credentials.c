/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: Tag, certificate of ownership and Revocation
 * (section 9.4).
 *
 * Byte 0 selects the credential (0 tag, 1 COO, 2 revocation, 3 the
 * NETWORK_CREDENTIALS layout of section 6.9 after its COMs: u16 count and
 * credentials, for tags, revocations and COOs in turn). Each credential
 * decoded must encode, decode from that encoding to the same value and
 * encode again to the same bytes (ext bytes and foreign signature bytes are
 * dropped, so the first encoding may be shorter than the input), and verify
 * against a fixed controller without crashing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_credentials.h"

static const char controller_text[] =
	"31a462e3d2:0:747ee46fa6b6a594750f693fd92d9f74b44d641744dcbad7f016f048ea773113"
	"0d17bcdb7e85615a9d03dbd73ebca8c25947950c8dad8ef56dcf6de3d485d139";
static struct ztdp_identity controller;

enum { SEL_TAG, SEL_COO, SEL_REV, SEL_LIST, SEL_N };

static int dec(int sel, struct ztdp_rd *r, void *o)
{
	switch (sel) {
	case SEL_TAG:
		return ztdp_tag_decode(r, o);
	case SEL_COO:
		return ztdp_coo_decode(r, o);
	default:
		return ztdp_revocation_decode(r, o);
	}
}

static int enc(int sel, struct ztdp_wr *w, const void *o)
{
	switch (sel) {
	case SEL_TAG:
		return ztdp_tag_encode(w, o);
	case SEL_COO:
		return ztdp_coo_encode(w, o);
	default:
		return ztdp_revocation_encode(w, o);
	}
}

static bool verify(int sel, const void *o)
{
	switch (sel) {
	case SEL_TAG:
		return ztdp_tag_verify(o, &controller);
	case SEL_COO:
		return ztdp_coo_verify(o, &controller);
	default:
		return ztdp_revocation_verify(o, &controller);
	}
}

/* One credential at r; false when it does not decode. */
static bool one(int sel, struct ztdp_rd *r)
{
	union {
		struct ztdp_tag t;
		struct ztdp_coo c;
		struct ztdp_revocation v;
	} a, b;
	uint8_t e1[1024], e2[1024];
	struct ztdp_wr w1, w2;
	struct ztdp_rd r2;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	rc = dec(sel, r, &a);
	if (rc != ZTDP_CRED_OK)
		return false;
	(void)verify(sel, &a);
	ztdp_wr_init(&w1, e1, sizeof(e1));
	CHECK(enc(sel, &w1, &a) == ZTDP_CRED_OK);
	ztdp_rd_init(&r2, e1, w1.off);
	CHECK(dec(sel, &r2, &b) == ZTDP_CRED_OK);
	CHECK(r2.off == w1.off);
	ztdp_wr_init(&w2, e2, sizeof(e2));
	CHECK(enc(sel, &w2, &b) == ZTDP_CRED_OK);
	CHECK(w1.off == w2.off && memcmp(e1, e2, w1.off) == 0);
	CHECK(verify(sel, &a) == verify(sel, &b));
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool loaded;
	struct ztdp_rd r;
	int sel;

	if (!loaded) {
		CHECK(ztdp_identity_from_string(&controller, controller_text, NULL) == 0);
		loaded = true;
	}
	if (size < 1)
		return 0;
	sel = data[0] % SEL_N;
	ztdp_rd_init(&r, data + 1, size - 1);
	if (sel != SEL_LIST) {
		while (ztdp_rd_left(&r) > 0 && one(sel, &r))
			;
		return 0;
	}
	for (int kind = SEL_TAG; kind <= SEL_REV; kind++) {
		static const int order[3] = { SEL_TAG, SEL_REV, SEL_COO };
		unsigned int n = ztdp_rd_u16(&r);

		for (unsigned int i = 0; i < n && ztdp_rd_ok(&r); i++)
			if (!one(order[kind], &r))
				return 0;
	}
	return 0;
}
