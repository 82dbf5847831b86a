/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fragment reassembly in a fixed table (protocol notes section 5.3; API and
 * policy in ztdp_reasm.h).
 *
 * Layout, all inside one caller-provided block:
 *   - entries: each holds up to seven pieces (head = piece 0, fragment n =
 *     piece n) appended to its own ZTDP_MAX_PACKET_LEN-byte slab in arrival
 *     order, with (offset, length) per piece; the slab size is what bounds
 *     an entry, whatever the pieces claim;
 *   - a hash of (packet ID, source key) -> entry, chained through the
 *     entries, with buckets = 2 x entries so chains stay short; the seed
 *     keeps a sender from choosing IDs that all land in one chain;
 *   - source slots, hashed by source key, counting each source's live
 *     entries and listing them oldest first so its share can be enforced by
 *     evicting its own oldest entry;
 *   - one age list of all live entries, oldest first, for timeouts and for
 *     eviction when the table is full.
 * Every operation touches a bounded number of entries: O(1) apart from
 * walking one (short) hash chain.
 */
#include <stdlib.h>
#include <string.h>

#include "ztdp_buf.h"
#include "ztdp_packet.h"
#include "ztdp_reasm.h"

#define NIL	UINT32_MAX

struct entry {
	uint64_t id;
	uint64_t src_key;
	uint64_t dest;
	uint64_t created;
	uint32_t hnext;			/* hash chain */
	uint32_t prev, next;		/* age list; next also links the free list */
	uint32_t sprev, snext;		/* this source's entries */
	uint32_t slot;			/* source slot */
	uint16_t used;			/* slab bytes in use */
	uint16_t off[ZTDP_MAX_FRAGMENTS];
	uint16_t len[ZTDP_MAX_FRAGMENTS];
	uint8_t have;			/* bit n: piece n present */
	uint8_t total;			/* from the fragments; 0 = not known yet */
	uint8_t npieces;
	uint8_t in_use;
	uint8_t slab[ZTDP_MAX_PACKET_LEN];
};

struct src_slot {
	uint64_t key;
	uint32_t hnext;			/* hash chain; also the free list */
	uint32_t count;
	uint32_t first, last;		/* its entries, oldest first */
};

struct ztdp_reasm {
	struct ztdp_reasm_config cfg;
	struct ztdp_reasm_stats stats;
	uint32_t mask;			/* buckets - 1 */
	uint32_t *ebucket;
	uint32_t *sbucket;
	struct entry *ent;
	struct src_slot *src;
	uint32_t free_ent;
	uint32_t free_src;
	uint32_t old, young;		/* age list ends */
	uint32_t live;
	uint64_t pieces_live;
	bool owned;
};

/* ---- Names ------------------------------------------------------------- */

static const char *const drop_names[ZTDP_REASM_N_DROP] = {
	[ZTDP_REASM_DROP_NONE] = "none",
#define _(sym, str) [ZTDP_REASM_DROP_##sym] = str,
	foreach_ztdp_reasm_drop
#undef _
};

static const char *const drop_ids[ZTDP_REASM_N_DROP] = {
	[ZTDP_REASM_DROP_NONE] = "NONE",
#define _(sym, str) [ZTDP_REASM_DROP_##sym] = #sym,
	foreach_ztdp_reasm_drop
#undef _
};

const char *ztdp_reasm_drop_name(enum ztdp_reasm_drop why)
{
	return (unsigned int)why < ZTDP_REASM_N_DROP ? drop_names[why] : "?";
}

const char *ztdp_reasm_drop_id(enum ztdp_reasm_drop why)
{
	return (unsigned int)why < ZTDP_REASM_N_DROP ? drop_ids[why] : "?";
}

bool ztdp_reasm_drop_is_entry(enum ztdp_reasm_drop why)
{
	return why == ZTDP_REASM_DROP_TIMEOUT || why == ZTDP_REASM_DROP_EVICT_FULL ||
	       why == ZTDP_REASM_DROP_EVICT_SOURCE || why == ZTDP_REASM_DROP_OUT_TOO_SMALL;
}

