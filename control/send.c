/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outgoing packets: a verb handler starts a packet in the node's tx buffer
 * (zn_tx_begin), appends its payload with the proto/ encoders, and hands it
 * to zn_tx_send, which compresses it if asked, picks the suite, routes it,
 * armors it for the final destination, remembers its ID if a reply is
 * expected, and sends it as one datagram or a head and fragments.
 *
 * Routing (notes 11.2): a live direct path to the peer; else through the
 * best root (the packet stays armored for the peer, the root relays it);
 * else a stale direct path as a last resort. A root with no path yet is
 * sent to at its planet endpoint.
 *
 * Everything happens in preallocated buffers; nothing is allocated.
 */
#include <string.h>

#include "node_internal.h"
#include "ztdp_packet.h"
#include "ztdp_verbs.h"

unsigned int zn_suite_for(const struct zn_peer *p)
{
	/* Errata 14/4.4: suite 3 once the peer is known to speak protocol
	 * 12 or later; suite 1 until then. */
	if (p != NULL && p->version_known && p->proto >= 12)
		return ZTDP_CIPHER_AES_GMAC_SIV;
	return ZTDP_CIPHER_POLY1305_SALSA2012;
}

struct ztdp_wr *zn_tx_begin(struct ztdp_node *n, uint64_t dest, unsigned int verb)
{
	ztdp_wr_init(&n->txw, n->tx, sizeof(n->tx));
	if (ztdp_packet_begin(&n->txw, zn_random_u64(n), dest, n->self.address,
			      verb) != ZTDP_PKT_OK)
		n->txw.err = true;
	return &n->txw;
}

struct ztdp_wr *zn_ok_begin(struct ztdp_node *n, struct zn_peer *p,
			    unsigned int in_re_verb, uint64_t in_re_id)
{
	struct ztdp_wr *w = zn_tx_begin(n, p->address, ZTDP_VERB_OK);
	struct ztdp_ok ok = {
		.in_re_verb = (uint8_t)in_re_verb,
		.in_re_packet_id = in_re_id,
	};

	if (ztdp_ok_encode(w, &ok) != ZTDP_VERBS_OK)
		w->err = true;
	return w;
}

void zn_error_send(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
		   unsigned int in_re_verb, uint64_t in_re_id, uint8_t code,
		   bool has_nwid, uint64_t nwid)
{
	struct ztdp_wr *w = zn_tx_begin(n, p->address, ZTDP_VERB_ERROR);
	struct ztdp_error e = {
		.in_re_verb = (uint8_t)in_re_verb,
		.in_re_packet_id = in_re_id,
		.code = code,
		.has_nwid = has_nwid,
		.nwid = nwid,
	};

	if (ztdp_error_encode(w, &e) != ZTDP_VERBS_OK)
		w->err = true;
	(void)zn_tx_send(n, now, p, NULL, 0, NULL);
}

/* Where to send a packet for p; *used gets the path that carries it (to
 * stamp its last_send), *revive a stale direct path worth probing. */
static const struct ztdp_inetaddr *route(struct ztdp_node *n, uint64_t now,
					 struct zn_peer *p, struct zn_path **used,
					 struct zn_path **revive)
{
	struct zn_path *pa = zn_path_best(p, now, true);
	struct zn_peer *r;

	*used = NULL;
	*revive = NULL;
	if (pa != NULL) {
		*used = pa;
		return &pa->addr;
	}
	if (p->root >= 0) {
		pa = zn_path_best(p, now, false);
		if (pa != NULL) {
			*used = pa;
			return &pa->addr;
		}
		return zn_root_endpoint(n, p);
	}
	/* A direct path that went quiet: relay this packet, and probe the
	 * path so it comes back if the peer is still there. */
	*revive = zn_path_best(p, now, false);
	r = zn_best_root(n, now);
	if (r != NULL && r != p) {
		pa = zn_path_best(r, now, false);
		if (pa != NULL) {
			*used = pa;
			return &pa->addr;
		}
		if (zn_root_endpoint(n, r) != NULL)
			return zn_root_endpoint(n, r);
	}
	if (*revive != NULL) {
		*used = *revive;
		*revive = NULL;
		return &(*used)->addr;
	}
	return NULL;
}

/* Armor pkt[0..len) in place for key/suite and send it to `to`, cut into
 * datagrams. Returns 0 or -1 (counted); *id_out gets the wire ID. */
