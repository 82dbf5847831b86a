/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The node: creation, the intake of underlay datagrams (classify,
 * reassemble, find the sender, dearmor, decompress, dispatch by verb),
 * timers, queries and counters. The verbs themselves live in the files
 * named in node_internal.h.
 *
 * Intake of one datagram, in order:
 *   1. classify (junk, beacon, fragment, packet) and check it is for us;
 *   2. fragments and fragmented heads go through the bounded reassembly
 *      table (proto/ ztdp_reasm), keyed by underlay source;
 *   3. HELLO (suite 0, verb in clear) is handled on its own: it can come
 *      from a stranger and carries the key material (hello.c);
 *   4. otherwise the sender must be known (table or identity cache); if it
 *      is not, the packet waits (5 s, bounded) while we WHOIS it;
 *   5. dearmor with the sender's key, decompress, dispatch;
 *   6. path learning and bookkeeping (peer.c).
 * Each refusal is counted under one reason of foreach_zn_drop.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node_internal.h"
#include "ztdp_node_test.h"
#include "ztdp_packet.h"
#include "ztdp_verbs.h"

/* ---- Drop reasons ---------------------------------------------------------- */

static const char *const drop_ids[ZN_N_DROP] = {
#define _(sym, stage, str) [ZN_DROP_##sym] = #sym,
	foreach_zn_drop
#undef _
};

static const char *const drop_names[ZN_N_DROP] = {
#define _(sym, stage, str) [ZN_DROP_##sym] = str,
	foreach_zn_drop
#undef _
};

static const uint8_t drop_stages[ZN_N_DROP] = {
#define _(sym, stage, str) [ZN_DROP_##sym] = ZN_STAGE_##stage,
	foreach_zn_drop
#undef _
};

void zn_drop(struct ztdp_node *n, enum zn_drop why)
{
	n->drops[why]++;
}

unsigned int ztdp_node_drop_reasons(void)
{
	return ZN_N_DROP;
}

const char *ztdp_node_drop_id(unsigned int reason)
{
	return reason < ZN_N_DROP ? drop_ids[reason] : "?";
}

const char *ztdp_node_drop_name(unsigned int reason)
{
	return reason < ZN_N_DROP ? drop_names[reason] : "?";
}

uint64_t ztdp_node_drop_count(const struct ztdp_node *n, unsigned int reason)
{
	return reason < ZN_N_DROP ? n->drops[reason] : 0;
}

static uint64_t drops_in_stage(const struct ztdp_node *n, enum zn_stage stage)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < ZN_N_DROP; i++)
		if (drop_stages[i] == stage)
			sum += n->drops[i];
	return sum;
}

/* ---- Small helpers ----------------------------------------------------------- */

void zn_log(struct ztdp_node *n, int level, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (n->cb.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n->cb.log(n->cb.ctx, level, line);
}

uint64_t zn_random_u64(struct ztdp_node *n)
{
	uint64_t v;

	/* One getrandom per 512 packet IDs, not one per packet. */
	if (n->rnd_used + sizeof(v) > sizeof(n->rnd)) {
		randombytes_buf(n->rnd, sizeof(n->rnd));
		n->rnd_used = 0;
	}
	memcpy(&v, n->rnd + n->rnd_used, sizeof(v));
	n->rnd_used += sizeof(v);
	return v;
}

const char *zn_addr_str(const struct ztdp_inetaddr *a, char *buf, size_t len)
{
	if (ztdp_inetaddr_format(a, buf, len) < 0)
		snprintf(buf, len, "?");
	return buf;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned int bits,
			 unsigned int max)
{
	unsigned int full = (bits > max ? max : bits) / 8, rest = (bits > max ? max : bits) % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ b[full]) & (0xff00 >> rest) & 0xff) == 0;
}

