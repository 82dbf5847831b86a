/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp <EAL options> -- <ztdp options>
 *
 * Start-up, in the order that lets each failure be one clear message and
 * undo only what was done: options (before EAL, so typos cost nothing),
 * EAL, the underlay port and its pool, the two rings, the control side
 * (state, identity, planet, node, networks, RPC socket), the networks' L2
 * ports (a TAP needs our MAC, which needs the identity), the dataplane,
 * then the data lcores and the control thread. SIGINT/SIGTERM stop them
 * and everything is released in reverse.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "ztdp_app.h"
#include "ztdp_crypto.h"
#include "ztdp_dp.h"
#include "ztdp_mac.h"

int ztdp_logtype = RTE_LOGTYPE_USER1;

/* Set by the signal handler, read by every loop; the dataplane has its
 * own flag (ztdp_dp_stop is one atomic store). */
static volatile bool quit;
static struct ztdp_dp *running_dp;

void ztdp_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* syslog 3 (err) .. 7 (debug) is RTE_LOG_ERR (4) .. RTE_LOG_DEBUG (8). */
	rte_log((uint32_t)RTE_MAX(1, RTE_MIN(level + 1, 8)), (uint32_t)ztdp_logtype,
		ZTDP_PROG ": %s\n", line);
}

void ztdp_log_line(void *ctx, int level, const char *msg)
{
	(void)ctx;
	ztdp_log(level, "%s", msg);
}

static void on_signal(int sig)
{
	(void)sig;
	quit = true;
	if (running_dp != NULL)
		ztdp_dp_stop(running_dp);
}

static void fail_exit(const char *err)
{
	fprintf(stderr, ZTDP_PROG ": %s\n", err);
	exit(1);
}

