/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT traversal: RENDEZVOUS from roots (protocol notes 6.4, 11.6), our
 * addresses pushed to trusted peers and theirs contacted
 * (PUSH_DIRECT_PATHS, 6.14, 11.5), and what roots tell us about how they
 * see us (11.7).
 *
 * Hole punching is the two halves of RENDEZVOUS: the root sends it to both
 * ends at once; each sends a 4-byte junk datagram with TTL 2 (it opens our
 * own NAT's mapping without reaching the other side's) and then a HELLO,
 * so the HELLOs cross in opened mappings.
 */
#include <string.h>

#include "node_internal.h"
#include "ztdp_verbs.h"

/* How long a root's report of our external address is trusted. */
#define ZN_EXTERNAL_EXPIRE_MS	600000

void zn_rendezvous_receive(struct ztdp_node *n, const struct zn_rx *rx)
{
	struct ztdp_rendezvous m;
	struct zn_peer *with;

	/* Only an upstream may tell us where to send: from anyone else it
	 * would be a way to aim our traffic at a third party. */
	if (!zn_peer_is_root(rx->peer)) {
		zn_drop(n, ZN_DROP_NOT_FROM_ROOT);
		return;
	}
	if (ztdp_rendezvous_decode(rx->payload, rx->plen, &m) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	if (m.with == n->self.address || m.addr.port == 0 || !zn_addr_usable(n, &m.addr)) {
		zn_drop(n, ZN_DROP_RENDEZVOUS_UNKNOWN);
		return;
	}
	with = zn_peer_lookup(n, rx->now, m.with);
	if (with == NULL) {
		/* Usually its packets are waiting for the same WHOIS: meet it
		 * as soon as we know its key. */
		zn_whois_want(n, rx->now, m.with);
		zn_whois_rendezvous(n, m.with, &m.addr);
		return;
	}
	zn_send_junk(n, &m.addr);
	zn_contact(n, rx->now, with, &m.addr, true);
}

void zn_push_paths_receive(struct ztdp_node *n, const struct zn_rx *rx)
{
	struct ztdp_inetaddr done[2 * ZN_MAX_PUSH_RECORDS];
	unsigned int ndone = 0, v4 = 0, v6 = 0;
	struct ztdp_push_direct_paths m;
	struct ztdp_push_path rec;
	struct ztdp_rd it;
	int rc;

	if (ztdp_push_direct_paths_decode(rx->payload, rx->plen, &m) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	/* At most 8 pushes per 30 s per peer are acted on (notes 11.5). */
	if (!zn_rl_allow(&rx->peer->rl_push_paths, rx->now, ZN_RL_PUSH_PATHS_MS,
			 ZN_RL_PUSH_PATHS_BURST)) {
		zn_drop(n, ZN_DROP_RATE_LIMITED);
		n->stats.rate_limited++;
		return;
	}
	ztdp_rd_init(&it, m.raw, m.raw_len);
	while ((rc = ztdp_push_direct_paths_next(&it, &rec)) == 1) {
		struct zn_path *pa;
		bool seen = false;

		if ((rec.flags & ZTDP_PUSH_PATH_FLAG_FORGET) || rec.addr.family == 0 ||
		    !zn_addr_usable(n, &rec.addr))
			continue;
		if (rec.addr.family == 4 ? v4 >= ZN_MAX_PUSH_RECORDS : v6 >= ZN_MAX_PUSH_RECORDS)
			continue;
		/* 1.14.1 lists an address twice (local and external). */
		for (unsigned int i = 0; i < ndone && !seen; i++)
			seen = ztdp_inetaddr_equal(&done[i], &rec.addr);
		pa = zn_path_find(rx->peer, &rec.addr);
		if (seen || (pa != NULL && zn_path_alive(pa, rx->now)))
			continue;
		done[ndone++] = rec.addr;
		if (rec.addr.family == 4)
			v4++;
		else
			v6++;
		zn_contact(n, rx->now, rx->peer, &rec.addr, false);
	}
	if (rc < 0)
		zn_drop(n, ZN_DROP_MALFORMED);
}

void zn_push_paths_maybe(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
			 bool relayed)
{
	struct ztdp_push_path recs[4 + ZN_MAX_EXTERNAL];
	struct ztdp_push_direct_paths m = { .paths = recs };
	uint64_t interval = relayed ? ZN_PUSH_PATHS_RELAYED_MS : ZN_PUSH_PATHS_DIRECT_MS;
	struct ztdp_wr *w;

	if (p->root >= 0 || !zn_peer_trusted(p, now))
		return;
	if (p->last_push_paths != 0 && now - p->last_push_paths < interval)
		return;
	p->last_push_paths = now;
	memset(recs, 0, sizeof(recs));
	for (unsigned int i = 0; i < n->local_addr_count && i < 4; i++) {
		if (n->local_addrs[i].family == 0)
			continue;
		recs[m.count].addr = n->local_addrs[i];
		recs[m.count].addr_type = n->local_addrs[i].family;
		m.count++;
	}
	for (unsigned int i = 0; i < ZN_MAX_EXTERNAL; i++) {
		const struct zn_external *e = &n->external[i];
		bool dup = false;

		if (!e->in_use || now - e->when >= ZN_EXTERNAL_EXPIRE_MS)
			continue;
		for (unsigned int j = 0; j < m.count && !dup; j++)
			dup = ztdp_inetaddr_equal(&recs[j].addr, &e->addr);
		if (dup)
			continue;
		recs[m.count].addr = e->addr;
		recs[m.count].addr_type = e->addr.family;
		m.count++;
	}
	if (m.count == 0)
		return;
	w = zn_tx_begin(n, p->address, ZTDP_VERB_PUSH_DIRECT_PATHS);
	if (ztdp_push_direct_paths_encode(w, &m) != ZTDP_VERBS_OK)
		w->err = true;
	(void)zn_tx_send(n, now, p, NULL, ZN_TX_COMPRESS, NULL);
}

void zn_external_report(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
			const struct ztdp_inetaddr *seen)
{
	struct zn_external *slot = NULL;
	char a[ZTDP_INETADDR_STRLEN], b[ZTDP_INETADDR_STRLEN];

	/* Only roots are believed: anyone else could make us advertise an
	 * address of its choosing to our peers. */
	if (p->root < 0 || seen->family == 0 || seen->port == 0 ||
	    !zn_addr_usable(n, seen))
		return;
	for (unsigned int i = 0; i < ZN_MAX_EXTERNAL; i++) {
		struct zn_external *e = &n->external[i];

		if (e->in_use && e->reporter == p->address) {
			if (!ztdp_inetaddr_equal(&e->addr, seen))
				zn_log(n, 5, "root %010llx now sees us at %s (was %s)",
				       (unsigned long long)p->address,
				       zn_addr_str(seen, a, sizeof(a)),
				       zn_addr_str(&e->addr, b, sizeof(b)));
			slot = e;
			break;
		}
	}
	for (unsigned int i = 0; i < ZN_MAX_EXTERNAL && slot == NULL; i++)
		if (!n->external[i].in_use)
			slot = &n->external[i];
	if (slot == NULL) {
		slot = &n->external[0];
		for (unsigned int i = 1; i < ZN_MAX_EXTERNAL; i++)
			if (n->external[i].when < slot->when)
				slot = &n->external[i];
	}
	slot->in_use = true;
	slot->addr = *seen;
	slot->reporter = p->address;
	slot->when = now;
}