bool zn_addr_usable(const struct ztdp_node *n, const struct ztdp_inetaddr *a)
{
	static const uint8_t v6_zero[16];
	const uint8_t *ip = a->ip;

	if (a->port == 0)
		return false;
	if (a->family == 4) {
		if (ip[0] == 0 || ip[0] == 127 || ip[0] >= 224 ||
		    (ip[0] == 169 && ip[1] == 254))
			return false;
	} else if (a->family == 6) {
		if (memcmp(ip, v6_zero, 15) == 0)	/* :: and ::1 */
			return false;
		if (ip[0] == 0xff || (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80))
			return false;
		/* Hurricane Electric's tunnel broker: 1.14.1 refuses it. */
		if (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0x04 && ip[3] == 0x70)
			return false;
	} else {
		return false;
	}
	/* Never carry ZeroTier inside ZeroTier. */
	for (unsigned int i = 0; i < ZN_MAX_NETWORKS; i++) {
		const struct ztdp_netconf *nc = n->nets[i].in_use ? n->nets[i].nc : NULL;

		if (nc == NULL)
			continue;
		for (unsigned int j = 0; j < nc->static_ip_count; j++) {
			const struct ztdp_inetaddr *s = &nc->static_ips[j];

			if (s->family == a->family &&
			    prefix_match(s->ip, ip, s->port, a->family == 4 ? 32 : 128))
				return false;
		}
	}
	return true;
}

/* ---- Create / destroy ----------------------------------------------------------- */

static int load_planet(struct ztdp_node *n, const struct ztdp_node_config *cfg)
{
	struct ztdp_world stored;
	uint8_t *buf;
	ssize_t len;
	int rc;

	if (cfg->planet != NULL)
		rc = ztdp_world_parse(cfg->planet, cfg->planet_len, &n->planet);
	else
		rc = ztdp_planet_default_load(&n->planet);
	if (rc != ZTDP_WORLD_OK || n->planet.type != ZTDP_WORLD_TYPE_PLANET) {
		zn_log(n, 3, "the planet does not parse: %s",
		       rc != ZTDP_WORLD_OK ? ztdp_world_strerror(rc) : "not a planet");
		return -1;
	}
	/* A newer planet a root sent us earlier, if it is a valid update. */
	if (n->cb.state_get == NULL)
		return 0;
	buf = malloc(ZTDP_WORLD_MAX_LEN);
	if (buf == NULL)
		return 0;
	len = n->cb.state_get(n->cb.ctx, ZTDP_STATE_PLANET, 0, buf, ZTDP_WORLD_MAX_LEN);
	if (len > 0 && ztdp_world_parse(buf, (size_t)len, &stored) == ZTDP_WORLD_OK &&
	    ztdp_world_should_replace(&n->planet, &stored))
		n->planet = stored;
	free(buf);
	return 0;
}

void ztdp_node_destroy(struct ztdp_node *n)
{
	if (n == NULL)
		return;
	if (n->peers != NULL)
		for (unsigned int k = 0; k < n->peer_count; k++)
			ztdp_peer_key_clear(&zn_peer_at(n, k)->key);
	if (n->nets != NULL) {
		for (unsigned int i = 0; i < ZN_MAX_NETWORKS; i++) {
			if (!n->nets[i].in_use)
				continue;
			ztdp_netconf_asm_fini(&n->nets[i].asm_);
			ztdp_netconf_free(n->nets[i].nc);
		}
	}
	ztdp_netconf_free(n->nc_scratch);
	zn_controller_fini(n);
	ztdp_reasm_destroy(n->reasm);
	free(n->peers);
	free(n->pending);
	free(n->txq);
	free(n->nets);
	free(n->subs);
	free(n->mcq);
	free(n->routes);
	ztdp_identity_clear(&n->self);
	sodium_memzero(n, sizeof(*n));
	free(n);
}

