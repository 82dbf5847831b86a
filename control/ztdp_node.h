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

struct ztdp_node;
struct ztdp_netconf;

/* What the node persists, each under a (kind, id) name. */
enum ztdp_state_kind {
	ZTDP_STATE_IDENTITY_SECRET,	/* id 0; text form, 0600 */
	ZTDP_STATE_IDENTITY_PUBLIC,	/* id 0; text form */
	ZTDP_STATE_PLANET,		/* id 0; binary World */
	ZTDP_STATE_NETWORK_CONFIG,	/* id = nwid; the last good config
					 * Dictionary, or empty when joined but
					 * not configured yet */
	ZTDP_STATE_PEER,		/* id = address; public identity text */
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
/* Run timers (HELLO, keepalives, WHOIS retries, config refresh, path
 * expiry, multicast LIKE refresh). Returns the ms until it wants to run
 * again. */
uint64_t ztdp_node_tick(struct ztdp_node *node, uint64_t now);

/* Join re-reads any cached config through state_get and applies it at
 * once, then asks the controller. 0, or -1 for a bad network ID. */
int ztdp_node_join(struct ztdp_node *node, uint64_t now, uint64_t nwid);
int ztdp_node_leave(struct ztdp_node *node, uint64_t now, uint64_t nwid);

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

const char *ztdp_network_status_name(enum ztdp_network_status s);
const char *ztdp_peer_role_name(enum ztdp_peer_role r);

#endif /* ZTDP_NODE_H */
