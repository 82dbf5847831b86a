/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A ztdp node as a planet root (control/root.c), with real ztdp nodes on
 * both sides, entirely in memory:
 *
 *                 R  (root, 198.51.100.1)
 *               /   \
 *     A (203.0.113.10)   B (192.0.2.20)      both behind NATs
 *
 * The planet comes from `ztdp-idtool genplanet` (argv[1]) with R as its
 * only root. A and B know nothing but the planet: they come online through
 * R, R relays what they send each other (hop count + 1, bytes otherwise
 * untouched) and introduces them with RENDEZVOUS, and then they talk
 * directly. Also: what R refuses to relay and why, WHOIS answered from R's
 * identity cache, and a planet update (genplanet --update) that R hands
 * out in OK(HELLO).
 *
 * All datagrams go through one queue under a virtual clock; every datagram
 * is kept so that the test can look at what went where.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node_store.h"
#include "test_util.h"
#include "ztdp_crypto.h"
#include "ztdp_identity.h"
#include "ztdp_node.h"
#include "ztdp_node_test.h"
#include "ztdp_packet.h"
#include "ztdp_verbs.h"
#include "ztdp_world.h"

#define T0		1700000000000ULL
#define PLANET_TS	1700000000000ULL
#define QCAP		4096
#define LOGCAP		8192

enum { R, A, B, N_NODES };

static const char *idtool;
static bool verbose;
static struct ztdp_identity ids[N_NODES];

/* ---- The virtual underlay and its nodes --------------------------------------- */

struct dgram {
	uint64_t at, seq;
	unsigned int from;		/* node index */
	struct ztdp_inetaddr to;
	unsigned int ttl;
	size_t len;
	uint8_t data[ZTDP_DEFAULT_PHYSMTU];
};

struct tnode {
	struct ztdp_node *node;
	struct ztdp_inetaddr addr;
	bool nat;			/* inbound only from where it sent */
	struct ztdp_inetaddr opened[16];
	unsigned int nopened;
	struct ztdp_test_store store;	/* kept across restarts */
	uint64_t next_tick;
};

static struct {
	uint64_t now, seq;
	struct tnode t[N_NODES];
	struct dgram *q;
	unsigned int nq;
	/* Every datagram delivered, in order. */
	struct dgram *log;
	unsigned int nlog;
	unsigned int blocked;
	const uint8_t *planet;
	size_t planet_len;
} S;

static int node_of(const struct ztdp_inetaddr *a)
{
	for (int i = 0; i < N_NODES; i++)
		if (ztdp_inetaddr_equal(&S.t[i].addr, a))
			return i;
	return -1;
}

static int cb_wire_send(void *ctx, const struct ztdp_inetaddr *to, const void *data,
			size_t len, unsigned int ttl)
{
	struct tnode *t = ctx;
	unsigned int from = (unsigned int)(t - S.t);
	struct dgram *d;
	bool known = false;

	assert_true(len <= ZTDP_DEFAULT_PHYSMTU);
	for (unsigned int i = 0; i < t->nopened && !known; i++)
		known = ztdp_inetaddr_equal(&t->opened[i], to);
	if (!known && t->nopened < 16)
		t->opened[t->nopened++] = *to;
	assert_true(S.nq < QCAP);
	d = &S.q[S.nq++];
	/* 10 ms to and from the root, 3 ms between the leaves. */
	d->at = S.now + (from == R || node_of(to) == R ? 10 : 3);
	d->seq = S.seq++;
	d->from = from;
	d->to = *to;
	d->ttl = ttl;
	d->len = len;
	memcpy(d->data, data, len);
	return 0;
}

static int cb_put(void *ctx, enum ztdp_state_kind kind, uint64_t id, const void *data,
		  size_t len)
{
	return ztdp_test_store_put(&((struct tnode *)ctx)->store, kind, id, data, len);
}

static ssize_t cb_get(void *ctx, enum ztdp_state_kind kind, uint64_t id, void *buf,
		      size_t cap)
{
	return ztdp_test_store_get(&((struct tnode *)ctx)->store, kind, id, buf, cap);
}

