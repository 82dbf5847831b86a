/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The node (control/) between synthetic peers, entirely in memory.
 *
 *        root1 (planet root + controller, 198.51.100.1)   root2 (198.51.100.2)
 *              \            |                              /
 *               \     virtual underlay (latencies, optional NAT)
 *                \          |                            /
 *          node A (203.0.113.10)                node B (192.0.2.20)
 *
 * The roots are fakes built here from proto/ pieces: they answer HELLO
 * with OK(HELLO), WHOIS with OK(WHOIS), NETWORK_CONFIG_REQUEST with
 * configs encoded by ztdp_netconf_encode, cut and signed by
 * ztdp_netconf_chunker, or with ERROR 0x07 / 0x03; they record
 * MULTICAST_LIKEs, answer MULTICAST_GATHER, relay packets between members
 * and introduce them with RENDEZVOUS. A and B are real ztdp nodes. All
 * datagrams go through one queue under a virtual clock; nodes are ticked
 * when they ask to be.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_store.h"
#include "test_util.h"
#include "ztdp_armor.h"
#include "ztdp_crypto.h"
#include "ztdp_identity.h"
#include "ztdp_mac.h"
#include "ztdp_netconf.h"
#include "ztdp_netconf_chunk.h"
#include "ztdp_node.h"
#include "ztdp_node_test.h"
#include "ztdp_packet.h"
#include "ztdp_reasm.h"
#include "ztdp_controller.h"
#include "ztdp_verbs.h"
#include "ztdp_world.h"

#define T0		1700000000000ULL	/* virtual clock start, ms */
#define NET_ID(ctrl)	(((ctrl) << 24) | 0x5a2681ULL)

static bool verbose;

/* ---- Identities (made once) ------------------------------------------------- */

enum { ID_ROOT1, ID_ROOT2, ID_A, ID_B, ID_X, N_IDS };
static struct ztdp_identity ids[N_IDS];

/* Persisted state: one ztdp_test_store (node_store.h) per node identity,
 * kept across restarts. */

/* ---- Virtual underlay ------------------------------------------------------------ */

struct fake_root;
struct tnode;

struct ep {
	struct ztdp_inetaddr addr;
	struct tnode *node;		/* one of these two */
	struct fake_root *root;
	bool silent;			/* drops everything in and out */
	bool nat;			/* inbound only from where it sent */
	struct ztdp_inetaddr opened[32];
	unsigned int nopened;
	uint64_t sent_to_peer;		/* datagrams to the other member */
	/* A passive endpoint (no node, no root) keeps what reaches it. */
	unsigned int received;
	size_t last_len;
	uint8_t last[ZTDP_DEFAULT_PHYSMTU];
};

struct dgram {
	uint64_t at;
	uint64_t seq;			/* FIFO among equal times */
	struct ep *from;
	struct ztdp_inetaddr to;
	unsigned int ttl;
	size_t len;
	uint8_t data[ZTDP_DEFAULT_PHYSMTU];
};

#define MAX_EPS		5
#define QCAP		4096

struct sim {
	uint64_t now;
	struct ep eps[MAX_EPS];
	unsigned int neps;
	struct dgram *q;
	unsigned int nq;
	unsigned int latency[MAX_EPS][MAX_EPS];	/* one way, ms */
	uint64_t delivered, blocked, seq;
	/* Optional tap on everything delivered to one endpoint. */
	struct ep *tap;
	struct dgram *tapped;
	unsigned int ntapped, tapcap;
};

static struct sim *S;

static struct ep *ep_by_addr(const struct ztdp_inetaddr *a)
{
	for (unsigned int i = 0; i < S->neps; i++)
		if (ztdp_inetaddr_equal(&S->eps[i].addr, a))
			return &S->eps[i];
	return NULL;
}

static unsigned int ep_index(const struct ep *e)
{
	return (unsigned int)(e - S->eps);
}

static void sim_send(struct ep *from, const struct ztdp_inetaddr *to, const void *data,
		     size_t len, unsigned int ttl)
{
	struct ep *dst = ep_by_addr(to);
	struct dgram *d;
	bool known = false;

	assert_true(len <= ZTDP_DEFAULT_PHYSMTU);
	if (from->silent)
		return;
	/* Sending opens our NAT mapping towards that address. */
	for (unsigned int i = 0; i < from->nopened && !known; i++)
		known = ztdp_inetaddr_equal(&from->opened[i], to);
	if (!known && from->nopened < 32)
		from->opened[from->nopened++] = *to;
	if (dst != NULL && dst->node != NULL && from->node != NULL)
		from->sent_to_peer++;
	assert_true(S->nq < QCAP);
	d = &S->q[S->nq++];
	d->at = S->now + (dst != NULL ? S->latency[ep_index(from)][ep_index(dst)] : 1);
	d->seq = S->seq++;
	d->from = from;
	d->to = *to;
	d->ttl = ttl;
	d->len = len;
	memcpy(d->data, data, len);
}

/* ---- Test nodes --------------------------------------------------------------------- */

struct frame_rec {
	uint64_t nwid, src, dst;
	uint16_t ethertype;
	size_t len;
	uint8_t data[2048];
};

struct tnode {
	struct ztdp_node *node;
	struct ep *ep;
	struct ztdp_test_store *store;
	const struct ztdp_identity *id;
	uint64_t next_tick;
	unsigned int frames;
	struct frame_rec last;
	unsigned int changed;
	bool last_changed_null;
};

static int cb_wire_send(void *ctx, const struct ztdp_inetaddr *to, const void *data,
			size_t len, unsigned int ttl)
{
	struct tnode *t = ctx;

	sim_send(t->ep, to, data, len, ttl);
	return 0;
}

static void cb_frame(void *ctx, uint64_t nwid, uint64_t src, uint64_t dst,
		     uint16_t ethertype, const void *payload, size_t len)
{
	struct tnode *t = ctx;

	t->frames++;
	t->last.nwid = nwid;
	t->last.src = src;
	t->last.dst = dst;
	t->last.ethertype = ethertype;
	t->last.len = len;
	memcpy(t->last.data, payload, len < sizeof(t->last.data) ? len : sizeof(t->last.data));
}

static void cb_changed(void *ctx, uint64_t nwid, const struct ztdp_netconf *nc)
{
	struct tnode *t = ctx;

	(void)nwid;
	t->changed++;
	t->last_changed_null = nc == NULL;
}

static int cb_put(void *ctx, enum ztdp_state_kind kind, uint64_t id, const void *data,
		  size_t len)
{
	struct tnode *t = ctx;

	return ztdp_test_store_put(t->store, kind, id, data, len);
}

static ssize_t cb_get(void *ctx, enum ztdp_state_kind kind, uint64_t id, void *buf,
		      size_t cap)
{
	struct tnode *t = ctx;

	return ztdp_test_store_get(t->store, kind, id, buf, cap);
}

static void cb_log(void *ctx, int level, const char *msg)
{
	struct tnode *t = ctx;

	if (verbose)
		fprintf(stderr, "[%8.3f %010llx %d] %s\n", (double)(S->now - T0) / 1000.0,
			(unsigned long long)t->id->address, level, msg);
}

static const uint8_t *planet_bytes;
static size_t planet_len;

static void tnode_start(struct tnode *t)
{
	struct ztdp_node_callbacks cb = {
		.ctx = t,
		.wire_send = cb_wire_send,
		.frame_deliver = cb_frame,
		.network_changed = cb_changed,
		.state_put = cb_put,
		.state_get = cb_get,
		.log = cb_log,
	};
	struct ztdp_node_config cfg = {
		.identity = t->id,
		.planet = planet_bytes,
		.planet_len = planet_len,
		.primary_port = 9993,
		.local_addr_count = 1,
	};

	cfg.local_addrs[0] = t->ep->addr;
	assert_int_equal(ztdp_node_create(&t->node, &cfg, &cb, S->now), 0);
	t->next_tick = S->now;
}

static void tnode_stop(struct tnode *t)
{
	char why[256];

	assert_true(ztdp_node_test_stats_consistent(t->node, why, sizeof(why)));
	ztdp_node_destroy(t->node);
	t->node = NULL;
}

/* ---- The fake root / controller -------------------------------------------------------- */

struct fpeer {
	bool used;
	struct ztdp_identity id;
	struct ztdp_peer_key key;
	struct ztdp_inetaddr addr;
	bool version_known;
};

struct fnet {
	uint64_t nwid;
	uint64_t authorized[4];
	unsigned int nauth;
	uint64_t revision;
};

struct like {
	uint64_t nwid, member;
	struct ztdp_mcast_group g;
};