/* ---- Setup ------------------------------------------------------------- */

void ztdp_reasm_config_default(struct ztdp_reasm_config *c)
{
	c->entries = ZTDP_REASM_DEFAULT_ENTRIES;
	c->per_source = ZTDP_REASM_DEFAULT_PER_SOURCE;
	c->timeout_ms = ZTDP_REASM_DEFAULT_TIMEOUT_MS;
	c->hash_seed = 0;
}

static size_t align16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

static uint32_t bucket_count(unsigned int entries)
{
	uint32_t b = 2;

	while (b < 2 * entries)
		b <<= 1;
	return b;
}

static bool config_ok(const struct ztdp_reasm_config *c)
{
	return c != NULL && c->entries >= 1 && c->entries <= ZTDP_REASM_MAX_ENTRIES &&
	       c->per_source >= 1 && c->per_source <= c->entries;
}

size_t ztdp_reasm_memsize(const struct ztdp_reasm_config *c)
{
	size_t nb;

	if (!config_ok(c))
		return 0;
	nb = bucket_count(c->entries);
	return align16(sizeof(struct ztdp_reasm)) + align16(2 * nb * sizeof(uint32_t)) +
	       align16(c->entries * sizeof(struct src_slot)) +
	       (size_t)c->entries * sizeof(struct entry);
}

static void reset(struct ztdp_reasm *t)
{
	uint32_t n = t->cfg.entries;

	for (uint32_t i = 0; i <= t->mask; i++) {
		t->ebucket[i] = NIL;
		t->sbucket[i] = NIL;
	}
	/* Only the metadata: the slabs are written before they are read. */
	for (uint32_t i = 0; i < n; i++) {
		t->ent[i].in_use = 0;
		t->ent[i].next = i + 1 < n ? i + 1 : NIL;
		t->src[i].hnext = i + 1 < n ? i + 1 : NIL;
		t->src[i].count = 0;
	}
	t->free_ent = 0;
	t->free_src = 0;
	t->old = t->young = NIL;
	t->live = 0;
	t->pieces_live = 0;
}

struct ztdp_reasm *ztdp_reasm_init(void *mem, size_t memlen, const struct ztdp_reasm_config *c)
{
	struct ztdp_reasm *t = mem;
	uint8_t *p = mem;
	size_t nb;

	if (mem == NULL || ((uintptr_t)mem & 15) != 0 || !config_ok(c) ||
	    memlen < ztdp_reasm_memsize(c))
		return NULL;
	nb = bucket_count(c->entries);
	memset(t, 0, sizeof(*t));
	t->cfg = *c;
	t->mask = (uint32_t)(nb - 1);
	p += align16(sizeof(*t));
	t->ebucket = (uint32_t *)p;
	t->sbucket = t->ebucket + nb;
	p += align16(2 * nb * sizeof(uint32_t));
	t->src = (struct src_slot *)p;
	p += align16(c->entries * sizeof(struct src_slot));
	t->ent = (struct entry *)p;
	reset(t);
	return t;
}

struct ztdp_reasm *ztdp_reasm_create(const struct ztdp_reasm_config *c)
{
	struct ztdp_reasm *t;
	size_t n = ztdp_reasm_memsize(c);
	void *mem;

	if (n == 0)
		return NULL;
	mem = aligned_alloc(16, align16(n));
	if (mem == NULL)
		return NULL;
	t = ztdp_reasm_init(mem, n, c);
	if (t == NULL) {
		free(mem);
		return NULL;
	}
	t->owned = true;
	return t;
}

void ztdp_reasm_destroy(struct ztdp_reasm *t)
{
	if (t != NULL && t->owned)
		free(t);
}

void ztdp_reasm_clear(struct ztdp_reasm *t)
{
	/* Keep the counters' invariant: what was held is now discarded. */
	t->stats.pieces_discarded += t->pieces_live;
	reset(t);
}

/* ---- Hashing ----------------------------------------------------------- */

