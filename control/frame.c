/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unicast Ethernet over ZeroTier: FRAME and EXT_FRAME in (protocol notes
 * 6.5, 6.6, 11.9) and out (ztdp_node_process_frame), the rules engine on
 * both sides (section 10), and the bridge routes that say which member
 * has a bridged MAC.
 *
 * Inbound order, as 1.14.1: network and config, membership gate (ERROR
 * NEED_MEMBERSHIP_CERTIFICATE if it fails), zero or own source MAC,
 * inbound rules, then, unless the rules super-accepted, the bridging
 * checks; then the frame goes to frame_deliver.
 *
 * This is the simple control-thread path; the dataplane will run the same
 * steps on lcores with proto/ directly.
 */
#include <string.h>

#include "node_internal.h"
#include "ztdp_verbs.h"

enum { KIND_FRAME, KIND_EXT, KIND_MULTICAST };

/* ---- Rules glue -------------------------------------------------------------- */

static bool owns_outbound(void *ctx, uint8_t type, const uint8_t *thing)
{
	const struct ztdp_netconf *nc = ctx;
	size_t len = type == ZTDP_COO_THING_MAC ? 6 : type == ZTDP_COO_THING_IPV4 ? 4 : 16;

	for (unsigned int i = 0; i < nc->coo_count; i++)
		if (ztdp_coo_owns(&nc->coos[i], type, thing, len))
			return true;
	return false;
}

static uint32_t rules_random(void *ctx)
{
	return (uint32_t)zn_random_u64(ctx);
}

void zn_rules_env(struct ztdp_node *n, struct zn_network *net,
		  struct ztdp_rules_env *env, bool inbound)
{
	memset(env, 0, sizeof(*env));
	env->self = n->self.address;
	env->local_tags = net->tags;
	env->local_tag_count = net->ntags;
	env->unsupported_match_result =
		(net->nc->flags & ZTDP_NETCONF_FLAG_UNSUPPORTED_MATCH) != 0;
	/* Outbound the sender is us, and our COOs are in our config. Peers'
	 * presented COOs are not kept, so inbound nothing is owned. */
	if (!inbound) {
		env->owns = owns_outbound;
		env->owns_ctx = net->nc;
	}
	env->random = rules_random;
	env->random_ctx = n;
}

void zn_rules_copies(struct ztdp_node *n, uint64_t now, struct zn_network *net,
		     const struct ztdp_rules_verdict *v, uint64_t src_mac,
		     uint64_t dst_mac, uint16_t ethertype, const uint8_t *data,
		     size_t len)
{
	for (unsigned int i = 0; i < v->copy_count && i < 2; i++) {
		const struct ztdp_rules_copy *c = &v->copies[i];
		size_t clen = c->length != 0 && c->length < len ? c->length : len;

		if (c->address == 0 || c->address == n->self.address)
			continue;
		(void)zn_frame_send(n, now, net, c->address, src_mac, dst_mac, ethertype,
				    data, clen, c->ext_flags, true);
	}
}

/* ---- Bridge routes ------------------------------------------------------------ */

static uint32_t route_hash(const struct ztdp_node *n, uint64_t nwid, uint64_t mac)
{
	uint64_t h = ((nwid * 0x9e3779b97f4a7c15ULL) ^ mac ^ n->hash_seed) *
		     0xff51afd7ed558ccdULL;

	return (uint32_t)(h >> 32) & (ZN_MAX_BRIDGE_ROUTES - 1);
}

#define ROUTE_PROBE	8

void zn_bridge_route_learn(struct ztdp_node *n, uint64_t now, uint64_t nwid,
			   uint64_t mac, uint64_t bridge)
{
	uint32_t h = route_hash(n, nwid, mac);
	struct zn_bridge_route *slot = NULL;

	for (unsigned int i = 0; i < ROUTE_PROBE; i++) {
		struct zn_bridge_route *r = &n->routes[(h + i) & (ZN_MAX_BRIDGE_ROUTES - 1)];

		if (r->nwid == nwid && r->mac == mac) {
			slot = r;
			break;
		}
		/* Else the first free slot, else the stalest one. */
		if (r->nwid == 0) {
			if (slot == NULL || slot->nwid != 0)
				slot = r;
		} else if (slot == NULL || (slot->nwid != 0 && r->when < slot->when)) {
			slot = r;
		}
	}
	slot->nwid = nwid;
	slot->mac = mac;
	slot->bridge = bridge;
	slot->when = now;
}