struct fake_root {
	struct ep *ep;
	const struct ztdp_identity *id;
	struct fpeer peers[8];
	struct fnet nets[2];
	unsigned int nnets;
	struct like likes[64];
	unsigned int nlikes;
	bool rendezvous;
	uint64_t introduced[8][2];
	unsigned int nintroduced;
	uint16_t chunk_max;
	bool push_after_ok;
	/* What it saw. */
	unsigned int hellos, whois, requests, push_oks, gathers, like_pkts, relayed, echoes,
		creds, other, denied, not_found;
	/* A newer planet to hand out in OK(HELLO). */
	uint8_t world[ZTDP_WORLD_MAX_LEN];
	size_t world_len;
	uint8_t tx[ZTDP_MAX_PACKET_LEN], txc[ZTDP_MAX_PACKET_LEN], rx[ZTDP_MAX_PACKET_LEN],
		dec[ZTDP_MAX_PACKET_LEN];
	struct ztdp_wr w;
};

static void randombytes_buf_like(uint64_t *v)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;

	/* The fakes' packet IDs need not be secret: xorshift is enough. */
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*v = x;
}

static struct fpeer *fr_peer(struct fake_root *r, uint64_t address)
{
	for (unsigned int i = 0; i < 8; i++)
		if (r->peers[i].used && r->peers[i].id.address == address)
			return &r->peers[i];
	return NULL;
}

static struct ztdp_wr *fr_begin(struct fake_root *r, uint64_t dest, unsigned int verb)
{
	uint64_t id;

	randombytes_buf_like(&id);
	ztdp_wr_init(&r->w, r->tx, sizeof(r->tx));
	assert_int_equal(ztdp_packet_begin(&r->w, id, dest, r->id->address, verb), 0);
	return &r->w;
}

static void fr_send(struct fake_root *r, struct fpeer *p, bool compress)
{
	uint8_t *pkt = r->tx;
	size_t len = r->w.off;
	unsigned int suite = p->version_known ? ZTDP_CIPHER_AES_GMAC_SIV
					      : ZTDP_CIPHER_POLY1305_SALSA2012;
	int nfrag;

	assert_true(ztdp_wr_ok(&r->w));
	if (compress) {
		int c = ztdp_packet_compress(pkt, len, r->txc, sizeof(r->txc));

		if (c > 0) {
			pkt = r->txc;
			len = (size_t)c;
		}
	}
	nfrag = ztdp_packet_prepare_fragments(pkt, len, ZTDP_DEFAULT_PHYSMTU);
	assert_true(nfrag >= 1);
	assert_int_equal(ztdp_armor(&p->key, pkt, len, suite), 0);
	for (int f = 0; f < nfrag; f++) {
		uint8_t d[ZTDP_DEFAULT_PHYSMTU];
		int dl = ztdp_fragment_encode(pkt, len, ZTDP_DEFAULT_PHYSMTU, (unsigned int)f, d,
					      sizeof(d));

		assert_true(dl > 0);
		sim_send(r->ep, &p->addr, d, (size_t)dl, 0);
	}
}

static struct ztdp_wr *fr_ok(struct fake_root *r, struct fpeer *p, unsigned int verb,
			     uint64_t id)
{
	struct ztdp_wr *w = fr_begin(r, p->id.address, ZTDP_VERB_OK);
	struct ztdp_ok ok = { .in_re_verb = (uint8_t)verb, .in_re_packet_id = id };

	assert_int_equal(ztdp_ok_encode(w, &ok), 0);
	return w;
}

static void fr_error(struct fake_root *r, struct fpeer *p, unsigned int verb, uint64_t id,
		     uint8_t code, uint64_t nwid)
{
	struct ztdp_wr *w = fr_begin(r, p->id.address, ZTDP_VERB_ERROR);
	struct ztdp_error e = {
		.in_re_verb = (uint8_t)verb, .in_re_packet_id = id, .code = code,
		.has_nwid = true, .nwid = nwid,
	};

	assert_int_equal(ztdp_error_encode(w, &e), 0);
	fr_send(r, p, false);
}

static void fr_hello(struct fake_root *r, const struct ztdp_inetaddr *from, uint8_t *pkt,
		     size_t len)
{
	const uint8_t *pl = pkt + ZTDP_PKT_IDX_PAYLOAD;
	size_t plen = len - ZTDP_PKT_IDX_PAYLOAD, coff;
	struct ztdp_identity id;
	struct ztdp_ok_hello o;
	struct ztdp_hello h;
	struct fpeer *p;
	struct ztdp_wr *w;
	bool known;

	assert_int_equal(ztdp_hello_crypt_offset(pl, plen, &coff), 0);
	assert_int_equal(ztdp_identity_deserialize(&id, pl + ZTDP_HELLO_IDX_IDENTITY,
						   plen - ZTDP_HELLO_IDX_IDENTITY),
			 ZTDP_IDENTITY_PUBLIC_BIN_LEN);
	p = fr_peer(r, id.address);
	if (p == NULL) {
		uint8_t k[ZTDP_PEER_KEY_LEN];
		unsigned int i = 0;

		while (i < 7 && r->peers[i].used)
			i++;
		assert_false(r->peers[i].used);
		p = &r->peers[i];
		memset(p, 0, sizeof(*p));
		p->used = true;
		p->id = id;
		assert_int_equal(ztdp_identity_agree(r->id, &id, k), 0);
		assert_int_equal(ztdp_peer_key_init(&p->key, k), 0);
	}
	p->addr = *from;
	assert_true(ztdp_dearmor(&p->key, pkt, len) >= 0);
	if (coff < plen)
		ztdp_hello_cryptfield(&p->key, pkt, ZTDP_PKT_IDX_PAYLOAD + coff, len);
	assert_int_equal(ztdp_hello_decode(pl, plen, &h), 0);
	assert_int_equal(h.proto_version, ZTDP_PROTO_VERSION);
	r->hellos++;
	memset(&o, 0, sizeof(o));
	o.timestamp = h.timestamp;
	o.proto_version = 12;
	o.major = 1;
	o.minor = 14;
	o.revision = 1;
	o.has_addr = true;
	o.addr = *from;
	o.has_worlds = true;
	if (r->world_len > 0 && h.world_timestamp < 2000) {
		o.worlds = r->world;
		o.worlds_len = (uint16_t)r->world_len;
	}
	known = p->version_known;
	w = fr_ok(r, p, ZTDP_VERB_HELLO, ztdp_packet_id(pkt));
	assert_int_equal(ztdp_ok_hello_encode(w, &o), 0);
	fr_send(r, p, false);
	(void)known;
	p->version_known = true;
	ztdp_identity_clear(&h.identity);
}

static struct fnet *fr_net(struct fake_root *r, uint64_t nwid)
{
	for (unsigned int i = 0; i < r->nnets; i++)
		if (r->nets[i].nwid == nwid)
			return &r->nets[i];
	return NULL;
}

static int fr_member_index(const struct fnet *net, uint64_t member)
{
	for (unsigned int i = 0; i < net->nauth; i++)
		if (net->authorized[i] == member)
			return (int)i;
	return -1;
}

/* A config as a 1.14.1 controller would issue it, cut into signed chunks. */
static void fr_send_config(struct fake_root *r, struct fpeer *p, struct fnet *net,
			   int idx, bool push, uint64_t in_re)
{
	struct ztdp_netconf *nc = ztdp_netconf_alloc();
	struct ztdp_netconf_chunker ch;
	size_t cap = 65536, len = 0;
	uint8_t *dict = malloc(cap);
	uint64_t update_id;
	int rc;

	assert_non_null(nc);
	assert_non_null(dict);
	nc->nwid = net->nwid;
	nc->timestamp = S->now;
	nc->revision = net->revision;
	nc->issued_to = p->id.address;
	nc->flags = ZTDP_NETCONF_FLAG_ENABLE_BROADCAST;
	snprintf(nc->name, sizeof(nc->name), "pairnet");
	nc->static_ip_count = 1;
	ztdp_inetaddr_set_v4(&nc->static_ips[0], 0x0a93110b + (uint32_t)idx, 24);
	nc->route_count = 1;
	ztdp_inetaddr_set_v4(&nc->routes[0].target, 0x0a931100, 24);
	nc->rule_count = 1;
	nc->rules[0].t = ZTDP_RULE_ACTION_ACCEPT;
	ztdp_com_issue(&nc->com, S->now, nc->credential_time_max_delta, net->nwid, &p->id);
	assert_int_equal(ztdp_com_sign(&nc->com, r->id), 0);
	nc->has_com = true;
	assert_int_equal(ztdp_netconf_encode(nc, dict, cap, &len), 0);
	randombytes_buf_like(&update_id);
	assert_int_equal(ztdp_netconf_chunker_init(&ch, r->id, net->nwid, update_id, 0, dict, len,
						   r->chunk_max), 0);
	for (;;) {
		struct ztdp_wr *w = push ? fr_begin(r, p->id.address, ZTDP_VERB_NETWORK_CONFIG)
					 : fr_ok(r, p, ZTDP_VERB_NETWORK_CONFIG_REQUEST, in_re);

		rc = ztdp_netconf_chunker_next(&ch, w);
		assert_true(rc >= 0);
		if (rc == 0)
			break;
		fr_send(r, p, true);
	}
	free(dict);
	ztdp_netconf_free(nc);
}

