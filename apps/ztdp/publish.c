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
#define PUB_MAX_GROUPS		512
/* Fast-path activity is read this often (its stamps have 1 s resolution). */
#define PUB_ACTIVITY_MS		1000

struct pub_peer {
	uint64_t address;
	struct ztdp_dp_peer_conf conf;
	uint8_t key[48];
	uint64_t gates;			/* bit per publish network index */
	uint64_t last_rx, last_tx;	/* fast-path stamps already reported */
	bool seen;			/* in this pass's node list */
};

struct pub_group {
	uint64_t nwid;
	struct ztdp_mcast_group g;
	unsigned int n;
	uint64_t members[ZTDP_DP_MAX_GROUP_MEMBERS];
};

struct ztdp_publish {
	struct ztdp_publish_env env;
	unsigned int npeers;
	struct pub_peer *peers;			/* PUB_MAX_PEERS */
	struct ztdp_node_fastpath_peer *scratch;	/* PUB_MAX_PEERS */
	unsigned int ngroups, nnew;
	struct pub_group *groups, *fresh;	/* PUB_MAX_GROUPS each */
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
	p->scratch = calloc(PUB_MAX_PEERS, sizeof(*p->scratch));
	p->groups = calloc(PUB_MAX_GROUPS, sizeof(*p->groups));
	p->fresh = calloc(PUB_MAX_GROUPS, sizeof(*p->fresh));
	if (p->peers == NULL || p->scratch == NULL || p->groups == NULL || p->fresh == NULL) {
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
	if (p->peers != NULL)
		sodium_memzero(p->peers, PUB_MAX_PEERS * sizeof(*p->peers));
	if (p->scratch != NULL)
		sodium_memzero(p->scratch, PUB_MAX_PEERS * sizeof(*p->scratch));
	free(p->peers);
	free(p->scratch);
	free(p->groups);
	free(p->fresh);
	free(p);
}

const struct ztdp_publish_stats *ztdp_publish_stats(const struct ztdp_publish *p)
{
	return &p->stats;
}

static struct pub_peer *find_peer(struct ztdp_publish *p, uint64_t address)
{
	for (unsigned int i = 0; i < p->npeers; i++)
		if (p->peers[i].address == address)
			return &p->peers[i];
	return NULL;
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

static void publish_peers(struct ztdp_publish *p, uint64_t now)
{
	const struct ztdp_publish_env *e = &p->env;
	unsigned int n = ztdp_node_fastpath_peers(e->node, now, p->scratch, PUB_MAX_PEERS);

	if (n > PUB_MAX_PEERS)
		n = PUB_MAX_PEERS;
	for (unsigned int i = 0; i < p->npeers; i++)
		p->peers[i].seen = false;
	for (unsigned int i = 0; i < n; i++) {
		const struct ztdp_node_fastpath_peer *f = &p->scratch[i];
		struct pub_peer *pp = find_peer(p, f->address);
		struct ztdp_dp_peer_conf c;
		bool fresh = pp == NULL;

		memset(&c, 0, sizeof(c));
		c.address = f->address;
		c.suite = f->suite;
		c.to = f->to;
		c.mtu = 0;
		/* No next hop yet: ask, and leave the peer to the node. */
		if (e->next_hop_mac(e->ctx, &f->to, c.next_hop_mac) < 0) {
			if (pp != NULL)
				pp->seen = true;	/* keep the old route meanwhile */
			continue;
		}
		if (pp == NULL) {
			if (p->npeers == PUB_MAX_PEERS)
				continue;
			pp = &p->peers[p->npeers++];
			memset(pp, 0, sizeof(*pp));
			pp->address = f->address;
		}
		pp->seen = true;
		if (fresh || !conf_equal(pp, &c, f->key)) {
			c.key = f->key;
			if (ztdp_dp_peer_upsert(e->dp, &c) < 0) {
				p->stats.peer_write_failures++;
				if (fresh)
					p->npeers--;
				continue;
			}
			pp->conf = c;
			pp->conf.key = NULL;
			memcpy(pp->key, f->key, 48);
			p->stats.peer_writes++;
		}
		publish_gates(p, pp, fresh);
	}
	/* Peers the node dropped leave the fast path too. */
	for (unsigned int i = 0; i < p->npeers;) {
		if (p->peers[i].seen) {
			i++;
			continue;
		}
		(void)ztdp_dp_peer_remove(e->dp, p->peers[i].address);
		p->stats.peer_removals++;
		sodium_memzero(&p->peers[i], sizeof(p->peers[i]));
		p->peers[i] = p->peers[--p->npeers];
	}
}

/* ---- Groups ---------------------------------------------------------------------- */

static bool group_eq(const struct pub_group *a, uint64_t nwid, struct ztdp_mcast_group g)
{
	return a->nwid == nwid && a->g.mac == g.mac && a->g.adi == g.adi;
}

static void collect_sub(void *ctx, uint64_t nwid, struct ztdp_mcast_group g, uint64_t member)
{
	struct ztdp_publish *p = ctx;
	struct pub_group *pg = NULL;

	for (unsigned int i = 0; i < p->nnew; i++)
		if (group_eq(&p->fresh[i], nwid, g)) {
			pg = &p->fresh[i];
			break;
		}
	if (pg == NULL) {
		if (p->nnew == PUB_MAX_GROUPS)
			return;
		pg = &p->fresh[p->nnew++];
		pg->nwid = nwid;
		pg->g = g;
		pg->n = 0;
	}
	if (pg->n < ZTDP_DP_MAX_GROUP_MEMBERS)
		pg->members[pg->n++] = member;
}

static void publish_groups(struct ztdp_publish *p, uint64_t now)
{
	const struct ztdp_publish_env *e = &p->env;
	struct pub_group *tmp;

	p->nnew = 0;
	ztdp_node_fastpath_subscriptions(e->node, now, collect_sub, p);
	for (unsigned int i = 0; i < p->nnew; i++) {
		const struct pub_group *ng = &p->fresh[i];
		const struct pub_group *old = NULL;

		for (unsigned int j = 0; j < p->ngroups; j++)
			if (group_eq(&p->groups[j], ng->nwid, ng->g)) {
				old = &p->groups[j];
				break;
			}
		if (old != NULL && old->n == ng->n &&
		    memcmp(old->members, ng->members, ng->n * sizeof(uint64_t)) == 0)
			continue;
		if (ztdp_dp_group_set(e->dp, ng->nwid, ng->g, ng->members, ng->n) == 0)
			p->stats.group_writes++;
	}
	for (unsigned int j = 0; j < p->ngroups; j++) {
		bool still = false;

		for (unsigned int i = 0; i < p->nnew && !still; i++)
			still = group_eq(&p->fresh[i], p->groups[j].nwid, p->groups[j].g);
		if (!still && ztdp_dp_group_remove(e->dp, p->groups[j].nwid, p->groups[j].g) == 0)
			p->stats.group_writes++;
	}
	tmp = p->groups;
	p->groups = p->fresh;
	p->fresh = tmp;
	p->ngroups = p->nnew;
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

void ztdp_publish_networks_changed(struct ztdp_publish *p, const uint64_t *nwids,
				   unsigned int count)
{
	p->env.nwids = nwids;
	p->env.nwid_count = count;
	/* Gate bits are per network slot: work every one out again. */
	for (unsigned int i = 0; i < p->npeers; i++) {
		p->peers[i].gates = 0;
		publish_gates(p, &p->peers[i], true);
	}
}

unsigned int ztdp_publish_peer_count(const struct ztdp_publish *p)
{
	return p->npeers;
}
