/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HELLO and OK(HELLO) (protocol notes 6.2), ECHO (6.7), keepalives (11.2,
 * 11.3), the roots of the planet and their failover, and world updates.
 *
 * HELLO is the one packet that can come from a stranger: it carries the
 * sender's identity, so its key can be agreed on the spot. That costs an
 * X25519 and, for an identity we have not seen, the memory-hard address
 * check (about 5 ms), so unknown identities are verified at most once per
 * 2 s per source /24 (/48 for IPv6), as 1.14.1 does on x86_64.
 */
#include <string.h>

#include "node_internal.h"
#include "ztdp_packet.h"
#include "ztdp_verbs.h"

/* ---- HELLO out ---------------------------------------------------------------- */

void zn_hello_send(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
		   const struct ztdp_inetaddr *to)
{
	struct ztdp_wr *w = zn_tx_begin(n, p->address, ZTDP_VERB_HELLO);
	struct ztdp_hello h;
	size_t crypt_off = 0;

	memset(&h, 0, sizeof(h));
	h.proto_version = ZTDP_PROTO_VERSION;
	h.major = ZN_VERSION_MAJOR;
	h.minor = ZN_VERSION_MINOR;
	h.revision = ZN_VERSION_REVISION;
	h.timestamp = now;
	h.identity = n->self_pub;
	/* Where we send it, so the peer can tell us how it sees itself;
	 * unknown (null) when it goes through a root. */
	h.has_dest = true;
	if (to != NULL)
		h.dest = *to;
	h.has_world = true;
	h.world_id = n->planet.id;
	h.world_timestamp = n->planet.timestamp;
	h.has_moons = true;
	h.moon_count = 0;
	if (ztdp_hello_encode(w, &h, &crypt_off) != ZTDP_VERBS_OK)
		w->err = true;
	else
		ztdp_hello_cryptfield(&p->key, n->tx, crypt_off, w->off);
	if (zn_tx_send(n, now, p, to, ZN_TX_EXPECT_REPLY, NULL) != 0)
		return;
	n->stats.hello_sent++;
	p->last_hello_sent = now;
	if (p->hello_unanswered_since == 0)
		p->hello_unanswered_since = now;
}

void zn_contact(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
		const struct ztdp_inetaddr *at, bool force_hello)
{
	uint8_t ts[8];
	struct ztdp_echo e = { .data = ts, .len = sizeof(ts) };
	struct ztdp_wr *w;

	/* An ECHO is cheaper than a HELLO for a peer that answers it (1.1.0
	 * did not); its OK proves the path just the same. */
	if (force_hello || !p->version_known || p->proto < 5) {
		zn_hello_send(n, now, p, at);
		return;
	}
	ztdp_store_be64(ts, now);
	w = zn_tx_begin(n, p->address, ZTDP_VERB_ECHO);
	if (ztdp_echo_encode(w, &e) != ZTDP_VERBS_OK)
		w->err = true;
	(void)zn_tx_send(n, now, p, at, ZN_TX_EXPECT_REPLY, NULL);
}

/* ---- HELLO in -------------------------------------------------------------------- */

/* Rate bucket of an unknown identity's source: its /24 or /48. */
static struct zn_rl *hello_bucket(struct ztdp_node *n, const struct ztdp_inetaddr *from)
{
	struct ztdp_inetaddr net = *from;

	net.port = 0;
	if (net.family == 6)
		memset(net.ip + 6, 0, 10);
	else
		net.ip[3] = 0;
	return &n->hello_rl[zn_source_key(n, &net) & (ZN_HELLO_RL_BUCKETS - 1)];
}

static bool hello_verify_allowed(struct ztdp_node *n, uint64_t now,
				 const struct ztdp_inetaddr *from)
{
	if (zn_rl_allow(hello_bucket(n, from), now, ZN_RL_HELLO_VERIFY_MS,
			ZN_RL_HELLO_VERIFY_BURST))
		return true;
	zn_drop(n, ZN_DROP_HELLO_RATE_LIMITED);
	n->stats.rate_limited++;
	return false;
}

