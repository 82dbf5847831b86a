/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The node's insides, shared by the files of control/ and nothing else.
 *
 * One file per concern, each owning a part of struct ztdp_node:
 *   node.c       create/destroy, datagram intake and verb dispatch, timers,
 *                queries, counters
 *   send.c       building, compressing, armoring, fragmenting and routing
 *                outgoing packets
 *   expect.c     reply matching (which OKs we asked for)
 *   peer.c       peer table, paths, identity cache, WHOIS, packets waiting
 *                for an identity
 *   hello.c      HELLO, OK(HELLO), ECHO, keepalives, roots and worlds
 *   network.c    join/leave, config requests and chunks, ERRORs, credentials
 *                and the membership gate
 *   frame.c      FRAME / EXT_FRAME in and out, rules, bridge routes
 *   multicast.c  groups, MULTICAST_LIKE, GATHER, MULTICAST_FRAME
 *   nat.c        RENDEZVOUS, PUSH_DIRECT_PATHS, external addresses
 *   root.c       the root role: relaying for others, introducing them
 *   ratelimit.c  token buckets
 *   node_controller.c  the embedded controller on the wire (requests for
 *                our networks, pushes, revocations) and its persistence
 *
 * Everything is bounded: fixed tables sized by the ZN_MAX_* constants
 * below, allocated once in ztdp_node_create (the only later allocations
 * are a network's config, once per network, and the config assembler's
 * buffer, once per config update).
 */
#ifndef ZTDP_NODE_INTERNAL_H
#define ZTDP_NODE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_armor.h"
#include "ztdp_buf.h"
#include "ztdp_credentials.h"
#include "ztdp_identity.h"
#include "ztdp_inetaddr.h"
#include "ztdp_mac.h"
#include "ztdp_netconf.h"
#include "ztdp_netconf_chunk.h"
#include "ztdp_node.h"
#include "ztdp_reasm.h"
#include "ztdp_rules.h"
#include "ztdp_wire.h"
#include "ztdp_world.h"

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

/* ---- Software version we announce ---------------------------------------- */

/* ztdp implements 1.14.1's behaviour and announces its version: peers and
 * controllers pick features (ECHO keepalives, config format) by it. */
#define ZN_VERSION_MAJOR		1
#define ZN_VERSION_MINOR		14
#define ZN_VERSION_REVISION		1

/* ---- Table sizes ----------------------------------------------------------- */

#define ZN_MAX_PEERS			1024
#define ZN_PEER_BUCKETS			2048	/* power of two */
#define ZN_MAX_PATHS			8	/* per peer (struct ztdp_peer_info) */
#define ZN_MAX_NETWORKS			64
#define ZN_PEER_MEMBERSHIPS		4	/* networks tracked per peer */
#define ZN_MAX_WHOIS			64	/* addresses being looked up */
#define ZN_MAX_PENDING			32	/* packets waiting for an identity */
#define ZN_MAX_PENDING_PER_SOURCE	8
#define ZN_MAX_TXQ			16	/* frames waiting for an identity */
#define ZN_MAX_MC_SUBS			4096	/* others' multicast subscriptions */
#define ZN_MAX_MCQ			8	/* multicasts waiting for gather results */
#define ZN_MCQ_MAX_SENT			64	/* recipients remembered per queued multicast */
#define ZN_MAX_GROUPS			64	/* our groups per network */
#define ZN_MAX_GATHERS			16	/* groups with gather times per network */
#define ZN_EXPECT_BUCKETS		256	/* power of two */
#define ZN_EXPECT_WAYS			8
#define ZN_MAX_BRIDGE_ROUTES		1024	/* power of two */
#define ZN_MAX_EXTERNAL			4	/* our addresses as roots see them */
#define ZN_HELLO_RL_BUCKETS		256	/* power of two: per /24 or /48 */
#define ZN_FRAME_MAX			ZTDP_VIRTUAL_MTU_MAX
#define ZN_MAX_PUSH_RECORDS		8	/* contacted per PUSH_DIRECT_PATHS */
#define ZN_RELAY_RL_BUCKETS		256	/* power of two: per underlay source */
#define ZN_UNITE_SLOTS			256	/* power of two: pairs introduced */

/* ---- Timers (ms; protocol notes section 11.1 unless said) ------------------ */

