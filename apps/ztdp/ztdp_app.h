/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ztdp appliance: what its files share, grouped by the file that
 * implements it.
 *
 *   main.c            EAL, options, start-up order, signals, shutdown
 *   config.c          command line and JSON configuration
 *   port.c            the underlay port and its mbuf pool
 *   underlay.c        ARP/ND/ICMP and IP/UDP headers (ztdp_underlay.h)
 *   l2.c              the networks' L2 ports (TAP addresses and routes)
 *   publish.c         copying the node's decisions into the dataplane
 *   control_thread.c  the node, state, JSON-RPC and the wire_send path
 *   telemetry.c       /ztdp/... telemetry commands
 *
 * Threads: the data lcores (dataplane/) poll the underlay and L2 ports;
 * the control thread (a DPDK control thread, not an lcore) owns the node,
 * the neighbour cache, the state directory and the RPC socket. They meet
 * at two rte_rings of mbufs (lcores -> control: what the fast path cannot
 * decide; control -> lcore 0: everything the control thread sends) and at
 * the dataplane's RCU tables, which only the control thread writes.
 */
#ifndef ZTDP_APP_H
#define ZTDP_APP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_ring.h>

#include "ztdp_node.h"
#include "ztdp_underlay.h"

#define ZTDP_PROG		"ztdp"
#define ZTDP_BURST		32
#define ZTDP_MAX_JOIN		64
#define ZTDP_DEFAULT_STATE_DIR	"/var/lib/ztdp"
#define ZTDP_DEFAULT_MTU	1500
#define ZTDP_DEFAULT_IDLE_SLEEP_MAX_US 200
/* Mbuf data room: an underlay frame, or an L2 frame at ZeroTier's default
 * MTU (2800) in one segment; larger ones are linearized by the dataplane. */
#define ZTDP_MBUF_DATA_ROOM	3072

/* --- Logging (main.c) ----------------------------------------------------
 * Levels are syslog's (3 err .. 7 debug), as the node and RPC libraries
 * use; they map onto the "ztdp" rte_log type. */
extern int ztdp_logtype;
void ztdp_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, shaped as the libraries' log callbacks (ctx unused). */
void ztdp_log_line(void *ctx, int level, const char *msg);

/* --- Configuration (config.c) ------------------------------------------- */

/* What a network's L2 side is (--l2 NWID=SPEC). */
enum ztdp_l2_kind {
	ZTDP_L2_VETH,		/* a kernel veth pair ztdp creates, polled
				 * with net_af_packet (default: full MTU) */
	ZTDP_L2_TAP,		/* a net_tap interface ztdp creates */
	ZTDP_L2_PORT,		/* a DPDK port EAL already has (by id or name) */
	ZTDP_L2_VDEV,		/* a vdev ztdp creates from devargs */
	ZTDP_L2_NONE,		/* no L2 side: the node only */
};

struct ztdp_l2_spec {
	uint64_t nwid;
	enum ztdp_l2_kind kind;
	char arg[256];		/* VETH, TAP: interface name ("" = zt<nwid>);
				 * PORT: id or name; VDEV: devargs */
};

struct ztdp_app_config {
	char config_path[PATH_MAX];
	char state_dir[PATH_MAX];
	char planet_path[PATH_MAX];	/* "" = state dir's, else embedded */
	char rpc_socket[PATH_MAX];	/* "" = <state_dir>/ztdp.sock */
	unsigned int join_count;
	uint64_t join[ZTDP_MAX_JOIN];
	uint16_t port_id;		/* DPDK port of the underlay */
	bool has_ip4, has_ip6, has_gw4, has_gw6;
	uint8_t ip4[4], prefix4, gw4[4];
	uint8_t ip6[16], prefix6, gw6[16];
	uint16_t primary_port;		/* ZeroTier UDP port */
	uint16_t mtu;			/* underlay IP MTU */
	unsigned int mbufs;		/* 0 = sized from available memory */
	int log_level;			/* syslog level */
	bool idle_backoff;
	unsigned int idle_sleep_max_us;
	/* L2 sides of networks; joined networks without one get a TAP. */
	unsigned int l2_count;
	struct ztdp_l2_spec l2[ZTDP_MAX_JOIN];
	/* Put the managed addresses, routes and MTU on TAP interfaces, as
	 * zerotier-one does (allowManaged). */
	bool manage_addresses;
};

/* Parse "tap", "tap:IFNAME", "port:N|NAME", "vdev:DEVARGS" or "none".
 * 0 or -1 with err. */
int ztdp_l2_spec_parse(struct ztdp_l2_spec *spec, const char *v, const char *what,
		       char *err, size_t errlen);

