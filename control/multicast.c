/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multicast: our groups and their announcement (MULTICAST_LIKE, protocol
 * notes 1.4, 6.8, 9.3), others' subscriptions (from LIKEs and gather
 * results, 600 s), MULTICAST_GATHER and MULTICAST_FRAME both ways (6.12,
 * 6.13, 11.10).
 *
 * Sending follows 1.14.1 in outline: every active bridge plus up to `ml`
 * known subscribers get a copy; when fewer than `ml` are known, ask the
 * best root and the controller (at most every 60 s per group, at once if
 * nobody is known) and keep the frame for 5 s so members named by the
 * answers still get it, each once.
 */
#include <string.h>

#include "node_internal.h"
#include "ztdp_verbs.h"

/* ---- Our groups ----------------------------------------------------------------- */

static void group_add(struct zn_network *net, struct ztdp_mcast_group g)
{
	for (unsigned int i = 0; i < net->ngroups; i++)
		if (ztdp_mcast_group_equal(net->groups[i], g))
			return;
	if (net->ngroups < ZN_MAX_GROUPS)
		net->groups[net->ngroups++] = g;
}

void zn_groups_update(struct ztdp_node *n, uint64_t now, struct zn_network *net)
{
	const struct ztdp_netconf *nc = net->nc;
	struct ztdp_mcast_group old[ZN_MAX_GROUPS];
	unsigned int nold = net->ngroups;
	bool changed;

	memcpy(old, net->groups, sizeof(old));
	net->ngroups = 0;
	if (nc != NULL) {
		if (ztdp_netconf_broadcast_enabled(nc))
			group_add(net, ztdp_mcast_group_broadcast());
		for (unsigned int i = 0; i < nc->static_ip_count; i++) {
			const struct ztdp_inetaddr *a = &nc->static_ips[i];

			if (a->family == 4)
				group_add(net, ztdp_mcast_group_arp(ztdp_inetaddr_v4(a)));
			else if (a->family == 6)
				group_add(net, ztdp_mcast_group_ndp(a->ip));
		}
	}
	changed = nold != net->ngroups ||
		  memcmp(old, net->groups, sizeof(old[0]) * net->ngroups) != 0;
	if (changed)
		zn_multicast_tick(n, now, true, net);
}

void zn_like_send(struct ztdp_node *n, uint64_t now, struct zn_network *net,
		  struct zn_peer *p)
{
	struct zn_membership *m;
	struct ztdp_wr *w;

	if (net->ngroups == 0 || p->address == n->self.address)
		return;
	m = zn_membership(p, net->nwid, now, false);
	if (m != NULL)
		m->last_like_sent = now;
	w = zn_tx_begin(n, p->address, ZTDP_VERB_MULTICAST_LIKE);
	for (unsigned int i = 0; i < net->ngroups; i++) {
		struct ztdp_multicast_like_rec r = { .nwid = net->nwid, .group = net->groups[i] };

		if (ztdp_multicast_like_encode_rec(w, &r) != ZTDP_VERBS_OK)
			w->err = true;
	}
	(void)zn_tx_send(n, now, p, NULL, ZN_TX_COMPRESS, NULL);
}

/* Announce net's groups to its controller and every root, and to gated
 * members not told for 60 s. */
static void announce(struct ztdp_node *n, uint64_t now, struct zn_network *net)
{
	uint64_t ctrl = zn_controller_of(net->nwid);
	struct zn_peer *p = zn_peer_find(n, ctrl);

	net->last_announce = now;
	if (p != NULL)
		zn_like_send(n, now, net, p);
	for (unsigned int i = 0; i < n->planet.root_count; i++) {
		uint64_t a = n->planet.roots[i].identity.address;

		p = zn_peer_find(n, a);
		if (p != NULL && a != ctrl)
			zn_like_send(n, now, net, p);
	}
	for (unsigned int k = 0; k < n->peer_count; k++) {
		struct zn_membership *m;

		p = zn_peer_at(n, k);
		if (p->root >= 0 || p->address == ctrl)
			continue;
		m = zn_membership(p, net->nwid, now, false);
		if (m != NULL && m->last_gate_ok != 0 && now - m->last_gate_ok < ZN_TRUST_MS &&
		    (m->last_like_sent == 0 || now - m->last_like_sent >= ZN_MC_ANNOUNCE_MS))
			zn_like_send(n, now, net, p);
	}
}

