/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Encap: Ethernet frames from an L2 port -> ZeroTier packets (protocol
 * notes 6.5, 6.6, 6.13, 11.9, 11.10).
 *
 * Each frame's destination MAC decides where it goes:
 *   - a member's MAC (derived, section 1.3): that member, as FRAME when
 *     the source is our own MAC, else EXT_FRAME (we bridge it);
 *   - another unicast MAC: the bridge that learned it, else every active
 *     bridge of the network, as EXT_FRAME;
 *   - multicast/broadcast: its group (ARP requests to the group of the
 *     address asked for), sent as MULTICAST_FRAME to every active bridge
 *     and up to the network's multicast limit of the subscribers the
 *     control thread published.
 * The outbound rules run as 1.14.1 runs them (per destination for
 * unicast, once for multicast). The packet is built in place: the
 * ZeroTier header is prepended in the mbuf's headroom, so a FRAME or
 * EXT_FRAME costs no copy; fan-out copies the plaintext once per extra
 * recipient. Armor, fragmentation and the underlay headers follow in
 * tx_underlay.c, for the whole burst at once.
 *
 * The control thread gets the frame (and the node decides) when the
 * destination peer is not in the tables (WHOIS, queueing), when no
 * subscriber list is published for a group (gather), or when the rules
 * ask for TEE/WATCH/REDIRECT copies.
 *
 * Multicasts go out without the implicit gather flag: the OKs it asks
 * for would reach the node as replies to packets it never sent. The node
 * gathers explicitly instead.
 */
#include <string.h>

#include <rte_prefetch.h>
#include <rte_random.h>

#include "dp_internal.h"
#include "ztdp_buf.h"
#include "ztdp_identity.h"
#include "ztdp_mac.h"
#include "ztdp_packet.h"

/* Bytes prepended in front of the Ethernet header, per verb. */
#define HDR_FRAME	(ZTDP_PKT_HEADER_LEN + ZTDP_FRAME_IDX_DATA - DP_ETH_LEN)	/* 24 */
#define HDR_EXT		(ZTDP_PKT_HEADER_LEN + ZTDP_EXT_FRAME_IDX_COM)			/* 37 */
#define HDR_MC		(ZTDP_PKT_HEADER_LEN + ZTDP_MC_FRAME_IDX_OPTIONAL + 6 + \
			 ZTDP_MC_ADI_LEN + 2 - DP_ETH_LEN)				/* 35 */
#define HDR_MC_SRC	(HDR_MC + 6)							/* 41 */
/* Headroom a frame needs: the largest ZeroTier header and the underlay's. */
#define HEADROOM_NEED	(HDR_MC_SRC + DP_UDP6_HDR)

enum { K_DROPPED, K_UNICAST, K_BRIDGED, K_MULTICAST };

static inline uint64_t be48(const uint8_t *p)
{
	return (uint64_t)(p[0] << 8 | p[1]) << 32 | ztdp_load_be32(p + 2);
}

static inline void st48(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)(v >> 40);
	p[1] = (uint8_t)(v >> 32);
	ztdp_store_be32(p + 2, (uint32_t)v);
}

/* ---- Rules ----------------------------------------------------------------- */

static bool owns(void *ctx, uint8_t type, const uint8_t *thing)
{
	const struct dp_net *n = ctx;
	size_t len = type == ZTDP_COO_THING_MAC ? 6 : type == ZTDP_COO_THING_IPV4 ? 4 : 16;

	for (unsigned int i = 0; i < n->owned_count; i++)
		if (n->owned[i].type == type && memcmp(n->owned[i].value, thing, len) == 0)
			return true;
	return false;
}

static uint32_t draw(void *ctx)
{
	(void)ctx;
	return (uint32_t)rte_rand();
}

/* The node's environment (control/frame.c zn_rules_env): our tags, the
 * unsupported-match flag, our COOs outbound; peers' presented tags and
 * capabilities are not kept, inbound or out. */
