/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Decap: underlay burst -> Ethernet frames on the L2 ports.
 *
 *  1. Sort the burst, as ipsec-secgw's prepare_traffic: underlay frames
 *     that are not UDP to our port go to the control thread (ARP, ND,
 *     ICMP) or are dropped; ZeroTier datagrams are split into whole
 *     packets, heads and fragments. Heads and fragments go through this
 *     lcore's reassembly table (the dispatcher keeps a sender's pieces on
 *     one lcore) and come out as one packet in a big mbuf.
 *  2. Whole packets from peers in the tables with suite 1 or 3 form one
 *     vector for ztdp_dearmor_burst (in place in the mbuf); suite 0
 *     (HELLO) and unknown senders go to the control thread as they are.
 *  3. After dearmor: FRAME, EXT_FRAME and MULTICAST_FRAME are decoded,
 *     gated, filtered by the inbound rules and rebuilt into an Ethernet
 *     frame in place (the ZeroTier header is simply cut off the front);
 *     every other verb goes to the control thread already authenticated.
 *
 * Checks follow 1.14.1 (protocol notes 6.5, 6.6, 6.13, 9.3, 11.9). Where
 * the node's answer is needed (ERROR NEED_MEMBERSHIP_CERTIFICATE for a
 * peer that fails the gate, OK for EXT_FRAME's ACK flag and for
 * MULTICAST_FRAME's implicit gather, inline COMs, TEE/REDIRECT copies, a
 * packet from a new underlay address), the authenticated packet goes to
 * the control thread, which runs the node's own path for it.
 *
 * UDP checksums are not verified on this path: the packet's MAC
 * (Poly1305 or GMAC) already rejects any corrupted byte, far more
 * strongly, and summing 1400 bytes costs about a third of the dearmor.
 * The IPv4 header checksum (20 bytes, and it steers the packet) is.
 */
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_prefetch.h>

#include "dp_internal.h"
#include "ztdp_buf.h"
#include "ztdp_mac.h"
#include "ztdp_packet.h"

#define PROTO_ICMP4	1
#define PROTO_UDP	17
#define PROTO_ICMP6	58

static inline uint64_t be48(const uint8_t *p)
{
	return (uint64_t)ztdp_load_be16(p) << 32 | ztdp_load_be32(p + 2);
}

static inline void st48(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)(v >> 40);
	p[1] = (uint8_t)(v >> 32);
	ztdp_store_be32(p + 2, (uint32_t)v);
}

/* ---- Underlay classification --------------------------------------------------- */

#define DROP(r) do { *why = ZTDP_DP_DROP_##r; return -1; } while (0)

static bool ip6_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 16) == 0;
}

int dp_ul_classify(const struct ztdp_dp *dp, const uint8_t *f, uint32_t len,
		   struct dp_ul_info *ui, enum ztdp_dp_drop *why)
{
	const struct ztdp_dp_underlay *ul = &dp->cfg.ul;
	uint16_t type;

