/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's insides, shared by the files of dataplane/ only.
 */
#ifndef ZTDP_DP_INTERNAL_H
#define ZTDP_DP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "ztdp_armor.h"
#include "ztdp_csum.h"
#include "ztdp_dp.h"
#include "ztdp_reasm.h"

#define DP_DEFAULT_PEERS	4096
#define DP_DEFAULT_GROUPS	4096
#define DP_DEFAULT_BMACS	16384
#define DP_DEFAULT_BIG_MBUFS	512
#define DP_DEFAULT_BMAC_TTL_MS	300000
#define DP_DEFAULT_IDLE_US	200
#define DP_DEFAULT_PHYSMTU	1432
/* Big mbufs hold any whole packet (10024 bytes) or reassembled frame, plus
 * room in front for the headers a decapsulated frame does not need. */
#define DP_BIG_DATA_ROOM	(RTE_PKTMBUF_HEADROOM + 10240)
/* Activity stamps are rewritten only when this stale, so that lcores do
 * not keep a peer's cache line bouncing. */
#define DP_ACTIVITY_RES_MS	1000
/* Encap output per flush: a burst can grow by fan-out and fragments. */
#define DP_OUT_MAX		(4 * ZTDP_DP_BURST)
#define DP_RETIRE_MAX		4096
#define DP_LEARN_RING		1024

/* Underlay headers we write: Ethernet + IPv4 + UDP, or + IPv6 + UDP. */
#define DP_ETH_LEN		14
#define DP_ET_ARP		0x0806
#define DP_ET_IPV4		0x0800
#define DP_ET_IPV6		0x86dd
/* No L2 port takes less than IPv6 needs: smaller frames skip the MTU check. */
#define DP_L2_MTU_FLOOR	(DP_ETH_LEN + 1280)
#define DP_UDP4_HDR		(DP_ETH_LEN + 20 + 8)
#define DP_UDP6_HDR		(DP_ETH_LEN + 40 + 8)

/* ---- Tables --------------------------------------------------------------- */

/* A peer's key context, shared by successive versions of its entry. */
struct dp_key {
	struct ztdp_peer_key pk;
};

/* The path a peer's packets take: a prebuilt header template. */
struct dp_path {
	uint8_t family;			/* 4 or 6 */
	uint8_t hdr_len;		/* DP_UDP4_HDR or DP_UDP6_HDR */
	uint16_t mtu;			/* ZeroTier physical MTU */
	struct ztdp_inetaddr to;	/* as the node names it */
	/* One's-complement partial sums of the template's fixed fields, so
	 * that per packet only lengths and the IPv4 ID are added. */
	uint32_t ip4_sum;
	uint32_t phdr_sum;		/* pseudo-header without length */
	uint32_t udp_sum;		/* ... plus the ports */
	uint8_t hdr[DP_UDP6_HDR];
};

/* Written by lcores now and then (relaxed stores, see DP_ACTIVITY_RES_MS);
 * on its own line so that they do not dirty the read-mostly part. */
struct dp_activity {
	uint64_t last_rx_ms;
	uint64_t last_tx_ms;
} __rte_cache_aligned;

struct dp_peer {
	uint64_t address;
	const struct dp_key *key;
	uint8_t suite;
	uint64_t gate;			/* bit per network slot */
	struct dp_path path;
	struct dp_activity act;
};

struct dp_net {
	uint64_t nwid;
	uint64_t mac;
	uint8_t slot;
	uint16_t l2_port;
	uint32_t mtu;
	uint32_t l2_mtu;		/* what the L2 port takes (<= mtu) */
	uint32_t mc_limit;
	bool broadcast, is_public, bridge, unsupported_match;
	/* Rules are one ACCEPT and nothing else: skip the engine. */
	bool rules_accept_all;
	unsigned int rule_count, cap_count, tag_count, owned_count, bridge_count;
	struct ztdp_rule *rules;
	struct ztdp_rules_set *caps;
	struct ztdp_rule_tag *tags;
	struct ztdp_dp_owned *owned;
	uint64_t bridges[ZTDP_DP_MAX_BRIDGES];
	/* One allocation: the arrays above point into it. */
	void *mem;
};