/* splitmix64's finalizer: every input bit reaches every output bit, so
 * the low bits used as the bucket index depend on the whole key and seed. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint32_t entry_bucket(const struct ztdp_reasm *t, uint64_t id, uint64_t src)
{
	return (uint32_t)mix64(id ^ mix64(src ^ t->cfg.hash_seed)) & t->mask;
}

static uint32_t src_bucket(const struct ztdp_reasm *t, uint64_t src)
{
	return (uint32_t)mix64(src ^ ~t->cfg.hash_seed) & t->mask;
}

static uint32_t find_entry(const struct ztdp_reasm *t, uint64_t id, uint64_t src)
{
	for (uint32_t i = t->ebucket[entry_bucket(t, id, src)]; i != NIL; i = t->ent[i].hnext)
		if (t->ent[i].id == id && t->ent[i].src_key == src)
			return i;
	return NIL;
}

static uint32_t find_src(const struct ztdp_reasm *t, uint64_t src)
{
	for (uint32_t i = t->sbucket[src_bucket(t, src)]; i != NIL; i = t->src[i].hnext)
		if (t->src[i].key == src)
			return i;
	return NIL;
}

/* ---- Entries ----------------------------------------------------------- */

static void free_entry(struct ztdp_reasm *t, uint32_t i)
{
	struct entry *e = &t->ent[i];
	struct src_slot *s = &t->src[e->slot];
	uint32_t *pp;

	/* Hash chain. */
	for (pp = &t->ebucket[entry_bucket(t, e->id, e->src_key)]; *pp != i; pp = &t->ent[*pp].hnext)
		;
	*pp = e->hnext;
	/* Age list. */
	if (e->prev != NIL)
		t->ent[e->prev].next = e->next;
	else
		t->old = e->next;
	if (e->next != NIL)
		t->ent[e->next].prev = e->prev;
	else
		t->young = e->prev;
	/* Source list; the slot goes when its last entry does. */
	if (e->sprev != NIL)
		t->ent[e->sprev].snext = e->snext;
	else
		s->first = e->snext;
	if (e->snext != NIL)
		t->ent[e->snext].sprev = e->sprev;
	else
		s->last = e->sprev;
	if (--s->count == 0) {
		for (pp = &t->sbucket[src_bucket(t, s->key)]; *pp != e->slot; pp = &t->src[*pp].hnext)
			;
		*pp = s->hnext;
		s->hnext = t->free_src;
		t->free_src = e->slot;
	}
	t->live--;
	t->pieces_live -= e->npieces;
	e->in_use = 0;
	e->next = t->free_ent;
	t->free_ent = i;
}

/* Throw an incomplete entry away, counting why. */
static void drop_entry(struct ztdp_reasm *t, uint32_t i, enum ztdp_reasm_drop why)
{
	t->stats.drops[why]++;
	t->stats.pieces_discarded += t->ent[i].npieces;
	free_entry(t, i);
}

static uint32_t new_entry(struct ztdp_reasm *t, uint64_t id, uint64_t src, uint64_t dest,
			  uint64_t now)
{
	uint32_t si, i, b;
	struct src_slot *s;
	struct entry *e;

	/* Room first, so that evicting a source's last entry (which frees its
	 * slot) happens before the slot is looked up for the new one. */
	si = find_src(t, src);
	if (si != NIL && t->src[si].count >= t->cfg.per_source)
		drop_entry(t, t->src[si].first, ZTDP_REASM_DROP_EVICT_SOURCE);
	if (t->free_ent == NIL)
		drop_entry(t, t->old, ZTDP_REASM_DROP_EVICT_FULL);

	si = find_src(t, src);
	if (si == NIL) {
		/* Slots in use <= live entries < entries: one is free. */
		si = t->free_src;
		s = &t->src[si];
		t->free_src = s->hnext;
		s->key = src;
		s->count = 0;
		s->first = s->last = NIL;
		b = src_bucket(t, src);
		s->hnext = t->sbucket[b];
		t->sbucket[b] = si;
	}
	s = &t->src[si];

	i = t->free_ent;
	e = &t->ent[i];
	t->free_ent = e->next;
	e->id = id;
	e->src_key = src;
	e->dest = dest;
	e->created = now;
	e->used = 0;
	e->have = 0;
	e->total = 0;
	e->npieces = 0;
	e->in_use = 1;
	e->slot = si;
	b = entry_bucket(t, id, src);
	e->hnext = t->ebucket[b];
	t->ebucket[b] = i;
	e->next = NIL;
	e->prev = t->young;
	if (t->young != NIL)
		t->ent[t->young].next = i;
	else
		t->old = i;
	t->young = i;
	e->snext = NIL;
	e->sprev = s->last;
	if (s->last != NIL)
		t->ent[s->last].snext = i;
	else
		s->first = i;
	s->last = i;
	s->count++;
	t->live++;
	return i;
}

