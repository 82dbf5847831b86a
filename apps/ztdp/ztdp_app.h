/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ztdp appliance: what its files share, grouped by the file that
 * implements it.
 *
 *   main.c            EAL, options, start-up order, signals, shutdown
 *   config.c          command line and JSON configuration
 *   port.c            the underlay port and its mbuf pool
 *   underlay.c        ARP/ND/ICMP and IP/UDP headers (ztdp_underlay.h)
 *   worker.c          the data lcore: RX, sort, rings, TX
 *   control_thread.c  the node, state, JSON-RPC and the wire_send path
 *   telemetry.c       /ztdp/... telemetry commands
 *
 * Threads: one worker lcore polls the port; the control thread (a DPDK
 * control thread, not an lcore) owns the node, the neighbour cache, the
 * state directory and the RPC socket. They meet only at two rte_rings of
 * mbufs: worker -> control (ZeroTier UDP, ARP, ND, pings) and control ->
 * worker (everything we send).
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

/* --- Logging (main.c) ----------------------------------------------------
 * Levels are syslog's (3 err .. 7 debug), as the node and RPC libraries
 * use; they map onto the "ztdp" rte_log type. */
extern int ztdp_logtype;
void ztdp_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, shaped as the libraries' log callbacks (ctx unused). */
void ztdp_log_line(void *ctx, int level, const char *msg);

/* --- Configuration (config.c) ------------------------------------------- */

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
};

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

/* --- The worker lcore (worker.c) ---------------------------------------- */

/* Per-lcore counters; one writer each, read racily by telemetry. */
struct ztdp_lcore_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t to_control;		/* handed to the control thread */
	uint64_t polls, idle_polls, sleeps;
	uint64_t drops[ZTDP_DROP_MAX];
} __rte_cache_aligned;

extern struct ztdp_lcore_stats ztdp_lcore_stats[RTE_MAX_LCORE];

struct ztdp_worker_conf {
	uint16_t port_id;
	const struct ztdp_underlay *ul;
	struct rte_ring *to_control;
	struct rte_ring *from_control;
	bool idle_backoff;
	unsigned int idle_sleep_max_us;
	const volatile bool *quit;
};

/* lcore_function_t: poll until *quit. Runs on the main lcore too when
 * EAL was given only one. */
int ztdp_worker_main(void *conf);

/* Marks in mbuf->packet_type that tell the control thread what the worker
 * found (the worker overwrites whatever the PMD put there). */
#define ZTDP_PTYPE_ZEROTIER	0x5a540001u
#define ZTDP_PTYPE_CONTROL	0x5a540002u

/* --- The control thread (control_thread.c) ------------------------------ */

struct ztdp_control;

/* Counters of the control thread (one writer). */
struct ztdp_control_stats {
	uint64_t rx_zerotier, rx_control;
	uint64_t replies;		/* ARP replies, NAs, echo replies */
	uint64_t wire_sent;		/* UDP handed to the worker */
	uint64_t neigh_parked, neigh_probes;
	uint64_t loops, node_ticks;
	uint64_t rpc_requests;
	uint64_t drops[ZTDP_DROP_MAX];
} __rte_cache_aligned;

struct ztdp_control_args {
	const struct ztdp_app_config *cfg;
	const struct ztdp_underlay *ul;
	struct rte_mempool *pool;
	struct rte_ring *from_worker;
	struct rte_ring *to_worker;
	const volatile bool *quit;
};

/* Open the state directory, load or create the identity, create the node,
 * rejoin the saved networks and join cfg's, open the RPC socket. Runs on
 * the main thread before the control thread exists; 0 or -1 with err. */
int ztdp_control_open(struct ztdp_control **out,
		      const struct ztdp_control_args *args,
		      char *err, size_t errlen);
/* Start and stop the thread (rte_ctrl_thread_create). */
int ztdp_control_start(struct ztdp_control *ctl, char *err, size_t errlen);
void ztdp_control_join(struct ztdp_control *ctl);
void ztdp_control_close(struct ztdp_control *ctl);
const struct ztdp_control_stats *ztdp_control_stats(const struct ztdp_control *ctl);

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
	unsigned int worker_lcore;
};

/* Register the /ztdp/... commands (before rte_eal_init is fine); they
 * answer "not ready" until ztdp_telemetry_attach. */
int ztdp_telemetry_register(void);
void ztdp_telemetry_attach(const struct ztdp_telemetry_src *src);
void ztdp_telemetry_detach(void);

#endif /* ZTDP_APP_H */