bool dp_rules(struct ztdp_dp_lcore *lc, const struct dp_net *net,
	      const struct ztdp_rules_frame *f, bool outbound, struct ztdp_rules_verdict *v)
{
	struct ztdp_rules_env env;

	memset(&env, 0, sizeof(env));
	env.self = lc->dp->self;
	env.local_tags = net->tags;
	env.local_tag_count = net->tag_count;
	env.unsupported_match_result = net->unsupported_match;
	if (outbound) {
		env.owns = owns;
		env.owns_ctx = (void *)(uintptr_t)net;
	}
	env.random = draw;
	return ztdp_rules_filter(net->rules, net->rule_count, outbound ? net->caps : NULL,
				 outbound ? net->cap_count : 0, f, &env, false, v);
}

/* Outbound verdict for one destination (0 for multicast): 1 send, 0
 * dropped by the rules, -1 the node must handle it (copies, redirect). */
static int rules_out(struct ztdp_dp_lcore *lc, const struct dp_net *net, uint64_t to,
		     const uint8_t *eth, uint32_t len)
{
	struct ztdp_rules_frame f;
	struct ztdp_rules_verdict v;

	if (likely(net->rules_accept_all))
		return 1;
	f.inbound = false;
	f.zt_source = lc->dp->self;
	f.zt_dest = to;
	f.mac_dest = be48(eth);
	f.mac_source = be48(eth + 6);
	f.ethertype = (uint16_t)(eth[12] << 8 | eth[13]);
	f.vlan_id = 0;
	f.data = eth + DP_ETH_LEN;
	f.len = len - DP_ETH_LEN;
	(void)dp_rules(lc, net, &f, true, &v);
	if (v.copy_count > 0 || v.redirect_to != 0)
		return -1;
	return v.accept ? 1 : 0;
}

/* ---- Building packets --------------------------------------------------------- */

/* The 28-byte header (MAC zero; armor fills it and the cipher bits). */
static inline void zt_header(uint8_t *h, uint64_t dest, uint64_t self, uint8_t verb)
{
	uint64_t id = rte_rand();

	memcpy(h + ZTDP_PKT_IDX_IV, &id, 8);
	ztdp_store_be40(h + ZTDP_PKT_IDX_DEST, dest);
	ztdp_store_be40(h + ZTDP_PKT_IDX_SOURCE, self);
	memset(h + ZTDP_PKT_IDX_FLAGS, 0, 1 + ZTDP_PKT_MAC_LEN);
	h[ZTDP_PKT_IDX_VERB] = verb;
}

/* A copy of m's data in a fresh mbuf with the default headroom; NULL
 * (not counted) when the pool is empty. */
static struct rte_mbuf *copy_mbuf(struct ztdp_dp_lcore *lc, const struct rte_mbuf *m)
{
	struct rte_mempool *mp = lc->dp->pool;
	struct rte_mbuf *c;

	if (m->data_len + RTE_PKTMBUF_HEADROOM > rte_pktmbuf_data_room_size(mp))
		mp = lc->dp->big;
	c = rte_pktmbuf_alloc(mp);
	if (unlikely(c == NULL))
		return NULL;
	memcpy(rte_pktmbuf_append(c, m->data_len), rte_pktmbuf_mtod(m, const void *),
	       m->data_len);
	c->port = m->port;
	*ztdp_dp_meta(c) = *ztdp_dp_meta((struct rte_mbuf *)(uintptr_t)m);
	return c;
}

/* Recipients of one frame, decided before anything is sent. */
struct fanout {
	const struct dp_peer *p[ZTDP_DP_MAX_BRIDGES + ZTDP_DP_MAX_GROUP_MEMBERS];
	unsigned int n;
	unsigned int unknown;		/* not in the peer table */
	unsigned int refused;		/* dropped by the rules */
	bool node;			/* the rules want the node */
};

