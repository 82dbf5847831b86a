/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ZeroTier node: the control plane's protocol state machine.
 *
 * Like ZeroTierOne's node/, it does no I/O of its own and never reads a
 * clock: the control thread hands it datagrams, frames, RPC requests and
 * the time, and it answers through callbacks (send a datagram, deliver a
 * frame, store state). So the same code runs inside the DPDK appliance,
 * in unit tests driven by recorded captures, and between in-memory peers.
 *
 * One thread owns a node; nothing here is thread-safe, by design.
 */
#ifndef ZTDP_NODE_H
#define ZTDP_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ztdp_identity.h"
#include "ztdp_inetaddr.h"
#include "ztdp_mac.h"

struct ztdp_node;
struct ztdp_netconf;
struct ztdp_controller;

/* What the node persists, each under a (kind, id) name. */
enum ztdp_state_kind {
	ZTDP_STATE_IDENTITY_SECRET,	/* id 0; text form, 0600 */
	ZTDP_STATE_IDENTITY_PUBLIC,	/* id 0; text form */
	ZTDP_STATE_PLANET,		/* id 0; binary World */
	ZTDP_STATE_NETWORK_CONFIG,	/* id = nwid; the last good config
					 * Dictionary, or empty when joined but
					 * not configured yet */
	ZTDP_STATE_PEER,		/* id = address; public identity text */
	ZTDP_STATE_CONTROLLER,		/* id 0; the embedded controller's
					 * networks and members, JSON
					 * (ztdp_controller.h), 0600 */
};

/* Network status as zerotier-cli shows it. */
enum ztdp_network_status {
	ZTDP_NETWORK_REQUESTING_CONFIGURATION,
	ZTDP_NETWORK_OK,
	ZTDP_NETWORK_ACCESS_DENIED,
	ZTDP_NETWORK_NOT_FOUND,
	ZTDP_NETWORK_PORT_ERROR,
	ZTDP_NETWORK_CLIENT_TOO_OLD,
	ZTDP_NETWORK_AUTHENTICATION_REQUIRED,
};

/* Peer role as zerotier-cli listpeers shows it. */
enum ztdp_peer_role {
	ZTDP_PEER_LEAF,
	ZTDP_PEER_MOON,
	ZTDP_PEER_PLANET,
};

struct ztdp_node_callbacks {
	void *ctx;
	/* Send one UDP datagram from our primary port. ttl 0 = default; the
	 * NAT-opening junk of RENDEZVOUS asks for 2. Returns 0 or -1. */
	int (*wire_send)(void *ctx, const struct ztdp_inetaddr *to,
			 const void *data, size_t len, unsigned int ttl);
	/* An Ethernet frame for the L2 port (FRAME, EXT_FRAME,
	 * MULTICAST_FRAME that passed the gate and the rules). May be NULL. */
	void (*frame_deliver)(void *ctx, uint64_t nwid, uint64_t src_mac,
			      uint64_t dst_mac, uint16_t ethertype,
			      const void *payload, size_t len);
	/* A network was joined, configured, reconfigured or left (nc NULL):
	 * the appliance sets MTU, addresses and routes on the L2 port. May be
	 * NULL. */
	void (*network_changed)(void *ctx, uint64_t nwid,
				const struct ztdp_netconf *nc);
	/* Persist (len > 0), or delete (data NULL, len 0), atomically. */
	int (*state_put)(void *ctx, enum ztdp_state_kind kind, uint64_t id,
			 const void *data, size_t len);
	/* Read into buf; returns the length, or -1 if absent. */
	ssize_t (*state_get)(void *ctx, enum ztdp_state_kind kind, uint64_t id,
			     void *buf, size_t cap);
	/* One log line, without newline. level as syslog (3 err .. 7 debug).
	 * May be NULL. */
	void (*log)(void *ctx, int level, const char *msg);
};

struct ztdp_node_config {
	/* Our identity; the node keeps a copy. Loading or generating it is the
	 * caller's job (control/state.c), so tests can pass fixed ones. */
	const struct ztdp_identity *identity;
	/* Planet as a binary World; NULL = the embedded default planet. */
	const uint8_t *planet;
	size_t planet_len;
	/* Our primary UDP port, as we tell peers. */
	uint16_t primary_port;
	/* Our own underlay addresses, pushed to peers in PUSH_DIRECT_PATHS. */
	unsigned int local_addr_count;
	struct ztdp_inetaddr local_addrs[4];
};

