/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Peers: the table (fixed size, hashed by address), their paths, the
 * identity cache behind state_get/state_put(ZTDP_STATE_PEER), WHOIS with
 * retry and backoff, and the packets that wait for a sender's identity.
 *
 * A peer's 48-byte key and AES schedules are built once, when it is
 * learned, from an identity that has been validated (HELLO, OK(WHOIS)) or
 * that we validated before and stored. The table evicts the peer heard
 * from least recently when full, never a root.
 */
#include <stdio.h>
#include <string.h>

#include "node_internal.h"
#include "ztdp_verbs.h"

/* Hash chains hold index + 1, so a zeroed table is an empty one and the
 * (mostly unused) peer array is never touched at start-up. */
#define NIL	0

/* ---- Table ----------------------------------------------------------------- */

static uint32_t peer_hash(const struct ztdp_node *n, uint64_t address)
{
	uint64_t h = (address ^ n->hash_seed) * 0x9e3779b97f4a7c15ULL;

	return (uint32_t)(h >> 40) & (ZN_PEER_BUCKETS - 1);
}

unsigned int zn_peer_index(const struct ztdp_node *n, const struct zn_peer *p)
{
	return (unsigned int)(p - n->peers);
}

struct zn_peer *zn_peer_find(struct ztdp_node *n, uint64_t address)
{
	uint32_t i = n->peer_bucket[peer_hash(n, address)];

	while (i != NIL) {
		if (n->peers[i - 1].address == address)
			return &n->peers[i - 1];
		i = n->peers[i - 1].hnext;
	}
	return NULL;
}

static void peer_unlink(struct ztdp_node *n, struct zn_peer *p)
{
	uint32_t *link = &n->peer_bucket[peer_hash(n, p->address)];
	uint32_t idx = zn_peer_index(n, p) + 1;

	while (*link != NIL) {
		if (*link == idx) {
			*link = p->hnext;
			return;
		}
		link = &n->peers[*link - 1].hnext;
	}
}

void zn_peer_forget(struct ztdp_node *n, struct zn_peer *p)
{
	if (!p->in_use)
		return;
	peer_unlink(n, p);
	n->peer_count--;
	n->live[p->live_pos] = n->live[n->peer_count];
	n->peers[n->live[p->live_pos]].live_pos = p->live_pos;
	ztdp_peer_key_clear(&p->key);
	ztdp_identity_clear(&p->id);
	memset(p, 0, sizeof(*p));
	if (n->best_root >= 0 && &n->peers[n->best_root] == p)
		n->best_root = -1;
}

bool zn_peer_is_root(const struct zn_peer *p)
{
	return p->root >= 0;
}

/* Is some joined network's controller p? Those stay, as roots do. */
static bool peer_is_controller(const struct ztdp_node *n, uint64_t address)
{
	for (unsigned int i = 0; i < ZN_MAX_NETWORKS; i++)
		if (n->nets[i].in_use && zn_controller_of(n->nets[i].nwid) == address)
			return true;
	return false;
}

static struct zn_peer *peer_slot(struct ztdp_node *n)
{
	struct zn_peer *victim = NULL;

	if (n->peer_count < ZN_MAX_PEERS)
		for (unsigned int i = 0; i < ZN_MAX_PEERS; i++)
			if (!n->peers[i].in_use)
				return &n->peers[i];
	for (unsigned int k = 0; k < n->peer_count; k++) {
		struct zn_peer *p = zn_peer_at(n, k);
		uint64_t seen = p->last_receive > p->created ? p->last_receive : p->created;
		uint64_t vseen;

		if (p->root >= 0 || peer_is_controller(n, p->address))
			continue;
		if (victim == NULL) {
			victim = p;
			continue;
		}
		vseen = victim->last_receive > victim->created ? victim->last_receive
							       : victim->created;
		if (seen < vseen)
			victim = p;
	}
	if (victim != NULL)
		zn_peer_forget(n, victim);
	return victim;
}

