/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: a whole node (control/) fed datagrams, frames and clock
 * steps from the input. It must never crash, and its counters must stay
 * consistent (ztdp_node_test_stats_consistent) after every step.
 *
 * Each input gets a fresh node with identity N, a private planet whose one
 * root R also controls network R<<24|1, a cached config for that network
 * (so frames have somewhere to go; peer P is an active bridge on it), and
 * P's identity in its identity cache. Raw datagrams alone would rarely get
 * past the MAC check, so most records are built by the harness, which
 * holds R's and P's keys, around fuzzed payloads. The input is records:
 *
 *   op & 7   what                       then
 *   0        raw datagram               from source (op >> 3) & 3 (R, P, two
 *                                       strangers); u16 length; bytes
 *   1, 2     packet from P (1) / R (2)  flags (bit 0 LZ4, bit 1 suite 3,
 *                                       bits 2-4 hops, bit 5 addressed to
 *                                       the other of R and P instead of N),
 *                                       verb, 8-byte ID, u16 length, payload
 *   3        clock step                 u16 ms x ((op >> 3) + 1), then tick
 *   4        frame from the L2 port     destination kind (op >> 3) & 3 (P's
 *                                       MAC, broadcast, given, ours), [6-byte
 *                                       MAC], source kind bit 5, ethertype,
 *                                       u16 length, payload
 *   5        P presents its credentials (a COM signed by R)
 *   6        HELLO from P               8-byte timestamp, u16 tail length,
 *                                       tail bytes (moons / anything)
 *   7        OK in re a packet the node sent (picked by the next byte),
 *            from R or P (op bit 3): in-re verb, u16 length, body
 * Lengths are taken modulo what fits; a short input reads as zeros.
 *
 * fuzz_node_root.c builds this file with FUZZ_NODE_AS_ROOT: N is then a
 * second root of the planet, so packets of bit 5 and fragments not for N
 * go through its relay (control/root.c) instead of being dropped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_armor.h"
#include "ztdp_buf.h"
#include "ztdp_credentials.h"
#include "ztdp_crypto.h"
#include "ztdp_identity.h"
#include "ztdp_mac.h"
#include "ztdp_netconf.h"
#include "ztdp_node.h"
#include "ztdp_node_test.h"
#include "ztdp_packet.h"
#include "ztdp_verbs.h"
#include "ztdp_world.h"

#define MAX_OPS		64
#ifndef FUZZ_NODE_AS_ROOT
#define FUZZ_NODE_AS_ROOT	0
#endif
#define T0		1700000000000ULL

/* Fixed identities, made with ztdp-idtool for this harness only, so that a
 * crashing input reproduces. */
static const char *const id_text[3] = {
	"2e7358f8d6:0:f470a3b2d3e3d167556f5e60df32db56d869c13c26a6b2940e4f73b771b83e51"
	"d11e24fb9de6af19ef0408a7e59680d1a25d07c58ab09c8bd4c57011214e8235:26b4a97bd4a064"
	"e44e16c5083cf445565f45848dbdcc511284a426549acee7ab6c75d6b32c150ba57e4792c82943e7"
	"72cd81519022f5c122ace6324b2c00276f",
	"23ea872a88:0:e694839abf0b4ba2d1dcd16ce3d8bc00c0a8481ae548ea1740269c969d534043"
	"ea3eec93f2a4e7320cd11dc312dd2fbbeac0dac54af49b4d2ee72ac70ed7ea3f:319afced8216fac5"
	"abbd75d7d665134f424fe2b3fb6be8d7f7b3c625e0018fa7b79f728bed3578efb394fc991604b8b8"
	"6c2120c6f7371efc12466415a879b0be",
	"91d1263aed:0:d96e831f6f20567a2f7eda49e7e48dec09ee1519a4cfe4e1ae1a7ce8851a6e1d"
	"5018f4049f9cd30e688ab4ffc7f3782d7cfe07516a5291d8994e82f6e9559e20:382fd1b41e08c4e9"
	"0e81b94443b68696250849879d02dbc362b52a414c47745c57e77bb753a36786e34d91b8db0de4db"
	"b423e1b47fad6baa2ef7c3f60c475a5a",
};

enum { N, R, P };