static void fanout_add(struct ztdp_dp_lcore *lc, const struct dp_net *net, struct fanout *fo,
		       uint64_t to, const uint8_t *eth, uint32_t len, bool per_dest_rules)
{
	const struct dp_peer *p;
	int r;

	for (unsigned int i = 0; i < fo->n; i++)
		if (fo->p[i]->address == to)
			return;
	if (to == lc->dp->self || fo->n == RTE_DIM(fo->p))
		return;
	p = dp_peer_find(lc->dp, to);
	if (p == NULL) {
		fo->unknown++;
		return;
	}
	if (per_dest_rules) {
		r = rules_out(lc, net, to, eth, len);
		if (r < 0)
			fo->node = true;
		if (r <= 0) {
			fo->refused += r == 0;
			return;
		}
	}
	fo->p[fo->n++] = p;
}

/* m holds the packet (dest not set); send it to every recipient: copies
 * for all but the last, which takes m itself. */
static void fanout_send(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct fanout *fo)
{
	for (unsigned int i = 0; i < fo->n; i++) {
		struct rte_mbuf *c = i + 1 < fo->n ? copy_mbuf(lc, m) : m;
		uint8_t *h;
		uint64_t id = rte_rand();

		if (unlikely(c == NULL)) {
			lc->st->drops[ZTDP_DP_DROP_NO_MBUF]++;
			continue;
		}
		h = rte_pktmbuf_mtod(c, uint8_t *);
		memcpy(h + ZTDP_PKT_IDX_IV, &id, 8);	/* fresh per copy */
		ztdp_store_be40(h + ZTDP_PKT_IDX_DEST, fo->p[i]->address);
		dp_out_add(lc, c, fo->p[i]);
	}
}

/* What a fan-out that found nobody to send to does with the frame. */
static void fanout_none(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct fanout *fo)
{
	if (fo->node || fo->unknown > 0)
		dp_to_control(lc, m, ZTDP_DP_KIND_L2);
	else
		dp_drop(lc, m, fo->refused > 0 ? ZTDP_DP_DROP_RULES_OUT :
			ZTDP_DP_DROP_NO_RECIPIENTS);
}

/* Turn the Ethernet frame in m into an EXT_FRAME (dest left to fill). */
static uint8_t *make_ext_frame(struct ztdp_dp_lcore *lc, struct rte_mbuf *m,
			       const struct dp_net *net, uint64_t dest)
{
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, HDR_EXT);

	zt_header(h, dest, lc->dp->self, ZTDP_VERB_EXT_FRAME);
	ztdp_store_be64(h + ZTDP_PKT_IDX_PAYLOAD, net->nwid);
	h[ZTDP_PKT_IDX_PAYLOAD + ZTDP_EXT_FRAME_IDX_FLAGS] = 0;
	return h;
}

static void send_unicast(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct dp_net *net,
			 const struct dp_peer *p, uint64_t to)
{
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);
	int r;

	if (unlikely(p == NULL)) {
		dp_to_control(lc, m, ZTDP_DP_KIND_L2);
		return;
	}
	r = rules_out(lc, net, to, eth, m->data_len);
	if (unlikely(r <= 0)) {
		if (r < 0)
			dp_to_control(lc, m, ZTDP_DP_KIND_L2);
		else
			dp_drop(lc, m, ZTDP_DP_DROP_RULES_OUT);
		return;
	}
	if (be48(eth + 6) == net->mac) {
		/* FRAME: the ZeroTier header ends where the ethertype is. */
		uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, HDR_FRAME);

		zt_header(h, to, lc->dp->self, ZTDP_VERB_FRAME);
		ztdp_store_be64(h + ZTDP_PKT_IDX_PAYLOAD, net->nwid);
	} else {
		(void)make_ext_frame(lc, m, net, to);
	}
	dp_out_add(lc, m, p);
}

/* Unicast to a MAC that is not a member's (notes 11.9). */
static void send_bridged(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct dp_net *net)
{
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
	struct dp_bmac *e = dp_bmac_find(lc->dp, net->nwid, be48(eth));
	struct fanout fo;

	fo.n = fo.unknown = fo.refused = 0;
	fo.node = false;
	if (e != NULL && dp_net_has_bridge(net, e->peer)) {
		fanout_add(lc, net, &fo, e->peer, eth, m->data_len, true);
	} else {
		for (unsigned int i = 0; i < net->bridge_count; i++)
			fanout_add(lc, net, &fo, net->bridges[i], eth, m->data_len, true);
	}
	if (fo.node || fo.n == 0) {
		fanout_none(lc, m, &fo);
		return;
	}
	(void)make_ext_frame(lc, m, net, 0);
	fanout_send(lc, m, &fo);
}