int ztdp_node_create(struct ztdp_node **out, const struct ztdp_node_config *cfg,
		     const struct ztdp_node_callbacks *cb, uint64_t now);
void ztdp_node_destroy(struct ztdp_node *node);

/* A UDP payload that arrived from `from` on the underlay. */
void ztdp_node_process_wire(struct ztdp_node *node, uint64_t now,
			    const struct ztdp_inetaddr *from,
			    const uint8_t *data, size_t len);
/* An Ethernet frame from the L2 port for network nwid. Returns 0 if sent
 * (or queued), -1 if dropped. */
int ztdp_node_process_frame(struct ztdp_node *node, uint64_t now,
			    uint64_t nwid, uint64_t src_mac, uint64_t dst_mac,
			    uint16_t ethertype, const void *payload, size_t len);
/* A whole packet (header and payload, fragments already put together)
 * that a fast path reassembled but did not authenticate: its sender is
 * unknown to the fast path, or it is a HELLO. */
void ztdp_node_process_packet(struct ztdp_node *node, uint64_t now,
			      const struct ztdp_inetaddr *from,
			      const uint8_t *data, size_t len);
/* A packet a fast path already dearmored with the key from
 * ztdp_node_fastpath_peers (it may still be compressed): a verb the fast
 * path leaves to the node, or a frame it could not decide. */
void ztdp_node_process_plain(struct ztdp_node *node, uint64_t now,
			     const struct ztdp_inetaddr *from,
			     const uint8_t *data, size_t len);
/* Run timers (HELLO, keepalives, WHOIS retries, config refresh, path
 * expiry, multicast LIKE refresh). Returns the ms until it wants to run
 * again. */
uint64_t ztdp_node_tick(struct ztdp_node *node, uint64_t now);

/* Join re-reads any cached config through state_get and applies it at
 * once, then asks the controller. 0, or -1 for a bad network ID. */
int ztdp_node_join(struct ztdp_node *node, uint64_t now, uint64_t nwid);
int ztdp_node_leave(struct ztdp_node *node, uint64_t now, uint64_t nwid);

/* --- Teaching a fast path ---------------------------------------------
 * The appliance copies these into the dataplane's tables; the node stays
 * the authority and the fast path hands it whatever it cannot decide. */

struct ztdp_node_fastpath_peer {
	uint64_t address;
	uint8_t key[48];		/* agreed key (secret: wipe copies) */
	uint8_t suite;			/* what the node would send with */
	struct ztdp_inetaddr to;	/* direct path, or the relaying root's */
	bool direct;
};

/* Peers a fast path may exchange frames with: every non-root peer with a
 * live direct path or a root to relay through. Fills up to max; returns
 * how many there are. */
unsigned int ztdp_node_fastpath_peers(struct ztdp_node *node, uint64_t now,
				      struct ztdp_node_fastpath_peer *out,
				      unsigned int max);
/* The membership gate as the node last decided it for the current config:
 * 1 pass, 0 not (or not worked out yet), -1 unknown peer or network. */
int ztdp_node_fastpath_gate(struct ztdp_node *node, uint64_t address, uint64_t nwid);
/* Every live multicast subscription of other members. */
void ztdp_node_fastpath_subscriptions(const struct ztdp_node *node, uint64_t now,
				      void (*cb)(void *ctx, uint64_t nwid,
						 struct ztdp_mcast_group g,
						 uint64_t member),
				      void *ctx);
/* The config the node applied for nwid (owned by the node, valid until
 * its next call), or NULL. */
const struct ztdp_netconf *ztdp_node_network_config(struct ztdp_node *node, uint64_t nwid);
/* The fast path carried traffic from (sent false) or to (sent true) a
 * peer: keep it active, and push our credentials to it when due. */
void ztdp_node_fastpath_activity(struct ztdp_node *node, uint64_t now,
				 uint64_t address, bool sent);

/* --- The embedded controller ------------------------------------------
 * Every node controls the networks whose ID starts with its address
 * (ztdp_controller.h); its state is kept under ZTDP_STATE_CONTROLLER.
 * Change it through ztdp_controller.h's functions, then call
 * ztdp_node_controller_sync, which stores the change and sends what it
 * calls for (config pushes, revocations). What members' requests change
 * (new members, their versions) is stored at the next housekeeping tick.
 * The node can join its own networks: those requests are answered
 * without the wire. The state is read at the first use. */