void zn_multicast_tick(struct ztdp_node *n, uint64_t now, bool force_net_only,
		       struct zn_network *only)
{
	if (force_net_only) {
		if (only != NULL && only->nc != NULL)
			announce(n, now, only);
		return;
	}
	for (unsigned int i = 0; i < ZN_MAX_NETWORKS; i++) {
		struct zn_network *net = &n->nets[i];

		if (net->in_use && net->nc != NULL &&
		    (net->last_announce == 0 || now - net->last_announce >= ZN_MC_ANNOUNCE_MS))
			announce(n, now, net);
	}
}

/* ---- Subscriptions ---------------------------------------------------------------- */

static void mcq_flush(struct ztdp_node *n, uint64_t now, uint64_t nwid,
		      struct ztdp_mcast_group g, uint64_t member);

void zn_mc_sub_add(struct ztdp_node *n, uint64_t now, uint64_t nwid,
		   struct ztdp_mcast_group g, uint64_t member)
{
	struct zn_mc_sub *slot = NULL;

	if (member == n->self.address || ztdp_address_is_reserved(member))
		return;
	for (unsigned int i = 0; i < ZN_MAX_MC_SUBS; i++) {
		struct zn_mc_sub *s = &n->subs[i];

		if (s->nwid == nwid && s->member == member &&
		    ztdp_mcast_group_equal(s->group, g)) {
			s->expires = now + ZN_MC_LIKE_EXPIRE_MS;
			return;
		}
		/* Else the first free slot, else the one expiring soonest. */
		if (s->nwid == 0) {
			if (slot == NULL || slot->nwid != 0)
				slot = s;
		} else if (slot == NULL || (slot->nwid != 0 && s->expires < slot->expires)) {
			slot = s;
		}
	}
	slot->nwid = nwid;
	slot->group = g;
	slot->member = member;
	slot->expires = now + ZN_MC_LIKE_EXPIRE_MS;
	mcq_flush(n, now, nwid, g, member);
}

void zn_mc_sub_remove(struct ztdp_node *n, uint64_t nwid, struct ztdp_mcast_group g,
		      uint64_t member)
{
	for (unsigned int i = 0; i < ZN_MAX_MC_SUBS; i++) {
		struct zn_mc_sub *s = &n->subs[i];

		if (s->nwid == nwid && s->member == member && ztdp_mcast_group_equal(s->group, g))
			memset(s, 0, sizeof(*s));
	}
}

void zn_mc_forget_network(struct ztdp_node *n, uint64_t nwid)
{
	for (unsigned int i = 0; i < ZN_MAX_MC_SUBS; i++)
		if (n->subs[i].nwid == nwid)
			memset(&n->subs[i], 0, sizeof(n->subs[i]));
	for (unsigned int i = 0; i < ZN_MAX_MCQ; i++)
		if (n->mcq[i].in_use && n->mcq[i].nwid == nwid)
			n->mcq[i].in_use = false;
	for (unsigned int i = 0; i < ZN_MAX_BRIDGE_ROUTES; i++)
		if (n->routes[i].nwid == nwid)
			memset(&n->routes[i], 0, sizeof(n->routes[i]));
}

void zn_mc_expire(struct ztdp_node *n, uint64_t now)
{
	for (unsigned int i = 0; i < ZN_MAX_MC_SUBS; i++)
		if (n->subs[i].nwid != 0 && n->subs[i].expires <= now)
			memset(&n->subs[i], 0, sizeof(n->subs[i]));
	for (unsigned int i = 0; i < ZN_MAX_MCQ; i++) {
		struct zn_mcq *q = &n->mcq[i];

		if (!q->in_use || now - q->created < ZN_QUEUE_TIMEOUT_MS)
			continue;
		q->in_use = false;
		if (q->nsent == 0)
			zn_drop(n, ZN_DROP_TX_NO_RECIPIENTS);
	}
}

/* Known subscribers of (nwid, g), not counting `except`; up to max. */
static unsigned int subscribers(struct ztdp_node *n, uint64_t now, uint64_t nwid,
				struct ztdp_mcast_group g, uint64_t except,
				uint64_t *out, unsigned int max)
{
	unsigned int count = 0;

	for (unsigned int i = 0; i < ZN_MAX_MC_SUBS && count < max; i++) {
		const struct zn_mc_sub *s = &n->subs[i];

		if (s->nwid == nwid && s->expires > now && s->member != except &&
		    ztdp_mcast_group_equal(s->group, g))
			out[count++] = s->member;
	}
	return count;
}

