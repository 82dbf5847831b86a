/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a fast path (the DPDK dataplane) needs to learn from the node, and
 * what it tells the node back. The node stays the only authority: it
 * publishes keys, paths and gate verdicts it already worked out, and the
 * fast path hands it anything it cannot decide (ztdp_node_process_packet,
 * ztdp_node_process_plain). Nothing here changes protocol state except
 * the activity report, which keeps a peer that only the fast path talks
 * to from looking idle.
 */
#include <string.h>

#include "node_internal.h"

/* Where the fast path sends to p: its best live direct path, else the
 * best root (which relays; the packet is still armored for p). */
static bool fastpath_route(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
			   struct ztdp_inetaddr *to, bool *direct)
{
	struct zn_path *pa = zn_path_best(p, now, true);
	struct zn_peer *root;

	if (pa != NULL) {
		*to = pa->addr;
		*direct = true;
		return true;
	}
	if (zn_peer_is_root(p))
		return false;
	root = zn_best_root(n, now);
	if (root == NULL || (pa = zn_path_best(root, now, false)) == NULL)
		return false;
	*to = pa->addr;
	*direct = false;
	return true;
}

unsigned int ztdp_node_fastpath_peers(struct ztdp_node *n, uint64_t now,
				      struct ztdp_node_fastpath_peer *out,
				      unsigned int max)
{
	unsigned int count = 0;

	for (unsigned int k = 0; k < n->peer_count; k++) {
		struct zn_peer *p = zn_peer_at(n, k);
		struct ztdp_inetaddr to;
		bool direct;

		/* Roots carry no frames; their traffic is the node's. */
		if (zn_peer_is_root(p) || !fastpath_route(n, now, p, &to, &direct))
			continue;
		if (count < max) {
			struct ztdp_node_fastpath_peer *f = &out[count];

			f->address = p->address;
			memcpy(f->key, p->key.key, sizeof(f->key));
			f->suite = (uint8_t)zn_suite_for(p);
			f->to = to;
			f->direct = direct;
		}
		count++;
	}
	return count;
}

int ztdp_node_fastpath_gate(struct ztdp_node *n, uint64_t address, uint64_t nwid)
{
	struct zn_network *net = zn_network_find(n, nwid);
	struct zn_peer *p = zn_peer_find(n, address);
	struct zn_membership *m;

	if (net == NULL || p == NULL)
		return -1;
	if (net->nc == NULL)
		return 0;
	if (ztdp_netconf_is_public(net->nc))
		return 1;
	/* Only the verdict the node already reached for this config: working
	 * it out hashes an identity, and the node does that when the fast
	 * path hands it the peer's first frame. */
	m = zn_membership(p, nwid, n->now, false);
	return m != NULL && m->has_com && m->gate_seq == net->config_seq && m->gate_ok &&
	       m->last_gate_ok != 0 ? 1 : 0;
}

void ztdp_node_fastpath_subscriptions(const struct ztdp_node *n, uint64_t now,
				      void (*cb)(void *ctx, uint64_t nwid,
						 struct ztdp_mcast_group g,
						 uint64_t member),
				      void *ctx)
{
	for (unsigned int i = 0; i < ZN_MAX_MC_SUBS; i++) {
		const struct zn_mc_sub *s = &n->subs[i];

		if (s->nwid != 0 && s->expires > now)
			cb(ctx, s->nwid, s->group, s->member);
	}
}

void ztdp_node_fastpath_activity(struct ztdp_node *n, uint64_t now, uint64_t address,
				 bool sent)
{
	struct zn_peer *p = zn_peer_find(n, address);

	n->now = now;
	if (p == NULL)
		return;
	p->last_active = now;
	if (!sent)
		return;
	/* Members we send frames to need our COM: push it when due, on the
	 * networks where the peer is a member (as the node's own frame path
	 * does). */
	for (unsigned int i = 0; i < ZN_PEER_MEMBERSHIPS; i++) {
		struct zn_network *net;

		if (p->mship[i].nwid == 0 || p->mship[i].last_gate_ok == 0)
			continue;
		net = zn_network_find(n, p->mship[i].nwid);
		if (net != NULL)
			zn_credentials_push(n, now, net, p, false);
	}
	zn_deferred(n, now);
}

const struct ztdp_netconf *ztdp_node_network_config(struct ztdp_node *n, uint64_t nwid)
{
	struct zn_network *net = zn_network_find(n, nwid);

	return net != NULL ? net->nc : NULL;
}
