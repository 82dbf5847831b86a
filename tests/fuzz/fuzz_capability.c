/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: Capability decode / encode / verify (section 9.4).
 *
 * Decode capabilities back to back until the input ends or one fails. For
 * each decoded one: encode must succeed (unless it holds something that
 * cannot be re-encoded), re-decode to the same capability and re-encode to
 * the same bytes; the signing message must build; verification (against a
 * fixed controller key, with a lookup) must give a defined result; its rules
 * are evaluated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_buf.h"
#include "ztdp_capability.h"
#include "ztdp_identity.h"
#include "ztdp_rules.h"

/* Public key of the data-bridge controller 7a4d39540c. */
static const char controller_text[] =
	"7a4d39540c:0:f3045885bf763134762a6cab58068cbf445a9d9f176eedd55580ff4e6dc7c342"
	"f654340f9e60ee0685483fe8dd84b6b0e0bb3c642d29ffb3aa2f4cd2f5f8391a";

static struct ztdp_identity controller;
static bool have_controller;

static const struct ztdp_identity *lookup(void *ctx, uint64_t address)
{
	struct ztdp_identity *id = ctx;

	/* Any address: the controller's key under that address. */
	id->address = address;
	return id;
}

static bool same_capability(const struct ztdp_capability *a,
			    const struct ztdp_capability *b)
{
	if (a->nwid != b->nwid || a->ts != b->ts || a->id != b->id ||
	    a->max_custody != b->max_custody ||
	    a->custody_count != b->custody_count ||
	    a->rule_count != b->rule_count)
		return false;
	for (unsigned int i = 0; i < a->rule_count; i++)
		if (!ztdp_rule_equal(&a->rules[i], &b->rules[i]))
			return false;
	for (unsigned int i = 0; i < a->custody_count; i++) {
		const struct ztdp_capability_custody *x = &a->custody[i];
		const struct ztdp_capability_custody *y = &b->custody[i];

		if (x->to != y->to || x->from != y->from ||
		    x->sig_type != y->sig_type || x->sig_len != y->sig_len ||
		    memcmp(x->sig, y->sig, x->sig_len) != 0)
			return false;
	}
	return true;
}

static struct ztdp_capability cap, cap2;
static uint8_t enc[16384], enc2[16384], msg[4096];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t frame[] = {
		0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 147, 33, 11,
		10, 147, 33, 12, 0x9c, 0x40, 0, 9, 0, 12, 0, 0, 1, 2, 3, 4,
	};
	uint8_t *buf = malloc(size ? size : 1);
	struct ztdp_rd r;

	CHECK(buf != NULL);
	memcpy(buf, data, size);
	if (!have_controller) {
		const char *why;

		CHECK(ztdp_identity_from_string(&controller, controller_text, &why) == 0);
		have_controller = true;
	}
	ztdp_rd_init(&r, buf, size);
	while (ztdp_rd_left(&r) > 0) {
		struct ztdp_identity any = controller;
		struct ztdp_rules_frame f = {
			.zt_source = 0x0265755a25ULL, .zt_dest = 0x9c1c357ba4ULL,
			.ethertype = 0x0800, .data = frame, .len = sizeof(frame),
		};
		struct ztdp_rules_env env = { .self = 0x0265755a25ULL };
		struct ztdp_rules_verdict v;
		struct ztdp_rules_set set;
		struct ztdp_wr w, w2;
		struct ztdp_rd r2;
		uint64_t need = 0;
		int rc, len;

		rc = ztdp_capability_decode(&r, &cap);
		if (rc != ZTDP_CAP_OK) {
			CHECK(rc < 0 && !ztdp_rd_ok(&r));
			break;
		}
		CHECK(cap.rule_count <= ZTDP_NETCONF_MAX_CAPABILITY_RULES);
		CHECK(cap.max_custody >= 1 &&
		      cap.max_custody <= ZTDP_CAPABILITY_MAX_CUSTODY);
		CHECK(cap.custody_count <= cap.max_custody);

		ztdp_wr_init(&w, enc, sizeof(enc));
		rc = ztdp_capability_encode(&w, &cap);
		if (rc == ZTDP_CAP_OK) {
			ztdp_rd_init(&r2, enc, w.off);
			CHECK(ztdp_capability_decode(&r2, &cap2) == ZTDP_CAP_OK);
			CHECK(ztdp_rd_left(&r2) == 0);
			CHECK(same_capability(&cap, &cap2));
			ztdp_wr_init(&w2, enc2, sizeof(enc2));
			CHECK(ztdp_capability_encode(&w2, &cap2) == ZTDP_CAP_OK);
			CHECK(w2.off == w.off && memcmp(enc, enc2, w.off) == 0);
		} else {
			CHECK(rc == ZTDP_CAP_E_RULES || rc == ZTDP_CAP_E_SIGNATURE);
		}

		len = ztdp_capability_signing_message(&cap, msg, sizeof(msg));
		CHECK(len > 0 || len == ZTDP_CAP_E_RULES);
		rc = ztdp_capability_verify(&cap, &controller, lookup, &any, &need);
		CHECK(rc == ZTDP_CAP_VERIFY_OK || rc == ZTDP_CAP_VERIFY_BAD);
		rc = ztdp_capability_verify(&cap, NULL, NULL, NULL, &need);
		CHECK(rc == ZTDP_CAP_VERIFY_BAD || rc == ZTDP_CAP_VERIFY_WHOIS);
		(void)ztdp_capability_issued_to(&cap);

		set = ztdp_capability_rules(&cap);
		ztdp_rules_filter(NULL, 0, &set, 1, &f, &env, false, &v);
	}
	free(buf);
	return 0;
}