int ztdp_node_create(struct ztdp_node **out, const struct ztdp_node_config *cfg,
		     const struct ztdp_node_callbacks *cb, uint64_t now)
{
	struct ztdp_reasm_config rc;
	struct ztdp_node *n;

	*out = NULL;
	if (cfg == NULL || cb == NULL || cb->wire_send == NULL || cfg->identity == NULL ||
	    !cfg->identity->has_private || cfg->local_addr_count > 4)
		return -1;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -1;
	n->cb = *cb;
	n->now = now;
	n->best_root = -1;
	n->rnd_used = sizeof(n->rnd);
	n->peers = calloc(ZN_MAX_PEERS, sizeof(*n->peers));
	n->pending = calloc(ZN_MAX_PENDING, sizeof(*n->pending));
	n->txq = calloc(ZN_MAX_TXQ, sizeof(*n->txq));
	n->nets = calloc(ZN_MAX_NETWORKS, sizeof(*n->nets));
	n->subs = calloc(ZN_MAX_MC_SUBS, sizeof(*n->subs));
	n->mcq = calloc(ZN_MAX_MCQ, sizeof(*n->mcq));
	n->routes = calloc(ZN_MAX_BRIDGE_ROUTES, sizeof(*n->routes));
	/* nc_scratch, the decode target for configs, comes with the first
	 * config (config_apply). */
	if (n->peers == NULL || n->pending == NULL || n->txq == NULL || n->nets == NULL ||
	    n->subs == NULL || n->mcq == NULL || n->routes == NULL) {
		zn_log(n, 3, "out of memory creating the node");
		goto fail;
	}
	n->hash_seed = zn_random_u64(n);
	ztdp_reasm_config_default(&rc);
	rc.hash_seed = n->hash_seed;
	n->reasm = ztdp_reasm_create(&rc);
	if (n->reasm == NULL) {
		zn_log(n, 3, "out of memory for the reassembly table");
		goto fail;
	}

	n->self = *cfg->identity;
	n->self_pub = n->self;
	memset(n->self_pub.priv, 0, sizeof(n->self_pub.priv));
	n->self_pub.has_private = false;
	if (ztdp_identity_to_string(&n->self_pub, false, n->self_text,
				    sizeof(n->self_text)) < 0) {
		zn_log(n, 3, "our identity cannot be written out");
		goto fail;
	}
	n->primary_port = cfg->primary_port;
	n->local_addr_count = cfg->local_addr_count;
	memcpy(n->local_addrs, cfg->local_addrs, sizeof(n->local_addrs));
	if (load_planet(n, cfg) != 0 || zn_controller_init(n) != 0)
		goto fail;
	if (zn_roots_init(n, now) == 0)
		zn_log(n, 4, "the planet lists no usable root: the node will stay offline");
	n->next_housekeeping = now;
	zn_log(n, 6, "node %010llx up, planet %llu with %u root(s)",
	       (unsigned long long)n->self.address, (unsigned long long)n->planet.id,
	       n->planet.root_count);
	*out = n;
	return 0;
fail:
	ztdp_node_destroy(n);
	return -1;
}

/* ---- Intake ------------------------------------------------------------------- */