static void persist_identity(struct ztdp_node *n, const struct ztdp_identity *id)
{
	char text[ZTDP_IDENTITY_TEXT_MAX];
	int len;

	if (n->cb.state_put == NULL)
		return;
	len = ztdp_identity_to_string(id, false, text, sizeof(text));
	if (len > 0 &&
	    n->cb.state_put(n->cb.ctx, ZTDP_STATE_PEER, id->address, text, (size_t)len) != 0)
		zn_log(n, 4, "cannot store the identity of %010llx",
		       (unsigned long long)id->address);
}

struct zn_peer *zn_peer_learn(struct ztdp_node *n, uint64_t now,
			      const struct ztdp_identity *id,
			      const struct ztdp_peer_key *key, bool persist)
{
	struct ztdp_peer_key k;
	struct zn_peer *p = zn_peer_find(n, id->address);
	uint32_t b;

	if (key != NULL) {
		k = *key;
	} else {
		uint8_t secret[ZTDP_PEER_KEY_LEN];

		memset(&k, 0, sizeof(k));
		if (ztdp_identity_agree(&n->self, id, secret) != 0 ||
		    ztdp_peer_key_init(&k, secret) != ZTDP_ARMOR_OK) {
			memset(secret, 0, sizeof(secret));
			ztdp_peer_key_clear(&k);
			return NULL;
		}
		memset(secret, 0, sizeof(secret));
	}
	if (p != NULL) {
		ztdp_peer_key_clear(&k);
		return p;
	}
	p = peer_slot(n);
	if (p == NULL) {
		ztdp_peer_key_clear(&k);
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->in_use = true;
	p->address = id->address;
	p->id = *id;
	memset(p->id.priv, 0, sizeof(p->id.priv));
	p->id.has_private = false;
	p->key = k;
	p->root = ztdp_world_find_root(&n->planet, id->address);
	p->latency = -1;
	p->created = now;
	b = peer_hash(n, p->address);
	p->hnext = n->peer_bucket[b];
	n->peer_bucket[b] = zn_peer_index(n, p) + 1;
	p->live_pos = (uint16_t)n->peer_count;
	n->live[n->peer_count++] = (uint16_t)zn_peer_index(n, p);
	if (persist && p->root < 0)
		persist_identity(n, &p->id);
	zn_whois_done(n, now, p->address);
	return p;
}

/* An identity from the cache (state_get), without learning the peer. */
static bool identity_cached(struct ztdp_node *n, uint64_t address, struct ztdp_identity *id)
{
	char text[ZTDP_IDENTITY_TEXT_MAX];
	const char *why;
	ssize_t len;

	if (n->cb.state_get == NULL)
		return false;
	len = n->cb.state_get(n->cb.ctx, ZTDP_STATE_PEER, address, text, sizeof(text) - 1);
	if (len <= 0 || (size_t)len >= sizeof(text))
		return false;
	text[len] = '\0';
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	/* Stored identities were validated when we first learned them. */
	if (ztdp_identity_from_string(id, text, &why) != 0 || id->address != address) {
		zn_log(n, 4, "stored identity of %010llx is unusable",
		       (unsigned long long)address);
		return false;
	}
	return true;
}

struct zn_peer *zn_peer_lookup(struct ztdp_node *n, uint64_t now, uint64_t address)
{
	struct zn_peer *p = zn_peer_find(n, address);
	struct ztdp_identity id;

	if (p != NULL || n->cb.state_get == NULL)
		return p;
	/* While a WHOIS is out the cache has been looked at already: a flood
	 * from an unknown address must not become a flood of reads. */
	for (unsigned int i = 0; i < ZN_MAX_WHOIS; i++)
		if (n->whois[i].in_use && n->whois[i].address == address)
			return NULL;
	if (!identity_cached(n, address, &id))
		return NULL;
	p = zn_peer_learn(n, now, &id, NULL, false);
	ztdp_identity_clear(&id);
	return p;
}

bool zn_peer_active(const struct zn_peer *p, uint64_t now)
{
	return p->last_active != 0 && now - p->last_active < ZN_PEER_ACTIVITY_MS;
}

struct zn_membership *zn_membership(struct zn_peer *p, uint64_t nwid,
				    uint64_t now, bool create)
{
	struct zn_membership *victim = NULL;

	for (unsigned int i = 0; i < ZN_PEER_MEMBERSHIPS; i++) {
		if (p->mship[i].nwid == nwid) {
			p->mship[i].last_used = now;
			return &p->mship[i];
		}
	}
	if (!create)
		return NULL;
	for (unsigned int i = 0; i < ZN_PEER_MEMBERSHIPS; i++) {
		struct zn_membership *m = &p->mship[i];

		if (m->nwid == 0) {
			victim = m;
			break;
		}
		if (victim == NULL || m->last_used < victim->last_used)
			victim = m;
	}
	memset(victim, 0, sizeof(*victim));
	victim->nwid = nwid;
	victim->last_used = now;
	return victim;
}

uint64_t zn_source_key(const struct ztdp_node *n, const struct ztdp_inetaddr *a)
{
	uint64_t h = n->hash_seed ^ ((uint64_t)a->family << 56) ^ a->port;

	for (unsigned int i = 0; i < (a->family == 6 ? 16u : 4u); i++)
		h = (h ^ a->ip[i]) * 0x100000001b3ULL;
	return h;
}

/* ---- Paths ----------------------------------------------------------------- */

struct zn_path *zn_path_find(struct zn_peer *p, const struct ztdp_inetaddr *a)
{
	for (unsigned int i = 0; i < ZN_MAX_PATHS; i++)
		if (p->paths[i].in_use && ztdp_inetaddr_equal(&p->paths[i].addr, a))
			return &p->paths[i];
	return NULL;
}

bool zn_path_alive(const struct zn_path *pa, uint64_t now)
{
	return pa->in_use && pa->last_receive != 0 &&
	       now - pa->last_receive < ZN_PATH_ALIVE_MS;
}

static bool path_expired(const struct zn_path *pa, uint64_t now)
{
	return now - pa->last_receive >= ZN_PATH_EXPIRE_MS;
}

struct zn_path *zn_path_best(struct zn_peer *p, uint64_t now, bool alive_only)
{
	struct zn_path *best = NULL;

	for (unsigned int i = 0; i < ZN_MAX_PATHS; i++) {
		struct zn_path *pa = &p->paths[i];

		if (!pa->in_use || path_expired(pa, now))
			continue;
		if (alive_only && !zn_path_alive(pa, now))
			continue;
		if (best == NULL || pa->last_receive > best->last_receive)
			best = pa;
	}
	return best;
}

/* A root's path must be one of its planet endpoints, when it lists any. */
static bool root_endpoint_ok(const struct ztdp_node *n, const struct zn_peer *p,
			     const struct ztdp_inetaddr *a)
{
	const struct ztdp_world_root *r;

	if (p->root < 0 || (unsigned int)p->root >= n->planet.root_count)
		return true;
	r = &n->planet.roots[p->root];
	if (r->endpoint_count == 0)
		return true;
	for (unsigned int i = 0; i < r->endpoint_count; i++)
		if (ztdp_inetaddr_equal(&r->endpoints[i], a))
			return true;
	return false;
}

static void path_learn(struct zn_peer *p, uint64_t now, const struct ztdp_inetaddr *a)
{
	struct zn_path *slot = NULL;

	for (unsigned int i = 0; i < ZN_MAX_PATHS && slot == NULL; i++)
		if (!p->paths[i].in_use)
			slot = &p->paths[i];
	/* Same IP, new port (a NAT remapped us): replace it if it is dead. */
	for (unsigned int i = 0; i < ZN_MAX_PATHS && slot == NULL; i++) {
		struct zn_path *pa = &p->paths[i];

		if (pa->addr.family == a->family &&
		    memcmp(pa->addr.ip, a->ip, a->family == 6 ? 16 : 4) == 0 &&
		    !zn_path_alive(pa, now))
			slot = pa;
	}
	/* Full: the path heard from least recently goes. */
	if (slot == NULL) {
		slot = &p->paths[0];
		for (unsigned int i = 1; i < ZN_MAX_PATHS; i++)
			if (p->paths[i].last_receive < slot->last_receive)
				slot = &p->paths[i];
	}
	memset(slot, 0, sizeof(*slot));
	slot->in_use = true;
	slot->addr = *a;
	slot->created = now;
	slot->last_receive = now;
}

void zn_peer_received(struct ztdp_node *n, const struct zn_rx *rx)
{
	struct zn_peer *p = rx->peer;
	struct zn_path *pa;

	p->last_receive = rx->now;
	p->hello_unanswered_since = 0;
	switch (rx->verb) {
	case ZTDP_VERB_FRAME:
	case ZTDP_VERB_EXT_FRAME:
	case ZTDP_VERB_NETWORK_CONFIG_REQUEST:
	case ZTDP_VERB_NETWORK_CONFIG:
	case ZTDP_VERB_MULTICAST_FRAME:
		p->last_active = rx->now;
		break;
	default:
		break;
	}
	if (rx->hops != 0)
		return;
	pa = zn_path_find(p, rx->from);
	if (pa != NULL) {
		pa->last_receive = rx->now;
		return;
	}
	if (!zn_addr_usable(n, rx->from) || !root_endpoint_ok(n, p, rx->from))
		return;
	/* Notes 11.4: only an OK (an answer to something we sent there)
	 * proves the address; anything else makes us say HELLO there first. */
	if (rx->verb == ZTDP_VERB_OK) {
		path_learn(p, rx->now, rx->from);
		return;
	}
	if (rx->now - p->last_contact >= ZN_CONTACT_MIN_MS) {
		struct ztdp_inetaddr at = *rx->from;

		p->last_contact = rx->now;
		zn_contact(n, rx->now, p, &at, true);
	}
}

void zn_peers_housekeeping(struct ztdp_node *n, uint64_t now)
{
	for (unsigned int k = 0; k < n->peer_count; k++) {
		struct zn_peer *p = zn_peer_at(n, k);

		for (unsigned int j = 0; j < ZN_MAX_PATHS; j++)
			if (p->paths[j].in_use && path_expired(&p->paths[j], now))
				memset(&p->paths[j], 0, sizeof(p->paths[j]));
	}
}

/* ---- WHOIS ----------------------------------------------------------------- */

static struct zn_whois *whois_find(struct ztdp_node *n, uint64_t address)
{
	for (unsigned int i = 0; i < ZN_MAX_WHOIS; i++)
		if (n->whois[i].in_use && n->whois[i].address == address)
			return &n->whois[i];
	return NULL;
}

/* Ask a root: the best one first, then the others in turn, so one dead
 * root that still looks alive cannot hold a lookup up. */
static void whois_send(struct ztdp_node *n, uint64_t now, struct zn_whois *e)
{
	struct zn_peer *r = zn_best_root(n, now);
	uint64_t addrs[1] = { e->address };
	struct ztdp_whois m = { .count = 1, .addrs = addrs };
	struct ztdp_wr *w;

	if (e->tries > 0 && n->planet.root_count > 1) {
		unsigned int k = e->tries % n->planet.root_count;
		struct zn_peer *alt = zn_peer_find(n, n->planet.roots[k].identity.address);

		if (alt != NULL && zn_root_alive(alt, now))
			r = alt;
	}
	e->tries++;
	e->next_try = now + e->backoff;
	if (e->backoff < ZN_WHOIS_RETRY_MAX_MS)
		e->backoff *= 2;
	if (r == NULL || r->address == e->address)
		return;
	w = zn_tx_begin(n, r->address, ZTDP_VERB_WHOIS);
	if (ztdp_whois_encode(w, &m) != ZTDP_VERBS_OK)
		w->err = true;
	if (zn_tx_send(n, now, r, NULL, ZN_TX_EXPECT_REPLY, NULL) == 0)
		n->stats.whois_sent++;
}

void zn_whois_want(struct ztdp_node *n, uint64_t now, uint64_t address)
{
	struct zn_whois *e;

	if (ztdp_address_is_reserved(address) || address == n->self.address)
		return;
	if (whois_find(n, address) != NULL)
		return;
	e = NULL;
	for (unsigned int i = 0; i < ZN_MAX_WHOIS && e == NULL; i++)
		if (!n->whois[i].in_use)
			e = &n->whois[i];
	if (e == NULL) {
		e = &n->whois[0];
		for (unsigned int i = 1; i < ZN_MAX_WHOIS; i++)
			if (n->whois[i].first < e->first)
				e = &n->whois[i];
	}
	memset(e, 0, sizeof(*e));
	e->in_use = true;
	e->address = address;
	e->first = now;
	e->backoff = ZN_WHOIS_RETRY_MS;
	whois_send(n, now, e);
}

void zn_whois_tick(struct ztdp_node *n, uint64_t now)
{
	for (unsigned int i = 0; i < ZN_MAX_WHOIS; i++) {
		struct zn_whois *e = &n->whois[i];

		if (!e->in_use)
			continue;
		/* Whoever still needs the identity after this asks again. */
		if (now - e->first >= ZN_QUEUE_TIMEOUT_MS) {
			e->in_use = false;
			continue;
		}
		if (now >= e->next_try)
			whois_send(n, now, e);
	}
}

void zn_whois_rendezvous(struct ztdp_node *n, uint64_t address,
			 const struct ztdp_inetaddr *at)
{
	struct zn_whois *e = whois_find(n, address);

	if (e == NULL)
		return;
	e->rendezvous = true;
	e->rendezvous_at = *at;
}

void zn_whois_done(struct ztdp_node *n, uint64_t now, uint64_t address)
{
	struct zn_whois *e = whois_find(n, address);
	struct zn_peer *p;

	n->replay_due = true;
	if (e == NULL)
		return;
	e->in_use = false;
	if (!e->rendezvous)
		return;
	p = zn_peer_find(n, address);
	if (p != NULL) {
		struct ztdp_inetaddr at = e->rendezvous_at;

		zn_send_junk(n, &at);
		zn_contact(n, now, p, &at, true);
	}
}

uint64_t zn_whois_next(const struct ztdp_node *n, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (unsigned int i = 0; i < ZN_MAX_WHOIS; i++) {
		const struct zn_whois *e = &n->whois[i];

		if (!e->in_use)
			continue;
		if (e->next_try <= now)
			return now;
		if (e->next_try < next)
			next = e->next_try;
	}
	return next;
}

void zn_whois_receive(struct ztdp_node *n, const struct zn_rx *rx)
{
	struct ztdp_identity ids[4];
	struct ztdp_ok_whois o = { .ids = ids };
	struct ztdp_whois m;
	struct ztdp_wr *w;

	if (ztdp_whois_decode(rx->payload, rx->plen, &m) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	if (!(n->am_root ? zn_rl_allow(&rx->peer->rl_whois, rx->now, ZN_RL_WHOIS_ROOT_MS,
				       ZN_RL_WHOIS_ROOT_BURST)
			 : zn_rl_allow(&rx->peer->rl_whois, rx->now, ZN_RL_WHOIS_MS,
				       ZN_RL_WHOIS_BURST))) {
		zn_drop(n, ZN_DROP_RATE_LIMITED);
		n->stats.rate_limited++;
		return;
	}
	for (unsigned int i = 0; i < m.count && o.count < 4; i++) {
		uint64_t a = ztdp_whois_address(&m, i);
		struct zn_peer *p;

		if (a == n->self.address) {
			ids[o.count++] = n->self_pub;
			continue;
		}
		/* Peers we have, then ones we once had (a root is asked about
		 * everyone that ever said HELLO to it; the table may have
		 * evicted them since). */
		p = zn_peer_find(n, a);
		if (p != NULL)
			ids[o.count++] = p->id;
		else if (identity_cached(n, a, &ids[o.count]))
			o.count++;
	}
	if (o.count == 0)
		return;
	w = zn_ok_begin(n, rx->peer, ZTDP_VERB_WHOIS, rx->id);
	if (ztdp_ok_whois_encode(w, &o) != ZTDP_VERBS_OK)
		w->err = true;
	(void)zn_tx_send(n, rx->now, rx->peer, NULL, 0, NULL);
}

void zn_ok_whois_receive(struct ztdp_node *n, const struct zn_rx *rx,
			 const uint8_t *body, size_t len)
{
	struct ztdp_ok_whois o;

	/* Only roots answer WHOIS for us (notes 6.3); anyone else's answer
	 * could plant a key for an address it does not own. */
	if (!zn_peer_is_root(rx->peer)) {
		zn_drop(n, ZN_DROP_NOT_FROM_ROOT);
		return;
	}
	if (ztdp_ok_whois_decode(body, len, &o) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	for (unsigned int i = 0; i < o.count; i++) {
		struct ztdp_identity id;
		struct zn_peer *known;

		if (ztdp_ok_whois_identity(&o, i, &id) != ZTDP_VERBS_OK)
			break;
		known = zn_peer_find(n, id.address);
		/* The first identity is the answer (as 1.14.1 reads it); more
		 * are taken only if we are looking for them, since each costs
		 * a memory-hard check. */
		if (known == NULL && id.address != n->self.address &&
		    (i == 0 || whois_find(n, id.address) != NULL)) {
			if (ztdp_identity_locally_validate(&id))
				(void)zn_peer_learn(n, rx->now, &id, NULL, true);
			else
				zn_log(n, 4, "root %010llx sent an invalid identity for %010llx",
				       (unsigned long long)rx->peer->address,
				       (unsigned long long)id.address);
		}
		ztdp_identity_clear(&id);
	}
}

/* ---- Packets waiting for an identity ---------------------------------------- */

void zn_pending_add(struct ztdp_node *n, uint64_t now, uint64_t source,
		    const struct ztdp_inetaddr *from, const uint8_t *data,
		    size_t len)
{
	struct zn_pending *e = NULL, *oldest = NULL, *oldest_src = NULL;
	unsigned int same = 0;

	for (unsigned int i = 0; i < ZN_MAX_PENDING; i++) {
		struct zn_pending *q = &n->pending[i];

		if (!q->in_use) {
			if (e == NULL)
				e = q;
			continue;
		}
		if (oldest == NULL || q->created < oldest->created)
			oldest = q;
		if (q->source == source) {
			same++;
			if (oldest_src == NULL || q->created < oldest_src->created)
				oldest_src = q;
		}
	}
	/* One unknown sender may not take the whole queue. */
	if (same >= ZN_MAX_PENDING_PER_SOURCE)
		e = oldest_src;
	else if (e == NULL)
		e = oldest;
	if (e->in_use)
		zn_drop(n, ZN_DROP_PENDING_OVERFLOW);
	e->in_use = true;
	e->source = source;
	e->created = now;
	e->seq = ++n->pending_seq;
	e->from = *from;
	e->len = (uint16_t)len;
	memcpy(e->data, data, len);
	n->ctr.queued++;
	zn_whois_want(n, now, source);
}

void zn_pending_run(struct ztdp_node *n, uint64_t now)
{
	for (unsigned int i = 0; i < ZN_MAX_PENDING; i++) {
		struct zn_pending *e = &n->pending[i];

		if (e->in_use && now - e->created >= ZN_QUEUE_TIMEOUT_MS) {
			e->in_use = false;
			zn_drop(n, ZN_DROP_PENDING_TIMEOUT);
		}
	}
	/* Oldest first, so a sender's credentials still come before its
	 * frames; handling one may teach us more identities, so look again
	 * after each. */
	for (;;) {
		struct zn_pending *e = NULL;
		struct ztdp_inetaddr from;
		size_t len;

		n->replay_due = false;
		for (unsigned int i = 0; i < ZN_MAX_PENDING; i++) {
			struct zn_pending *q = &n->pending[i];

			if (q->in_use && (e == NULL || q->seq < e->seq) &&
			    zn_peer_find(n, q->source) != NULL)
				e = q;
		}
		if (e == NULL)
			return;
		/* Free the slot before handling: the handler may queue
		 * packets of its own. */
		from = e->from;
		len = e->len;
		memcpy(n->rx, e->data, len);
		e->in_use = false;
		n->ctr.replayed++;
		zn_handle_packet(n, now, &from, n->rx, len, true);
	}
}

unsigned int zn_pending_live(const struct ztdp_node *n)
{
	unsigned int c = 0;

	for (unsigned int i = 0; i < ZN_MAX_PENDING; i++)
		c += n->pending[i].in_use;
	return c;
}
