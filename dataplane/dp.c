/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane context: configuration, per-lcore state (queues,
 * reassembly table, output vectors), the pool of big mbufs, the mbuf
 * metadata field, and the output side every stage shares: what a turn
 * queues for the underlay, the L2 ports and the control thread is sent
 * once, at the end of the turn, in bursts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_random.h>

#include "dp_internal.h"

#define ERR(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)
/* TX retries of a partial burst before the rest is dropped. */
#define TX_RETRIES		4
#define DISPATCH_RING		1024
#define NAME_MAX_LEN		12	/* leaves room for suffixes in 32-byte names */

int ztdp_dp_meta_offset = -1;

int ztdp_dp_meta_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "ztdp_dp_meta",
		.size = sizeof(struct ztdp_dp_meta),
		.align = __alignof__(struct ztdp_dp_meta),
	};
	int off = rte_mbuf_dynfield_register(&desc);

	if (off < 0)
		return -1;
	ztdp_dp_meta_offset = off;
	return 0;
}

uint64_t ztdp_dp_now_ms(void)
{
	return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000);
}

struct rte_mbuf *dp_big_alloc(struct ztdp_dp_lcore *lc)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(lc->dp->big);

	if (unlikely(m == NULL))
		lc->st->drops[ZTDP_DP_DROP_NO_MBUF]++;
	return m;
}

struct rte_mbuf *dp_linearize(struct ztdp_dp_lcore *lc, struct rte_mbuf *m)
{
	struct rte_mbuf *b;
	uint32_t len = m->pkt_len;

	if (len > (uint32_t)(DP_BIG_DATA_ROOM - RTE_PKTMBUF_HEADROOM)) {
		dp_drop(lc, m, ZTDP_DP_DROP_NO_MBUF);
		return NULL;
	}
	b = dp_big_alloc(lc);
	if (b == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	if (rte_pktmbuf_read(m, 0, len, rte_pktmbuf_mtod(b, uint8_t *)) !=
	    rte_pktmbuf_mtod(b, uint8_t *)) {
		/* The data was contiguous after all: read returned m's own. */
		memcpy(rte_pktmbuf_mtod(b, uint8_t *), rte_pktmbuf_mtod(m, uint8_t *), len);
	}
	b->data_len = (uint16_t)len;
	b->pkt_len = len;
	b->port = m->port;
	*ztdp_dp_meta(b) = *ztdp_dp_meta(m);
	rte_pktmbuf_free(m);
	return b;
}

/* ---- Output ----------------------------------------------------------------- */

void dp_to_control(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, enum ztdp_dp_kind kind)
{
	struct ztdp_dp_meta *meta = ztdp_dp_meta(m);

	meta->kind = (uint8_t)kind;
	meta->lcore = (uint8_t)lc->idx;
	if (kind == ZTDP_DP_KIND_L2)
		meta->port = m->port;	/* the L2 port it came from */
	if (unlikely(lc->n_ctl == DP_OUT_MAX))
		dp_flush(lc);
	lc->ctl[lc->n_ctl++] = m;
}

static void flush_l2(struct ztdp_dp_lcore *lc);
static void flush_ul(struct ztdp_dp_lcore *lc);

void dp_l2_out(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, uint16_t port)
{
	m->port = port;
	if (unlikely(lc->n_l2_tx == DP_OUT_MAX))
		flush_l2(lc);
	lc->l2_tx[lc->n_l2_tx++] = m;
}

void dp_ul_out(struct ztdp_dp_lcore *lc, struct rte_mbuf *m)
{
	if (unlikely(lc->n_ul_tx == DP_OUT_MAX))
		flush_ul(lc);
	lc->ul_tx[lc->n_ul_tx++] = m;
}

/* Send v[0..n) on one queue; what the port does not take is dropped. */
static void tx_queue(struct ztdp_dp_lcore *lc, const struct dp_lport *lp,
		     struct rte_mbuf **v, unsigned int n, uint64_t *pkts, uint64_t *bytes)
{
	uint64_t b = 0;
	uint16_t sent = 0;

