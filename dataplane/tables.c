/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared forwarding state: peers, networks, multicast subscribers and
 * learned bridge MACs.
 *
 * One writer (the control thread), any number of readers (the lcores),
 * no locks on the read side. Every object is immutable once published:
 * a change builds a new object and swaps one pointer (rte_hash with
 * RW_CONCURRENCY_LF for the keyed tables, a release store for the network
 * slots); the old object is freed once every lcore has reported a
 * quiescent state after the swap (rte_rcu_qsbr). Lcores report one at the
 * end of every turn, so nothing they hold survives a turn. Deleted hash
 * keys go through the hash library's own RCU defer queue
 * (rte_hash_rcu_qsbr_add), which also frees their data.
 *
 * Bridge learning. 1.14.1 learns a bridged MAC on every EXT_FRAME or
 * MULTICAST_FRAME from an active bridge. Lcores could insert into the
 * table themselves (rte_hash with MULTI_WRITER_ADD takes a spinlock per
 * insert and may move cuckoo entries around, under the lock, on the
 * packet path), but then the table would have several writers and the
 * RCU scheme above would need one per writer. Instead an lcore that sees
 * a MAC it does not know, or one that moved, queues a small request on its
 * own single-producer ring, and the control thread applies them in
 * ztdp_dp_maintain: still one writer, no lock on the packet path, and the
 * control thread sees every new route (it can tell the node). A known MAC
 * only has its last-seen stamp refreshed in place (a relaxed store, once a
 * second at most), which is what ageing reads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dp_internal.h"
#include "ztdp_credentials.h"
#include "ztdp_netconf.h"

#define ERR(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)
/* Bridge MAC ageing runs at most this often. */
#define BMAC_AGE_INTERVAL_MS	1000
/* Deleted per ageing pass (the rest waits for the next one). */
#define BMAC_AGE_BATCH		256
/* Learn requests applied per maintain call and lcore. */
#define LEARN_BATCH		256

/* ---- Reclamation ----------------------------------------------------------- */

static void reclaim(struct dp_tables *t, bool wait_oldest)
{
	while (t->ret_count > 0) {
		struct dp_retired *r = &t->retired[t->ret_head];

		if (rte_rcu_qsbr_check(t->qsbr, r->token, wait_oldest) != 1)
			break;
		wait_oldest = false;
		r->free_fn(r->obj);
		t->ret_head = (t->ret_head + 1) % DP_RETIRE_MAX;
		t->ret_count--;
	}
}

/* Free obj once no lcore can hold it. */
static void retire(struct dp_tables *t, void *obj, void (*free_fn)(void *))
{
	struct dp_retired *r;

	if (obj == NULL)
		return;
	reclaim(t, false);
	if (t->ret_count == DP_RETIRE_MAX)
		reclaim(t, true);	/* blocks for one grace period */
	r = &t->retired[(t->ret_head + t->ret_count) % DP_RETIRE_MAX];
	r->obj = obj;
	r->free_fn = free_fn;
	r->token = rte_rcu_qsbr_start(t->qsbr);
	t->ret_count++;
}

static void free_plain(void *obj)
{
	rte_free(obj);
}

static void free_key(void *obj)
{
	struct dp_key *k = obj;

	ztdp_peer_key_clear(&k->pk);
	rte_free(k);
}

static void free_net(void *obj)
{
	struct dp_net *n = obj;

	rte_free(n->mem);
	rte_free(n);
}

/* Data of deleted hash keys, from the hash library's defer queue. */
static void hash_free_data(void *p, void *key_data)
{
	(void)p;
	rte_free(key_data);
}

/* ---- Readers ---------------------------------------------------------------- */

const struct dp_peer *dp_peer_find(const struct ztdp_dp *dp, uint64_t address)
{
	void *data;

	if (rte_hash_lookup_data(dp->t.peers, &address, &data) < 0)
		return NULL;
	return data;
}

void dp_peer_find_bulk(const struct ztdp_dp *dp, const uint64_t *addrs, unsigned int n,
		       const struct dp_peer **out)
{
	const void *keys[ZTDP_DP_BURST];
	void *data[ZTDP_DP_BURST];
	uint8_t slot[ZTDP_DP_BURST];
	uint64_t hits = 0;
	unsigned int u = 0;

	/* A burst usually carries few peers: look each up once (a bulk
	 * lookup costs ~50 cycles a key; comparing addresses, a few). */
	for (unsigned int i = 0; i < n; i++) {
		unsigned int j = 0;

		while (j < u && *(const uint64_t *)keys[j] != addrs[i])
			j++;
		if (j == u)
			keys[u++] = &addrs[i];
		slot[i] = (uint8_t)j;
	}
	if (u == 0 || rte_hash_lookup_bulk_data(dp->t.peers, keys, u, &hits, data) < 0)
		hits = 0;
	for (unsigned int i = 0; i < n; i++)
		out[i] = (hits >> slot[i]) & 1 ? data[slot[i]] : NULL;
}