#define ZN_HOUSEKEEPING_MS		5000
#define ZN_PATH_HEARTBEAT_MS		14000
#define ZN_PATH_ALIVE_MS		19000
#define ZN_PEER_HELLO_MS		60000
#define ZN_PATH_EXPIRE_MS		243000
#define ZN_PEER_ACTIVITY_MS		500000
#define ZN_TRUST_MS			600000
#define ZN_WHOIS_RETRY_MS		500
#define ZN_WHOIS_RETRY_MAX_MS		4000	/* backoff ceiling */
#define ZN_QUEUE_TIMEOUT_MS		5000
#define ZN_MC_LIKE_EXPIRE_MS		600000
#define ZN_MC_ANNOUNCE_MS		60000
#define ZN_GATHER_DELAY_MS		60000
#define ZN_PUSH_PATHS_RELAYED_MS	15000
#define ZN_PUSH_PATHS_DIRECT_MS		120000
#define ZN_CONFIG_REFRESH_MS		60000
#define ZN_CRED_PUSH_MS			ZN_PEER_ACTIVITY_MS
#define ZN_CONTACT_MIN_MS		1000	/* HELLO to an unconfirmed address */
/* Roots: HELLO every 60 s (notes 11.2 recommend it for NATed nodes); a
 * root that leaves a HELLO unanswered for 10 s, or is silent for 90 s, is
 * dead and the next best one takes over. */
#define ZN_ROOT_HELLO_MS		60000
#define ZN_ROOT_REPLY_TIMEOUT_MS	10000
#define ZN_ROOT_ALIVE_MS		90000
/* Requests whose replies we accept stay this long. */
#define ZN_EXPECT_TIMEOUT_MS		60000
/* A root introduces a pair it relays for at most this often (notes 11.1). */
#define ZN_UNITE_MS			30000

/* ---- Drop reasons --------------------------------------------------------- */

/*
 * Declared once; each has a stage, which the counter invariants use:
 *   D  a datagram dropped before it became a packet
 *   P  a packet dropped before it authenticated
 *   Q  a packet that waited for its sender's identity and never got it
 *   V  an authenticated packet whose verb was refused
 *   T  something we were about to send
 */
#define foreach_zn_drop							\
	_(SHORT, D, "datagram too short")				\
	_(TOO_LONG, D, "datagram longer than any packet")		\
	_(JUNK, D, "4-byte NAT-opening junk")				\
	_(BEACON, D, "legacy LAN beacon")				\
	_(NOT_FOR_US, D, "destination is not us (leaves do not relay)")	\
	_(RELAY_HOPS, D, "relayed 3 times already")			\
	_(RELAY_UNKNOWN, D, "relay destination never said HELLO to us")	\
	_(RELAY_NO_PATH, D, "relay destination has no direct path")	\
	_(RELAY_LOOP, D, "relay back to its sender, or from our own address") \
	_(RELAY_RATE_LIMITED, D, "over the per-source relay rate")	\
	_(RELAY_SEND_FAILED, D, "wire_send failed while relaying")	\
	_(FRAGMENT, D, "fragment refused by reassembly")		\
	_(BAD_SOURCE, P, "reserved source address or our own")		\
	_(AUTH, P, "MAC did not verify")				\
	_(SUITE, P, "cipher suite not allowed here")			\
	_(LZ4, P, "payload does not decompress")			\
	_(HELLO_MALFORMED, P, "HELLO does not parse")			\
	_(HELLO_OLD_PROTOCOL, P, "HELLO from protocol version below 4")	\
	_(HELLO_ADDRESS_MISMATCH, P, "HELLO identity is not the source")	\
	_(HELLO_RATE_LIMITED, P, "unknown identity over the per-/24 check rate") \
	_(HELLO_BAD_IDENTITY, P, "HELLO identity fails validation")	\
	_(IDENTITY_COLLISION, P, "address claimed by a different identity") \
	_(PEER_TABLE_FULL, P, "no room for another peer")		\
	_(PLAIN_UNKNOWN, P, "dearmored by the dataplane for a peer since forgotten") \
	_(PENDING_TIMEOUT, Q, "sender unknown: WHOIS unanswered in 5 s") \
	_(PENDING_OVERFLOW, Q, "too many packets waiting for identities") \
	_(MALFORMED, V, "verb payload does not decode")			\
	_(UNKNOWN_VERB, V, "unknown verb")				\
	_(HELLO_ARMORED, V, "HELLO armored with a suite other than 0")	\
	_(UNSOLICITED_OK, V, "OK to nothing we asked")			\
	_(NOT_FROM_ROOT, V, "root-only verb from a non-root")		\
	_(RENDEZVOUS_UNKNOWN, V, "RENDEZVOUS names an unknown peer or bad address") \
	_(UNKNOWN_NETWORK, V, "network not joined")			\
	_(NO_CONFIG, V, "network not configured yet")			\
	_(GATE, V, "sender has no valid membership certificate")	\
	_(RULES, V, "dropped by the rules")				\
	_(BAD_MAC, V, "MAC not allowed (bridging rules)")		\
	_(MULTICAST_DISABLED, V, "network has multicast disabled")	\
	_(NOT_CONTROLLER, V, "network error or config not from its controller") \
	_(CHUNK_REJECTED, V, "config chunk refused")			\
	_(CONFIG_REJECTED, V, "config not for us, malformed or older")	\
	_(CONTROLLER_UNKNOWN, V, "controller identity not known yet")	\
	_(WORLD_REJECTED, V, "world update refused")			\
	_(RATE_LIMITED, V, "over a per-peer rate limit")		\
	_(CREDENTIAL_REJECTED, V, "credential does not verify or is stale") \
	_(TX_NO_PATH, T, "no path to the peer or any root")		\
	_(TX_TOO_BIG, T, "packet too large to send")			\
	_(TX_SEND_FAILED, T, "wire_send failed")			\
	_(TX_NO_NETWORK, T, "frame for a network not joined or configured") \
	_(TX_BAD_SOURCE_MAC, T, "frame source MAC not ours and not bridging") \
	_(TX_BROADCAST_DISABLED, T, "broadcast not enabled on the network") \
	_(TX_MULTICAST_DISABLED, T, "multicast disabled on the network (ml 0)") \
	_(TX_RULES, T, "frame dropped by the outbound rules")		\
	_(TX_UNKNOWN_PEER, T, "destination unknown and no room to wait") \
	_(TX_QUEUE_TIMEOUT, T, "frame waited 5 s for an identity")	\
	_(TX_NO_RECIPIENTS, T, "multicast had no recipients in 5 s")	\
	_(TX_BAD_FRAME, T, "frame malformed or too large")

