/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane: polled DPDK lcores that move Ethernet between the L2
 * ports of the joined networks and the underlay port, as ZeroTier
 * packets (protocol notes sections 3 to 6, 10, 11.9, 11.10).
 *
 * What is here, grouped by the file that implements it:
 *
 *   dp.c           the context: per-lcore state, pools, the mbuf metadata
 *   tables.c       shared forwarding state (peers, networks, multicast
 *                  subscribers, learned bridge MACs): one writer (the
 *                  control thread), lock-free readers (rte_rcu_qsbr)
 *   rx_underlay.c  decap: sort a burst, reassemble, dearmor, decode
 *                  FRAME / EXT_FRAME / MULTICAST_FRAME, gate, rules, L2 TX
 *   rx_l2.c        encap: look up the destination MAC, rules, FRAME /
 *                  EXT_FRAME / MULTICAST_FRAME, armor
 *   tx_underlay.c  fragment to the path MTU, IPv4/IPv6 + UDP headers, TX
 *   dispatch.c     the software dispatcher used when a port has fewer RX
 *                  queues than lcores (flows keep their order)
 *   engine.c       forwarding engines (io, crypto, encap, decap, both) and
 *                  the lcore loop with its idle back-off
 *   stats.c        per-lcore counters and the drop reasons
 *   port.c         port set-up with RSS when the device has it
 *
 * Anything the fast path cannot decide alone goes to the control thread
 * on the to_control ring as an mbuf tagged with struct ztdp_dp_meta:
 * packets from unknown peers, HELLO, non-data verbs (already
 * authenticated), frames for peers not in the tables, frames whose rules
 * ask for TEE/REDIRECT, peers that fail the gate (the node answers with
 * ERROR NEED_MEMBERSHIP_CERTIFICATE). The node is the slow path; the
 * tables are what the control thread teaches the fast path.
 */
#ifndef ZTDP_DP_H
#define ZTDP_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "ztdp_inetaddr.h"
#include "ztdp_mac.h"
#include "ztdp_rules.h"

struct rte_mempool;
struct rte_ring;
struct ztdp_netconf;

#define ZTDP_DP_BURST		32
#define ZTDP_DP_MAX_LCORES	16
#define ZTDP_DP_MAX_NETWORKS	64	/* one bit each in a peer's gate mask */
#define ZTDP_DP_MAX_L2_PORTS	8
#define ZTDP_DP_MAX_BRIDGES	32	/* flooded per network (notes 11.9) */
#define ZTDP_DP_MAX_GROUP_MEMBERS 256

/* ---- Drop reasons (stats.c) -----------------------------------------------
 * Declared once: X(ID, "key", "what it means"). */