const struct dp_net *dp_net_find_l2(const struct ztdp_dp *dp, uint16_t l2_port)
{
	unsigned int hwm = __atomic_load_n(&dp->t.net_hwm, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < hwm; i++) {
		const struct dp_net *n = __atomic_load_n(&dp->t.nets[i].net, __ATOMIC_ACQUIRE);

		if (n != NULL && n->l2_port == l2_port)
			return n;
	}
	return NULL;
}

const struct dp_net *dp_net_find(const struct ztdp_dp *dp, uint64_t nwid)
{
	unsigned int hwm = __atomic_load_n(&dp->t.net_hwm, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < hwm; i++) {
		const struct dp_net *n;

		if (dp->t.nets[i].nwid != nwid)
			continue;
		/* The slot may be changing under us; the object says what it
		 * really is. */
		n = __atomic_load_n(&dp->t.nets[i].net, __ATOMIC_ACQUIRE);
		if (n != NULL && n->nwid == nwid)
			return n;
	}
	return NULL;
}

const struct dp_net *dp_net_by_port(const struct ztdp_dp *dp, uint16_t port)
{
	unsigned int s = __atomic_load_n(&dp->t.port_net[port], __ATOMIC_ACQUIRE);
	const struct dp_net *n;

	if (s == 0)
		return NULL;
	n = __atomic_load_n(&dp->t.nets[s - 1].net, __ATOMIC_ACQUIRE);
	return n != NULL && n->l2_port == port ? n : NULL;
}

const struct dp_group *dp_group_find(const struct ztdp_dp *dp, uint64_t nwid,
				     struct ztdp_mcast_group g)
{
	struct dp_group_key k = { .nwid = nwid, .mac = g.mac, .adi = g.adi };
	void *data;

	if (rte_hash_lookup_data(dp->t.groups, &k, &data) < 0)
		return NULL;
	return data;
}

struct dp_bmac *dp_bmac_find(const struct ztdp_dp *dp, uint64_t nwid, uint64_t mac)
{
	struct dp_bmac_key k = { .nwid = nwid, .mac = mac };
	void *data;

	if (rte_hash_lookup_data(dp->t.bmacs, &k, &data) < 0)
		return NULL;
	return data;
}

bool dp_net_has_bridge(const struct dp_net *net, uint64_t address)
{
	for (unsigned int i = 0; i < net->bridge_count; i++)
		if (net->bridges[i] == address)
			return true;
	return false;
}

void dp_touch_rx(const struct dp_peer *p, uint64_t now_ms)
{
	uint64_t *s = (uint64_t *)(uintptr_t)&p->act.last_rx_ms;

	if (now_ms - __atomic_load_n(s, __ATOMIC_RELAXED) >= DP_ACTIVITY_RES_MS)
		__atomic_store_n(s, now_ms, __ATOMIC_RELAXED);
}

void dp_touch_tx(const struct dp_peer *p, uint64_t now_ms)
{
	uint64_t *s = (uint64_t *)(uintptr_t)&p->act.last_tx_ms;

	if (now_ms - __atomic_load_n(s, __ATOMIC_RELAXED) >= DP_ACTIVITY_RES_MS)
		__atomic_store_n(s, now_ms, __ATOMIC_RELAXED);
}

void dp_bmac_observe(struct ztdp_dp_lcore *lc, uint64_t nwid, uint64_t mac, uint64_t peer)
{
	struct dp_bmac *e = dp_bmac_find(lc->dp, nwid, mac);
	struct dp_learn req = { .nwid = nwid, .mac = mac, .peer = peer };

	if (likely(e != NULL && e->peer == peer)) {
		if (lc->now_ms - __atomic_load_n(&e->last_seen_ms, __ATOMIC_RELAXED) >=
		    DP_ACTIVITY_RES_MS)
			__atomic_store_n(&e->last_seen_ms, lc->now_ms, __ATOMIC_RELAXED);
		return;
	}
	/* New or moved: the control thread inserts it. Until it does,
	 * every packet asks again; a full ring just loses requests that
	 * the next packets repeat. */
	if (rte_ring_sp_enqueue_elem(lc->learn, &req, sizeof(req)) == 0)
		lc->st->learn_requests++;
}

/* ---- Peers ------------------------------------------------------------------- */

static struct dp_peer *peer_get(struct dp_tables *t, uint64_t address)
{
	void *data;

	if (rte_hash_lookup_data(t->peers, &address, &data) < 0)
		return NULL;
	return data;
}