	if (unlikely(len < DP_ETH_LEN))
		DROP(UL_RUNT);
	/* Group addresses pass; the IP checks decide whether they are ours. */
	if (!(f[0] & 1) && memcmp(f, ul->mac, 6) != 0)
		DROP(UL_FOREIGN_DST);
	type = ztdp_load_be16(f + 12);
	if (likely(type == DP_ET_IPV4)) {
		const uint8_t *ip = f + DP_ETH_LEN, *udp;
		uint32_t rem = len - DP_ETH_LEN, ihl, tot, ulen;

		if (unlikely(rem < 20 || (ip[0] >> 4) != 4))
			DROP(UL_IP_MALFORMED);
		ihl = (uint32_t)(ip[0] & 0x0f) * 4;
		tot = ztdp_load_be16(ip + 2);
		if (unlikely(ihl < 20 || tot < ihl || tot > rem))
			DROP(UL_IP_MALFORMED);
		if (unlikely(ztdp_csum_fold(ztdp_csum_partial(ip, ihl, 0)) != 0xffff))
			DROP(UL_IP_MALFORMED);
		if (unlikely(ztdp_load_be16(ip + 6) & 0x3fff))
			DROP(UL_IP_FRAGMENT);
		if (unlikely(!ul->has_ip4 || memcmp(ip + 16, ul->ip4, 4) != 0))
			DROP(UL_IP_NOT_FOR_US);
		if (unlikely(ip[12] == 0 || ip[12] == 127 || ip[12] >= 224 ||
			     memcmp(ip + 12, ul->ip4, 4) == 0))
			DROP(UL_IP_MARTIAN);
		if (ip[9] == PROTO_ICMP4)
			return 0;
		if (unlikely(ip[9] != PROTO_UDP))
			DROP(UL_IP_PROTO);
		udp = ip + ihl;
		if (unlikely(tot - ihl < 8))
			DROP(UL_UDP_MALFORMED);
		ulen = ztdp_load_be16(udp + 4);
		if (unlikely(ulen < 8 || ulen > tot - ihl || ztdp_load_be16(udp) == 0))
			DROP(UL_UDP_MALFORMED);
		if (unlikely(ztdp_load_be16(udp + 2) != ul->udp_port))
			DROP(UL_UDP_PORT);
		ui->off = (uint16_t)(DP_ETH_LEN + ihl + 8);
		ui->len = (uint16_t)(ulen - 8);
		memset(ui->from, 0, sizeof(*ui->from));
		ui->from->family = 4;
		memcpy(ui->from->ip, ip + 12, 4);
		ui->from->port = ztdp_load_be16(udp);
		return 1;
	}
	if (type == DP_ET_IPV6) {
		const uint8_t *ip = f + DP_ETH_LEN, *src = ip + 8, *dst = ip + 24, *udp = ip + 40;
		uint32_t rem = len - DP_ETH_LEN, plen, ulen;

		if (unlikely(rem < 40 || (ip[0] >> 4) != 6))
			DROP(UL_IP_MALFORMED);
		plen = ztdp_load_be16(ip + 4);
		if (unlikely(40 + plen > rem))
			DROP(UL_IP_MALFORMED);
		if (dst[0] == 0xff) {
			/* Multicast: only neighbour discovery, for the
			 * control thread (which checks the group). */
			if (ip[6] == PROTO_ICMP6)
				return 0;
			DROP(UL_IP_NOT_FOR_US);
		}
		if (unlikely(!(ul->has_ip6 && ip6_eq(dst, ul->ip6)) && !ip6_eq(dst, ul->ll6)))
			DROP(UL_IP_NOT_FOR_US);
		if (unlikely(src[0] == 0xff || ip6_eq(src, ul->ll6) ||
			     (ul->has_ip6 && ip6_eq(src, ul->ip6))))
			DROP(UL_IP_MARTIAN);
		if (ip[6] == PROTO_ICMP6)
			return 0;
		if (unlikely(ip[6] != PROTO_UDP))
			DROP(UL_IP_PROTO);
		if (unlikely(plen < 8))
			DROP(UL_UDP_MALFORMED);
		ulen = ztdp_load_be16(udp + 4);
		if (unlikely(ulen < 8 || ulen > plen || ztdp_load_be16(udp) == 0))
			DROP(UL_UDP_MALFORMED);
		if (unlikely(ztdp_load_be16(udp + 2) != ul->udp_port))
			DROP(UL_UDP_PORT);
		ui->off = DP_ETH_LEN + 40 + 8;
		ui->len = (uint16_t)(ulen - 8);
		memset(ui->from, 0, sizeof(*ui->from));
		ui->from->family = 6;
		memcpy(ui->from->ip, src, 16);
		ui->from->port = ztdp_load_be16(udp);
		return 1;
	}
	if (type == DP_ET_ARP)
		return 0;
	DROP(UL_ETHERTYPE);
}

#undef DROP

/* ---- Reassembly ------------------------------------------------------------------ */

/* Offer a head or fragment; the piece is copied, m is consumed. Returns
 * the completed packet (a big mbuf) or NULL. */