static void fr_request(struct fake_root *r, struct fpeer *p, const uint8_t *pl, size_t plen,
		       uint64_t id)
{
	struct ztdp_netconf_request q;
	struct fnet *net;
	int idx;

	assert_int_equal(ztdp_netconf_request_decode(pl, plen, &q), 0);
	assert_true(q.has_meta && q.meta_len > 0);
	r->requests++;
	net = fr_net(r, q.nwid);
	if (net == NULL) {
		r->not_found++;
		fr_error(r, p, ZTDP_VERB_NETWORK_CONFIG_REQUEST, id, ZTDP_ERROR_OBJ_NOT_FOUND, q.nwid);
		return;
	}
	idx = fr_member_index(net, p->id.address);
	if (idx < 0) {
		r->denied++;
		fr_error(r, p, ZTDP_VERB_NETWORK_CONFIG_REQUEST, id,
			 ZTDP_ERROR_NETWORK_ACCESS_DENIED, q.nwid);
		return;
	}
	fr_send_config(r, p, net, idx, false, id);
	if (r->push_after_ok)
		fr_send_config(r, p, net, idx, true, 0);
}

static void fr_relay(struct fake_root *r, const uint8_t *data, size_t len, uint64_t dest,
		     uint64_t source, bool fragment)
{
	struct fpeer *d = fr_peer(r, dest), *s = fr_peer(r, source);
	uint8_t copy[ZTDP_DEFAULT_PHYSMTU];

	if (d == NULL)
		return;
	memcpy(copy, data, len);
	if (fragment)
		ztdp_fragment_set_hops(copy, ztdp_fragment_hops(copy) + 1);
	else
		ztdp_packet_set_hops(copy, ztdp_packet_hops(copy) + 1);
	r->relayed++;
	sim_send(r->ep, &d->addr, copy, len, 0);
	if (fragment || !r->rendezvous || s == NULL)
		return;
	for (unsigned int i = 0; i < r->nintroduced; i++)
		if ((r->introduced[i][0] == source && r->introduced[i][1] == dest) ||
		    (r->introduced[i][0] == dest && r->introduced[i][1] == source))
			return;
	assert_true(r->nintroduced < 8);
	r->introduced[r->nintroduced][0] = source;
	r->introduced[r->nintroduced][1] = dest;
	r->nintroduced++;
	for (int k = 0; k < 2; k++) {
		struct fpeer *to = k ? s : d, *other = k ? d : s;
		struct ztdp_rendezvous m = { .with = other->id.address, .addr = other->addr };
		struct ztdp_wr *w = fr_begin(r, to->id.address, ZTDP_VERB_RENDEZVOUS);

		assert_int_equal(ztdp_rendezvous_encode(w, &m), 0);
		fr_send(r, to, false);
	}
}

static void fr_receive(struct fake_root *r, const struct ztdp_inetaddr *from,
		       const uint8_t *data, size_t len)
{
	enum ztdp_dgram_kind kind = ztdp_dgram_classify(data, len);
	uint8_t *pkt = r->rx;
	struct fpeer *p;
	unsigned int verb;
	const uint8_t *pl;
	size_t plen;
	uint64_t id;

	if (kind == ZTDP_DGRAM_FRAGMENT) {
		uint64_t dest = ztdp_load_be40(data + ZTDP_FRAG_IDX_DEST);

		if (dest != r->id->address)
			fr_relay(r, data, len, dest, 0, true);
		return;
	}
	if (kind != ZTDP_DGRAM_PACKET)
		return;
	if (ztdp_packet_dest(data) != r->id->address) {
		fr_relay(r, data, len, ztdp_packet_dest(data), ztdp_packet_source(data), false);
		return;
	}
	assert_false(ztdp_packet_is_fragmented(data));
	memcpy(pkt, data, len);
	if (ztdp_packet_cipher(pkt) == 0) {
		fr_hello(r, from, pkt, len);
		return;
	}
	p = fr_peer(r, ztdp_packet_source(pkt));
	if (p == NULL)
		return;
	id = ztdp_packet_id(pkt);
	assert_true(ztdp_dearmor(&p->key, pkt, len) > 0);
	if (ztdp_packet_is_compressed(pkt)) {
		int n = ztdp_packet_decompress(pkt, len, r->dec, sizeof(r->dec));

		assert_true(n > 0);
		pkt = r->dec;
		len = (size_t)n;
	}
	verb = ztdp_packet_verb(pkt);
	pl = pkt + ZTDP_PKT_IDX_PAYLOAD;
	plen = len - ZTDP_PKT_IDX_PAYLOAD;
	switch (verb) {
	case ZTDP_VERB_WHOIS: {
		struct ztdp_identity found[4];
		struct ztdp_ok_whois o = { .ids = found };
		struct ztdp_whois m;
		struct ztdp_wr *w;

		r->whois++;
		assert_int_equal(ztdp_whois_decode(pl, plen, &m), 0);
		for (unsigned int i = 0; i < m.count && o.count < 4; i++) {
			uint64_t a = ztdp_whois_address(&m, i);
			struct fpeer *q = fr_peer(r, a);

			if (a == r->id->address)
				found[o.count++] = *r->id;
			else if (q != NULL)
				found[o.count++] = q->id;
		}
		if (o.count == 0)
			break;
		w = fr_ok(r, p, ZTDP_VERB_WHOIS, id);
		assert_int_equal(ztdp_ok_whois_encode(w, &o), 0);
		fr_send(r, p, false);
		break;
	}
	case ZTDP_VERB_NETWORK_CONFIG_REQUEST:
		fr_request(r, p, pl, plen, id);
		break;
	case ZTDP_VERB_MULTICAST_LIKE: {
		struct ztdp_multicast_like m;

		r->like_pkts++;
		assert_int_equal(ztdp_multicast_like_decode(pl, plen, &m), 0);
		for (unsigned int i = 0; i < m.count; i++) {
			struct ztdp_multicast_like_rec rec;
			bool dup = false;

			ztdp_multicast_like_get(&m, i, &rec);
			for (unsigned int j = 0; j < r->nlikes && !dup; j++)
				dup = r->likes[j].nwid == rec.nwid &&
				      r->likes[j].member == p->id.address &&
				      ztdp_mcast_group_equal(r->likes[j].g, rec.group);
			if (!dup && r->nlikes < 64) {
				r->likes[r->nlikes].nwid = rec.nwid;
				r->likes[r->nlikes].member = p->id.address;
				r->likes[r->nlikes].g = rec.group;
				r->nlikes++;
			}
		}
		break;
	}
	case ZTDP_VERB_MULTICAST_GATHER: {
		struct ztdp_multicast_gather m;
		uint64_t addrs[8];
		struct ztdp_ok_multicast_gather o;
		struct ztdp_wr *w;
		uint16_t count = 0;

		r->gathers++;
		assert_int_equal(ztdp_multicast_gather_decode(pl, plen, &m), 0);
		for (unsigned int j = 0; j < r->nlikes && count < 8; j++)
			if (r->likes[j].nwid == m.nwid && r->likes[j].member != p->id.address &&
			    ztdp_mcast_group_equal(r->likes[j].g, m.group))
				addrs[count++] = r->likes[j].member;
		if (count == 0)
			break;
		memset(&o, 0, sizeof(o));
		o.nwid = m.nwid;
		o.group = m.group;
		o.res.total_known = count;
		o.res.count = count;
		o.res.addrs = addrs;
		w = fr_ok(r, p, ZTDP_VERB_MULTICAST_GATHER, id);
		assert_int_equal(ztdp_ok_multicast_gather_encode(w, &o), 0);
		fr_send(r, p, false);
		break;
	}
	case ZTDP_VERB_ECHO: {
		struct ztdp_echo e;
		struct ztdp_wr *w;

		r->echoes++;
		assert_int_equal(ztdp_echo_decode(pl, plen, &e), 0);
		w = fr_ok(r, p, ZTDP_VERB_ECHO, id);
		assert_int_equal(ztdp_echo_encode(w, &e), 0);
		fr_send(r, p, false);
		break;
	}
	case ZTDP_VERB_OK:
		/* The 1.14.1 quirk: a push is answered in re ECHO. */
		if (pl[0] == ZTDP_VERB_ECHO && plen == ZTDP_OK_IDX_PAYLOAD + 16)
			r->push_oks++;
		else
			r->other++;
		break;
	case ZTDP_VERB_NETWORK_CREDENTIALS:
		r->creds++;
		break;
	default:
		r->other++;
		break;
	}
}

/* ---- The world ------------------------------------------------------------------------ */

static struct fake_root roots[2];
static struct tnode nodes[2];	/* A, B */
static struct ztdp_test_store stores[2];