struct dp_net_slot {
	uint64_t nwid;			/* hint for the scan; 0 = free */
	struct dp_net *net;		/* RCU-published */
};

struct dp_group_key {
	uint64_t nwid;
	uint64_t mac;
	uint64_t adi;
};

struct dp_group {
	struct dp_group_key k;
	uint64_t last_used_ms;		/* lcores, relaxed */
	unsigned int n;
	uint64_t members[];
};

struct dp_bmac_key {
	uint64_t nwid;
	uint64_t mac;
};

struct dp_bmac {
	uint64_t peer;
	uint64_t last_seen_ms;		/* lcores, relaxed */
};

/* A learn request from an lcore to the control thread. */
struct dp_learn {
	uint64_t nwid;
	uint64_t mac;
	uint64_t peer;
};

/* Something to free once no lcore can still hold it. */
struct dp_retired {
	void *obj;
	void (*free_fn)(void *obj);
	uint64_t token;
};

struct dp_tables {
	struct rte_rcu_qsbr *qsbr;
	struct rte_hash *peers;		/* u64 address -> struct dp_peer * */
	struct rte_hash *groups;	/* dp_group_key -> struct dp_group * */
	struct rte_hash *bmacs;		/* dp_bmac_key -> struct dp_bmac * */
	struct dp_net_slot nets[ZTDP_DP_MAX_NETWORKS];
	unsigned int net_hwm;		/* slots in use are below this */
	struct {
		bool retiring;		/* freed; reusable after a grace period */
		uint64_t token;
	} slot_gc[ZTDP_DP_MAX_NETWORKS];
	/* L2 port -> slot + 1 (0 = none). */
	uint8_t port_net[RTE_MAX_ETHPORTS];
	unsigned int bmac_count;
	uint32_t bmac_ttl_ms;
	uint64_t next_age_ms;
	/* Retired objects, oldest first (a ring of DP_RETIRE_MAX). */
	struct dp_retired retired[DP_RETIRE_MAX];
	unsigned int ret_head, ret_count;
};

/* ---- Per-lcore state -------------------------------------------------------- */

/* A port's side as one lcore sees it. */
struct dp_lport {
	uint16_t port_id;
	uint16_t rxq, txq;
	bool polls;			/* it reads an RX queue */
	bool dispatches;		/* ... and hands flows to other lcores */
	rte_spinlock_t *txlock;		/* shared TX queue, else NULL */
	struct rte_ring *in;		/* from the dispatcher, or NULL */
};

/* One encap output waiting for armor: the packet in m, for peer p. */
struct dp_out {
	struct rte_mbuf *m;
	const struct dp_peer *p;
};

/* relay.c: pairs the node introduced lately (a root's lcores only). */
#define DP_INTRO_SLOTS	1024	/* power of two */
struct dp_intro {
	uint64_t src, dst;
	uint64_t at_ms;
};

struct ztdp_dp_lcore {
	struct ztdp_dp *dp;
	unsigned int idx;
	struct ztdp_dp_stats *st;
	uint64_t now_ms;
	struct dp_lport ul;
	unsigned int l2_count;
	struct dp_lport l2[ZTDP_DP_MAX_L2_PORTS];
	struct rte_ring *learn;		/* to the control thread */
	struct ztdp_reasm *reasm;
	struct rte_mbuf *reasm_out;	/* big mbuf for the next completion */
	uint64_t reasm_seed;
	uint16_t ip_id;			/* IPv4 identification, per lcore */
	/* Outputs collected during a turn, sent at its end. */
	struct rte_mbuf *ul_tx[DP_OUT_MAX];
	unsigned int n_ul_tx;
	struct rte_mbuf *l2_tx[DP_OUT_MAX];
	unsigned int n_l2_tx;
	struct rte_mbuf *ctl[DP_OUT_MAX];
	unsigned int n_ctl;
	struct rte_mbuf *drop[DP_OUT_MAX];
	unsigned int n_drop;
	struct dp_out out[DP_OUT_MAX];
	unsigned int n_out;
	struct ztdp_crypto_op ops[DP_OUT_MAX];
	struct dp_intro intro[DP_INTRO_SLOTS];
} __rte_cache_aligned;