static int agree_key(struct ztdp_node *n, const struct ztdp_identity *id,
		     struct ztdp_peer_key *pk)
{
	uint8_t secret[ZTDP_PEER_KEY_LEN];
	int rc = -1;

	memset(pk, 0, sizeof(*pk));
	if (ztdp_identity_agree(&n->self, id, secret) == 0 &&
	    ztdp_peer_key_init(pk, secret) == ZTDP_ARMOR_OK)
		rc = 0;
	memset(secret, 0, sizeof(secret));
	return rc;
}

/* A HELLO for an address we know under another key (or for our own
 * address): if it authenticates with the claimant's key, tell it so. */
static void hello_collision(struct ztdp_node *n, uint64_t now,
			    const struct ztdp_inetaddr *from, uint8_t *pkt,
			    size_t len, const struct ztdp_identity *id)
{
	struct ztdp_peer_key pk;
	struct ztdp_error e = {
		.in_re_verb = ZTDP_VERB_HELLO,
		.in_re_packet_id = ztdp_packet_id(pkt),
		.code = ZTDP_ERROR_IDENTITY_COLLISION,
	};
	char where[ZTDP_INETADDR_STRLEN];
	struct ztdp_wr *w;

	if (!hello_verify_allowed(n, now, from))
		return;
	if (agree_key(n, id, &pk) != 0) {
		zn_drop(n, ZN_DROP_HELLO_BAD_IDENTITY);
		return;
	}
	if (ztdp_dearmor(&pk, pkt, len) < 0) {
		zn_drop(n, ZN_DROP_AUTH);
		goto out;
	}
	w = zn_tx_begin(n, id->address, ZTDP_VERB_ERROR);
	if (ztdp_error_encode(w, &e) != ZTDP_VERBS_OK)
		w->err = true;
	(void)zn_tx_send_raw(n, now, &pk, ZTDP_CIPHER_POLY1305_SALSA2012, from);
	zn_log(n, 4, "identity collision: %010llx claimed by another key from %s",
	       (unsigned long long)id->address, zn_addr_str(from, where, sizeof(where)));
	zn_drop(n, ZN_DROP_IDENTITY_COLLISION);
out:
	ztdp_peer_key_clear(&pk);
}