#define ZTDP_DP_DROPS(X) \
	X(UL_RUNT, "ul_runt", "underlay frame shorter than its headers") \
	X(UL_FOREIGN_DST, "ul_foreign_dst", "underlay unicast to another MAC") \
	X(UL_ETHERTYPE, "ul_ethertype", "underlay frame neither ARP, IPv4 nor IPv6") \
	X(UL_IP_MALFORMED, "ul_ip_malformed", "bad IP version, length or header checksum") \
	X(UL_IP_FRAGMENT, "ul_ip_fragment", "IPv4 fragment (ZeroTier fragments its own)") \
	X(UL_IP_NOT_FOR_US, "ul_ip_not_for_us", "IP packet to another address") \
	X(UL_IP_MARTIAN, "ul_ip_martian", "IP packet from an impossible source") \
	X(UL_IP_PROTO, "ul_ip_proto", "IP protocol neither UDP nor ICMP") \
	X(UL_UDP_MALFORMED, "ul_udp_malformed", "short UDP header or bad UDP length") \
	X(UL_UDP_PORT, "ul_udp_port", "UDP to another port") \
	X(ZT_SHORT, "zt_short", "datagram too short to be a packet") \
	X(ZT_JUNK, "zt_junk", "4-byte NAT-opening junk") \
	X(ZT_BEACON, "zt_beacon", "13-byte legacy LAN beacon") \
	X(ZT_NOT_FOR_US, "zt_not_for_us", "packet for another ZeroTier address (only roots relay)") \
	X(RELAY_HOPS, "relay_hops", "relayed too often already (3 hops)") \
	X(RELAY_LOOP, "relay_loop", "would go back where it came from") \
	X(ZT_SUITE, "zt_suite", "cipher suite 2 or unknown") \
	X(ZT_FRAGMENT, "zt_fragment", "fragment refused by reassembly") \
	X(ZT_AUTH, "zt_auth", "MAC did not verify") \
	X(ZT_LZ4, "zt_lz4", "payload does not decompress") \
	X(ZT_MALFORMED, "zt_malformed", "frame verb payload does not decode") \
	X(NET_UNKNOWN, "net_unknown", "network not joined or not configured") \
	X(RULES_IN, "rules_in", "dropped by the inbound rules") \
	X(BAD_MAC, "bad_mac", "MAC not allowed by the bridging rules") \
	X(MC_DISABLED, "mc_disabled", "multicast disabled on the network (ml 0)") \
	X(L2_RUNT, "l2_runt", "L2 frame shorter than an Ethernet header") \
	X(L2_NO_NETWORK, "l2_no_network", "L2 port bound to no configured network") \
	X(L2_TOO_BIG, "l2_too_big", "frame larger than the network MTU") \
	X(L2_PORT_MTU, "l2_port_mtu", "frame larger than the L2 port takes, not fragmentable IPv4 (ICMP too-big sent for IP)") \
	X(L2_BAD_SRC_MAC, "l2_bad_src_mac", "source MAC not ours and we are not a bridge") \
	X(L2_BAD_DST, "l2_bad_dst", "destination is us or a reserved address") \
	X(BCAST_DISABLED, "bcast_disabled", "broadcast not enabled on the network") \
	X(RULES_OUT, "rules_out", "dropped by the outbound rules") \
	X(NO_RECIPIENTS, "no_recipients", "no bridge or subscriber to send to") \
	X(TOO_BIG, "too_big", "packet needs more than 7 fragments at the path MTU") \
	X(NO_MBUF, "no_mbuf", "mbuf pool empty") \
	X(CONTROL_RING_FULL, "control_ring_full", "ring to the control thread full") \
	X(DISPATCH_RING_FULL, "dispatch_ring_full", "ring to another lcore full") \
	X(TX_FAILED, "tx_failed", "the port did not take the packet") \
	X(CONTROL_TX_BAD, "control_tx_bad", "control thread queued an mbuf without a valid kind or port")

enum ztdp_dp_drop {
#define ZTDP_DP_DROP_ENUM_(id, key, what) ZTDP_DP_DROP_##id,
	ZTDP_DP_DROPS(ZTDP_DP_DROP_ENUM_)
#undef ZTDP_DP_DROP_ENUM_
	ZTDP_DP_N_DROP
};

const char *ztdp_dp_drop_key(unsigned int reason);
const char *ztdp_dp_drop_text(unsigned int reason);

/* ---- Per-lcore counters (stats.c) ---------------------------------------- */