static bool family_usable(const struct ztdp_dp *dp, uint8_t family)
{
	return (family == 4 && dp->cfg.ul.has_ip4) || family == 6;
}

int ztdp_dp_peer_upsert(struct ztdp_dp *dp, const struct ztdp_dp_peer_conf *pc)
{
	struct dp_tables *t = &dp->t;
	struct dp_peer *old, *p;
	struct dp_key *k = NULL;

	if (pc == NULL || pc->key == NULL || pc->address == 0 ||
	    pc->address > 0xffffffffffULL || pc->address == dp->self ||
	    (pc->suite != ZTDP_CIPHER_POLY1305_SALSA2012 &&
	     pc->suite != ZTDP_CIPHER_AES_GMAC_SIV) ||
	    !family_usable(dp, pc->to.family) || pc->to.port == 0 ||
	    (pc->mtu != 0 && pc->mtu < ZTDP_PKT_MIN_LEN + ZTDP_FRAG_HEADER_LEN))
		return -1;
	p = rte_zmalloc_socket("ztdp_dp_peer", sizeof(*p), RTE_CACHE_LINE_SIZE,
			       dp->cfg.socket);
	if (p == NULL)
		return -1;
	old = peer_get(t, pc->address);
	p->address = pc->address;
	p->suite = pc->suite;
	if (dp_path_build(dp, &p->path, pc) < 0)
		goto fail;
	if (old != NULL && memcmp(old->key->pk.key, pc->key, ZTDP_PEER_KEY_LEN) == 0) {
		p->key = old->key;
	} else {
		k = rte_zmalloc_socket("ztdp_dp_key", sizeof(*k), RTE_CACHE_LINE_SIZE,
				       dp->cfg.socket);
		if (k == NULL)
			goto fail;
		if (ztdp_peer_key_init(&k->pk, pc->key) != ZTDP_ARMOR_OK) {
			rte_free(k);
			k = NULL;
			goto fail;
		}
		p->key = k;
	}
	if (old != NULL) {
		p->gate = old->gate;
		p->act.last_rx_ms = __atomic_load_n(&old->act.last_rx_ms, __ATOMIC_RELAXED);
		p->act.last_tx_ms = __atomic_load_n(&old->act.last_tx_ms, __ATOMIC_RELAXED);
	}
	if (rte_hash_add_key_data(t->peers, &p->address, p) < 0)
		goto fail;
	if (old != NULL) {
		if (old->key != p->key)
			retire(t, (void *)(uintptr_t)old->key, free_key);
		retire(t, old, free_plain);
	}
	return 0;
fail:
	if (k != NULL)
		free_key(k);
	rte_free(p);
	return -1;
}

int ztdp_dp_peer_remove(struct ztdp_dp *dp, uint64_t address)
{
	struct dp_tables *t = &dp->t;
	struct dp_peer *old = peer_get(t, address);

	if (old == NULL)
		return -1;
	/* The entry itself is freed by the hash's defer queue. */
	if (rte_hash_del_key(t->peers, &address) < 0)
		return -1;
	retire(t, (void *)(uintptr_t)old->key, free_key);
	return 0;
}

/* Replace a peer's entry with a copy whose gate mask is `gate`. */
static int peer_set_gate(struct ztdp_dp *dp, struct dp_peer *old, uint64_t gate)
{
	struct dp_peer *p;

	if (old->gate == gate)
		return 0;
	p = rte_zmalloc_socket("ztdp_dp_peer", sizeof(*p), RTE_CACHE_LINE_SIZE,
			       dp->cfg.socket);
	if (p == NULL)
		return -1;
	memcpy(p, old, sizeof(*p));
	p->gate = gate;
	if (rte_hash_add_key_data(dp->t.peers, &p->address, p) < 0) {
		rte_free(p);
		return -1;
	}
	retire(&dp->t, old, free_plain);
	return 0;
}

int ztdp_dp_peer_gate(struct ztdp_dp *dp, uint64_t address, uint64_t nwid, bool pass)
{
	struct dp_peer *old = peer_get(&dp->t, address);
	const struct dp_net *n = dp_net_find(dp, nwid);
	uint64_t bit;

	if (old == NULL || n == NULL)
		return -1;
	bit = 1ULL << n->slot;
	return peer_set_gate(dp, old, pass ? old->gate | bit : old->gate & ~bit);
}

int ztdp_dp_peer_activity(struct ztdp_dp *dp, uint64_t address,
			  uint64_t *last_rx_ms, uint64_t *last_tx_ms)
{
	const struct dp_peer *p = peer_get(&dp->t, address);

	if (p == NULL)
		return -1;
	if (last_rx_ms != NULL)
		*last_rx_ms = __atomic_load_n(&p->act.last_rx_ms, __ATOMIC_RELAXED);
	if (last_tx_ms != NULL)
		*last_tx_ms = __atomic_load_n(&p->act.last_tx_ms, __ATOMIC_RELAXED);
	return 0;
}

