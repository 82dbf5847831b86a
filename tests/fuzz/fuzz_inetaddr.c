/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: InetAddress decode/encode/format/parse, MAC parsing.
 *
 * 1. Decode InetAddresses back to back until the input ends or one fails;
 *    each one decoded must re-encode (IPv4/IPv6/nil) to bytes that decode
 *    to the same value, and format -> parse must give it back.
 * 2. The input as a string: parse must not crash; a success must survive
 *    format -> parse. Same for ztdp_mac_parse.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_inetaddr.h"
#include "ztdp_mac.h"

static void check_text(const struct ztdp_inetaddr *a)
{
	char s[ZTDP_INETADDR_STRLEN];
	struct ztdp_inetaddr b;
	int n = ztdp_inetaddr_format(a, s, sizeof(s));

	CHECK(n >= 0 && (size_t)n < sizeof(s) && strlen(s) == (size_t)n);
	if (a->family == 0) {
		CHECK(n == 0);
		return;
	}
	CHECK(ztdp_inetaddr_parse(&b, s) == 0);
	CHECK(ztdp_inetaddr_equal(a, &b));
	/* Any shorter buffer fails cleanly. */
	CHECK(ztdp_inetaddr_format(a, s, (size_t)n) == -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *d = malloc(size ? size : 1), buf[ZTDP_INETADDR_MAX_LEN];
	struct ztdp_inetaddr a, b;
	struct ztdp_rd r;
	char *s;

	if (d == NULL)
		return 0;
	memcpy(d, data, size);
	ztdp_rd_init(&r, d, size);
	while (ztdp_rd_left(&r) > 0) {
		size_t before = r.off;
		struct ztdp_wr w;
		struct ztdp_rd r2;

		if (ztdp_inetaddr_decode(&r, &a) != 0) {
			CHECK(!ztdp_rd_ok(&r) && a.family == 0);
			break;
		}
		CHECK(r.off > before);
		CHECK(a.family == 0 || a.family == 4 || a.family == 6);
		ztdp_wr_init(&w, buf, sizeof(buf));
		CHECK(ztdp_inetaddr_encode(&w, &a) == 0);
		CHECK(w.off == ztdp_inetaddr_encoded_len(&a));
		/* The same bytes as the input unless it was a skipped type. */
		if (a.family != 0 || d[before] == 0)
			CHECK(memcmp(buf, d + before, w.off) == 0 && w.off == r.off - before);
		ztdp_rd_init(&r2, buf, w.off);
		CHECK(ztdp_inetaddr_decode(&r2, &b) == 0 && ztdp_rd_left(&r2) == 0);
		CHECK(ztdp_inetaddr_equal(&a, &b));
		check_text(&a);
	}

	s = malloc(size + 1);
	if (s != NULL) {
		uint64_t mac;

		memcpy(s, data, size);
		s[size] = '\0';
		if (ztdp_inetaddr_parse(&a, s) == 0) {
			CHECK(a.family == 4 || a.family == 6);
			check_text(&a);
		}
		if (ztdp_mac_parse(&mac, s) == 0) {
			char t[ZTDP_MAC_STRLEN];

			CHECK(mac >> 48 == 0);
			CHECK(ztdp_mac_format(mac, t, sizeof(t)) == 17);
			CHECK(ztdp_mac_parse(&mac, t) == 0);
		}
		free(s);
	}
	free(d);
	return 0;
}