static bool we_subscribe(const struct zn_network *net, struct ztdp_mcast_group g)
{
	for (unsigned int i = 0; i < net->ngroups; i++)
		if (ztdp_mcast_group_equal(net->groups[i], g))
			return true;
	return false;
}

/* ---- Sending ------------------------------------------------------------------------ */

/* gather: the implicit gather limit (members we still want to hear of,
 * plus one, as 1.14.1); 0 for none. */
static int mc_frame_send(struct ztdp_node *n, uint64_t now, struct zn_network *net,
			 uint64_t to, struct ztdp_mcast_group g, uint64_t src_mac,
			 uint16_t ethertype, const uint8_t *data, size_t len,
			 uint32_t gather)
{
	struct zn_peer *p = zn_peer_lookup(n, now, to);
	struct ztdp_multicast_frame f = {
		.nwid = net->nwid,
		.flags = gather != 0 ? ZTDP_MC_FRAME_FLAG_GATHER_LIMIT : 0,
		.gather_limit = gather,
		.src_mac = src_mac,
		.group = g,
		.ethertype = ethertype,
		.data = data,
		.data_len = len,
	};
	unsigned int flags = ZN_TX_EXPECT_REPLY;
	struct ztdp_wr *w;

	if (p == NULL) {
		zn_whois_want(n, now, to);
		return -1;
	}
	/* The source MAC travels only for bridged senders (notes 11.10). */
	if (src_mac != net->mac)
		f.flags |= ZTDP_MC_FRAME_FLAG_SOURCE_MAC;
	if (!(net->nc->flags & ZTDP_NETCONF_FLAG_DISABLE_COMPRESSION))
		flags |= ZN_TX_COMPRESS;
	zn_credentials_push(n, now, net, p, false);
	p->last_active = now;
	w = zn_tx_begin(n, to, ZTDP_VERB_MULTICAST_FRAME);
	if (ztdp_multicast_frame_encode(w, &f) != ZTDP_VERBS_OK)
		w->err = true;
	return zn_tx_send(n, now, p, NULL, flags, NULL);
}

static void gather_send(struct ztdp_node *n, uint64_t now, struct zn_network *net,
			struct zn_peer *p, struct ztdp_mcast_group g, uint32_t limit)
{
	struct ztdp_multicast_gather m = {
		.nwid = net->nwid,
		.group = g,
		.limit = limit,
	};
	uint8_t com[ZTDP_COM_FIXED_LEN + ZTDP_COM_MAX_QUALIFIERS * ZTDP_COM_QUALIFIER_LEN +
		    ZTDP_C25519_SIGNATURE_LEN];
	struct ztdp_wr cw, *w;

	/* Our COM rides along so roots and others can check the request. */
	if (net->nc->has_com) {
		ztdp_wr_init(&cw, com, sizeof(com));
		if (ztdp_com_encode(&cw, &net->nc->com) == ZTDP_CRED_OK) {
			m.flags = ZTDP_MC_GATHER_FLAG_COM;
			m.com = com;
			m.com_len = cw.off;
		}
	}
	w = zn_tx_begin(n, p->address, ZTDP_VERB_MULTICAST_GATHER);
	if (ztdp_multicast_gather_encode(w, &m) != ZTDP_VERBS_OK)
		w->err = true;
	(void)zn_tx_send(n, now, p, NULL, ZN_TX_EXPECT_REPLY, NULL);
}

static struct zn_gather_time *gather_time(struct zn_network *net, struct ztdp_mcast_group g)
{
	struct zn_gather_time *slot = &net->gathers[0];

	for (unsigned int i = 0; i < ZN_MAX_GATHERS; i++) {
		if (net->gathers[i].last != 0 && ztdp_mcast_group_equal(net->gathers[i].group, g))
			return &net->gathers[i];
		if (net->gathers[i].last < slot->last)
			slot = &net->gathers[i];
	}
	slot->group = g;
	slot->last = 0;
	return slot;
}

static struct zn_mcq *mcq_add(struct ztdp_node *n, uint64_t now, struct zn_network *net,
			      struct ztdp_mcast_group g, uint64_t src_mac,
			      uint16_t ethertype, const uint8_t *data, size_t len)
{
	struct zn_mcq *q = NULL;

	for (unsigned int i = 0; i < ZN_MAX_MCQ && q == NULL; i++)
		if (!n->mcq[i].in_use)
			q = &n->mcq[i];
	if (q == NULL) {
		q = &n->mcq[0];
		for (unsigned int i = 1; i < ZN_MAX_MCQ; i++)
			if (n->mcq[i].created < q->created)
				q = &n->mcq[i];
		if (q->nsent == 0)
			zn_drop(n, ZN_DROP_TX_NO_RECIPIENTS);
	}
	q->in_use = true;
	q->created = now;
	q->nwid = net->nwid;
	q->group = g;
	q->src_mac = src_mac;
	q->ethertype = ethertype;
	q->len = (uint16_t)len;
	q->nsent = 0;
	memcpy(q->data, data, len);
	return q;
}

