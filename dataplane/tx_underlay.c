/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The underlay side of encap: armor a vector of packets in one
 * ztdp_armor_burst call, cut the ones longer than their path's MTU into a
 * head and fragments (section 5.2; the fragmented flag was set before
 * armor, as it is authenticated), and put Ethernet + IPv4/IPv6 + UDP in
 * front of every datagram.
 *
 * Headers come from a template built once per peer path (tables.c calls
 * dp_path_build when the control thread publishes the peer): per
 * datagram only the lengths, the IPv4 ID and the checksums change, and
 * the checksums start from partial sums kept with the template.
 *
 * UDP checksums. IPv4: 0, "no checksum" (RFC 768), unless the
 * configuration asks for one. ZeroTierOne receives through the kernel's
 * UDP sockets, which accept a zero checksum over IPv4, and the packet's
 * own MAC protects every byte far better than a 16-bit sum; summing 1400
 * bytes in software is about a third of the cost of armoring them. IPv6:
 * mandatory (RFC 8200 8.1); offloaded when the port can, else computed
 * over 64-bit words.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dp_internal.h"
#include "ztdp_buf.h"
#include "ztdp_packet.h"

#define PROTO_UDP	17
#define DEFAULT_TTL	64

/* ---- Checksums (sums: proto/ztdp_csum.h) ------------------------------- */

static inline uint32_t add32(uint32_t a, uint32_t b)
{
	uint64_t s = (uint64_t)a + b;

	return (uint32_t)((s & 0xffffffff) + (s >> 32));
}

/* A big-endian 16-bit value as the native loads above would see it. */
static inline uint32_t wire16(uint16_t v)
{
	return rte_cpu_to_be_16(v);
}

static inline void store_csum(uint8_t *field, uint32_t sum, bool udp)
{
	uint16_t c = (uint16_t)~ztdp_csum_fold(sum);

	/* UDP sends 0 as all ones: 0 means "no checksum". */
	if (udp && c == 0)
		c = 0xffff;
	memcpy(field, &c, 2);
}

/* ---- Path templates --------------------------------------------------------- */

static bool is_link_local6(const uint8_t *ip)
{
	return ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80;
}

int dp_path_build(const struct ztdp_dp *dp, struct dp_path *path,
		  const struct ztdp_dp_peer_conf *pc)
{
	const struct ztdp_dp_underlay *ul = &dp->cfg.ul;
	uint8_t *h = path->hdr, *ip = h + DP_ETH_LEN, *udp;
	uint8_t ph[40];

	memset(path, 0, sizeof(*path));
	path->mtu = pc->mtu != 0 ? pc->mtu : DP_DEFAULT_PHYSMTU;
	path->to.family = pc->to.family;
	path->to.port = pc->to.port;
	memcpy(path->to.ip, pc->to.ip, pc->to.family == 4 ? 4 : 16);
	memcpy(h, pc->next_hop_mac, 6);
	memcpy(h + 6, ul->mac, 6);
	if (pc->to.family == 4) {
		if (!ul->has_ip4)
			return -1;
		path->family = 4;
		path->hdr_len = DP_UDP4_HDR;
		ztdp_store_be16(h + 12, DP_ET_IPV4);
		ip[0] = 0x45;
		ip[1] = 0;
		/* Total length and ID per datagram. No DF: like ZeroTierOne,
		 * let a narrow path fragment rather than black-hole. */
		ip[8] = DEFAULT_TTL;
		ip[9] = PROTO_UDP;
		memcpy(ip + 12, ul->ip4, 4);
		memcpy(ip + 16, pc->to.ip, 4);
		path->ip4_sum = ztdp_csum_partial(ip, 20, 0);
		udp = ip + 20;
		memset(ph, 0, 12);
		memcpy(ph, ul->ip4, 4);
		memcpy(ph + 4, pc->to.ip, 4);
		ph[9] = PROTO_UDP;
		path->phdr_sum = ztdp_csum_partial(ph, 12, 0);
	} else if (pc->to.family == 6) {
		const uint8_t *src = is_link_local6(pc->to.ip) ? ul->ll6 :
				     ul->has_ip6 ? ul->ip6 : NULL;

		if (src == NULL)
			return -1;
		path->family = 6;
		path->hdr_len = DP_UDP6_HDR;
		ztdp_store_be16(h + 12, DP_ET_IPV6);
		ip[0] = 0x60;
		ip[6] = PROTO_UDP;
		ip[7] = DEFAULT_TTL;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, pc->to.ip, 16);
		udp = ip + 40;
		memset(ph, 0, 40);
		memcpy(ph, src, 16);
		memcpy(ph + 16, pc->to.ip, 16);
		ph[39] = PROTO_UDP;
		path->phdr_sum = ztdp_csum_partial(ph, 40, 0);
	} else {
		return -1;
	}
	ztdp_store_be16(udp, ul->udp_port);
	ztdp_store_be16(udp + 2, pc->to.port);
	path->udp_sum = ztdp_csum_partial(udp, 4, path->phdr_sum);
	return 0;
}

