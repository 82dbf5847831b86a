/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpc_test_server: the real JSON-RPC server in front of a real node, on a
 * temporary socket, for tests/test_ztdpctl.sh. No network: the node's
 * datagrams go nowhere, or, with a root identity, to a second real node in
 * this process that plays the planet's root, so that the first one has a
 * peer with a live path to show.
 *
 *   rpc_test_server <state-dir> <socket> <port-device-name> [<root identity.secret>]
 *
 * The state directory is the appliance's (control/state.c): identity.secret,
 * planet, networks.d (rejoined at start, as the appliance does). The node
 * runs on Unix time in ms, as the appliance drives it. RPC_TEST_MAX_CLIENTS
 * sets the server's client limit. Exits on SIGTERM or
 * SIGINT, when its parent dies, or after 60 s, so a failed test cannot
 * leave it behind.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "ztdp_node.h"
#include "ztdp_rpc.h"
#include "ztdp_state.h"

#define LIFETIME_MS	60000
#define MAX_NETWORKS	64
#define QUEUE_MAX	256

/* Datagrams between the two in-memory nodes, delivered from the main loop
 * rather than from inside a callback (a node must not be re-entered). */
struct datagram {
	int to;			/* 0 = our node, 1 = the root */
	struct ztdp_inetaddr from;
	size_t len;
	uint8_t data[10240];
};

/* Each node's callback context: which node, and its state directory (the
 * root keeps none: it plays with the same planet, from memory). */
struct node_ctx {
	int index;
	struct ztdp_state *st;
};


/* Every network's device is the one name the test gives. */
static const char *fixed_device_name(void *ctx, uint64_t nwid)
{
	(void)nwid;
	return ctx;
}

static struct {
	struct ztdp_node *node[2];
	struct ztdp_inetaddr addr[2];	/* underlay address of each */
	struct datagram *queue;
	unsigned int queued;
	bool verbose;
} net;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int wire_send(void *ctx, const struct ztdp_inetaddr *to, const void *data,
		     size_t len, unsigned int ttl)
{
	int self = ((struct node_ctx *)ctx)->index;
	int other = 1 - self;
	struct datagram *d;

	(void)ttl;
	/* Only the other node's address is reachable. */
	if (net.node[other] == NULL || !ztdp_inetaddr_equal(to, &net.addr[other]))
		return 0;
	if (net.queued == QUEUE_MAX || len > sizeof(d->data))
		return 0;
	d = &net.queue[net.queued++];
	d->to = other;
	d->from = net.addr[self];
	d->len = len;
	memcpy(d->data, data, len);
	return 0;
}

static void node_log(void *ctx, int level, const char *msg)
{
	if (net.verbose || level <= 3)
		fprintf(stderr, "rpc_test_server: node %d: <%d> %s\n",
			((struct node_ctx *)ctx)->index, level, msg);
}

static void other_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (net.verbose || level <= 3)
		fprintf(stderr, "rpc_test_server: <%d> %s\n", level, msg);
}

static struct node_ctx node_ctx[2] = { { 0, NULL }, { 1, NULL } };

static int state_put(void *ctx, enum ztdp_state_kind kind, uint64_t id,
		     const void *data, size_t len)
{
	struct node_ctx *c = ctx;

	return c->st != NULL ? ztdp_state_put(c->st, kind, id, data, len) : 0;
}

static ssize_t state_get(void *ctx, enum ztdp_state_kind kind, uint64_t id,
			 void *buf, size_t cap)
{
	struct node_ctx *c = ctx;

	return c->st != NULL ? ztdp_state_get(c->st, kind, id, buf, cap) : -1;
}

/* An extra method, as the appliance adds its own: returns its params, so
 * the test can check ztdpctl's JSON layout against zerotier-cli's. */
static int test_echo(void *ctx, const json_t *params, json_t **result,
		     struct ztdp_rpc_error *err)
{
	(void)ctx;
	(void)err;
	*result = params != NULL ? json_deep_copy(params) : NULL;
	return 0;
}

static const struct ztdp_rpc_method test_methods[] = {
	{ "test_echo", test_echo, "returns its params" },
};

static uint64_t rpc_now(void *ctx)
{
	(void)ctx;
	return wall_ms();
}

static char *read_text(const char *path)
{
	static char buf[1024];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return buf;
}