enum zn_drop {
#define _(sym, stage, str) ZN_DROP_##sym,
	foreach_zn_drop
#undef _
	ZN_N_DROP
};

enum zn_stage { ZN_STAGE_D, ZN_STAGE_P, ZN_STAGE_Q, ZN_STAGE_V, ZN_STAGE_T };

/* ---- Rate limiting (ratelimit.c) ------------------------------------------- */

/* A token bucket as a theoretical arrival time (GCRA): `burst` events at
 * once, then one per `interval_ms`. Zeroed = full. */
struct zn_rl {
	uint64_t tat;
};

bool zn_rl_allow(struct zn_rl *rl, uint64_t now, uint32_t interval_ms,
		 uint32_t burst);

/* What remote peers can make us do (notes 11.8). */
#define ZN_RL_HELLO_VERIFY_MS		2000	/* per /24 or /48 */
#define ZN_RL_HELLO_VERIFY_BURST	2
#define ZN_RL_WHOIS_MS			100
#define ZN_RL_WHOIS_BURST		4
#define ZN_RL_ECHO_MS			166
#define ZN_RL_ECHO_BURST		2
#define ZN_RL_CRED_RX_MS		1000
#define ZN_RL_CRED_RX_BURST		3
#define ZN_RL_CRED_PUSH_MS		1000
#define ZN_RL_CRED_PUSH_BURST		1
#define ZN_RL_PUSH_PATHS_MS		3750	/* 8 per 30 s */
#define ZN_RL_PUSH_PATHS_BURST		8
#define ZN_RL_GATHER_REPLY_MS		100
#define ZN_RL_GATHER_REPLY_BURST	4
/* A root answers WHOIS for everyone behind it: a larger budget. */
#define ZN_RL_WHOIS_ROOT_MS		10
#define ZN_RL_WHOIS_ROOT_BURST		32
/* Relaying in the control thread is the slow path (the dataplane takes
 * relay routes later): 1000 datagrams/s per underlay source. */
#define ZN_RL_RELAY_MS			1
#define ZN_RL_RELAY_BURST		1000

/* ---- Peers (peer.c) ---------------------------------------------------------- */

struct zn_path {
	bool in_use;
	struct ztdp_inetaddr addr;
	uint64_t created;
	uint64_t last_send;
	uint64_t last_receive;
};

/* What we know about a peer on one of our networks. */
struct zn_membership {
	uint64_t nwid;			/* 0 = unused */
	uint64_t last_used;		/* LRU among a peer's memberships */
	bool has_com;
	struct ztdp_com com;		/* its newest valid COM */
	int64_t com_revoked_before;	/* COM revocation threshold */
	uint64_t last_gate_ok;		/* it passed the gate (trust) */
	/* The gate's answer for this COM against our config number
	 * gate_seq (0 = not worked out): the check hashes an identity, too
	 * dear to repeat for every frame. */
	uint64_t gate_seq;
	bool gate_ok;
	uint64_t last_cred_push;	/* we pushed our credentials */
	uint64_t last_like_sent;	/* we sent it our groups */
};

struct zn_peer {
	bool in_use;
	uint32_t hnext;			/* hash chain: index + 1, 0 = end */
	uint16_t live_pos;		/* its place in ztdp_node.live */
	uint64_t address;
	int root;			/* index in the planet's roots, or -1 */
	struct ztdp_identity id;	/* public key only */
	struct ztdp_peer_key key;
	bool version_known;
	uint8_t proto;
	uint8_t vmajor, vminor;
	uint16_t vrevision;
	int latency;			/* ms, -1 unknown */
	uint64_t created;
	uint64_t last_receive;		/* any authenticated packet */
	uint64_t last_send;
	uint64_t last_active;		/* frame/config traffic either way */
	uint64_t last_hello_sent;
	uint64_t hello_unanswered_since;	/* first HELLO since last receive */
	uint64_t last_contact;		/* HELLO/ECHO to an unconfirmed address */
	uint64_t last_push_paths;	/* we sent PUSH_DIRECT_PATHS */
	uint64_t last_revive;		/* probe of a stale direct path */
	struct zn_path paths[ZN_MAX_PATHS];
	struct zn_rl rl_whois, rl_echo, rl_cred_rx, rl_cred_push, rl_push_paths,
		rl_gather;
	struct zn_membership mship[ZN_PEER_MEMBERSHIPS];
};