static struct rte_mbuf *reasm_offer(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, bool head)
{
	const struct ztdp_dp_meta *meta = ztdp_dp_meta(m);
	/* Sender's IP and port (zero-padded by classify), copied out of the
	 * 2-byte aligned mbuf field: rte_hash_crc reads 8 bytes at a time. */
	union {
		struct ztdp_inetaddr a;
		uint64_t w[3];
	} from = { .w = { 0, 0, 0 } };
	uint64_t key;

	from.a = meta->from;
	key = rte_hash_crc(from.w, sizeof(from.w), (uint32_t)lc->reasm_seed);
	struct rte_mbuf *pm = lc->reasm_out;
	size_t out_len = 0;
	int r;

	if (pm == NULL) {
		pm = lc->reasm_out = dp_big_alloc(lc);
		if (pm == NULL) {
			rte_pktmbuf_free(m);	/* counted as NO_MBUF */
			return NULL;
		}
	}
	if (head)
		r = ztdp_reasm_add_head(lc->reasm, key, rte_pktmbuf_mtod(m, const uint8_t *),
					m->data_len, lc->now_ms, rte_pktmbuf_mtod(pm, uint8_t *),
					rte_pktmbuf_tailroom(pm), &out_len);
	else
		r = ztdp_reasm_add_fragment(lc->reasm, key, rte_pktmbuf_mtod(m, const uint8_t *),
					    m->data_len, lc->now_ms,
					    rte_pktmbuf_mtod(pm, uint8_t *),
					    rte_pktmbuf_tailroom(pm), &out_len);
	if (r < 0) {
		dp_drop(lc, m, ZTDP_DP_DROP_ZT_FRAGMENT);
		return NULL;
	}
	lc->st->reasm_pieces++;
	if (r != ZTDP_REASM_COMPLETE) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	lc->reasm_out = NULL;
	pm->data_len = (uint16_t)out_len;
	pm->pkt_len = (uint32_t)out_len;
	*ztdp_dp_meta(pm) = *meta;
	rte_pktmbuf_free(m);
	lc->st->reassembled++;
	return pm;
}

/* ---- After dearmor: the data verbs ------------------------------------------------ */

/* The checks every data verb shares: network, gate, path. NULL when the
 * packet was handed on or dropped. */
static const struct dp_net *inbound_net(struct ztdp_dp_lcore *lc, struct rte_mbuf *m,
					const struct dp_peer *p, uint64_t nwid)
{
	const struct dp_net *net = dp_net_find(lc->dp, nwid);

	if (unlikely(net == NULL)) {
		dp_drop(lc, m, ZTDP_DP_DROP_NET_UNKNOWN);
		return NULL;
	}
	/* A peer that fails the gate, or speaks from an address the node
	 * has not confirmed: the node answers (ERROR 0x06, HELLO). */
	if (unlikely((!net->is_public && !(p->gate & (1ULL << net->slot))) ||
		     !dp_same_path(&ztdp_dp_meta(m)->from, &p->path.to))) {
		dp_to_control(lc, m, ZTDP_DP_KIND_PLAIN);
		return NULL;
	}
	return net;
}

/* Inbound rules: true to deliver, false when the packet was dropped or
 * handed on (copies and redirects are the node's). *super: super-accept. */
static bool inbound_rules(struct ztdp_dp_lcore *lc, struct rte_mbuf *m,
			  const struct dp_net *net, const struct dp_peer *p, bool multicast,
			  uint64_t src_mac, uint64_t dst_mac, uint16_t ethertype,
			  const uint8_t *data, size_t len, bool *super)
{
	struct ztdp_rules_frame f;
	struct ztdp_rules_verdict v;

	*super = false;
	if (likely(net->rules_accept_all))
		return true;
	f.inbound = true;
	f.zt_source = p->address;
	f.zt_dest = multicast ? 0 : lc->dp->self;
	f.mac_source = src_mac;
	f.mac_dest = dst_mac;
	f.ethertype = ethertype;
	f.vlan_id = 0;
	f.data = data;
	f.len = len;
	(void)dp_rules(lc, net, &f, false, &v);
	if (v.copy_count > 0 || v.redirect_to != 0) {
		dp_to_control(lc, m, ZTDP_DP_KIND_PLAIN);
		return false;
	}
	if (!v.accept) {
		dp_drop(lc, m, ZTDP_DP_DROP_RULES_IN);
		return false;
	}
	*super = v.super_accept;
	return true;
}