static void cb_log(void *ctx, int level, const char *msg)
{
	struct tnode *t = ctx;

	if (verbose)
		fprintf(stderr, "[%8.3f %c %d] %s\n", (double)(S.now - T0) / 1000.0,
			"RAB"[t - S.t], level, msg);
}

static void node_start(int i, const uint8_t *planet, size_t planet_len)
{
	struct tnode *t = &S.t[i];
	struct ztdp_node_callbacks cb = {
		.ctx = t, .wire_send = cb_wire_send, .state_put = cb_put,
		.state_get = cb_get, .log = cb_log,
	};
	struct ztdp_node_config cfg = {
		.identity = &ids[i], .planet = planet, .planet_len = planet_len,
		.primary_port = 9993, .local_addr_count = 1,
	};

	cfg.local_addrs[0] = t->addr;
	assert_int_equal(ztdp_node_create(&t->node, &cfg, &cb, S.now), 0);
	t->next_tick = S.now;
}

static void node_stop(int i)
{
	char why[256];

	assert_true(ztdp_node_test_stats_consistent(S.t[i].node, why, sizeof(why)));
	ztdp_node_destroy(S.t[i].node);
	S.t[i].node = NULL;
}

static void deliver(struct dgram *d)
{
	int to = node_of(&d->to);
	struct tnode *t = to >= 0 ? &S.t[to] : NULL;
	bool open = false;
	char why[256];

	if (t == NULL || t->node == NULL) {
		S.blocked++;
		return;
	}
	if (t->nat) {
		for (unsigned int i = 0; i < t->nopened && !open; i++)
			open = ztdp_inetaddr_equal(&t->opened[i], &S.t[d->from].addr);
		/* The junk's TTL of 2 never reaches the far side. */
		if (!open || d->ttl == 2) {
			S.blocked++;
			return;
		}
	}
	if (S.nlog < LOGCAP)
		S.log[S.nlog++] = *d;
	ztdp_node_process_wire(t->node, S.now, &S.t[d->from].addr, d->data, d->len);
	assert_true(ztdp_node_test_stats_consistent(t->node, why, sizeof(why)));
}

static void run(uint64_t ms)
{
	uint64_t until = S.now + ms;

	for (;;) {
		uint64_t next = UINT64_MAX;
		int qi = -1, ni = -1;

		for (unsigned int i = 0; i < S.nq; i++)
			if (S.q[i].at < next || (S.q[i].at == next && S.q[i].seq < S.q[qi].seq)) {
				next = S.q[i].at;
				qi = (int)i;
			}
		for (int i = 0; i < N_NODES; i++)
			if (S.t[i].node != NULL && S.t[i].next_tick < next) {
				next = S.t[i].next_tick;
				ni = i;
				qi = -1;
			}
		if (next > until || (qi < 0 && ni < 0)) {
			S.now = until;
			return;
		}
		S.now = next;
		if (ni >= 0) {
			S.t[ni].next_tick = S.now + ztdp_node_tick(S.t[ni].node, S.now);
		} else {
			struct dgram d = S.q[qi];

			S.q[qi] = S.q[--S.nq];
			deliver(&d);
		}
	}
}

/* ---- Planets from ztdp-idtool genplanet ------------------------------------------ */

static char tmpdir[64];

/* Run genplanet in tmpdir with this spec; returns the planet's bytes. */
static uint8_t *genplanet(const char *spec_json, const char *update_from, const char *out,
			  size_t *len)
{
	char path[256], cmd[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.json", tmpdir, out);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(spec_json, f);
	fclose(f);
	if (update_from != NULL)
		snprintf(cmd, sizeof(cmd), "'%s' genplanet --update '%s/%s' '%s' '%s/%s' >/dev/null",
			 idtool, tmpdir, update_from, path, tmpdir, out);
	else
		snprintf(cmd, sizeof(cmd), "'%s' genplanet '%s' '%s/%s' >/dev/null", idtool, path,
			 tmpdir, out);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, out);
	return ztdp_test_read_file(path, len);
}

