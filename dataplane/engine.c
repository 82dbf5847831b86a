/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding engines, as testpmd's struct fwd_engine: each says what a
 * turn does with a burst from the underlay and with a burst from an L2
 * port. "both" is the appliance; the others exist so that ztdp-bench can
 * measure each direction, plain forwarding and crypto alone with the same
 * ports, queues and loop:
 *
 *   io      bursts forwarded unchanged (L2 <-> underlay)
 *   crypto  armor (L2 -> underlay, with the crypto peer's key) or dearmor
 *           (underlay -> L2, with the sender's key) in place, nothing
 *           else; fragmented traffic is dropped (it needs reassembly)
 *   encap   L2 -> underlay only
 *   decap   underlay -> L2 only
 *   both    both directions and the control thread's transmissions
 *
 * The lcore loop: a turn reads each polled queue once, hands bursts to
 * the engine, sends what the turn queued, and reports a quiescent state to
 * RCU. With idle back-off, empty turns spin with rte_pause for a while and
 * then sleep, doubling up to idle_sleep_max_us; the lcore is RCU-offline
 * while it sleeps so that table writers never wait for it.
 */
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "dp_internal.h"
#include "ztdp_packet.h"

/* Empty turns spun before the first sleep. */
#define IDLE_SPINS		256

/* ---- io --------------------------------------------------------------------- */

static void io_ul(struct ztdp_dp_lcore *lc, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t port = lc->l2[lc->dp->cfg.io_l2].port_id;

	for (uint16_t i = 0; i < n; i++)
		dp_l2_out(lc, pkts[i], port);
}

static void io_l2(struct ztdp_dp_lcore *lc, unsigned int l2, struct rte_mbuf **pkts,
		  uint16_t n)
{
	(void)l2;
	for (uint16_t i = 0; i < n; i++)
		dp_ul_out(lc, pkts[i]);
}

/* ---- crypto ------------------------------------------------------------------ */

/* The frame's bytes, taken as a ZeroTier packet for the crypto peer. */
static void crypto_l2(struct ztdp_dp_lcore *lc, unsigned int l2, struct rte_mbuf **pkts,
		      uint16_t n)
{
	const struct dp_peer *p = dp_peer_find(lc->dp, lc->dp->cfg.crypto_peer);
	struct ztdp_crypto_op *ops = lc->ops;
	struct rte_mbuf *ok[ZTDP_DP_BURST];
	unsigned int k = 0;

	(void)l2;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

		if (unlikely(p == NULL || m->nb_segs != 1 || m->data_len < ZTDP_PKT_MIN_LEN)) {
			dp_drop(lc, m, ZTDP_DP_DROP_L2_RUNT);
			continue;
		}
		ztdp_store_be40(d + ZTDP_PKT_IDX_DEST, p->address);
		ztdp_store_be40(d + ZTDP_PKT_IDX_SOURCE, lc->dp->self);
		d[ZTDP_PKT_IDX_FLAGS] = 0;
		d[ZTDP_PKT_IDX_VERB] = ZTDP_VERB_FRAME;
		ops[k].pkt = d;
		ops[k].key = &p->key->pk;
		ops[k].len = m->data_len;
		ops[k].suite = p->suite;
		ok[k++] = m;
	}
	ztdp_armor_burst(ops, k);
	for (unsigned int i = 0; i < k; i++)
		dp_ul_out(lc, ok[i]);
}

/* Whole packets dearmored in place with their sender's key (one lookup
 * per sender and burst). Heads and fragments cannot be, without
 * reassembly: they are dropped, so this engine measures unfragmented
 * traffic only. */
static void crypto_ul(struct ztdp_dp_lcore *lc, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t port = lc->l2[lc->dp->cfg.io_l2].port_id;
	struct ztdp_crypto_op *ops = lc->ops;
	struct rte_mbuf *cand[ZTDP_DP_BURST], *ok[ZTDP_DP_BURST];
	uint32_t off[ZTDP_DP_BURST];
	uint64_t src[ZTDP_DP_BURST];
	const struct dp_peer *peers[ZTDP_DP_BURST];
	unsigned int nc = 0, k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		/* No parsing beyond where the UDP payload must be. */
		uint32_t o = DP_ETH_LEN + (f[12] == 0x86 ? 40 : 20) + 8;

		if (unlikely(m->nb_segs != 1 || m->data_len < o + ZTDP_PKT_MIN_LEN ||
			     ztdp_packet_is_fragmented(f + o) ||
			     f[o + ZTDP_FRAG_IDX_INDICATOR] == ZTDP_FRAG_INDICATOR)) {
			dp_drop(lc, m, ZTDP_DP_DROP_ZT_FRAGMENT);
			continue;
		}
		off[nc] = o;
		src[nc] = ztdp_packet_source(f + o);
		cand[nc++] = m;
	}
	if (nc == 0)
		return;
	dp_peer_find_bulk(lc->dp, src, nc, peers);
	for (unsigned int i = 0; i < nc; i++) {
		struct rte_mbuf *m = cand[i];

		if (unlikely(peers[i] == NULL)) {
			dp_drop(lc, m, ZTDP_DP_DROP_ZT_AUTH);
			continue;
		}
		ops[k].pkt = rte_pktmbuf_mtod(m, uint8_t *) + off[i];
		ops[k].key = &peers[i]->key->pk;
		ops[k].len = m->data_len - off[i];
		ok[k++] = m;
	}
	ztdp_dearmor_burst(ops, k);
	for (unsigned int i = 0; i < k; i++) {
		if (unlikely(ops[i].status != ZTDP_ARMOR_OK))
			dp_drop(lc, ok[i], ZTDP_DP_DROP_ZT_AUTH);
		else
			dp_l2_out(lc, ok[i], port);
	}
}