static void deliver(struct dgram *d)
{
	struct ep *to = ep_by_addr(&d->to);
	bool open = false;

	if (to == NULL || to->silent) {
		S->blocked++;
		return;
	}
	if (to->nat) {
		for (unsigned int i = 0; i < to->nopened && !open; i++)
			open = ztdp_inetaddr_equal(&to->opened[i], &d->from->addr);
		/* The junk's TTL of 2 never reaches the far side of the path. */
		if (!open || d->ttl == 2) {
			S->blocked++;
			return;
		}
	}
	S->delivered++;
	if (S->tap == to && S->ntapped < S->tapcap)
		S->tapped[S->ntapped++] = *d;
	if (to->node != NULL && to->node->node != NULL) {
		ztdp_node_process_wire(to->node->node, S->now, &d->from->addr, d->data, d->len);
	} else if (to->root != NULL) {
		fr_receive(to->root, &d->from->addr, d->data, d->len);
	} else {
		to->received++;
		to->last_len = d->len;
		memcpy(to->last, d->data, d->len);
	}
}

static void sim_run(uint64_t until)
{
	for (;;) {
		uint64_t next = UINT64_MAX;
		int qi = -1, ni = -1;

		for (unsigned int i = 0; i < S->nq; i++)
			if (S->q[i].at < next ||
			    (S->q[i].at == next && S->q[i].seq < S->q[qi].seq)) {
				next = S->q[i].at;
				qi = (int)i;
			}
		for (int i = 0; i < 2; i++)
			if (nodes[i].node != NULL && nodes[i].next_tick < next) {
				next = nodes[i].next_tick;
				ni = i;
				qi = -1;
			}
		if (next > until || (qi < 0 && ni < 0)) {
			S->now = until;
			return;
		}
		S->now = next;
		if (ni >= 0) {
			uint64_t wait = ztdp_node_tick(nodes[ni].node, S->now);

			assert_true(wait >= 1 && wait <= 5000);
			nodes[ni].next_tick = S->now + wait;
		} else {
			struct dgram d = S->q[qi];

			S->q[qi] = S->q[--S->nq];
			deliver(&d);
		}
	}
}

static struct ep *add_ep(uint32_t ip)
{
	struct ep *e = &S->eps[S->neps++];

	memset(e, 0, sizeof(*e));
	ztdp_inetaddr_set_v4(&e->addr, ip, 9993);
	return e;
}

static void build_planet(unsigned int nroots, uint64_t ts, uint8_t *out, size_t cap,
			 size_t *len)
{
	struct ztdp_world w;
	struct ztdp_wr wr;

	memset(&w, 0, sizeof(w));
	w.type = ZTDP_WORLD_TYPE_PLANET;
	w.id = 0x7e570001;
	w.timestamp = ts;
	memcpy(w.updates_key, ids[ID_ROOT1].pub, sizeof(w.updates_key));
	w.root_count = nroots;
	for (unsigned int i = 0; i < nroots; i++) {
		w.roots[i].identity = ids[ID_ROOT1 + i];
		memset(w.roots[i].identity.priv, 0, sizeof(w.roots[i].identity.priv));
		w.roots[i].identity.has_private = false;
		w.roots[i].endpoint_count = 1;
		w.roots[i].endpoints[0] = S->eps[i].addr;
	}
	assert_int_equal(ztdp_world_sign(&w, ids[ID_ROOT1].pub, ids[ID_ROOT1].priv), 0);
	ztdp_wr_init(&wr, out, cap);
	assert_int_equal(ztdp_world_encode(&wr, &w), 0);
	*len = wr.off;
}

static uint8_t planet_buf[ZTDP_WORLD_MAX_LEN];

/* Two roots (root1 the controller), A and B; latencies root1 10 ms, root2
 * 25 ms, A-B 3 ms. Nodes not started. */
static void world_setup(unsigned int nroots)
{
	S = calloc(1, sizeof(*S));
	assert_non_null(S);
	S->q = calloc(QCAP, sizeof(*S->q));
	assert_non_null(S->q);
	S->now = T0;
	add_ep(0xc6336401);	/* 198.51.100.1 root1 */
	add_ep(0xc6336402);	/* 198.51.100.2 root2 */
	add_ep(0xcb00710a);	/* 203.0.113.10 A */
	add_ep(0xc0000214);	/* 192.0.2.20 B */
	add_ep(0xcb007163);	/* 203.0.113.99: a passive stranger */
	for (unsigned int i = 0; i < MAX_EPS; i++)
		for (unsigned int j = 0; j < MAX_EPS; j++)
			S->latency[i][j] = (i == 0 || j == 0) ? 10 : (i == 1 || j == 1) ? 25 : 3;
	memset(roots, 0, sizeof(roots));
	for (unsigned int i = 0; i < 2; i++) {
		roots[i].ep = &S->eps[i];
		roots[i].id = &ids[ID_ROOT1 + i];
		roots[i].rendezvous = true;
		S->eps[i].root = &roots[i];
	}
	roots[0].nnets = 1;
	roots[0].nets[0].nwid = NET_ID(ids[ID_ROOT1].address);
	roots[0].nets[0].revision = 1;
	roots[0].nets[0].authorized[0] = ids[ID_A].address;
	roots[0].nets[0].authorized[1] = ids[ID_B].address;
	roots[0].nets[0].nauth = 2;
	roots[0].chunk_max = 400;	/* several chunks per config */
	roots[0].push_after_ok = true;
	memset(nodes, 0, sizeof(nodes));
	for (unsigned int i = 0; i < 2; i++) {
		nodes[i].ep = &S->eps[2 + i];
		nodes[i].id = &ids[ID_A + i];
		nodes[i].store = &stores[i];
		S->eps[2 + i].node = &nodes[i];
		ztdp_test_store_free(&stores[i]);
	}
	build_planet(nroots, 1000, planet_buf, sizeof(planet_buf), &planet_len);
	planet_bytes = planet_buf;
}

static void dump_drops(const struct tnode *t)
{
	struct ztdp_node_stats st;

	if (!verbose || t->node == NULL)
		return;
	ztdp_node_stats(t->node, &st);
	fprintf(stderr, "  %010llx: rx %llu tx %llu dropped %llu\n",
		(unsigned long long)t->id->address, (unsigned long long)st.rx_packets,
		(unsigned long long)st.tx_packets, (unsigned long long)st.rx_dropped);
	for (unsigned int i = 0; i < ztdp_node_drop_reasons(); i++)
		if (ztdp_node_drop_count(t->node, i) > 0)
			fprintf(stderr, "    %-24s %llu\n", ztdp_node_drop_id(i),
				(unsigned long long)ztdp_node_drop_count(t->node, i));
}

static void world_teardown(void)
{
	for (unsigned int i = 0; i < 2; i++)
		dump_drops(&nodes[i]);
	for (unsigned int i = 0; i < 2; i++)
		if (nodes[i].node != NULL)
			tnode_stop(&nodes[i]);
	for (unsigned int i = 0; i < 2; i++)
		for (unsigned int j = 0; j < 8; j++)
			if (roots[i].peers[j].used)
				ztdp_peer_key_clear(&roots[i].peers[j].key);
	for (unsigned int i = 0; i < 2; i++)
		ztdp_test_store_free(&stores[i]);
	free(S->tapped);
	free(S->q);
	free(S);
	S = NULL;
}

static enum ztdp_network_status net_status(struct tnode *t, uint64_t nwid)
{
	struct ztdp_network_info ni;

	assert_int_equal(ztdp_node_network(t->node, nwid, &ni), 0);
	return ni.status;
}

static uint64_t drop_count(struct tnode *t, const char *id)
{
	for (unsigned int i = 0; i < ztdp_node_drop_reasons(); i++)
		if (strcmp(ztdp_node_drop_id(i), id) == 0)
			return ztdp_node_drop_count(t->node, i);
	fail_msg("no drop reason %s", id);
	return 0;
}

/* Both nodes up and configured on the network. */
static void bring_up_both(void)
{
	uint64_t nwid = NET_ID(ids[ID_ROOT1].address);

	tnode_start(&nodes[0]);
	tnode_start(&nodes[1]);
	sim_run(S->now + 1000);
	assert_int_equal(ztdp_node_join(nodes[0].node, S->now, nwid), 0);
	assert_int_equal(ztdp_node_join(nodes[1].node, S->now, nwid), 0);
	sim_run(S->now + 2000);
	assert_int_equal(net_status(&nodes[0], nwid), ZTDP_NETWORK_OK);
	assert_int_equal(net_status(&nodes[1], nwid), ZTDP_NETWORK_OK);
}

/* ---- Tests ------------------------------------------------------------------------------ */