static struct {
	bool ready;
	struct ztdp_identity id[3];
	struct ztdp_peer_key key[3];	/* R's and P's key with N */
	char peer_text[ZTDP_IDENTITY_TEXT_MAX];
	uint64_t nwid;
	uint8_t planet[ZTDP_WORLD_MAX_LEN];
	size_t planet_len;
	uint8_t dict[16384];
	size_t dict_len;
	uint8_t creds[2048];
	size_t creds_len;
	struct ztdp_inetaddr addr[4];	/* R, P, two strangers */
} G;

static struct {
	struct ztdp_node *node;
	uint64_t now;
	uint64_t sent_id[16], sent_to[16];
	unsigned int nsent;
	uint8_t pkt[ZTDP_MAX_PACKET_LEN], comp[ZTDP_MAX_PACKET_LEN];
	uint8_t dgram[ZTDP_DEFAULT_PHYSMTU];
	unsigned int frames;
} S;

/* ---- Set-up, once ----------------------------------------------------------- */

static void setup(void)
{
	struct ztdp_netconf *nc;
	struct ztdp_world w;
	struct ztdp_com com;
	struct ztdp_wr wr;
	const char *why;

	CHECK(ztdp_crypto_init(NULL) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(ztdp_identity_from_string(&G.id[i], id_text[i], &why) == 0);
	for (int i = R; i <= P; i++) {
		uint8_t k[ZTDP_PEER_KEY_LEN];

		CHECK(ztdp_identity_agree(&G.id[i], &G.id[N], k) == 0);
		CHECK(ztdp_peer_key_init(&G.key[i], k) == 0);
	}
	CHECK(ztdp_identity_to_string(&G.id[P], false, G.peer_text, sizeof(G.peer_text)) > 0);
	ztdp_inetaddr_set_v4(&G.addr[0], 0xc6336401, 9993);	/* 198.51.100.1 */
	ztdp_inetaddr_set_v4(&G.addr[1], 0xc0000214, 9993);	/* 192.0.2.20 */
	ztdp_inetaddr_set_v4(&G.addr[2], 0xcb007101, 4444);	/* 203.0.113.1 */
	ztdp_inetaddr_set_v4(&G.addr[3], 0xcb007102, 9993);
	G.nwid = (G.id[R].address << 24) | 1;

	/* The planet: R alone, or R and N. */
	memset(&w, 0, sizeof(w));
	w.type = ZTDP_WORLD_TYPE_PLANET;
	w.id = 0xf022;
	w.timestamp = 1000;
	memcpy(w.updates_key, G.id[R].pub, sizeof(w.updates_key));
	w.root_count = FUZZ_NODE_AS_ROOT ? 2 : 1;
	for (unsigned int i = 0; i < w.root_count; i++) {
		w.roots[i].identity = G.id[i == 0 ? R : N];
		memset(w.roots[i].identity.priv, 0, sizeof(w.roots[i].identity.priv));
		w.roots[i].identity.has_private = false;
		w.roots[i].endpoint_count = 1;
		w.roots[i].endpoints[0] = G.addr[i == 0 ? 0 : 2];
	}
	CHECK(ztdp_world_sign(&w, G.id[R].pub, G.id[R].priv) == 0);
	ztdp_wr_init(&wr, G.planet, sizeof(G.planet));
	CHECK(ztdp_world_encode(&wr, &w) == 0);
	G.planet_len = wr.off;

	/* N's config: one address, P an active bridge, a rule set that
	 * drops all but IPv4, ARP and IPv6. */
	nc = ztdp_netconf_alloc();
	CHECK(nc != NULL);
	nc->nwid = G.nwid;
	nc->timestamp = T0;
	nc->revision = 3;
	nc->issued_to = G.id[N].address;
	nc->flags = ZTDP_NETCONF_FLAG_ENABLE_BROADCAST;
	nc->static_ip_count = 1;
	ztdp_inetaddr_set_v4(&nc->static_ips[0], 0x0a93110b, 24);
	nc->specialist_count = 1;
	nc->specialists[0] = G.id[P].address | ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE;
	nc->rule_count = 5;
	for (int i = 0; i < 3; i++) {
		nc->rules[i].t = ZTDP_RULE_FLAG_NOT | ZTDP_RULE_MATCH_ETHERTYPE;
		nc->rules[i].v.ethertype = i == 0 ? 0x0800 : i == 1 ? 0x0806 : 0x86dd;
	}
	nc->rules[3].t = ZTDP_RULE_ACTION_DROP;
	nc->rules[4].t = ZTDP_RULE_ACTION_ACCEPT;
	ztdp_com_issue(&nc->com, T0, nc->credential_time_max_delta, G.nwid, &G.id[N]);
	CHECK(ztdp_com_sign(&nc->com, &G.id[R]) == 0);
	nc->has_com = true;
	CHECK(ztdp_netconf_encode(nc, G.dict, sizeof(G.dict), &G.dict_len) == 0);
	ztdp_netconf_free(nc);

	/* P's credentials: its COM. */
	ztdp_com_issue(&com, T0, ZTDP_NETCONF_CTMD_DEFAULT, G.nwid, &G.id[P]);
	CHECK(ztdp_com_sign(&com, &G.id[R]) == 0);
	ztdp_wr_init(&wr, G.creds, sizeof(G.creds));
	CHECK(ztdp_network_credentials_build(&wr, &com, 1, NULL, 0, NULL, 0, NULL, 0, NULL,
					     0) == 0);
	G.creds_len = wr.off;
	G.ready = true;
}

/* ---- Callbacks --------------------------------------------------------------- */

static int cb_send(void *ctx, const struct ztdp_inetaddr *to, const void *data, size_t len,
		   unsigned int ttl)
{
	(void)ctx;
	(void)ttl;
	CHECK(to != NULL && (to->family == 4 || to->family == 6));
	CHECK(len > 0 && len <= ZTDP_DEFAULT_PHYSMTU);
	if (ztdp_dgram_classify(data, len) == ZTDP_DGRAM_PACKET) {
		S.sent_id[S.nsent % 16] = ztdp_packet_id(data);
		S.sent_to[S.nsent % 16] = ztdp_packet_dest(data);
		S.nsent++;
	}
	return 0;
}

static void cb_frame(void *ctx, uint64_t nwid, uint64_t src, uint64_t dst, uint16_t et,
		     const void *payload, size_t len)
{
	(void)ctx;
	(void)src;
	(void)dst;
	(void)et;
	CHECK(nwid == G.nwid);
	CHECK(len == 0 || payload != NULL);
	S.frames++;
	CHECK(len <= ZTDP_MAX_PACKET_LEN);
}

static int cb_put(void *ctx, enum ztdp_state_kind kind, uint64_t id, const void *data,
		  size_t len)
{
	(void)ctx;
	(void)kind;
	(void)id;
	CHECK(len == 0 || data != NULL);
	return 0;
}

static ssize_t cb_get(void *ctx, enum ztdp_state_kind kind, uint64_t id, void *buf,
		      size_t cap)
{
	const void *src = NULL;
	size_t len = 0;

	(void)ctx;
	if (kind == ZTDP_STATE_PEER && id == G.id[P].address) {
		src = G.peer_text;
		len = strlen(G.peer_text);
	} else if (kind == ZTDP_STATE_NETWORK_CONFIG && id == G.nwid) {
		src = G.dict;
		len = G.dict_len;
	}
	if (src == NULL || len > cap)
		return -1;
	memcpy(buf, src, len);
	return (ssize_t)len;
}

/* ---- Input reading --------------------------------------------------------------- */

struct in {
	const uint8_t *p;
	size_t len, off;
};

static uint8_t in_u8(struct in *in)
{
	return in->off < in->len ? in->p[in->off++] : 0;
}

static uint64_t in_uint(struct in *in, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = (v << 8) | in_u8(in);
	return v;
}

/* Up to n bytes of the input (fewer at its end). */
static const uint8_t *in_bytes(struct in *in, size_t *n)
{
	const uint8_t *q = in->p + in->off;

	if (*n > in->len - in->off)
		*n = in->len - in->off;
	in->off += *n;
	return q;
}

static void check(void)
{
	char why[256];

	if (!ztdp_node_test_stats_consistent(S.node, why, sizeof(why))) {
		fprintf(stderr, "inconsistent counters: %s\n", why);
		abort();
	}
}

/* ---- Building packets around fuzzed payloads -------------------------------------- */

/* Armor the packet in S.pkt (len bytes) for N with who's key and feed its
 * datagrams to the node from addr. */
static void feed_packet(int who, size_t len, bool lz4, unsigned int suite,
			unsigned int hops, const struct ztdp_inetaddr *from)
{
	uint8_t *pkt = S.pkt;
	int nfrag;

	if (lz4) {
		int c = ztdp_packet_compress(pkt, len, S.comp, sizeof(S.comp));

		if (c > 0) {
			pkt = S.comp;
			len = (size_t)c;
		}
	}
	nfrag = ztdp_packet_prepare_fragments(pkt, len, ZTDP_DEFAULT_PHYSMTU);
	if (nfrag < 1 || ztdp_armor(&G.key[who], pkt, len, suite) != 0)
		return;
	ztdp_packet_set_hops(pkt, hops);
	for (int f = nfrag - 1; f >= 0; f--) {
		int dl = ztdp_fragment_encode(pkt, len, ZTDP_DEFAULT_PHYSMTU, (unsigned int)f,
					      S.dgram, sizeof(S.dgram));

		if (dl > 0)
			ztdp_node_process_wire(S.node, S.now, from, S.dgram, (size_t)dl);
	}
}

static void op_packet(struct in *in, int who)
{
	uint8_t flags = in_u8(in), verb = in_u8(in) & ZTDP_PKT_VERB_MASK;
	uint64_t id = in_uint(in, 8);
	size_t n = in_uint(in, 2) % (ZTDP_MAX_PACKET_LEN - ZTDP_PKT_HEADER_LEN);
	const uint8_t *payload = in_bytes(in, &n);
	unsigned int hops = (flags >> 2) & 7;
	/* Bit 5: for the other peer, which a root relays. */
	uint64_t dest = (flags & 0x20) ? G.id[who == R ? P : R].address : G.id[N].address;
	struct ztdp_wr w;

	ztdp_wr_init(&w, S.pkt, sizeof(S.pkt));
	if (ztdp_packet_begin(&w, id, dest, G.id[who].address, verb) != 0)
		return;
	ztdp_wr_bytes(&w, payload, n);
	if (!ztdp_wr_ok(&w))
		return;
	/* A relayed packet comes from the root's address. */
	feed_packet(who, w.off, flags & 1, (flags & 2) ? 3 : 1, hops,
		    hops != 0 || who == R ? &G.addr[0] : &G.addr[1]);
}

static void op_credentials(void)
{
	struct ztdp_wr w;

	ztdp_wr_init(&w, S.pkt, sizeof(S.pkt));
	if (ztdp_packet_begin(&w, S.now ^ 0x5a5a, G.id[N].address, G.id[P].address,
			      ZTDP_VERB_NETWORK_CREDENTIALS) != 0)
		return;
	ztdp_wr_bytes(&w, G.creds, G.creds_len);
	feed_packet(P, w.off, true, 3, 0, &G.addr[1]);
}

static void op_hello(struct in *in)
{
	struct ztdp_hello h;
	struct ztdp_wr w;
	size_t crypt_off = 0, n;
	const uint8_t *tail;

	memset(&h, 0, sizeof(h));
	h.proto_version = ZTDP_PROTO_VERSION;
	h.major = 1;
	h.minor = 14;
	h.revision = 1;
	h.timestamp = in_uint(in, 8);
	h.identity = G.id[P];
	h.has_dest = true;
	h.dest = G.addr[2];
	h.has_world = true;
	h.world_id = 0xf022;
	h.world_timestamp = 1000;
	n = in_uint(in, 2) % 256;
	tail = in_bytes(in, &n);
	ztdp_wr_init(&w, S.pkt, sizeof(S.pkt));
	if (ztdp_packet_begin(&w, in_uint(in, 8), G.id[N].address, G.id[P].address,
			      ZTDP_VERB_HELLO) != 0 ||
	    ztdp_hello_encode(&w, &h, &crypt_off) != 0)
		return;
	ztdp_wr_bytes(&w, tail, n);
	if (!ztdp_wr_ok(&w))
		return;
	ztdp_hello_cryptfield(&G.key[P], S.pkt, crypt_off, w.off);
	feed_packet(P, w.off, false, 0, 0, &G.addr[1]);
}

static void op_ok(struct in *in, int who)
{
	unsigned int pick = in_u8(in);
	struct ztdp_ok ok;
	struct ztdp_wr w;
	size_t n;
	const uint8_t *body;

	memset(&ok, 0, sizeof(ok));
	ok.in_re_verb = in_u8(in) & ZTDP_PKT_VERB_MASK;
	if (S.nsent > 0)
		ok.in_re_packet_id = S.sent_id[pick % (S.nsent < 16 ? S.nsent : 16)];
	n = in_uint(in, 2) % 4096;
	body = in_bytes(in, &n);
	ok.payload = body;
	ok.payload_len = n;
	ztdp_wr_init(&w, S.pkt, sizeof(S.pkt));
	if (ztdp_packet_begin(&w, in_uint(in, 8), G.id[N].address, G.id[who].address,
			      ZTDP_VERB_OK) != 0 ||
	    ztdp_ok_encode(&w, &ok) != 0)
		return;
	feed_packet(who, w.off, true, 3, 0, who == R ? &G.addr[0] : &G.addr[1]);
}

static void op_frame(struct in *in, uint8_t op)
{
	uint64_t mine = ztdp_mac_from_address(G.id[N].address, G.nwid), dst, src;
	uint16_t et;
	size_t n;
	const uint8_t *payload;

	switch ((op >> 3) & 3) {
	case 0:
		dst = ztdp_mac_from_address(G.id[P].address, G.nwid);
		break;
	case 1:
		dst = ZTDP_MAC_BROADCAST;
		break;
	case 2:
		dst = in_uint(in, 6);
		break;
	default:
		dst = mine;
		break;
	}
	src = (op & 0x20) ? in_uint(in, 6) : mine;
	et = (uint16_t)in_uint(in, 2);
	n = in_uint(in, 2) % 3000;
	payload = in_bytes(in, &n);
	(void)ztdp_node_process_frame(S.node, S.now, G.nwid, src, dst, et, payload, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ztdp_node_callbacks cb = {
		.wire_send = cb_send, .frame_deliver = cb_frame,
		.state_put = cb_put, .state_get = cb_get,
	};
	struct ztdp_node_config cfg = { .primary_port = 9993, .local_addr_count = 1 };
	struct in in = { .p = data, .len = size };

	if (!G.ready)
		setup();
	memset(&S.sent_id, 0, sizeof(S.sent_id));
	S.nsent = 0;
	S.frames = 0;
	S.now = T0;
	cfg.identity = &G.id[N];
	cfg.planet = G.planet;
	cfg.planet_len = G.planet_len;
	cfg.local_addrs[0] = G.addr[2];
	CHECK(ztdp_node_create(&S.node, &cfg, &cb, S.now) == 0);
	ztdp_node_tick(S.node, S.now);
	CHECK(ztdp_node_join(S.node, S.now, G.nwid) == 0);
	for (int ops = 0; ops < MAX_OPS && in.off < in.len; ops++) {
		uint8_t op = in_u8(&in);

		switch (op & 7) {
		case 0: {
			size_t n = in_uint(&in, 2) % 1600;
			const uint8_t *d = in_bytes(&in, &n);

			ztdp_node_process_wire(S.node, S.now, &G.addr[(op >> 3) & 3], d, n);
			break;
		}
		case 1:
			op_packet(&in, P);
			break;
		case 2:
			op_packet(&in, R);
			break;
		case 3:
			S.now += in_uint(&in, 2) * (((op >> 3) & 31) + 1);
			(void)ztdp_node_tick(S.node, S.now);
			break;
		case 4:
			op_frame(&in, op);
			break;
		case 5:
			op_credentials();
			break;
		case 6:
			op_hello(&in);
			break;
		default:
			op_ok(&in, (op & 8) ? P : R);
			break;
		}
		check();
	}
	S.now += 60000;
	(void)ztdp_node_tick(S.node, S.now);
	check();
	/* FUZZ_NODE_DEBUG=1: what each input did (for checking seeds). */
	if (getenv("FUZZ_NODE_DEBUG") != NULL) {
		struct ztdp_node_stats st;

		ztdp_node_stats(S.node, &st);
		fprintf(stderr, "rx %llu tx %llu relayed %llu frames %u drops:",
			(unsigned long long)st.rx_packets, (unsigned long long)st.tx_packets,
			(unsigned long long)st.relayed, S.frames);
		for (unsigned int i = 0; i < ztdp_node_drop_reasons(); i++)
			if (ztdp_node_drop_count(S.node, i) > 0)
				fprintf(stderr, " %s=%llu", ztdp_node_drop_id(i),
					(unsigned long long)ztdp_node_drop_count(S.node, i));
		fprintf(stderr, "\n");
	}
	ztdp_node_destroy(S.node);
	S.node = NULL;
	return 0;
}