	for (unsigned int i = 0; i < n; i++)
		b += v[i]->pkt_len;
	if (lp->txlock != NULL)
		rte_spinlock_lock(lp->txlock);
	for (int tries = 0; sent < n && tries < TX_RETRIES; tries++)
		sent += rte_eth_tx_burst(lp->port_id, lp->txq, v + sent, (uint16_t)(n - sent));
	if (lp->txlock != NULL)
		rte_spinlock_unlock(lp->txlock);
	if (unlikely(sent < n)) {
		for (unsigned int i = sent; i < n; i++)
			b -= v[i]->pkt_len;
		lc->st->drops[ZTDP_DP_DROP_TX_FAILED] += n - sent;
		rte_pktmbuf_free_bulk(v + sent, n - sent);
	}
	*pkts += sent;
	*bytes += b;
}

static void flush_ul(struct ztdp_dp_lcore *lc)
{
	if (lc->n_ul_tx == 0)
		return;
	tx_queue(lc, &lc->ul, lc->ul_tx, lc->n_ul_tx, &lc->st->ul_tx, &lc->st->ul_tx_bytes);
	lc->n_ul_tx = 0;
}

/* Frames queued for L2 carry their port in m->port; usually all go to
 * one, so send runs of the same port. */
static void flush_l2(struct ztdp_dp_lcore *lc)
{
	unsigned int i = 0;

	while (i < lc->n_l2_tx) {
		uint16_t port = lc->l2_tx[i]->port;
		const struct dp_lport *lp = NULL;
		unsigned int j = i + 1;

		while (j < lc->n_l2_tx && lc->l2_tx[j]->port == port)
			j++;
		for (unsigned int k = 0; k < lc->l2_count; k++)
			if (lc->l2[k].port_id == port)
				lp = &lc->l2[k];
		if (likely(lp != NULL)) {
			tx_queue(lc, lp, lc->l2_tx + i, j - i, &lc->st->l2_tx,
				 &lc->st->l2_tx_bytes);
		} else {
			/* A network bound to a port we were not given. */
			lc->st->drops[ZTDP_DP_DROP_L2_NO_NETWORK] += j - i;
			rte_pktmbuf_free_bulk(lc->l2_tx + i, j - i);
		}
		i = j;
	}
	lc->n_l2_tx = 0;
}

static void flush_control(struct ztdp_dp_lcore *lc)
{
	struct rte_ring *r = lc->dp->cfg.to_control;
	unsigned int sent = 0;

	if (lc->n_ctl == 0)
		return;
	if (r != NULL)
		sent = rte_ring_enqueue_burst(r, (void **)lc->ctl, lc->n_ctl, NULL);
	lc->st->to_control += sent;
	if (unlikely(sent < lc->n_ctl)) {
		lc->st->drops[ZTDP_DP_DROP_CONTROL_RING_FULL] += lc->n_ctl - sent;
		rte_pktmbuf_free_bulk(lc->ctl + sent, lc->n_ctl - sent);
	}
	lc->n_ctl = 0;
}

void dp_flush(struct ztdp_dp_lcore *lc)
{
	if (lc->n_out > 0)
		dp_out_run(lc);
	flush_ul(lc);
	flush_l2(lc);
	flush_control(lc);
	if (lc->n_drop > 0) {
		rte_pktmbuf_free_bulk(lc->drop, lc->n_drop);
		lc->n_drop = 0;
	}
}

/* ---- Create / destroy ------------------------------------------------------------ */

static struct rte_ring *ring_make(const struct ztdp_dp *dp, const char *what,
				  unsigned int a, unsigned int b, unsigned int esize,
				  unsigned int count, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];
	struct rte_ring *r;

