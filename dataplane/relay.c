/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Relaying on the data lcores, for a planet root (cfg.relay): a datagram
 * for another node goes on to that node's path as it came, never
 * decrypted, with its hop count one higher (notes 5.4). The node stays in
 * charge of what needs it:
 *   - a destination the tables do not hold (the node may know it, or
 *     WHOIS it);
 *   - the first packet of a (source, destination) pair in INTRO_MS, which
 *     the node relays itself and answers with RENDEZVOUS to both sides so
 *     that they meet directly.
 * Fragments carry no source and are relayed as they come (each is a
 * datagram of its own; the packet is not put back together here).
 */
#include <rte_mbuf.h>

#include "dp_internal.h"
#include "ztdp_packet.h"
#include "ztdp_wire.h"

/* As the node's introductions (control/root.c): once per pair per 30 s. */
#define INTRO_MS	30000

/* Did the node introduce this pair recently? Records it if not (the
 * caller then hands the packet to the node). A direct-mapped cache: a
 * collision only costs an extra trip through the node. */
static bool introduced(struct ztdp_dp_lcore *lc, uint64_t src, uint64_t dst)
{
	uint64_t h = (src * 0x9e3779b97f4a7c15ULL) ^ (dst * 0xc2b2ae3d27d4eb4fULL);
	struct dp_intro *e = &lc->intro[(h >> 32) & (DP_INTRO_SLOTS - 1)];

	if (e->src == src && e->dst == dst && lc->now_ms - e->at_ms < INTRO_MS)
		return true;
	e->src = src;
	e->dst = dst;
	e->at_ms = lc->now_ms;
	return false;
}

void dp_relay(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, bool fragment)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	const struct dp_peer *p;
	unsigned int hops;
	uint64_t dest;

	if (fragment) {
		dest = ztdp_load_be40(d + ZTDP_FRAG_IDX_DEST);
		hops = ztdp_fragment_hops(d);
	} else {
		dest = ztdp_packet_dest(d);
		hops = ztdp_packet_hops(d);
	}
	if (unlikely(hops >= ZTDP_RELAY_MAX_HOPS)) {
		dp_drop(lc, m, ZTDP_DP_DROP_RELAY_HOPS);
		return;
	}
	p = dp_peer_find(lc->dp, dest);
	if (p == NULL ||
	    (!fragment && !introduced(lc, ztdp_packet_source(d), dest))) {
		dp_to_control(lc, m, ZTDP_DP_KIND_WIRE);
		return;
	}
	if (unlikely(dp_same_path(&ztdp_dp_meta(m)->from, &p->path.to))) {
		dp_drop(lc, m, ZTDP_DP_DROP_RELAY_LOOP);
		return;
	}
	if (fragment)
		ztdp_fragment_set_hops(d, hops + 1);
	else
		ztdp_packet_set_hops(d, hops + 1);
	lc->st->relayed++;
	dp_touch_tx(p, lc->now_ms);
	dp_send_armored(lc, m, p);
}
