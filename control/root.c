/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The root role (protocol notes 11.2): a node whose identity is one of its
 * planet's roots passes packets and fragments addressed to other peers on
 * to them, and introduces the two ends so that they can talk directly.
 *
 * A relayed datagram is never decrypted (it is armored for its
 * destination): only its hop count, the one field a relay may change
 * (packet byte 18 bits 0-2, fragment byte 15), goes up by one, and one
 * that has been relayed 3 times already is dropped, as 1.14.1 does. It
 * goes to the destination's freshest unexpired direct path. A root knows
 * the path of everyone that says HELLO to it, so a destination it does
 * not know, or knows without a path, is dropped (1.14.1 would hand it to
 * its own upstream; a root has none). Relaying here runs in the control
 * thread, the slow path, so each underlay source gets ZN_RL_RELAY_*.
 *
 * Introduction: after relaying a packet head between two peers that both
 * have a direct path in one address family, send each a RENDEZVOUS naming
 * the other's physical address, at most every 30 s per pair; they then
 * open their NATs towards each other (nat.c) and stop needing us.
 * Fragments never trigger it: their heads do.
 */
#include <string.h>

#include "node_internal.h"
#include "ztdp_packet.h"
#include "ztdp_verbs.h"

/* Freshest unexpired direct path of p in family (0: any). */
static struct zn_path *path_in_family(struct zn_peer *p, uint64_t now, unsigned int family)
{
	struct zn_path *best = NULL;

	for (unsigned int i = 0; i < ZN_MAX_PATHS; i++) {
		struct zn_path *pa = &p->paths[i];

		if (!pa->in_use || now - pa->last_receive >= ZN_PATH_EXPIRE_MS ||
		    (family != 0 && pa->addr.family != family))
			continue;
		if (best == NULL || pa->last_receive > best->last_receive)
			best = pa;
	}
	return best;
}

/* Is an introduction of x and y due? Marks it done if so. The table is
 * direct-mapped: a collision costs at worst an early second introduction. */
static bool unite_due(struct ztdp_node *n, uint64_t now, uint64_t x, uint64_t y)
{
	uint64_t a = x < y ? x : y, b = x < y ? y : x;
	uint64_t h = ((a * 0x9e3779b97f4a7c15ULL) ^ b ^ n->hash_seed) * 0xff51afd7ed558ccdULL;
	struct zn_unite *u = &n->unite[(h >> 40) & (ZN_UNITE_SLOTS - 1)];

	if (u->a == a && u->b == b && now - u->when < ZN_UNITE_MS)
		return false;
	u->a = a;
	u->b = b;
	u->when = now;
	return true;
}

/* RENDEZVOUS to `to` at `at`: meet `with` at `with_at`. */
static void rendezvous_send(struct ztdp_node *n, uint64_t now, struct zn_peer *to,
			    struct ztdp_inetaddr at, uint64_t with,
			    const struct ztdp_inetaddr *with_at)
{
	struct ztdp_rendezvous m = { .with = with, .addr = *with_at };
	struct ztdp_wr *w = zn_tx_begin(n, to->address, ZTDP_VERB_RENDEZVOUS);

	if (ztdp_rendezvous_encode(w, &m) != ZTDP_VERBS_OK)
		w->err = true;
	(void)zn_tx_send(n, now, to, &at, 0, NULL);
}

static void introduce(struct ztdp_node *n, uint64_t now, uint64_t source,
		      struct zn_peer *dest)
{
	static const unsigned int families[] = { 6, 4 };
	struct zn_peer *src = zn_peer_find(n, source);
	struct zn_path *sp = NULL, *dp = NULL;
	struct ztdp_inetaddr sa, da;

	if (src == NULL || src == dest)
		return;
	/* IPv6 first, as 1.14.1 does within a scope: no NAT to punch. */
	for (unsigned int i = 0; i < 2 && (sp == NULL || dp == NULL); i++) {
		sp = path_in_family(src, now, families[i]);
		dp = path_in_family(dest, now, families[i]);
	}
	if (sp == NULL || dp == NULL || !unite_due(n, now, source, dest->address))
		return;
	sa = sp->addr;
	da = dp->addr;
	rendezvous_send(n, now, src, sa, dest->address, &da);
	rendezvous_send(n, now, dest, da, source, &sa);
}

void zn_relay(struct ztdp_node *n, uint64_t now, const struct ztdp_inetaddr *from,
	      const uint8_t *data, size_t len, bool fragment)
{
	uint64_t dest, source = 0;
	struct ztdp_inetaddr to;
	struct zn_path *pa;
	struct zn_peer *p;
	unsigned int hops;

	if (!n->am_root) {
		zn_drop(n, ZN_DROP_NOT_FOR_US);
		return;
	}
	if (fragment) {
		dest = ztdp_load_be40(data + ZTDP_FRAG_IDX_DEST);
		hops = ztdp_fragment_hops(data);
	} else {
		dest = ztdp_packet_dest(data);
		source = ztdp_packet_source(data);
		hops = ztdp_packet_hops(data);
	}
	if (hops >= ZTDP_RELAY_MAX_HOPS) {
		zn_drop(n, ZN_DROP_RELAY_HOPS);
		return;
	}
	if (source == n->self.address) {
		zn_drop(n, ZN_DROP_RELAY_LOOP);
		return;
	}
	p = zn_peer_find(n, dest);
	if (p == NULL) {
		zn_drop(n, ZN_DROP_RELAY_UNKNOWN);
		return;
	}
	pa = path_in_family(p, now, 0);
	if (pa == NULL) {
		zn_drop(n, ZN_DROP_RELAY_NO_PATH);
		return;
	}
	if (ztdp_inetaddr_equal(&pa->addr, from)) {
		zn_drop(n, ZN_DROP_RELAY_LOOP);
		return;
	}
	if (!zn_rl_allow(&n->relay_rl[zn_source_key(n, from) & (ZN_RELAY_RL_BUCKETS - 1)],
			 now, ZN_RL_RELAY_MS, ZN_RL_RELAY_BURST)) {
		zn_drop(n, ZN_DROP_RELAY_RATE_LIMITED);
		n->stats.rate_limited++;
		return;
	}
	/* The caller checked len <= ZTDP_MAX_PACKET_LEN, the size of rx. */
	memcpy(n->rx, data, len);
	if (fragment)
		ztdp_fragment_set_hops(n->rx, hops + 1);
	else
		ztdp_packet_set_hops(n->rx, hops + 1);
	to = pa->addr;
	if (n->cb.wire_send(n->cb.ctx, &to, n->rx, len, 0) != 0) {
		zn_drop(n, ZN_DROP_RELAY_SEND_FAILED);
		return;
	}
	n->ctr.relayed++;
	pa->last_send = now;
	p->last_send = now;
	if (!fragment)
		introduce(n, now, source, p);
}

bool ztdp_node_is_root(const struct ztdp_node *n)
{
	return n->am_root;
}

int ztdp_node_peer_best_path(struct ztdp_node *n, uint64_t now, uint64_t address,
			     struct ztdp_inetaddr *out)
{
	struct zn_peer *p = zn_peer_find(n, address);
	struct zn_path *pa = p != NULL ? path_in_family(p, now, 0) : NULL;

	if (pa == NULL)
		return -1;
	*out = pa->addr;
	return 0;
}
