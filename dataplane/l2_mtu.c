/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames from the network larger than their L2 port takes: the port's MTU
 * is below the network's when the device refuses the network's (DPDK
 * 22.11's net_tap stops at 1500, ZeroTier networks default to 2800). What
 * an IP router with a smaller egress MTU does:
 *
 *   IPv4 without DF   fragmented to the port's MTU (RFC 791), the pieces
 *                     put together by the host behind the port;
 *   IPv4 with DF      dropped, and an ICMP "fragmentation needed" with the
 *                     port's MTU (RFC 1191) goes back to the sender;
 *   IPv6              dropped, and an ICMPv6 "packet too big" (RFC 8201)
 *                     goes back;
 *   anything else     dropped.
 *
 * The ICMP messages come from the destination the packet was for, to its
 * source, as a frame from the L2 side: the node sends them on (they are
 * rare, once per path MTU, so the slow path is fine), and the sender lowers
 * its path MTU to that host.
 */
#include <rte_mbuf.h>

#include "dp_internal.h"
#include "ztdp_buf.h"
#include "ztdp_csum.h"
#include "ztdp_wire.h"

#define IP4_DF		0x4000
#define IP4_MF		0x2000
#define IP4_OFF_MASK	0x1fff
#define IPV6_MIN_MTU	1280

/* Store a checksum summed over wire-order bytes (ztdp_csum.h). */
static inline void put_csum(uint8_t *field, uint32_t sum)
{
	uint16_t c = (uint16_t)~ztdp_csum_fold(sum);

	memcpy(field, &c, 2);
}

static void set_ip4_csum(uint8_t *ip, unsigned int ihl)
{
	ip[10] = ip[11] = 0;
	put_csum(ip + 10, ztdp_csum_partial(ip, ihl, 0));
}

/* Fragment the IPv4 packet in frame f (its total length checked against
 * the frame) into pieces of at most mtu bytes of IP. false when out of
 * mbufs (nothing sent). */
static bool fragment_ip4(struct ztdp_dp_lcore *lc, const uint8_t *f, uint32_t mtu,
			 uint16_t port)
{
	const uint8_t *ip = f + DP_ETH_LEN;
	unsigned int ihl = (ip[0] & 0x0f) * 4u;
	uint32_t data_len = ztdp_load_be16(ip + 2) - ihl, step = (mtu - ihl) & ~7u, off = 0;
	uint16_t frag = ztdp_load_be16(ip + 6), base = frag & IP4_OFF_MASK;
	struct rte_mbuf *out[ZTDP_VIRTUAL_MTU_MAX / 576 + 2];
	unsigned int n = 0;

	while (off < data_len) {
		uint32_t piece = RTE_MIN(step, data_len - off);
		struct rte_mbuf *m = rte_pktmbuf_alloc(lc->dp->pool);
		uint8_t *b, *h;
		bool more = off + piece < data_len || (frag & IP4_MF);

		if (unlikely(m == NULL || n == RTE_DIM(out)))
			goto fail;
		out[n++] = m;
		b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(DP_ETH_LEN + ihl + piece));
		if (unlikely(b == NULL))
			goto fail;
		memcpy(b, f, DP_ETH_LEN + ihl);
		memcpy(b + DP_ETH_LEN + ihl, ip + ihl + off, piece);
		h = b + DP_ETH_LEN;
		ztdp_store_be16(h + 2, (uint16_t)(ihl + piece));
		ztdp_store_be16(h + 6, (uint16_t)((frag & ~(IP4_MF | IP4_OFF_MASK)) | (more ? IP4_MF : 0) |
				       (base + off / 8)));
		set_ip4_csum(h, ihl);
		off += piece;
	}
	for (unsigned int i = 0; i < n; i++)
		dp_l2_out(lc, out[i], port);
	lc->st->l2_fragments += n;
	return true;
fail:
	rte_pktmbuf_free_bulk(out, n);
	return false;
}

/* The ICMP(v6) error for frame f back towards its sender, handed to the
 * node as a frame from L2 port `port`. */