static void free_ring(struct rte_ring *r)
{
	void *m = NULL;

	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

static struct rte_ring *make_ring(const char *name, unsigned int size, unsigned int flags,
				  char *err, size_t errlen)
{
	struct rte_ring *r = rte_ring_create(name, size, (int)rte_socket_id(), flags);

	if (r == NULL)
		snprintf(err, errlen, "cannot create ring %s: %s", name,
			 rte_strerror(rte_errno));
	return r;
}

static void setup_underlay(struct ztdp_underlay *ul, const struct ztdp_app_config *cfg,
			   const struct ztdp_port *port)
{
	ztdp_underlay_init(ul, port->mac, cfg->primary_port, port->mtu);
	ul->has_ip4 = cfg->has_ip4;
	memcpy(ul->ip4, cfg->ip4, 4);
	ul->prefix4 = cfg->prefix4;
	ul->has_gw4 = cfg->has_gw4;
	memcpy(ul->gw4, cfg->gw4, 4);
	ul->has_ip6 = cfg->has_ip6;
	memcpy(ul->ip6, cfg->ip6, 16);
	ul->prefix6 = cfg->prefix6;
	ul->has_gw6 = cfg->has_gw6;
	memcpy(ul->gw6, cfg->gw6, 16);
}

/* The dataplane's view of our underlay identity. */
static void dp_underlay(struct ztdp_dp_underlay *d, const struct ztdp_underlay *ul,
			const struct ztdp_port *port)
{
	memset(d, 0, sizeof(*d));
	d->port.port_id = port->port_id;
	d->port.rx_queues = 1;
	d->port.tx_queues = 1;
	memcpy(d->mac, ul->mac, 6);
	d->udp_port = ul->port;
	d->has_ip4 = ul->has_ip4;
	memcpy(d->ip4, ul->ip4, 4);
	d->has_ip6 = ul->has_ip6;
	memcpy(d->ip6, ul->ip6, 16);
	memcpy(d->ll6, ul->ll6, 16);
}

/* The L2 sides: every joined network gets the one --l2 names, else a
 * kernel interface (veth). */
static int open_l2(const struct ztdp_app_config *cfg, struct ztdp_control *ctl,
		   struct ztdp_l2 *l2, unsigned int *count, unsigned int lcores,
		   struct rte_mempool *pool, char *err, size_t errlen)
{
	static struct ztdp_network_info nets[ZTDP_MAX_JOIN];
	unsigned int n = ztdp_control_networks(ctl, nets, ZTDP_MAX_JOIN);
	uint64_t self = ztdp_control_address(ctl);

	*count = 0;
	for (unsigned int i = 0; i < n && i < ZTDP_MAX_JOIN; i++) {
		struct ztdp_l2_spec spec = { .nwid = nets[i].nwid, .kind = ZTDP_L2_VETH };
		struct ztdp_l2 *x = &l2[*count];

		for (unsigned int j = 0; j < cfg->l2_count; j++)
			if (cfg->l2[j].nwid == nets[i].nwid)
				spec = cfg->l2[j];
		if (spec.kind == ZTDP_L2_NONE)
			continue;
		if (*count == ZTDP_DP_MAX_L2_PORTS) {
			snprintf(err, errlen, "more than %d networks with an L2 port; give the others --l2 NWID=none",
				 ZTDP_DP_MAX_L2_PORTS);
			return -1;
		}
		if (ztdp_l2_open(x, &spec, ztdp_mac_from_address(self, spec.nwid), *count,
				 err, errlen) < 0)
			return -1;
		(*count)++;
		if (ztdp_l2_start(x, lcores, pool, err, errlen) < 0)
			return -1;
		ztdp_log(6, "network %016" PRIx64 ": L2 port %u (%s%s%s)", x->nwid, x->port_id,
			 x->devname, x->is_tap ? ", interface " : "", x->is_tap ? x->ifname : "");
	}
	for (unsigned int j = 0; j < cfg->l2_count; j++) {
		bool joined = false;

		for (unsigned int i = 0; i < n; i++)
			joined |= nets[i].nwid == cfg->l2[j].nwid;
		if (!joined)
			ztdp_log(4, "--l2 names network %016" PRIx64 ", which is not joined (add --join)",
				 cfg->l2[j].nwid);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct ztdp_app_config cfg;
	static struct ztdp_port port;
	static struct ztdp_underlay ul;
	static struct ztdp_l2 l2[ZTDP_DP_MAX_L2_PORTS];
	static struct ztdp_dp_config dcfg;
	struct ztdp_control_args cargs;
	struct ztdp_telemetry_src tsrc;
	struct ztdp_control *ctl = NULL;
	struct ztdp_dp *dp = NULL;
	struct rte_ring *to_control = NULL, *to_dp = NULL;
	unsigned int data_lcores[ZTDP_DP_MAX_LCORES], n_data = 0, n_l2 = 0, lc;
	char err[512];
	char *app_argv[256];
	int eal_argc = argc, app_argc = 1, rc, exit_code = 1;
	bool port_open = false, on_main;
	/* Split at "--": EAL gets what is before, we get what is after. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			eal_argc = i;
			break;
		}
	}
	app_argv[0] = argv[0];
	if (eal_argc < argc) {
		for (int i = eal_argc + 1; i < argc && app_argc < 255; i++)
			app_argv[app_argc++] = argv[i];
	} else {
		/* No "--": still answer --help/--version. */
		for (int i = 1; i < argc; i++)
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
			    strcmp(argv[i], "--version") == 0)
				app_argv[app_argc++] = argv[i][1] == 'h' ?
						       (char *)"--help" : argv[i];
	}
	app_argv[app_argc] = NULL;

	rc = ztdp_config_from_args(&cfg, app_argc, app_argv, err, sizeof(err));
	if (rc == 1)
		return 0;
	if (rc < 0)
		fail_exit(err);

	rc = rte_log_register_type_and_pick_level("ztdp", RTE_LOG_INFO);
	if (rc >= 0)
		ztdp_logtype = rc;
	rte_log_set_level((uint32_t)ztdp_logtype, (uint32_t)cfg.log_level + 1);
	if (ztdp_telemetry_register() < 0)
		fail_exit("cannot register the /ztdp telemetry commands");

	rc = rte_eal_init(eal_argc, argv);
	if (rc < 0) {
		snprintf(err, sizeof(err), "cannot start DPDK: %s (EAL options come before '--'; see --help)",
			 rte_strerror(rte_errno));
		fail_exit(err);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (ztdp_port_open(&port, cfg.port_id, cfg.mtu, cfg.mbufs, err, sizeof(err)) < 0)
		goto out;
	port_open = true;
	setup_underlay(&ul, &cfg, &port);
	if ((!cfg.has_ip4 || !cfg.has_gw4) && (!cfg.has_ip6 || !cfg.has_gw6))
		ztdp_log(5, "no --gateway: only roots and peers on the underlay's own subnet are reachable");
	if (ztdp_crypto_init(NULL) < 0 || ztdp_dp_meta_register() < 0) {
		snprintf(err, sizeof(err), "crypto or mbuf metadata initialisation failed");
		goto out;
	}
	/* Data lcores: every worker lcore EAL has; with -l N alone, the main
	 * one runs the dataplane. */
	RTE_LCORE_FOREACH_WORKER(lc)
		if (n_data < ZTDP_DP_MAX_LCORES)
			data_lcores[n_data++] = lc;
	on_main = n_data == 0;
	if (on_main)
		data_lcores[n_data++] = rte_get_main_lcore();

	/* Many lcores enqueue to the control thread; one (lcore 0 of the
	 * dataplane) drains what it sends. */
	to_control = make_ring("ztdp_to_control", port.ring_size, RING_F_SC_DEQ,
			       err, sizeof(err));
	to_dp = make_ring("ztdp_to_dp", port.ring_size, RING_F_SP_ENQ | RING_F_SC_DEQ,
			  err, sizeof(err));
	if (to_control == NULL || to_dp == NULL)
		goto out;

	memset(&cargs, 0, sizeof(cargs));
	cargs.cfg = &cfg;
	cargs.ul = &ul;
	cargs.pool = port.pool;
	cargs.from_dp = to_control;
	cargs.to_dp = to_dp;
	cargs.quit = &quit;
	if (ztdp_control_open(&ctl, &cargs, err, sizeof(err)) < 0)
		goto out;
	if (open_l2(&cfg, ctl, l2, &n_l2, n_data, port.pool, err, sizeof(err)) < 0)
		goto out;

	dcfg.name = "ztdp";
	dcfg.self = ztdp_control_address(ctl);
	dcfg.lcores = n_data;
	dp_underlay(&dcfg.ul, &ul, &port);
	dcfg.l2_count = n_l2;
	for (unsigned int i = 0; i < n_l2; i++) {
		dcfg.l2[i].port_id = l2[i].port_id;
		dcfg.l2[i].rx_queues = l2[i].rx_queues;
		dcfg.l2[i].tx_queues = l2[i].tx_queues;
	}
	dcfg.pool = port.pool;
	dcfg.to_control = to_control;
	dcfg.from_control = to_dp;
	dcfg.relay = ztdp_control_is_root(ctl);
	dcfg.idle_backoff = cfg.idle_backoff;
	dcfg.idle_sleep_max_us = cfg.idle_sleep_max_us;
	dcfg.socket = -1;
	if (ztdp_dp_create(&dp, &dcfg, err, sizeof(err)) < 0)
		goto out;
	if (ztdp_control_attach(ctl, dp, l2, n_l2, err, sizeof(err)) < 0)
		goto out;

	memset(&tsrc, 0, sizeof(tsrc));
	tsrc.ctl = ctl;
	tsrc.port = &port;
	tsrc.ul = &ul;
	tsrc.dp = dp;
	tsrc.l2 = l2;
	tsrc.l2_count = n_l2;

	if (ztdp_control_start(ctl, err, sizeof(err)) < 0)
		goto out;
	ztdp_telemetry_attach(&tsrc);
	running_dp = dp;
	if (quit)
		ztdp_dp_stop(dp);
	for (unsigned int i = on_main ? 1 : 0; i < n_data; i++) {
		rc = rte_eal_remote_launch(ztdp_dp_lcore_main, ztdp_dp_lcore_arg(dp, i),
					   data_lcores[i]);
		if (rc != 0) {
			snprintf(err, sizeof(err), "cannot launch data lcore %u: %s",
				 data_lcores[i], rte_strerror(-rc));
			goto out;
		}
	}
	ztdp_log(5, "running: %u data lcore%s%s, %u L2 port%s, control thread, RPC %s",
		 n_data, n_data == 1 ? "" : "s", on_main ? " (the main one)" : "",
		 n_l2, n_l2 == 1 ? "" : "s", cfg.rpc_socket);
	if (on_main) {
		ztdp_dp_lcore_main(ztdp_dp_lcore_arg(dp, 0));
	} else {
		while (!quit)
			usleep(50 * 1000);
		ztdp_dp_stop(dp);
		rte_eal_mp_wait_lcore();
	}
	ztdp_log(5, "stopping");
	exit_code = 0;
	err[0] = '\0';
out:
	quit = true;
	if (dp != NULL)
		ztdp_dp_stop(dp);
	rte_eal_mp_wait_lcore();
	running_dp = NULL;
	ztdp_telemetry_detach();
	/* The control thread first: it writes the dataplane's tables. */
	ztdp_control_join(ctl);
	ztdp_dp_destroy(dp);
	ztdp_control_close(ctl);
	for (unsigned int i = 0; i < n_l2; i++)
		ztdp_l2_close(&l2[i]);
	free_ring(to_control);
	free_ring(to_dp);
	if (port_open)
		ztdp_port_close(&port);
	rte_eal_cleanup();
	if (exit_code != 0)
		fprintf(stderr, ZTDP_PROG ": %s\n", err);
	return exit_code;
}
