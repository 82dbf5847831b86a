/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fragment reassembly (ztdp_reasm.h): orderings, duplicates, losses, lying
 * fragments, timeouts, per-source and global caps, bounded memory, a
 * randomized comparison against a naive model of the same policy, and the
 * real fragmented packets of the interop captures (assembled, then
 * authenticated by dearmoring with the nodes' keys).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap_udp.h"
#include "test_util.h"
#include "ztdp_crypto.h"
#include "ztdp_packet.h"
#include "ztdp_reasm.h"

#define UNDERLAY_PCAP	"interop/data/pcap/underlay-join-ping.pcap"
#define BRIDGE_PCAP	"interop/data-bridge/pcap/bridge-underlay.pcap"

#define DG_MAX		(ZTDP_MAX_PACKET_LEN + ZTDP_FRAG_HEADER_LEN)

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static int setup(void **state)
{
	(void)state;
	return ztdp_crypto_init(NULL);
}

/* A packet split into datagrams. */
struct split {
	uint8_t pkt[ZTDP_MAX_PACKET_LEN];
	size_t len;
	unsigned int count;
	uint8_t dg[ZTDP_MAX_FRAGMENTS][DG_MAX];
	size_t dglen[ZTDP_MAX_FRAGMENTS];
};

static void make_split(struct split *s, uint64_t id, size_t len, size_t mtu)
{
	struct ztdp_wr w;
	int count;

	ztdp_wr_init(&w, s->pkt, sizeof(s->pkt));
	assert_int_equal(ztdp_packet_begin(&w, id, 0x3285290482ULL, 0xdec87a28aaULL, 6), 0);
	for (size_t i = 28; i < len; i++)
		s->pkt[i] = (uint8_t)rng();
	s->pkt[ZTDP_PKT_IDX_FLAGS] = 0x18;
	s->len = len;
	count = ztdp_packet_prepare_fragments(s->pkt, len, mtu);
	assert_true(count >= 2);
	s->count = (unsigned int)count;
	for (unsigned int f = 0; f < s->count; f++) {
		int n = ztdp_fragment_encode(s->pkt, len, mtu, f, s->dg[f], DG_MAX);

		assert_true(n > 0);
		s->dglen[f] = (size_t)n;
	}
}

static uint64_t sum_entry_drops(const struct ztdp_reasm_stats *st, bool entry)
{
	uint64_t n = 0;

	for (unsigned int r = 1; r < ZTDP_REASM_N_DROP; r++)
		if (ztdp_reasm_drop_is_entry((enum ztdp_reasm_drop)r) == entry)
			n += st->drops[r];
	return n;
}

static void check_invariants(const struct ztdp_reasm *t, const struct ztdp_reasm_config *c)
{
	const struct ztdp_reasm_stats *st = ztdp_reasm_stats(t);

	assert_true(st->datagrams == st->accepted + sum_entry_drops(st, false));
	assert_true(st->accepted == ztdp_reasm_pieces_live(t) + st->pieces_completed +
				    st->pieces_discarded);
	assert_true(ztdp_reasm_live(t) <= c->entries);
	assert_true(ztdp_reasm_pieces_live(t) <= (uint64_t)ztdp_reasm_live(t) * ZTDP_MAX_FRAGMENTS);
}

static struct ztdp_reasm *make_table(struct ztdp_reasm_config *c, unsigned int entries,
				     unsigned int per_source, uint64_t timeout)
{
	struct ztdp_reasm *t;

	ztdp_reasm_config_default(c);
	c->entries = entries;
	c->per_source = per_source;
	c->timeout_ms = timeout;
	c->hash_seed = 0x0123456789abcdefULL;
	t = ztdp_reasm_create(c);
	assert_non_null(t);
	return t;
}

static int add(struct ztdp_reasm *t, uint64_t src, const uint8_t *d, size_t n, uint64_t now,
	       uint8_t *out, size_t *out_len)
{
	return ztdp_reasm_add(t, src, d, n, now, out, ZTDP_MAX_PACKET_LEN, out_len);
}

/* ---- Setup and names ------------------------------------------------------ */

static void test_init_and_names(void **state)
{
	struct ztdp_reasm_config c;
	struct ztdp_reasm *t;
	uint8_t *mem;
	size_t need;

	(void)state;
	ztdp_reasm_config_default(&c);
	assert_int_equal(c.entries, ZTDP_REASM_DEFAULT_ENTRIES);
	assert_int_equal(c.timeout_ms, 5000);
	need = ztdp_reasm_memsize(&c);
	assert_true(need > c.entries * (size_t)ZTDP_MAX_PACKET_LEN);
	/* Bounded: a little over one maximum packet per entry. */
	assert_true(need < c.entries * (size_t)(ZTDP_MAX_PACKET_LEN + 256) + 4096);

	mem = aligned_alloc(16, need + 32);
	assert_non_null(mem);
	assert_null(ztdp_reasm_init(mem, need - 1, &c));
	assert_null(ztdp_reasm_init(mem + 8, need, &c));
	assert_null(ztdp_reasm_init(NULL, need, &c));
	t = ztdp_reasm_init(mem, need, &c);
	assert_ptr_equal(t, mem);
	assert_int_equal(ztdp_reasm_live(t), 0);
	ztdp_reasm_destroy(t);	/* not owned: a no-op */
	free(mem);

	c.entries = 0;
	assert_int_equal(ztdp_reasm_memsize(&c), 0);
	assert_null(ztdp_reasm_create(&c));
	c.entries = ZTDP_REASM_MAX_ENTRIES + 1;
	assert_int_equal(ztdp_reasm_memsize(&c), 0);
	c.entries = 4;
	c.per_source = 5;
	assert_int_equal(ztdp_reasm_memsize(&c), 0);
	c.per_source = 0;
	assert_int_equal(ztdp_reasm_memsize(&c), 0);
	assert_int_equal(ztdp_reasm_memsize(NULL), 0);

	/* One X-macro gives both the enum and the names: all distinct. */
	assert_string_equal(ztdp_reasm_drop_name(ZTDP_REASM_DROP_NONE), "none");
	assert_string_equal(ztdp_reasm_drop_id(ZTDP_REASM_DROP_TIMEOUT), "TIMEOUT");
	assert_string_equal(ztdp_reasm_drop_id(ZTDP_REASM_DROP_EVICT_SOURCE), "EVICT_SOURCE");
	assert_string_equal(ztdp_reasm_drop_name(ZTDP_REASM_N_DROP), "?");
	for (unsigned int a = 1; a < ZTDP_REASM_N_DROP; a++) {
		assert_non_null(ztdp_reasm_drop_name((enum ztdp_reasm_drop)a));
		for (unsigned int b = a + 1; b < ZTDP_REASM_N_DROP; b++) {
			assert_string_not_equal(ztdp_reasm_drop_name((enum ztdp_reasm_drop)a),
						ztdp_reasm_drop_name((enum ztdp_reasm_drop)b));
			assert_string_not_equal(ztdp_reasm_drop_id((enum ztdp_reasm_drop)a),
						ztdp_reasm_drop_id((enum ztdp_reasm_drop)b));
		}
	}
}

/* ---- Orderings -------------------------------------------------------------- */

static bool next_perm(unsigned int *a, unsigned int n)
{
	unsigned int i, j, tmp;

	if (n < 2)
		return false;
	for (i = n - 1; i > 0 && a[i - 1] >= a[i]; i--)
		;
	if (i == 0)
		return false;
	for (j = n - 1; a[j] <= a[i - 1]; j--)
		;
	tmp = a[i - 1];
	a[i - 1] = a[j];
	a[j] = tmp;
	for (j = n - 1; i < j; i++, j--) {
		tmp = a[i];
		a[i] = a[j];
		a[j] = tmp;
	}
	return true;
}

/* Every order of the datagrams of 2-, 4- and 5-datagram packets, head
 * first, last or in between, assembles the same bytes exactly once. */
static void test_all_orders(void **state)
{
	static const size_t lens[] = { 1433, 5000, 6000 };
	struct ztdp_reasm_config c;
	struct ztdp_reasm *t = make_table(&c, 8, 8, 5000);
	struct split *s = malloc(sizeof(*s));
	uint8_t out[ZTDP_MAX_PACKET_LEN];
	uint64_t id = 1;

	(void)state;
	for (size_t l = 0; l < 3; l++) {
		unsigned int perm[ZTDP_MAX_FRAGMENTS];

		make_split(s, id, lens[l], 1432);
		for (unsigned int i = 0; i < s->count; i++)
			perm[i] = i;
		do {
			size_t out_len = 0;

			/* A fresh ID each time, as the bytes say. */
			id++;
			for (unsigned int f = 0; f < s->count; f++)
				ztdp_store_be64(s->dg[f], id);
			ztdp_store_be64(s->pkt, id);
			for (unsigned int k = 0; k < s->count; k++) {
				unsigned int f = perm[k];
				int rc = add(t, 7, s->dg[f], s->dglen[f], 100, out, &out_len);

				assert_int_equal(rc, k + 1 < s->count ? ZTDP_REASM_PENDING :
									 ZTDP_REASM_COMPLETE);
			}
			assert_int_equal(out_len, s->len);
			assert_memory_equal(out, s->pkt, s->len);
			assert_int_equal(ztdp_reasm_live(t), 0);
			check_invariants(t, &c);
		} while (next_perm(perm, s->count));
	}
	assert_int_equal(ztdp_reasm_stats(t)->completed, 2 + 24 + 120);
	assert_int_equal(sum_entry_drops(ztdp_reasm_stats(t), false), 0);
	ztdp_reasm_destroy(t);
	free(s);
}

/* ---- Duplicates and conflicts ------------------------------------------------ */

static void test_duplicates(void **state)
{
	struct ztdp_reasm_config c;
	struct ztdp_reasm *t = make_table(&c, 8, 8, 5000);
	struct split *s = malloc(sizeof(*s));
	uint8_t out[ZTDP_MAX_PACKET_LEN], bad[DG_MAX];
	const struct ztdp_reasm_stats *st = ztdp_reasm_stats(t);
	size_t out_len = 0;

	(void)state;
	make_split(s, 0x1111, 5000, 1432);	/* 4 datagrams */
	assert_int_equal(add(t, 1, s->dg[1], s->dglen[1], 0, out, &out_len), 0);
	assert_int_equal(add(t, 1, s->dg[1], s->dglen[1], 0, out, &out_len),
			 -ZTDP_REASM_DROP_DUPLICATE);
	/* A different fragment 1 (a liar or a collision): refused, the
	 * first one stays. */
	memcpy(bad, s->dg[1], s->dglen[1]);
	bad[100] ^= 1;
	assert_int_equal(add(t, 1, bad, s->dglen[1], 0, out, &out_len), -ZTDP_REASM_DROP_CONFLICT);
	/* Same number, different length: also a conflict. */
	assert_int_equal(add(t, 1, s->dg[1], s->dglen[1] - 1, 0, out, &out_len),
			 -ZTDP_REASM_DROP_CONFLICT);
	assert_int_equal(add(t, 1, s->dg[0], s->dglen[0], 0, out, &out_len), 0);
	assert_int_equal(add(t, 1, s->dg[0], s->dglen[0], 0, out, &out_len),
			 -ZTDP_REASM_DROP_DUPLICATE);
	memcpy(bad, s->dg[0], s->dglen[0]);
	bad[40] ^= 0x80;
	assert_int_equal(add(t, 1, bad, s->dglen[0], 0, out, &out_len), -ZTDP_REASM_DROP_CONFLICT);
	assert_int_equal(add(t, 1, s->dg[3], s->dglen[3], 0, out, &out_len), 0);
	assert_int_equal(add(t, 1, s->dg[2], s->dglen[2], 0, out, &out_len), ZTDP_REASM_COMPLETE);
	assert_int_equal(out_len, s->len);
	assert_memory_equal(out, s->pkt, s->len);
	assert_int_equal(st->drops[ZTDP_REASM_DROP_DUPLICATE], 2);
	assert_int_equal(st->drops[ZTDP_REASM_DROP_CONFLICT], 3);
	check_invariants(t, &c);

	/* A late duplicate after completion opens a new entry that never
	 * completes and times out (documented; dearmor rejects replays). */
	assert_int_equal(add(t, 1, s->dg[2], s->dglen[2], 10, out, &out_len), 0);
	assert_int_equal(ztdp_reasm_live(t), 1);
	assert_int_equal(ztdp_reasm_expire(t, 5010), 1);
	assert_int_equal(st->drops[ZTDP_REASM_DROP_TIMEOUT], 1);
	check_invariants(t, &c);
	ztdp_reasm_destroy(t);
	free(s);
}

/* ---- Lying and malformed datagrams -------------------------------------------- */

static void set_counts(uint8_t *dg, unsigned int total, unsigned int number)
{
	dg[ZTDP_FRAG_IDX_COUNTS] = (uint8_t)(total << 4 | number);
}

static void test_lying_fragments(void **state)
{
	struct ztdp_reasm_config c;
	struct ztdp_reasm *t = make_table(&c, 8, 8, 5000);
	struct split *s = malloc(sizeof(*s));
	uint8_t out[ZTDP_MAX_PACKET_LEN], dg[DG_MAX];
	const struct ztdp_reasm_stats *st = ztdp_reasm_stats(t);
	size_t out_len = 0, n;

	(void)state;
	make_split(s, 0x2222, 4000, 1432);	/* 3 datagrams */
	n = s->dglen[1];
	memcpy(dg, s->dg[1], n);

	/* Numbers outside what 1.14.1 accepts: refused before any entry. */
	set_counts(dg, 8, 1);
	assert_int_equal(add(t, 1, dg, n, 0, out, &out_len), -ZTDP_REASM_DROP_BAD_TOTAL);
	set_counts(dg, 15, 3);
	assert_int_equal(add(t, 1, dg, n, 0, out, &out_len), -ZTDP_REASM_DROP_BAD_TOTAL);
	set_counts(dg, 1, 0);
	assert_int_equal(add(t, 1, dg, n, 0, out, &out_len), -ZTDP_REASM_DROP_BAD_TOTAL);
	set_counts(dg, 0, 1);
	assert_int_equal(add(t, 1, dg, n, 0, out, &out_len), -ZTDP_REASM_DROP_BAD_TOTAL);
	set_counts(dg, 3, 0);	/* number 0 belongs to the head */
	assert_int_equal(add(t, 1, dg, n, 0, out, &out_len), -ZTDP_REASM_DROP_BAD_NUMBER);
	set_counts(dg, 7, 7);
	assert_int_equal(add(t, 1, dg, n, 0, out, &out_len), -ZTDP_REASM_DROP_BAD_NUMBER);
	set_counts(dg, 7, 15);
	assert_int_equal(add(t, 1, dg, n, 0, out, &out_len), -ZTDP_REASM_DROP_BAD_NUMBER);
	set_counts(dg, 3, 3);
	assert_int_equal(add(t, 1, dg, n, 0, out, &out_len), -ZTDP_REASM_DROP_NUMBER_GE_TOTAL);
	set_counts(dg, 2, 5);
	assert_int_equal(add(t, 1, dg, n, 0, out, &out_len), -ZTDP_REASM_DROP_NUMBER_GE_TOTAL);
	assert_int_equal(ztdp_reasm_live(t), 0);

	/* The head, then fragment 2 claiming a different total. */
	assert_int_equal(add(t, 1, s->dg[0], s->dglen[0], 0, out, &out_len), 0);
	assert_int_equal(add(t, 1, s->dg[2], s->dglen[2], 0, out, &out_len), 0);
	memcpy(dg, s->dg[1], n);
	set_counts(dg, 4, 1);
	assert_int_equal(add(t, 1, dg, n, 0, out, &out_len), -ZTDP_REASM_DROP_TOTAL_MISMATCH);
	memcpy(dg, s->dg[1], n);
	set_counts(dg, 2, 1);
	assert_int_equal(add(t, 1, dg, n, 0, out, &out_len), -ZTDP_REASM_DROP_TOTAL_MISMATCH);
	/* A different destination under the same ID. */
	memcpy(dg, s->dg[1], n);
	dg[ZTDP_FRAG_IDX_DEST + 4] ^= 1;
	assert_int_equal(add(t, 1, dg, n, 0, out, &out_len), -ZTDP_REASM_DROP_DEST_MISMATCH);
	/* The honest fragment still completes it. */
	assert_int_equal(add(t, 1, s->dg[1], n, 0, out, &out_len), ZTDP_REASM_COMPLETE);
	assert_memory_equal(out, s->pkt, s->len);

	/* Fragments first, head last: fine. */
	make_split(s, 0x3333, 4000, 1432);
	assert_int_equal(add(t, 1, s->dg[2], s->dglen[2], 0, out, &out_len), 0);
	assert_int_equal(add(t, 1, s->dg[1], s->dglen[1], 0, out, &out_len), 0);
	assert_int_equal(add(t, 1, s->dg[0], s->dglen[0], 0, out, &out_len), ZTDP_REASM_COMPLETE);
	assert_memory_equal(out, s->pkt, s->len);

	/* A liar first: its total sticks and the honest packet never
	 * completes; it times out and nothing wrong is assembled. */
	make_split(s, 0x4444, 4000, 1432);
	memcpy(dg, s->dg[1], n);
	set_counts(dg, 4, 1);
	assert_int_equal(add(t, 1, dg, n, 0, out, &out_len), 0);
	assert_int_equal(add(t, 1, s->dg[0], s->dglen[0], 0, out, &out_len), 0);
	assert_int_equal(add(t, 1, s->dg[2], s->dglen[2], 0, out, &out_len),
			 -ZTDP_REASM_DROP_TOTAL_MISMATCH);
	assert_int_equal(ztdp_reasm_expire(t, 5000), 1);

	/* A head without flag 0x40 is not reassembly's business. */
	memcpy(dg, s->dg[0], s->dglen[0]);
	ztdp_packet_set_fragmented(dg, false);
	assert_int_equal(add(t, 1, dg, s->dglen[0], 0, out, &out_len),
			 -ZTDP_REASM_DROP_NOT_FRAGMENT);
	assert_int_equal(ztdp_reasm_add_head(t, 1, dg, 27, 0, out, sizeof(out), &out_len),
			 -ZTDP_REASM_DROP_SHORT);
	/* Short, junk, beacon and non-fragment datagrams. */
	assert_int_equal(add(t, 1, dg, 4, 0, out, &out_len), -ZTDP_REASM_DROP_SHORT);
	assert_int_equal(add(t, 1, dg, 13, 0, out, &out_len), -ZTDP_REASM_DROP_NOT_FRAGMENT);
	assert_int_equal(add(t, 1, dg, 0, 0, out, &out_len), -ZTDP_REASM_DROP_SHORT);
	assert_int_equal(ztdp_reasm_add_fragment(t, 1, s->dg[1], 16, 0, out, sizeof(out), &out_len),
			 -ZTDP_REASM_DROP_SHORT);
	assert_int_equal(ztdp_reasm_add_fragment(t, 1, s->dg[0], 100, 0, out, sizeof(out), &out_len),
			 -ZTDP_REASM_DROP_NOT_FRAGMENT);

	assert_int_equal(st->drops[ZTDP_REASM_DROP_TOTAL_MISMATCH], 3);
	assert_int_equal(st->drops[ZTDP_REASM_DROP_TIMEOUT], 1);
	assert_int_equal(ztdp_reasm_live(t), 0);
	check_invariants(t, &c);
	ztdp_reasm_destroy(t);
	free(s);
}

/* Pieces can claim more than a packet may hold; the slab caps it. */
static void test_too_long_and_small_buffer(void **state)
{
	struct ztdp_reasm_config c;
	struct ztdp_reasm *t = make_table(&c, 4, 4, 5000);
	uint8_t *big = calloc(1, DG_MAX + 64), out[ZTDP_MAX_PACKET_LEN];
	const struct ztdp_reasm_stats *st = ztdp_reasm_stats(t);
	size_t out_len = 0;
	struct split *s = malloc(sizeof(*s));

	(void)state;
	/* A head over the maximum on its own. */
	big[ZTDP_PKT_IDX_FLAGS] = 0x58;
	big[ZTDP_PKT_IDX_DEST] = 0x01;
	assert_int_equal(add(t, 1, big, ZTDP_MAX_PACKET_LEN + 1, 0, out, &out_len),
			 -ZTDP_REASM_DROP_TOO_LONG);
	/* A full-size head leaves no room for a fragment. */
	assert_int_equal(add(t, 1, big, ZTDP_MAX_PACKET_LEN, 0, out, &out_len), 0);
	{
		uint8_t f[64] = { 0 };

		ztdp_fragment_header_write(f, big, 1, 2);
		assert_int_equal(add(t, 1, f, sizeof(f), 0, out, &out_len),
				 -ZTDP_REASM_DROP_TOO_LONG);
	}
	/* Seven jumbo pieces: the sixth or seventh overflows. */
	{
		uint8_t f[2000];
		int rc = 0;

		memset(f, 0x5a, sizeof(f));
		memset(f, 0, 16);
		f[13] = 0xff;
		f[0] = 0x77;
		for (unsigned int k = 1; k < 7 && rc == 0; k++) {
			set_counts(f, 7, k);
			rc = add(t, 2, f, sizeof(f), 0, out, &out_len);
		}
		assert_int_equal(rc, -ZTDP_REASM_DROP_TOO_LONG);
	}
	assert_int_equal(st->drops[ZTDP_REASM_DROP_TOO_LONG], 3);

	/* The caller's buffer too small at completion: the packet is dropped. */
	make_split(s, 0x5555, 3000, 1432);
	assert_int_equal(add(t, 3, s->dg[0], s->dglen[0], 0, out, &out_len), 0);
	assert_int_equal(add(t, 3, s->dg[1], s->dglen[1], 0, out, &out_len), 0);
	assert_int_equal(ztdp_reasm_add(t, 3, s->dg[2], s->dglen[2], 0, out, s->len - 1, &out_len),
			 -ZTDP_REASM_DROP_OUT_TOO_SMALL);
	assert_int_equal(ztdp_reasm_live_for_source(t, 3), 0);
	/* Exactly the length is enough. */
	make_split(s, 0x5556, 3000, 1432);
	assert_int_equal(add(t, 3, s->dg[0], s->dglen[0], 0, out, &out_len), 0);
	assert_int_equal(add(t, 3, s->dg[1], s->dglen[1], 0, out, &out_len), 0);
	assert_int_equal(ztdp_reasm_add(t, 3, s->dg[2], s->dglen[2], 0, out, s->len, &out_len),
			 ZTDP_REASM_COMPLETE);
	check_invariants(t, &c);
	ztdp_reasm_destroy(t);
	free(big);
	free(s);
}

/* ---- Timeouts ------------------------------------------------------------------ */

static void test_timeouts(void **state)
{
	struct ztdp_reasm_config c;
	struct ztdp_reasm *t = make_table(&c, 8, 8, 1000);
	struct split *s = malloc(sizeof(*s));
	uint8_t out[ZTDP_MAX_PACKET_LEN];
	const struct ztdp_reasm_stats *st = ztdp_reasm_stats(t);
	size_t out_len = 0;

	(void)state;
	make_split(s, 0x6666, 3000, 1432);
	assert_int_equal(add(t, 1, s->dg[0], s->dglen[0], 10000, out, &out_len), 0);
	assert_int_equal(add(t, 1, s->dg[1], s->dglen[1], 10500, out, &out_len), 0);
	/* One millisecond before the timeout it still completes. */
	assert_int_equal(add(t, 1, s->dg[2], s->dglen[2], 10999, out, &out_len),
			 ZTDP_REASM_COMPLETE);

	make_split(s, 0x6667, 3000, 1432);
	assert_int_equal(add(t, 1, s->dg[0], s->dglen[0], 20000, out, &out_len), 0);
	assert_int_equal(add(t, 1, s->dg[1], s->dglen[1], 20500, out, &out_len), 0);
	assert_int_equal(ztdp_reasm_expire(t, 20999), 0);
	/* At the timeout the entry goes (age counts from the first piece);
	 * the last fragment then opens a new entry. */
	assert_int_equal(add(t, 1, s->dg[2], s->dglen[2], 21000, out, &out_len), 0);
	assert_int_equal(st->drops[ZTDP_REASM_DROP_TIMEOUT], 1);
	assert_int_equal(ztdp_reasm_live(t), 1);
	/* A clock that goes backwards expires nothing. */
	assert_int_equal(ztdp_reasm_expire(t, 5), 0);
	assert_int_equal(ztdp_reasm_expire(t, 22000), 1);
	assert_int_equal(ztdp_reasm_live(t), 0);

	/* Many entries at staggered times go oldest first. */
	for (unsigned int i = 0; i < 8; i++) {
		make_split(s, 0x7000 + i, 3000, 1432);
		assert_int_equal(add(t, i, s->dg[0], s->dglen[0], 30000 + 100 * i, out, &out_len), 0);
	}
	assert_int_equal(ztdp_reasm_expire(t, 31000 + 250), 3);
	assert_int_equal(ztdp_reasm_live(t), 5);
	assert_int_equal(ztdp_reasm_live_for_source(t, 0), 0);
	assert_int_equal(ztdp_reasm_live_for_source(t, 3), 1);
	ztdp_reasm_clear(t);
	assert_int_equal(ztdp_reasm_live(t), 0);
	check_invariants(t, &c);
	ztdp_reasm_destroy(t);
	free(s);
}

/* ---- Caps and isolation ----------------------------------------------------------- */

static void test_sources_and_caps(void **state)
{
	struct ztdp_reasm_config c;
	struct ztdp_reasm *t = make_table(&c, 8, 3, 5000);
	struct split *s = malloc(sizeof(*s));
	uint8_t out[ZTDP_MAX_PACKET_LEN];
	const struct ztdp_reasm_stats *st = ztdp_reasm_stats(t);
	size_t out_len = 0;

	(void)state;
	/* Same packet ID from two sources: two entries that never mix. */
	make_split(s, 0x8888, 3000, 1432);
	assert_int_equal(add(t, 100, s->dg[0], s->dglen[0], 0, out, &out_len), 0);
	assert_int_equal(add(t, 200, s->dg[1], s->dglen[1], 0, out, &out_len), 0);
	assert_int_equal(add(t, 200, s->dg[2], s->dglen[2], 0, out, &out_len), 0);
	assert_int_equal(ztdp_reasm_live(t), 2);
	assert_int_equal(add(t, 100, s->dg[1], s->dglen[1], 0, out, &out_len), 0);
	assert_int_equal(add(t, 100, s->dg[2], s->dglen[2], 0, out, &out_len), ZTDP_REASM_COMPLETE);
	assert_memory_equal(out, s->pkt, s->len);
	assert_int_equal(add(t, 200, s->dg[0], s->dglen[0], 0, out, &out_len), ZTDP_REASM_COMPLETE);
	assert_memory_equal(out, s->pkt, s->len);

	/* One source may hold 3: the fourth evicts its own oldest. */
	for (unsigned int i = 0; i < 4; i++) {
		make_split(s, 0x9000 + i, 3000, 1432);
		assert_int_equal(add(t, 1, s->dg[0], s->dglen[0], i, out, &out_len), 0);
	}
	assert_int_equal(st->drops[ZTDP_REASM_DROP_EVICT_SOURCE], 1);
	assert_int_equal(ztdp_reasm_live_for_source(t, 1), 3);
	/* The evicted one is 0x9000: its fragment opens a new entry (and
	 * evicts 0x9001), while 0x9003 is still there. */
	make_split(s, 0x9003, 3000, 1432);
	assert_int_equal(add(t, 1, s->dg[0], s->dglen[0], 5, out, &out_len),
			 -ZTDP_REASM_DROP_CONFLICT);	/* new random payload, same ID */

	/* Others fill the table; when full, the oldest anywhere goes. */
	for (unsigned int i = 0; i < 5; i++) {
		make_split(s, 0xa000 + i, 3000, 1432);
		assert_int_equal(add(t, 10 + i, s->dg[0], s->dglen[0], 10 + i, out, &out_len), 0);
	}
	assert_int_equal(ztdp_reasm_live(t), 8);
	assert_int_equal(st->drops[ZTDP_REASM_DROP_EVICT_FULL], 0);
	make_split(s, 0xb000, 3000, 1432);
	assert_int_equal(add(t, 99, s->dg[0], s->dglen[0], 20, out, &out_len), 0);
	assert_int_equal(st->drops[ZTDP_REASM_DROP_EVICT_FULL], 1);
	assert_int_equal(ztdp_reasm_live(t), 8);
	/* The oldest was source 1's entry from t=1. */
	assert_int_equal(ztdp_reasm_live_for_source(t, 1), 2);
	assert_int_equal(ztdp_reasm_live_for_source(t, 99), 1);
	check_invariants(t, &c);
	ztdp_reasm_destroy(t);
	free(s);
}

/* A flood of distinct IDs from a few sources never takes more than the
 * table: caller memory with guard bytes after it stays untouched. */
static void test_memory_bounded(void **state)
{
	struct ztdp_reasm_config c;
	struct ztdp_reasm *t;
	uint8_t *mem, out[ZTDP_MAX_PACKET_LEN], dg[1500];
	size_t need, out_len = 0;

	(void)state;
	ztdp_reasm_config_default(&c);
	c.entries = 16;
	c.per_source = 4;
	c.hash_seed = 42;
	need = ztdp_reasm_memsize(&c);
	mem = aligned_alloc(16, need + 4096);
	assert_non_null(mem);
	memset(mem + need, 0xa5, 4096);
	t = ztdp_reasm_init(mem, need, &c);
	assert_non_null(t);
	for (unsigned int i = 0; i < 200000; i++) {
		size_t n = 17 + rng() % (sizeof(dg) - 17);
		uint64_t src = rng() % 9;

		for (size_t k = 0; k < n; k++)
			dg[k] = (uint8_t)rng();
		if (i & 1) {
			dg[13] = 0xff;
			set_counts(dg, 2 + rng() % 6, 1 + rng() % 6);
		} else {
			dg[13] = 0x12;
			dg[ZTDP_PKT_IDX_FLAGS] |= 0x40;
			if (n < 28)
				n = 28;
		}
		/* A small ID space makes collisions, duplicates and completions. */
		ztdp_store_be64(dg, rng() % 64);
		memset(dg + 8, 0, 5);
		(void)add(t, src, dg, n, i / 16, out, &out_len);
		assert_true(ztdp_reasm_live(t) <= c.entries);
		assert_true(ztdp_reasm_live_for_source(t, src) <= c.per_source);
		if (i % 1000 == 0)
			check_invariants(t, &c);
	}
	check_invariants(t, &c);
	for (size_t k = 0; k < 4096; k++)
		assert_int_equal(mem[need + k], 0xa5);
	printf("# flood: %" PRIu64 " completed, %" PRIu64 " evicted, %" PRIu64 " timed out\n",
	       ztdp_reasm_stats(t)->completed,
	       ztdp_reasm_stats(t)->drops[ZTDP_REASM_DROP_EVICT_FULL] +
	       ztdp_reasm_stats(t)->drops[ZTDP_REASM_DROP_EVICT_SOURCE],
	       ztdp_reasm_stats(t)->drops[ZTDP_REASM_DROP_TIMEOUT]);
	free(mem);
}

/* ---- Randomized against a naive model ------------------------------------------------ */

/* The same policy written the slow, obvious way: entries in an array in
 * creation order, linear search. */
struct model_entry {
	uint64_t id, src, dest, created;
	unsigned int total;
	unsigned int have;
	size_t len[ZTDP_MAX_FRAGMENTS];
	size_t used;
	uint8_t data[ZTDP_MAX_FRAGMENTS][DG_MAX];
};

struct model {
	struct model_entry *e;	/* e[0] oldest */
	unsigned int n, cap, per_source;
	uint64_t timeout;
};

static void model_remove(struct model *m, unsigned int i)
{
	memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof(m->e[0]));
	m->n--;
}