struct ztdp_dp {
	char name[16];
	uint64_t self;
	unsigned int lcores;
	struct ztdp_dp_config cfg;
	const struct ztdp_dp_engine *engine;
	struct rte_mempool *pool;
	struct rte_mempool *big;
	struct dp_tables t;
	volatile bool quit;
	uint64_t tsc_per_ms;
	rte_spinlock_t ul_txlock[ZTDP_DP_MAX_LCORES];
	rte_spinlock_t l2_txlock[ZTDP_DP_MAX_L2_PORTS][ZTDP_DP_MAX_LCORES];
	/* Dispatcher rings [target lcore]. */
	struct rte_ring *ul_disp[ZTDP_DP_MAX_LCORES];
	struct rte_ring *l2_disp[ZTDP_DP_MAX_L2_PORTS][ZTDP_DP_MAX_LCORES];
	struct ztdp_dp_stats stats[ZTDP_DP_MAX_LCORES];
	struct ztdp_dp_lcore *lc[ZTDP_DP_MAX_LCORES];
};

/* ---- Engines (engine.c) ------------------------------------------------------- */

/* One engine: what a turn does with a burst from each side. */
struct ztdp_dp_engine {
	const char *name;
	/* A burst from the underlay port / from L2 port index l2. NULL: that
	 * side is not polled. They own the mbufs. */
	void (*ul_burst)(struct ztdp_dp_lcore *lc, struct rte_mbuf **pkts, uint16_t n);
	void (*l2_burst)(struct ztdp_dp_lcore *lc, unsigned int l2,
			 struct rte_mbuf **pkts, uint16_t n);
	bool control;			/* lcore 0 drains from_control */
};

/* ---- Shared helpers ----------------------------------------------------------- */

/* dp.c */
/* A big mbuf, or NULL (counted). */
struct rte_mbuf *dp_big_alloc(struct ztdp_dp_lcore *lc);
/* Copy a multi-segment mbuf into one big buffer (meta too); frees m.
 * NULL if out of mbufs (m freed, counted). */
struct rte_mbuf *dp_linearize(struct ztdp_dp_lcore *lc, struct rte_mbuf *m);

static inline void dp_drop(struct ztdp_dp_lcore *lc, struct rte_mbuf *m,
			   enum ztdp_dp_drop why)
{
	lc->st->drops[why]++;
	if (unlikely(lc->n_drop == DP_OUT_MAX)) {
		rte_pktmbuf_free_bulk(lc->drop, lc->n_drop);
		lc->n_drop = 0;
	}
	lc->drop[lc->n_drop++] = m;
}

/* Hand m to the control thread as `kind` (flushed at the end of the turn). */
void dp_to_control(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, enum ztdp_dp_kind kind);
/* Queue m for L2 port `port`. */
void dp_l2_out(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, uint16_t port);
/* Queue a complete underlay frame. */
void dp_ul_out(struct ztdp_dp_lcore *lc, struct rte_mbuf *m);
/* Send everything queued this turn. */
void dp_flush(struct ztdp_dp_lcore *lc);

/* tables.c: readers (on lcores, between quiescent states). */
/* The network on L2 port l2_port (a scan: for the slow path). */
const struct dp_net *dp_net_find_l2(const struct ztdp_dp *dp, uint16_t l2_port);
const struct dp_peer *dp_peer_find(const struct ztdp_dp *dp, uint64_t address);
/* Bulk: n <= ZTDP_DP_BURST keys; out[i] NULL when absent. */
void dp_peer_find_bulk(const struct ztdp_dp *dp, const uint64_t *addrs, unsigned int n,
		       const struct dp_peer **out);
const struct dp_net *dp_net_find(const struct ztdp_dp *dp, uint64_t nwid);
const struct dp_net *dp_net_by_port(const struct ztdp_dp *dp, uint16_t port);
const struct dp_group *dp_group_find(const struct ztdp_dp *dp, uint64_t nwid,
				     struct ztdp_mcast_group g);