static uint64_t bridge_route_find(struct ztdp_node *n, uint64_t nwid, uint64_t mac)
{
	uint32_t h = route_hash(n, nwid, mac);

	for (unsigned int i = 0; i < ROUTE_PROBE; i++) {
		const struct zn_bridge_route *r =
			&n->routes[(h + i) & (ZN_MAX_BRIDGE_ROUTES - 1)];

		if (r->nwid == nwid && r->mac == mac)
			return r->bridge;
	}
	return 0;
}

/* ---- In ------------------------------------------------------------------------- */

void zn_frame_deliver(struct ztdp_node *n, const struct zn_rx *rx,
		      struct zn_network *net, uint64_t src_mac, uint64_t dst_mac,
		      uint16_t ethertype, const uint8_t *data, size_t len,
		      bool multicast)
{
	const struct ztdp_netconf *nc = net->nc;
	uint64_t sender_mac = ztdp_mac_from_address(rx->peer->address, net->nwid);
	struct ztdp_rules_frame f = {
		.inbound = true,
		.zt_source = rx->peer->address,
		.zt_dest = multicast ? 0 : n->self.address,
		.mac_source = src_mac,
		.mac_dest = dst_mac,
		.ethertype = ethertype,
		.data = data,
		.len = len,
	};
	struct ztdp_rules_verdict v;
	struct ztdp_rules_env env;

	zn_rules_env(n, net, &env, true);
	(void)ztdp_rules_filter(nc->rules, nc->rule_count, NULL, 0, &f, &env, false, &v);
	zn_rules_copies(n, rx->now, net, &v, src_mac, dst_mac, ethertype, data, len);
	if (v.redirect_to != 0) {
		(void)zn_frame_send(n, rx->now, net, v.redirect_to, src_mac, dst_mac,
				    ethertype, data, len, v.redirect_flags, true);
		return;
	}
	if (!v.accept) {
		zn_drop(n, ZN_DROP_RULES);
		return;
	}
	if (!v.super_accept && rx->verb != ZTDP_VERB_FRAME) {
		if (src_mac != sender_mac) {
			/* A bridged source: only an active bridge may send it,
			 * and then we know where that MAC lives. */
			if (!ztdp_netconf_specialist_has(nc, rx->peer->address,
							 ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE)) {
				zn_drop(n, ZN_DROP_BAD_MAC);
				return;
			}
			zn_bridge_route_learn(n, rx->now, net->nwid, src_mac, rx->peer->address);
		} else if (!multicast && dst_mac != net->mac) {
			if (ztdp_mac_is_multicast(dst_mac)) {
				if (nc->multicast_limit == 0) {
					zn_drop(n, ZN_DROP_MULTICAST_DISABLED);
					return;
				}
			} else if (!net->bridge) {
				zn_drop(n, ZN_DROP_BAD_MAC);
				return;
			}
		}
	}
	if (n->cb.frame_deliver != NULL)
		n->cb.frame_deliver(n->cb.ctx, net->nwid, src_mac, dst_mac, ethertype, data, len);
}