static int model_add(struct model *m, uint64_t src, const uint8_t *d, size_t len, uint64_t now,
		     uint8_t *out, size_t *out_len)
{
	unsigned int k, total = 0, i, count;
	const uint8_t *p;
	uint64_t id, dest;
	size_t n;
	struct model_entry *e = NULL;

	if (len > 16 && d[13] == 0xff) {
		total = d[14] >> 4;
		k = d[14] & 15;
		if (total < 2 || total > 7)
			return -ZTDP_REASM_DROP_BAD_TOTAL;
		if (k < 1 || k > 6)
			return -ZTDP_REASM_DROP_BAD_NUMBER;
		if (k >= total)
			return -ZTDP_REASM_DROP_NUMBER_GE_TOTAL;
		p = d + 16;
		n = len - 16;
	} else if (len >= 28 && len != 13) {
		if (!(d[18] & 0x40))
			return -ZTDP_REASM_DROP_NOT_FRAGMENT;
		k = 0;
		p = d;
		n = len;
	} else {
		return len == 13 ? -ZTDP_REASM_DROP_NOT_FRAGMENT : -ZTDP_REASM_DROP_SHORT;
	}
	id = ztdp_load_be64(d);
	dest = ztdp_load_be40(d + 8);
	while (m->n > 0 && now >= m->e[0].created && now - m->e[0].created >= m->timeout)
		model_remove(m, 0);
	if (n > ZTDP_MAX_PACKET_LEN)
		return -ZTDP_REASM_DROP_TOO_LONG;
	for (i = 0; i < m->n; i++)
		if (m->e[i].id == id && m->e[i].src == src)
			e = &m->e[i];
	if (e == NULL) {
		count = 0;
		for (i = 0; i < m->n; i++)
			count += m->e[i].src == src;
		if (count >= m->per_source) {
			for (i = 0; m->e[i].src != src; i++)
				;
			model_remove(m, i);
		}
		if (m->n == m->cap)
			model_remove(m, 0);
		e = &m->e[m->n++];
		memset(e, 0, offsetof(struct model_entry, data));
		e->id = id;
		e->src = src;
		e->dest = dest;
		e->created = now;
	} else {
		if (e->dest != dest)
			return -ZTDP_REASM_DROP_DEST_MISMATCH;
		if (total && e->total && total != e->total)
			return -ZTDP_REASM_DROP_TOTAL_MISMATCH;
		if (e->have & (1u << k))
			return e->len[k] == n && memcmp(e->data[k], p, n) == 0 ?
				       -ZTDP_REASM_DROP_DUPLICATE : -ZTDP_REASM_DROP_CONFLICT;
		if (e->used + n > ZTDP_MAX_PACKET_LEN)
			return -ZTDP_REASM_DROP_TOO_LONG;
	}
	memcpy(e->data[k], p, n);
	e->len[k] = n;
	e->used += n;
	e->have |= 1u << k;
	if (total)
		e->total = total;
	if (e->total && e->have == (1u << e->total) - 1) {
		size_t at = 0;

		for (i = 0; i < e->total; i++) {
			memcpy(out + at, e->data[i], e->len[i]);
			at += e->len[i];
		}
		*out_len = at;
		model_remove(m, (unsigned int)(e - m->e));
		return ZTDP_REASM_COMPLETE;
	}
	return ZTDP_REASM_PENDING;
}