/* Addresses being looked up with WHOIS. */
struct zn_whois {
	bool in_use;
	uint64_t address;
	uint64_t first;			/* when first wanted */
	uint64_t next_try;
	uint32_t backoff;
	unsigned int tries;
	/* A RENDEZVOUS named this peer before we knew it: go there once
	 * its identity arrives. */
	bool rendezvous;
	struct ztdp_inetaddr rendezvous_at;
};

/* A packet from an unknown sender, waiting for its identity. */
struct zn_pending {
	bool in_use;
	uint64_t source;
	uint64_t created;
	uint64_t seq;			/* arrival order, for replay */
	struct ztdp_inetaddr from;
	uint16_t len;
	uint8_t data[ZTDP_MAX_PACKET_LEN];
};

/* A frame to an unknown member, waiting for its identity. */
struct zn_txq {
	bool in_use;
	uint64_t to;
	uint64_t created;
	uint64_t nwid;
	uint64_t src_mac, dst_mac;
	uint16_t ethertype;
	uint16_t len;
	uint8_t data[ZN_FRAME_MAX];
};

/* ---- Networks (network.c, multicast.c) ------------------------------------ */

struct zn_gather_time {
	struct ztdp_mcast_group group;
	uint64_t last;
};

struct zn_network {
	bool in_use;
	uint64_t nwid;
	uint64_t mac;			/* ours on this network */
	enum ztdp_network_status status;
	struct ztdp_netconf *nc;	/* NULL until configured */
	uint64_t last_config;		/* received (0: cached, refresh soon) */
	uint64_t config_applied;	/* when the current config was applied */
	uint64_t config_seq;		/* counts applied configs, from 1 */
	uint64_t last_request;
	bool request_owed;		/* waiting for the controller's identity */
	struct ztdp_netconf_asm asm_;
	/* Derived from nc when it is applied. */
	bool bridge;			/* we are an active bridge */
	unsigned int ntags;
	struct ztdp_rule_tag tags[ZTDP_NETCONF_MAX_TAGS];
	unsigned int ncaps;
	struct ztdp_rules_set caps[ZTDP_NETCONF_MAX_CAPABILITIES];
	unsigned int ngroups;
	struct ztdp_mcast_group groups[ZN_MAX_GROUPS];
	uint64_t last_announce;
	struct zn_gather_time gathers[ZN_MAX_GATHERS];
};

/* Someone else's subscription (from MULTICAST_LIKE or gather results). */
struct zn_mc_sub {
	uint64_t nwid;			/* 0 = unused */
	struct ztdp_mcast_group group;
	uint64_t member;
	uint64_t expires;
};

/* A multicast sent before anyone was known to want it: sent again to
 * each member that gather results name, for up to 5 s. */
struct zn_mcq {
	bool in_use;
	uint64_t created;
	uint64_t nwid;
	struct ztdp_mcast_group group;
	uint64_t src_mac;
	uint16_t ethertype;
	uint16_t len;
	uint32_t gather;		/* implicit gather limit */
	unsigned int nsent;
	uint64_t sent[ZN_MCQ_MAX_SENT];
	uint8_t data[ZN_FRAME_MAX];
};

/* Bridged MAC -> the bridge that has it (notes 11.9). */
struct zn_bridge_route {
	uint64_t nwid;			/* 0 = unused */
	uint64_t mac;
	uint64_t bridge;
	uint64_t when;
};

/* ---- Reply matching (expect.c) -------------------------------------------- */

struct zn_expect {
	uint64_t id;			/* post-armor packet ID */
	uint64_t peer;			/* who must answer; 0 = anyone */
	uint64_t expires;
	uint8_t verb;			/* what we sent; 0xff = any */
};

/* ---- The node ------------------------------------------------------------- */

struct zn_external {
	bool in_use;
	struct ztdp_inetaddr addr;
	uint64_t reporter;
	uint64_t when;
};

/* Counters behind the invariants of ztdp_node_test_stats_consistent. */
struct zn_counters {
	uint64_t datagrams;		/* offered to process_wire */
	uint64_t pieces;		/* heads/fragments taken by reassembly */
	uint64_t whole;			/* whole packets straight from a datagram */
	uint64_t reassembled;		/* packets reassembly completed */
	uint64_t replayed;		/* pending packets handled again */
	uint64_t queued;		/* packets put in the pending queue */
	uint64_t authenticated;		/* packets that dearmored */
	uint64_t relayed;		/* datagrams a root passed on */
};