/* The planet: R alone at 198.51.100.1/9993, signed by a fresh key. */
static uint8_t *make_planet(size_t *len)
{
	char spec[1024], idtext[ZTDP_IDENTITY_TEXT_MAX];

	assert_true(ztdp_identity_to_string(&ids[R], false, idtext, sizeof(idtext)) > 0);
	snprintf(spec, sizeof(spec),
		 "{\"id\": \"0x7e570002\", \"timestamp\": %llu, \"signing_key\": \"world.c25519\",\n"
		 " \"roots\": [{\"identity\": \"%s\", \"endpoints\": [\"198.51.100.1/9993\"]}]}\n",
		 (unsigned long long)PLANET_TS, idtext);
	return genplanet(spec, NULL, "planet", len);
}

/* ---- World set-up ------------------------------------------------------------------ */

static uint8_t *planet_bytes;
static size_t planet_len;

static int world_setup(void **state)
{
	(void)state;
	memset(&S, 0, sizeof(S));
	S.now = T0;
	S.q = calloc(QCAP, sizeof(*S.q));
	S.log = calloc(LOGCAP, sizeof(*S.log));
	assert_non_null(S.q);
	assert_non_null(S.log);
	ztdp_inetaddr_set_v4(&S.t[R].addr, 0xc6336401, 9993);	/* 198.51.100.1 */
	ztdp_inetaddr_set_v4(&S.t[A].addr, 0xcb00710a, 9993);	/* 203.0.113.10 */
	ztdp_inetaddr_set_v4(&S.t[B].addr, 0xc0000214, 9993);	/* 192.0.2.20 */
	S.t[A].nat = true;
	S.t[B].nat = true;
	return 0;
}

static int world_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < N_NODES; i++) {
		if (S.t[i].node != NULL)
			node_stop(i);
		ztdp_test_store_free(&S.t[i].store);
	}
	free(S.q);
	free(S.log);
	return 0;
}

static uint64_t drops(int i, const char *id)
{
	for (unsigned int r = 0; r < ztdp_node_drop_reasons(); r++)
		if (strcmp(ztdp_node_drop_id(r), id) == 0)
			return ztdp_node_drop_count(S.t[i].node, r);
	fail_msg("no drop reason %s", id);
	return 0;
}

static void dump(int i)
{
	struct ztdp_node_stats st;

	if (!verbose || S.t[i].node == NULL)
		return;
	ztdp_node_stats(S.t[i].node, &st);
	fprintf(stderr, "  %c: rx %llu tx %llu relayed %llu\n", "RAB"[i],
		(unsigned long long)st.rx_packets, (unsigned long long)st.tx_packets,
		(unsigned long long)st.relayed);
	for (unsigned int r = 0; r < ztdp_node_drop_reasons(); r++)
		if (ztdp_node_drop_count(S.t[i].node, r) > 0)
			fprintf(stderr, "    %-22s %llu\n", ztdp_node_drop_id(r),
				(unsigned long long)ztdp_node_drop_count(S.t[i].node, r));
}

static struct ztdp_node_stats stats(int i)
{
	struct ztdp_node_stats st;

	ztdp_node_stats(S.t[i].node, &st);
	return st;
}

/* All three up, A and B online through R. */
static void bring_up(void)
{
	struct ztdp_node_info info;
	struct ztdp_inetaddr at;

	for (int i = 0; i < N_NODES; i++)
		node_start(i, planet_bytes, planet_len);
	run(1000);
	assert_true(ztdp_node_is_root(S.t[R].node));
	assert_false(ztdp_node_is_root(S.t[A].node));
	for (int i = 0; i < N_NODES; i++) {
		ztdp_node_info(S.t[i].node, &info);
		assert_true(info.online);
		assert_int_equal(info.planet_world_id, 0x7e570002);
	}
	/* R knows where each leaf is: the relay routes a fast path gets. */
	assert_int_equal(ztdp_node_peer_best_path(S.t[R].node, S.now, ids[A].address, &at), 0);
	assert_true(ztdp_inetaddr_equal(&at, &S.t[A].addr));
	assert_int_equal(ztdp_node_peer_best_path(S.t[R].node, S.now, ids[B].address, &at), 0);
	assert_true(ztdp_inetaddr_equal(&at, &S.t[B].addr));
	assert_int_equal(ztdp_node_peer_best_path(S.t[R].node, S.now, 0x0102030405ULL, &at), -1);
	/* The leaves have never heard of each other. */
	assert_int_equal(ztdp_node_peer(S.t[A].node, ids[B].address, &(struct ztdp_peer_info){ 0 }),
			 -1);
}