struct event {
	uint64_t src;
	unsigned int pkt, f;
	int mutate;	/* 0 none, 1 flip payload byte, 2 lie about total */
};

static void run_random(unsigned int entries, unsigned int per_source, uint64_t timeout,
		       unsigned int npkts, unsigned int rounds)
{
	static const size_t mtus[] = { 576, 1432, 2800 };
	struct ztdp_reasm_config c;
	struct ztdp_reasm *t = make_table(&c, entries, per_source, timeout);
	struct model m = { calloc(entries, sizeof(struct model_entry)), 0, entries, per_source,
			   timeout };
	struct split *s = malloc(npkts * sizeof(*s));
	struct event *ev = malloc(npkts * 16 * sizeof(*ev));
	uint8_t *o1 = malloc(ZTDP_MAX_PACKET_LEN), *o2 = malloc(ZTDP_MAX_PACKET_LEN);
	uint8_t *dg = malloc(DG_MAX);
	uint64_t now = 1000, completions = 0;

	assert_non_null(m.e);
	for (unsigned int r = 0; r < rounds; r++) {
		unsigned int nev = 0;

		for (unsigned int p = 0; p < npkts; p++) {
			size_t mtu = mtus[rng() % 3];
			size_t max = mtu + 6 * (mtu - 16);
			size_t len;

			if (max > ZTDP_MAX_PACKET_LEN)
				max = ZTDP_MAX_PACKET_LEN;
			len = mtu + 1 + rng() % (max - mtu);
			/* A small ID space across rounds makes collisions. */
			make_split(&s[p], rng() % (npkts * 2), len, mtu);
			for (unsigned int f = 0; f < s[p].count; f++) {
				unsigned int copies = rng() % 10 == 0 ? 2 : (rng() % 12 == 0 ? 0 : 1);

				for (unsigned int k = 0; k < copies; k++) {
					unsigned int x = (unsigned int)(rng() % 40);

					ev[nev].src = p % 5;
					ev[nev].pkt = p;
					ev[nev].f = f;
					ev[nev].mutate = x == 0 ? 1 : (x == 1 ? 2 : 0);
					nev++;
				}
			}
		}
		/* Reorder within a window: neighbours swap, far ones rarely. */
		for (unsigned int i = 0; i + 1 < nev; i++) {
			unsigned int j = i + (unsigned int)(rng() % (nev - i < 8 ? nev - i : 8));
			struct event tmp = ev[i];

			ev[i] = ev[j];
			ev[j] = tmp;
		}
		for (unsigned int i = 0; i < nev; i++) {
			const struct split *sp = &s[ev[i].pkt];
			size_t n = sp->dglen[ev[i].f], l1 = 0, l2 = 0;
			int r1, r2;

			memcpy(dg, sp->dg[ev[i].f], n);
			if (ev[i].mutate == 1)
				dg[n - 1] ^= 0x20;
			else if (ev[i].mutate == 2 && ev[i].f > 0)
				set_counts(dg, 2 + rng() % 8, ev[i].f);
			now += rng() % 64 == 0 ? rng() % (timeout / 2 + 1) : rng() % 3;
			r1 = add(t, ev[i].src, dg, n, now, o1, &l1);
			r2 = model_add(&m, ev[i].src, dg, n, now, o2, &l2);
			assert_int_equal(r1, r2);
			if (r1 == ZTDP_REASM_COMPLETE) {
				assert_int_equal(l1, l2);
				assert_memory_equal(o1, o2, l1);
				completions++;
			}
			assert_int_equal(ztdp_reasm_live(t), m.n);
		}
		check_invariants(t, &c);
	}
	printf("# random (%u entries, %u per source, %" PRIu64 " ms): %" PRIu64
	       " completed, drops:", entries, per_source, timeout, completions);
	for (unsigned int r = 1; r < ZTDP_REASM_N_DROP; r++)
		if (ztdp_reasm_stats(t)->drops[r] != 0)
			printf(" %s=%" PRIu64, ztdp_reasm_drop_id((enum ztdp_reasm_drop)r),
			       ztdp_reasm_stats(t)->drops[r]);
	printf("\n");
	assert_true(completions > 0);
	ztdp_reasm_destroy(t);
	free(m.e);
	free(s);
	free(ev);
	free(o1);
	free(o2);
	free(dg);
}