static void deliver(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct dp_net *net,
		    uint8_t *eth)
{
	rte_pktmbuf_adj(m, (uint16_t)(eth - rte_pktmbuf_mtod(m, uint8_t *)));
	lc->st->decap++;
	if (unlikely(m->data_len > net->l2_mtu + DP_ETH_LEN))
		dp_l2_out_oversize(lc, m, net);
	else
		dp_l2_out(lc, m, net->l2_port);
}

/* FRAME (6.5): nwid, ethertype, data; both MACs are the members'. */
static void rx_frame(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct dp_peer *p,
		     uint8_t *d, uint32_t len)
{
	uint8_t *pl = d + ZTDP_PKT_IDX_PAYLOAD;
	const struct dp_net *net;
	uint64_t nwid, src;
	uint16_t et;
	bool super;

	if (unlikely(len < ZTDP_PKT_IDX_PAYLOAD + ZTDP_FRAME_IDX_DATA)) {
		dp_drop(lc, m, ZTDP_DP_DROP_ZT_MALFORMED);
		return;
	}
	nwid = ztdp_load_be64(pl);
	et = ztdp_load_be16(pl + ZTDP_FRAME_IDX_ETHERTYPE);
	net = inbound_net(lc, m, p, nwid);
	if (net == NULL)
		return;
	src = ztdp_mac_from_address(p->address, nwid);
	if (!inbound_rules(lc, m, net, p, false, src, net->mac, et, pl + ZTDP_FRAME_IDX_DATA,
			   len - ZTDP_PKT_IDX_PAYLOAD - ZTDP_FRAME_IDX_DATA, &super))
		return;
	/* The Ethernet header ends where the ethertype already is. */
	st48(pl - 4, net->mac);
	st48(pl + 2, src);
	deliver(lc, m, net, pl - 4);
}

/* EXT_FRAME (6.6): nwid, flags, [COM], dst, src, ethertype, data. */
static void rx_ext_frame(struct ztdp_dp_lcore *lc, struct rte_mbuf *m,
			 const struct dp_peer *p, uint8_t *d, uint32_t len)
{
	uint8_t *pl = d + ZTDP_PKT_IDX_PAYLOAD, *eth = pl + ZTDP_EXT_FRAME_IDX_COM;
	const struct dp_net *net;
	uint64_t nwid, dst, src, sender;
	uint8_t flags;
	bool super;

	if (unlikely(len < ZTDP_PKT_IDX_PAYLOAD + ZTDP_EXT_FRAME_IDX_COM + DP_ETH_LEN)) {
		dp_drop(lc, m, ZTDP_DP_DROP_ZT_MALFORMED);
		return;
	}
	nwid = ztdp_load_be64(pl);
	flags = pl[ZTDP_EXT_FRAME_IDX_FLAGS];
	/* An inline COM (deprecated) or a wanted OK: the node's. */
	if (unlikely(flags & (ZTDP_EXT_FRAME_FLAG_COM | ZTDP_EXT_FRAME_FLAG_ACK))) {
		dp_to_control(lc, m, ZTDP_DP_KIND_PLAIN);
		return;
	}
	net = inbound_net(lc, m, p, nwid);
	if (net == NULL)
		return;
	dst = be48(eth);
	src = be48(eth + 6);
	if (unlikely(src == 0 || src == net->mac)) {
		dp_drop(lc, m, ZTDP_DP_DROP_BAD_MAC);
		return;
	}
	if (!inbound_rules(lc, m, net, p, false, src, dst, ztdp_load_be16(eth + 12), eth + DP_ETH_LEN,
			   len - (uint32_t)(eth + DP_ETH_LEN - d), &super))
		return;
	if (!super) {
		sender = ztdp_mac_from_address(p->address, nwid);
		if (src != sender) {
			/* A bridged source: only an active bridge may send it,
			 * and then we know where that MAC lives. */
			if (!dp_net_has_bridge(net, p->address)) {
				dp_drop(lc, m, ZTDP_DP_DROP_BAD_MAC);
				return;
			}
			dp_bmac_observe(lc, nwid, src, p->address);
		} else if (dst != net->mac) {
			if (ztdp_mac_is_multicast(dst)) {
				if (net->mc_limit == 0) {
					dp_drop(lc, m, ZTDP_DP_DROP_MC_DISABLED);
					return;
				}
			} else if (!net->bridge) {
				dp_drop(lc, m, ZTDP_DP_DROP_BAD_MAC);
				return;
			}
		}
	}
	deliver(lc, m, net, eth);
}