static void test_online(void **state)
{
	struct ztdp_node_info info;
	struct ztdp_peer_info pi;

	(void)state;
	world_setup(2);
	tnode_start(&nodes[0]);
	ztdp_node_info(nodes[0].node, &info);
	assert_false(info.online);
	assert_int_equal(info.planet_world_id, 0x7e570001);
	sim_run(S->now + 1000);
	ztdp_node_info(nodes[0].node, &info);
	assert_true(info.online);
	assert_int_equal(info.address, ids[ID_A].address);
	assert_int_equal(ztdp_node_peer(nodes[0].node, ids[ID_ROOT1].address, &pi), 0);
	assert_int_equal(pi.role, ZTDP_PEER_PLANET);
	assert_string_equal(ztdp_peer_role_name(pi.role), "PLANET");
	/* Round trip 2 x 10 ms. */
	assert_int_equal(pi.latency, 20);
	assert_int_equal(pi.version_major, 1);
	assert_int_equal(pi.version_minor, 14);
	assert_int_equal(pi.version_revision, 1);
	assert_int_equal(pi.proto_version, 12);
	assert_int_equal(pi.path_count, 1);
	assert_true(ztdp_inetaddr_equal(&pi.paths[0].addr, &S->eps[0].addr));
	assert_true(pi.paths[0].active);
	assert_int_equal(ztdp_node_peer(nodes[0].node, ids[ID_ROOT2].address, &pi), 0);
	assert_int_equal(pi.latency, 50);
	assert_int_equal(roots[0].hellos, 1);
	assert_int_equal(roots[1].hellos, 1);
	world_teardown();
}

static void test_join_ok(void **state)
{
	uint64_t nwid = NET_ID(ids[ID_ROOT1].address);
	struct ztdp_network_info ni;
	struct ztdp_test_store_ent *e;
	char text[64];

	(void)state;
	world_setup(1);
	tnode_start(&nodes[0]);
	sim_run(S->now + 1000);
	assert_int_equal(ztdp_node_join(nodes[0].node, S->now, nwid), 0);
	assert_int_equal(net_status(&nodes[0], nwid), ZTDP_NETWORK_REQUESTING_CONFIGURATION);
	/* Joined but unconfigured is recorded (empty), so a restart rejoins. */
	e = ztdp_test_store_find(&stores[0], ZTDP_STATE_NETWORK_CONFIG, nwid);
	assert_non_null(e);
	assert_int_equal(e->len, 0);
	sim_run(S->now + 1000);
	assert_int_equal(ztdp_node_network(nodes[0].node, nwid, &ni), 0);
	assert_int_equal(ni.status, ZTDP_NETWORK_OK);
	assert_string_equal(ztdp_network_status_name(ni.status), "OK");
	assert_string_equal(ni.name, "pairnet");
	assert_false(ni.is_public);
	assert_true(ni.broadcast_enabled);
	assert_int_equal(ni.mtu, 2800);
	assert_int_equal(ni.assigned_count, 1);
	assert_true(ztdp_inetaddr_format(&ni.assigned[0], text, sizeof(text)) > 0);
	assert_string_equal(text, "10.147.17.11/24");
	assert_int_equal(ni.route_count, 1);
	assert_int_equal(ni.mac, ztdp_mac_from_address(ids[ID_A].address, nwid));
	/* The OK's config and then the push (answered in re ECHO). */
	assert_true(nodes[0].changed >= 1);
	assert_int_equal(roots[0].requests, 1);
	assert_int_equal(roots[0].push_oks, 1);
	/* The dictionary is persisted as the controller signed it. */
	e = ztdp_test_store_find(&stores[0], ZTDP_STATE_NETWORK_CONFIG, nwid);
	assert_non_null(e);
	assert_true(e->len > 400);
	assert_non_null(memmem(e->data, e->len, "n=pairnet", 9));
	/* Our groups went to the controller: broadcast and our ARP group. */
	assert_int_equal(roots[0].nlikes, 2);
	/* Leave: state deleted, network gone, the port told. */
	assert_int_equal(ztdp_node_leave(nodes[0].node, S->now, nwid), 0);
	assert_null(ztdp_test_store_find(&stores[0], ZTDP_STATE_NETWORK_CONFIG, nwid));
	assert_true(nodes[0].last_changed_null);
	assert_int_equal(ztdp_node_network(nodes[0].node, nwid, &ni), -1);
	assert_int_equal(ztdp_node_leave(nodes[0].node, S->now, nwid), -1);
	assert_int_equal(ztdp_node_join(nodes[0].node, S->now, 0), -1);
	assert_int_equal(ztdp_node_join(nodes[0].node, S->now, 0xff00000000000001ULL), -1);
	world_teardown();
}

static void test_access_denied_then_ok(void **state)
{
	uint64_t nwid = NET_ID(ids[ID_ROOT1].address);

	(void)state;
	world_setup(1);
	roots[0].nets[0].nauth = 1;	/* only A */
	tnode_start(&nodes[1]);
	sim_run(S->now + 1000);
	assert_int_equal(ztdp_node_join(nodes[1].node, S->now, nwid), 0);
	sim_run(S->now + 1000);
	assert_int_equal(net_status(&nodes[1], nwid), ZTDP_NETWORK_ACCESS_DENIED);
	assert_int_equal(roots[0].denied, 1);
	/* Still asking (every 5 s while unconfigured); authorized, it gets in. */
	roots[0].nets[0].nauth = 2;
	sim_run(S->now + 6000);
	assert_int_equal(net_status(&nodes[1], nwid), ZTDP_NETWORK_OK);
	world_teardown();
}

static void test_not_found(void **state)
{
	uint64_t nwid = (ids[ID_ROOT1].address << 24) | 0x000badULL;
	uint64_t nobody = (0x1234567890ULL << 24) | 0x000001ULL;

	(void)state;
	world_setup(2);
	tnode_start(&nodes[0]);
	sim_run(S->now + 1000);
	assert_int_equal(ztdp_node_join(nodes[0].node, S->now, nwid), 0);
	sim_run(S->now + 1000);
	assert_int_equal(net_status(&nodes[0], nwid), ZTDP_NETWORK_NOT_FOUND);
	assert_int_equal(roots[0].not_found, 1);
	/* A controller no root knows: WHOIS after WHOIS, and the network
	 * stays REQUESTING_CONFIGURATION. */
	assert_int_equal(ztdp_node_join(nodes[0].node, S->now, nobody), 0);
	sim_run(S->now + 12000);
	assert_int_equal(net_status(&nodes[0], nobody), ZTDP_NETWORK_REQUESTING_CONFIGURATION);
	assert_true(roots[0].whois + roots[1].whois >= 3);
	world_teardown();
}

static void test_network_errors_only_from_controller(void **state)
{
	uint64_t nwid = NET_ID(ids[ID_ROOT1].address);
	struct fpeer *pa;

	(void)state;
	world_setup(2);
	bring_up_both();
	/* root2 is not this network's controller: its ACCESS_DENIED and
	 * OBJ_NOT_FOUND are ignored and counted. */
	pa = fr_peer(&roots[1], ids[ID_A].address);
	assert_non_null(pa);
	fr_error(&roots[1], pa, ZTDP_VERB_NETWORK_CONFIG_REQUEST, 1,
		 ZTDP_ERROR_NETWORK_ACCESS_DENIED, nwid);
	fr_error(&roots[1], pa, ZTDP_VERB_NETWORK_CONFIG_REQUEST, 2, ZTDP_ERROR_OBJ_NOT_FOUND,
		 nwid);
	sim_run(S->now + 100);
	assert_int_equal(net_status(&nodes[0], nwid), ZTDP_NETWORK_OK);
	assert_int_equal(drop_count(&nodes[0], "NOT_CONTROLLER"), 2);
	world_teardown();
}

static void test_restart_cached(void **state)
{
	uint64_t nwid = NET_ID(ids[ID_ROOT1].address);
	struct ztdp_network_info ni;
	unsigned int requests;
	char text[64];

	(void)state;
	world_setup(1);
	tnode_start(&nodes[0]);
	sim_run(S->now + 1000);
	assert_int_equal(ztdp_node_join(nodes[0].node, S->now, nwid), 0);
	sim_run(S->now + 1000);
	assert_int_equal(net_status(&nodes[0], nwid), ZTDP_NETWORK_OK);
	tnode_stop(&nodes[0]);

	/* Restart with the same state; the controller is unreachable. */
	S->eps[0].silent = true;
	sim_run(S->now + 500);
	tnode_start(&nodes[0]);
	nodes[0].changed = 0;
	assert_int_equal(ztdp_node_join(nodes[0].node, S->now, nwid), 0);
	/* Applied at once, before any answer. */
	assert_int_equal(nodes[0].changed, 1);
	assert_int_equal(ztdp_node_network(nodes[0].node, nwid, &ni), 0);
	assert_int_equal(ni.status, ZTDP_NETWORK_OK);
	assert_int_equal(ni.assigned_count, 1);
	assert_true(ztdp_inetaddr_format(&ni.assigned[0], text, sizeof(text)) > 0);
	assert_string_equal(text, "10.147.17.11/24");
	/* The controller comes back: the node asks again soon (a cached
	 * config is refreshed at once, not in 60 s) and takes the answer. */
	requests = roots[0].requests;
	roots[0].nets[0].revision = 2;
	S->eps[0].silent = false;
	sim_run(S->now + 12000);
	assert_true(roots[0].requests > requests);
	assert_int_equal(ztdp_node_network(nodes[0].node, nwid, &ni), 0);
	assert_int_equal(ni.status, ZTDP_NETWORK_OK);
	assert_int_equal(ni.netconf_revision, 2);
	world_teardown();
}