struct ztdp_controller *ztdp_node_controller(struct ztdp_node *node);
void ztdp_node_controller_sync(struct ztdp_node *node, uint64_t now);

/* --- Queries, for JSON-RPC and telemetry ------------------------------ */

struct ztdp_node_info {
	uint64_t address;
	char public_identity[ZTDP_IDENTITY_TEXT_MAX];
	bool online;			/* a root answered recently */
	uint64_t clock;			/* the `now` of the last call */
	uint64_t planet_world_id;
	uint64_t planet_timestamp;
};

struct ztdp_network_info {
	uint64_t nwid;
	uint64_t mac;
	char name[128];
	enum ztdp_network_status status;
	bool is_public;			/* type */
	bool bridge;			/* we are an active bridge on it */
	bool broadcast_enabled;
	uint32_t mtu;
	uint64_t netconf_revision;
	unsigned int assigned_count;
	struct ztdp_inetaddr assigned[16];	/* port = prefix length */
	unsigned int route_count;
	struct {
		struct ztdp_inetaddr target;	/* port = prefix length */
		struct ztdp_inetaddr via;	/* family 0 if none */
		uint16_t flags;
		uint16_t metric;
	} routes[32];
};

struct ztdp_path_info {
	struct ztdp_inetaddr addr;
	uint64_t last_send;
	uint64_t last_receive;
	bool active;
	bool preferred;
};

struct ztdp_peer_info {
	uint64_t address;
	enum ztdp_peer_role role;
	int latency;			/* ms, -1 if unknown */
	int version_major, version_minor, version_revision;	/* -1 if unknown */
	unsigned int proto_version;
	unsigned int path_count;
	struct ztdp_path_info paths[8];
};

/* Counters, for stats and rte_telemetry. */
struct ztdp_node_stats {
	uint64_t rx_packets, tx_packets;
	uint64_t rx_auth_failed, rx_dropped;
	uint64_t rx_by_verb[32];
	uint64_t tx_by_verb[32];
	uint64_t whois_sent, hello_sent;
	uint64_t rate_limited;
	uint64_t relayed;		/* datagrams we relayed as a root */
};

void ztdp_node_info(const struct ztdp_node *node, struct ztdp_node_info *info);
/* Fill up to max entries; return how many exist in all. */
unsigned int ztdp_node_networks(const struct ztdp_node *node,
				struct ztdp_network_info *out, unsigned int max);
int ztdp_node_network(const struct ztdp_node *node, uint64_t nwid,
		      struct ztdp_network_info *out);
unsigned int ztdp_node_peers(const struct ztdp_node *node,
			     struct ztdp_peer_info *out, unsigned int max);
int ztdp_node_peer(const struct ztdp_node *node, uint64_t address,
		   struct ztdp_peer_info *out);
void ztdp_node_stats(const struct ztdp_node *node, struct ztdp_node_stats *out);

/* Drops by reason (each reason declared once in control/node_internal.h):
 * reasons are 0 .. ztdp_node_drop_reasons() - 1; the id is a short symbol
 * ("AUTH"), the name one line of text ("MAC did not verify"). rx_dropped
 * is the sum of the receive-side reasons; TX_* reasons count what we did
 * not send. */
unsigned int ztdp_node_drop_reasons(void);
const char *ztdp_node_drop_id(unsigned int reason);
const char *ztdp_node_drop_name(unsigned int reason);
uint64_t ztdp_node_drop_count(const struct ztdp_node *node, unsigned int reason);

/* --- Root role ----------------------------------------------------------
 * A node whose identity is one of its planet's roots relays packets and
 * fragments addressed to other peers (hop count + 1, never decrypted) to
 * their direct paths, and introduces pairs it relays for with RENDEZVOUS. */

bool ztdp_node_is_root(const struct ztdp_node *node);
/* The direct path a root relays to `address` on at `now` (its freshest
 * unexpired path), for publishing relay routes to a fast path: 0 and
 * *out, or -1 if the peer is unknown or has none. A fast path that relays
 * must do what the node does: hops + 1, and drop at 3 hops already. */
int ztdp_node_peer_best_path(struct ztdp_node *node, uint64_t now, uint64_t address,
			     struct ztdp_inetaddr *out);

const char *ztdp_network_status_name(enum ztdp_network_status s);
const char *ztdp_peer_role_name(enum ztdp_peer_role r);

#endif /* ZTDP_NODE_H */