static void test_random_vs_model(void **state)
{
	(void)state;
	run_random(64, 64, 5000, 20, 60);	/* roomy: losses and lies only */
	run_random(8, 3, 5000, 20, 60);		/* tight: evictions */
	run_random(16, 16, 40, 12, 60);		/* short timeout */
	run_random(1, 1, 1000, 6, 60);		/* degenerate */
}

/* ---- Real captures ----------------------------------------------------------------------- */

static void reassemble_capture(const char *pcap, const char *iddir, unsigned int want)
{
	struct interop_keys *k = calloc(1, sizeof(*k));
	struct ztdp_reasm_config c;
	struct ztdp_reasm *t = make_table(&c, 32, 8, 5000);
	struct pcap_udp *d;
	size_t n, heads = 0;
	unsigned int done = 0;
	uint8_t *out = malloc(ZTDP_MAX_PACKET_LEN);
	size_t head_len[64] = { 0 };
	uint64_t head_id[64] = { 0 };

	assert_int_equal(interop_keys_load(k, iddir), 0);
	d = pcap_udp_load(ztdp_test_shared_path(pcap), &n);
	assert_non_null(d);
	for (size_t i = 0; i < n; i++) {
		enum ztdp_dgram_kind kind = ztdp_dgram_classify(d[i].data, d[i].len);
		size_t out_len = 0;
		int rc;

		if (kind == ZTDP_DGRAM_PACKET && !ztdp_packet_is_fragmented(d[i].data))
			continue;
		if (kind != ZTDP_DGRAM_PACKET && kind != ZTDP_DGRAM_FRAGMENT)
			continue;
		if (kind == ZTDP_DGRAM_PACKET && heads < 64) {
			head_id[heads] = ztdp_packet_id(d[i].data);
			head_len[heads++] = d[i].len;
		}
		rc = ztdp_reasm_add(t, pcap_udp_source_key(&d[i]), d[i].data, d[i].len, i, out,
				    ZTDP_MAX_PACKET_LEN, &out_len);
		assert_true(rc >= 0);
		if (rc == ZTDP_REASM_COMPLETE) {
			const struct ztdp_peer_key *pk;
			size_t expect = 0;

			/* Length: the head plus the fragment payload(s). */
			for (size_t h = 0; h < heads; h++)
				if (head_id[h] == ztdp_packet_id(out))
					expect = head_len[h];
			if (kind == ZTDP_DGRAM_FRAGMENT)
				expect += d[i].len - ZTDP_FRAG_HEADER_LEN;
			else
				expect = out_len;	/* head came last; checked by dearmor */
			assert_int_equal(out_len, expect);
			/* And it is the real packet: it authenticates. */
			pk = interop_keys_find(k, ztdp_packet_source(out), ztdp_packet_dest(out));
			assert_non_null(pk);
			assert_int_equal(ztdp_dearmor(pk, out, out_len), ZTDP_CIPHER_AES_GMAC_SIV);
			done++;
		}
	}
	printf("# %s: %u fragmented packets reassembled and authenticated\n", pcap, done);
	assert_int_equal(done, want);
	assert_int_equal(ztdp_reasm_live(t), 0);
	check_invariants(t, &c);
	ztdp_reasm_destroy(t);
	pcap_udp_free(d, n);
	interop_keys_free(k);
	free(k);
	free(out);
}

static void test_capture(void **state)
{
	(void)state;
	if (!ztdp_test_have_shared(UNDERLAY_PCAP) || !ztdp_test_have_shared(BRIDGE_PCAP) ||
	    !ztdp_test_have_shared("interop/data/identities/a.identity.secret") ||
	    !ztdp_test_have_shared("interop/data-bridge/identities/a.identity.secret"))
		skip();
	reassemble_capture(UNDERLAY_PCAP, "interop/data/identities", 10);
	reassemble_capture(BRIDGE_PCAP, "interop/data-bridge/identities", 18);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_and_names),
		cmocka_unit_test(test_all_orders),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_lying_fragments),
		cmocka_unit_test(test_too_long_and_small_buffer),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_sources_and_caps),
		cmocka_unit_test(test_memory_bounded),
		cmocka_unit_test(test_random_vs_model),
		cmocka_unit_test(test_capture),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
