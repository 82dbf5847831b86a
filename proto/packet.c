/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet headers, datagram classification and fragmentation (protocol notes
 * sections 3.1, 5.1, 5.2). The numbering rules follow what 1.14.1 sends and
 * accepts; see ztdp_packet.h.
 */
#include <string.h>

#include "ztdp_packet.h"

enum ztdp_dgram_kind ztdp_dgram_classify(const uint8_t *d, size_t len)
{
	/* Same order as 1.14.1: the beacon length wins, then the fragment
	 * indicator (only looked at when there is a fragment payload), then
	 * the minimum packet length. A source address never starts with
	 * 0xff, so a packet cannot be mistaken for a fragment. */
	if (len == ZTDP_BEACON_LEN)
		return ZTDP_DGRAM_BEACON;
	if (len > ZTDP_FRAG_HEADER_LEN && d[ZTDP_FRAG_IDX_INDICATOR] == ZTDP_FRAG_INDICATOR)
		return ZTDP_DGRAM_FRAGMENT;
	if (len >= ZTDP_PKT_MIN_LEN)
		return ZTDP_DGRAM_PACKET;
	if (len == ZTDP_JUNK_LEN)
		return ZTDP_DGRAM_JUNK;
	return ZTDP_DGRAM_SHORT;
}

const char *ztdp_dgram_kind_name(enum ztdp_dgram_kind kind)
{
	switch (kind) {
	case ZTDP_DGRAM_SHORT:
		return "short";
	case ZTDP_DGRAM_JUNK:
		return "junk";
	case ZTDP_DGRAM_BEACON:
		return "beacon";
	case ZTDP_DGRAM_FRAGMENT:
		return "fragment";
	case ZTDP_DGRAM_PACKET:
		return "packet";
	}
	return "?";
}

int ztdp_packet_header_decode(const uint8_t *pkt, size_t len, struct ztdp_pkt_header *h)
{
	struct ztdp_rd r;
	uint8_t verb;

	ztdp_rd_init(&r, pkt, len);
	h->id = ztdp_rd_u64(&r);
	h->dest = ztdp_rd_u40(&r);
	h->source = ztdp_rd_u40(&r);
	h->flags = ztdp_rd_u8(&r);
	ztdp_rd_skip(&r, ZTDP_PKT_MAC_LEN);
	verb = ztdp_rd_u8(&r);
	if (!ztdp_rd_ok(&r)) {
		memset(h, 0, sizeof(*h));
		return ZTDP_PKT_ESHORT;
	}
	h->cipher = (uint8_t)((h->flags & ZTDP_PKT_FLAGS_CIPHER_MASK) >> ZTDP_PKT_FLAGS_CIPHER_SHIFT);
	h->hops = h->flags & ZTDP_PKT_FLAGS_HOPS_MASK;
	h->fragmented = (h->flags & ZTDP_PKT_FLAG_FRAGMENTED) != 0;
	h->verb = verb & ZTDP_PKT_VERB_MASK;
	h->compressed = (verb & ZTDP_PKT_VERB_FLAG_COMPRESSED) != 0;
	return ZTDP_PKT_OK;
}

int ztdp_packet_begin(struct ztdp_wr *w, uint64_t id, uint64_t dest, uint64_t source,
		      unsigned int verb)
{
	uint8_t *h;

	if (verb > ZTDP_PKT_VERB_MASK || dest >> 40 != 0 || source >> 40 != 0)
		return ZTDP_PKT_EINVAL;
	h = ztdp_wr_reserve(w, ZTDP_PKT_HEADER_LEN);
	if (h == NULL)
		return ZTDP_PKT_ERANGE;
	ztdp_store_be64(h + ZTDP_PKT_IDX_IV, id);
	ztdp_store_be40(h + ZTDP_PKT_IDX_DEST, dest);
	ztdp_store_be40(h + ZTDP_PKT_IDX_SOURCE, source);
	h[ZTDP_PKT_IDX_FLAGS] = 0;
	memset(h + ZTDP_PKT_IDX_MAC, 0, ZTDP_PKT_MAC_LEN);
	h[ZTDP_PKT_IDX_VERB] = (uint8_t)verb;
	return ZTDP_PKT_OK;
}