static void mcq_flush(struct ztdp_node *n, uint64_t now, uint64_t nwid,
		      struct ztdp_mcast_group g, uint64_t member)
{
	struct zn_network *net = zn_network_find(n, nwid);

	if (net == NULL || net->nc == NULL)
		return;
	for (unsigned int i = 0; i < ZN_MAX_MCQ; i++) {
		struct zn_mcq *q = &n->mcq[i];
		bool done = false;

		if (!q->in_use || q->nwid != nwid || !ztdp_mcast_group_equal(q->group, g) ||
		    q->nsent >= ZN_MCQ_MAX_SENT || q->nsent >= net->nc->multicast_limit)
			continue;
		for (unsigned int j = 0; j < q->nsent && !done; j++)
			done = q->sent[j] == member;
		if (done)
			continue;
		q->sent[q->nsent++] = member;
		(void)mc_frame_send(n, now, net, member, g, q->src_mac, q->ethertype, q->data,
				    q->len, q->gather);
	}
}

int zn_multicast_send(struct ztdp_node *n, uint64_t now, struct zn_network *net,
		      uint64_t src_mac, uint64_t dst_mac, uint16_t ethertype,
		      const uint8_t *data, size_t len)
{
	const struct ztdp_netconf *nc = net->nc;
	struct ztdp_mcast_group g = ztdp_mcast_group_for_frame(dst_mac, ethertype, data, len);
	struct ztdp_rules_frame f = {
		.inbound = false,
		.zt_source = n->self.address,
		.mac_source = src_mac,
		.mac_dest = dst_mac,
		.ethertype = ethertype,
		.data = data,
		.len = len,
	};
	uint64_t to[ZN_MCQ_MAX_SENT];
	unsigned int nto, nb, nmembers;
	uint32_t gather;
	struct ztdp_rules_verdict v;
	struct ztdp_rules_env env;
	struct zn_gather_time *gt;
	struct zn_mcq *q = NULL;
	uint32_t limit = nc->multicast_limit;

	if (g.mac == ZTDP_MAC_BROADCAST && g.adi == 0 && !ztdp_netconf_broadcast_enabled(nc)) {
		zn_drop(n, ZN_DROP_TX_BROADCAST_DISABLED);
		return -1;
	}
	if (limit == 0) {
		zn_drop(n, ZN_DROP_TX_MULTICAST_DISABLED);
		return -1;
	}
	zn_rules_env(n, net, &env, false);
	(void)ztdp_rules_filter(nc->rules, nc->rule_count, net->caps, net->ncaps, &f, &env,
				false, &v);
	zn_rules_copies(n, now, net, &v, src_mac, dst_mac, ethertype, data, len);
	if (!v.accept) {
		zn_drop(n, ZN_DROP_TX_RULES);
		return -1;
	}
	/* Every active bridge gets multicasts, beyond the limit. */
	nb = ztdp_netconf_active_bridges(nc, to, ZN_MCQ_MAX_SENT / 2);
	if (nb > ZN_MCQ_MAX_SENT / 2)
		nb = ZN_MCQ_MAX_SENT / 2;
	nto = 0;
	for (unsigned int i = 0; i < nb; i++)
		if (to[i] != n->self.address)
			to[nto++] = to[i];
	nmembers = subscribers(n, now, net->nwid, g, n->self.address, to + nto,
			       limit < ZN_MCQ_MAX_SENT - nto ? limit : ZN_MCQ_MAX_SENT - nto);
	nto += nmembers;
	gather = nmembers < limit ? limit - nmembers + 1 : 0;

	gt = gather_time(net, g);
	if (nmembers < limit && (nmembers == 0 || now - gt->last >= ZN_GATHER_DELAY_MS)) {
		struct zn_peer *root = zn_best_root(n, now);
		struct zn_peer *ctrl = zn_peer_find(n, zn_controller_of(net->nwid));

		gt->last = now;
		/* As 1.14.1: the best root and the controller, even when they
		 * are the same node. */
		if (root != NULL)
			gather_send(n, now, net, root, g, gather);
		if (ctrl != NULL)
			gather_send(n, now, net, ctrl, g, gather);
		q = mcq_add(n, now, net, g, src_mac, ethertype, data, len);
		q->gather = gather;
	}
	for (unsigned int i = 0; i < nto; i++) {
		bool dup = false;

		for (unsigned int j = 0; j < i && !dup; j++)
			dup = to[j] == to[i];
		if (dup)
			continue;
		if (q != NULL && q->nsent < ZN_MCQ_MAX_SENT)
			q->sent[q->nsent++] = to[i];
		(void)mc_frame_send(n, now, net, to[i], g, src_mac, ethertype, data, len, gather);
	}
	if (nto == 0 && q == NULL) {
		zn_drop(n, ZN_DROP_TX_NO_RECIPIENTS);
		return -1;
	}
	return 0;
}

