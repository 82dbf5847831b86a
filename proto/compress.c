/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LZ4 payload compression (protocol notes section 3.4): the bytes after the
 * 28-byte header are one raw LZ4 block, verb flag 0x80 says so. Compression
 * happens before armoring and decompression after dearmoring, so the input
 * here is always plaintext.
 */
#include <limits.h>
#include <string.h>

#include <lz4.h>

#include "ztdp_packet.h"

/* Largest payload a decompressed packet may carry: the whole must still fit
 * ZTDP_MAX_PACKET_LEN, as in 1.14.1's receive buffer. */
#define MAX_PAYLOAD	(ZTDP_MAX_PACKET_LEN - ZTDP_PKT_IDX_PAYLOAD)

int ztdp_packet_decompress(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap)
{
	size_t clen, room;
	int n;

	if (len < ZTDP_PKT_MIN_LEN)
		return ZTDP_PKT_ESHORT;
	if (!ztdp_packet_is_compressed(pkt))
		return ZTDP_PKT_EINVAL;
	if (cap < ZTDP_PKT_HEADER_LEN)
		return ZTDP_PKT_ERANGE;
	clen = len - ZTDP_PKT_IDX_PAYLOAD;
	if (clen > INT_MAX)
		return ZTDP_PKT_ELZ4;
	memcpy(out, pkt, ZTDP_PKT_HEADER_LEN);
	out[ZTDP_PKT_IDX_VERB] &= (uint8_t)~ZTDP_PKT_VERB_FLAG_COMPRESSED;
	/* 1.14.1 accepts the flag on an empty payload and just clears it. */
	if (clen == 0)
		return ZTDP_PKT_HEADER_LEN;
	/* The output bound is what stops a bomb: LZ4_decompress_safe never
	 * writes past it and fails if the block wants more. Decoding into a
	 * caller buffer smaller than MAX_PAYLOAD would turn "too large for
	 * the caller" into "corrupt", so say ERANGE when the cap is the
	 * limit and the block did not fit. */
	room = cap - ZTDP_PKT_HEADER_LEN;
	if (room > MAX_PAYLOAD)
		room = MAX_PAYLOAD;
	n = LZ4_decompress_safe((const char *)pkt + ZTDP_PKT_IDX_PAYLOAD,
				(char *)out + ZTDP_PKT_IDX_PAYLOAD, (int)clen, (int)room);
	if (n <= 0) {
		if (room < MAX_PAYLOAD)
			return ZTDP_PKT_ERANGE;
		return ZTDP_PKT_ELZ4;
	}
	return ZTDP_PKT_HEADER_LEN + n;
}

int ztdp_packet_compress(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap)
{
	size_t plen, room;
	int n;

	if (len < ZTDP_PKT_MIN_LEN)
		return ZTDP_PKT_ESHORT;
	if (len > ZTDP_MAX_PACKET_LEN)
		return ZTDP_PKT_ERANGE;
	if (ztdp_packet_is_compressed(pkt))
		return ZTDP_PKT_EINVAL;
	plen = len - ZTDP_PKT_IDX_PAYLOAD;
	if (plen <= ZTDP_LZ4_MIN_PAYLOAD)
		return 0;
	if (cap <= ZTDP_PKT_HEADER_LEN)
		return ZTDP_PKT_ERANGE;
	/* Only a strictly smaller block is kept, so bounding LZ4's output at
	 * plen - 1 both enforces that and means no scratch buffer is needed:
	 * LZ4 gives up (returns 0) rather than exceed the bound. */
	room = cap - ZTDP_PKT_HEADER_LEN;
	if (room > plen - 1)
		room = plen - 1;
	n = LZ4_compress_default((const char *)pkt + ZTDP_PKT_IDX_PAYLOAD,
				 (char *)out + ZTDP_PKT_IDX_PAYLOAD, (int)plen, (int)room);
	if (n <= 0) {
		/* Not smaller, or the caller's cap was the limit. */
		return room < plen - 1 ? ZTDP_PKT_ERANGE : 0;
	}
	memcpy(out, pkt, ZTDP_PKT_HEADER_LEN);
	out[ZTDP_PKT_IDX_VERB] |= ZTDP_PKT_VERB_FLAG_COMPRESSED;
	return ZTDP_PKT_HEADER_LEN + n;
}