unsigned int ztdp_reasm_expire(struct ztdp_reasm *t, uint64_t now_ms)
{
	unsigned int n = 0;

	/* The age list is in creation order; a clock that went backwards
	 * only delays expiry (eviction still bounds the table). */
	while (t->old != NIL) {
		uint64_t created = t->ent[t->old].created;

		if (now_ms < created || now_ms - created < t->cfg.timeout_ms)
			break;
		drop_entry(t, t->old, ZTDP_REASM_DROP_TIMEOUT);
		n++;
	}
	return n;
}

/* ---- Adding pieces ----------------------------------------------------- */

static int refuse(struct ztdp_reasm *t, enum ztdp_reasm_drop why)
{
	t->stats.drops[why]++;
	return -(int)why;
}

/* Copy the pieces head first into out and free the entry. */
static int assemble(struct ztdp_reasm *t, uint32_t i, uint8_t *out, size_t cap, size_t *out_len)
{
	struct entry *e = &t->ent[i];
	size_t at = 0;

	if (out == NULL || cap < e->used) {
		drop_entry(t, i, ZTDP_REASM_DROP_OUT_TOO_SMALL);
		return -ZTDP_REASM_DROP_OUT_TOO_SMALL;
	}
	for (unsigned int k = 0; k < e->total; k++) {
		memcpy(out + at, e->slab + e->off[k], e->len[k]);
		at += e->len[k];
	}
	*out_len = at;
	t->stats.completed++;
	t->stats.pieces_completed += e->npieces;
	free_entry(t, i);
	return ZTDP_REASM_COMPLETE;
}

/* Piece k (0 = head) of packet id from source src: n bytes at p. total is
 * the fragment's claim (0 for the head). Numbers are already checked. */
static int add_piece(struct ztdp_reasm *t, uint64_t src, uint64_t id, uint64_t dest,
		     unsigned int k, unsigned int total, const uint8_t *p, size_t n,
		     uint64_t now, uint8_t *out, size_t cap, size_t *out_len)
{
	struct entry *e;
	uint32_t i;

	(void)ztdp_reasm_expire(t, now);
	if (n > ZTDP_MAX_PACKET_LEN)
		return refuse(t, ZTDP_REASM_DROP_TOO_LONG);
	i = find_entry(t, id, src);
	if (i == NIL) {
		i = new_entry(t, id, src, dest, now);
		e = &t->ent[i];
	} else {
		e = &t->ent[i];
		/* First come, first kept: a liar arriving second is refused
		 * and the honest entry can still complete; a liar arriving
		 * first makes the entry time out. Either way nothing wrong
		 * is assembled, and dearmor would reject a forgery anyway. */
		if (e->dest != dest)
			return refuse(t, ZTDP_REASM_DROP_DEST_MISMATCH);
		if (total != 0 && e->total != 0 && total != e->total)
			return refuse(t, ZTDP_REASM_DROP_TOTAL_MISMATCH);
		if (e->have & (1u << k)) {
			if (e->len[k] == n && memcmp(e->slab + e->off[k], p, n) == 0)
				return refuse(t, ZTDP_REASM_DROP_DUPLICATE);
			return refuse(t, ZTDP_REASM_DROP_CONFLICT);
		}
		if ((size_t)e->used + n > ZTDP_MAX_PACKET_LEN)
			return refuse(t, ZTDP_REASM_DROP_TOO_LONG);
	}
	e->off[k] = e->used;
	e->len[k] = (uint16_t)n;
	memcpy(e->slab + e->used, p, n);
	e->used = (uint16_t)(e->used + n);
	e->have |= (uint8_t)(1u << k);
	e->npieces++;
	if (total != 0)
		e->total = (uint8_t)total;
	t->stats.accepted++;
	t->pieces_live++;
	/* Fragments numbered >= total cannot be stored (refused up front,
	 * and all fragments agree on total), so "all bits below total" is
	 * "everything". */
	if (e->total != 0 && e->have == (uint8_t)((1u << e->total) - 1))
		return assemble(t, i, out, cap, out_len);
	return ZTDP_REASM_PENDING;
}