/* A network whose controller is B: A's config request is a packet from
 * A to B that only R can carry at first. */
static uint64_t net_of_b(unsigned int n)
{
	return (ids[B].address << 24) | n;
}

static enum ztdp_network_status net_status(int i, uint64_t nwid)
{
	struct ztdp_network_info ni;

	assert_int_equal(ztdp_node_network(S.t[i].node, nwid, &ni), 0);
	return ni.status;
}

/* Index in S.log of the first datagram from `from` to node `to` that is a
 * packet head from `src` to `dst` with packet ID id (any ID if 0), from
 * position `start`; -1 if none. */
static int find_packet(unsigned int start, int from, int to, uint64_t src, uint64_t dst,
		       uint64_t id)
{
	for (unsigned int i = start; i < S.nlog; i++) {
		const struct dgram *d = &S.log[i];

		if ((int)d->from != from || node_of(&d->to) != to ||
		    ztdp_dgram_classify(d->data, d->len) != ZTDP_DGRAM_PACKET)
			continue;
		if (ztdp_packet_source(d->data) == src && ztdp_packet_dest(d->data) == dst &&
		    (id == 0 || ztdp_packet_id(d->data) == id))
			return (int)i;
	}
	return -1;
}

/* ---- Tests ---------------------------------------------------------------------------- */

static void test_relay_rendezvous_direct(void **state)
{
	uint64_t nwid = net_of_b(1);
	struct ztdp_peer_info pi;
	unsigned int mark, relayed;
	int in, out;

	(void)state;
	bring_up();

	/* A asks B (as controller) for a config: WHOIS B at R, then the
	 * request through R, B's ERROR back through R. */
	mark = S.nlog;
	assert_int_equal(ztdp_node_join(S.t[A].node, S.now, nwid), 0);
	run(2000);
	dump(R);
	dump(A);
	dump(B);
	/* B answered (unsupported: B is no controller), so the request got
	 * there and the answer came back. */
	assert_int_equal(net_status(A, nwid), ZTDP_NETWORK_NOT_FOUND);

	/* The request as A sent it, and as R passed it on: the same bytes,
	 * hop count one more. */
	in = find_packet(mark, A, R, ids[A].address, ids[B].address, 0);
	assert_true(in >= 0);
	out = find_packet(mark, R, B, ids[A].address, ids[B].address,
			  ztdp_packet_id(S.log[in].data));
	assert_true(out >= 0);
	assert_int_equal(S.log[in].len, S.log[out].len);
	assert_int_equal(ztdp_packet_hops(S.log[in].data), 0);
	assert_int_equal(ztdp_packet_hops(S.log[out].data), 1);
	assert_memory_equal(S.log[in].data, S.log[out].data, ZTDP_PKT_IDX_FLAGS);
	assert_int_equal(S.log[in].data[ZTDP_PKT_IDX_FLAGS] & ~ZTDP_PKT_FLAGS_HOPS_MASK,
			 S.log[out].data[ZTDP_PKT_IDX_FLAGS] & ~ZTDP_PKT_FLAGS_HOPS_MASK);
	assert_memory_equal(S.log[in].data + ZTDP_PKT_IDX_MAC, S.log[out].data + ZTDP_PKT_IDX_MAC,
			    S.log[in].len - ZTDP_PKT_IDX_MAC);
	assert_true(stats(R).relayed >= 1);
	assert_int_equal(drops(R, "NOT_FOR_US"), 0);
	assert_int_equal(drops(R, "RELAY_UNKNOWN"), 0);

	/* RENDEZVOUS to both, once for the pair however often R relayed. */
	assert_int_equal(stats(R).tx_by_verb[ZTDP_VERB_RENDEZVOUS], 2);
	assert_int_equal(stats(A).rx_by_verb[ZTDP_VERB_RENDEZVOUS], 1);
	assert_int_equal(stats(B).rx_by_verb[ZTDP_VERB_RENDEZVOUS], 1);

	/* Their NATs are open to each other now: direct paths both ways. */
	assert_int_equal(ztdp_node_peer(S.t[A].node, ids[B].address, &pi), 0);
	assert_int_equal(pi.path_count, 1);
	assert_true(pi.paths[0].active);
	assert_true(ztdp_inetaddr_equal(&pi.paths[0].addr, &S.t[B].addr));
	assert_int_equal(ztdp_node_peer(S.t[B].node, ids[A].address, &pi), 0);
	assert_int_equal(pi.path_count, 1);
	assert_true(ztdp_inetaddr_equal(&pi.paths[0].addr, &S.t[A].addr));

	/* The next request goes straight to B, and R relays nothing more. */
	relayed = (unsigned int)stats(R).relayed;
	mark = S.nlog;
	assert_int_equal(ztdp_node_join(S.t[A].node, S.now, net_of_b(2)), 0);
	run(500);
	assert_int_equal(net_status(A, net_of_b(2)), ZTDP_NETWORK_NOT_FOUND);
	assert_true(find_packet(mark, A, B, ids[A].address, ids[B].address, 0) >= 0);
	assert_true(find_packet(mark, B, A, ids[B].address, ids[A].address, 0) >= 0);
	assert_int_equal(find_packet(mark, A, R, ids[A].address, ids[B].address, 0), -1);
	assert_int_equal(stats(R).relayed, relayed);
}