/* ---- Networks ------------------------------------------------------------------ */

static struct dp_net *net_build(const struct ztdp_dp *dp, const struct ztdp_dp_network_conf *c)
{
	size_t rules_sz = (size_t)c->rule_count * sizeof(struct ztdp_rule);
	size_t caps_sz = (size_t)c->cap_count * sizeof(struct ztdp_rules_set);
	size_t cap_rules = 0, off = 0;
	struct dp_net *n;
	uint8_t *mem;

	for (unsigned int i = 0; i < c->cap_count; i++)
		cap_rules += c->caps[i].count;
	n = rte_zmalloc_socket("ztdp_dp_net", sizeof(*n), RTE_CACHE_LINE_SIZE, dp->cfg.socket);
	if (n == NULL)
		return NULL;
	mem = rte_zmalloc_socket("ztdp_dp_net_mem", rules_sz + caps_sz +
				 cap_rules * sizeof(struct ztdp_rule) +
				 c->tag_count * sizeof(struct ztdp_rule_tag) +
				 c->owned_count * sizeof(struct ztdp_dp_owned) + 8,
				 RTE_CACHE_LINE_SIZE, dp->cfg.socket);
	if (mem == NULL) {
		rte_free(n);
		return NULL;
	}
	n->mem = mem;
	n->nwid = c->nwid;
	n->mac = c->mac;
	n->l2_port = c->l2_port;
	n->mtu = c->mtu;
	n->l2_mtu = c->l2_mtu != 0 && c->l2_mtu < c->mtu ? c->l2_mtu : c->mtu;
	n->mc_limit = c->multicast_limit;
	n->broadcast = c->broadcast;
	n->is_public = c->is_public;
	n->bridge = c->bridge;
	n->unsupported_match = c->unsupported_match_result;
	n->rule_count = c->rule_count;
	n->rules = (struct ztdp_rule *)(mem + off);
	if (rules_sz > 0)
		memcpy(n->rules, c->rules, rules_sz);
	off += rules_sz;
	n->cap_count = c->cap_count;
	n->caps = (struct ztdp_rules_set *)(mem + off);
	off += caps_sz;
	for (unsigned int i = 0; i < c->cap_count; i++) {
		struct ztdp_rule *r = (struct ztdp_rule *)(mem + off);

		if (c->caps[i].count > 0)
			memcpy(r, c->caps[i].rules, c->caps[i].count * sizeof(*r));
		n->caps[i].rules = r;
		n->caps[i].count = c->caps[i].count;
		off += c->caps[i].count * sizeof(*r);
	}
	n->tag_count = c->tag_count;
	n->tags = (struct ztdp_rule_tag *)(mem + off);
	if (c->tag_count > 0)
		memcpy(n->tags, c->tags, c->tag_count * sizeof(*n->tags));
	off += c->tag_count * sizeof(*n->tags);
	n->owned_count = c->owned_count;
	n->owned = (struct ztdp_dp_owned *)(mem + off);
	if (c->owned_count > 0)
		memcpy(n->owned, c->owned, c->owned_count * sizeof(*n->owned));
	for (unsigned int i = 0; i < c->bridge_count && n->bridge_count < ZTDP_DP_MAX_BRIDGES;
	     i++)
		if (c->bridges[i] != dp->self)
			n->bridges[n->bridge_count++] = c->bridges[i];
	n->rules_accept_all = c->rule_count == 1 && c->cap_count == 0 &&
			      c->rules[0].t == ZTDP_RULE_ACTION_ACCEPT;
	return n;
}