int ztdp_reasm_add_head(struct ztdp_reasm *t, uint64_t source_key, const uint8_t *d,
			size_t len, uint64_t now_ms, uint8_t *out, size_t cap, size_t *out_len)
{
	t->stats.datagrams++;
	if (len < ZTDP_PKT_MIN_LEN)
		return refuse(t, ZTDP_REASM_DROP_SHORT);
	if (!ztdp_packet_is_fragmented(d))
		return refuse(t, ZTDP_REASM_DROP_NOT_FRAGMENT);
	return add_piece(t, source_key, ztdp_packet_id(d), ztdp_packet_dest(d), 0, 0, d, len,
			 now_ms, out, cap, out_len);
}

int ztdp_reasm_add_fragment(struct ztdp_reasm *t, uint64_t source_key, const uint8_t *d,
			    size_t len, uint64_t now_ms, uint8_t *out, size_t cap,
			    size_t *out_len)
{
	struct ztdp_fragment f;
	int rc;

	t->stats.datagrams++;
	rc = ztdp_fragment_decode(d, len, &f);
	if (rc == ZTDP_PKT_ESHORT)
		return refuse(t, ZTDP_REASM_DROP_SHORT);
	if (rc < 0)
		return refuse(t, ZTDP_REASM_DROP_NOT_FRAGMENT);
	if (f.total < 2 || f.total > ZTDP_MAX_FRAGMENTS)
		return refuse(t, ZTDP_REASM_DROP_BAD_TOTAL);
	if (f.number < 1 || f.number >= ZTDP_MAX_FRAGMENTS)
		return refuse(t, ZTDP_REASM_DROP_BAD_NUMBER);
	if (f.number >= f.total)
		return refuse(t, ZTDP_REASM_DROP_NUMBER_GE_TOTAL);
	return add_piece(t, source_key, f.packet_id, f.dest, f.number, f.total, f.payload,
			 f.payload_len, now_ms, out, cap, out_len);
}

int ztdp_reasm_add(struct ztdp_reasm *t, uint64_t source_key, const uint8_t *d, size_t len,
		   uint64_t now_ms, uint8_t *out, size_t cap, size_t *out_len)
{
	switch (ztdp_dgram_classify(d, len)) {
	case ZTDP_DGRAM_FRAGMENT:
		return ztdp_reasm_add_fragment(t, source_key, d, len, now_ms, out, cap, out_len);
	case ZTDP_DGRAM_PACKET:
		return ztdp_reasm_add_head(t, source_key, d, len, now_ms, out, cap, out_len);
	case ZTDP_DGRAM_BEACON:
		t->stats.datagrams++;
		return refuse(t, ZTDP_REASM_DROP_NOT_FRAGMENT);
	default:
		t->stats.datagrams++;
		return refuse(t, ZTDP_REASM_DROP_SHORT);
	}
}

/* ---- Introspection ----------------------------------------------------- */

unsigned int ztdp_reasm_live(const struct ztdp_reasm *t)
{
	return t->live;
}

unsigned int ztdp_reasm_live_for_source(const struct ztdp_reasm *t, uint64_t source_key)
{
	uint32_t si = find_src(t, source_key);

	return si == NIL ? 0 : t->src[si].count;
}

uint64_t ztdp_reasm_pieces_live(const struct ztdp_reasm *t)
{
	return t->pieces_live;
}

const struct ztdp_reasm_stats *ztdp_reasm_stats(const struct ztdp_reasm *t)
{
	return &t->stats;
}