/* Multicast and broadcast (notes 11.10). */
static void send_multicast(struct ztdp_dp_lcore *lc, struct rte_mbuf *m,
			   const struct dp_net *net)
{
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *), *h, *q;
	uint64_t dst = be48(eth), src = be48(eth + 6);
	uint16_t et = (uint16_t)(eth[12] << 8 | eth[13]);
	struct ztdp_mcast_group g = ztdp_mcast_group_for_frame(dst, et, eth + DP_ETH_LEN,
							       m->data_len - DP_ETH_LEN);
	const struct dp_group *grp;
	struct fanout fo;
	unsigned int take, start;
	int r;

	if (g.mac == ZTDP_MAC_BROADCAST && g.adi == 0 && !net->broadcast) {
		dp_drop(lc, m, ZTDP_DP_DROP_BCAST_DISABLED);
		return;
	}
	if (net->mc_limit == 0) {
		dp_drop(lc, m, ZTDP_DP_DROP_MC_DISABLED);
		return;
	}
	r = rules_out(lc, net, 0, eth, m->data_len);
	if (r <= 0) {
		if (r < 0)
			dp_to_control(lc, m, ZTDP_DP_KIND_L2);
		else
			dp_drop(lc, m, ZTDP_DP_DROP_RULES_OUT);
		return;
	}
	grp = dp_group_find(lc->dp, net->nwid, g);
	if (grp == NULL || grp->n == 0) {
		/* Nobody known: the node gathers and queues. */
		dp_to_control(lc, m, ZTDP_DP_KIND_L2);
		return;
	}
	if (lc->now_ms - __atomic_load_n(&grp->last_used_ms, __ATOMIC_RELAXED) >=
	    DP_ACTIVITY_RES_MS)
		__atomic_store_n((uint64_t *)(uintptr_t)&grp->last_used_ms, lc->now_ms,
				 __ATOMIC_RELAXED);
	fo.n = fo.unknown = fo.refused = 0;
	fo.node = false;
	/* Every active bridge, beyond the limit; then up to `limit`
	 * subscribers, from a random place when there are more. */
	for (unsigned int i = 0; i < net->bridge_count; i++)
		fanout_add(lc, net, &fo, net->bridges[i], eth, m->data_len, false);
	take = RTE_MIN(grp->n, net->mc_limit);
	start = grp->n > take ? (unsigned int)(rte_rand() % grp->n) : 0;
	for (unsigned int i = 0; i < take; i++)
		fanout_add(lc, net, &fo, grp->members[(start + i) % grp->n], eth, m->data_len,
			   false);
	if (fo.n == 0) {
		fanout_none(lc, m, &fo);
		return;
	}
	/* MULTICAST_FRAME: nwid, flags, [source MAC], group MAC, ADI,
	 * ethertype, data. The source MAC travels for bridged senders only. */
	if (src != net->mac) {
		h = (uint8_t *)rte_pktmbuf_prepend(m, HDR_MC_SRC);
		q = h + ZTDP_PKT_IDX_PAYLOAD + ZTDP_MC_FRAME_IDX_OPTIONAL;
		h[ZTDP_PKT_IDX_PAYLOAD + ZTDP_MC_FRAME_IDX_FLAGS] = ZTDP_MC_FRAME_FLAG_SOURCE_MAC;
		st48(q, src);
		q += 6;
	} else {
		h = (uint8_t *)rte_pktmbuf_prepend(m, HDR_MC);
		q = h + ZTDP_PKT_IDX_PAYLOAD + ZTDP_MC_FRAME_IDX_OPTIONAL;
		h[ZTDP_PKT_IDX_PAYLOAD + ZTDP_MC_FRAME_IDX_FLAGS] = 0;
	}
	zt_header(h, 0, lc->dp->self, ZTDP_VERB_MULTICAST_FRAME);
	ztdp_store_be64(h + ZTDP_PKT_IDX_PAYLOAD, net->nwid);
	st48(q, g.mac);
	ztdp_store_be32(q + 6, g.adi);
	ztdp_store_be16(q + 6 + ZTDP_MC_ADI_LEN, et);
	fanout_send(lc, m, &fo);
}