/* A pair of peers a root introduced (RENDEZVOUS to both), a < b. */
struct zn_unite {
	uint64_t a, b;
	uint64_t when;
};

struct ztdp_node {
	struct ztdp_node_callbacks cb;
	struct ztdp_identity self;	/* with private key */
	struct ztdp_identity self_pub;	/* public only, for HELLO */
	char self_text[ZTDP_IDENTITY_TEXT_MAX];
	uint16_t primary_port;
	unsigned int local_addr_count;
	struct ztdp_inetaddr local_addrs[4];
	uint64_t now;			/* of the last call */
	bool in_wire;			/* inside process_wire (no nesting) */

	/* Planet and roots. */
	struct ztdp_world planet;
	int best_root;			/* peer index, -1 */
	bool online;
	bool am_root;			/* our address is one of the planet's roots */
	struct zn_rl relay_rl[ZN_RELAY_RL_BUCKETS];
	struct zn_unite unite[ZN_UNITE_SLOTS];

	/* Peers. */
	struct zn_peer *peers;		/* ZN_MAX_PEERS */
	uint32_t peer_bucket[ZN_PEER_BUCKETS];
	unsigned int peer_count;
	/* Indices of the peers in use, so loops never walk the whole
	 * (mostly empty) table. */
	uint16_t live[ZN_MAX_PEERS];
	struct zn_rl hello_rl[ZN_HELLO_RL_BUCKETS];
	struct zn_whois whois[ZN_MAX_WHOIS];
	struct zn_pending *pending;	/* ZN_MAX_PENDING */
	struct zn_txq *txq;		/* ZN_MAX_TXQ */
	bool replay_due;		/* pending packets became decodable */
	uint64_t pending_seq;
	struct zn_external external[ZN_MAX_EXTERNAL];

	/* Networks. */
	struct ztdp_controller *ctl;	/* the networks we control */
	bool ctl_loaded;		/* its state was read (zn_controller) */
	struct zn_network *nets;	/* ZN_MAX_NETWORKS */
	struct ztdp_netconf *nc_scratch;	/* decode target, swapped in */
	struct zn_mc_sub *subs;		/* ZN_MAX_MC_SUBS */
	struct zn_mcq *mcq;		/* ZN_MAX_MCQ */
	struct zn_bridge_route *routes;	/* ZN_MAX_BRIDGE_ROUTES */

	/* Reply matching. */
	struct zn_expect expect[ZN_EXPECT_BUCKETS][ZN_EXPECT_WAYS];
	uint8_t expect_next[ZN_EXPECT_BUCKETS];

	/* Timers. */
	uint64_t next_housekeeping;

	/* Fragments. */
	struct ztdp_reasm *reasm;
	uint64_t hash_seed;

	/* Randomness for packet IDs: refilled from libsodium in blocks. */
	uint8_t rnd[4096];
	size_t rnd_used;

	/* Counters. */
	struct ztdp_node_stats stats;
	struct zn_counters ctr;
	uint64_t drops[ZN_N_DROP];

	/* Scratch buffers (one packet each), so nothing is allocated per
	 * packet. rx: the packet being handled (dearmored in place); dec: its
	 * decompressed form; tx: the packet being built; txc: its compressed
	 * form; dgram: one fragment on its way out. */
	uint8_t rx[ZTDP_MAX_PACKET_LEN];
	uint8_t dec[ZTDP_MAX_PACKET_LEN];
	uint8_t tx[ZTDP_MAX_PACKET_LEN];
	uint8_t txc[ZTDP_MAX_PACKET_LEN];
	uint8_t dgram[ZTDP_DEFAULT_PHYSMTU];
	struct ztdp_wr txw;
};

/* An authenticated packet being handled: plaintext, decompressed. */
struct zn_rx {
	uint64_t now;
	const struct ztdp_inetaddr *from;
	struct zn_peer *peer;
	const uint8_t *pkt;		/* header + payload */
	size_t len;
	const uint8_t *payload;		/* after the verb byte */
	size_t plen;
	uint64_t id;			/* packet ID as on the wire */
	unsigned int hops;
	unsigned int verb;
	unsigned int suite;
};

/* ---- node.c --------------------------------------------------------------- */