/* A datagram to R that claims to come from `src` for `dst`. */
static void craft_packet(uint8_t *d, size_t len, uint64_t id, uint64_t src, uint64_t dst,
			 unsigned int hops)
{
	struct ztdp_wr w;

	memset(d, 0x5a, len);
	ztdp_wr_init(&w, d, len);
	assert_int_equal(ztdp_packet_begin(&w, id, dst, src, ZTDP_VERB_FRAME), 0);
	/* Suite 3, as any leaf would armor it; R cannot and need not check. */
	d[ZTDP_PKT_IDX_FLAGS] = (uint8_t)((ZTDP_CIPHER_AES_GMAC_SIV << 3) | hops);
}

static void feed(int to, int from, const uint8_t *d, size_t len)
{
	char why[256];

	ztdp_node_process_wire(S.t[to].node, S.now, &S.t[from].addr, d, len);
	assert_true(ztdp_node_test_stats_consistent(S.t[to].node, why, sizeof(why)));
}

/* The first datagram R sent since the queue was emptied (the relayed one;
 * RENDEZVOUS may follow it); empties the queue. */
static struct dgram take_first_from_r(void)
{
	struct dgram d;
	int first = -1;

	for (unsigned int i = 0; i < S.nq; i++)
		if (S.q[i].from == R && (first < 0 || S.q[i].seq < S.q[first].seq))
			first = (int)i;
	if (first < 0)
		fail_msg("R sent nothing");
	d = S.q[first];
	S.nq = 0;
	return d;
}