/* ---- The table ---------------------------------------------------------------- */

static const struct ztdp_dp_engine engine_io = {
	.name = "io", .ul_burst = io_ul, .l2_burst = io_l2,
};
static const struct ztdp_dp_engine engine_crypto = {
	.name = "crypto", .ul_burst = crypto_ul, .l2_burst = crypto_l2,
};
static const struct ztdp_dp_engine engine_encap = {
	.name = "encap", .l2_burst = dp_encap_burst,
};
static const struct ztdp_dp_engine engine_decap = {
	.name = "decap", .ul_burst = dp_decap_burst,
};
static const struct ztdp_dp_engine engine_both = {
	.name = "both", .ul_burst = dp_decap_burst, .l2_burst = dp_encap_burst,
	.control = true,
};

static const struct ztdp_dp_engine *const engines[] = {
	&engine_io, &engine_crypto, &engine_encap, &engine_decap, &engine_both, NULL,
};

static const char *const engine_names[] = {
	"io", "crypto", "encap", "decap", "both", NULL,
};

const struct ztdp_dp_engine *ztdp_dp_engine_find(const char *name)
{
	for (unsigned int i = 0; engines[i] != NULL; i++)
		if (strcmp(engines[i]->name, name) == 0)
			return engines[i];
	return NULL;
}

const char *ztdp_dp_engine_name(const struct ztdp_dp_engine *e)
{
	return e != NULL ? e->name : "?";
}

const char *const *ztdp_dp_engine_names(void)
{
	return engine_names;
}

void ztdp_dp_set_directions(struct ztdp_dp *dp, unsigned int dirs)
{
	dp->cfg.directions = dirs != 0 ? dirs : ZTDP_DP_DIR_ENCAP | ZTDP_DP_DIR_DECAP;
}

int ztdp_dp_set_engine(struct ztdp_dp *dp, const char *name)
{
	const struct ztdp_dp_engine *e = ztdp_dp_engine_find(name);

	if (e == NULL)
		return -1;
	dp->engine = e;
	return 0;
}

/* ---- The loop ----------------------------------------------------------------- */

/* A frame the node delivers: the same L2 port MTU rules as the fast
 * path's (l2_mtu.c). */
static void l2_tx_from_control(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, uint16_t port)
{
	const struct dp_net *net;

	if (m->data_len > DP_L2_MTU_FLOOR &&
	    (net = dp_net_find_l2(lc->dp, port)) != NULL &&
	    m->data_len > net->l2_mtu + DP_ETH_LEN) {
		dp_l2_out_oversize(lc, m, net);
		return;
	}
	dp_l2_out(lc, m, port);
}

static unsigned int drain_control(struct ztdp_dp_lcore *lc)
{
	struct rte_mbuf *pkts[ZTDP_DP_BURST];
	unsigned int n = rte_ring_dequeue_burst(lc->dp->cfg.from_control, (void **)pkts,
						ZTDP_DP_BURST, NULL);

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct ztdp_dp_meta *meta = ztdp_dp_meta(m);

		if (meta->kind == ZTDP_DP_KIND_UL_TX)
			dp_ul_out(lc, m);
		else if (meta->kind == ZTDP_DP_KIND_L2_TX)
			l2_tx_from_control(lc, m, meta->port);
		else
			dp_drop(lc, m, ZTDP_DP_DROP_CONTROL_TX_BAD);
	}
	lc->st->from_control += n;
	return n;
}

static uint64_t sum_bytes(struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t b = 0;

	for (uint16_t i = 0; i < n; i++)
		b += pkts[i]->pkt_len;
	return b;
}

