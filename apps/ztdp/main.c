/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp <EAL options> -- <ztdp options>
 *
 * Start-up, in the order that lets each failure be one clear message and
 * undo only what was done: options (before EAL, so typos cost nothing),
 * EAL, the port and its pool, the underlay identity, the two rings, the
 * control side (state, identity, planet, node, networks, RPC socket), then
 * the worker lcore and the control thread. SIGINT/SIGTERM stop both and
 * everything is released in reverse.
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

int ztdp_logtype = RTE_LOGTYPE_USER1;

/* Set by the signal handler, read by every loop. */
static volatile bool quit;

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

static struct rte_ring *make_ring(const char *name, unsigned int size, char *err,
				  size_t errlen)
{
	/* One producer and one consumer each: the worker and the control
	 * thread. */
	struct rte_ring *r = rte_ring_create(name, size, (int)rte_socket_id(),
					     RING_F_SP_ENQ | RING_F_SC_DEQ);

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

int main(int argc, char **argv)
{
	static struct ztdp_app_config cfg;
	static struct ztdp_port port;
	static struct ztdp_underlay ul;
	struct ztdp_worker_conf wconf;
	struct ztdp_control_args cargs;
	struct ztdp_telemetry_src tsrc;
	struct ztdp_control *ctl = NULL;
	struct rte_ring *to_control = NULL, *to_worker = NULL;
	char err[512];
	char *app_argv[256];
	int eal_argc = argc, app_argc = 1, rc, exit_code = 1;
	unsigned int worker_lcore;
	bool port_open = false;

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
	to_control = make_ring("ztdp_to_control", port.ring_size, err, sizeof(err));
	to_worker = make_ring("ztdp_to_worker", port.ring_size, err, sizeof(err));
	if (to_control == NULL || to_worker == NULL)
		goto out;

	memset(&cargs, 0, sizeof(cargs));
	cargs.cfg = &cfg;
	cargs.ul = &ul;
	cargs.pool = port.pool;
	cargs.from_worker = to_control;
	cargs.to_worker = to_worker;
	cargs.quit = &quit;
	if (ztdp_control_open(&ctl, &cargs, err, sizeof(err)) < 0)
		goto out;

	memset(&wconf, 0, sizeof(wconf));
	wconf.port_id = port.port_id;
	wconf.ul = &ul;
	wconf.to_control = to_control;
	wconf.from_control = to_worker;
	wconf.idle_backoff = cfg.idle_backoff;
	wconf.idle_sleep_max_us = cfg.idle_sleep_max_us;
	wconf.quit = &quit;

	/* The first worker lcore polls; with -l N alone, the main one does. */
	worker_lcore = rte_get_next_lcore(-1, 1, 0);
	if (worker_lcore >= RTE_MAX_LCORE)
		worker_lcore = rte_get_main_lcore();
	else if (rte_lcore_count() > 2)
		ztdp_log(5, "%u lcores given; one polls the port, the rest stay idle",
			 rte_lcore_count());

	memset(&tsrc, 0, sizeof(tsrc));
	tsrc.ctl = ctl;
	tsrc.port = &port;
	tsrc.ul = &ul;
	tsrc.worker_lcore = worker_lcore;

	if (ztdp_control_start(ctl, err, sizeof(err)) < 0)
		goto out;
	ztdp_telemetry_attach(&tsrc);
	if (worker_lcore != rte_get_main_lcore()) {
		rc = rte_eal_remote_launch(ztdp_worker_main, &wconf, worker_lcore);
		if (rc != 0) {
			snprintf(err, sizeof(err), "cannot launch the worker on lcore %u: %s",
				 worker_lcore, rte_strerror(-rc));
			goto out;
		}
		ztdp_log(5, "running: worker lcore %u, control thread, RPC %s",
			 worker_lcore, cfg.rpc_socket);
		while (!quit)
			usleep(50 * 1000);
		rte_eal_mp_wait_lcore();
	} else {
		ztdp_log(5, "running: worker on the main lcore %u, control thread, RPC %s",
			 worker_lcore, cfg.rpc_socket);
		ztdp_worker_main(&wconf);
	}
	ztdp_log(5, "stopping");
	exit_code = 0;
	err[0] = '\0';
out:
	quit = true;
	rte_eal_mp_wait_lcore();
	ztdp_telemetry_detach();
	ztdp_control_close(ctl);
	free_ring(to_control);
	free_ring(to_worker);
	if (port_open)
		ztdp_port_close(&port);
	rte_eal_cleanup();
	if (exit_code != 0)
		fprintf(stderr, ZTDP_PROG ": %s\n", err);
	return exit_code;
}
