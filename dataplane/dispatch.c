/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software dispatch, for ports with fewer RX queues than lcores (no RSS,
 * as on most vdevs): lcore 0 reads the one queue and hands each packet to
 * the lcore its flow hashes to, over a single-producer ring per lcore.
 * One flow always lands on one lcore, so its order is kept.
 *
 * Underlay: the flow is the sender's IP and UDP port. That is also what
 * keeps a packet's fragments together: fragments do not carry the
 * sender's ZeroTier address, and the fragment number must not be part of
 * the hash, but every piece of a packet comes from the same address and
 * port. (A per-peer flow is coarse, but the inner flows are encrypted.)
 *
 * L2: the flow is the MAC pair plus, for IPv4 and IPv6, the addresses and
 * the TCP/UDP/SCTP ports (not for IP fragments, whose later pieces have
 * no ports).
 */
#include <string.h>

#include <rte_hash_crc.h>

#include "dp_internal.h"
#include "ztdp_buf.h"


/* Unaligned native loads (UBSan-clean). */
static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* CRC over n bytes (a multiple of 4) at any alignment; rte_hash_crc
 * itself loads 8 bytes at a time from wherever the data is. */
static inline uint32_t crc_words(const uint8_t *p, size_t n, uint32_t h)
{
	for (size_t i = 0; i < n; i += 4)
		h = rte_hash_crc_4byte(ld32(p + i), h);
	return h;
}

/* Which of n lcores a 32-bit hash picks, without a division. */
static inline unsigned int pick(uint32_t h, unsigned int n)
{
	return (unsigned int)(((uint64_t)h * n) >> 32);
}

static uint32_t ul_flow_hash(const struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len;

	if (len < DP_ETH_LEN + 20)
		return 0;
	if (ztdp_load_be16(f + 12) == DP_ET_IPV4) {
		const uint8_t *ip = f + DP_ETH_LEN;
		uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;
		uint32_t h = rte_hash_crc_4byte(ld32(ip + 12), 0);

		if (len >= DP_ETH_LEN + ihl + 2)
			h = rte_hash_crc_2byte(ld16(ip + ihl), h);
		return h;
	}
	if (ztdp_load_be16(f + 12) == DP_ET_IPV6 && len >= DP_ETH_LEN + 40 + 2)
		return crc_words(f + DP_ETH_LEN + 8, 16,
				 rte_hash_crc_2byte(ld16(f + DP_ETH_LEN + 40), 0));
	return 0;	/* ARP, ND ...: lcore 0 */
}

static bool has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

static uint32_t l2_flow_hash(const struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len;
	uint32_t h;

	if (len < DP_ETH_LEN)
		return 0;
	h = crc_words(f, 12, 0);
	if (ztdp_load_be16(f + 12) == DP_ET_IPV4 && len >= DP_ETH_LEN + 20) {
		const uint8_t *ip = f + DP_ETH_LEN;
		uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;

		h = crc_words(ip + 12, 8, h);
		if (has_ports(ip[9]) && !(ztdp_load_be16(ip + 6) & 0x3fff) &&
		    len >= DP_ETH_LEN + ihl + 4)
			h = rte_hash_crc_4byte(ld32(ip + ihl), h);
	} else if (ztdp_load_be16(f + 12) == DP_ET_IPV6 && len >= DP_ETH_LEN + 40) {
		const uint8_t *ip = f + DP_ETH_LEN;

		h = crc_words(ip + 8, 32, h);
		if (has_ports(ip[6]) && len >= DP_ETH_LEN + 44)
			h = rte_hash_crc_4byte(ld32(ip + 40), h);
	}
	return h;
}

static uint16_t dispatch(struct ztdp_dp_lcore *lc, struct rte_ring **rings,
			 struct rte_mbuf **pkts, uint16_t n,
			 uint32_t (*hash)(const struct rte_mbuf *))
{
	struct rte_mbuf *to[ZTDP_DP_MAX_LCORES][ZTDP_DP_BURST];
	unsigned int cnt[ZTDP_DP_MAX_LCORES] = { 0 };
	unsigned int nl = lc->dp->lcores;
	uint16_t keep = 0;

	for (uint16_t i = 0; i < n; i++) {
		unsigned int t = pick(hash(pkts[i]), nl);

		if (t == 0)
			pkts[keep++] = pkts[i];
		else
			to[t][cnt[t]++] = pkts[i];
	}
	for (unsigned int t = 1; t < nl; t++) {
		unsigned int sent;

		if (cnt[t] == 0)
			continue;
		sent = rte_ring_sp_enqueue_burst(rings[t], (void **)to[t], cnt[t], NULL);
		lc->st->dispatched += sent;
		if (unlikely(sent < cnt[t])) {
			lc->st->drops[ZTDP_DP_DROP_DISPATCH_RING_FULL] += cnt[t] - sent;
			rte_pktmbuf_free_bulk(to[t] + sent, cnt[t] - sent);
		}
	}
	return keep;
}

uint16_t dp_dispatch_ul(struct ztdp_dp_lcore *lc, struct rte_mbuf **pkts, uint16_t n)
{
	return dispatch(lc, lc->dp->ul_disp, pkts, n, ul_flow_hash);
}

uint16_t dp_dispatch_l2(struct ztdp_dp_lcore *lc, unsigned int l2, struct rte_mbuf **pkts,
			uint16_t n)
{
	return dispatch(lc, lc->dp->l2_disp[l2], pkts, n, l2_flow_hash);
}