/* One writer each (its lcore); others read them racily. */
struct ztdp_dp_stats {
	uint64_t ul_rx, ul_rx_bytes;		/* underlay port RX */
	uint64_t ul_tx, ul_tx_bytes;		/* underlay port TX (datagrams) */
	uint64_t l2_rx, l2_rx_bytes;		/* L2 ports RX */
	uint64_t l2_tx, l2_tx_bytes;		/* L2 ports TX */
	uint64_t decap;				/* frames delivered from ZeroTier */
	uint64_t encap;				/* ZeroTier packets built (copies included) */
	uint64_t fragments_tx;			/* extra datagrams of fragmented packets */
	uint64_t reasm_pieces;			/* heads/fragments kept by reassembly */
	uint64_t reassembled;			/* packets reassembly completed */
	uint64_t decompressed;
	uint64_t to_control;			/* mbufs handed to the control thread */
	uint64_t from_control;			/* mbufs sent for the control thread */
	uint64_t dispatched;			/* mbufs handed to another lcore */
	uint64_t learn_requests;		/* bridge MACs sent to the control thread */
	uint64_t relayed;			/* datagrams a root sent on (relay.c) */
	uint64_t l2_fragments;			/* IPv4 fragments made for a small L2 MTU */
	uint64_t l2_too_big_sent;		/* ICMP too-big answers to the node */
	uint64_t polls, idle_polls, sleeps;
	uint64_t busy_cycles;			/* TSC spent in polls that found work */
	uint64_t drops[ZTDP_DP_N_DROP];
} __rte_cache_aligned;

struct ztdp_dp;

/* Sum of every lcore's counters. */
void ztdp_dp_stats_sum(const struct ztdp_dp *dp, struct ztdp_dp_stats *out);
/* One lcore's counters (idx < lcores), or NULL. */
const struct ztdp_dp_stats *ztdp_dp_stats_lcore(const struct ztdp_dp *dp, unsigned int idx);
/* Zero every lcore's counters (only while the lcores are stopped). */
void ztdp_dp_stats_reset(struct ztdp_dp *dp);
uint64_t ztdp_dp_drops_total(const struct ztdp_dp_stats *s);

/* ---- The mbuf metadata shared with the control thread (dp.c) -------------- */

/* What an mbuf on the control rings carries (struct ztdp_dp_meta.kind). */
enum ztdp_dp_kind {
	ZTDP_DP_KIND_NONE = 0,
	/* Dataplane -> control thread. */
	ZTDP_DP_KIND_UL_RAW,	/* underlay Ethernet frame (ARP, ICMP, ND, IP
				 * options ...): ztdp_underlay_respond */
	ZTDP_DP_KIND_WIRE,	/* ZeroTier datagram (UDP payload) from
				 * meta.from: ztdp_node_process_wire */
	ZTDP_DP_KIND_PACKET,	/* whole packet the dataplane reassembled,
				 * not authenticated (unknown sender, HELLO)
				 * from meta.from: ztdp_node_process_packet */
	ZTDP_DP_KIND_PLAIN,	/* dearmored, authenticated whole packet from
				 * meta.from (the verb may still carry the
				 * compression flag): ztdp_node_process_plain */
	ZTDP_DP_KIND_L2,	/* Ethernet frame from L2 port meta.port:
				 * ztdp_node_process_frame */
	/* Control thread -> dataplane (the from_control ring). */
	ZTDP_DP_KIND_UL_TX,	/* complete underlay frame: send as is */
	ZTDP_DP_KIND_L2_TX,	/* complete Ethernet frame for L2 port meta.port */
};

/* Registered as an mbuf dynamic field ("ztdp_dp_meta"). */
struct ztdp_dp_meta {
	struct ztdp_inetaddr from;	/* WIRE, PLAIN: underlay sender */
	uint8_t kind;			/* enum ztdp_dp_kind */
	uint8_t lcore;			/* dataplane lcore that queued it */
	uint16_t port;			/* L2, L2_TX: the L2 port */
};

extern int ztdp_dp_meta_offset;

/* Register the field (idempotent; ztdp_dp_create does it). 0 or -1. */
int ztdp_dp_meta_register(void);

static inline struct ztdp_dp_meta *ztdp_dp_meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, ztdp_dp_meta_offset, struct ztdp_dp_meta *);
}

/* ---- Creating a dataplane (dp.c) ---------------------------------------- */

/* A port and the queues it was set up with. With at least as many RX
 * queues as lcores (RSS, or a vdev's independent queues) each lcore polls
 * its own; otherwise lcore 0 polls queue 0 and dispatches by flow hash.
 * TX queues fewer than lcores are shared under a lock. */