static const uint8_t ping_payload[84] = {
	0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01, 0x00, 0x00,
	10, 147, 17, 11, 10, 147, 17, 12, 0x08, 0x00, 0xf7, 0xff, 0x00, 0x01, 0x00, 0x01,
};

static void test_whois_rendezvous_frame(void **state)
{
	uint64_t nwid = NET_ID(ids[ID_ROOT1].address);
	uint64_t mac_a = ztdp_mac_from_address(ids[ID_A].address, nwid);
	uint64_t mac_b = ztdp_mac_from_address(ids[ID_B].address, nwid);
	struct ztdp_peer_info pi;
	uint8_t arp[28] = { 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01 };
	uint64_t direct;

	(void)state;
	world_setup(1);
	/* Both members behind NATs: only RENDEZVOUS gets them talking. */
	S->eps[2].nat = true;
	S->eps[3].nat = true;
	bring_up_both();
	assert_int_equal(ztdp_node_peer(nodes[0].node, ids[ID_B].address, &pi), -1);

	/* A frame from A to B: A WHOISes B, sends via root1, which relays
	 * and introduces them. */
	assert_int_equal(ztdp_node_process_frame(nodes[0].node, S->now, nwid, mac_a, mac_b,
						 0x0800, ping_payload, sizeof(ping_payload)), 0);
	sim_run(S->now + 1000);
	dump_drops(&nodes[0]);
	dump_drops(&nodes[1]);
	assert_true(roots[0].whois >= 1);
	assert_true(roots[0].relayed >= 1);
	assert_int_equal(nodes[1].frames, 1);
	assert_int_equal(nodes[1].last.nwid, nwid);
	assert_int_equal(nodes[1].last.src, mac_a);
	assert_int_equal(nodes[1].last.dst, mac_b);
	assert_int_equal(nodes[1].last.ethertype, 0x0800);
	assert_int_equal(nodes[1].last.len, sizeof(ping_payload));
	assert_memory_equal(nodes[1].last.data, ping_payload, sizeof(ping_payload));
	/* B learned A too (WHOIS while the packets waited). */
	assert_int_equal(ztdp_node_peer(nodes[1].node, ids[ID_A].address, &pi), 0);

	/* RENDEZVOUS punched through both NATs: direct paths both ways. */
	assert_int_equal(ztdp_node_peer(nodes[0].node, ids[ID_B].address, &pi), 0);
	assert_int_equal(pi.path_count, 1);
	assert_true(ztdp_inetaddr_equal(&pi.paths[0].addr, &S->eps[3].addr));
	assert_true(pi.paths[0].active);
	assert_int_equal(pi.proto_version, 12);
	assert_int_equal(pi.latency, 6);
	assert_int_equal(ztdp_node_peer(nodes[1].node, ids[ID_A].address, &pi), 0);
	assert_int_equal(pi.path_count, 1);
	assert_true(ztdp_inetaddr_equal(&pi.paths[0].addr, &S->eps[2].addr));

	/* The next frame goes direct, B to A this time. */
	direct = S->eps[3].sent_to_peer;
	assert_int_equal(ztdp_node_process_frame(nodes[1].node, S->now, nwid, mac_b, mac_a,
						 0x0800, ping_payload, sizeof(ping_payload)), 0);
	sim_run(S->now + 100);
	assert_int_equal(nodes[0].frames, 1);
	assert_int_equal(nodes[0].last.src, mac_b);
	assert_int_equal(nodes[0].last.dst, mac_a);
	assert_true(S->eps[3].sent_to_peer > direct);

	/* ARP for B's address: a multicast to B's ARP group, which B
	 * announced; A gathers it from root1 and then sends. */
	arp[24] = 10;
	arp[25] = 147;
	arp[26] = 17;
	arp[27] = 12;
	assert_int_equal(ztdp_node_process_frame(nodes[0].node, S->now, nwid, mac_a,
						 ZTDP_MAC_BROADCAST, 0x0806, arp, sizeof(arp)), 0);
	sim_run(S->now + 500);
	assert_int_equal(nodes[1].frames, 2);
	assert_int_equal(nodes[1].last.dst, ZTDP_MAC_BROADCAST);
	assert_int_equal(nodes[1].last.src, mac_a);
	assert_int_equal(nodes[1].last.ethertype, 0x0806);
	/* Not our MAC as source, and A is no bridge: refused. */
	assert_int_equal(ztdp_node_process_frame(nodes[0].node, S->now, nwid, 0x020000000001ULL,
						 mac_b, 0x0800, ping_payload,
						 sizeof(ping_payload)), -1);
	assert_int_equal(drop_count(&nodes[0], "TX_BAD_SOURCE_MAC"), 1);
	world_teardown();
}

static void test_failover(void **state)
{
	struct ztdp_node_info info;
	unsigned int w1, w2;

	(void)state;
	world_setup(2);
	tnode_start(&nodes[0]);
	sim_run(S->now + 2000);
	/* root1 (20 ms) is the best root: a lookup goes there first. */
	assert_int_equal(ztdp_node_join(nodes[0].node, S->now, (0x1234567890ULL << 24) | 1), 0);
	sim_run(S->now + 100);
	assert_int_equal(roots[0].whois, 1);
	assert_int_equal(roots[1].whois, 0);
	assert_int_equal(ztdp_node_leave(nodes[0].node, S->now, (0x1234567890ULL << 24) | 1), 0);
	/* root1 goes silent. Within a HELLO period plus the reply timeout
	 * the node fails over to root2 and stays online. */
	S->eps[0].silent = true;
	sim_run(S->now + 80000);
	ztdp_node_info(nodes[0].node, &info);
	assert_true(info.online);
	/* A lookup now goes to root2 first. */
	w1 = roots[0].whois;
	w2 = roots[1].whois;
	assert_int_equal(ztdp_node_join(nodes[0].node, S->now, (0x1234567891ULL << 24) | 1), 0);
	sim_run(S->now + 100);
	assert_int_equal(roots[1].whois, w2 + 1);
	assert_int_equal(roots[0].whois, w1);
	/* root2 silent too: offline. */
	S->eps[1].silent = true;
	sim_run(S->now + 100000);
	ztdp_node_info(nodes[0].node, &info);
	assert_false(info.online);
	/* root1 back: online again within a retry. */
	S->eps[0].silent = false;
	sim_run(S->now + 6000);
	ztdp_node_info(nodes[0].node, &info);
	assert_true(info.online);
	world_teardown();
}

static void test_keepalive_and_refresh(void **state)
{
	uint64_t nwid = NET_ID(ids[ID_ROOT1].address);
	uint64_t mac_a = ztdp_mac_from_address(ids[ID_A].address, nwid);
	uint64_t mac_b = ztdp_mac_from_address(ids[ID_B].address, nwid);
	unsigned int hellos, requests, likes;
	struct ztdp_peer_info pi;

	(void)state;
	world_setup(1);
	bring_up_both();
	assert_int_equal(ztdp_node_process_frame(nodes[0].node, S->now, nwid, mac_a, mac_b,
						 0x0800, ping_payload, sizeof(ping_payload)), 0);
	sim_run(S->now + 1000);
	assert_int_equal(nodes[1].frames, 1);
	hellos = roots[0].hellos;
	requests = roots[0].requests;
	likes = roots[0].like_pkts;
	/* Five quiet minutes: the active peer's direct path is kept alive
	 * by ECHOs and HELLOs. */
	sim_run(S->now + 300000);
	assert_int_equal(ztdp_node_peer(nodes[0].node, ids[ID_B].address, &pi), 0);
	assert_int_equal(pi.path_count, 1);
	assert_true(S->now - pi.paths[0].last_receive < 20000);
	assert_int_equal(pi.latency, 6);
	sim_run(S->now + 300000);
	/* Over ten minutes each node HELLOed root1 about once a minute... */
	assert_in_range(roots[0].hellos - hellos, 18, 24);
	/* ...refreshed its config once a minute (notes 8.5)... */
	assert_in_range(roots[0].requests - requests, 18, 24);
	/* ...and its multicast subscriptions. */
	assert_in_range(roots[0].like_pkts - likes, 18, 24);
	assert_int_equal(net_status(&nodes[0], nwid), ZTDP_NETWORK_OK);
	world_teardown();
}

