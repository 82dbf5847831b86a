/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: certificates of membership (sections 9.1, 9.3).
 *
 * Decode COMs back to back (as NETWORK_CREDENTIALS carries them). Each one
 * decoded must re-encode to exactly the bytes it was decoded from (the COM
 * format has no optional or skipped parts), verify against a fixed
 * controller without crashing, and be compared with the previous one by
 * the gate's agreement tests.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_credentials.h"

/* The interop/data controller 31a462e3d2 (public key). */
static const char controller_text[] =
	"31a462e3d2:0:747ee46fa6b6a594750f693fd92d9f74b44d641744dcbad7f016f048ea773113"
	"0d17bcdb7e85615a9d03dbd73ebca8c25947950c8dad8ef56dcf6de3d485d139";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ztdp_identity controller;
	static bool loaded;
	struct ztdp_com prev, com;
	bool have_prev = false;
	struct ztdp_rd r;
	uint8_t out[1024];

	if (!loaded) {
		CHECK(ztdp_identity_from_string(&controller, controller_text, NULL) == 0);
		loaded = true;
	}
	ztdp_rd_init(&r, data, size);
	while (ztdp_rd_left(&r) > 0) {
		size_t start = r.off;
		struct ztdp_wr w;

		if (ztdp_com_decode(&r, &com) != ZTDP_CRED_OK) {
			CHECK(com.qualifier_count == 0 && com.signed_by == 0);
			break;
		}
		CHECK(com.qualifier_count <= ZTDP_COM_MAX_QUALIFIERS);
		ztdp_wr_init(&w, out, sizeof(out));
		CHECK(ztdp_com_encode(&w, &com) == ZTDP_CRED_OK);
		CHECK(w.off == r.off - start && w.off == ztdp_com_size(&com));
		CHECK(memcmp(out, data + start, w.off) == 0);
		(void)ztdp_com_verify(&com, &controller);
		(void)ztdp_com_agree_identity(&com, &com, &controller);
		if (have_prev) {
			(void)ztdp_com_agree(&prev, &com);
			(void)ztdp_com_agree(&com, &prev);
			(void)ztdp_com_agree_identity(&prev, &com, &controller);
		}
		prev = com;
		have_prev = true;
	}
	return 0;
}