struct ztdp_dp_port {
	uint16_t port_id;
	uint16_t rx_queues;
	uint16_t tx_queues;
};

/* Our side of the underlay. */
struct ztdp_dp_underlay {
	struct ztdp_dp_port port;
	uint8_t mac[6];
	uint16_t udp_port;		/* ZeroTier port, host order */
	bool has_ip4;
	uint8_t ip4[4];
	bool has_ip6;
	uint8_t ip6[16];
	uint8_t ll6[16];		/* link-local; zero = derive from mac */
	/* The port computes UDP checksums (RTE_ETH_TX_OFFLOAD_UDP_CKSUM). */
	bool tx_udp_cksum_offload;
	/* IPv4 UDP checksum: false (default) sends 0, "no checksum", which
	 * RFC 768 allows and every receiver's kernel accepts; true computes
	 * it in software. IPv6 always carries one (RFC 8200 8.1). */
	bool ip4_udp_cksum;
};

struct ztdp_dp_config {
	const char *name;		/* unique prefix for DPDK object names */
	uint64_t self;			/* our ZeroTier address */
	unsigned int lcores;		/* data lcores, 1..ZTDP_DP_MAX_LCORES */
	struct ztdp_dp_underlay ul;
	unsigned int l2_count;
	struct ztdp_dp_port l2[ZTDP_DP_MAX_L2_PORTS];
	/* Fragments, multicast copies and linearized packets come from here
	 * (data room >= 2048). The dataplane makes its own pool of big
	 * (10 KiB) mbufs for reassembled and decompressed packets. */
	struct rte_mempool *pool;
	/* Mbufs to the control thread (multi-producer); NULL: counted and
	 * dropped. Mbufs from it (lcore 0 drains; any producer mode). */
	struct rte_ring *to_control;
	struct rte_ring *from_control;
	/* Table sizes (0 = defaults: 4096 peers, 4096 groups, 16384 MACs). */
	unsigned int max_peers, max_groups, max_bridge_macs;
	unsigned int big_mbufs;		/* 0 = 512 */
	uint32_t bridge_mac_ttl_ms;	/* learned MACs age out; 0 = 300 s */
	unsigned int reasm_entries;	/* per lcore; 0 = 64 */
	/* Engine by name: "both" (default), "encap", "decap", "io", "crypto". */
	const char *engine;
	/* Which directions a turn polls (ZTDP_DP_DIR_*; 0 = both). */
	unsigned int directions;
	unsigned int burst;		/* RX burst, 1..ZTDP_DP_BURST; 0 = the max */
	/* io and crypto engines: which L2 port they forward to/from (index
	 * into l2[]); the crypto engine armors and dearmors with the key of
	 * this peer (it must be in the tables). */
	unsigned int io_l2;
	uint64_t crypto_peer;
	/* We are a planet root: datagrams for other nodes are relayed on the
	 * lcores to the destination's published path (the first packet of a
	 * pair, and unknown destinations, go to the node, which introduces or
	 * looks up); otherwise they are dropped (ZT_NOT_FOR_US). */
	bool relay;
	/* Idle back-off: rte_pause, then sleeps doubling up to the max. */
	bool idle_backoff;
	unsigned int idle_sleep_max_us;	/* 0 = 200 */
	int socket;			/* -1 = any */
};

/* Build the context: tables, RCU, pools, per-lcore state. 0, or -1 with
 * one line in err. */
int ztdp_dp_create(struct ztdp_dp **out, const struct ztdp_dp_config *cfg,
		   char *err, size_t errlen);
/* Only after the lcores returned. Frees everything the tables hold. */
void ztdp_dp_destroy(struct ztdp_dp *dp);

/* Milliseconds on the dataplane's clock (TSC-based, monotonic). */
uint64_t ztdp_dp_now_ms(void);