struct dp_bmac *dp_bmac_find(const struct ztdp_dp *dp, uint64_t nwid, uint64_t mac);
bool dp_net_has_bridge(const struct dp_net *net, uint64_t address);
void dp_touch_rx(const struct dp_peer *p, uint64_t now_ms);
void dp_touch_tx(const struct dp_peer *p, uint64_t now_ms);
/* Learn (nwid, mac) -> peer from an lcore: refresh or queue a request. */
void dp_bmac_observe(struct ztdp_dp_lcore *lc, uint64_t nwid, uint64_t mac, uint64_t peer);
int dp_tables_init(struct ztdp_dp *dp, char *err, size_t errlen);
void dp_tables_fini(struct ztdp_dp *dp);

/* rx_underlay.c */
void dp_decap_burst(struct ztdp_dp_lcore *lc, struct rte_mbuf **pkts, uint16_t n);
/* Underlay classification shared with the crypto engine and dispatcher:
 * on success the UDP payload offset, length and sender. */
struct dp_ul_info {
	uint16_t off, len;
	struct ztdp_inetaddr *from;	/* in: where the sender goes */
};
/* 1: ZeroTier datagram for us; 0: to control (UL_RAW); -1: drop (*why). */
int dp_ul_classify(const struct ztdp_dp *dp, const uint8_t *f, uint32_t len,
		   struct dp_ul_info *ui, enum ztdp_dp_drop *why);

/* rx_l2.c */
void dp_encap_burst(struct ztdp_dp_lcore *lc, unsigned int l2, struct rte_mbuf **pkts,
		    uint16_t n);
/* Rules evaluation with the network's environment; shared by both sides. */
bool dp_rules(struct ztdp_dp_lcore *lc, const struct dp_net *net,
	      const struct ztdp_rules_frame *f, bool outbound,
	      struct ztdp_rules_verdict *v);

/* tx_underlay.c */
/* Queue an encap output (plaintext packet in m for p, header written
 * except armor). Runs the armor stage when the queue is full. */
void dp_out_add(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct dp_peer *p);
/* Armor everything queued, fragment, add headers, queue for TX. */
void dp_out_run(struct ztdp_dp_lcore *lc);
/* An already armored packet or fragment to p's path, as it is. */
void dp_send_armored(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct dp_peer *p);

/* The same underlay address and port. */
static inline bool dp_same_path(const struct ztdp_inetaddr *a, const struct ztdp_inetaddr *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16) == 0;
}

/* ---- l2_mtu.c ---- */
/* A frame from the network longer than net's L2 port takes (l2_mtu):
 * fragment it, or answer with ICMP too-big, or drop it. Consumes m. */
void dp_l2_out_oversize(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, const struct dp_net *net);

/* ---- relay.c ---- */
/* A root's datagram for another node (m holds the UDP payload). */
void dp_relay(struct ztdp_dp_lcore *lc, struct rte_mbuf *m, bool fragment);
/* Fill a path template from a peer's configuration. */
int dp_path_build(const struct ztdp_dp *dp, struct dp_path *path,
		  const struct ztdp_dp_peer_conf *pc);
/* Prepend the path's headers to the datagram that is m's data. */
int dp_path_prepend(struct rte_mbuf *m, const struct dp_path *path, uint16_t ip_id,
		    bool ip4_udp_cksum, bool offload);
/* RFC 1071 sum helpers. */

/* dispatch.c */
/* Lcore 0's port queue is shared: hand each packet to its flow's lcore.
 * Keeps (and returns how many of) its own share at the front of pkts. */
uint16_t dp_dispatch_ul(struct ztdp_dp_lcore *lc, struct rte_mbuf **pkts, uint16_t n);
uint16_t dp_dispatch_l2(struct ztdp_dp_lcore *lc, unsigned int l2, struct rte_mbuf **pkts,
			uint16_t n);

#endif /* ZTDP_DP_INTERNAL_H */