	snprintf(name, sizeof(name), "%.12s_%.2s%u_%u", dp->name, what, a % 100, b % 100);
	r = rte_ring_create_elem(name, esize, count, dp->cfg.socket,
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (r == NULL)
		snprintf(err, errlen, "cannot create ring %s: %s", name, rte_strerror(rte_errno));
	return r;
}

/* Which queue of a port lcore idx reads and writes. */
static void lport_init(struct ztdp_dp *dp, struct dp_lport *lp, const struct ztdp_dp_port *p,
		       unsigned int idx, struct rte_ring **disp, rte_spinlock_t *locks)
{
	bool own = p->rx_queues >= dp->lcores;

	lp->port_id = p->port_id;
	lp->polls = own || idx == 0;
	lp->rxq = own ? (uint16_t)idx : 0;
	lp->dispatches = !own && idx == 0 && dp->lcores > 1;
	lp->in = !own && idx > 0 ? disp[idx] : NULL;
	lp->txq = (uint16_t)(idx % p->tx_queues);
	lp->txlock = p->tx_queues < dp->lcores ? &locks[lp->txq] : NULL;
}

static void lcore_free(struct ztdp_dp_lcore *lc)
{
	if (lc == NULL)
		return;
	ztdp_reasm_destroy(lc->reasm);
	rte_pktmbuf_free(lc->reasm_out);
	rte_ring_free(lc->learn);
	rte_free(lc);
}

static void ring_free_mbufs(struct rte_ring *r)
{
	void *m;

	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

int ztdp_dp_create(struct ztdp_dp **out, const struct ztdp_dp_config *cfg, char *err,
		   size_t errlen)
{
	struct ztdp_dp *dp = NULL;
	char name[RTE_MEMPOOL_NAMESIZE];

	*out = NULL;
	if (cfg == NULL || cfg->name == NULL || cfg->name[0] == '\0' ||
	    strlen(cfg->name) > NAME_MAX_LEN)
		ERR("dataplane name must be 1 to %d characters", NAME_MAX_LEN);
	if (cfg->lcores < 1 || cfg->lcores > ZTDP_DP_MAX_LCORES)
		ERR("dataplane lcores must be 1 to %d (got %u)", ZTDP_DP_MAX_LCORES, cfg->lcores);
	if (cfg->pool == NULL)
		ERR("dataplane needs an mbuf pool");
	if (cfg->self == 0 || cfg->self > 0xffffffffffULL)
		ERR("dataplane needs our ZeroTier address");
	if (cfg->l2_count > ZTDP_DP_MAX_L2_PORTS)
		ERR("at most %d L2 ports", ZTDP_DP_MAX_L2_PORTS);
	if (cfg->ul.port.rx_queues == 0 || cfg->ul.port.tx_queues == 0)
		ERR("underlay port %u has no queues", cfg->ul.port.port_id);
	for (unsigned int i = 0; i < cfg->l2_count; i++)
		if (cfg->l2[i].rx_queues == 0 || cfg->l2[i].tx_queues == 0)
			ERR("L2 port %u has no queues", cfg->l2[i].port_id);
	if (!cfg->ul.has_ip4 && !cfg->ul.has_ip6)
		ERR("the underlay needs an IPv4 or IPv6 address");
	if (cfg->engine != NULL && ztdp_dp_engine_find(cfg->engine) == NULL)
		ERR("unknown dataplane engine \"%s\"", cfg->engine);
	if (ztdp_dp_meta_register() < 0)
		ERR("cannot register the mbuf metadata field: %s", rte_strerror(rte_errno));

	dp = rte_zmalloc_socket("ztdp_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE, cfg->socket);
	if (dp == NULL)
		ERR("out of memory for the dataplane context");
	dp->cfg = *cfg;
	snprintf(dp->name, sizeof(dp->name), "%s", cfg->name);
	dp->cfg.name = dp->name;
	dp->self = cfg->self;
	dp->lcores = cfg->lcores;
	dp->pool = cfg->pool;
	dp->tsc_per_ms = rte_get_tsc_hz() / 1000;
	if (dp->cfg.max_peers == 0)
		dp->cfg.max_peers = DP_DEFAULT_PEERS;
	if (dp->cfg.max_groups == 0)
		dp->cfg.max_groups = DP_DEFAULT_GROUPS;
	if (dp->cfg.max_bridge_macs == 0)
		dp->cfg.max_bridge_macs = DP_DEFAULT_BMACS;
	if (dp->cfg.big_mbufs == 0)
		dp->cfg.big_mbufs = DP_DEFAULT_BIG_MBUFS;
	if (dp->cfg.bridge_mac_ttl_ms == 0)
		dp->cfg.bridge_mac_ttl_ms = DP_DEFAULT_BMAC_TTL_MS;
	if (dp->cfg.reasm_entries == 0)
		dp->cfg.reasm_entries = ZTDP_REASM_DEFAULT_ENTRIES;
	if (dp->cfg.idle_sleep_max_us == 0)
		dp->cfg.idle_sleep_max_us = DP_DEFAULT_IDLE_US;
	if (dp->cfg.burst == 0 || dp->cfg.burst > ZTDP_DP_BURST)
		dp->cfg.burst = ZTDP_DP_BURST;
	ztdp_dp_set_directions(dp, cfg->directions);
	if (dp->cfg.socket < 0)
		dp->cfg.socket = SOCKET_ID_ANY;
	/* IPv6 link-local: modified EUI-64 of the MAC (RFC 4291 appendix A). */
	{
		static const uint8_t zero[16];
		uint8_t *ll = dp->cfg.ul.ll6;

		if (memcmp(ll, zero, 16) == 0) {
			const uint8_t *mac = dp->cfg.ul.mac;

			ll[0] = 0xfe;
			ll[1] = 0x80;
			ll[8] = mac[0] ^ 0x02;
			ll[9] = mac[1];
			ll[10] = mac[2];
			ll[11] = 0xff;
			ll[12] = 0xfe;
			ll[13] = mac[3];
			ll[14] = mac[4];
			ll[15] = mac[5];
		}
	}
	dp->engine = ztdp_dp_engine_find(cfg->engine != NULL ? cfg->engine : "both");
	for (unsigned int i = 0; i < ZTDP_DP_MAX_LCORES; i++) {
		rte_spinlock_init(&dp->ul_txlock[i]);
		for (unsigned int j = 0; j < ZTDP_DP_MAX_L2_PORTS; j++)
			rte_spinlock_init(&dp->l2_txlock[j][i]);
	}

	snprintf(name, sizeof(name), "%.12s_big", dp->name);
	dp->big = rte_pktmbuf_pool_create(name, dp->cfg.big_mbufs,
					  RTE_MIN(32u, dp->cfg.big_mbufs / 8), 0,
					  DP_BIG_DATA_ROOM, dp->cfg.socket);
	if (dp->big == NULL)
		ERR("cannot create a pool of %u big mbufs (%u bytes each): %s (give EAL more memory with -m)",
		    dp->cfg.big_mbufs, DP_BIG_DATA_ROOM, rte_strerror(rte_errno));
	if (dp_tables_init(dp, err, errlen) < 0)
		goto fail;

	/* Dispatcher rings for ports with fewer RX queues than lcores. */
	if (dp->lcores > 1 && cfg->ul.port.rx_queues < dp->lcores)
		for (unsigned int i = 1; i < dp->lcores; i++)
			if ((dp->ul_disp[i] = ring_make(dp, "du", 0, i, sizeof(void *),
							DISPATCH_RING, err, errlen)) == NULL)
				goto fail;
	for (unsigned int j = 0; j < cfg->l2_count; j++)
		if (dp->lcores > 1 && cfg->l2[j].rx_queues < dp->lcores)
			for (unsigned int i = 1; i < dp->lcores; i++)
				if ((dp->l2_disp[j][i] = ring_make(dp, "dl", j, i, sizeof(void *),
								   DISPATCH_RING, err,
								   errlen)) == NULL)
					goto fail;

	for (unsigned int i = 0; i < dp->lcores; i++) {
		struct ztdp_reasm_config rc;
		struct ztdp_dp_lcore *lc;

		lc = rte_zmalloc_socket("ztdp_dp_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE,
					dp->cfg.socket);
		if (lc == NULL)
			ERR("out of memory for lcore state");
		dp->lc[i] = lc;
		lc->dp = dp;
		lc->idx = i;
		lc->st = &dp->stats[i];
		lport_init(dp, &lc->ul, &cfg->ul.port, i, dp->ul_disp, dp->ul_txlock);
		lc->l2_count = cfg->l2_count;
		for (unsigned int j = 0; j < cfg->l2_count; j++)
			lport_init(dp, &lc->l2[j], &cfg->l2[j], i, dp->l2_disp[j], dp->l2_txlock[j]);
		lc->learn = ring_make(dp, "ln", i, 0, sizeof(struct dp_learn), DP_LEARN_RING,
				      err, errlen);
		if (lc->learn == NULL)
			goto fail;
		ztdp_reasm_config_default(&rc);
		rc.entries = dp->cfg.reasm_entries;
		if (rc.per_source > rc.entries)
			rc.per_source = rc.entries;
		rc.hash_seed = rte_rand();
		lc->reasm_seed = rte_rand();
		lc->reasm = ztdp_reasm_create(&rc);
		if (lc->reasm == NULL)
			ERR("cannot create a reassembly table of %u entries", rc.entries);
	}
	*out = dp;
	return 0;
fail:
	ztdp_dp_destroy(dp);
	return -1;
}

void ztdp_dp_destroy(struct ztdp_dp *dp)
{
	if (dp == NULL)
		return;
	for (unsigned int i = 0; i < ZTDP_DP_MAX_LCORES; i++) {
		struct ztdp_dp_lcore *lc = dp->lc[i];

		if (lc != NULL) {
			/* Anything a test left queued. */
			dp_flush(lc);
			lcore_free(lc);
		}
		ring_free_mbufs(dp->ul_disp[i]);
		for (unsigned int j = 0; j < ZTDP_DP_MAX_L2_PORTS; j++)
			ring_free_mbufs(dp->l2_disp[j][i]);
	}
	if (dp->t.qsbr != NULL)
		dp_tables_fini(dp);
	/* Big mbufs still held elsewhere (a control ring) would dangle: the
	 * caller drains its rings first. */
	rte_mempool_free(dp->big);
	rte_free(dp);
}