/* ---- The burst --------------------------------------------------------------------- */

void dp_encap_burst(struct ztdp_dp_lcore *lc, unsigned int l2, struct rte_mbuf **pkts,
		    uint16_t n)
{
	struct ztdp_dp *dp = lc->dp;
	uint16_t port = lc->l2[l2].port_id;
	const struct dp_net *net = dp_net_by_port(dp, port);
	uint8_t kind[ZTDP_DP_BURST];
	uint8_t slot[ZTDP_DP_BURST];
	uint64_t keys[ZTDP_DP_BURST];
	const struct dp_peer *peers[ZTDP_DP_BURST];
	unsigned int nk = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *eth;
		uint64_t dst, src;

		kind[i] = K_DROPPED;
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		/* First cache line only; the metadata is written if the frame
		 * goes to the control thread. */
		m->port = port;
		if (unlikely(net == NULL)) {
			dp_drop(lc, m, ZTDP_DP_DROP_L2_NO_NETWORK);
			continue;
		}
		/* One contiguous buffer with room for every header in front. */
		if (unlikely(m->nb_segs != 1)) {
			m = dp_linearize(lc, m);
			if (m == NULL)
				continue;
			pkts[i] = m;
		}
		if (unlikely(rte_pktmbuf_headroom(m) < HEADROOM_NEED)) {
			struct rte_mbuf *c = copy_mbuf(lc, m);

			if (c == NULL) {
				dp_drop(lc, m, ZTDP_DP_DROP_NO_MBUF);
				continue;
			}
			rte_pktmbuf_free(m);
			pkts[i] = m = c;
		}
		if (unlikely(m->data_len < DP_ETH_LEN)) {
			dp_drop(lc, m, ZTDP_DP_DROP_L2_RUNT);
			continue;
		}
		if (unlikely((uint32_t)(m->data_len - DP_ETH_LEN) > net->mtu)) {
			dp_drop(lc, m, ZTDP_DP_DROP_L2_TOO_BIG);
			continue;
		}
		eth = rte_pktmbuf_mtod(m, const uint8_t *);
		dst = be48(eth);
		src = be48(eth + 6);
		/* Without the active-bridge flag only our own MAC may send. */
		if (unlikely(src != net->mac && !net->bridge)) {
			dp_drop(lc, m, ZTDP_DP_DROP_L2_BAD_SRC_MAC);
			continue;
		}
		if (ztdp_mac_is_multicast(dst)) {
			kind[i] = K_MULTICAST;
		} else if (ztdp_mac_is_zerotier(dst, net->nwid)) {
			uint64_t to = ztdp_mac_to_address(dst, net->nwid);

			if (unlikely(to == dp->self || ztdp_address_is_reserved(to))) {
				dp_drop(lc, m, ZTDP_DP_DROP_L2_BAD_DST);
				continue;
			}
			kind[i] = K_UNICAST;
			slot[i] = (uint8_t)nk;
			keys[nk++] = to;
		} else {
			kind[i] = K_BRIDGED;
		}
	}
	dp_peer_find_bulk(dp, keys, nk, peers);
	for (uint16_t i = 0; i < n; i++) {
		switch (kind[i]) {
		case K_UNICAST:
			send_unicast(lc, pkts[i], net, peers[slot[i]], keys[slot[i]]);
			break;
		case K_BRIDGED:
			send_bridged(lc, pkts[i], net);
			break;
		case K_MULTICAST:
			send_multicast(lc, pkts[i], net);
			break;
		default:
			break;
		}
	}
}