void zn_hello_receive(struct ztdp_node *n, uint64_t now,
		      const struct ztdp_inetaddr *from, uint8_t *pkt, size_t len)
{
	const uint8_t *pl = pkt + ZTDP_PKT_IDX_PAYLOAD;
	size_t plen = len - ZTDP_PKT_IDX_PAYLOAD;
	uint64_t source = ztdp_packet_source(pkt);
	uint8_t world[ZTDP_WORLD_MAX_LEN];
	struct ztdp_identity id;
	struct ztdp_ok_hello o;
	struct ztdp_hello h;
	struct zn_peer *p;
	struct zn_rx rx;
	struct ztdp_wr *w;
	size_t coff;

	if (ztdp_hello_crypt_offset(pl, plen, &coff) != ZTDP_VERBS_OK ||
	    ztdp_identity_deserialize(&id, pl + ZTDP_HELLO_IDX_IDENTITY,
				      plen - ZTDP_HELLO_IDX_IDENTITY) !=
		    ZTDP_IDENTITY_PUBLIC_BIN_LEN) {
		zn_drop(n, ZN_DROP_HELLO_MALFORMED);
		return;
	}
	if (pl[ZTDP_HELLO_IDX_PROTO_VERSION] < ZTDP_PROTO_VERSION_MIN) {
		zn_drop(n, ZN_DROP_HELLO_OLD_PROTOCOL);
		goto out;
	}
	if (id.address != source) {
		zn_drop(n, ZN_DROP_HELLO_ADDRESS_MISMATCH);
		goto out;
	}
	/* Known, or in the identity cache (then no memory-hard check). */
	p = source == n->self.address ? NULL : zn_peer_lookup(n, now, source);
	if (source == n->self.address) {
		if (memcmp(id.pub, n->self.pub, sizeof(id.pub)) == 0)
			zn_drop(n, ZN_DROP_BAD_SOURCE);	/* our own, reflected */
		else
			hello_collision(n, now, from, pkt, len, &id);
		goto out;
	}
	if (p != NULL && memcmp(p->id.pub, id.pub, sizeof(id.pub)) != 0) {
		hello_collision(n, now, from, pkt, len, &id);
		goto out;
	}
	if (p != NULL) {
		if (ztdp_dearmor(&p->key, pkt, len) < 0) {
			zn_drop(n, ZN_DROP_AUTH);
			goto out;
		}
	} else {
		struct ztdp_peer_key pk;

		if (!hello_verify_allowed(n, now, from))
			goto out;
		if (agree_key(n, &id, &pk) != 0) {
			zn_drop(n, ZN_DROP_HELLO_BAD_IDENTITY);
			goto out;
		}
		/* MAC first (cheap), then the memory-hard check. */
		if (ztdp_dearmor(&pk, pkt, len) < 0) {
			ztdp_peer_key_clear(&pk);
			zn_drop(n, ZN_DROP_AUTH);
			goto out;
		}
		if (!ztdp_identity_locally_validate(&id)) {
			ztdp_peer_key_clear(&pk);
			zn_drop(n, ZN_DROP_HELLO_BAD_IDENTITY);
			goto out;
		}
		p = zn_peer_learn(n, now, &id, &pk, true);
		if (p == NULL) {
			zn_drop(n, ZN_DROP_PEER_TABLE_FULL);
			goto out;
		}
	}
	n->ctr.authenticated++;
	n->stats.rx_packets++;
	n->stats.rx_by_verb[ZTDP_VERB_HELLO]++;

	if (coff < plen)
		ztdp_hello_cryptfield(&p->key, pkt, ZTDP_PKT_IDX_PAYLOAD + coff, len);
	memset(&rx, 0, sizeof(rx));
	rx.now = now;
	rx.from = from;
	rx.peer = p;
	rx.pkt = pkt;
	rx.len = len;
	rx.payload = pl;
	rx.plen = plen;
	rx.id = ztdp_packet_id(pkt);
	rx.hops = ztdp_packet_hops(pkt);
	rx.verb = ZTDP_VERB_HELLO;
	if (ztdp_hello_decode(pl, plen, &h) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		goto out;
	}
	ztdp_identity_clear(&h.identity);
	if (h.has_dest && rx.hops == 0)
		zn_external_report(n, now, p, &h.dest);

	/* Reply on the path it came by, before recording the version: the
	 * first OK(HELLO) to a peer goes out in suite 1 (errata 14/4.4). */
	memset(&o, 0, sizeof(o));
	o.timestamp = h.timestamp;
	o.proto_version = ZTDP_PROTO_VERSION;
	o.major = ZN_VERSION_MAJOR;
	o.minor = ZN_VERSION_MINOR;
	o.revision = ZN_VERSION_REVISION;
	o.has_addr = true;
	if (rx.hops == 0)
		o.addr = *from;
	o.has_worlds = true;
	/* A peer on an older version of our planet gets ours (1.14.1 does
	 * this on any node; the peer believes it only from a root). */
	if (h.has_world && h.world_id == n->planet.id &&
	    h.world_timestamp < n->planet.timestamp) {
		struct ztdp_wr ww;

		ztdp_wr_init(&ww, world, sizeof(world));
		if (ztdp_world_encode(&ww, &n->planet) == ZTDP_WORLD_OK) {
			o.worlds = world;
			o.worlds_len = (uint16_t)ww.off;
		}
	}
	w = zn_ok_begin(n, p, ZTDP_VERB_HELLO, rx.id);
	if (ztdp_ok_hello_encode(w, &o) != ZTDP_VERBS_OK)
		w->err = true;
	(void)zn_tx_send(n, now, p, from, 0, NULL);

	p->version_known = true;
	p->proto = h.proto_version;
	p->vmajor = h.major;
	p->vminor = h.minor;
	p->vrevision = h.revision;
	zn_peer_received(n, &rx);
	zn_push_paths_maybe(n, now, p, rx.hops != 0);
out:
	ztdp_identity_clear(&id);
}