int dp_path_prepend(struct rte_mbuf *m, const struct dp_path *path, uint16_t ip_id,
		    bool ip4_udp_cksum, bool offload)
{
	uint32_t plen = m->pkt_len;
	uint16_t ulen = (uint16_t)(plen + 8);
	uint8_t *h, *ip, *udp;

	h = (uint8_t *)rte_pktmbuf_prepend(m, path->hdr_len);
	if (unlikely(h == NULL))
		return -1;
	ip = h + DP_ETH_LEN;
	if (path->family == 4) {
		uint16_t tot = (uint16_t)(ulen + 20);

		memcpy(h, path->hdr, DP_UDP4_HDR);
		ztdp_store_be16(ip + 2, tot);
		ztdp_store_be16(ip + 4, ip_id);
		store_csum(ip + 10, add32(path->ip4_sum, wire16(tot) + wire16(ip_id)), false);
		udp = ip + 20;
		ztdp_store_be16(udp + 4, ulen);
		if (ip4_udp_cksum)
			store_csum(udp + 6, add32(path->udp_sum,
						  ztdp_csum_partial(udp + 8, plen, 2 * wire16(ulen))),
				   true);
		return 0;
	}
	memcpy(h, path->hdr, DP_UDP6_HDR);
	ztdp_store_be16(ip + 4, ulen);
	udp = ip + 40;
	ztdp_store_be16(udp + 4, ulen);
	if (offload) {
		/* The port finishes it from the pseudo-header sum. */
		uint16_t ph = ztdp_csum_fold(add32(path->phdr_sum, wire16(ulen)));

		memcpy(udp + 6, &ph, 2);
		m->ol_flags |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
		m->l2_len = DP_ETH_LEN;
		m->l3_len = 40;
		return 0;
	}
	store_csum(udp + 6, add32(path->udp_sum, ztdp_csum_partial(udp + 8, plen, 2 * wire16(ulen))),
		   true);
	return 0;
}

/* ---- Armor, fragment, send ----------------------------------------------------- */

void dp_out_add(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct dp_peer *p)
{
	lc->out[lc->n_out].m = m;
	lc->out[lc->n_out++].p = p;
	if (unlikely(lc->n_out == DP_OUT_MAX))
		dp_out_run(lc);
}

static bool prepend(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct dp_path *path)
{
	const struct ztdp_dp_underlay *ul = &lc->dp->cfg.ul;

	if (unlikely(dp_path_prepend(m, path, lc->ip_id++, ul->ip4_udp_cksum,
				     ul->tx_udp_cksum_offload) < 0)) {
		dp_drop(lc, m, ZTDP_DP_DROP_NO_MBUF);
		return false;
	}
	return true;
}

void dp_send_armored(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct dp_peer *p)
{
	if (prepend(lc, m, &p->path))
		dp_ul_out(lc, m);
}

/* An armored packet longer than its path's MTU: the head stays in m,
 * fragments 1..cnt-1 get their own mbufs (section 5.2). */
static void send_fragmented(struct ztdp_dp_lcore *lc, struct rte_mbuf *m,
			    const struct dp_peer *p, unsigned int cnt)
{
	struct rte_mbuf *frags[ZTDP_MAX_FRAGMENTS];
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t len = m->data_len, mtu = p->path.mtu;
	unsigned int nf = 0;

	for (unsigned int f = 1; f < cnt; f++) {
		struct rte_mbuf *fm = rte_pktmbuf_alloc(lc->dp->pool);
		size_t off, n;
		uint8_t *b;

		if (unlikely(fm == NULL))
			goto nomem;
		frags[nf++] = fm;
		(void)ztdp_fragment_slice(len, mtu, f, &off, &n);
		b = (uint8_t *)rte_pktmbuf_append(fm, (uint16_t)(ZTDP_FRAG_HEADER_LEN + n));
		if (unlikely(b == NULL))
			goto nomem;
		ztdp_fragment_header_write(b, d, f, cnt);
		memcpy(b + ZTDP_FRAG_HEADER_LEN, d + off, n);
	}
	rte_pktmbuf_trim(m, (uint16_t)(len - mtu));
	if (prepend(lc, m, &p->path))
		dp_ul_out(lc, m);
	for (unsigned int i = 0; i < nf; i++)
		if (prepend(lc, frags[i], &p->path))
			dp_ul_out(lc, frags[i]);
	lc->st->fragments_tx += nf;
	return;
nomem:
	/* A packet missing a piece is useless: none of it goes. */
	rte_pktmbuf_free_bulk(frags, nf);
	dp_drop(lc, m, ZTDP_DP_DROP_NO_MBUF);
}

void dp_out_run(struct ztdp_dp_lcore *lc)
{
	struct ztdp_crypto_op *ops = lc->ops;
	uint8_t cnt[DP_OUT_MAX];
	uint16_t idx[DP_OUT_MAX];
	unsigned int k = 0, n = lc->n_out;

	/* Nothing below queues more outputs. */
	lc->n_out = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = lc->out[i].m;
		const struct dp_peer *p = lc->out[i].p;
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
		int c = ztdp_packet_prepare_fragments(d, m->data_len, p->path.mtu);

		if (unlikely(c < 0)) {
			dp_drop(lc, m, ZTDP_DP_DROP_TOO_BIG);
			continue;
		}
		cnt[i] = (uint8_t)c;
		ops[k].pkt = d;
		ops[k].key = &p->key->pk;
		ops[k].len = m->data_len;
		ops[k].suite = p->suite;
		idx[k++] = (uint16_t)i;
	}
	ztdp_armor_burst(ops, k);
	for (unsigned int j = 0; j < k; j++) {
		unsigned int i = idx[j];
		struct rte_mbuf *m = lc->out[i].m;
		const struct dp_peer *p = lc->out[i].p;

		if (unlikely(ops[j].status != ZTDP_ARMOR_OK)) {
			dp_drop(lc, m, ZTDP_DP_DROP_ZT_SUITE);
			continue;
		}
		lc->st->encap++;
		dp_touch_tx(p, lc->now_ms);
		if (likely(cnt[i] == 1)) {
			if (prepend(lc, m, &p->path))
				dp_ul_out(lc, m);
		} else {
			send_fragmented(lc, m, p, cnt[i]);
		}
	}
}