/* Defaults, then the JSON file named by --config, then the other options
 * (the command line wins; --join adds to the file's list). Returns 0, 1
 * when --help or --version was answered on stdout, or -1 with one line in
 * err. Checks everything that can be checked before EAL start-up. */
int ztdp_config_from_args(struct ztdp_app_config *cfg, int argc, char **argv,
			  char *err, size_t errlen);
/* Apply a JSON configuration file on top of cfg. 0 or -1 with err. */
int ztdp_config_load_file(struct ztdp_app_config *cfg, const char *path,
			  char *err, size_t errlen);
void ztdp_config_usage(FILE *out);
/* "error" .. "debug" or 3..7 -> syslog level; -1 if neither. */
int ztdp_config_parse_log_level(const char *s);

/* --- The port (port.c) -------------------------------------------------- */

struct rte_mempool;

struct ztdp_port {
	uint16_t port_id;
	bool started;
	uint8_t mac[ZTDP_ETH_ALEN];
	uint16_t mtu;			/* what the port accepted */
	uint16_t nb_rxd, nb_txd;
	unsigned int ring_size;		/* for the two rings */
	unsigned int nb_mbufs;
	struct rte_mempool *pool;
	char name[64];
	char driver[32];
};

/* Size the pool from want (0 = from available memory), create it, set the
 * port up with one RX and one TX queue, no RSS and no offloads, and start
 * it. 0, or -1 with one line in err (port_close then undoes what was
 * done). */
int ztdp_port_open(struct ztdp_port *p, uint16_t port_id, uint16_t mtu,
		   unsigned int want_mbufs, char *err, size_t errlen);
void ztdp_port_close(struct ztdp_port *p);

/* --- L2 sides of networks (l2.c) ---------------------------------------- */

#define ZTDP_L2_MAX_ADDRS	16
#define ZTDP_L2_MAX_ROUTES	32

struct ztdp_l2 {
	uint64_t nwid;
	enum ztdp_l2_kind kind;
	uint16_t port_id;
	uint16_t rx_queues, tx_queues;
	bool created;			/* we made the vdev: remove it on close */
	bool started;
	bool is_tap;			/* a kernel interface we manage (TAP or veth) */
	bool is_veth;
	char devname[64];
	char ifname[16];		/* the kernel interface */
	char peername[16];		/* veth: the end DPDK polls */
	int ifindex;
	uint64_t mac;			/* ours on the network */
	uint32_t mtu;			/* the network's, last applied */
	uint32_t port_mtu;		/* what the port takes (<= mtu: net_tap 1500) */
	/* What we put on the interface, to take off when it changes. */
	unsigned int addr_count;
	struct ztdp_inetaddr addrs[ZTDP_L2_MAX_ADDRS];
	unsigned int route_count;
	struct {
		struct ztdp_inetaddr target, via;
	} routes[ZTDP_L2_MAX_ROUTES];
};

/* Find or make the port (index numbers the vdevs we make). 0 or -1. */
int ztdp_l2_open(struct ztdp_l2 *l2, const struct ztdp_l2_spec *spec, uint64_t mac,
		 unsigned int index, char *err, size_t errlen);
/* Queues for the data lcores, start. 0 or -1. */
int ztdp_l2_start(struct ztdp_l2 *l2, unsigned int lcores, struct rte_mempool *pool,
		  char *err, size_t errlen);
/* Follow the network's config: MTU, and on a TAP (when manage) the
 * managed addresses and routes. ni NULL: the network is gone. */
void ztdp_l2_apply(struct ztdp_l2 *l2, const struct ztdp_network_info *ni, bool manage);
void ztdp_l2_close(struct ztdp_l2 *l2);

/* --- Teaching the fast path (publish.c) -------------------------------- */

struct ztdp_dp;
struct ztdp_publish;

struct ztdp_publish_env {
	struct ztdp_node *node;
	struct ztdp_dp *dp;
	/* The underlay MAC of the next hop towards `to`: 0 with mac, or -1
	 * when not resolved yet (the callee asks for it). */
	int (*next_hop_mac)(void *ctx, const struct ztdp_inetaddr *to, uint8_t mac[6]);
	void *ctx;
	/* Networks the dataplane has (their index is the gate bit). */
	const uint64_t *nwids;
	unsigned int nwid_count;
};

struct ztdp_publish_stats {
	uint64_t passes;
	uint64_t peer_writes, peer_removals, peer_write_failures;
	uint64_t gate_writes, group_writes;
};