static void test_world_update(void **state)
{
	struct ztdp_node_info info;
	struct ztdp_test_store_ent *e;

	(void)state;
	world_setup(1);
	build_planet(1, 5000, roots[0].world, sizeof(roots[0].world), &roots[0].world_len);
	tnode_start(&nodes[0]);
	sim_run(S->now + 1000);
	ztdp_node_info(nodes[0].node, &info);
	assert_int_equal(info.planet_timestamp, 5000);
	e = ztdp_test_store_find(&stores[0], ZTDP_STATE_PLANET, 0);
	assert_non_null(e);
	assert_int_equal(e->len, roots[0].world_len);
	assert_memory_equal(e->data, roots[0].world, e->len);
	tnode_stop(&nodes[0]);
	/* A restart picks the stored, newer planet over the configured one. */
	tnode_start(&nodes[0]);
	ztdp_node_info(nodes[0].node, &info);
	assert_int_equal(info.planet_timestamp, 5000);
	world_teardown();
}

/* Every truncation and every bit flip of real datagrams is dropped (or,
 * for a flipped fragment flag, held by reassembly until it times out),
 * counted, and crashes nothing. Hop bits are not authenticated by design
 * and are left alone. */
static void test_bad_input(void **state)
{
	uint64_t nwid = NET_ID(ids[ID_ROOT1].address);
	uint64_t mac_a = ztdp_mac_from_address(ids[ID_A].address, nwid);
	uint64_t mac_b = ztdp_mac_from_address(ids[ID_B].address, nwid);
	struct ztdp_node_stats before, after;
	uint64_t fed = 0, discarded0, held;
	char why[256];

	(void)state;
	world_setup(1);
	S->tapcap = 256;
	S->tapped = calloc(S->tapcap, sizeof(*S->tapped));
	assert_non_null(S->tapped);
	S->tap = &S->eps[2];
	bring_up_both();
	for (int i = 0; i < 3; i++) {
		ztdp_node_process_frame(nodes[1].node, S->now, nwid, mac_b, mac_a, 0x0800,
					ping_payload, sizeof(ping_payload));
		sim_run(S->now + 300);
	}
	assert_true(nodes[0].frames >= 3);
	assert_true(S->ntapped > 10);
	{
		/* Among them a HELLO (suite 0), suite 1 and suite 3 packets. */
		unsigned int suites[8] = { 0 };

		for (unsigned int k = 0; k < S->ntapped; k++)
			if (ztdp_dgram_classify(S->tapped[k].data, S->tapped[k].len) ==
			    ZTDP_DGRAM_PACKET)
				suites[ztdp_packet_cipher(S->tapped[k].data)]++;
		assert_true(suites[0] > 0 && suites[1] > 0 && suites[3] > 0);
	}
	S->tap = NULL;
	/* From here on nothing else reaches A. */
	S->eps[0].silent = true;
	S->eps[3].silent = true;
	sim_run(S->now + 10);

	ztdp_node_stats(nodes[0].node, &before);
	discarded0 = ztdp_node_test_reasm_stats(nodes[0].node)->pieces_discarded;
	for (unsigned int k = 0; k < S->ntapped; k++) {
		const struct dgram *d = &S->tapped[k];
		uint8_t buf[ZTDP_DEFAULT_PHYSMTU];
		bool frag = ztdp_dgram_classify(d->data, d->len) == ZTDP_DGRAM_FRAGMENT;

		for (size_t cut = 0; cut < d->len; cut++) {
			memcpy(buf, d->data, cut);
			ztdp_node_process_wire(nodes[0].node, S->now, &d->from->addr, buf, cut);
			fed++;
		}
		for (size_t byte = 0; byte < d->len; byte++) {
			for (int bit = 0; bit < 8; bit++) {
				if (!frag && byte == ZTDP_PKT_IDX_FLAGS && bit < 3)
					continue;
				if (frag && byte == ZTDP_FRAG_IDX_HOPS && bit < 3)
					continue;
				memcpy(buf, d->data, d->len);
				buf[byte] ^= (uint8_t)(1u << bit);
				ztdp_node_process_wire(nodes[0].node, S->now, &d->from->addr, buf,
						       d->len);
				fed++;
			}
		}
		if (!ztdp_node_test_stats_consistent(nodes[0].node, why, sizeof(why)))
			fail_msg("after datagram %u: %s", k, why);
	}
	/* Let waiting packets and partial reassemblies time out. */
	for (int i = 0; i < 20; i++) {
		S->now += 500;
		ztdp_node_tick(nodes[0].node, S->now);
	}
	ztdp_node_stats(nodes[0].node, &after);
	if (!ztdp_node_test_stats_consistent(nodes[0].node, why, sizeof(why)))
		fail_msg("%s", why);
	assert_int_equal(ztdp_node_test_pending(nodes[0].node), 0);
	/* Nothing mutated authenticated... */
	assert_int_equal(after.rx_packets, before.rx_packets);
	/* ...and every datagram was dropped under a reason, or (a fragment
	 * flag set by the flip) held by reassembly and discarded later. */
	held = ztdp_node_test_reasm_stats(nodes[0].node)->pieces_discarded - discarded0;
	print_message("%llu mutated datagrams: %llu dropped, %llu held by reassembly until "
		      "their timeout\n", (unsigned long long)fed,
		      (unsigned long long)(after.rx_dropped - before.rx_dropped),
		      (unsigned long long)held);
	assert_int_equal(after.rx_dropped - before.rx_dropped + held, fed);
	world_teardown();
}

/* A HELLO from `claimed` (whose key pair is really x's), to dest. */
static size_t build_hello(uint8_t *buf, size_t cap, const struct ztdp_identity *x,
			  uint64_t claimed, const struct ztdp_identity *dest,
			  struct ztdp_peer_key *key)
{
	struct ztdp_identity id = *x;
	uint8_t k[ZTDP_PEER_KEY_LEN];
	struct ztdp_hello h;
	struct ztdp_wr w;
	size_t coff = 0;
	uint64_t pid;

	id.address = claimed;
	assert_int_equal(ztdp_identity_agree(&id, dest, k), 0);
	assert_int_equal(ztdp_peer_key_init(key, k), 0);
	memset(&h, 0, sizeof(h));
	h.proto_version = 12;
	h.major = 1;
	h.minor = 14;
	h.revision = 1;
	h.timestamp = S->now;
	h.identity = id;
	h.has_dest = true;
	h.has_world = true;
	h.has_moons = true;
	randombytes_buf_like(&pid);
	ztdp_wr_init(&w, buf, cap);
	assert_int_equal(ztdp_packet_begin(&w, pid, dest->address, claimed, ZTDP_VERB_HELLO), 0);
	assert_int_equal(ztdp_hello_encode(&w, &h, &coff), 0);
	ztdp_hello_cryptfield(key, buf, coff, w.off);
	assert_int_equal(ztdp_armor(key, buf, w.off, 0), 0);
	return w.off;
}

/* Someone else's key under a known address (root1's): every HELLO that
 * authenticates with the claimant's key is answered with ERROR
 * IDENTITY_COLLISION (in that key) and dropped; checking costs an X25519,
 * so claimants are rate limited per /24 like unknown identities. */
static void test_identity_collision(void **state)
{
	struct ztdp_peer_key key;
	struct ztdp_peer_info pi;
	struct ztdp_error e;
	uint8_t buf[512];
	struct ep *x;
	size_t len;
	int rc;

	(void)state;
	world_setup(1);
	x = &S->eps[4];
	tnode_start(&nodes[0]);
	sim_run(S->now + 1000);
	for (int i = 0; i < 5; i++) {
		len = build_hello(buf, sizeof(buf), &ids[ID_X], ids[ID_ROOT1].address,
				  &ids[ID_A], &key);
		sim_send(x, &nodes[0].ep->addr, buf, len, 0);
		if (i < 4)
			ztdp_peer_key_clear(&key);
	}
	sim_run(S->now + 100);
	/* Two checked (burst), three refused unchecked. */
	assert_int_equal(drop_count(&nodes[0], "IDENTITY_COLLISION"), 2);
	assert_int_equal(drop_count(&nodes[0], "HELLO_RATE_LIMITED"), 3);
	assert_int_equal(x->received, 2);
	rc = ztdp_dearmor(&key, x->last, x->last_len);
	assert_int_equal(rc, 1);
	assert_int_equal(ztdp_packet_verb(x->last), ZTDP_VERB_ERROR);
	assert_int_equal(ztdp_error_decode(x->last + ZTDP_PKT_IDX_PAYLOAD,
					   x->last_len - ZTDP_PKT_IDX_PAYLOAD, &e), 0);
	assert_int_equal(e.code, ZTDP_ERROR_IDENTITY_COLLISION);
	ztdp_peer_key_clear(&key);
	/* The real root1 is still the one we know. */
	assert_int_equal(ztdp_node_peer(nodes[0].node, ids[ID_ROOT1].address, &pi), 0);
	assert_int_equal(pi.path_count, 1);
	assert_true(ztdp_inetaddr_equal(&pi.paths[0].addr, &S->eps[0].addr));
	/* Two seconds on, the bucket has refilled one check. */
	sim_run(S->now + 2000);
	len = build_hello(buf, sizeof(buf), &ids[ID_X], ids[ID_ROOT1].address, &ids[ID_A],
			  &key);
	ztdp_peer_key_clear(&key);
	sim_send(x, &nodes[0].ep->addr, buf, len, 0);
	sim_run(S->now + 100);
	assert_int_equal(drop_count(&nodes[0], "IDENTITY_COLLISION"), 3);
	world_teardown();
}