static void test_relay_refusals(void **state)
{
	uint8_t d[600], frag[200];
	struct ztdp_node_stats st;
	struct ztdp_inetaddr stranger;
	struct dgram out;
	uint64_t limited;

	(void)state;
	bring_up();
	S.nq = 0;	/* nothing more of theirs, from here on we drive R */

	/* Relayed: hops 0 -> 1, nothing else changes. */
	craft_packet(d, sizeof(d), 0x1111, ids[A].address, ids[B].address, 0);
	feed(R, A, d, sizeof(d));
	out = take_first_from_r();
	assert_true(ztdp_inetaddr_equal(&out.to, &S.t[B].addr));
	assert_int_equal(out.len, sizeof(d));
	assert_int_equal(ztdp_packet_hops(out.data), 1);
	out.data[ZTDP_PKT_IDX_FLAGS] = d[ZTDP_PKT_IDX_FLAGS];
	assert_memory_equal(out.data, d, sizeof(d));
	/* hops 2 -> 3 still goes; hops 3 is the end of the road. */
	craft_packet(d, sizeof(d), 0x1112, ids[A].address, ids[B].address, 2);
	feed(R, A, d, sizeof(d));
	out = take_first_from_r();
	assert_int_equal(ztdp_packet_hops(out.data), 3);
	craft_packet(d, sizeof(d), 0x1113, ids[A].address, ids[B].address, 3);
	feed(R, A, d, sizeof(d));
	assert_int_equal(drops(R, "RELAY_HOPS"), 1);

	/* A fragment: its own hop byte (15) goes up, the rest is the same. */
	memset(frag, 0xa5, sizeof(frag));
	ztdp_store_be64(frag, 0x1111);
	ztdp_address_to_bytes(ids[B].address, frag + ZTDP_FRAG_IDX_DEST);
	frag[ZTDP_FRAG_IDX_INDICATOR] = ZTDP_FRAG_INDICATOR;
	frag[ZTDP_FRAG_IDX_COUNTS] = 0x21;
	frag[ZTDP_FRAG_IDX_HOPS] = 1;
	feed(R, A, frag, sizeof(frag));
	out = take_first_from_r();
	assert_true(ztdp_inetaddr_equal(&out.to, &S.t[B].addr));
	assert_int_equal(ztdp_fragment_hops(out.data), 2);
	out.data[ZTDP_FRAG_IDX_HOPS] = 1;
	assert_memory_equal(out.data, frag, sizeof(frag));
	frag[ZTDP_FRAG_IDX_HOPS] = 3;
	feed(R, A, frag, sizeof(frag));
	assert_int_equal(drops(R, "RELAY_HOPS"), 2);

	/* Nobody R knows; back where it came from; claiming to be R. */
	craft_packet(d, sizeof(d), 0x1114, ids[A].address, 0x0102030405ULL, 0);
	feed(R, A, d, sizeof(d));
	assert_int_equal(drops(R, "RELAY_UNKNOWN"), 1);
	craft_packet(d, sizeof(d), 0x1115, ids[A].address, ids[B].address, 0);
	feed(R, B, d, sizeof(d));
	craft_packet(d, sizeof(d), 0x1116, ids[R].address, ids[B].address, 0);
	feed(R, A, d, sizeof(d));
	assert_int_equal(drops(R, "RELAY_LOOP"), 2);
	assert_int_equal(S.nq, 0);

	/* A leaf relays nothing. */
	craft_packet(d, sizeof(d), 0x1117, ids[R].address, ids[B].address, 0);
	feed(A, R, d, sizeof(d));
	assert_int_equal(drops(A, "NOT_FOR_US"), 1);
	assert_int_equal(stats(A).relayed, 0);

	/* One underlay source gets 1000 datagrams in a burst, then one per
	 * ms. Sources share 256 buckets hashed with a secret seed, so this
	 * one may share A's, which took 3 above: the counts allow for it. */
	ztdp_inetaddr_set_v4(&stranger, 0xcb007163, 4444);
	st = stats(R);
	for (unsigned int i = 0; i < 1100; i++) {
		craft_packet(d, 100, 0x2000 + i, 0x0a0b0c0d0eULL, ids[B].address, 0);
		ztdp_node_process_wire(S.t[R].node, S.now, &stranger, d, 100);
		S.nq = 0;
	}
	limited = drops(R, "RELAY_RATE_LIMITED");
	assert_int_equal(stats(R).relayed - st.relayed + limited, 1100);
	assert_true(limited >= 100 && limited <= 103);
	S.now += 5;
	for (unsigned int i = 0; i < 10; i++) {
		craft_packet(d, 100, 0x3000 + i, 0x0a0b0c0d0eULL, ids[B].address, 0);
		ztdp_node_process_wire(S.t[R].node, S.now, &stranger, d, 100);
	}
	assert_int_equal(drops(R, "RELAY_RATE_LIMITED"), limited + 5);
	S.nq = 0;
	/* Other sources are not held back by it (unless one shares its
	 * bucket: allow two of eight). */
	st = stats(R);
	for (unsigned int i = 0; i < 8; i++) {
		ztdp_inetaddr_set_v4(&stranger, 0xcb007164 + i, 4444);
		craft_packet(d, 100, 0x4000 + i, 0x0a0b0c0d0eULL, ids[B].address, 0);
		ztdp_node_process_wire(S.t[R].node, S.now, &stranger, d, 100);
	}
	assert_true(stats(R).relayed - st.relayed >= 6);
	S.nq = 0;

	/* Introductions: A and B were introduced by the first relay above;
	 * again only after 30 s. */
	assert_int_equal(stats(R).tx_by_verb[ZTDP_VERB_RENDEZVOUS], 2);
	S.now += 29000;
	craft_packet(d, sizeof(d), 0x1119, ids[B].address, ids[A].address, 0);
	feed(R, B, d, sizeof(d));
	assert_int_equal(stats(R).tx_by_verb[ZTDP_VERB_RENDEZVOUS], 2);
	S.now += 1000;
	feed(R, B, d, sizeof(d));
	assert_int_equal(stats(R).tx_by_verb[ZTDP_VERB_RENDEZVOUS], 4);
	S.nq = 0;
	dump(R);
}