int ztdp_dp_network_upsert(struct ztdp_dp *dp, const struct ztdp_dp_network_conf *c)
{
	struct dp_tables *t = &dp->t;
	struct dp_net *n, *old = NULL;
	int slot = -1;

	if (c == NULL || c->nwid == 0 || c->l2_port >= RTE_MAX_ETHPORTS ||
	    (c->rule_count > 0 && c->rules == NULL) ||
	    (c->cap_count > 0 && c->caps == NULL) ||
	    (c->tag_count > 0 && c->tags == NULL) ||
	    (c->owned_count > 0 && c->owned == NULL) ||
	    (c->bridge_count > 0 && c->bridges == NULL))
		return -1;
	for (unsigned int i = 0; i < t->net_hwm; i++) {
		if (t->nets[i].net != NULL && t->nets[i].net->nwid == c->nwid) {
			slot = (int)i;
			old = t->nets[i].net;
			break;
		}
	}
	for (unsigned int i = 0; slot < 0 && i < ZTDP_DP_MAX_NETWORKS; i++) {
		if (t->nets[i].net != NULL)
			continue;
		/* Reused only a grace period after its network left, so that
		 * a reader cannot pair a peer's old gate bit with the new
		 * network. */
		if (t->slot_gc[i].retiring) {
			if (rte_rcu_qsbr_check(t->qsbr, t->slot_gc[i].token, false) != 1)
				continue;
			t->slot_gc[i].retiring = false;
		}
		slot = (int)i;
	}
	if (slot < 0)
		return -1;
	n = net_build(dp, c);
	if (n == NULL)
		return -1;
	n->slot = (uint8_t)slot;
	t->nets[slot].nwid = c->nwid;
	__atomic_store_n(&t->nets[slot].net, n, __ATOMIC_RELEASE);
	if ((unsigned int)slot >= t->net_hwm)
		__atomic_store_n(&t->net_hwm, (unsigned int)slot + 1, __ATOMIC_RELEASE);
	if (old != NULL && old->l2_port != c->l2_port &&
	    t->port_net[old->l2_port] == slot + 1)
		__atomic_store_n(&t->port_net[old->l2_port], 0, __ATOMIC_RELEASE);
	__atomic_store_n(&t->port_net[c->l2_port], (uint8_t)(slot + 1), __ATOMIC_RELEASE);
	retire(t, old, free_net);
	return 0;
}

int ztdp_dp_network_upsert_netconf(struct ztdp_dp *dp, const struct ztdp_netconf *nc,
				   uint64_t self, uint16_t l2_port, uint32_t l2_mtu)
{
	struct ztdp_dp_network_conf c;
	struct ztdp_rules_set caps[ZTDP_NETCONF_MAX_CAPABILITIES];
	struct ztdp_rule_tag tags[ZTDP_NETCONF_MAX_TAGS];
	struct ztdp_dp_owned owned[ZTDP_NETCONF_MAX_COOS * ZTDP_COO_MAX_THINGS];
	uint64_t bridges[ZTDP_DP_MAX_BRIDGES];
	unsigned int nb;

	if (nc == NULL)
		return -1;
	memset(&c, 0, sizeof(c));
	c.nwid = nc->nwid;
	c.mac = ztdp_mac_from_address(self, nc->nwid);
	c.l2_port = l2_port;
	c.mtu = nc->mtu;
	c.l2_mtu = l2_mtu;
	c.multicast_limit = nc->multicast_limit;
	c.broadcast = ztdp_netconf_broadcast_enabled(nc);
	c.is_public = ztdp_netconf_is_public(nc);
	c.bridge = ztdp_netconf_specialist_has(nc, self, ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE);
	c.unsupported_match_result = (nc->flags & ZTDP_NETCONF_FLAG_UNSUPPORTED_MATCH) != 0;
	c.rules = nc->rules;
	c.rule_count = nc->rule_count;
	/* Capabilities and tags in config order, as the node uses them. */
	for (unsigned int i = 0; i < nc->capability_count &&
	     i < ZTDP_NETCONF_MAX_CAPABILITIES; i++) {
		caps[i].rules = nc->capabilities[i].rules;
		caps[i].count = nc->capabilities[i].rule_count;
		c.cap_count++;
	}
	c.caps = caps;
	for (unsigned int i = 0; i < nc->tag_count && i < ZTDP_NETCONF_MAX_TAGS; i++) {
		tags[i].id = nc->tags[i].id;
		tags[i].value = nc->tags[i].value;
		c.tag_count++;
	}
	c.tags = tags;
	for (unsigned int i = 0; i < nc->coo_count && i < ZTDP_NETCONF_MAX_COOS; i++) {
		for (unsigned int j = 0; j < nc->coos[i].thing_count &&
		     j < ZTDP_COO_MAX_THINGS; j++) {
			owned[c.owned_count].type = nc->coos[i].things[j].type;
			memcpy(owned[c.owned_count].value, nc->coos[i].things[j].value, 16);
			c.owned_count++;
		}
	}
	c.owned = owned;
	nb = ztdp_netconf_active_bridges(nc, bridges, ZTDP_DP_MAX_BRIDGES);
	c.bridges = bridges;
	c.bridge_count = RTE_MIN(nb, (unsigned int)ZTDP_DP_MAX_BRIDGES);
	return ztdp_dp_network_upsert(dp, &c);
}

static void groups_forget_network(struct ztdp_dp *dp, uint64_t nwid);
static void bmacs_forget(struct ztdp_dp *dp, uint64_t nwid, uint64_t peer);