/* MULTICAST_FRAME (6.13): nwid, flags, [COM], [gather limit], [src],
 * group MAC, ADI, ethertype, data. */
static void rx_mc_frame(struct ztdp_dp_lcore *lc, struct rte_mbuf *m,
			const struct dp_peer *p, uint8_t *d, uint32_t len)
{
	uint8_t *pl = d + ZTDP_PKT_IDX_PAYLOAD, *q, *data;
	uint32_t plen = len - ZTDP_PKT_IDX_PAYLOAD;
	const struct dp_net *net;
	uint64_t nwid, src, sender, gmac;
	uint16_t et;
	uint8_t flags;
	bool super;

	if (unlikely(plen < ZTDP_MC_FRAME_IDX_OPTIONAL)) {
		dp_drop(lc, m, ZTDP_DP_DROP_ZT_MALFORMED);
		return;
	}
	nwid = ztdp_load_be64(pl);
	flags = pl[ZTDP_MC_FRAME_IDX_FLAGS];
	/* The implicit gather wants an OK with the subscribers the node
	 * knows (1.14.1 senders always ask); inline COMs and replication
	 * are the node's too. */
	if (flags & (ZTDP_MC_FRAME_FLAG_COM | ZTDP_MC_FRAME_FLAG_GATHER_LIMIT |
		     ZTDP_MC_FRAME_FLAG_REPLICATE)) {
		dp_to_control(lc, m, ZTDP_DP_KIND_PLAIN);
		return;
	}
	q = pl + ZTDP_MC_FRAME_IDX_OPTIONAL;
	sender = ztdp_mac_from_address(p->address, nwid);
	src = sender;
	if (flags & ZTDP_MC_FRAME_FLAG_SOURCE_MAC) {
		if (unlikely(plen < (uint32_t)(q - pl) + 6)) {
			dp_drop(lc, m, ZTDP_DP_DROP_ZT_MALFORMED);
			return;
		}
		src = be48(q);
		q += 6;
	}
	if (unlikely(plen < (uint32_t)(q - pl) + 6 + ZTDP_MC_ADI_LEN + 2)) {
		dp_drop(lc, m, ZTDP_DP_DROP_ZT_MALFORMED);
		return;
	}
	gmac = be48(q);
	et = ztdp_load_be16(q + 6 + ZTDP_MC_ADI_LEN);
	data = q + 6 + ZTDP_MC_ADI_LEN + 2;
	net = inbound_net(lc, m, p, nwid);
	if (net == NULL)
		return;
	if (unlikely(net->mc_limit == 0)) {
		dp_drop(lc, m, ZTDP_DP_DROP_MC_DISABLED);
		return;
	}
	if (unlikely(!ztdp_mac_is_multicast(gmac) || src == 0 || ztdp_mac_is_multicast(src) ||
		     src == net->mac)) {
		dp_drop(lc, m, ZTDP_DP_DROP_BAD_MAC);
		return;
	}
	if (!inbound_rules(lc, m, net, p, true, src, gmac, et, data,
			   len - (uint32_t)(data - d), &super))
		return;
	if (!super && src != sender) {
		if (!dp_net_has_bridge(net, p->address)) {
			dp_drop(lc, m, ZTDP_DP_DROP_BAD_MAC);
			return;
		}
		dp_bmac_observe(lc, nwid, src, p->address);
	}
	/* The header goes right before the data; the fields it overwrites
	 * have been read. */
	st48(data - DP_ETH_LEN, gmac);
	st48(data - DP_ETH_LEN + 6, src);
	ztdp_store_be16(data - 2, et);
	deliver(lc, m, net, data - DP_ETH_LEN);
}

