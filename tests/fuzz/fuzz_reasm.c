/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the reassembly table under a stream of heads,
 * fragments, raw datagrams and clock steps taken from the input.
 *
 * Byte 0 picks the table (entries 1..8, per-source share, timeout); then
 * records of
 *   op (bits 0-1: 0 fragment, 1 head, 2 raw datagram, 3 clock step;
 *       bits 2-4 source key 0..7)
 *   sel (bits 0-1 packet ID of 4, bit 2 destination of 2; for fragments
 *       the whole byte is the counts byte's source when op bit 5 is set)
 *   counts / flags byte
 *   length (u16, taken mod 1600; a clock step uses it as milliseconds)
 *   payload bytes (from the input, zero-padded)
 * After every record: the counters' invariants, the caps, and for an
 * assembled packet a sane length and header. At the end: the table never
 * wrote outside the memory it was given.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_buf.h"
#include "ztdp_packet.h"
#include "ztdp_reasm.h"

#define GUARD		256
#define MAX_ENTRIES	8
#define MAX_DGRAM	1600

static uint8_t out[ZTDP_MAX_PACKET_LEN];

static void check_invariants(const struct ztdp_reasm *t, const struct ztdp_reasm_config *c)
{
	const struct ztdp_reasm_stats *st = ztdp_reasm_stats(t);
	uint64_t per_dgram = 0;

	for (unsigned int r = 1; r < ZTDP_REASM_N_DROP; r++)
		if (!ztdp_reasm_drop_is_entry((enum ztdp_reasm_drop)r))
			per_dgram += st->drops[r];
	CHECK(st->drops[ZTDP_REASM_DROP_NONE] == 0);
	CHECK(st->datagrams == st->accepted + per_dgram);
	CHECK(st->accepted == ztdp_reasm_pieces_live(t) + st->pieces_completed +
			      st->pieces_discarded);
	CHECK(ztdp_reasm_live(t) <= c->entries);
	CHECK(ztdp_reasm_pieces_live(t) <= (uint64_t)ztdp_reasm_live(t) * ZTDP_MAX_FRAGMENTS);
	CHECK(st->pieces_completed >= 2 * st->completed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t timeouts[4] = { 0, 10, 1000, 5000 };
	struct ztdp_reasm_config c;
	struct ztdp_reasm *t;
	uint8_t *mem, dg[MAX_DGRAM];
	size_t need, at = 1;
	uint64_t now = 0;

	if (size < 1)
		return 0;
	ztdp_reasm_config_default(&c);
	c.entries = 1 + (data[0] & 7);
	c.per_source = 1 + ((data[0] >> 3) & 7) % c.entries;
	c.timeout_ms = timeouts[data[0] >> 6];
	c.hash_seed = 0x5eed;
	need = ztdp_reasm_memsize(&c);
	CHECK(need > 0);
	mem = aligned_alloc(16, (need + GUARD + 15) & ~(size_t)15);
	if (mem == NULL)
		return 0;
	memset(mem + need, 0xa5, GUARD);
	t = ztdp_reasm_init(mem, need, &c);
	CHECK(t != NULL);

	while (at + 5 <= size) {
		uint8_t op = data[at], sel = data[at + 1], counts = data[at + 2];
		size_t len = ztdp_load_be16(data + at + 3) % MAX_DGRAM, take;
		uint64_t src = (op >> 2) & 7, id = 0x1000 + (sel & 3);
		uint64_t dest = (sel & 4) ? 0x3285290482ULL : 0xdec87a28aaULL;
		size_t out_len = 0;
		int rc;

		at += 5;
		if ((op & 3) == 3) {
			now += len;
			(void)ztdp_reasm_expire(t, now);
			check_invariants(t, &c);
			continue;
		}
		memset(dg, 0, sizeof(dg));
		take = size - at < len ? size - at : len;
		memcpy(dg, data + at, take);
		at += take;
		switch (op & 3) {
		case 0:		/* fragment */
			if (len < ZTDP_FRAG_HEADER_LEN + 1)
				len = ZTDP_FRAG_HEADER_LEN + 1;
			ztdp_store_be64(dg, id);
			ztdp_store_be40(dg + ZTDP_FRAG_IDX_DEST, dest);
			dg[ZTDP_FRAG_IDX_INDICATOR] = ZTDP_FRAG_INDICATOR;
			dg[ZTDP_FRAG_IDX_COUNTS] = counts;
			break;
		case 1:		/* head */
			if (len < ZTDP_PKT_MIN_LEN)
				len = ZTDP_PKT_MIN_LEN;
			ztdp_store_be64(dg, id);
			ztdp_store_be40(dg + ZTDP_PKT_IDX_DEST, dest);
			dg[ZTDP_PKT_IDX_SOURCE] = 0x12;
			dg[ZTDP_PKT_IDX_FLAGS] = counts | ZTDP_PKT_FLAG_FRAGMENTED;
			if (op & 0x20)
				dg[ZTDP_PKT_IDX_FLAGS] &= (uint8_t)~ZTDP_PKT_FLAG_FRAGMENTED;
			break;
		default:	/* whatever the input says */
			break;
		}
		{
			/* Exact-size copy: ASan sees overreads. */
			uint8_t *copy = malloc(len ? len : 1);
			size_t cap = (op & 0x80) ? (size_t)(counts * 40) : sizeof(out);

			if (copy == NULL)
				break;
			memcpy(copy, dg, len);
			rc = ztdp_reasm_add(t, src, copy, len, now, out, cap, &out_len);
			free(copy);
		}
		CHECK(rc == ZTDP_REASM_PENDING || rc == ZTDP_REASM_COMPLETE ||
		      (rc < 0 && -rc < ZTDP_REASM_N_DROP));
		if (rc == ZTDP_REASM_COMPLETE) {
			CHECK(out_len >= ZTDP_PKT_MIN_LEN + 1 && out_len <= ZTDP_MAX_PACKET_LEN);
			CHECK(ztdp_packet_is_fragmented(out));
			/* The entry completed is the one this datagram named. */
			CHECK(ztdp_packet_id(out) == ztdp_load_be64(dg));
			CHECK(ztdp_packet_dest(out) == ztdp_load_be40(dg + 8));
		}
		CHECK(ztdp_reasm_live_for_source(t, src) <= c.per_source);
		check_invariants(t, &c);
	}
	for (size_t i = 0; i < GUARD; i++)
		CHECK(mem[need + i] == 0xa5);
	ztdp_reasm_clear(t);
	check_invariants(t, &c);
	CHECK(ztdp_reasm_live(t) == 0);
	free(mem);
	return 0;
}