int ztdp_publish_create(struct ztdp_publish **out, const struct ztdp_publish_env *env);
void ztdp_publish_destroy(struct ztdp_publish *p);
/* One pass (now: the node's clock; mono: monotonic ms). */
void ztdp_publish_run(struct ztdp_publish *p, uint64_t now, uint64_t mono);
const struct ztdp_publish_stats *ztdp_publish_stats(const struct ztdp_publish *p);

/* --- The control thread (control_thread.c) ------------------------------ */

struct ztdp_control;

/* Counters of the control thread (one writer). */
struct ztdp_control_stats {
	uint64_t rx_zerotier, rx_control;
	uint64_t rx_plain;		/* dearmored by the dataplane */
	uint64_t rx_l2;			/* L2 frames the fast path left to us */
	uint64_t l2_delivered;		/* frames the node delivered */
	uint64_t replies;		/* ARP replies, NAs, echo replies */
	uint64_t wire_sent;		/* UDP handed to the dataplane */
	uint64_t neigh_parked, neigh_probes;
	uint64_t loops, node_ticks;
	uint64_t rpc_requests;
	uint64_t drops[ZTDP_DROP_MAX];
} __rte_cache_aligned;

struct ztdp_control_args {
	const struct ztdp_app_config *cfg;
	const struct ztdp_underlay *ul;
	struct rte_mempool *pool;
	struct rte_ring *from_dp;
	struct rte_ring *to_dp;
	const volatile bool *quit;
};

/* Open the state directory, load or create the identity, create the node,
 * rejoin the saved networks and join cfg's, open the RPC socket. Runs on
 * the main thread before the control thread exists; 0 or -1 with err. */
int ztdp_control_open(struct ztdp_control **out,
		      const struct ztdp_control_args *args,
		      char *err, size_t errlen);
/* Hand the control thread the dataplane and the L2 sides (before start):
 * configs already applied go onto them. 0 or -1 with err. */
int ztdp_control_attach(struct ztdp_control *ctl, struct ztdp_dp *dp, struct ztdp_l2 *l2,
			unsigned int l2_count, char *err, size_t errlen);
/* Start and stop the thread (rte_ctrl_thread_create). */
int ztdp_control_start(struct ztdp_control *ctl, char *err, size_t errlen);
void ztdp_control_join(struct ztdp_control *ctl);
void ztdp_control_close(struct ztdp_control *ctl);
const struct ztdp_control_stats *ztdp_control_stats(const struct ztdp_control *ctl);
/* Before the thread starts (the node is the main thread's until then). */
uint64_t ztdp_control_address(const struct ztdp_control *ctl);
/* Our identity is one of the planet's roots (the dataplane hands the node
 * datagrams for others to relay). */
bool ztdp_control_is_root(const struct ztdp_control *ctl);
/* What the control thread taught the dataplane (NULL before attach). */
const struct ztdp_publish_stats *ztdp_control_publish_stats(const struct ztdp_control *ctl);
unsigned int ztdp_control_networks(struct ztdp_control *ctl, struct ztdp_network_info *out,
				   unsigned int max);

/* What telemetry asks of the node, copied by the control thread (the node
 * is single-threaded). ztdp_control_snapshot returns it with the snapshot
 * lock held until ztdp_snapshot_release, or NULL if the control thread did
 * not answer in time (or is not running). */
#define ZTDP_SNAPSHOT_NETWORKS	64
#define ZTDP_SNAPSHOT_PEERS	256
struct ztdp_snapshot {
	struct ztdp_node_info info;
	struct ztdp_node_stats stats;
	unsigned int network_count;	/* in all; the arrays hold up to MAX */
	unsigned int peer_count;
	struct ztdp_network_info networks[ZTDP_SNAPSHOT_NETWORKS];
	struct ztdp_peer_info peers[ZTDP_SNAPSHOT_PEERS];
};
const struct ztdp_snapshot *ztdp_control_snapshot(struct ztdp_control *ctl,
						  unsigned int timeout_ms);
void ztdp_snapshot_release(struct ztdp_control *ctl);

/* --- Telemetry (telemetry.c) -------------------------------------------- */

struct ztdp_telemetry_src {
	struct ztdp_control *ctl;
	const struct ztdp_port *port;
	const struct ztdp_underlay *ul;
	const struct ztdp_dp *dp;
	const struct ztdp_l2 *l2;
	unsigned int l2_count;
};

/* Register the /ztdp/... commands (before rte_eal_init is fine); they
 * answer "not ready" until ztdp_telemetry_attach. */
int ztdp_telemetry_register(void);
void ztdp_telemetry_attach(const struct ztdp_telemetry_src *src);
void ztdp_telemetry_detach(void);

#endif /* ZTDP_APP_H */
