/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Teaching the fast path: the control thread copies what the node decided
 * into the dataplane's tables, and reports the fast path's traffic back.
 *
 *   peers    key, suite, path (direct, or the relaying root's) and the
 *            path's next-hop MAC, once the neighbour cache has it;
 *   gates    the node's membership verdict per peer and network;
 *   groups   other members' multicast subscriptions;
 *   activity when the fast path last carried a peer's traffic, so the node
 *            keeps it and pushes our credentials when due.
 *
 * Each pass diffs against what was published last, so a quiet network
 * costs a few comparisons and no table writes (each write is an RCU
 * publish). The node stays the authority: anything not published reaches
 * it through the control ring.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ztdp_app.h"
#include "ztdp_dp.h"

#define PUB_MAX_PEERS		1024
#define PUB_MAX_SUBS		4096	/* the node's own bound (ZN_MAX_MC_SUBS) */
/* Fast-path activity is read this often (its stamps have 1 s resolution). */
#define PUB_ACTIVITY_MS		1000

struct pub_peer {
	uint64_t address;
	struct ztdp_dp_peer_conf conf;	/* conf.key NULL: the key is below */
	uint8_t key[48];
	uint64_t gates;			/* bit per network index */
	uint64_t last_rx, last_tx;	/* fast-path stamps already reported */
};

/* One subscription as the node lists it; sorted, runs of equal (nwid,
 * group) are one group's members. */
struct pub_sub {
	uint64_t nwid;
	uint64_t mac;
	uint32_t adi;
	uint64_t member;
};

struct ztdp_publish {
	struct ztdp_publish_env env;
	/* Published peers, sorted by address; rebuilt into `next` each pass
	 * by merging with the node's list (also sorted), then swapped. */
	unsigned int npeers;
	struct pub_peer *peers, *next;		/* PUB_MAX_PEERS each */
	struct ztdp_node_fastpath_peer *scratch;	/* PUB_MAX_PEERS */
	/* Published subscriptions, sorted; the same merge. */
	unsigned int nsubs, nfresh;
	struct pub_sub *subs, *fresh;		/* PUB_MAX_SUBS each */
	uint64_t next_activity;
	struct ztdp_publish_stats stats;
};

int ztdp_publish_create(struct ztdp_publish **out, const struct ztdp_publish_env *env)
{
	struct ztdp_publish *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (p == NULL)
		return -1;
	p->env = *env;
	p->peers = calloc(PUB_MAX_PEERS, sizeof(*p->peers));
	p->next = calloc(PUB_MAX_PEERS, sizeof(*p->next));
	p->scratch = calloc(PUB_MAX_PEERS, sizeof(*p->scratch));
	p->subs = calloc(PUB_MAX_SUBS, sizeof(*p->subs));
	p->fresh = calloc(PUB_MAX_SUBS, sizeof(*p->fresh));
	if (p->peers == NULL || p->next == NULL || p->scratch == NULL || p->subs == NULL ||
	    p->fresh == NULL) {
		ztdp_publish_destroy(p);
		return -1;
	}
	*out = p;
	return 0;
}

void ztdp_publish_destroy(struct ztdp_publish *p)
{
	if (p == NULL)
		return;
	/* Keys. */
	if (p->peers != NULL)
		sodium_memzero(p->peers, PUB_MAX_PEERS * sizeof(*p->peers));
	if (p->next != NULL)
		sodium_memzero(p->next, PUB_MAX_PEERS * sizeof(*p->next));
	if (p->scratch != NULL)
		sodium_memzero(p->scratch, PUB_MAX_PEERS * sizeof(*p->scratch));
	free(p->peers);
	free(p->next);
	free(p->scratch);
	free(p->subs);
	free(p->fresh);
	free(p);
}

const struct ztdp_publish_stats *ztdp_publish_stats(const struct ztdp_publish *p)
{
	return &p->stats;
}

/* ---- Peers and gates ----------------------------------------------------------- */

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_fastpath_peer(const void *a, const void *b)
{
	return cmp_u64(((const struct ztdp_node_fastpath_peer *)a)->address,
		       ((const struct ztdp_node_fastpath_peer *)b)->address);
}

static bool conf_equal(const struct pub_peer *a, const struct ztdp_dp_peer_conf *c,
		       const uint8_t *key)
{
	return a->conf.suite == c->suite && a->conf.mtu == c->mtu &&
	       ztdp_inetaddr_equal(&a->conf.to, &c->to) &&
	       memcmp(a->conf.next_hop_mac, c->next_hop_mac, 6) == 0 &&
	       sodium_memcmp(a->key, key, 48) == 0;
}

static void publish_gates(struct ztdp_publish *p, struct pub_peer *pp, bool fresh)
{
	const struct ztdp_publish_env *e = &p->env;

	for (unsigned int k = 0; k < e->nwid_count && k < 64; k++) {
		bool pass = ztdp_node_fastpath_gate(e->node, pp->address, e->nwids[k]) == 1;
		bool was = (pp->gates >> k) & 1;

		if (!fresh && pass == was)
			continue;
		if (ztdp_dp_peer_gate(e->dp, pp->address, e->nwids[k], pass) == 0) {
			pp->gates = pass ? pp->gates | (1ULL << k) : pp->gates & ~(1ULL << k);
			p->stats.gate_writes++;
		}
	}
}

/* One peer the node lists; old is what was published for it, or NULL.
 * Returns false when it stays unpublished. */
static bool publish_peer(struct ztdp_publish *p, const struct ztdp_node_fastpath_peer *f,
			 const struct pub_peer *old, struct pub_peer *out)
{
	const struct ztdp_publish_env *e = &p->env;
	struct ztdp_dp_peer_conf c;

	memset(&c, 0, sizeof(c));
	c.address = f->address;
	c.suite = f->suite;
	c.to = f->to;
	/* No next hop yet: the callee asks; the old route stays meanwhile,
	 * and a new peer stays the node's. */
	if (e->next_hop_mac(e->ctx, &f->to, c.next_hop_mac) < 0) {
		if (old != NULL)
			*out = *old;
		return old != NULL;
	}
	if (old != NULL && conf_equal(old, &c, f->key)) {
		*out = *old;
	} else {
		c.key = f->key;
		if (ztdp_dp_peer_upsert(e->dp, &c) < 0) {
			p->stats.peer_write_failures++;
			if (old != NULL)
				*out = *old;
			return old != NULL;
		}
		p->stats.peer_writes++;
		if (old != NULL) {
			*out = *old;
		} else {
			memset(out, 0, sizeof(*out));
			out->address = f->address;
		}
		out->conf = c;
		out->conf.key = NULL;
		memcpy(out->key, f->key, sizeof(out->key));
	}
	publish_gates(p, out, old == NULL);
	return true;
}

static void unpublish_peer(struct ztdp_publish *p, const struct pub_peer *old)
{
	(void)ztdp_dp_peer_remove(p->env.dp, old->address);
	p->stats.peer_removals++;
}

static void publish_peers(struct ztdp_publish *p, uint64_t now)
{
	unsigned int n = ztdp_node_fastpath_peers(p->env.node, now, p->scratch, PUB_MAX_PEERS);
	unsigned int i = 0, j = 0, k = 0;
	struct pub_peer *tmp;

	if (n > PUB_MAX_PEERS)
		n = PUB_MAX_PEERS;
	qsort(p->scratch, n, sizeof(*p->scratch), cmp_fastpath_peer);
	/* Merge the node's list (i) with what is published (j). */
	while (i < n || j < p->npeers) {
		int c = i == n ? 1 : j == p->npeers ? -1 :
			cmp_u64(p->scratch[i].address, p->peers[j].address);

		if (c > 0) {
			unpublish_peer(p, &p->peers[j++]);
			continue;
		}
		if (publish_peer(p, &p->scratch[i], c == 0 ? &p->peers[j] : NULL, &p->next[k]))
			k++;
		i++;
		j += c == 0;
	}
	sodium_memzero(p->peers, p->npeers * sizeof(*p->peers));
	tmp = p->peers;
	p->peers = p->next;
	p->next = tmp;
	p->npeers = k;
}

/* ---- Groups ---------------------------------------------------------------------- */

static int cmp_sub_group(const struct pub_sub *a, const struct pub_sub *b)
{
	int c = cmp_u64(a->nwid, b->nwid);

	if (c == 0)
		c = cmp_u64(a->mac, b->mac);
	if (c == 0)
		c = cmp_u64(a->adi, b->adi);
	return c;
}

static int cmp_sub(const void *va, const void *vb)
{
	const struct pub_sub *a = va, *b = vb;
	int c = cmp_sub_group(a, b);

	return c != 0 ? c : cmp_u64(a->member, b->member);
}

static void collect_sub(void *ctx, uint64_t nwid, struct ztdp_mcast_group g, uint64_t member)
{
	struct ztdp_publish *p = ctx;

	if (p->nfresh < PUB_MAX_SUBS)
		p->fresh[p->nfresh++] = (struct pub_sub){ nwid, g.mac, g.adi, member };
}

/* The end of the run of subs[from..n) in the same group as subs[from]. */
static unsigned int group_end(const struct pub_sub *subs, unsigned int n, unsigned int from)
{
	unsigned int to = from + 1;

	while (to < n && cmp_sub_group(&subs[from], &subs[to]) == 0)
		to++;
	return to;
}

static bool same_members(const struct pub_sub *a, const struct pub_sub *b, unsigned int na,
			 unsigned int nb)
{
	if (na != nb)
		return false;
	for (unsigned int x = 0; x < na; x++)
		if (a[x].member != b[x].member)
			return false;
	return true;
}

static void publish_groups(struct ztdp_publish *p, uint64_t now)
{
	const struct ztdp_publish_env *e = &p->env;
	uint64_t members[ZTDP_DP_MAX_GROUP_MEMBERS];
	unsigned int i = 0, j = 0;
	struct pub_sub *tmp;

	p->nfresh = 0;
	ztdp_node_fastpath_subscriptions(e->node, now, collect_sub, p);
	qsort(p->fresh, p->nfresh, sizeof(*p->fresh), cmp_sub);
	/* Merge group runs: new (i), published (j). */
	while (i < p->nfresh || j < p->nsubs) {
		unsigned int ie = i < p->nfresh ? group_end(p->fresh, p->nfresh, i) : i;
		unsigned int je = j < p->nsubs ? group_end(p->subs, p->nsubs, j) : j;
		int c = i == p->nfresh ? 1 : j == p->nsubs ? -1 :
			cmp_sub_group(&p->fresh[i], &p->subs[j]);
		struct ztdp_mcast_group g;

		if (c > 0) {
			g = (struct ztdp_mcast_group){ .mac = p->subs[j].mac, .adi = p->subs[j].adi };
			if (ztdp_dp_group_remove(e->dp, p->subs[j].nwid, g) == 0)
				p->stats.group_writes++;
			j = je;
			continue;
		}
		if (c < 0 || !same_members(&p->fresh[i], &p->subs[j], ie - i, je - j)) {
			unsigned int m = 0;

			for (unsigned int x = i; x < ie && m < ZTDP_DP_MAX_GROUP_MEMBERS; x++)
				members[m++] = p->fresh[x].member;
			g = (struct ztdp_mcast_group){ .mac = p->fresh[i].mac, .adi = p->fresh[i].adi };
			if (ztdp_dp_group_set(e->dp, p->fresh[i].nwid, g, members, m) == 0)
				p->stats.group_writes++;
		}
		i = ie;
		if (c == 0)
			j = je;
	}
	tmp = p->subs;
	p->subs = p->fresh;
	p->fresh = tmp;
	p->nsubs = p->nfresh;
}

/* ---- Activity --------------------------------------------------------------------- */

static void report_activity(struct ztdp_publish *p, uint64_t now)
{
	const struct ztdp_publish_env *e = &p->env;

	for (unsigned int i = 0; i < p->npeers; i++) {
		struct pub_peer *pp = &p->peers[i];
		uint64_t rx, tx;

		if (ztdp_dp_peer_activity(e->dp, pp->address, &rx, &tx) < 0)
			continue;
		if (tx != 0 && tx != pp->last_tx) {
			pp->last_tx = tx;
			ztdp_node_fastpath_activity(e->node, now, pp->address, true);
		} else if (rx != 0 && rx != pp->last_rx) {
			ztdp_node_fastpath_activity(e->node, now, pp->address, false);
		}
		pp->last_rx = rx;
	}
}

void ztdp_publish_run(struct ztdp_publish *p, uint64_t now, uint64_t mono)
{
	publish_peers(p, now);
	publish_groups(p, now);
	if (mono >= p->next_activity) {
		report_activity(p, now);
		p->next_activity = mono + PUB_ACTIVITY_MS;
	}
	p->stats.passes++;
}