/* WHOIS for a peer R knows only from its identity cache (R restarted). */
static void test_whois_from_cache(void **state)
{
	uint64_t nwid = net_of_b(3);
	struct ztdp_peer_info pi;
	struct ztdp_inetaddr at;

	(void)state;
	bring_up();
	node_stop(R);
	node_start(R, planet_bytes, planet_len);
	/* A forgets everything it knew of B. */
	node_stop(A);
	ztdp_test_store_free(&S.t[A].store);
	node_start(A, planet_bytes, planet_len);
	run(500);
	assert_int_equal(ztdp_node_peer_best_path(S.t[R].node, S.now, ids[B].address, &at), -1);
	assert_int_equal(ztdp_node_join(S.t[A].node, S.now, nwid), 0);
	run(200);
	assert_int_equal(ztdp_node_peer(S.t[A].node, ids[B].address, &pi), 0);
	/* R has not heard from B since its restart: nowhere to relay to. */
	assert_true(drops(R, "RELAY_UNKNOWN") >= 1);
	assert_int_equal(stats(R).relayed, 0);
}

/* R runs a newer planet (genplanet --update, key rotated): leaves that
 * still have the old one get it in OK(HELLO) and keep it. */
static void test_planet_update(void **state)
{
	char spec[512];
	struct ztdp_node_info info;
	uint8_t *newer;
	size_t newer_len;
	struct ztdp_world w;

	(void)state;
	snprintf(spec, sizeof(spec),
		 "{\"timestamp\": %llu, \"signing_key\": \"world.c25519\", \"updates_key\": \"next.c25519\"}\n",
		 (unsigned long long)PLANET_TS + 1);
	newer = genplanet(spec, "planet", "planet2", &newer_len);
	assert_int_equal(ztdp_world_parse(newer, newer_len, &w), 0);
	assert_true(ztdp_world_verify_self(&w) == false);	/* signed by the old key */
	node_start(R, newer, newer_len);
	node_start(A, planet_bytes, planet_len);
	node_start(B, newer, newer_len);
	run(1000);
	ztdp_node_info(S.t[A].node, &info);
	assert_true(info.online);
	assert_int_equal(info.planet_timestamp, PLANET_TS + 1);
	assert_non_null(ztdp_test_store_find(&S.t[A].store, ZTDP_STATE_PLANET, 0));
	assert_int_equal(ztdp_test_store_find(&S.t[A].store, ZTDP_STATE_PLANET, 0)->len, newer_len);
	assert_memory_equal(ztdp_test_store_find(&S.t[A].store, ZTDP_STATE_PLANET, 0)->data, newer,
			    newer_len);
	/* B had it already: nothing stored. */
	assert_null(ztdp_test_store_find(&S.t[B].store, ZTDP_STATE_PLANET, 0));
	free(newer);
}

static int group_setup(void **state)
{
	(void)state;
	verbose = getenv("ZTDP_TEST_VERBOSE") != NULL;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ztdp-root-test.XXXXXX");
	if (ztdp_crypto_init(NULL) != 0 || mkdtemp(tmpdir) == NULL)
		return -1;
	for (int i = 0; i < N_NODES; i++)
		if (ztdp_identity_generate(&ids[i]) != 0)
			return -1;
	planet_bytes = make_planet(&planet_len);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	free(planet_bytes);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_relay_rendezvous_direct, world_setup,
						world_teardown),
		cmocka_unit_test_setup_teardown(test_relay_refusals, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_whois_from_cache, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_planet_update, world_setup, world_teardown),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: test_node_root path/to/ztdp-idtool\n");
		return 1;
	}
	idtool = argv[1];
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