static void send_too_big(struct ztdp_dp_lcore *lc, const uint8_t *f, uint32_t len, bool v6,
			 uint32_t mtu, uint16_t port)
{
	const uint8_t *ip = f + DP_ETH_LEN;
	/* What of the original goes back: IPv4's header and 8 bytes; for
	 * IPv6 as much as keeps the message within the minimum MTU. */
	uint32_t quote = v6 ? RTE_MIN(len - DP_ETH_LEN, (uint32_t)IPV6_MIN_MTU - 40 - 8)
			    : RTE_MIN(len - DP_ETH_LEN, (ip[0] & 0x0f) * 4u + 8);
	uint32_t l3 = (v6 ? 40u : 20u) + 8 + quote;
	struct rte_mbuf *m = rte_pktmbuf_alloc(lc->dp->pool);
	uint8_t *b, *h, *icmp;
	uint32_t sum;

	if (unlikely(m == NULL)) {
		lc->st->drops[ZTDP_DP_DROP_NO_MBUF]++;
		return;
	}
	b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(DP_ETH_LEN + l3));
	if (unlikely(b == NULL)) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(b, 0, DP_ETH_LEN + l3);
	memcpy(b, f + 6, 6);			/* to the sender's MAC */
	memcpy(b + 6, f, 6);			/* from the host's */
	ztdp_store_be16(b + 12, v6 ? DP_ET_IPV6 : DP_ET_IPV4);
	h = b + DP_ETH_LEN;
	if (v6) {
		h[0] = 0x60;
		ztdp_store_be16(h + 4, (uint16_t)(8 + quote));
		h[6] = 58;			/* ICMPv6 */
		h[7] = 64;
		memcpy(h + 8, ip + 24, 16);	/* from the destination */
		memcpy(h + 24, ip + 8, 16);	/* to the source */
		icmp = h + 40;
		icmp[0] = 2;			/* packet too big */
		icmp[4] = (uint8_t)(mtu >> 24);
		icmp[5] = (uint8_t)(mtu >> 16);
		icmp[6] = (uint8_t)(mtu >> 8);
		icmp[7] = (uint8_t)mtu;
		memcpy(icmp + 8, ip, quote);
		{
			/* Pseudo-header: addresses, length, next header. */
			uint8_t ph[40] = { 0 };

			memcpy(ph, h + 8, 32);
			ph[34] = (uint8_t)((8 + quote) >> 8);
			ph[35] = (uint8_t)(8 + quote);
			ph[39] = 58;
			sum = ztdp_csum_partial(ph, sizeof(ph), 0);
		}
		sum = ztdp_csum_partial(icmp, 8 + quote, sum);
	} else {
		h[0] = 0x45;
		ztdp_store_be16(h + 2, (uint16_t)l3);
		h[8] = 64;
		h[9] = 1;			/* ICMP */
		memcpy(h + 12, ip + 16, 4);	/* from the destination */
		memcpy(h + 16, ip + 12, 4);	/* to the source */
		set_ip4_csum(h, 20);
		icmp = h + 20;
		icmp[0] = 3;			/* destination unreachable */
		icmp[1] = 4;			/* fragmentation needed */
		ztdp_store_be16(icmp + 6, (uint16_t)mtu);
		memcpy(icmp + 8, ip, quote);
		sum = ztdp_csum_partial(icmp, 8 + quote, 0);
	}
	put_csum(icmp + 2, sum);		/* the field was 0 when summed */
	m->port = port;
	lc->st->l2_too_big_sent++;
	dp_to_control(lc, m, ZTDP_DP_KIND_L2);
}

void dp_l2_out_oversize(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct dp_net *net)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len, mtu = net->l2_mtu;
	uint16_t et = len >= DP_ETH_LEN ? ztdp_load_be16(f + 12) : 0;

	if (et == DP_ET_IPV4 && len >= DP_ETH_LEN + 20 && (f[DP_ETH_LEN] >> 4) == 4 &&
	    (f[DP_ETH_LEN] & 0x0f) >= 5 && ztdp_load_be16(f + DP_ETH_LEN + 2) <= len - DP_ETH_LEN &&
	    ztdp_load_be16(f + DP_ETH_LEN + 2) > (f[DP_ETH_LEN] & 0x0f) * 4u && mtu >= 68) {
		if (!(ztdp_load_be16(f + DP_ETH_LEN + 6) & IP4_DF)) {
			if (fragment_ip4(lc, f, mtu, net->l2_port))
				rte_pktmbuf_free(m);
			else
				dp_drop(lc, m, ZTDP_DP_DROP_NO_MBUF);
			return;
		}
		send_too_big(lc, f, len, false, mtu, net->l2_port);
	} else if (et == DP_ET_IPV6 && len >= DP_ETH_LEN + 40 && (f[DP_ETH_LEN] >> 4) == 6 &&
		   mtu >= IPV6_MIN_MTU) {
		send_too_big(lc, f, len, true, mtu, net->l2_port);
	}
	dp_drop(lc, m, ZTDP_DP_DROP_L2_PORT_MTU);
}