/* ---- A as the controller ------------------------------------------------------------ */

/* Change A's controller through its /controller JSON and sync A. */
static json_t *ctl_member(uint64_t nwid, uint64_t address, const char *body)
{
	struct ztdp_controller *ctl = ztdp_node_controller(nodes[0].node);
	json_t *b = json_loads(body, 0, NULL), *out = NULL;
	char err[256] = "";

	assert_non_null(b);
	if (ztdp_controller_member_update(ctl, nwid, address, b, S->now, &out, err,
					  sizeof(err)) != 0)
		fail_msg("member_update: %s", err);
	json_decref(b);
	ztdp_node_controller_sync(nodes[0].node, S->now);
	return out;
}

static void expect_assigned(struct tnode *t, uint64_t nwid, const char *cidr)
{
	struct ztdp_network_info ni;
	char text[64];

	assert_int_equal(ztdp_node_network(t->node, nwid, &ni), 0);
	assert_int_equal(ni.status, ZTDP_NETWORK_OK);
	assert_int_equal(ni.assigned_count, 1);
	assert_true(ztdp_inetaddr_format(&ni.assigned[0], text, sizeof(text)) > 0);
	assert_string_equal(text, cidr);
}

/*
 * Node A's embedded controller owns a network; node B asks to join it
 * over the wire, is refused and recorded, is authorized by the
 * administrator and gets its config pushed with an address from the pool.
 * A joins its own network too (answered without the wire), the two
 * exchange frames through the membership gate with COMs A signed, and B's
 * deauthorization reaches A's gate as a revocation and B's next request
 * as ACCESS_DENIED. A's controller state survives a restart.
 */
static void test_controller_node(void **state)
{
	uint64_t nwid = ids[ID_A].address << 24 | 0x00c0de;
	uint64_t mac_a = ztdp_mac_from_address(ids[ID_A].address, nwid);
	uint64_t mac_b = ztdp_mac_from_address(ids[ID_B].address, nwid);
	struct ztdp_controller *ctl;
	struct ztdp_network_info ni;
	char err[256] = "", cidr_b[32];
	uint64_t gate;
	json_t *body, *m;

	(void)state;
	world_setup(1);
	tnode_start(&nodes[0]);
	tnode_start(&nodes[1]);
	sim_run(S->now + 1000);
	ctl = ztdp_node_controller(nodes[0].node);
	assert_non_null(ctl);
	body = json_loads("{\"name\": \"ctlnet\", \"v4AssignMode\": {\"zt\": true},"
			  " \"ipAssignmentPools\": [{\"ipRangeStart\": \"10.147.17.100\","
			  " \"ipRangeEnd\": \"10.147.17.200\"}], \"routes\": [{\"target\":"
			  " \"10.147.17.0/24\"}]}", 0, NULL);
	assert_non_null(body);
	if (ztdp_controller_network_create(ctl, nwid, body, S->now, NULL, err, sizeof(err)) != 0)
		fail_msg("network_create: %s", err);
	json_decref(body);
	ztdp_node_controller_sync(nodes[0].node, S->now);
	assert_non_null(ztdp_test_store_find(&stores[0], ZTDP_STATE_CONTROLLER, 0));

	/* B asks over the wire: refused, and recorded for the administrator. */
	assert_int_equal(ztdp_node_join(nodes[1].node, S->now, nwid), 0);
	sim_run(S->now + 2000);
	dump_drops(&nodes[0]);
	dump_drops(&nodes[1]);
	assert_int_equal(net_status(&nodes[1], nwid), ZTDP_NETWORK_ACCESS_DENIED);
	assert_int_equal(ztdp_controller_member_get(ctl, nwid, ids[ID_B].address, &m, err,
						    sizeof(err)), 0);
	assert_false(json_is_true(json_object_get(m, "authorized")));
	assert_true(json_is_string(json_object_get(m, "identity")));
	json_decref(m);

	/* Authorized: the config is pushed at once, with 1.14.1's pick from
	 * the pool (start + address mod size). */
	m = ctl_member(nwid, ids[ID_B].address, "{\"authorized\": true}");
	snprintf(cidr_b, sizeof(cidr_b), "10.147.17.%u/24",
		 100 + (unsigned int)((ids[ID_B].address & 0xffffffffu) % 100));
	json_decref(m);
	sim_run(S->now + 200);
	expect_assigned(&nodes[1], nwid, cidr_b);
	assert_int_equal(ztdp_node_network(nodes[1].node, nwid, &ni), 0);
	assert_string_equal(ni.name, "ctlnet");
	assert_false(ni.is_public);
	assert_int_equal(ni.netconf_revision, 1);
	assert_int_equal(ni.route_count, 1);

	/* A joins its own network: refused too until authorized, then
	 * configured on the spot, with another address. */
	assert_int_equal(ztdp_node_join(nodes[0].node, S->now, nwid), 0);
	assert_int_equal(net_status(&nodes[0], nwid), ZTDP_NETWORK_ACCESS_DENIED);
	json_decref(ctl_member(nwid, ids[ID_A].address, "{\"authorized\": true}"));
	assert_int_equal(net_status(&nodes[0], nwid), ZTDP_NETWORK_OK);
	assert_int_equal(ztdp_node_network(nodes[0].node, nwid, &ni), 0);
	assert_int_equal(ni.assigned_count, 1);
	{
		char text[64];

		assert_true(ztdp_inetaddr_format(&ni.assigned[0], text, sizeof(text)) > 0);
		assert_string_not_equal(text, cidr_b);
		assert_memory_equal(text, "10.147.17.", 10);
	}

	/* Frames both ways: each side's gate takes the other's COM, which A
	 * signed. */
	assert_int_equal(ztdp_node_process_frame(nodes[0].node, S->now, nwid, mac_a, mac_b,
						 0x0800, ping_payload, sizeof(ping_payload)), 0);
	sim_run(S->now + 500);
	assert_int_equal(nodes[1].frames, 1);
	assert_int_equal(nodes[1].last.src, mac_a);
	assert_int_equal(ztdp_node_process_frame(nodes[1].node, S->now, nwid, mac_b, mac_a,
						 0x0800, ping_payload, sizeof(ping_payload)), 0);
	sim_run(S->now + 500);
	assert_int_equal(nodes[0].frames, 1);
	assert_int_equal(nodes[0].last.src, mac_b);

	/* B deauthorized: the revocation reaches A's own gate at once, so
	 * B's frames are refused; B's next request is denied. */
	gate = drop_count(&nodes[0], "GATE");
	json_decref(ctl_member(nwid, ids[ID_B].address, "{\"authorized\": false}"));
	sim_run(S->now + 100);
	assert_int_equal(ztdp_node_process_frame(nodes[1].node, S->now, nwid, mac_b, mac_a,
						 0x0800, ping_payload, sizeof(ping_payload)), 0);
	sim_run(S->now + 500);
	assert_int_equal(nodes[0].frames, 1);
	assert_true(drop_count(&nodes[0], "GATE") > gate);
	sim_run(S->now + 70000);
	assert_int_equal(net_status(&nodes[1], nwid), ZTDP_NETWORK_ACCESS_DENIED);
	assert_int_equal(net_status(&nodes[0], nwid), ZTDP_NETWORK_OK);

	/* A restarts: its networks and members come back from its store, and
	 * it rejoins its own network from there. */
	tnode_stop(&nodes[0]);
	tnode_start(&nodes[0]);
	ctl = ztdp_node_controller(nodes[0].node);
	assert_int_equal(ztdp_controller_network_count(ctl), 1);
	assert_int_equal(ztdp_controller_member_get(ctl, nwid, ids[ID_B].address, &m, err,
						    sizeof(err)), 0);
	assert_false(json_is_true(json_object_get(m, "authorized")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "ipAssignments"),
							     0)), strtok(cidr_b, "/"));
	json_decref(m);
	assert_int_equal(ztdp_node_join(nodes[0].node, S->now, nwid), 0);
	assert_int_equal(net_status(&nodes[0], nwid), ZTDP_NETWORK_OK);
	world_teardown();
}

static int group_setup(void **state)
{
	(void)state;
	verbose = getenv("ZTDP_TEST_VERBOSE") != NULL;
	if (ztdp_crypto_init(NULL) != 0)
		return -1;
	for (int i = 0; i < N_IDS; i++)
		if (ztdp_identity_generate(&ids[i]) != 0)
			return -1;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_online),
		cmocka_unit_test(test_join_ok),
		cmocka_unit_test(test_access_denied_then_ok),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_network_errors_only_from_controller),
		cmocka_unit_test(test_restart_cached),
		cmocka_unit_test(test_whois_rendezvous_frame),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_keepalive_and_refresh),
		cmocka_unit_test(test_world_update),
		cmocka_unit_test(test_identity_collision),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_controller_node),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