void zn_drop(struct ztdp_node *n, enum zn_drop why);
void zn_log(struct ztdp_node *n, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint64_t zn_random_u64(struct ztdp_node *n);
/* Handle a whole packet (reassembled if it was fragmented). */
void zn_handle_packet(struct ztdp_node *n, uint64_t now,
		      const struct ztdp_inetaddr *from, const uint8_t *data,
		      size_t len, bool replay);
bool zn_addr_usable(const struct ztdp_node *n, const struct ztdp_inetaddr *a);
/* Work that waited for an identity (queued packets, frames, config
 * requests); run at the end of every API call. */
void zn_deferred(struct ztdp_node *n, uint64_t now);
const char *zn_addr_str(const struct ztdp_inetaddr *a, char *buf, size_t n);

/* ---- send.c --------------------------------------------------------------- */

#define ZN_TX_COMPRESS		0x01	/* LZ4 when it helps */
#define ZN_TX_EXPECT_REPLY	0x02	/* remember the ID for the OK */

/* Start a packet to dest in n->tx; returns the writer for the payload. */
struct ztdp_wr *zn_tx_begin(struct ztdp_node *n, uint64_t dest, unsigned int verb);
/* Finish the packet in n->tx and send it to peer p, at `to` if given,
 * else on p's best path or through a root. Returns 0 or -1 (counted).
 * *id (if not NULL) gets the packet ID as sent. */
int zn_tx_send(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
	       const struct ztdp_inetaddr *to, unsigned int flags, uint64_t *id);
/* The same with an explicit key and suite, to an address (for replies to
 * a claimant whose identity we do not keep). */
int zn_tx_send_raw(struct ztdp_node *n, uint64_t now,
		   const struct ztdp_peer_key *key, unsigned int suite,
		   const struct ztdp_inetaddr *to);
/* Suite for everything but HELLO (errata: 3 once the peer's protocol is
 * known to be >= 12, else 1). */
unsigned int zn_suite_for(const struct zn_peer *p);
/* One raw datagram (the NAT-opening junk). */
void zn_send_junk(struct ztdp_node *n, const struct ztdp_inetaddr *to);
/* OK envelope: begin an OK to p in re (verb, id); returns the writer. */
struct ztdp_wr *zn_ok_begin(struct ztdp_node *n, struct zn_peer *p,
			    unsigned int in_re_verb, uint64_t in_re_id);
/* ERROR with a network id (or none if has_nwid is false). */
void zn_error_send(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
		   unsigned int in_re_verb, uint64_t in_re_id, uint8_t code,
		   bool has_nwid, uint64_t nwid);

/* ---- expect.c ------------------------------------------------------------- */

void zn_expect_add(struct ztdp_node *n, uint64_t now, uint64_t id,
		   uint64_t peer, unsigned int verb);
bool zn_expect_match(const struct ztdp_node *n, uint64_t now, uint64_t id,
		     uint64_t peer, unsigned int in_re_verb);

/* ---- peer.c --------------------------------------------------------------- */

struct zn_peer *zn_peer_find(struct ztdp_node *n, uint64_t address);
/* The k-th peer in use, k < n->peer_count. */
static inline struct zn_peer *zn_peer_at(const struct ztdp_node *n, unsigned int k)
{
	return &n->peers[n->live[k]];
}
/* Add a peer with a validated identity (builds its key). NULL if the
 * table is full of peers that cannot be evicted or the key fails. If
 * persist, the identity is written through state_put. */
struct zn_peer *zn_peer_learn(struct ztdp_node *n, uint64_t now,
			      const struct ztdp_identity *id,
			      const struct ztdp_peer_key *key, bool persist);
/* Known peer, or one from the identity cache (state_get), or NULL. */
struct zn_peer *zn_peer_lookup(struct ztdp_node *n, uint64_t now, uint64_t address);
void zn_peer_forget(struct ztdp_node *n, struct zn_peer *p);
unsigned int zn_peer_index(const struct ztdp_node *n, const struct zn_peer *p);
/* An authenticated packet came from p via `from` with `hops`: refresh or
 * learn the path (notes 11.4), bookkeeping. */
void zn_peer_received(struct ztdp_node *n, const struct zn_rx *rx);
struct zn_path *zn_path_find(struct zn_peer *p, const struct ztdp_inetaddr *a);
bool zn_path_alive(const struct zn_path *pa, uint64_t now);
/* Best direct path: alive ones first, then the freshest; NULL if none. */
struct zn_path *zn_path_best(struct zn_peer *p, uint64_t now, bool alive_only);
void zn_peers_housekeeping(struct ztdp_node *n, uint64_t now);
/* Look an address up (WHOIS to the best root, retried with backoff). */
void zn_whois_want(struct ztdp_node *n, uint64_t now, uint64_t address);
void zn_whois_tick(struct ztdp_node *n, uint64_t now);
/* Remember where a RENDEZVOUS told us to meet a peer we are looking up. */
void zn_whois_rendezvous(struct ztdp_node *n, uint64_t address,
			 const struct ztdp_inetaddr *at);
/* An identity arrived: drop the WHOIS and make waiting packets due. */
void zn_whois_done(struct ztdp_node *n, uint64_t now, uint64_t address);
/* Keep a packet from an unknown sender until its identity comes. */
void zn_pending_add(struct ztdp_node *n, uint64_t now, uint64_t source,
		    const struct ztdp_inetaddr *from, const uint8_t *data,
		    size_t len);
/* Handle waiting packets whose senders are now known; drop timed-out. */
void zn_pending_run(struct ztdp_node *n, uint64_t now);
unsigned int zn_pending_live(const struct ztdp_node *n);
/* Earliest WHOIS retry due (UINT64_MAX if none), for ztdp_node_tick. */
uint64_t zn_whois_next(const struct ztdp_node *n, uint64_t now);
/* WHOIS and OK(WHOIS). */
void zn_whois_receive(struct ztdp_node *n, const struct zn_rx *rx);
void zn_ok_whois_receive(struct ztdp_node *n, const struct zn_rx *rx,
			 const uint8_t *body, size_t len);
bool zn_peer_is_root(const struct zn_peer *p);
/* Membership record for (p, nwid); create it if asked (LRU eviction). */
struct zn_membership *zn_membership(struct zn_peer *p, uint64_t nwid,
				    uint64_t now, bool create);
bool zn_peer_active(const struct zn_peer *p, uint64_t now);
uint64_t zn_source_key(const struct ztdp_node *n, const struct ztdp_inetaddr *a);

/* ---- hello.c -------------------------------------------------------------- */

/* Send HELLO to p at `to` (NULL: best path or through a root). */
void zn_hello_send(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
		   const struct ztdp_inetaddr *to);
/* A suite-0 packet whose clear verb is HELLO (not yet authenticated). */
void zn_hello_receive(struct ztdp_node *n, uint64_t now,
		      const struct ztdp_inetaddr *from, uint8_t *pkt,
		      size_t len);
void zn_ok_hello_receive(struct ztdp_node *n, const struct zn_rx *rx,
			 const uint8_t *body, size_t len);
void zn_echo_receive(struct ztdp_node *n, const struct zn_rx *rx);
void zn_ok_echo_receive(struct ztdp_node *n, const struct zn_rx *rx,
			const uint8_t *body, size_t len);
/* Reach p at an address: ECHO if its protocol allows, else HELLO. */
void zn_contact(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
		const struct ztdp_inetaddr *at, bool force_hello);
/* Create the root peers from the planet. */
int zn_roots_init(struct ztdp_node *n, uint64_t now);
bool zn_root_alive(const struct zn_peer *p, uint64_t now);
/* Best root peer (lowest latency among live ones), or NULL. */
struct zn_peer *zn_best_root(struct ztdp_node *n, uint64_t now);
void zn_keepalive_tick(struct ztdp_node *n, uint64_t now);
/* The address of a root we may send to when it has no path yet. */
const struct ztdp_inetaddr *zn_root_endpoint(const struct ztdp_node *n,
					     const struct zn_peer *p);

/* ---- network.c ------------------------------------------------------------ */

struct zn_network *zn_network_find(struct ztdp_node *n, uint64_t nwid);
void zn_network_tick(struct ztdp_node *n, uint64_t now);
void zn_config_chunk_receive(struct ztdp_node *n, const struct zn_rx *rx,
			     const uint8_t *body, size_t len, bool is_push,
			     bool via_ok);
void zn_error_receive(struct ztdp_node *n, const struct zn_rx *rx);
void zn_credentials_receive(struct ztdp_node *n, const struct zn_rx *rx);
/* Does p belong on net (notes 9.3)? Records trust and announces our
 * groups when it does. */
bool zn_gate(struct ztdp_node *n, uint64_t now, struct zn_network *net,
	     struct zn_peer *p);
/* Take a COM presented by p (NETWORK_CREDENTIALS or inline). */
bool zn_com_accept(struct ztdp_node *n, uint64_t now, struct zn_network *net,
		   struct zn_peer *p, const struct ztdp_com *com);
/* Push our credentials to p if it has not had them since the last config
 * or for 500 s (or always if force, rate limited). */
void zn_credentials_push(struct ztdp_node *n, uint64_t now,
			 struct zn_network *net, struct zn_peer *p, bool force);
/* Ask for the config now (WHOIS the controller first if needed). */
void zn_config_request(struct ztdp_node *n, uint64_t now, struct zn_network *net);
/* Config requests that waited for a controller identity now known. */
void zn_network_owed(struct ztdp_node *n, uint64_t now);
bool zn_peer_trusted(const struct zn_peer *p, uint64_t now);
static inline uint64_t zn_controller_of(uint64_t nwid)
{
	return nwid >> 24;
}
/* Our own controller answers for net without the wire: our request, or
 * (push) a change it made. Does not sync the controller. */
void zn_config_from_self(struct ztdp_node *n, uint64_t now, struct zn_network *net,
			 bool push);
/* A revocation signed by net's controller (from the wire or our own). */
void zn_revocation_accept(struct ztdp_node *n, uint64_t now,
			  const struct ztdp_revocation *rev);

/* ---- node_controller.c ---------------------------------------------------- */

/* Create the controller (create/destroy). */
int zn_controller_init(struct ztdp_node *n);
void zn_controller_fini(struct ztdp_node *n);
/* The controller, its state read through state_get on first use. */
struct ztdp_controller *zn_controller(struct ztdp_node *n);
/* NETWORK_CONFIG_REQUEST: ours to answer, or UNSUPPORTED_OPERATION. */
void zn_config_request_receive(struct ztdp_node *n, const struct zn_rx *rx);
/* Send the controller's revocations and config pushes; _sync also stores
 * its state if it changed (housekeeping, administrator's changes). */
void zn_controller_send(struct ztdp_node *n, uint64_t now);
void zn_controller_sync(struct ztdp_node *n, uint64_t now);

/* ---- frame.c -------------------------------------------------------------- */

void zn_frame_receive(struct ztdp_node *n, const struct zn_rx *rx);
void zn_ext_frame_receive(struct ztdp_node *n, const struct zn_rx *rx);
/* Send a unicast Ethernet frame to member `to` on net (FRAME when both
 * MACs are derived ones, EXT_FRAME otherwise). */
int zn_frame_send(struct ztdp_node *n, uint64_t now, struct zn_network *net,
		  uint64_t to, uint64_t src_mac, uint64_t dst_mac,
		  uint16_t ethertype, const uint8_t *data, size_t len,
		  uint8_t ext_flags, bool force_ext);
/* Frames waiting for an identity that arrived. */
void zn_txq_run(struct ztdp_node *n, uint64_t now);
void zn_txq_expire(struct ztdp_node *n, uint64_t now);
/* Deliver an inbound frame after the gate: MAC checks, rules, callback.
 * com_ok: the peer passed the gate. */
void zn_frame_deliver(struct ztdp_node *n, const struct zn_rx *rx,
		      struct zn_network *net, uint64_t src_mac,
		      uint64_t dst_mac, uint16_t ethertype,
		      const uint8_t *data, size_t len, bool multicast);
void zn_bridge_route_learn(struct ztdp_node *n, uint64_t now, uint64_t nwid,
			   uint64_t mac, uint64_t bridge);
/* Rules environment for net (our tags, our COOs). */
void zn_rules_env(struct ztdp_node *n, struct zn_network *net,
		  struct ztdp_rules_env *env, bool inbound);
/* TEE/WATCH/REDIRECT copies a verdict asks for. */
void zn_rules_copies(struct ztdp_node *n, uint64_t now, struct zn_network *net,
		     const struct ztdp_rules_verdict *v, uint64_t src_mac,
		     uint64_t dst_mac, uint16_t ethertype, const uint8_t *data,
		     size_t len);

/* ---- multicast.c ---------------------------------------------------------- */

/* Recompute our groups from the config; announce if they changed. */
void zn_groups_update(struct ztdp_node *n, uint64_t now, struct zn_network *net);
/* Send our groups of net to one peer. */
void zn_like_send(struct ztdp_node *n, uint64_t now, struct zn_network *net,
		  struct zn_peer *p);
/* Announce to the controller and roots (and gated members) if due. */
void zn_multicast_tick(struct ztdp_node *n, uint64_t now, bool force_net_only,
		       struct zn_network *only);
void zn_like_receive(struct ztdp_node *n, const struct zn_rx *rx);
void zn_ok_gather_receive(struct ztdp_node *n, const struct zn_rx *rx,
			  const uint8_t *body, size_t len);
void zn_ok_mc_frame_receive(struct ztdp_node *n, const struct zn_rx *rx,
			    const uint8_t *body, size_t len);
void zn_mc_frame_receive(struct ztdp_node *n, const struct zn_rx *rx);
void zn_gather_receive(struct ztdp_node *n, const struct zn_rx *rx);
int zn_multicast_send(struct ztdp_node *n, uint64_t now, struct zn_network *net,
		      uint64_t src_mac, uint64_t dst_mac, uint16_t ethertype,
		      const uint8_t *data, size_t len);
void zn_mc_sub_add(struct ztdp_node *n, uint64_t now, uint64_t nwid,
		   struct ztdp_mcast_group g, uint64_t member);
void zn_mc_sub_remove(struct ztdp_node *n, uint64_t nwid,
		      struct ztdp_mcast_group g, uint64_t member);
void zn_mc_expire(struct ztdp_node *n, uint64_t now);
void zn_mc_forget_network(struct ztdp_node *n, uint64_t nwid);

/* ---- root.c --------------------------------------------------------------- */

/* A datagram (packet or fragment) whose destination is not us: a root
 * relays it, anyone else drops it. Counts it as relayed or as one drop. */
void zn_relay(struct ztdp_node *n, uint64_t now, const struct ztdp_inetaddr *from,
	      const uint8_t *data, size_t len, bool fragment);

/* ---- nat.c ---------------------------------------------------------------- */

void zn_rendezvous_receive(struct ztdp_node *n, const struct zn_rx *rx);
void zn_push_paths_receive(struct ztdp_node *n, const struct zn_rx *rx);
/* After any packet from a trusted peer: push our addresses if due. */
void zn_push_paths_maybe(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
			 bool relayed);
/* A peer told us how it sees us (HELLO dest / OK(HELLO) address). */
void zn_external_report(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
			const struct ztdp_inetaddr *seen);

#endif /* ZTDP_NODE_INTERNAL_H */
