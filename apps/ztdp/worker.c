/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data lcore. Each turn: take a burst from the port, sort it into
 * vectors by kind (ZeroTier UDP for us, ARP/ND/ping, drops), hand the first
 * two to the control thread over its ring, free the drops under their
 * reason; then drain what the control thread queued for sending onto the
 * port.
 *
 * When there is nothing to do it backs off (rte_pause, then sleeps growing
 * to idle_sleep_max_us) so that a small box with two cores is not eaten by
 * an idle poller; --busy-poll turns that off for lowest latency.
 */
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "ztdp_app.h"

struct ztdp_lcore_stats ztdp_lcore_stats[RTE_MAX_LCORE];

/* Empty polls spun with rte_pause before the first sleep. */
#define IDLE_SPINS		256
/* TX retries of a partial burst before the rest is dropped. */
#define TX_RETRIES		4

/* One burst sorted by kind, as ipsec-secgw's prepare_traffic does. */
struct burst_vectors {
	struct rte_mbuf *control[ZTDP_BURST];
	struct rte_mbuf *zerotier[ZTDP_BURST];
	struct rte_mbuf *drop[ZTDP_BURST];
	uint16_t n_control, n_zerotier, n_drop;
};

static void sort_burst(const struct ztdp_underlay *ul, struct rte_mbuf **pkts,
		       uint16_t n, struct burst_vectors *v,
		       struct ztdp_lcore_stats *st)
{
	v->n_control = v->n_zerotier = v->n_drop = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct ztdp_ul_parsed p;
		enum ztdp_drop_reason why;
		enum ztdp_ul_kind kind;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		st->rx_bytes += m->pkt_len;
		if (unlikely(m->nb_segs != 1)) {
			st->drops[ZTDP_DROP_ETH_SEGMENTED]++;
			v->drop[v->n_drop++] = m;
			continue;
		}
		kind = ztdp_underlay_classify(ul, rte_pktmbuf_mtod(m, const uint8_t *),
					      m->data_len, &p, &why);
		if (kind == ZTDP_UL_DROP) {
			st->drops[why]++;
			v->drop[v->n_drop++] = m;
			continue;
		}
		/* Cut Ethernet padding and anything past the datagram, so the
		 * control thread reads lengths off the mbuf. */
		m->l2_len = ZTDP_ETH_HDR_LEN;
		m->l3_len = p.l3_len;
		if (kind == ZTDP_UL_ZEROTIER) {
			rte_pktmbuf_trim(m, (uint16_t)(m->data_len - p.payload_off -
						       p.payload_len));
			m->packet_type = ZTDP_PTYPE_ZEROTIER;
			v->zerotier[v->n_zerotier++] = m;
		} else {
			rte_pktmbuf_trim(m, (uint16_t)(m->data_len - p.frame_len));
			m->packet_type = ZTDP_PTYPE_CONTROL;
			v->control[v->n_control++] = m;
		}
	}
}

static void hand_to_control(struct rte_ring *r, struct rte_mbuf **m, uint16_t n,
			    struct ztdp_lcore_stats *st)
{
	unsigned int sent;

	if (n == 0)
		return;
	sent = rte_ring_enqueue_burst(r, (void **)m, n, NULL);
	st->to_control += sent;
	if (unlikely(sent < n)) {
		st->drops[ZTDP_DROP_RX_RING_FULL] += n - sent;
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	}
}

static uint16_t drain_tx(const struct ztdp_worker_conf *c,
			 struct ztdp_lcore_stats *st)
{
	struct rte_mbuf *pkts[ZTDP_BURST];
	unsigned int n = rte_ring_dequeue_burst(c->from_control, (void **)pkts,
						ZTDP_BURST, NULL);
	uint16_t sent = 0;
	uint64_t bytes = 0;

	if (n == 0)
		return 0;
	/* Counted before the PMD owns (and may free) them. */
	for (unsigned int i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	for (int tries = 0; sent < n && tries < TX_RETRIES; tries++)
		sent += rte_eth_tx_burst(c->port_id, 0, pkts + sent,
					 (uint16_t)(n - sent));
	for (unsigned int i = sent; i < n; i++)
		bytes -= pkts[i]->pkt_len;
	st->tx_packets += sent;
	st->tx_bytes += bytes;
	if (unlikely(sent < n)) {
		st->drops[ZTDP_DROP_TX_FAILED] += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
	return (uint16_t)n;
}

int ztdp_worker_main(void *arg)
{
	const struct ztdp_worker_conf *c = arg;
	struct ztdp_lcore_stats *st = &ztdp_lcore_stats[rte_lcore_id()];
	struct rte_mbuf *pkts[ZTDP_BURST];
	struct burst_vectors v;
	unsigned int idle = 0, sleep_us = 0;

	ztdp_log(6, "worker on lcore %u polling port %u (%s)", rte_lcore_id(),
		 c->port_id, c->idle_backoff ? "idle back-off" : "busy poll");
	while (!__atomic_load_n(c->quit, __ATOMIC_RELAXED)) {
		uint16_t n = rte_eth_rx_burst(c->port_id, 0, pkts, ZTDP_BURST);
		uint16_t t;

		st->polls++;
		if (n > 0) {
			st->rx_packets += n;
			sort_burst(c->ul, pkts, n, &v, st);
			/* ARP/ND first: a resolution unblocks parked sends. */
			hand_to_control(c->to_control, v.control, v.n_control, st);
			hand_to_control(c->to_control, v.zerotier, v.n_zerotier, st);
			if (v.n_drop > 0)
				rte_pktmbuf_free_bulk(v.drop, v.n_drop);
		}
		t = drain_tx(c, st);
		if (n > 0 || t > 0 || !c->idle_backoff) {
			idle = 0;
			sleep_us = 0;
			continue;
		}
		st->idle_polls++;
		if (++idle < IDLE_SPINS) {
			rte_pause();
			continue;
		}
		/* Doubling sleeps: the first packet after a quiet spell
		 * waits at most idle_sleep_max_us. */
		sleep_us = sleep_us == 0 ? 1 : RTE_MIN(sleep_us * 2, c->idle_sleep_max_us);
		st->sleeps++;
		usleep(sleep_us);
	}
	ztdp_log(6, "worker on lcore %u stopped", rte_lcore_id());
	return 0;
}