/* Network, config and gate; NULL (counted, ERROR sent) if one fails. */
static struct zn_network *inbound_network(struct ztdp_node *n, const struct zn_rx *rx,
					  uint64_t nwid, const uint8_t *com,
					  size_t com_len)
{
	struct zn_network *net = zn_network_find(n, nwid);

	if (net == NULL) {
		zn_drop(n, ZN_DROP_UNKNOWN_NETWORK);
		return NULL;
	}
	if (net->nc == NULL) {
		zn_drop(n, ZN_DROP_NO_CONFIG);
		return NULL;
	}
	if (com != NULL && com_len > 0) {
		struct ztdp_com c;
		struct ztdp_rd r;

		ztdp_rd_init(&r, com, com_len);
		if (ztdp_com_decode(&r, &c) == ZTDP_CRED_OK)
			(void)zn_com_accept(n, rx->now, net, rx->peer, &c);
	}
	if (!zn_gate(n, rx->now, net, rx->peer)) {
		zn_error_send(n, rx->now, rx->peer, rx->verb, rx->id,
			      ZTDP_ERROR_NEED_MEMBERSHIP_CERTIFICATE, true, nwid);
		zn_drop(n, ZN_DROP_GATE);
		return NULL;
	}
	return net;
}

void zn_frame_receive(struct ztdp_node *n, const struct zn_rx *rx)
{
	struct zn_network *net;
	struct ztdp_frame f;

	if (ztdp_frame_decode(rx->payload, rx->plen, &f) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	net = inbound_network(n, rx, f.nwid, NULL, 0);
	if (net == NULL)
		return;
	zn_frame_deliver(n, rx, net, ztdp_mac_from_address(rx->peer->address, f.nwid),
			 net->mac, f.ethertype, f.data, f.data_len, false);
}

void zn_ext_frame_receive(struct ztdp_node *n, const struct zn_rx *rx)
{
	struct zn_network *net;
	struct ztdp_ext_frame f;

	if (ztdp_ext_frame_decode(rx->payload, rx->plen, &f) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	net = inbound_network(n, rx, f.nwid, (f.flags & ZTDP_EXT_FRAME_FLAG_COM) ? f.com : NULL,
			      f.com_len);
	if (net == NULL)
		return;
	if (f.src_mac == 0 || f.src_mac == net->mac) {
		zn_drop(n, ZN_DROP_BAD_MAC);
		return;
	}
	zn_frame_deliver(n, rx, net, f.src_mac, f.dst_mac, f.ethertype, f.data, f.data_len,
			 false);
	if (f.flags & ZTDP_EXT_FRAME_FLAG_ACK) {
		struct ztdp_ok_ext_frame o = { .nwid = f.nwid };
		struct ztdp_wr *w = zn_ok_begin(n, rx->peer, ZTDP_VERB_EXT_FRAME, rx->id);

		if (ztdp_ok_ext_frame_encode(w, &o) != ZTDP_VERBS_OK)
			w->err = true;
		(void)zn_tx_send(n, rx->now, rx->peer, NULL, 0, NULL);
	}
}

/* ---- Out ---------------------------------------------------------------------- */

static void txq_add(struct ztdp_node *n, uint64_t now, uint64_t to, uint64_t nwid,
		    uint64_t src_mac, uint64_t dst_mac, uint16_t ethertype,
		    const uint8_t *data, size_t len)
{
	struct zn_txq *q = NULL;

	for (unsigned int i = 0; i < ZN_MAX_TXQ && q == NULL; i++)
		if (!n->txq[i].in_use)
			q = &n->txq[i];
	if (q == NULL) {
		q = &n->txq[0];
		for (unsigned int i = 1; i < ZN_MAX_TXQ; i++)
			if (n->txq[i].created < q->created)
				q = &n->txq[i];
		zn_drop(n, ZN_DROP_TX_UNKNOWN_PEER);
	}
	q->in_use = true;
	q->to = to;
	q->created = now;
	q->nwid = nwid;
	q->src_mac = src_mac;
	q->dst_mac = dst_mac;
	q->ethertype = ethertype;
	q->len = (uint16_t)len;
	memcpy(q->data, data, len);
}

int zn_frame_send(struct ztdp_node *n, uint64_t now, struct zn_network *net,
		  uint64_t to, uint64_t src_mac, uint64_t dst_mac,
		  uint16_t ethertype, const uint8_t *data, size_t len,
		  uint8_t ext_flags, bool force_ext)
{
	struct zn_peer *p;
	struct ztdp_wr *w;

	if (len > ZN_FRAME_MAX) {
		zn_drop(n, ZN_DROP_TX_BAD_FRAME);
		return -1;
	}
	p = zn_peer_lookup(n, now, to);
	if (p == NULL) {
		/* Plain frames wait (5 s) for the identity; rule copies do not. */
		if (ext_flags == 0)
			txq_add(n, now, to, net->nwid, src_mac, dst_mac, ethertype, data, len);
		else
			zn_drop(n, ZN_DROP_TX_UNKNOWN_PEER);
		zn_whois_want(n, now, to);
		return 0;
	}
	/* Our COM before the first frames, and again after a config change
	 * or 500 s (notes 9.2). */
	zn_credentials_push(n, now, net, p, false);
	p->last_active = now;
	if (!force_ext && ext_flags == 0 && src_mac == net->mac &&
	    dst_mac == ztdp_mac_from_address(to, net->nwid)) {
		struct ztdp_frame f = {
			.nwid = net->nwid, .ethertype = ethertype, .data = data, .data_len = len,
		};

		w = zn_tx_begin(n, to, ZTDP_VERB_FRAME);
		if (ztdp_frame_encode(w, &f) != ZTDP_VERBS_OK)
			w->err = true;
	} else {
		struct ztdp_ext_frame f = {
			.nwid = net->nwid, .flags = ext_flags, .dst_mac = dst_mac,
			.src_mac = src_mac, .ethertype = ethertype, .data = data,
			.data_len = len,
		};

		w = zn_tx_begin(n, to, ZTDP_VERB_EXT_FRAME);
		if (ztdp_ext_frame_encode(w, &f) != ZTDP_VERBS_OK)
			w->err = true;
	}
	/* Unicast frames go uncompressed, as 1.14.1 since 1.4.8; rule copies
	 * are compressed. */
	return zn_tx_send(n, now, p, NULL, ext_flags != 0 ? ZN_TX_COMPRESS : 0, NULL);
}

void zn_txq_run(struct ztdp_node *n, uint64_t now)
{
	for (unsigned int i = 0; i < ZN_MAX_TXQ; i++) {
		struct zn_txq *q = &n->txq[i];
		struct zn_network *net;

		if (!q->in_use || zn_peer_find(n, q->to) == NULL)
			continue;
		net = zn_network_find(n, q->nwid);
		if (net != NULL && net->nc != NULL)
			(void)zn_frame_send(n, now, net, q->to, q->src_mac, q->dst_mac,
					    q->ethertype, q->data, q->len, 0, false);
		else
			zn_drop(n, ZN_DROP_TX_NO_NETWORK);
		q->in_use = false;
	}
}

void zn_txq_expire(struct ztdp_node *n, uint64_t now)
{
	for (unsigned int i = 0; i < ZN_MAX_TXQ; i++) {
		if (n->txq[i].in_use && now - n->txq[i].created >= ZN_QUEUE_TIMEOUT_MS) {
			n->txq[i].in_use = false;
			zn_drop(n, ZN_DROP_TX_QUEUE_TIMEOUT);
		}
	}
}

/* Outbound rules for one destination; false if dropped (counted). May
 * redirect (sent here) or ask for copies (sent here). */
static bool outbound_rules(struct ztdp_node *n, uint64_t now, struct zn_network *net,
			   uint64_t to, uint64_t src_mac, uint64_t dst_mac,
			   uint16_t ethertype, const uint8_t *data, size_t len)
{
	const struct ztdp_netconf *nc = net->nc;
	struct ztdp_rules_frame f = {
		.inbound = false,
		.zt_source = n->self.address,
		.zt_dest = to,
		.mac_source = src_mac,
		.mac_dest = dst_mac,
		.ethertype = ethertype,
		.data = data,
		.len = len,
	};
	struct ztdp_rules_verdict v;
	struct ztdp_rules_env env;

	zn_rules_env(n, net, &env, false);
	(void)ztdp_rules_filter(nc->rules, nc->rule_count, net->caps, net->ncaps, &f, &env,
				false, &v);
	zn_rules_copies(n, now, net, &v, src_mac, dst_mac, ethertype, data, len);
	if (v.redirect_to != 0) {
		(void)zn_frame_send(n, now, net, v.redirect_to, src_mac, dst_mac, ethertype,
				    data, len, v.redirect_flags, true);
		return false;
	}
	if (!v.accept) {
		zn_drop(n, ZN_DROP_TX_RULES);
		return false;
	}
	return true;
}

/* Unicast to a MAC that is not a member's: the bridge that has it, or
 * every active bridge (up to 32) when nobody knows (notes 11.9). */
static int send_bridged(struct ztdp_node *n, uint64_t now, struct zn_network *net,
			uint64_t src_mac, uint64_t dst_mac, uint16_t ethertype,
			const uint8_t *data, size_t len)
{
	uint64_t bridges[32];
	uint64_t via = bridge_route_find(n, net->nwid, dst_mac);
	unsigned int nb, sent = 0;

	if (via != 0 && via != n->self.address &&
	    ztdp_netconf_specialist_has(net->nc, via, ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE)) {
		if (!outbound_rules(n, now, net, via, src_mac, dst_mac, ethertype, data, len))
			return -1;
		return zn_frame_send(n, now, net, via, src_mac, dst_mac, ethertype, data, len,
				     0, true);
	}
	nb = ztdp_netconf_active_bridges(net->nc, bridges, 32);
	for (unsigned int i = 0; i < nb && i < 32; i++) {
		if (bridges[i] == n->self.address ||
		    !outbound_rules(n, now, net, bridges[i], src_mac, dst_mac, ethertype, data,
				    len))
			continue;
		if (zn_frame_send(n, now, net, bridges[i], src_mac, dst_mac, ethertype, data,
				  len, 0, true) == 0)
			sent++;
	}
	if (sent == 0) {
		zn_drop(n, ZN_DROP_TX_NO_RECIPIENTS);
		return -1;
	}
	return 0;
}

int ztdp_node_process_frame(struct ztdp_node *n, uint64_t now, uint64_t nwid,
			    uint64_t src_mac, uint64_t dst_mac, uint16_t ethertype,
			    const void *payload, size_t len)
{
	const uint8_t *data = payload;
	struct zn_network *net;
	uint64_t to;
	int rc = -1;

	n->now = now;
	net = zn_network_find(n, nwid);
	if (net == NULL || net->nc == NULL) {
		zn_drop(n, ZN_DROP_TX_NO_NETWORK);
		goto out;
	}
	if (len > net->nc->mtu || (len > 0 && data == NULL)) {
		zn_drop(n, ZN_DROP_TX_BAD_FRAME);
		goto out;
	}
	/* Without the active-bridge flag only our own MAC may send. */
	if (src_mac != net->mac && !net->bridge) {
		zn_drop(n, ZN_DROP_TX_BAD_SOURCE_MAC);
		goto out;
	}
	if (ztdp_mac_is_multicast(dst_mac)) {
		rc = zn_multicast_send(n, now, net, src_mac, dst_mac, ethertype, data, len);
		goto out;
	}
	if (!ztdp_mac_is_zerotier(dst_mac, nwid)) {
		rc = send_bridged(n, now, net, src_mac, dst_mac, ethertype, data, len);
		goto out;
	}
	to = ztdp_mac_to_address(dst_mac, nwid);
	if (to == n->self.address || ztdp_address_is_reserved(to)) {
		zn_drop(n, ZN_DROP_TX_BAD_FRAME);
		goto out;
	}
	if (!outbound_rules(n, now, net, to, src_mac, dst_mac, ethertype, data, len))
		goto out;
	rc = zn_frame_send(n, now, net, to, src_mac, dst_mac, ethertype, data, len, 0, false);
out:
	zn_deferred(n, now);
	return rc;
}