/* ---- Running (engine.c) ----------------------------------------------------
 * Launch ztdp_dp_lcore_main on one lcore per index with
 * rte_eal_remote_launch(ztdp_dp_lcore_main, ztdp_dp_lcore_arg(dp, i), lc).
 * ztdp_dp_stop makes every loop return. Tests may instead call
 * ztdp_dp_poll for each index from one thread. */
void *ztdp_dp_lcore_arg(struct ztdp_dp *dp, unsigned int idx);
int ztdp_dp_lcore_main(void *arg);
void ztdp_dp_stop(struct ztdp_dp *dp);
/* Clear the stop flag (before launching again). */
void ztdp_dp_arm(struct ztdp_dp *dp);
/* One turn of lcore idx's loop: returns the packets it handled. The
 * caller must be that lcore's only user. */
unsigned int ztdp_dp_poll(struct ztdp_dp *dp, unsigned int idx);

/* Forwarding engines, testpmd style. */
struct ztdp_dp_engine;
const struct ztdp_dp_engine *ztdp_dp_engine_find(const char *name);
const char *ztdp_dp_engine_name(const struct ztdp_dp_engine *e);
/* Names, NULL-terminated. */
const char *const *ztdp_dp_engine_names(void);
/* Switch engines (and directions) while the lcores are stopped. 0 or -1. */
int ztdp_dp_set_engine(struct ztdp_dp *dp, const char *name);
#define ZTDP_DP_DIR_ENCAP	1u	/* L2 -> underlay */
#define ZTDP_DP_DIR_DECAP	2u	/* underlay -> L2 */
void ztdp_dp_set_directions(struct ztdp_dp *dp, unsigned int dirs);

/* ---- Tables: the control thread's writer API (tables.c) --------------------
 * One writer thread. Every call copies what it is given, publishes it with
 * a single pointer store, and retires what it replaced once every lcore
 * has been through a quiescent state. */

struct ztdp_dp_peer_conf {
	uint64_t address;
	const uint8_t *key;		/* the 48-byte agreed key */
	uint8_t suite;			/* 1 or 3 (section 4.4) */
	/* Where its packets go: its best direct path, or the root that
	 * relays to it (the packet is still armored for the peer). */
	struct ztdp_inetaddr to;	/* IP and UDP port */
	uint8_t next_hop_mac[6];	/* resolved by the control thread */
	uint16_t mtu;			/* ZeroTier physical MTU (largest UDP
					 * payload); 0 = 1432 */
};

/* Add or replace a peer. The gate bits and activity stamps survive a
 * replacement; the key context is rebuilt only if the key changed.
 * 0, or -1 (bad argument, no memory, table full). */
int ztdp_dp_peer_upsert(struct ztdp_dp *dp, const struct ztdp_dp_peer_conf *pc);
int ztdp_dp_peer_remove(struct ztdp_dp *dp, uint64_t address);
/* The membership gate (notes 9.3), as the node decided it from COM
 * agreement: may `address` send frames on nwid? 0, or -1 if the peer or
 * the network is not in the tables. */
int ztdp_dp_peer_gate(struct ztdp_dp *dp, uint64_t address, uint64_t nwid, bool pass);
/* When the peer's traffic last crossed the fast path (ms on
 * ztdp_dp_now_ms's clock, 1 s resolution; 0 = never). -1 if unknown. */
int ztdp_dp_peer_activity(struct ztdp_dp *dp, uint64_t address,
			  uint64_t *last_rx_ms, uint64_t *last_tx_ms);

/* An owned thing (from our COOs), for MATCH_CHARACTERISTICS outbound. */
struct ztdp_dp_owned {
	uint8_t type;			/* ZTDP_COO_THING_* */
	uint8_t value[16];
};