int ztdp_fragment_decode(const uint8_t *d, size_t len, struct ztdp_fragment *f)
{
	memset(f, 0, sizeof(*f));
	/* A fragment carries at least one byte: 1.14.1 only takes the
	 * fragment branch for len > 16. */
	if (len <= ZTDP_FRAG_HEADER_LEN)
		return ZTDP_PKT_ESHORT;
	if (d[ZTDP_FRAG_IDX_INDICATOR] != ZTDP_FRAG_INDICATOR)
		return ZTDP_PKT_EINVAL;
	f->packet_id = ztdp_load_be64(d + ZTDP_FRAG_IDX_PACKET_ID);
	f->dest = ztdp_load_be40(d + ZTDP_FRAG_IDX_DEST);
	f->total = (uint8_t)(d[ZTDP_FRAG_IDX_COUNTS] >> ZTDP_FRAG_COUNTS_TOTAL_SHIFT);
	f->number = d[ZTDP_FRAG_IDX_COUNTS] & ZTDP_FRAG_COUNTS_NUMBER_MASK;
	f->hops = d[ZTDP_FRAG_IDX_HOPS] & ZTDP_PKT_FLAGS_HOPS_MASK;
	f->payload = d + ZTDP_FRAG_IDX_PAYLOAD;
	f->payload_len = len - ZTDP_FRAG_IDX_PAYLOAD;
	return ZTDP_PKT_OK;
}

bool ztdp_fragment_numbers_ok(unsigned int total, unsigned int number)
{
	/* 1.14.1 checks total <= 7 and 1 <= number < 7 but not number <
	 * total; such a fragment could never complete there, so refusing it
	 * up front changes nothing but memory use. */
	return total > 1 && total <= ZTDP_MAX_FRAGMENTS && number >= 1 && number < total;
}

int ztdp_fragment_count(size_t len, size_t mtu)
{
	size_t rest, per, n;

	if (len < ZTDP_PKT_MIN_LEN || len > ZTDP_MAX_PACKET_LEN || mtu < ZTDP_PKT_MIN_LEN)
		return ZTDP_PKT_ERANGE;
	if (len <= mtu)
		return 1;
	rest = len - mtu;
	per = mtu - ZTDP_FRAG_HEADER_LEN;
	n = 1 + (rest + per - 1) / per;
	/* The nibble would hold 15, but receivers drop anything above 7:
	 * better to refuse here than to send a packet nobody assembles. */
	if (n > ZTDP_MAX_FRAGMENTS)
		return ZTDP_PKT_ERANGE;
	return (int)n;
}

int ztdp_packet_prepare_fragments(uint8_t *pkt, size_t len, size_t mtu)
{
	int n = ztdp_fragment_count(len, mtu);

	if (n < 0)
		return n;
	ztdp_packet_set_fragmented(pkt, n > 1);
	return n;
}

int ztdp_fragment_slice(size_t len, size_t mtu, unsigned int f, size_t *off, size_t *n)
{
	int count = ztdp_fragment_count(len, mtu);
	size_t per, start;

	if (count < 0 || f >= (unsigned int)count)
		return ZTDP_PKT_ERANGE;
	if (f == 0) {
		*off = 0;
		*n = len < mtu ? len : mtu;
		return ZTDP_PKT_OK;
	}
	per = mtu - ZTDP_FRAG_HEADER_LEN;
	start = mtu + (size_t)(f - 1) * per;
	*off = start;
	*n = len - start < per ? len - start : per;
	return ZTDP_PKT_OK;
}

void ztdp_fragment_header_write(uint8_t hdr[ZTDP_FRAG_HEADER_LEN], const uint8_t *pkt,
				unsigned int number, unsigned int total)
{
	memcpy(hdr + ZTDP_FRAG_IDX_PACKET_ID, pkt + ZTDP_PKT_IDX_IV, 8);
	memcpy(hdr + ZTDP_FRAG_IDX_DEST, pkt + ZTDP_PKT_IDX_DEST, ZTDP_ADDRESS_LEN);
	hdr[ZTDP_FRAG_IDX_INDICATOR] = ZTDP_FRAG_INDICATOR;
	hdr[ZTDP_FRAG_IDX_COUNTS] = (uint8_t)(((total & 0x0f) << ZTDP_FRAG_COUNTS_TOTAL_SHIFT) |
					      (number & ZTDP_FRAG_COUNTS_NUMBER_MASK));
	hdr[ZTDP_FRAG_IDX_HOPS] = 0;
}

int ztdp_fragment_encode(const uint8_t *pkt, size_t len, size_t mtu, unsigned int f,
			 uint8_t *out, size_t cap)
{
	size_t off, n, hlen;
	int count, rc;

	count = ztdp_fragment_count(len, mtu);
	if (count < 0)
		return count;
	rc = ztdp_fragment_slice(len, mtu, f, &off, &n);
	if (rc < 0)
		return rc;
	hlen = f == 0 ? 0 : ZTDP_FRAG_HEADER_LEN;
	if (cap < hlen + n)
		return ZTDP_PKT_ERANGE;
	if (f > 0)
		ztdp_fragment_header_write(out, pkt, f, (unsigned int)count);
	memcpy(out + hlen, pkt + off, n);
	return (int)(hlen + n);
}