int ztdp_dp_network_remove(struct ztdp_dp *dp, uint64_t nwid)
{
	struct dp_tables *t = &dp->t;
	const void *key;
	void *data;
	uint32_t next = 0;
	struct dp_net *old = NULL;
	unsigned int slot = 0;
	uint64_t bit;

	for (unsigned int i = 0; i < t->net_hwm; i++) {
		if (t->nets[i].net != NULL && t->nets[i].net->nwid == nwid) {
			old = t->nets[i].net;
			slot = i;
			break;
		}
	}
	if (old == NULL)
		return -1;
	__atomic_store_n(&t->nets[slot].net, NULL, __ATOMIC_RELEASE);
	t->nets[slot].nwid = 0;
	if (t->port_net[old->l2_port] == slot + 1)
		__atomic_store_n(&t->port_net[old->l2_port], 0, __ATOMIC_RELEASE);
	t->slot_gc[slot].retiring = true;
	t->slot_gc[slot].token = rte_rcu_qsbr_start(t->qsbr);
	retire(t, old, free_net);
	/* Peers lose the gate bit of the slot before it can be reused. */
	bit = 1ULL << slot;
	for (;;) {
		struct dp_peer *changed = NULL;

		next = 0;
		while (rte_hash_iterate(t->peers, &key, &data, &next) >= 0) {
			if (((struct dp_peer *)data)->gate & bit) {
				changed = data;
				break;
			}
		}
		if (changed == NULL || peer_set_gate(dp, changed, changed->gate & ~bit) < 0)
			break;
	}
	groups_forget_network(dp, nwid);
	bmacs_forget(dp, nwid, 0);
	return 0;
}

/* ---- Multicast groups ----------------------------------------------------------- */

int ztdp_dp_group_set(struct ztdp_dp *dp, uint64_t nwid, struct ztdp_mcast_group g,
		      const uint64_t *members, unsigned int n)
{
	struct dp_tables *t = &dp->t;
	struct dp_group_key k = { .nwid = nwid, .mac = g.mac, .adi = g.adi };
	struct dp_group *grp, *old = NULL;
	void *data;
	unsigned int m = 0;

	if (nwid == 0 || (n > 0 && members == NULL))
		return -1;
	if (n == 0) {
		(void)ztdp_dp_group_remove(dp, nwid, g);
		return 0;
	}
	if (n > ZTDP_DP_MAX_GROUP_MEMBERS)
		n = ZTDP_DP_MAX_GROUP_MEMBERS;
	grp = rte_zmalloc_socket("ztdp_dp_group", sizeof(*grp) + n * sizeof(uint64_t),
				 RTE_CACHE_LINE_SIZE, dp->cfg.socket);
	if (grp == NULL)
		return -1;
	grp->k = k;
	for (unsigned int i = 0; i < n; i++)
		if (members[i] != dp->self && members[i] != 0)
			grp->members[m++] = members[i];
	grp->n = m;
	if (rte_hash_lookup_data(t->groups, &k, &data) >= 0) {
		old = data;
		grp->last_used_ms = __atomic_load_n(&old->last_used_ms, __ATOMIC_RELAXED);
	}
	if (rte_hash_add_key_data(t->groups, &grp->k, grp) < 0) {
		rte_free(grp);
		return -1;
	}
	retire(t, old, free_plain);
	return 0;
}

int ztdp_dp_group_remove(struct ztdp_dp *dp, uint64_t nwid, struct ztdp_mcast_group g)
{
	struct dp_group_key k = { .nwid = nwid, .mac = g.mac, .adi = g.adi };

	return rte_hash_del_key(dp->t.groups, &k) < 0 ? -1 : 0;
}

int ztdp_dp_group_last_used(struct ztdp_dp *dp, uint64_t nwid, struct ztdp_mcast_group g,
			    uint64_t *last_used_ms)
{
	const struct dp_group *grp = dp_group_find(dp, nwid, g);

	if (grp == NULL)
		return -1;
	*last_used_ms = __atomic_load_n(&grp->last_used_ms, __ATOMIC_RELAXED);
	return 0;
}

static void groups_forget_network(struct ztdp_dp *dp, uint64_t nwid)
{
	struct dp_group_key dead[64];
	const void *key;
	void *data;
	uint32_t next;
	unsigned int n;

	do {
		n = 0;
		next = 0;
		while (n < RTE_DIM(dead) &&
		       rte_hash_iterate(dp->t.groups, &key, &data, &next) >= 0)
			if (((const struct dp_group_key *)key)->nwid == nwid)
				dead[n++] = *(const struct dp_group_key *)key;
		for (unsigned int i = 0; i < n; i++)
			rte_hash_del_key(dp->t.groups, &dead[i]);
	} while (n == RTE_DIM(dead));
}

/* ---- Bridge MACs ------------------------------------------------------------------ */