int main(int argc, char **argv)
{
	static uint8_t planet[ZTDP_WORLD_MAX_LEN];
	struct ztdp_node_callbacks cb = { 0 }, rcb = { 0 };
	struct ztdp_node_config cfg = { 0 }, rcfg = { 0 };
	struct ztdp_rpc_config rpc_cfg = { 0 };
	struct ztdp_rpc_node_ctx rpc_ctx = { 0 };
	struct ztdp_rpc_server *srv = NULL;
	struct ztdp_identity id, root_id;
	struct ztdp_state *st = NULL;
	uint64_t nwids[MAX_NETWORKS], now, deadline, next[2] = { 0, 0 };
	char err[512];
	ssize_t planet_len;
	int count, rc = 1;

	if (argc < 4) {
		fprintf(stderr, "usage: rpc_test_server <state-dir> <socket> <port-device-name>"
			" [<root identity.secret>]\n");
		return 1;
	}
	net.verbose = getenv("ZTDP_TEST_VERBOSE") != NULL;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	net.queue = calloc(QUEUE_MAX, sizeof(*net.queue));
	if (net.queue == NULL)
		return 1;

	if (ztdp_state_open(&st, argv[1], other_log, NULL, err, sizeof(err)) != 0 ||
	    ztdp_state_load_or_create_identity(st, &id, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "rpc_test_server: %s\n", err);
		goto out;
	}
	planet_len = ztdp_state_get(st, ZTDP_STATE_PLANET, 0, planet, sizeof(planet));
	now = wall_ms();
	deadline = now + LIFETIME_MS;

	node_ctx[0].st = st;
	cb.ctx = &node_ctx[0];
	cb.wire_send = wire_send;
	cb.state_put = state_put;
	cb.state_get = state_get;
	cb.log = node_log;
	cfg.identity = &id;
	cfg.planet = planet_len > 0 ? planet : NULL;
	cfg.planet_len = planet_len > 0 ? (size_t)planet_len : 0;
	cfg.primary_port = 9993;
	ztdp_inetaddr_set_v4(&net.addr[0], 0x0a630002, 9993);	/* 10.99.0.2/9993 */
	ztdp_inetaddr_set_v4(&net.addr[1], 0x0a630001, 9993);	/* 10.99.0.1/9993 */
	cfg.local_addr_count = 1;
	cfg.local_addrs[0] = net.addr[0];

	if (argc > 4) {
		const char *why = NULL;
		const char *text = read_text(argv[4]);

		if (text == NULL || ztdp_identity_from_string(&root_id, text, &why) != 0) {
			fprintf(stderr, "rpc_test_server: %s: %s\n", argv[4],
				why ? why : strerror(errno));
			goto out;
		}
		rcb.ctx = &node_ctx[1];
		rcb.wire_send = wire_send;
		rcb.state_put = state_put;
		rcb.state_get = state_get;
		rcb.log = node_log;
		rcfg.identity = &root_id;
		rcfg.planet = cfg.planet;
		rcfg.planet_len = cfg.planet_len;
		rcfg.primary_port = 9993;
		rcfg.local_addr_count = 1;
		rcfg.local_addrs[0] = net.addr[1];
		if (ztdp_node_create(&net.node[1], &rcfg, &rcb, now) != 0) {
			fprintf(stderr, "rpc_test_server: cannot create the root node\n");
			goto out;
		}
	}
	if (ztdp_node_create(&net.node[0], &cfg, &cb, now) != 0) {
		fprintf(stderr, "rpc_test_server: cannot create the node\n");
		goto out;
	}

	rpc_cfg.path = argv[2];
	rpc_cfg.log = other_log;
	/* A small client limit lets the shell test fill it. */
	if (getenv("RPC_TEST_MAX_CLIENTS") != NULL)
		rpc_cfg.max_clients = (unsigned int)atoi(getenv("RPC_TEST_MAX_CLIENTS"));
	if (ztdp_rpc_open(&srv, &rpc_cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "rpc_test_server: %s\n", err);
		goto out;
	}
	rpc_ctx.node = net.node[0];
	rpc_ctx.now = rpc_now;
	rpc_ctx.primary_port = 9993;
	rpc_ctx.home_dir = argv[1];
	rpc_ctx.device_name = fixed_device_name;
	rpc_ctx.device_ctx = argv[3];
	rpc_ctx.rpc = srv;
	if (ztdp_rpc_register_node_methods(srv, &rpc_ctx) != 0 ||
	    ztdp_rpc_register_controller_methods(srv, &rpc_ctx) != 0 ||
	    ztdp_rpc_register(srv, test_methods, 1, NULL) != 0) {
		fprintf(stderr, "rpc_test_server: cannot register the methods\n");
		goto out;
	}

	/* Rejoin what the state directory lists, as the appliance does. */
	count = ztdp_state_list_networks(st, nwids, MAX_NETWORKS);
	for (int i = 0; i < count && i < MAX_NETWORKS; i++)
		if (ztdp_node_join(net.node[0], now, nwids[i]) != 0)
			fprintf(stderr, "rpc_test_server: cannot rejoin %016" PRIx64 "\n", nwids[i]);

	while (!stop) {
		unsigned int delivered = 0;

		if (ztdp_rpc_poll(srv, 10) < 0) {
			fprintf(stderr, "rpc_test_server: epoll: %s\n", strerror(errno));
			goto out;
		}
		now = wall_ms();
		if (now > deadline) {
			fprintf(stderr, "rpc_test_server: lifetime over, exiting\n");
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (net.node[i] != NULL && now >= next[i]) {
				uint64_t wait = ztdp_node_tick(net.node[i], now);

				next[i] = now + (wait < 50 ? wait : 50);
			}
		}
		/* Deliver; replies queue behind, bounded per round. */
		while (net.queued > 0 && delivered < 4 * QUEUE_MAX) {
			struct datagram *d = &net.queue[0];
			static struct datagram cur;

			cur = *d;
			memmove(net.queue, net.queue + 1, (net.queued - 1) * sizeof(*d));
			net.queued--;
			ztdp_node_process_wire(net.node[cur.to], now, &cur.from, cur.data, cur.len);
			delivered++;
		}
	}
	rc = 0;
out:
	ztdp_rpc_close(srv);
	ztdp_node_destroy(net.node[0]);
	ztdp_node_destroy(net.node[1]);
	ztdp_state_close(st);
	ztdp_identity_clear(&id);
	free(net.queue);
	return rc;
}