static int tx_out(struct ztdp_node *n, const struct ztdp_peer_key *key,
		  unsigned int suite, uint8_t *pkt, size_t len,
		  const struct ztdp_inetaddr *to, uint64_t *id_out)
{
	int nfrag = ztdp_packet_prepare_fragments(pkt, len, ZTDP_DEFAULT_PHYSMTU);
	bool failed = false;

	if (nfrag < 1 || ztdp_armor(key, pkt, len, suite) != ZTDP_ARMOR_OK) {
		zn_drop(n, ZN_DROP_TX_TOO_BIG);
		return -1;
	}
	*id_out = ztdp_packet_id(pkt);
	for (int f = 0; f < nfrag; f++) {
		const uint8_t *d = pkt;
		size_t dl = len < ZTDP_DEFAULT_PHYSMTU ? len : ZTDP_DEFAULT_PHYSMTU;

		if (f > 0) {
			int r = ztdp_fragment_encode(pkt, len, ZTDP_DEFAULT_PHYSMTU,
						     (unsigned int)f, n->dgram,
						     sizeof(n->dgram));
			if (r < 0) {
				failed = true;
				break;
			}
			d = n->dgram;
			dl = (size_t)r;
		}
		if (n->cb.wire_send(n->cb.ctx, to, d, dl, 0) != 0)
			failed = true;
	}
	if (failed) {
		zn_drop(n, ZN_DROP_TX_SEND_FAILED);
		return -1;
	}
	return 0;
}

int zn_tx_send(struct ztdp_node *n, uint64_t now, struct zn_peer *p,
	       const struct ztdp_inetaddr *to, unsigned int flags, uint64_t *id)
{
	uint8_t *pkt = n->tx;
	size_t len = n->txw.off;
	unsigned int verb = n->tx[ZTDP_PKT_IDX_VERB] & ZTDP_PKT_VERB_MASK;
	unsigned int suite = verb == ZTDP_VERB_HELLO ? ZTDP_CIPHER_POLY1305_NONE
						     : zn_suite_for(p);
	struct zn_path *used = NULL, *revive = NULL;
	uint64_t wire_id = 0;

	if (!ztdp_wr_ok(&n->txw)) {
		zn_drop(n, ZN_DROP_TX_TOO_BIG);
		return -1;
	}
	/* HELLO is never compressed: its cryptField was applied already and
	 * 1.14.1 reads its clear part before dearmoring. */
	if ((flags & ZN_TX_COMPRESS) && verb != ZTDP_VERB_HELLO) {
		int c = ztdp_packet_compress(pkt, len, n->txc, sizeof(n->txc));

		if (c > 0) {
			pkt = n->txc;
			len = (size_t)c;
		}
	}
	if (to == NULL)
		to = route(n, now, p, &used, &revive);
	else
		used = zn_path_find(p, to);
	if (to == NULL) {
		zn_drop(n, ZN_DROP_TX_NO_PATH);
		return -1;
	}
	if (tx_out(n, &p->key, suite, pkt, len, to, &wire_id) != 0)
		return -1;
	if (flags & ZN_TX_EXPECT_REPLY)
		zn_expect_add(n, now, wire_id, p->address, verb);
	if (id != NULL)
		*id = wire_id;
	n->stats.tx_packets++;
	n->stats.tx_by_verb[verb]++;
	p->last_send = now;
	if (used != NULL)
		used->last_send = now;
	if (revive != NULL && now - p->last_revive >= ZN_PATH_HEARTBEAT_MS) {
		struct ztdp_inetaddr at = revive->addr;

		p->last_revive = now;
		zn_contact(n, now, p, &at, false);
	}
	return 0;
}

int zn_tx_send_raw(struct ztdp_node *n, uint64_t now,
		   const struct ztdp_peer_key *key, unsigned int suite,
		   const struct ztdp_inetaddr *to)
{
	unsigned int verb = n->tx[ZTDP_PKT_IDX_VERB] & ZTDP_PKT_VERB_MASK;
	uint64_t wire_id;

	(void)now;
	if (!ztdp_wr_ok(&n->txw)) {
		zn_drop(n, ZN_DROP_TX_TOO_BIG);
		return -1;
	}
	if (tx_out(n, key, suite, n->tx, n->txw.off, to, &wire_id) != 0)
		return -1;
	n->stats.tx_packets++;
	n->stats.tx_by_verb[verb]++;
	return 0;
}

void zn_send_junk(struct ztdp_node *n, const struct ztdp_inetaddr *to)
{
	uint64_t junk = zn_random_u64(n);

	/* TTL 2: far enough to open our own NAT and stateful firewalls,
	 * short enough not to reach (and confuse) the other side's. */
	if (n->cb.wire_send(n->cb.ctx, to, &junk, ZTDP_JUNK_LEN, 2) != 0)
		zn_drop(n, ZN_DROP_TX_SEND_FAILED);
}