/* ---- OK(HELLO), worlds -------------------------------------------------------- */

static void planet_replace(struct ztdp_node *n, uint64_t now, const struct ztdp_world *w)
{
	static const size_t cap = ZTDP_WORLD_MAX_LEN;
	uint8_t buf[ZTDP_WORLD_MAX_LEN];
	struct ztdp_wr wr;

	n->planet = *w;
	ztdp_wr_init(&wr, buf, cap);
	if (n->cb.state_put != NULL && ztdp_world_encode(&wr, w) == ZTDP_WORLD_OK &&
	    n->cb.state_put(n->cb.ctx, ZTDP_STATE_PLANET, 0, buf, wr.off) != 0)
		zn_log(n, 4, "cannot store the updated planet");
	zn_log(n, 5, "planet %llu updated to timestamp %llu",
	       (unsigned long long)w->id, (unsigned long long)w->timestamp);
	(void)zn_roots_init(n, now);
}

static void worlds_receive(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
			   const uint8_t *worlds, size_t len)
{
	struct ztdp_world w;
	struct ztdp_rd r;

	/* World updates come only from upstreams (notes 7). */
	if (!zn_peer_is_root(p)) {
		zn_drop(n, ZN_DROP_WORLD_REJECTED);
		return;
	}
	ztdp_rd_init(&r, worlds, len);
	while (ztdp_rd_left(&r) > 0) {
		if (ztdp_world_decode(&r, &w) != ZTDP_WORLD_OK) {
			zn_drop(n, ZN_DROP_WORLD_REJECTED);
			return;
		}
		if (w.type == ZTDP_WORLD_TYPE_PLANET &&
		    ztdp_world_should_replace(&n->planet, &w))
			planet_replace(n, now, &w);
	}
}

void zn_ok_hello_receive(struct ztdp_node *n, const struct zn_rx *rx,
			 const uint8_t *body, size_t len)
{
	struct zn_peer *p = rx->peer;
	struct ztdp_ok_hello o;

	if (ztdp_ok_hello_decode(body, len, &o) != ZTDP_VERBS_OK ||
	    o.proto_version < ZTDP_PROTO_VERSION_MIN) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	/* Latency only from a direct answer: a relayed one measures the
	 * relay too. The echo is our own clock. */
	if (rx->hops == 0 && o.timestamp <= rx->now &&
	    rx->now - o.timestamp < 60000) {
		int lat = (int)(rx->now - o.timestamp);

		p->latency = p->latency < 0 ? lat : (p->latency + lat) / 2;
	}
	p->version_known = true;
	p->proto = o.proto_version;
	p->vmajor = o.major;
	p->vminor = o.minor;
	p->vrevision = o.revision;
	if (o.has_addr && rx->hops == 0)
		zn_external_report(n, rx->now, p, &o.addr);
	if (o.has_worlds && o.worlds_len > 0)
		worlds_receive(n, rx->now, p, o.worlds, o.worlds_len);
}

/* ---- ECHO ----------------------------------------------------------------------- */