/* Delete (nwid, *) (or everything of peer if peer != 0) from the table. */
static void bmacs_forget(struct ztdp_dp *dp, uint64_t nwid, uint64_t peer)
{
	struct dp_bmac_key dead[64];
	const void *key;
	void *data;
	uint32_t next;
	unsigned int n;

	do {
		n = 0;
		next = 0;
		while (n < RTE_DIM(dead) &&
		       rte_hash_iterate(dp->t.bmacs, &key, &data, &next) >= 0) {
			const struct dp_bmac_key *k = key;

			if (k->nwid == nwid && (peer == 0 || ((struct dp_bmac *)data)->peer == peer))
				dead[n++] = *k;
		}
		for (unsigned int i = 0; i < n; i++)
			if (rte_hash_del_key(dp->t.bmacs, &dead[i]) >= 0)
				dp->t.bmac_count--;
	} while (n == RTE_DIM(dead));
}

/* The stalest entry goes when the table is full. */
static int bmac_evict_oldest(struct ztdp_dp *dp)
{
	struct dp_bmac_key victim;
	uint64_t oldest = UINT64_MAX;
	const void *key;
	void *data;
	uint32_t next = 0;

	while (rte_hash_iterate(dp->t.bmacs, &key, &data, &next) >= 0) {
		uint64_t seen = __atomic_load_n(&((struct dp_bmac *)data)->last_seen_ms,
						__ATOMIC_RELAXED);

		if (seen < oldest) {
			oldest = seen;
			victim = *(const struct dp_bmac_key *)key;
		}
	}
	if (oldest == UINT64_MAX || rte_hash_del_key(dp->t.bmacs, &victim) < 0)
		return -1;
	dp->t.bmac_count--;
	return 0;
}

int ztdp_dp_bridge_mac_learn(struct ztdp_dp *dp, uint64_t nwid, uint64_t mac,
			     uint64_t peer, uint64_t now_ms)
{
	struct dp_tables *t = &dp->t;
	struct dp_bmac_key k = { .nwid = nwid, .mac = mac };
	struct dp_bmac *e, *old = NULL;
	void *data;

	if (nwid == 0 || peer == 0 || mac == 0 || ztdp_mac_is_multicast(mac))
		return -1;
	if (rte_hash_lookup_data(t->bmacs, &k, &data) >= 0) {
		old = data;
		if (old->peer == peer) {
			__atomic_store_n(&old->last_seen_ms, now_ms, __ATOMIC_RELAXED);
			return 0;
		}
	} else if (t->bmac_count >= dp->cfg.max_bridge_macs && bmac_evict_oldest(dp) < 0) {
		return -1;
	}
	e = rte_zmalloc_socket("ztdp_dp_bmac", sizeof(*e), 0, dp->cfg.socket);
	if (e == NULL)
		return -1;
	e->peer = peer;
	e->last_seen_ms = now_ms;
	if (rte_hash_add_key_data(t->bmacs, &k, e) < 0) {
		rte_free(e);
		return -1;
	}
	if (old != NULL)
		retire(t, old, free_plain);
	else
		t->bmac_count++;
	return 0;
}

uint64_t ztdp_dp_bridge_mac_lookup(struct ztdp_dp *dp, uint64_t nwid, uint64_t mac)
{
	const struct dp_bmac *e = dp_bmac_find(dp, nwid, mac);

	return e != NULL ? e->peer : 0;
}

unsigned int ztdp_dp_bridge_mac_count(const struct ztdp_dp *dp)
{
	return dp->t.bmac_count;
}

static void bmacs_age(struct ztdp_dp *dp, uint64_t now_ms)
{
	struct dp_bmac_key dead[BMAC_AGE_BATCH];
	const void *key;
	void *data;
	uint32_t next = 0;
	unsigned int n = 0;

	while (n < BMAC_AGE_BATCH && rte_hash_iterate(dp->t.bmacs, &key, &data, &next) >= 0) {
		uint64_t seen = __atomic_load_n(&((struct dp_bmac *)data)->last_seen_ms,
						__ATOMIC_RELAXED);

		if (now_ms > seen && now_ms - seen >= dp->t.bmac_ttl_ms)
			dead[n++] = *(const struct dp_bmac_key *)key;
	}
	for (unsigned int i = 0; i < n; i++)
		if (rte_hash_del_key(dp->t.bmacs, &dead[i]) >= 0)
			dp->t.bmac_count--;
}

