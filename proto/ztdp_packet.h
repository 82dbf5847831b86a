/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet headers, datagram classification, fragmentation and LZ4 payload
 * compression (protocol notes sections 3 and 5).
 *
 * Everything here works on raw UDP payload bytes; nothing allocates and
 * nothing does I/O. Reassembly of fragments lives in ztdp_reasm.h.
 *
 * A packet as it sits in memory: 28-byte header (ID, dest, source, flags,
 * MAC, verb) and payload; at most ZTDP_MAX_PACKET_LEN bytes in all. When it
 * does not fit one datagram it goes out as a head (the first MTU bytes, flag
 * 0x40 set before armoring) and up to six fragments with their own 16-byte
 * header.
 */
#ifndef ZTDP_PACKET_H
#define ZTDP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_buf.h"
#include "ztdp_wire.h"

/* Error codes of this module (0 = success). */
enum {
	ZTDP_PKT_OK = 0,
	ZTDP_PKT_ESHORT = -1,	/* input too short for what it claims to be */
	ZTDP_PKT_EINVAL = -2,	/* malformed: a field holds a value not allowed */
	ZTDP_PKT_ERANGE = -3,	/* does not fit: output buffer, MTU or fragment count */
	ZTDP_PKT_ELZ4 = -4,	/* LZ4 block invalid or decompresses too large */
};

/* ---- Datagram classification (section 5.1) ---------------------------- */

enum ztdp_dgram_kind {
	ZTDP_DGRAM_SHORT = 0,	/* too short to be anything: drop */
	ZTDP_DGRAM_JUNK,	/* 4 bytes: RENDEZVOUS NAT-opening junk: drop */
	ZTDP_DGRAM_BEACON,	/* 13 bytes: legacy LAN beacon (8 random + address) */
	ZTDP_DGRAM_FRAGMENT,	/* > 16 bytes and byte 13 == 0xff */
	ZTDP_DGRAM_PACKET,	/* >= 28 bytes: a whole packet or a fragmented head */
};

/* What a received UDP payload is, in the order 1.14.1 tests it. */
enum ztdp_dgram_kind ztdp_dgram_classify(const uint8_t *d, size_t len);
/* "short", "junk", "beacon", "fragment", "packet". */
const char *ztdp_dgram_kind_name(enum ztdp_dgram_kind kind);

/* ---- Packet header (section 3.1) -------------------------------------- */

/* The header fields, decoded. verb and compressed only mean something
 * after dearmoring (the verb byte is encrypted). */
struct ztdp_pkt_header {
	uint64_t id;		/* bytes 0..7 */
	uint64_t dest;		/* 40 bits */
	uint64_t source;	/* 40 bits */
	uint8_t flags;		/* raw flags byte */
	uint8_t cipher;		/* suite 0..7 from flags bits 5..3 */
	uint8_t hops;		/* flags bits 2..0 */
	bool fragmented;	/* flag 0x40 */
	uint8_t verb;		/* verb number, 0..31 */
	bool compressed;	/* verb flag 0x80 */
};

/* Decode the 28-byte header; ZTDP_PKT_ESHORT if len < 28. */
int ztdp_packet_header_decode(const uint8_t *pkt, size_t len, struct ztdp_pkt_header *h);

/* Begin an outgoing packet in w: ID, dest, source, flags 0 (cipher and
 * legacy bits are set by armor), zero MAC, verb. The verb encoder then
 * appends the payload to w. Returns 0, or ZTDP_PKT_ERANGE if w has no room,
 * ZTDP_PKT_EINVAL for a verb above 31 or an address above 40 bits. */
int ztdp_packet_begin(struct ztdp_wr *w, uint64_t id, uint64_t dest, uint64_t source,
		      unsigned int verb);

/* Raw accessors; the caller has checked len >= ZTDP_PKT_HEADER_LEN. */
static inline uint64_t ztdp_packet_id(const uint8_t *pkt)
{
	return ztdp_load_be64(pkt + ZTDP_PKT_IDX_IV);
}

static inline uint64_t ztdp_packet_dest(const uint8_t *pkt)
{
	return ztdp_load_be40(pkt + ZTDP_PKT_IDX_DEST);
}

static inline uint64_t ztdp_packet_source(const uint8_t *pkt)
{
	return ztdp_load_be40(pkt + ZTDP_PKT_IDX_SOURCE);
}