/* ---- Receiving ------------------------------------------------------------------------ */

void zn_like_receive(struct ztdp_node *n, const struct zn_rx *rx)
{
	struct ztdp_multicast_like m;
	struct zn_network *net = NULL;
	uint64_t last_nwid = 0;
	bool gated = false;

	if (ztdp_multicast_like_decode(rx->payload, rx->plen, &m) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	for (unsigned int i = 0; i < m.count; i++) {
		struct ztdp_multicast_like_rec r;

		ztdp_multicast_like_get(&m, i, &r);
		/* Only members that pass the gate may subscribe (notes 6.8);
		 * a root keeps the directory of networks it is not on. */
		if (r.nwid != last_nwid) {
			last_nwid = r.nwid;
			net = zn_network_find(n, r.nwid);
			gated = net != NULL ? zn_gate(n, rx->now, net, rx->peer) : n->am_root;
		}
		if (gated)
			zn_mc_sub_add(n, rx->now, r.nwid, r.group, rx->peer->address);
	}
}

static void gather_results(struct ztdp_node *n, uint64_t now, uint64_t nwid,
			   struct ztdp_mcast_group g, const struct ztdp_gather_results *res)
{
	for (unsigned int i = 0; i < res->count; i++)
		zn_mc_sub_add(n, now, nwid, g, ztdp_gather_results_address(res, i));
}

void zn_ok_gather_receive(struct ztdp_node *n, const struct zn_rx *rx,
			  const uint8_t *body, size_t len)
{
	struct ztdp_ok_multicast_gather o;

	if (ztdp_ok_multicast_gather_decode(body, len, &o) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	if (zn_network_find(n, o.nwid) == NULL) {
		zn_drop(n, ZN_DROP_UNKNOWN_NETWORK);
		return;
	}
	gather_results(n, rx->now, o.nwid, o.group, &o.res);
}

void zn_ok_mc_frame_receive(struct ztdp_node *n, const struct zn_rx *rx,
			    const uint8_t *body, size_t len)
{
	struct ztdp_ok_multicast_frame o;

	if (ztdp_ok_multicast_frame_decode(body, len, &o) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	if (zn_network_find(n, o.nwid) == NULL) {
		zn_drop(n, ZN_DROP_UNKNOWN_NETWORK);
		return;
	}
	if (o.flags & ZTDP_MC_FRAME_OK_FLAG_GATHER)
		gather_results(n, rx->now, o.nwid, o.group, &o.res);
}

/* Members of g we can name to `asker` (it never hears of itself), us
 * first if we subscribe. */
/* Answer a gather for (nwid, g) with the subscribers we know. net is our
 * membership of nwid, or NULL on a root that only keeps the directory. */
static void gather_answer(struct ztdp_node *n, const struct zn_rx *rx, uint64_t nwid,
			  struct zn_network *net, struct ztdp_mcast_group g,
			  uint32_t limit, bool for_frame)
{
	uint64_t addrs[32];
	unsigned int count = 0;
	struct ztdp_wr *w;
	int rc;

	if (limit > 32)
		limit = 32;
	if (limit > 0 && net != NULL && we_subscribe(net, g))
		addrs[count++] = n->self.address;
	if (count < limit)
		count += subscribers(n, rx->now, nwid, g, rx->peer->address,
				     addrs + count, limit - count);
	if (count == 0)
		return;
	if (!zn_rl_allow(&rx->peer->rl_gather, rx->now, ZN_RL_GATHER_REPLY_MS,
			 ZN_RL_GATHER_REPLY_BURST)) {
		n->stats.rate_limited++;
		return;
	}
	w = zn_ok_begin(n, rx->peer, for_frame ? ZTDP_VERB_MULTICAST_FRAME
					       : ZTDP_VERB_MULTICAST_GATHER, rx->id);
	if (for_frame) {
		struct ztdp_ok_multicast_frame o = {
			.nwid = nwid, .group = g, .flags = ZTDP_MC_FRAME_OK_FLAG_GATHER,
			.res = { .total_known = count, .count = (uint16_t)count, .addrs = addrs },
		};

		rc = ztdp_ok_multicast_frame_encode(w, &o);
	} else {
		struct ztdp_ok_multicast_gather o = {
			.nwid = nwid, .group = g,
			.res = { .total_known = count, .count = (uint16_t)count, .addrs = addrs },
		};

		rc = ztdp_ok_multicast_gather_encode(w, &o);
	}
	if (rc != ZTDP_VERBS_OK)
		w->err = true;
	(void)zn_tx_send(n, rx->now, rx->peer, NULL, ZN_TX_COMPRESS, NULL);
}

void zn_gather_receive(struct ztdp_node *n, const struct zn_rx *rx)
{
	struct ztdp_multicast_gather m;
	struct zn_network *net;

	if (ztdp_multicast_gather_decode(rx->payload, rx->plen, &m) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	net = zn_network_find(n, m.nwid);
	if (net == NULL && n->am_root) {
		/* Roots are the members' multicast directory for networks
		 * they are not on (as 1.14.1's are): no gate to check. */
		gather_answer(n, rx, m.nwid, NULL, m.group, m.limit, false);
		return;
	}
	if (net == NULL || net->nc == NULL) {
		zn_drop(n, ZN_DROP_UNKNOWN_NETWORK);
		return;
	}
	if (m.com != NULL && m.com_len > 0) {
		struct ztdp_com c;
		struct ztdp_rd r;

		ztdp_rd_init(&r, m.com, m.com_len);
		if (ztdp_com_decode(&r, &c) == ZTDP_CRED_OK)
			(void)zn_com_accept(n, rx->now, net, rx->peer, &c);
	}
	if (!zn_gate(n, rx->now, net, rx->peer)) {
		zn_drop(n, ZN_DROP_GATE);
		return;
	}
	gather_answer(n, rx, m.nwid, net, m.group, m.limit, false);
}

void zn_mc_frame_receive(struct ztdp_node *n, const struct zn_rx *rx)
{
	struct ztdp_multicast_frame f;
	struct zn_network *net;
	uint64_t src;

	if (ztdp_multicast_frame_decode(rx->payload, rx->plen, &f) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	net = zn_network_find(n, f.nwid);
	if (net == NULL) {
		zn_drop(n, ZN_DROP_UNKNOWN_NETWORK);
		return;
	}
	if (net->nc == NULL) {
		zn_drop(n, ZN_DROP_NO_CONFIG);
		return;
	}
	if ((f.flags & ZTDP_MC_FRAME_FLAG_COM) && f.com != NULL) {
		struct ztdp_com c;
		struct ztdp_rd r;

		ztdp_rd_init(&r, f.com, f.com_len);
		if (ztdp_com_decode(&r, &c) == ZTDP_CRED_OK)
			(void)zn_com_accept(n, rx->now, net, rx->peer, &c);
	}
	if (!zn_gate(n, rx->now, net, rx->peer)) {
		zn_error_send(n, rx->now, rx->peer, rx->verb, rx->id,
			      ZTDP_ERROR_NEED_MEMBERSHIP_CERTIFICATE, true, f.nwid);
		zn_drop(n, ZN_DROP_GATE);
		return;
	}
	if (net->nc->multicast_limit == 0) {
		zn_drop(n, ZN_DROP_MULTICAST_DISABLED);
		return;
	}
	src = (f.flags & ZTDP_MC_FRAME_FLAG_SOURCE_MAC)
		      ? f.src_mac
		      : ztdp_mac_from_address(rx->peer->address, f.nwid);
	if (!ztdp_mac_is_multicast(f.group.mac) || src == 0 || ztdp_mac_is_multicast(src) ||
	    src == net->mac) {
		zn_drop(n, ZN_DROP_BAD_MAC);
		return;
	}
	zn_frame_deliver(n, rx, net, src, f.group.mac, f.ethertype, f.data, f.data_len, true);
	if ((f.flags & ZTDP_MC_FRAME_FLAG_GATHER_LIMIT) && f.gather_limit > 0)
		gather_answer(n, rx, f.nwid, net, f.group, f.gather_limit, true);
}