static void dispatch_ok(struct ztdp_node *n, struct zn_rx *rx)
{
	struct ztdp_ok ok;

	if (ztdp_ok_decode(rx->payload, rx->plen, &ok) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	if (!zn_expect_match(n, rx->now, ok.in_re_packet_id, rx->peer->address,
			     ok.in_re_verb)) {
		zn_drop(n, ZN_DROP_UNSOLICITED_OK);
		return;
	}
	switch (ok.in_re_verb) {
	case ZTDP_VERB_HELLO:
		zn_ok_hello_receive(n, rx, ok.payload, ok.payload_len);
		break;
	case ZTDP_VERB_WHOIS:
		zn_ok_whois_receive(n, rx, ok.payload, ok.payload_len);
		break;
	case ZTDP_VERB_NETWORK_CONFIG_REQUEST:
		zn_config_chunk_receive(n, rx, ok.payload, ok.payload_len, false, true);
		break;
	case ZTDP_VERB_ECHO:
		zn_ok_echo_receive(n, rx, ok.payload, ok.payload_len);
		break;
	case ZTDP_VERB_MULTICAST_GATHER:
		zn_ok_gather_receive(n, rx, ok.payload, ok.payload_len);
		break;
	case ZTDP_VERB_MULTICAST_FRAME:
		zn_ok_mc_frame_receive(n, rx, ok.payload, ok.payload_len);
		break;
	default:
		break;
	}
}

static void dispatch(struct ztdp_node *n, struct zn_rx *rx)
{
	switch (rx->verb) {
	case ZTDP_VERB_NOP:
	case ZTDP_VERB_ACK:
	case ZTDP_VERB_QOS_MEASUREMENT:
	case ZTDP_VERB_USER_MESSAGE:
	case ZTDP_VERB_REMOTE_TRACE:
	case ZTDP_VERB_PATH_NEGOTIATION_REQUEST:
		/* Authenticated and counted; nothing a bridge needs (6.17). */
		break;
	case ZTDP_VERB_HELLO:
		/* HELLO comes in suite 0 (hello.c), never armored further. */
		zn_drop(n, ZN_DROP_HELLO_ARMORED);
		break;
	case ZTDP_VERB_ERROR:
		zn_error_receive(n, rx);
		break;
	case ZTDP_VERB_OK:
		dispatch_ok(n, rx);
		break;
	case ZTDP_VERB_WHOIS:
		zn_whois_receive(n, rx);
		break;
	case ZTDP_VERB_RENDEZVOUS:
		zn_rendezvous_receive(n, rx);
		break;
	case ZTDP_VERB_FRAME:
		zn_frame_receive(n, rx);
		break;
	case ZTDP_VERB_EXT_FRAME:
		zn_ext_frame_receive(n, rx);
		break;
	case ZTDP_VERB_ECHO:
		zn_echo_receive(n, rx);
		break;
	case ZTDP_VERB_MULTICAST_LIKE:
		zn_like_receive(n, rx);
		break;
	case ZTDP_VERB_NETWORK_CREDENTIALS:
		zn_credentials_receive(n, rx);
		break;
	case ZTDP_VERB_NETWORK_CONFIG_REQUEST:
		zn_config_request_receive(n, rx);
		break;
	case ZTDP_VERB_NETWORK_CONFIG:
		zn_config_chunk_receive(n, rx, rx->payload, rx->plen, true, false);
		break;
	case ZTDP_VERB_MULTICAST_GATHER:
		zn_gather_receive(n, rx);
		break;
	case ZTDP_VERB_MULTICAST_FRAME:
		zn_mc_frame_receive(n, rx);
		break;
	case ZTDP_VERB_PUSH_DIRECT_PATHS:
		zn_push_paths_receive(n, rx);
		break;
	default:
		zn_drop(n, ZN_DROP_UNKNOWN_VERB);
		break;
	}
}

static void handle_authenticated(struct ztdp_node *n, uint64_t now,
				 const struct ztdp_inetaddr *from, struct zn_peer *p,
				 uint8_t *pkt, size_t len, unsigned int suite);

/* A packet's source and suite may carry more than HELLO: a real peer's
 * address and suite 1 or 3. Drops and returns false otherwise. */
static bool source_ok(struct ztdp_node *n, const uint8_t *pkt)
{
	uint64_t source = ztdp_packet_source(pkt);
	unsigned int cipher = ztdp_packet_cipher(pkt);

	if (ztdp_address_is_reserved(source) || source == n->self.address) {
		zn_drop(n, ZN_DROP_BAD_SOURCE);
		return false;
	}
	if (cipher != ZTDP_CIPHER_POLY1305_SALSA2012 && cipher != ZTDP_CIPHER_AES_GMAC_SIV) {
		zn_drop(n, ZN_DROP_SUITE);
		return false;
	}
	return true;
}

void zn_handle_packet(struct ztdp_node *n, uint64_t now, const struct ztdp_inetaddr *from,
		      const uint8_t *data, size_t len, bool replay)
{
	uint8_t *pkt = n->rx;
	uint64_t source;
	unsigned int cipher;
	struct zn_peer *p;
	int rc;

	if (data != n->rx)
		memcpy(n->rx, data, len);
	source = ztdp_packet_source(pkt);
	cipher = ztdp_packet_cipher(pkt);
	if (cipher == ZTDP_CIPHER_POLY1305_NONE) {
		/* Suite 0 is for HELLO only, whose verb byte is in clear. */
		if (pkt[ZTDP_PKT_IDX_VERB] == ZTDP_VERB_HELLO)
			zn_hello_receive(n, now, from, pkt, len);
		else
			zn_drop(n, ZN_DROP_SUITE);
		return;
	}
	if (!source_ok(n, pkt))
		return;
	p = zn_peer_lookup(n, now, source);
	if (p == NULL) {
		/* Replays are only attempted once the sender is known. */
		(void)replay;
		zn_pending_add(n, now, source, from, pkt, len);
		return;
	}
	rc = ztdp_dearmor(&p->key, pkt, len);
	if (unlikely(rc < 0)) {
		zn_drop(n, rc == ZTDP_ARMOR_ESUITE ? ZN_DROP_SUITE : ZN_DROP_AUTH);
		return;
	}
	handle_authenticated(n, now, from, p, pkt, len, (unsigned int)rc);
}

/* A packet that authenticated (dearmored in n->rx): decompress, count,
 * dispatch the verb, learn the path. */
static void handle_authenticated(struct ztdp_node *n, uint64_t now,
				 const struct ztdp_inetaddr *from, struct zn_peer *p,
				 uint8_t *pkt, size_t len, unsigned int suite)
{
	uint64_t source = p->address;
	struct zn_rx rx;
	int rc;

	if (ztdp_packet_is_compressed(pkt)) {
		rc = ztdp_packet_decompress(pkt, len, n->dec, sizeof(n->dec));
		if (rc < 0) {
			zn_drop(n, ZN_DROP_LZ4);
			return;
		}
		pkt = n->dec;
		len = (size_t)rc;
	}
	memset(&rx, 0, sizeof(rx));
	rx.now = now;
	rx.from = from;
	rx.peer = p;
	rx.pkt = pkt;
	rx.len = len;
	rx.payload = pkt + ZTDP_PKT_IDX_PAYLOAD;
	rx.plen = len - ZTDP_PKT_IDX_PAYLOAD;
	rx.id = ztdp_packet_id(n->rx);
	rx.hops = ztdp_packet_hops(n->rx);
	rx.verb = ztdp_packet_verb(pkt);
	rx.suite = suite;
	n->ctr.authenticated++;
	n->stats.rx_packets++;
	n->stats.rx_by_verb[rx.verb]++;
	dispatch(n, &rx);
	/* A world update may have replaced this peer (new root key). */
	if (!p->in_use || p->address != source)
		return;
	zn_peer_received(n, &rx);
	zn_push_paths_maybe(n, now, p, rx.hops != 0);
}

void zn_deferred(struct ztdp_node *n, uint64_t now)
{
	if (!n->replay_due)
		return;
	zn_pending_run(n, now);
	zn_txq_run(n, now);
	zn_network_owed(n, now);
}

void ztdp_node_process_wire(struct ztdp_node *n, uint64_t now,
			    const struct ztdp_inetaddr *from, const uint8_t *data,
			    size_t len)
{
	enum ztdp_dgram_kind kind;
	size_t out_len = 0;
	int rc;

	n->now = now;
	n->ctr.datagrams++;
	if (unlikely(len > ZTDP_MAX_PACKET_LEN)) {
		zn_drop(n, ZN_DROP_TOO_LONG);
		return;
	}
	kind = ztdp_dgram_classify(data, len);
	switch (kind) {
	case ZTDP_DGRAM_SHORT:
		zn_drop(n, ZN_DROP_SHORT);
		return;
	case ZTDP_DGRAM_JUNK:
		zn_drop(n, ZN_DROP_JUNK);
		return;
	case ZTDP_DGRAM_BEACON:
		zn_drop(n, ZN_DROP_BEACON);
		return;
	case ZTDP_DGRAM_FRAGMENT:
		if (ztdp_load_be40(data + ZTDP_FRAG_IDX_DEST) != n->self.address) {
			zn_relay(n, now, from, data, len, true);
			return;
		}
		rc = ztdp_reasm_add_fragment(n->reasm, zn_source_key(n, from), data, len, now,
					     n->rx, sizeof(n->rx), &out_len);
		break;
	case ZTDP_DGRAM_PACKET:
		if (ztdp_packet_dest(data) != n->self.address) {
			zn_relay(n, now, from, data, len, false);
			return;
		}
		if (!ztdp_packet_is_fragmented(data)) {
			n->ctr.whole++;
			zn_handle_packet(n, now, from, data, len, false);
			zn_deferred(n, now);
			return;
		}
		rc = ztdp_reasm_add_head(n->reasm, zn_source_key(n, from), data, len, now,
					 n->rx, sizeof(n->rx), &out_len);
		break;
	default:
		zn_drop(n, ZN_DROP_SHORT);
		return;
	}
	if (rc < 0) {
		zn_drop(n, ZN_DROP_FRAGMENT);
		return;
	}
	n->ctr.pieces++;
	if (rc == ZTDP_REASM_COMPLETE) {
		n->ctr.reassembled++;
		zn_handle_packet(n, now, from, n->rx, out_len, false);
	}
	zn_deferred(n, now);
}

/* A whole packet a fast path handed over: counted as a datagram that
 * arrived whole. false when dropped. */
static bool intake_whole(struct ztdp_node *n, uint64_t now, const uint8_t *data, size_t len)
{
	n->now = now;
	n->ctr.datagrams++;
	if (unlikely(len > ZTDP_MAX_PACKET_LEN)) {
		zn_drop(n, ZN_DROP_TOO_LONG);
		return false;
	}
	if (unlikely(len < ZTDP_PKT_MIN_LEN)) {
		zn_drop(n, ZN_DROP_SHORT);
		return false;
	}
	if (ztdp_packet_dest(data) != n->self.address) {
		zn_drop(n, ZN_DROP_NOT_FOR_US);
		return false;
	}
	n->ctr.whole++;
	return true;
}

/* A whole packet the dataplane reassembled: the same path as a datagram
 * that arrived whole, minus the fragment check. */
void ztdp_node_process_packet(struct ztdp_node *n, uint64_t now,
			      const struct ztdp_inetaddr *from, const uint8_t *data,
			      size_t len)
{
	if (!intake_whole(n, now, data, len))
		return;
	zn_handle_packet(n, now, from, data, len, false);
	zn_deferred(n, now);
}

/* A packet the dataplane authenticated with the key the node published
 * for its sender. Trusting it is safe because that key came from here; a
 * sender the node no longer knows is dropped (its key may be stale). */
void ztdp_node_process_plain(struct ztdp_node *n, uint64_t now,
			     const struct ztdp_inetaddr *from, const uint8_t *data,
			     size_t len)
{
	struct zn_peer *p;

	if (!intake_whole(n, now, data, len))
		return;
	memcpy(n->rx, data, len);
	if (!source_ok(n, n->rx))
		return;
	p = zn_peer_find(n, ztdp_packet_source(n->rx));
	if (p == NULL) {
		zn_drop(n, ZN_DROP_PLAIN_UNKNOWN);
		return;
	}
	handle_authenticated(n, now, from, p, n->rx, len, ztdp_packet_cipher(n->rx));
	zn_deferred(n, now);
}

/* ---- Timers -------------------------------------------------------------------- */

uint64_t ztdp_node_tick(struct ztdp_node *n, uint64_t now)
{
	uint64_t next, w;

	n->now = now;
	zn_whois_tick(n, now);
	n->replay_due = true;	/* also times out waiting packets */
	zn_txq_expire(n, now);
	zn_mc_expire(n, now);
	(void)ztdp_reasm_expire(n->reasm, now);
	if (now >= n->next_housekeeping) {
		n->next_housekeeping = now + ZN_HOUSEKEEPING_MS;
		zn_keepalive_tick(n, now);
		zn_peers_housekeeping(n, now);
		zn_network_tick(n, now);
		zn_controller_sync(n, now);
		zn_multicast_tick(n, now, false, NULL);
	}
	zn_deferred(n, now);
	next = n->next_housekeeping > now ? n->next_housekeeping - now : 1;
	w = zn_whois_next(n, now);
	if (w != UINT64_MAX)
		next = w > now ? (w - now < next ? w - now : next) : 1;
	/* Waiting packets and frames time out at 5 s granularity or better. */
	if (zn_pending_live(n) > 0 && next > ZN_WHOIS_RETRY_MS)
		next = ZN_WHOIS_RETRY_MS;
	return next > 0 ? next : 1;
}

/* ---- Queries -------------------------------------------------------------------- */

void ztdp_node_info(const struct ztdp_node *n, struct ztdp_node_info *info)
{
	memset(info, 0, sizeof(*info));
	info->address = n->self.address;
	snprintf(info->public_identity, sizeof(info->public_identity), "%s", n->self_text);
	/* Computed now rather than at the last housekeeping: a root that
	 * just answered counts at once. A root is online by definition. */
	info->online = n->am_root;
	for (unsigned int k = 0; k < n->peer_count && !info->online; k++)
		if (zn_peer_at(n, k)->root >= 0)
			info->online = zn_root_alive(zn_peer_at(n, k), n->now);
	info->clock = n->now;
	info->planet_world_id = n->planet.id;
	info->planet_timestamp = n->planet.timestamp;
}

static void peer_info(const struct ztdp_node *n, const struct zn_peer *p,
		      struct ztdp_peer_info *out)
{
	const struct zn_path *best = NULL;

	memset(out, 0, sizeof(*out));
	out->address = p->address;
	out->role = p->root >= 0 ? ZTDP_PEER_PLANET : ZTDP_PEER_LEAF;
	out->latency = p->latency;
	out->version_major = p->version_known ? p->vmajor : -1;
	out->version_minor = p->version_known ? p->vminor : -1;
	out->version_revision = p->version_known ? p->vrevision : -1;
	out->proto_version = p->version_known ? p->proto : 0;
	for (unsigned int i = 0; i < ZN_MAX_PATHS; i++) {
		const struct zn_path *pa = &p->paths[i];

		if (pa->in_use && (best == NULL || pa->last_receive > best->last_receive))
			best = pa;
	}
	for (unsigned int i = 0; i < ZN_MAX_PATHS && out->path_count < 8; i++) {
		const struct zn_path *pa = &p->paths[i];
		struct ztdp_path_info *pi;

		if (!pa->in_use)
			continue;
		pi = &out->paths[out->path_count++];
		pi->addr = pa->addr;
		pi->last_send = pa->last_send;
		pi->last_receive = pa->last_receive;
		pi->active = zn_path_alive(pa, n->now);
		pi->preferred = pa == best;
	}
}

unsigned int ztdp_node_peers(const struct ztdp_node *n, struct ztdp_peer_info *out,
			     unsigned int max)
{
	unsigned int count = 0;

	for (unsigned int k = 0; k < n->peer_count; k++) {
		if (count < max)
			peer_info(n, zn_peer_at(n, k), &out[count]);
		count++;
	}
	return count;
}

int ztdp_node_peer(const struct ztdp_node *n, uint64_t address, struct ztdp_peer_info *out)
{
	for (unsigned int k = 0; k < n->peer_count; k++) {
		if (zn_peer_at(n, k)->address == address) {
			peer_info(n, zn_peer_at(n, k), out);
			return 0;
		}
	}
	return -1;
}

void ztdp_node_stats(const struct ztdp_node *n, struct ztdp_node_stats *out)
{
	*out = n->stats;
	out->rx_packets = n->ctr.authenticated;
	out->rx_auth_failed = n->drops[ZN_DROP_AUTH];
	out->relayed = n->ctr.relayed;
	out->rx_dropped = drops_in_stage(n, ZN_STAGE_D) + drops_in_stage(n, ZN_STAGE_P) +
			  drops_in_stage(n, ZN_STAGE_Q) + drops_in_stage(n, ZN_STAGE_V);
}

const char *ztdp_peer_role_name(enum ztdp_peer_role r)
{
	switch (r) {
	case ZTDP_PEER_LEAF:
		return "LEAF";
	case ZTDP_PEER_MOON:
		return "MOON";
	case ZTDP_PEER_PLANET:
		return "PLANET";
	}
	return "?";
}

/* ---- Test hooks ------------------------------------------------------------------ */

void ztdp_node_test_expect_reply(struct ztdp_node *n, uint64_t now, uint64_t packet_id,
				 uint64_t peer)
{
	zn_expect_add(n, now, packet_id, peer, 0xff);
}

unsigned int ztdp_node_test_pending(const struct ztdp_node *n)
{
	return zn_pending_live(n);
}

const struct ztdp_reasm_stats *ztdp_node_test_reasm_stats(const struct ztdp_node *n)
{
	return ztdp_reasm_stats(n->reasm);
}

bool ztdp_node_test_stats_consistent(const struct ztdp_node *n, char *why, size_t len)
{
	const struct ztdp_reasm_stats *rs = ztdp_reasm_stats(n->reasm);
	const struct zn_counters *c = &n->ctr;
	uint64_t verbs = 0, d = drops_in_stage(n, ZN_STAGE_D),
		 p = drops_in_stage(n, ZN_STAGE_P), q = drops_in_stage(n, ZN_STAGE_Q);

	for (unsigned int i = 0; i < 32; i++)
		verbs += n->stats.rx_by_verb[i];
	if (c->datagrams != c->pieces + c->whole + c->relayed + d) {
		snprintf(why, len,
			 "datagrams %llu != pieces %llu + whole %llu + relayed %llu + drops %llu",
			 (unsigned long long)c->datagrams, (unsigned long long)c->pieces,
			 (unsigned long long)c->whole, (unsigned long long)c->relayed,
			 (unsigned long long)d);
		return false;
	}
	if (c->whole + c->reassembled + c->replayed != c->authenticated + p + c->queued) {
		snprintf(why, len,
			 "packets %llu+%llu+%llu != authenticated %llu + drops %llu + queued %llu",
			 (unsigned long long)c->whole, (unsigned long long)c->reassembled,
			 (unsigned long long)c->replayed, (unsigned long long)c->authenticated,
			 (unsigned long long)p, (unsigned long long)c->queued);
		return false;
	}
	if (c->queued != c->replayed + q + zn_pending_live(n)) {
		snprintf(why, len, "queued %llu != replayed %llu + dropped %llu + waiting %u",
			 (unsigned long long)c->queued, (unsigned long long)c->replayed,
			 (unsigned long long)q, zn_pending_live(n));
		return false;
	}
	if (verbs != c->authenticated) {
		snprintf(why, len, "verb counts %llu != authenticated %llu",
			 (unsigned long long)verbs, (unsigned long long)c->authenticated);
		return false;
	}
	if (rs->accepted != c->pieces || rs->completed != c->reassembled) {
		snprintf(why, len, "reassembly took %llu pieces, completed %llu; we saw %llu, %llu",
			 (unsigned long long)rs->accepted, (unsigned long long)rs->completed,
			 (unsigned long long)c->pieces, (unsigned long long)c->reassembled);
		return false;
	}
	return true;
}