/* One turn. */
static unsigned int turn(struct ztdp_dp_lcore *lc)
{
	struct ztdp_dp *dp = lc->dp;
	const struct ztdp_dp_engine *e = dp->engine;
	struct rte_mbuf *pkts[ZTDP_DP_BURST];
	uint64_t t0 = rte_rdtsc();
	unsigned int work = 0;
	uint16_t n;

	lc->now_ms = t0 / dp->tsc_per_ms;
	if (e->ul_burst != NULL && (dp->cfg.directions & ZTDP_DP_DIR_DECAP)) {
		if (lc->ul.polls) {
			n = rte_eth_rx_burst(lc->ul.port_id, lc->ul.rxq, pkts, dp->cfg.burst);
			if (n > 0) {
				work += n;
				lc->st->ul_rx += n;
				lc->st->ul_rx_bytes += sum_bytes(pkts, n);
				if (lc->ul.dispatches)
					n = dp_dispatch_ul(lc, pkts, n);
				if (n > 0)
					e->ul_burst(lc, pkts, n);
			}
		}
		if (lc->ul.in != NULL) {
			n = (uint16_t)rte_ring_sc_dequeue_burst(lc->ul.in, (void **)pkts,
								ZTDP_DP_BURST, NULL);
			if (n > 0) {
				work += n;
				e->ul_burst(lc, pkts, n);
			}
		}
	}
	if (e->l2_burst != NULL && (dp->cfg.directions & ZTDP_DP_DIR_ENCAP)) {
		for (unsigned int j = 0; j < lc->l2_count; j++) {
			struct dp_lport *lp = &lc->l2[j];

			if (lp->polls) {
				n = rte_eth_rx_burst(lp->port_id, lp->rxq, pkts, dp->cfg.burst);
				if (n > 0) {
					work += n;
					lc->st->l2_rx += n;
					lc->st->l2_rx_bytes += sum_bytes(pkts, n);
					if (lp->dispatches)
						n = dp_dispatch_l2(lc, j, pkts, n);
					if (n > 0)
						e->l2_burst(lc, j, pkts, n);
				}
			}
			if (lp->in != NULL) {
				n = (uint16_t)rte_ring_sc_dequeue_burst(lp->in, (void **)pkts,
									ZTDP_DP_BURST, NULL);
				if (n > 0) {
					work += n;
					e->l2_burst(lc, j, pkts, n);
				}
			}
		}
	}
	if (e->control && lc->idx == 0 && dp->cfg.from_control != NULL)
		work += drain_control(lc);
	dp_flush(lc);
	if (work > 0)
		lc->st->busy_cycles += rte_rdtsc() - t0;
	/* Nothing read from the tables survives the turn. */
	rte_rcu_qsbr_quiescent(dp->t.qsbr, lc->idx);
	return work;
}

void *ztdp_dp_lcore_arg(struct ztdp_dp *dp, unsigned int idx)
{
	return idx < dp->lcores ? dp->lc[idx] : NULL;
}

void ztdp_dp_stop(struct ztdp_dp *dp)
{
	__atomic_store_n(&dp->quit, true, __ATOMIC_RELEASE);
}

void ztdp_dp_arm(struct ztdp_dp *dp)
{
	__atomic_store_n(&dp->quit, false, __ATOMIC_RELEASE);
}

unsigned int ztdp_dp_poll(struct ztdp_dp *dp, unsigned int idx)
{
	struct ztdp_dp_lcore *lc = ztdp_dp_lcore_arg(dp, idx);
	unsigned int work;

	if (lc == NULL)
		return 0;
	rte_rcu_qsbr_thread_online(dp->t.qsbr, idx);
	work = turn(lc);
	lc->st->polls++;
	rte_rcu_qsbr_thread_offline(dp->t.qsbr, idx);
	return work;
}

int ztdp_dp_lcore_main(void *arg)
{
	struct ztdp_dp_lcore *lc = arg;
	struct ztdp_dp *dp = lc->dp;
	unsigned int idle = 0, sleep_us = 0;

	rte_rcu_qsbr_thread_online(dp->t.qsbr, lc->idx);
	while (!__atomic_load_n(&dp->quit, __ATOMIC_ACQUIRE)) {
		unsigned int work = turn(lc);

		lc->st->polls++;
		if (work > 0 || !dp->cfg.idle_backoff) {
			idle = 0;
			sleep_us = 0;
			continue;
		}
		lc->st->idle_polls++;
		if (++idle < IDLE_SPINS) {
			rte_pause();
			continue;
		}
		/* Doubling sleeps: the first packet after a quiet spell waits
		 * at most idle_sleep_max_us. */
		sleep_us = sleep_us == 0 ? 1 : RTE_MIN(sleep_us * 2, dp->cfg.idle_sleep_max_us);
		lc->st->sleeps++;
		rte_rcu_qsbr_thread_offline(dp->t.qsbr, lc->idx);
		usleep(sleep_us);
		rte_rcu_qsbr_thread_online(dp->t.qsbr, lc->idx);
	}
	rte_rcu_qsbr_thread_offline(dp->t.qsbr, lc->idx);
	return 0;
}