void ztdp_dp_maintain(struct ztdp_dp *dp, uint64_t now_ms)
{
	struct dp_tables *t = &dp->t;

	for (unsigned int i = 0; i < dp->lcores; i++) {
		struct dp_learn req;

		for (unsigned int j = 0; j < LEARN_BATCH &&
		     rte_ring_sc_dequeue_elem(dp->lc[i]->learn, &req, sizeof(req)) == 0; j++) {
			const struct dp_net *n = dp_net_find(dp, req.nwid);

			/* Checked again: the bridge may have lost its flag. */
			if (n != NULL && dp_net_has_bridge(n, req.peer))
				(void)ztdp_dp_bridge_mac_learn(dp, req.nwid, req.mac, req.peer,
							       now_ms);
		}
	}
	if (now_ms >= t->next_age_ms) {
		t->next_age_ms = now_ms + BMAC_AGE_INTERVAL_MS;
		bmacs_age(dp, now_ms);
	}
	reclaim(t, false);
}

/* ---- Set-up --------------------------------------------------------------------------- */

static struct rte_hash *hash_create(const struct ztdp_dp *dp, const char *suffix,
				    uint32_t entries, uint32_t key_len, char *err,
				    size_t errlen)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = entries,
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		.socket_id = dp->cfg.socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_rcu_config rc = {
		.v = dp->t.qsbr,
		.mode = RTE_HASH_QSBR_MODE_DQ,
		.free_key_data_func = hash_free_data,
	};
	struct rte_hash *h;

	snprintf(name, sizeof(name), "%.12s_%.4s", dp->name, suffix);
	h = rte_hash_create(&hp);
	if (h == NULL) {
		snprintf(err, errlen, "cannot create hash table %s (%u entries): %s", name,
			 entries, rte_strerror(rte_errno));
		return NULL;
	}
	if (rte_hash_rcu_qsbr_add(h, &rc) != 0) {
		snprintf(err, errlen, "cannot attach RCU to hash table %s: %s", name,
			 rte_strerror(rte_errno));
		rte_hash_free(h);
		return NULL;
	}
	return h;
}

int dp_tables_init(struct ztdp_dp *dp, char *err, size_t errlen)
{
	struct dp_tables *t = &dp->t;
	size_t sz = rte_rcu_qsbr_get_memsize(dp->lcores);

	t->qsbr = rte_zmalloc_socket("ztdp_dp_qsbr", sz, RTE_CACHE_LINE_SIZE, dp->cfg.socket);
	if (t->qsbr == NULL || rte_rcu_qsbr_init(t->qsbr, dp->lcores) != 0)
		ERR("cannot set up RCU for %u lcores", dp->lcores);
	for (unsigned int i = 0; i < dp->lcores; i++)
		rte_rcu_qsbr_thread_register(t->qsbr, i);
	t->bmac_ttl_ms = dp->cfg.bridge_mac_ttl_ms;
	t->peers = hash_create(dp, "p", dp->cfg.max_peers, sizeof(uint64_t), err, errlen);
	if (t->peers == NULL)
		goto fail;
	t->groups = hash_create(dp, "g", dp->cfg.max_groups, sizeof(struct dp_group_key), err,
				errlen);
	if (t->groups == NULL)
		goto fail;
	t->bmacs = hash_create(dp, "b", dp->cfg.max_bridge_macs, sizeof(struct dp_bmac_key),
			       err, errlen);
	if (t->bmacs == NULL)
		goto fail;
	return 0;
fail:
	return -1;
}

/* The data of every key still in h (lcores are gone: no grace period). */
static void hash_free_data_all(struct rte_hash *h)
{
	const void *key;
	void *data;
	uint32_t next = 0;

	if (h == NULL)
		return;
	while (rte_hash_iterate(h, &key, &data, &next) >= 0)
		rte_free(data);
}

void dp_tables_fini(struct ztdp_dp *dp)
{
	struct dp_tables *t = &dp->t;
	const void *key;
	void *data;
	uint32_t next = 0;

	/* Everything on the retire list is unreachable: free it now. */
	while (t->ret_count > 0) {
		struct dp_retired *r = &t->retired[t->ret_head];

		r->free_fn(r->obj);
		t->ret_head = (t->ret_head + 1) % DP_RETIRE_MAX;
		t->ret_count--;
	}
	if (t->peers != NULL) {
		while (rte_hash_iterate(t->peers, &key, &data, &next) >= 0) {
			struct dp_peer *p = data;

			free_key((void *)(uintptr_t)p->key);
			rte_free(p);
		}
	}
	hash_free_data_all(t->groups);
	hash_free_data_all(t->bmacs);
	for (unsigned int i = 0; i < ZTDP_DP_MAX_NETWORKS; i++)
		if (t->nets[i].net != NULL)
			free_net(t->nets[i].net);
	/* rte_hash_free also drains the hash's defer queue (freeing the
	 * data of keys deleted earlier) once no reader is registered online. */
	rte_hash_free(t->peers);
	rte_hash_free(t->groups);
	rte_hash_free(t->bmacs);
	rte_free(t->qsbr);
	memset(t, 0, sizeof(*t));
}