struct ztdp_dp_network_conf {
	uint64_t nwid;
	uint64_t mac;			/* ours */
	uint16_t l2_port;		/* DPDK port of this network's L2 side */
	uint32_t mtu;
	/* The L2 port's own MTU when the device takes less than the network's
	 * (net_tap: 1500); larger frames are fragmented or answered with ICMP
	 * too-big (l2_mtu.c). 0 = mtu. */
	uint32_t l2_mtu;
	uint32_t multicast_limit;	/* ml; 0 = multicast disabled */
	bool broadcast;
	bool is_public;			/* everyone passes the gate */
	bool bridge;			/* we are an active bridge */
	bool unsupported_match_result;	/* config flag 0x08 */
	const struct ztdp_rule *rules;
	unsigned int rule_count;
	const struct ztdp_rules_set *caps;	/* our capabilities (outbound) */
	unsigned int cap_count;
	const struct ztdp_rule_tag *tags;	/* our tags */
	unsigned int tag_count;
	const struct ztdp_dp_owned *owned;
	unsigned int owned_count;
	const uint64_t *bridges;	/* active bridges' addresses */
	unsigned int bridge_count;
};

int ztdp_dp_network_upsert(struct ztdp_dp *dp, const struct ztdp_dp_network_conf *nc);
/* The same from a config as the node applied it. */
int ztdp_dp_network_upsert_netconf(struct ztdp_dp *dp, const struct ztdp_netconf *nc,
				   uint64_t self, uint16_t l2_port, uint32_t l2_mtu);
int ztdp_dp_network_remove(struct ztdp_dp *dp, uint64_t nwid);

/* Subscribers of a multicast group, as the node knows them (LIKEs, gather
 * results). A published group with members is sent to by the fast path;
 * one absent (or with none) goes to the control thread, which gathers.
 * members beyond ZTDP_DP_MAX_GROUP_MEMBERS are ignored. */
int ztdp_dp_group_set(struct ztdp_dp *dp, uint64_t nwid, struct ztdp_mcast_group g,
		      const uint64_t *members, unsigned int n);
int ztdp_dp_group_remove(struct ztdp_dp *dp, uint64_t nwid, struct ztdp_mcast_group g);
/* When the fast path last sent to the group (ms, 1 s resolution; 0 =
 * never), so the node can keep gathering for groups in use. -1 if the
 * group is not published. */
int ztdp_dp_group_last_used(struct ztdp_dp *dp, uint64_t nwid, struct ztdp_mcast_group g,
			    uint64_t *last_used_ms);

/* Learned bridge MACs: (nwid, MAC) -> the member bridge that has it.
 * Lcores learn on EXT_FRAME / MULTICAST_FRAME from active bridges by
 * queuing requests that ztdp_dp_maintain applies; the control thread may
 * also teach routes it learned itself. Entries age out after
 * bridge_mac_ttl_ms without traffic. */
int ztdp_dp_bridge_mac_learn(struct ztdp_dp *dp, uint64_t nwid, uint64_t mac,
			     uint64_t peer, uint64_t now_ms);
/* The peer behind a learned MAC, or 0. */
uint64_t ztdp_dp_bridge_mac_lookup(struct ztdp_dp *dp, uint64_t nwid, uint64_t mac);
unsigned int ztdp_dp_bridge_mac_count(const struct ztdp_dp *dp);

/* The control thread's housekeeping, every few ms: apply the lcores'
 * learn requests, age bridge MACs, free what no lcore can still see. */
void ztdp_dp_maintain(struct ztdp_dp *dp, uint64_t now_ms);

/* ---- Port set-up (port.c) ----------------------------------------------- */

/* Configure and start a port for `lcores` lcores: that many RX/TX queue
 * pairs with RSS on IP/UDP when the device offers it (or when
 * force_queues: vdevs whose queues are independent sources), else one RX
 * queue (dispatched in software) and as many TX queues as it allows.
 * Fills *out. 0, or -1 with err. */
int ztdp_dp_port_setup(uint16_t port_id, unsigned int lcores, struct rte_mempool *pool,
		       uint16_t mtu, bool force_queues, struct ztdp_dp_port *out,
		       char *err, size_t errlen);

#endif /* ZTDP_DP_H */