/* An authenticated whole packet from p. */
static void rx_plain(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct dp_peer *p)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = m->data_len;
	unsigned int verb = d[ZTDP_PKT_IDX_VERB] & ZTDP_PKT_VERB_MASK;

	dp_touch_rx(p, lc->now_ms);
	if (verb != ZTDP_VERB_FRAME && verb != ZTDP_VERB_EXT_FRAME &&
	    verb != ZTDP_VERB_MULTICAST_FRAME) {
		dp_to_control(lc, m, ZTDP_DP_KIND_PLAIN);
		return;
	}
	if (d[ZTDP_PKT_IDX_VERB] & ZTDP_PKT_VERB_FLAG_COMPRESSED) {
		struct rte_mbuf *b = dp_big_alloc(lc);
		int r;

		if (b == NULL) {
			rte_pktmbuf_free(m);
			return;
		}
		r = ztdp_packet_decompress(d, len, rte_pktmbuf_mtod(b, uint8_t *),
					   rte_pktmbuf_tailroom(b));
		if (r < 0) {
			rte_pktmbuf_free(b);
			dp_drop(lc, m, ZTDP_DP_DROP_ZT_LZ4);
			return;
		}
		b->data_len = (uint16_t)r;
		b->pkt_len = (uint32_t)r;
		*ztdp_dp_meta(b) = *ztdp_dp_meta(m);
		rte_pktmbuf_free(m);
		m = b;
		d = rte_pktmbuf_mtod(m, uint8_t *);
		len = (uint32_t)r;
		lc->st->decompressed++;
	}
	switch (verb) {
	case ZTDP_VERB_FRAME:
		rx_frame(lc, m, p, d, len);
		break;
	case ZTDP_VERB_EXT_FRAME:
		rx_ext_frame(lc, m, p, d, len);
		break;
	default:
		rx_mc_frame(lc, m, p, d, len);
		break;
	}
}

/* ---- The burst -------------------------------------------------------------------- */

struct decap_vec {
	struct rte_mbuf *m[ZTDP_DP_BURST];
	uint64_t src[ZTDP_DP_BURST];
	bool reassembled[ZTDP_DP_BURST];
	unsigned int n;
};

/* A datagram for another node: a root relays it (relay.c); anyone else
 * drops it. */
static void not_for_us(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, bool fragment)
{
	if (lc->dp->cfg.relay)
		dp_relay(lc, m, fragment);
	else
		dp_drop(lc, m, ZTDP_DP_DROP_ZT_NOT_FOR_US);
}

/* A whole packet (straight from a datagram or reassembled): to the
 * dearmor vector, the control thread, or the floor. */
static void packet_in(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, bool reassembled,
		      struct decap_vec *v)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	unsigned int suite;

	if (unlikely(ztdp_packet_dest(d) != lc->dp->self)) {
		not_for_us(lc, m, false);
		return;
	}
	suite = ztdp_packet_cipher(d);
	if (likely(suite == ZTDP_CIPHER_AES_GMAC_SIV || suite == ZTDP_CIPHER_POLY1305_SALSA2012)) {
		v->m[v->n] = m;
		v->reassembled[v->n] = reassembled;
		v->src[v->n++] = ztdp_packet_source(d);
		return;
	}
	if (suite == ZTDP_CIPHER_POLY1305_NONE) {
		/* HELLO: the node authenticates it with the key of the
		 * identity it carries. */
		dp_to_control(lc, m, reassembled ? ZTDP_DP_KIND_PACKET : ZTDP_DP_KIND_WIRE);
		return;
	}
	dp_drop(lc, m, ZTDP_DP_DROP_ZT_SUITE);
}

