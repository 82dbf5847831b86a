/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fragment reassembly with bounded memory (protocol notes section 5.3).
 *
 * A fixed table of entries, each able to hold one packet of up to
 * ZTDP_MAX_PACKET_LEN bytes, sized once at init: after that nothing is
 * allocated. Entries are keyed by (packet ID, source key); the source key
 * is an opaque 64-bit value from the caller (e.g. a hash of the underlay
 * IP and port) so that fragments from different senders never mix and one
 * sender cannot take more than `per_source` entries. When the table (or a
 * sender's share) is full the oldest entry goes. Entries older than
 * `timeout_ms` are dropped. Time is the caller's, in milliseconds.
 *
 * Nothing is authenticated here: the assembled packet must still be
 * dearmored, which is what rejects a forged piece. Reassembly only has to
 * keep its memory bounded and never assemble something malformed, so it
 * treats every inconsistency as a drop and counts it.
 *
 * Not thread-safe: one table per worker (fragments of a flow go to one
 * worker when the caller steers by underlay address).
 */
#ifndef ZTDP_REASM_H
#define ZTDP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_wire.h"

/* Why a datagram or an entry was dropped. Declared once; expands to the
 * enum below and to the names of ztdp_reasm_drop_name. */
#define foreach_ztdp_reasm_drop						\
	_(SHORT, "datagram too short for a head or fragment")		\
	_(NOT_FRAGMENT, "neither a fragment nor a head with flag 0x40")	\
	_(BAD_TOTAL, "fragment total not in 2..7")			\
	_(BAD_NUMBER, "fragment number not in 1..6")			\
	_(NUMBER_GE_TOTAL, "fragment number not below its total")	\
	_(TOTAL_MISMATCH, "fragment total differs from earlier ones")	\
	_(DEST_MISMATCH, "destination differs from earlier pieces")	\
	_(DUPLICATE, "duplicate piece (same bytes)")			\
	_(CONFLICT, "duplicate piece with different bytes")		\
	_(TOO_LONG, "pieces exceed the maximum packet length")		\
	_(OUT_TOO_SMALL, "caller buffer too small: packet dropped")	\
	_(TIMEOUT, "entry expired incomplete")				\
	_(EVICT_FULL, "entry evicted: table full")			\
	_(EVICT_SOURCE, "entry evicted: source over its share")

enum ztdp_reasm_drop {
	ZTDP_REASM_DROP_NONE = 0,
#define _(sym, str) ZTDP_REASM_DROP_##sym,
	foreach_ztdp_reasm_drop
#undef _
	ZTDP_REASM_N_DROP
};

/* Results of ztdp_reasm_add_*: >= 0 success, < 0 = -(enum ztdp_reasm_drop)
 * for the datagram just given. */
#define ZTDP_REASM_PENDING	0	/* kept, packet not complete yet */
#define ZTDP_REASM_COMPLETE	1	/* packet assembled into the caller's buffer */

/* Defaults. */
#define ZTDP_REASM_DEFAULT_ENTRIES	64
#define ZTDP_REASM_DEFAULT_PER_SOURCE	16
#define ZTDP_REASM_DEFAULT_TIMEOUT_MS	5000	/* ZT_RECEIVE_QUEUE_TIMEOUT */
#define ZTDP_REASM_MAX_ENTRIES		65536

struct ztdp_reasm_config {
	unsigned int entries;		/* table capacity (global cap), 1..65536 */
	unsigned int per_source;	/* max live entries per source key, 1..entries */
	uint64_t timeout_ms;		/* incomplete entries older than this go */
	uint64_t hash_seed;		/* random per process: keeps attackers from
					 * choosing colliding packet IDs */
};

/* Counters. Invariants (checked by the tests and the fuzzer):
 *   datagrams == accepted + sum of the per-datagram drops
 *   accepted == pieces_live + pieces_completed + pieces_discarded
 * where the per-datagram drops are every reason except TIMEOUT,
 * EVICT_FULL, EVICT_SOURCE and OUT_TOO_SMALL, which count entries. */
struct ztdp_reasm_stats {
	uint64_t datagrams;		/* heads and fragments offered */
	uint64_t accepted;		/* stored into an entry */
	uint64_t completed;		/* packets assembled */
	uint64_t pieces_completed;	/* pieces that went into those */
	uint64_t pieces_discarded;	/* pieces of entries timed out/evicted/dropped */
	uint64_t drops[ZTDP_REASM_N_DROP];
};

struct ztdp_reasm;

/* Fill c with the defaults above (hash_seed 0: set your own). */
void ztdp_reasm_config_default(struct ztdp_reasm_config *c);
/* Bytes a table with this config needs, or 0 if the config is invalid. */
size_t ztdp_reasm_memsize(const struct ztdp_reasm_config *c);
/* Lay out a table in caller memory (at least ztdp_reasm_memsize bytes,
 * aligned to 16). Returns it, or NULL for a bad config or short memory. */
struct ztdp_reasm *ztdp_reasm_init(void *mem, size_t memlen, const struct ztdp_reasm_config *c);
/* Same with one allocation; free with ztdp_reasm_destroy. */
struct ztdp_reasm *ztdp_reasm_create(const struct ztdp_reasm_config *c);
void ztdp_reasm_destroy(struct ztdp_reasm *t);

/* Offer a head: a packet datagram (>= 28 bytes) with flag 0x40 set. */
int ztdp_reasm_add_head(struct ztdp_reasm *t, uint64_t source_key, const uint8_t *d,
			size_t len, uint64_t now_ms, uint8_t *out, size_t cap, size_t *out_len);
/* Offer a fragment datagram (section 5.1 layout, whole datagram). */
int ztdp_reasm_add_fragment(struct ztdp_reasm *t, uint64_t source_key, const uint8_t *d,
			    size_t len, uint64_t now_ms, uint8_t *out, size_t cap,
			    size_t *out_len);
/* Either of the above by classification; a packet without flag 0x40 is
 * -ZTDP_REASM_DROP_NOT_FRAGMENT (the caller should not have offered it). */
int ztdp_reasm_add(struct ztdp_reasm *t, uint64_t source_key, const uint8_t *d, size_t len,
		   uint64_t now_ms, uint8_t *out, size_t cap, size_t *out_len);

/* Drop entries older than the timeout; returns how many. The add calls
 * do this too, so a busy table needs no separate timer. */
unsigned int ztdp_reasm_expire(struct ztdp_reasm *t, uint64_t now_ms);
/* Drop everything (pieces count as discarded, under no reason). */
void ztdp_reasm_clear(struct ztdp_reasm *t);

/* Live (incomplete) entries, overall and for one source key. */
unsigned int ztdp_reasm_live(const struct ztdp_reasm *t);
unsigned int ztdp_reasm_live_for_source(const struct ztdp_reasm *t, uint64_t source_key);
/* Pieces currently held; with stats gives the invariant above. */
uint64_t ztdp_reasm_pieces_live(const struct ztdp_reasm *t);
const struct ztdp_reasm_stats *ztdp_reasm_stats(const struct ztdp_reasm *t);
/* Name of a drop reason ("too short ..."), "none" for 0, "?" out of range. */
const char *ztdp_reasm_drop_name(enum ztdp_reasm_drop why);
/* Short identifier of a reason ("SHORT", "TIMEOUT") for counters/metrics. */
const char *ztdp_reasm_drop_id(enum ztdp_reasm_drop why);
/* True for reasons that count entries rather than offered datagrams. */
bool ztdp_reasm_drop_is_entry(enum ztdp_reasm_drop why);

#endif /* ZTDP_REASM_H */