void zn_echo_receive(struct ztdp_node *n, const struct zn_rx *rx)
{
	struct ztdp_echo e;
	struct ztdp_wr *w;

	if (ztdp_echo_decode(rx->payload, rx->plen, &e) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	if (!zn_rl_allow(&rx->peer->rl_echo, rx->now, ZN_RL_ECHO_MS, ZN_RL_ECHO_BURST)) {
		zn_drop(n, ZN_DROP_RATE_LIMITED);
		n->stats.rate_limited++;
		return;
	}
	w = zn_ok_begin(n, rx->peer, ZTDP_VERB_ECHO, rx->id);
	if (ztdp_echo_encode(w, &e) != ZTDP_VERBS_OK)
		w->err = true;
	/* Back the way it came: an ECHO is how a peer probes a path. */
	(void)zn_tx_send(n, rx->now, rx->peer, rx->from, 0, NULL);
}

void zn_ok_echo_receive(struct ztdp_node *n, const struct zn_rx *rx,
			const uint8_t *body, size_t len)
{
	struct zn_peer *p = rx->peer;
	uint64_t ts;

	(void)n;
	/* Our ECHOs carry our clock; anything else is just a live path. */
	if (len != 8 || rx->hops != 0)
		return;
	ts = ztdp_load_be64(body);
	if (ts <= rx->now && rx->now - ts < 60000) {
		int lat = (int)(rx->now - ts);

		p->latency = p->latency < 0 ? lat : (p->latency + lat) / 2;
	}
}

/* ---- Roots ------------------------------------------------------------------------ */

int zn_roots_init(struct ztdp_node *n, uint64_t now)
{
	int made = 0;

	/* Demote peers that are no longer roots of this planet. */
	for (unsigned int k = 0; k < n->peer_count; k++)
		zn_peer_at(n, k)->root = ztdp_world_find_root(&n->planet, zn_peer_at(n, k)->address);
	/* One of the roots may be us (root.c): the others are our upstreams. */
	n->am_root = ztdp_world_find_root(&n->planet, n->self.address) >= 0;
	for (unsigned int i = 0; i < n->planet.root_count; i++) {
		const struct ztdp_identity *id = &n->planet.roots[i].identity;
		struct zn_peer *p = zn_peer_find(n, id->address);

		if (id->address == n->self.address) {
			made++;
			continue;
		}

		/* A new planet may carry a new key for a known address: the
		 * planet is signed, so it wins. */
		if (p != NULL && memcmp(p->id.pub, id->pub, sizeof(id->pub)) != 0) {
			zn_peer_forget(n, p);
			p = NULL;
		}
		if (p == NULL)
			p = zn_peer_learn(n, now, id, NULL, false);
		if (p == NULL) {
			zn_log(n, 3, "cannot set up root %010llx", (unsigned long long)id->address);
			continue;
		}
		p->root = (int)i;
		made++;
	}
	n->best_root = -1;
	return made;
}

bool zn_root_alive(const struct zn_peer *p, uint64_t now)
{
	if (p->last_receive == 0 || now - p->last_receive >= ZN_ROOT_ALIVE_MS)
		return false;
	if (p->hello_unanswered_since != 0 &&
	    now - p->hello_unanswered_since >= ZN_ROOT_REPLY_TIMEOUT_MS)
		return false;
	return true;
}

const struct ztdp_inetaddr *zn_root_endpoint(const struct ztdp_node *n,
					     const struct zn_peer *p)
{
	const struct ztdp_world_root *r;

	if (p->root < 0 || (unsigned int)p->root >= n->planet.root_count)
		return NULL;
	r = &n->planet.roots[p->root];
	for (unsigned int i = 0; i < r->endpoint_count; i++)
		if (r->endpoints[i].family == 4)
			return &r->endpoints[i];
	return r->endpoint_count > 0 ? &r->endpoints[0] : NULL;
}

struct zn_peer *zn_best_root(struct ztdp_node *n, uint64_t now)
{
	struct zn_peer *best = NULL, *fallback = NULL;

	for (unsigned int i = 0; i < n->planet.root_count; i++) {
		struct zn_peer *p = zn_peer_find(n, n->planet.roots[i].identity.address);
		int lat, blat;

		if (p == NULL)
			continue;
		if (!zn_root_alive(p, now)) {
			if (fallback == NULL || p->last_receive > fallback->last_receive)
				fallback = p;
			continue;
		}
		lat = p->latency < 0 ? 0xffff : p->latency;
		blat = best == NULL ? 0 : (best->latency < 0 ? 0xffff : best->latency);
		if (best == NULL || lat < blat)
			best = p;
	}
	return best != NULL ? best : fallback;
}

/* HELLO a root: on its path when it is alive, else at its planet
 * endpoints (one IPv4, one IPv6), so a lost path or a changed NAT mapping
 * heals itself. */
static void root_hello(struct ztdp_node *n, uint64_t now, struct zn_peer *p)
{
	const struct ztdp_world_root *r = &n->planet.roots[p->root];
	struct zn_path *pa = zn_path_best(p, now, false);
	bool v4 = false, v6 = false;

	if (zn_root_alive(p, now) && pa != NULL) {
		struct ztdp_inetaddr at = pa->addr;

		zn_hello_send(n, now, p, &at);
		return;
	}
	for (unsigned int i = 0; i < r->endpoint_count; i++) {
		const struct ztdp_inetaddr *ep = &r->endpoints[i];

		if ((ep->family == 4 && v4) || (ep->family == 6 && v6) ||
		    !zn_addr_usable(n, ep))
			continue;
		v4 |= ep->family == 4;
		v6 |= ep->family == 6;
		zn_hello_send(n, now, p, ep);
	}
	if (!v4 && !v6 && pa != NULL) {
		struct ztdp_inetaddr at = pa->addr;

		zn_hello_send(n, now, p, &at);
	}
}

static void peer_keepalive(struct ztdp_node *n, uint64_t now, struct zn_peer *p)
{
	bool any = false;

	if (now - p->last_hello_sent >= ZN_PEER_HELLO_MS) {
		for (unsigned int i = 0; i < ZN_MAX_PATHS; i++) {
			struct ztdp_inetaddr at;

			if (!p->paths[i].in_use)
				continue;
			at = p->paths[i].addr;
			zn_hello_send(n, now, p, &at);
			any = true;
		}
		/* No direct path: HELLO through a root, which learns the
		 * peer's version and makes the root introduce us. */
		if (!any)
			zn_hello_send(n, now, p, NULL);
		return;
	}
	for (unsigned int i = 0; i < ZN_MAX_PATHS; i++) {
		struct ztdp_inetaddr at;

		if (!p->paths[i].in_use ||
		    now - p->paths[i].last_send < ZN_PATH_HEARTBEAT_MS)
			continue;
		at = p->paths[i].addr;
		zn_contact(n, now, p, &at, false);
	}
}

void zn_keepalive_tick(struct ztdp_node *n, uint64_t now)
{
	struct zn_peer *best;
	bool online = n->am_root;	/* as 1.14.1: a root is online */

	for (unsigned int i = 0; i < n->planet.root_count; i++) {
		struct zn_peer *p = zn_peer_find(n, n->planet.roots[i].identity.address);

		if (p == NULL)
			continue;
		if (p->last_hello_sent == 0 || now - p->last_hello_sent >= ZN_ROOT_HELLO_MS ||
		    (!zn_root_alive(p, now) && now - p->last_hello_sent >= ZN_HOUSEKEEPING_MS))
			root_hello(n, now, p);
		online |= zn_root_alive(p, now);
	}
	if (online != n->online)
		zn_log(n, 5, "%s", online ? "online: a root answers" : "offline: no root answers");
	n->online = online;
	best = zn_best_root(n, now);
	if (best != NULL && (n->best_root < 0 || &n->peers[n->best_root] != best)) {
		if (zn_root_alive(best, now))
			zn_log(n, 6, "best root is now %010llx", (unsigned long long)best->address);
		n->best_root = (int)zn_peer_index(n, best);
	}
	for (unsigned int k = 0; k < n->peer_count; k++) {
		struct zn_peer *p = zn_peer_at(n, k);

		if (p->root < 0 && zn_peer_active(p, now))
			peer_keepalive(n, now, p);
	}
}