static void dearmor_vec(struct ztdp_dp_lcore *lc, struct decap_vec *v)
{
	const struct dp_peer *peers[ZTDP_DP_BURST];
	/* Not lc->ops: delivering may flush, and the flush armors. */
	struct ztdp_crypto_op ops[ZTDP_DP_BURST];
	struct rte_mbuf *om[ZTDP_DP_BURST];
	const struct dp_peer *op_peer[ZTDP_DP_BURST];
	unsigned int k = 0;

	if (v->n == 0)
		return;
	dp_peer_find_bulk(lc->dp, v->src, v->n, peers);
	for (unsigned int i = 0; i < v->n; i++) {
		struct rte_mbuf *m = v->m[i];

		if (unlikely(peers[i] == NULL)) {
			/* Unknown sender: the node looks it up (WHOIS). A
			 * reassembled packet must not be reassembled again. */
			dp_to_control(lc, m, v->reassembled[i] ? ZTDP_DP_KIND_PACKET :
					     ZTDP_DP_KIND_WIRE);
			continue;
		}
		ops[k].pkt = rte_pktmbuf_mtod(m, uint8_t *);
		ops[k].key = &peers[i]->key->pk;
		ops[k].len = m->data_len;
		om[k] = m;
		op_peer[k++] = peers[i];
	}
	ztdp_dearmor_burst(ops, k);
	for (unsigned int i = 0; i < k; i++) {
		if (i + 1 < k)
			rte_prefetch0(ops[i + 1].pkt + ZTDP_PKT_IDX_PAYLOAD);
		if (unlikely(ops[i].status != ZTDP_ARMOR_OK)) {
			dp_drop(lc, om[i], ops[i].status == ZTDP_ARMOR_EAUTH ?
				ZTDP_DP_DROP_ZT_AUTH : ZTDP_DP_DROP_ZT_SUITE);
			continue;
		}
		rx_plain(lc, om[i], op_peer[i]);
	}
	v->n = 0;
}

void dp_decap_burst(struct ztdp_dp_lcore *lc, struct rte_mbuf **pkts, uint16_t n)
{
	struct decap_vec v;

	v.n = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct dp_ul_info ui;
		enum ztdp_dp_drop why;
		const uint8_t *d;
		uint32_t len;
		int r;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (unlikely(m->nb_segs != 1)) {
			m = dp_linearize(lc, m);
			if (m == NULL)
				continue;
		}
		/* The sender is written straight into the metadata. */
		ui.from = &ztdp_dp_meta(m)->from;
		r = dp_ul_classify(lc->dp, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
				   &ui, &why);
		if (unlikely(r <= 0)) {
			if (r == 0)
				dp_to_control(lc, m, ZTDP_DP_KIND_UL_RAW);
			else
				dp_drop(lc, m, why);
			continue;
		}
		/* Keep just the UDP payload (Ethernet padding goes too). */
		rte_pktmbuf_adj(m, ui.off);
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - ui.len));
		d = rte_pktmbuf_mtod(m, const uint8_t *);
		len = ui.len;
		if (len > ZTDP_FRAG_HEADER_LEN && d[ZTDP_FRAG_IDX_INDICATOR] == ZTDP_FRAG_INDICATOR) {
			/* Fragments name their destination too: keep only ours. */
			if (unlikely(ztdp_load_be40(d + ZTDP_FRAG_IDX_DEST) != lc->dp->self)) {
				not_for_us(lc, m, true);
				continue;
			}
			m = reasm_offer(lc, m, false);
			if (m != NULL)
				packet_in(lc, m, true, &v);
		} else if (likely(len >= ZTDP_PKT_MIN_LEN)) {
			if (ztdp_packet_is_fragmented(d)) {
				/* Not ours: no need to keep its pieces. */
				if (unlikely(ztdp_packet_dest(d) != lc->dp->self)) {
					not_for_us(lc, m, false);
					continue;
				}
				m = reasm_offer(lc, m, true);
				if (m != NULL)
					packet_in(lc, m, true, &v);
			} else {
				packet_in(lc, m, false, &v);
			}
		} else if (len == ZTDP_BEACON_LEN) {
			dp_drop(lc, m, ZTDP_DP_DROP_ZT_BEACON);
		} else if (len == ZTDP_JUNK_LEN) {
			dp_drop(lc, m, ZTDP_DP_DROP_ZT_JUNK);
		} else {
			dp_drop(lc, m, ZTDP_DP_DROP_ZT_SHORT);
		}
	}
	dearmor_vec(lc, &v);
}