static inline unsigned int ztdp_packet_cipher(const uint8_t *pkt)
{
	return (pkt[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAGS_CIPHER_MASK) >>
	       ZTDP_PKT_FLAGS_CIPHER_SHIFT;
}

static inline unsigned int ztdp_packet_hops(const uint8_t *pkt)
{
	return pkt[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAGS_HOPS_MASK;
}

static inline bool ztdp_packet_is_fragmented(const uint8_t *pkt)
{
	return (pkt[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAG_FRAGMENTED) != 0;
}

static inline unsigned int ztdp_packet_verb(const uint8_t *pkt)
{
	return pkt[ZTDP_PKT_IDX_VERB] & ZTDP_PKT_VERB_MASK;
}

static inline bool ztdp_packet_is_compressed(const uint8_t *pkt)
{
	return (pkt[ZTDP_PKT_IDX_VERB] & ZTDP_PKT_VERB_FLAG_COMPRESSED) != 0;
}

/* Relays bump the hop count, the only unauthenticated header field. */
static inline void ztdp_packet_set_hops(uint8_t *pkt, unsigned int hops)
{
	pkt[ZTDP_PKT_IDX_FLAGS] = (uint8_t)((pkt[ZTDP_PKT_IDX_FLAGS] & ~ZTDP_PKT_FLAGS_HOPS_MASK) |
					    (hops & ZTDP_PKT_FLAGS_HOPS_MASK));
}

static inline void ztdp_packet_set_fragmented(uint8_t *pkt, bool on)
{
	if (on)
		pkt[ZTDP_PKT_IDX_FLAGS] |= ZTDP_PKT_FLAG_FRAGMENTED;
	else
		pkt[ZTDP_PKT_IDX_FLAGS] &= (uint8_t)~ZTDP_PKT_FLAG_FRAGMENTED;
}

/* ---- Fragmentation (section 5) ---------------------------------------- */

/* A fragment datagram (not the head), decoded. The payload points into
 * the datagram. total and number are the raw nibbles: decoding only checks
 * structure, ztdp_reasm judges whether the numbers make sense. */
struct ztdp_fragment {
	uint64_t packet_id;
	uint64_t dest;
	uint8_t total;		/* high nibble of byte 14: datagrams incl. head */
	uint8_t number;		/* low nibble: this fragment's number, 1.. */
	uint8_t hops;		/* byte 15, low 3 bits */
	const uint8_t *payload;
	size_t payload_len;	/* >= 1 */
};

/* Decode a fragment: ZTDP_PKT_ESHORT if len <= 16, ZTDP_PKT_EINVAL if
 * byte 13 is not 0xff. */
int ztdp_fragment_decode(const uint8_t *d, size_t len, struct ztdp_fragment *f);

/* True if total/number are ones a 1.14.1 receiver accepts:
 * 1 < total <= 7, 1 <= number < total. */
bool ztdp_fragment_numbers_ok(unsigned int total, unsigned int number);

/* How many datagrams (head included) a packet of len bytes needs at
 * physical MTU mtu: 1 if it fits whole, else 2..ZTDP_MAX_FRAGMENTS.
 * ZTDP_PKT_ERANGE if it would need more than ZTDP_MAX_FRAGMENTS (receivers
 * drop those), if len is outside 28..ZTDP_MAX_PACKET_LEN, or if mtu is
 * below ZTDP_PKT_MIN_LEN (no room for a head). Note 7 datagrams at the
 * default MTU carry only 1432 + 6 * 1416 = 9928 bytes, not the full
 * ZTDP_MAX_PACKET_LEN. */
int ztdp_fragment_count(size_t len, size_t mtu);

/* Set or clear flag 0x40 according to ztdp_fragment_count; call before
 * armoring (the flag is authenticated). Returns the count or an error. */
int ztdp_packet_prepare_fragments(uint8_t *pkt, size_t len, size_t mtu);

/* Where datagram f (0 = head) of a packet of len bytes at mtu takes its
 * bytes from: pkt[*off .. *off + *n). For f >= 1 the datagram is the
 * 16-byte fragment header followed by that slice. Returns 0 or
 * ZTDP_PKT_ERANGE if f is not below ztdp_fragment_count. */
int ztdp_fragment_slice(size_t len, size_t mtu, unsigned int f, size_t *off, size_t *n);

/* Write the 16-byte header of fragment number (1..total-1) of the armored
 * packet pkt (packet ID and dest copied from it), hop count 0. */
void ztdp_fragment_header_write(uint8_t hdr[ZTDP_FRAG_HEADER_LEN], const uint8_t *pkt,
				unsigned int number, unsigned int total);

/* Build datagram f (0 = head, a plain copy) of the armored packet into
 * out. Returns the datagram length or a negative error. A convenience for
 * tests and the slow path; the fast path uses slice + header_write to
 * avoid the copy. */
int ztdp_fragment_encode(const uint8_t *pkt, size_t len, size_t mtu, unsigned int f,
			 uint8_t *out, size_t cap);

/* Relays bump a fragment's hop count (byte 15). */
static inline unsigned int ztdp_fragment_hops(const uint8_t *d)
{
	return d[ZTDP_FRAG_IDX_HOPS] & ZTDP_PKT_FLAGS_HOPS_MASK;
}

static inline void ztdp_fragment_set_hops(uint8_t *d, unsigned int hops)
{
	d[ZTDP_FRAG_IDX_HOPS] = (uint8_t)(hops & ZTDP_PKT_FLAGS_HOPS_MASK);
}

/* ---- LZ4 payload compression (section 3.4) ---------------------------- */

/* Decompress a dearmored packet whose verb byte has flag 0x80: header
 * copied to out with the flag cleared, bytes 28.. LZ4-block-decoded after
 * it. out must not overlap pkt. The payload may expand to at most
 * ZTDP_MAX_PACKET_LEN - 28 bytes. Returns the new total length, or
 * ZTDP_PKT_ESHORT (len < 28), ZTDP_PKT_EINVAL (flag not set),
 * ZTDP_PKT_ELZ4 (bad block, empty result or too large), ZTDP_PKT_ERANGE
 * (out too small for the result). A compressed packet with an empty
 * payload decompresses to the bare header, as in 1.14.1. */
int ztdp_packet_decompress(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap);

/* Compress a plaintext packet before armoring: header copied to out with
 * verb flag 0x80 set, bytes 28.. as one raw LZ4 block after it (out must
 * not overlap pkt). Returns
 * the new length; 0 if not worth it (payload <= 64 bytes or the block
 * would not be strictly smaller), leaving pkt to be sent as is; or
 * ZTDP_PKT_ESHORT / ZTDP_PKT_EINVAL (already compressed) / ZTDP_PKT_ERANGE
 * (len over ZTDP_MAX_PACKET_LEN or out too small; a cap of len always
 * suffices). */
int ztdp_packet_compress(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap);

#endif /* ZTDP_PACKET_H */
