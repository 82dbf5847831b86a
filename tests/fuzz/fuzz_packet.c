/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: everything in ztdp_packet.h that reads wire bytes.
 *
 * The input is one UDP payload (byte 0 also picks an MTU for step 4).
 * 1. Classification, header decode and fragment decode must agree with
 *    each other and never read outside the input.
 * 2. LZ4 decompression (with the verb flag forced on) into a full-size and
 *    into a small buffer: never beyond the limit; a success must survive
 *    compress -> decompress unchanged.
 * 3. Compression of the input as a plaintext packet must round-trip.
 * 4. As a packet, splitting at the chosen MTU and joining must give it back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_packet.h"

static uint8_t out[ZTDP_MAX_PACKET_LEN], again[ZTDP_MAX_PACKET_LEN];
static uint8_t dg[ZTDP_MAX_PACKET_LEN], joined[ZTDP_MAX_PACKET_LEN];

static void check_decode(const uint8_t *d, size_t len)
{
	enum ztdp_dgram_kind k = ztdp_dgram_classify(d, len);
	struct ztdp_pkt_header h;
	struct ztdp_fragment f;
	int rc;

	rc = ztdp_packet_header_decode(d, len, &h);
	CHECK((rc == 0) == (len >= ZTDP_PKT_HEADER_LEN));
	if (rc == 0) {
		CHECK(h.id == ztdp_packet_id(d));
		CHECK(h.dest == ztdp_packet_dest(d) && h.dest >> 40 == 0);
		CHECK(h.source == ztdp_packet_source(d) && h.source >> 40 == 0);
		CHECK(h.cipher == ztdp_packet_cipher(d) && h.cipher < 8);
		CHECK(h.hops == ztdp_packet_hops(d) && h.hops < 8);
		CHECK(h.verb == ztdp_packet_verb(d) && h.verb < 32);
		CHECK(h.fragmented == ztdp_packet_is_fragmented(d));
		CHECK(h.compressed == ztdp_packet_is_compressed(d));
	}
	rc = ztdp_fragment_decode(d, len, &f);
	CHECK((rc == 0) == (k == ZTDP_DGRAM_FRAGMENT));
	if (rc == 0) {
		CHECK(f.payload == d + ZTDP_FRAG_HEADER_LEN);
		CHECK(f.payload_len == len - ZTDP_FRAG_HEADER_LEN && f.payload_len > 0);
		CHECK(f.total < 16 && f.number < 16 && f.hops < 8);
		CHECK(ztdp_fragment_numbers_ok(f.total, f.number) ==
		      (f.total >= 2 && f.total <= 7 && f.number >= 1 && f.number < f.total));
	}
	if (k == ZTDP_DGRAM_BEACON)
		CHECK(len == ZTDP_BEACON_LEN);
	if (k == ZTDP_DGRAM_PACKET)
		CHECK(len >= ZTDP_PKT_MIN_LEN);
}

static void check_lz4(const uint8_t *d, size_t len)
{
	uint8_t *pkt;
	int n, m;

	if (len < ZTDP_PKT_MIN_LEN)
		return;
	/* Exact-size copy so ASan sees any overread; flag forced on. */
	pkt = malloc(len);
	if (pkt == NULL)
		return;
	memcpy(pkt, d, len);
	pkt[ZTDP_PKT_IDX_VERB] |= ZTDP_PKT_VERB_FLAG_COMPRESSED;
	n = ztdp_packet_decompress(pkt, len, out, sizeof(out));
	CHECK(n == ZTDP_PKT_ELZ4 || (n >= ZTDP_PKT_HEADER_LEN && n <= ZTDP_MAX_PACKET_LEN));
	/* A smaller buffer: the same result if it fits, else an error. */
	m = ztdp_packet_decompress(pkt, len, again, 1000);
	/* liblz4 checks a block's tail rules more strictly near the end of
	 * the output buffer, so a malformed block that decodes into a large
	 * buffer may be refused by a small one (found by this fuzzer; the
	 * reproducer is corpus/fuzz_packet/regress-lz4-small-buffer). What
	 * must hold: a small buffer never yields different bytes. */
	if (n >= 0 && n <= 1000)
		CHECK(m < 0 || (m == n && memcmp(out, again, (size_t)n) == 0));
	else
		CHECK(m < 0);
	if (n > 0) {
		CHECK(!ztdp_packet_is_compressed(out));
		m = ztdp_packet_compress(out, (size_t)n, again, sizeof(again));
		CHECK(m >= 0);
		if (m > 0) {
			uint8_t *c = malloc((size_t)m);

			CHECK(m < n);
			if (c != NULL) {
				memcpy(c, again, (size_t)m);
				CHECK(ztdp_packet_decompress(c, (size_t)m, again, sizeof(again)) == n);
				CHECK(memcmp(again, out, (size_t)n) == 0);
				free(c);
			}
		}
	}
	/* 3: compress the input itself. */
	pkt[ZTDP_PKT_IDX_VERB] &= (uint8_t)~ZTDP_PKT_VERB_FLAG_COMPRESSED;
	n = ztdp_packet_compress(pkt, len, out, len);
	if (len > ZTDP_MAX_PACKET_LEN) {
		CHECK(n == ZTDP_PKT_ERANGE);
	} else if (n > 0) {
		CHECK((size_t)n < len && len - ZTDP_PKT_IDX_PAYLOAD > 64);
		CHECK(ztdp_packet_decompress(out, (size_t)n, again, sizeof(again)) == (int)len);
		CHECK(memcmp(again, pkt, len) == 0);
	} else {
		CHECK(n == 0);
	}
	free(pkt);
}

static void check_split(const uint8_t *d, size_t len, size_t mtu)
{
	int count = ztdp_fragment_count(len, mtu);
	size_t at = 0;

	if (len < ZTDP_PKT_MIN_LEN || len > ZTDP_MAX_PACKET_LEN) {
		CHECK(count == ZTDP_PKT_ERANGE);
		return;
	}
	if (count < 0)
		return;
	CHECK(count >= 1 && count <= ZTDP_MAX_FRAGMENTS);
	for (int f = 0; f < count; f++) {
		int n = ztdp_fragment_encode(d, len, mtu, (unsigned int)f, dg, sizeof(dg));
		struct ztdp_fragment fr;

		CHECK(n > 0 && (size_t)n <= mtu);
		if (f == 0) {
			memcpy(joined, dg, (size_t)n);
			at = (size_t)n;
			continue;
		}
		CHECK(ztdp_fragment_decode(dg, (size_t)n, &fr) == 0);
		CHECK(fr.total == count && fr.number == f);
		CHECK(at + fr.payload_len <= len);
		memcpy(joined + at, fr.payload, fr.payload_len);
		at += fr.payload_len;
	}
	CHECK(at == len && memcmp(joined, d, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t mtus[4] = { 28, 576, 1432, 2800 };
	uint8_t *d;

	/* Exact-size heap copy: ASan flags any read past the datagram. */
	d = malloc(size ? size : 1);
	if (d == NULL)
		return 0;
	memcpy(d, data, size);
	check_decode(d, size);
	check_lz4(d, size);
	check_split(d, size, size > 0 ? mtus[data[0] & 3] + (data[0] >> 2) : 1432);
	free(d);
	return 0;
}
