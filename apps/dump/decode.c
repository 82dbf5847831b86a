/* SPDX-License-Identifier: BSD-3-Clause */
/* ztdp-dump: classify, reassemble, dearmor, decompress, decode. */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "ztdp_armor.h"
#include "ztdp_buf.h"
#include "ztdp_credentials.h"
#include "ztdp_mac.h"
#include "ztdp_packet.h"
#include "ztdp_reasm.h"
#include "ztdp_wire.h"

#define REASM_DEFAULT_ENTRIES	256
/* Packets remembered to recognise a relayed packet's second copy: a
 * direct-mapped table, a collision only costs a missed "relay copy" mark. */
#define SEEN_SLOTS		4096
/* NETWORK_CONFIG packet IDs remembered, so an OK(in-re ECHO) that acks one
 * (1.14.1's quirk, section 6.11) is shown as what it is. */
#define PUSHES_REMEMBERED	64
/* Members whose config updates are assembled at the same time. */
#define CONFIG_TARGETS		16
/* Room for an Ethernet header before the largest frame payload. */
#define ETH_HDR_LEN		14
#define FRAME_BUF_LEN		(ETH_HDR_LEN + ZTDP_MAX_PACKET_LEN)

/* A fragmented packet reassembly holds, mirrored so that one that never
 * completes can be reported with what is known of it. */
struct pending {
	bool used;
	uint64_t source_key;
	uint64_t packet_id;
	uint64_t created_ms;
	uint64_t time_us, record;
	struct ztdp_inetaddr usrc, udst;
	uint64_t dst, src;
	bool have_src;
	unsigned int cipher, hops, pieces, total;
	size_t bytes;
};

struct seen {
	bool used;
	uint64_t packet_id, src, dst;
};

struct push {
	uint64_t packet_id;		/* 0: unused (IDs are random, 0 is unlikely) */
	uint64_t nwid, update_id;
};

struct config_target {
	bool used;
	uint64_t member;
	uint64_t lru;
	struct ztdp_netconf_asm a;
};

struct ztdp_dump_decoder {
	struct ztdp_dump_config cfg;
	struct ztdp_reasm *reasm;
	struct ztdp_reasm_config reasm_cfg;
	struct pending *pending;
	unsigned int npending, pending_cap;
	uint64_t last_ms;		/* capture clock, kept monotonic */
	struct seen seen[SEEN_SLOTS];
	struct push pushes[PUSHES_REMEMBERED];
	unsigned int push_next;
	struct config_target targets[CONFIG_TARGETS];
	uint64_t target_clock;
	struct ztdp_netconf *nc;
	uint8_t *assembled, *work, *plain, *frame;	/* ZTDP_MAX_PACKET_LEN (+) each */
	struct ztdp_dump_pkt rec;
	struct ztdp_dump_stats st;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* ---- Names ------------------------------------------------------------- */

const char *ztdp_dump_status_str(enum ztdp_dump_status s)
{
	static const char *const names[ZTDP_DUMP_ST_N] = {
		[ZTDP_DUMP_ST_OK] = "ok",
		[ZTDP_DUMP_ST_UNDECRYPTABLE] = "undecryptable",
		[ZTDP_DUMP_ST_AUTH_FAILED] = "auth-failed",
		[ZTDP_DUMP_ST_MALFORMED] = "malformed",
		[ZTDP_DUMP_ST_INCOMPLETE] = "incomplete",
		[ZTDP_DUMP_ST_DROPPED] = "dropped",
		[ZTDP_DUMP_ST_BEACON] = "beacon",
	};

	return (unsigned int)s < ZTDP_DUMP_ST_N ? names[s] : "?";
}

const char *ztdp_dump_cipher_str(unsigned int cipher)
{
	static const char *const names[8] = {
		[ZTDP_CIPHER_POLY1305_NONE] = "poly1305",
		[ZTDP_CIPHER_POLY1305_SALSA2012] = "salsa2012",
		[ZTDP_CIPHER_NONE_TRUSTED] = "trusted-path",
		[ZTDP_CIPHER_AES_GMAC_SIV] = "aes-gmac-siv",
		[4] = "suite-4", [5] = "suite-5", [6] = "suite-6", [7] = "suite-7",
	};

	return names[cipher & 7];
}

const char *ztdp_dump_sig_str(enum ztdp_dump_sig s)
{
	switch (s) {
	case ZTDP_DUMP_SIG_NONE:
		return "none";
	case ZTDP_DUMP_SIG_VERIFIED:
		return "verified";
	case ZTDP_DUMP_SIG_FAILED:
		return "FAILED";
	case ZTDP_DUMP_SIG_NO_CONTROLLER:
		return "unverified (controller identity unknown)";
	case ZTDP_DUMP_SIG_LEGACY:
		return "legacy (unsigned)";
	}
	return "?";
}

const char *ztdp_dump_asm_str(int rc)
{
	switch (rc) {
	case ZTDP_NCASM_PENDING:
		return "pending";
	case ZTDP_NCASM_COMPLETE:
		return "complete";
	case ZTDP_NCASM_DUPLICATE:
		return "duplicate";
	default:
		return ztdp_netconf_chunk_strerror(rc);
	}
}

const char *ztdp_dump_error_code_str(uint8_t code)
{
	switch (code) {
	case ZTDP_ERROR_NONE:
		return "NONE";
	case ZTDP_ERROR_INVALID_REQUEST:
		return "INVALID_REQUEST";
	case ZTDP_ERROR_BAD_PROTOCOL_VERSION:
		return "BAD_PROTOCOL_VERSION";
	case ZTDP_ERROR_OBJ_NOT_FOUND:
		return "OBJ_NOT_FOUND";
	case ZTDP_ERROR_IDENTITY_COLLISION:
		return "IDENTITY_COLLISION";
	case ZTDP_ERROR_UNSUPPORTED_OPERATION:
		return "UNSUPPORTED_OPERATION";
	case ZTDP_ERROR_NEED_MEMBERSHIP_CERTIFICATE:
		return "NEED_MEMBERSHIP_CERTIFICATE";
	case ZTDP_ERROR_NETWORK_ACCESS_DENIED:
		return "NETWORK_ACCESS_DENIED";
	case ZTDP_ERROR_UNWANTED_MULTICAST:
		return "UNWANTED_MULTICAST";
	case ZTDP_ERROR_NETWORK_AUTHENTICATION_REQUIRED:
		return "NETWORK_AUTHENTICATION_REQUIRED";
	default:
		return "UNKNOWN";
	}
}

/* ---- Setup ------------------------------------------------------------- */

void ztdp_dump_config_default(struct ztdp_dump_config *c)
{
	memset(c, 0, sizeof(*c));
	c->learn = true;
	c->validate_learned = true;
	c->chunk_signatures = true;
	c->netconf = true;
	c->frames = true;
}

struct ztdp_dump_decoder *ztdp_dump_decoder_create(const struct ztdp_dump_config *c)
{
	struct ztdp_dump_decoder *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->cfg = *c;
	ztdp_reasm_config_default(&d->reasm_cfg);
	d->reasm_cfg.entries = c->reasm_entries ? c->reasm_entries : REASM_DEFAULT_ENTRIES;
	if (d->reasm_cfg.entries > ZTDP_REASM_MAX_ENTRIES)
		d->reasm_cfg.entries = ZTDP_REASM_MAX_ENTRIES;
	/* One underlay 4-tuple may use the whole table: a capture is not an
	 * attack to defend against, and a per-source cap would evict packets
	 * that real receivers (one table per peer path) keep. */
	d->reasm_cfg.per_source = d->reasm_cfg.entries;
	if (c->reasm_timeout_ms)
		d->reasm_cfg.timeout_ms = c->reasm_timeout_ms;
	/* The capture is not adversarial to us in the hash-flooding sense,
	 * and a fixed seed keeps runs reproducible. */
	d->reasm_cfg.hash_seed = 0x7a7464756d70ULL;
	d->reasm = ztdp_reasm_create(&d->reasm_cfg);
	d->pending_cap = d->reasm_cfg.entries;
	d->pending = calloc(d->pending_cap, sizeof(*d->pending));
	d->assembled = malloc(ZTDP_MAX_PACKET_LEN);
	d->work = malloc(ZTDP_MAX_PACKET_LEN);
	d->plain = malloc(ZTDP_MAX_PACKET_LEN);
	d->frame = malloc(FRAME_BUF_LEN);
	if (!c->chunk_signatures)
		d->cfg.netconf = false;
	d->nc = d->cfg.netconf ? ztdp_netconf_alloc() : NULL;
	if (d->reasm == NULL || d->pending == NULL || d->assembled == NULL ||
	    d->work == NULL || d->plain == NULL || d->frame == NULL ||
	    (d->cfg.netconf && d->nc == NULL)) {
		ztdp_dump_decoder_destroy(d);
		return NULL;
	}
	for (unsigned int i = 0; i < CONFIG_TARGETS; i++)
		ztdp_netconf_asm_init(&d->targets[i].a, 0);
	return d;
}

void ztdp_dump_decoder_destroy(struct ztdp_dump_decoder *d)
{
	if (d == NULL)
		return;
	for (unsigned int i = 0; i < CONFIG_TARGETS; i++)
		ztdp_netconf_asm_fini(&d->targets[i].a);
	ztdp_reasm_destroy(d->reasm);
	ztdp_netconf_free(d->nc);
	free(d->pending);
	free(d->assembled);
	free(d->work);
	free(d->plain);
	free(d->frame);
	free(d);
}

void ztdp_dump_decoder_reset(struct ztdp_dump_decoder *d)
{
	ztdp_reasm_clear(d->reasm);
	memset(d->pending, 0, d->pending_cap * sizeof(*d->pending));
	d->npending = 0;
	d->last_ms = 0;
	memset(d->seen, 0, sizeof(d->seen));
	memset(d->pushes, 0, sizeof(d->pushes));
	d->push_next = 0;
	for (unsigned int i = 0; i < CONFIG_TARGETS; i++) {
		ztdp_netconf_asm_fini(&d->targets[i].a);
		ztdp_netconf_asm_init(&d->targets[i].a, 0);
		d->targets[i].used = false;
	}
	memset(&d->st, 0, sizeof(d->st));
}

const struct ztdp_dump_stats *ztdp_dump_decoder_stats(const struct ztdp_dump_decoder *d)
{
	return &d->st;
}

/* ---- Emitting ------------------------------------------------------------ */

static struct ztdp_dump_pkt *rec_begin(struct ztdp_dump_decoder *d,
				       const struct ztdp_dump_dgram *g)
{
	struct ztdp_dump_pkt *r = &d->rec;

	memset(r, 0, sizeof(*r));
	r->hello_id = -1;
	r->pieces = 1;
	if (g != NULL) {
		r->time_us = g->time_us;
		r->record = g->record;
		r->usrc = g->src;
		r->udst = g->dst;
	}
	return r;
}

static void emit(struct ztdp_dump_decoder *d, struct ztdp_dump_pkt *r)
{
	switch (r->status) {
	case ZTDP_DUMP_ST_OK:
		d->st.packets++;
		d->st.authenticated++;
		if (r->have_verb)
			d->st.verbs[r->verb & ZTDP_PKT_VERB_MASK]++;
		break;
	case ZTDP_DUMP_ST_UNDECRYPTABLE:
		d->st.packets++;
		d->st.undecryptable++;
		break;
	case ZTDP_DUMP_ST_AUTH_FAILED:
		d->st.packets++;
		d->st.auth_failed++;
		break;
	case ZTDP_DUMP_ST_MALFORMED:
		d->st.packets++;
		d->st.malformed++;
		break;
	case ZTDP_DUMP_ST_INCOMPLETE:
		d->st.packets++;
		d->st.incomplete++;
		break;
	case ZTDP_DUMP_ST_DROPPED:
		d->st.dropped++;
		break;
	case ZTDP_DUMP_ST_BEACON:
		d->st.beacons++;
		break;
	default:
		break;
	}
	if (r->relay_copy)
		d->st.relay_copies++;
	if (r->frame != NULL)
		d->st.frames++;
	if (d->cfg.emit != NULL)
		d->cfg.emit(d->cfg.arg, r);
}

/* ---- Pending fragmented packets ----------------------------------------- */

static struct pending *pending_find(struct ztdp_dump_decoder *d, uint64_t key, uint64_t id)
{
	for (unsigned int i = 0; i < d->pending_cap && d->npending > 0; i++) {
		struct pending *p = &d->pending[i];

		if (p->used && p->source_key == key && p->packet_id == id)
			return p;
	}
	return NULL;
}

static void pending_report(struct ztdp_dump_decoder *d, struct pending *p, const char *why)
{
	struct ztdp_dump_pkt *r = rec_begin(d, NULL);

	r->status = ZTDP_DUMP_ST_INCOMPLETE;
	r->why = why;
	r->time_us = p->time_us;
	r->record = p->record;
	r->usrc = p->usrc;
	r->udst = p->udst;
	r->packet_id = p->packet_id;
	r->dst = p->dst;
	r->src = p->src;
	r->have_src = p->have_src;
	r->cipher = p->cipher;
	r->hops = p->hops;
	r->pieces = p->pieces;
	r->total = p->total;
	r->wire_len = p->bytes;
	p->used = false;
	d->npending--;
	emit(d, r);
}

/* Same rule as ztdp_reasm_expire, run just before it, so that what
 * reassembly forgets is what gets reported. */
static void pending_expire(struct ztdp_dump_decoder *d, uint64_t now_ms)
{
	for (unsigned int i = 0; i < d->pending_cap && d->npending > 0; i++) {
		struct pending *p = &d->pending[i];

		if (p->used && now_ms >= p->created_ms &&
		    now_ms - p->created_ms >= d->reasm_cfg.timeout_ms)
			pending_report(d, p, "fragments missing (timed out)");
	}
}

static void pending_note(struct ztdp_dump_decoder *d, uint64_t key,
			 const struct ztdp_dump_dgram *g, uint64_t now_ms)
{
	const uint8_t *b = g->data;
	bool head = ztdp_dgram_classify(b, g->len) == ZTDP_DGRAM_PACKET;
	uint64_t id = ztdp_load_be64(b + ZTDP_PKT_IDX_IV);
	struct pending *p = pending_find(d, key, id);

	if (p == NULL) {
		struct pending *oldest = NULL;

		for (unsigned int i = 0; i < d->pending_cap; i++) {
			if (!d->pending[i].used) {
				p = &d->pending[i];
				break;
			}
			if (oldest == NULL || d->pending[i].created_ms < oldest->created_ms)
				oldest = &d->pending[i];
		}
		if (p == NULL) {
			/* Reassembly evicted its oldest entry to take this one. */
			pending_report(d, oldest, "fragments missing (evicted: table full)");
			p = oldest;
		}
		memset(p, 0, sizeof(*p));
		p->used = true;
		p->source_key = key;
		p->packet_id = id;
		p->created_ms = now_ms;
		p->time_us = g->time_us;
		p->record = g->record;
		p->usrc = g->src;
		p->udst = g->dst;
		p->dst = ztdp_load_be40(b + ZTDP_PKT_IDX_DEST);
		d->npending++;
	}
	p->pieces++;
	if (head) {
		p->src = ztdp_packet_source(b);
		p->have_src = true;
		p->cipher = ztdp_packet_cipher(b);
		p->hops = ztdp_packet_hops(b);
		p->bytes += g->len;
	} else {
		p->total = b[ZTDP_FRAG_IDX_COUNTS] >> ZTDP_FRAG_COUNTS_TOTAL_SHIFT;
		p->bytes += g->len - ZTDP_FRAG_HEADER_LEN;
	}
}

void ztdp_dump_decoder_finish(struct ztdp_dump_decoder *d)
{
	for (unsigned int i = 0; i < d->pending_cap && d->npending > 0; i++)
		if (d->pending[i].used)
			pending_report(d, &d->pending[i], "fragments missing at end of capture");
	ztdp_reasm_clear(d->reasm);
}

/* ---- Verbs ---------------------------------------------------------------- */

static void take_frame(struct ztdp_dump_decoder *d, struct ztdp_dump_pkt *r, uint64_t dmac,
		       uint64_t smac, uint16_t ethertype, const uint8_t *data, size_t len)
{
	if (!d->cfg.frames || len > FRAME_BUF_LEN - ETH_HDR_LEN)
		return;
	ztdp_mac_to_bytes(dmac, d->frame);
	ztdp_mac_to_bytes(smac, d->frame + ZTDP_MAC_LEN);
	ztdp_store_be16(d->frame + 2 * ZTDP_MAC_LEN, ethertype);
	memcpy(d->frame + ETH_HDR_LEN, data, len);
	r->frame = d->frame;
	r->frame_len = ETH_HDR_LEN + len;
}

static struct ztdp_netconf_asm *config_target(struct ztdp_dump_decoder *d, uint64_t member)
{
	struct config_target *t = NULL;

	for (unsigned int i = 0; i < CONFIG_TARGETS; i++) {
		struct config_target *c = &d->targets[i];

		if (c->used && c->member == member) {
			t = c;
			break;
		}
		if (t == NULL || !c->used || (t->used && c->lru < t->lru))
			t = c;
	}
	if (!t->used || t->member != member) {
		/* A member not seen lately takes the stalest slot. */
		ztdp_netconf_asm_fini(&t->a);
		ztdp_netconf_asm_init(&t->a, 0);
		t->used = true;
		t->member = member;
	}
	t->lru = ++d->target_clock;
	return &t->a;
}

/* A config chunk (section 6.11): signature, assembly, parse. */
static void take_chunk(struct ztdp_dump_decoder *d, struct ztdp_dump_pkt *r)
{
	const struct ztdp_netconf_chunk *c = &r->b.chunk;
	const struct ztdp_identity *ctl =
		ztdp_dump_keys_find(d->cfg.keys, c->nwid >> 24);
	const uint8_t *dict = NULL;
	size_t dict_len = 0;
	bool legacy_ok;

	d->st.chunks++;
	if (!d->cfg.chunk_signatures)
		return;
	if (c->legacy) {
		r->sig = ZTDP_DUMP_SIG_LEGACY;
	} else if (ctl == NULL) {
		r->sig = ZTDP_DUMP_SIG_NO_CONTROLLER;
		return;
	}
	if (!d->cfg.netconf) {
		if (!c->legacy)
			r->sig = ztdp_netconf_chunk_verify(c, ctl) ? ZTDP_DUMP_SIG_VERIFIED :
								     ZTDP_DUMP_SIG_FAILED;
		return;
	}
	if (ctl == NULL)
		return;		/* legacy, and no controller to vouch for it */
	/* Unsigned chunks only as a direct answer from the controller. */
	legacy_ok = r->verb == ZTDP_VERB_OK && r->src == ctl->address;
	r->chunk_assembled = true;
	r->asm_rc = ztdp_netconf_asm_add(config_target(d, r->dst), c, ctl, legacy_ok,
					 r->packet_id, &dict, &dict_len);
	/* The assembler checks a signed chunk's signature before taking it;
	 * only what it turned away earlier (a duplicate, a conflict) needs
	 * checking here. One Ed25519 verification per chunk, not two. */
	if (!c->legacy) {
		if (r->asm_rc == ZTDP_NCASM_PENDING || r->asm_rc == ZTDP_NCASM_COMPLETE)
			r->sig = ZTDP_DUMP_SIG_VERIFIED;
		else if (r->asm_rc == ZTDP_NCC_ESIG)
			r->sig = ZTDP_DUMP_SIG_FAILED;
		else
			r->sig = ztdp_netconf_chunk_verify(c, ctl) ? ZTDP_DUMP_SIG_VERIFIED :
								     ZTDP_DUMP_SIG_FAILED;
	}
	if (r->asm_rc != ZTDP_NCASM_COMPLETE)
		return;
	r->nc_dict_len = dict_len;
	r->nc_err = ztdp_netconf_decode(dict, dict_len, d->nc, &r->nc_bad_key);
	if (r->nc_err != 0)
		return;
	r->nc = d->nc;
	r->nc_com_verified = d->nc->has_com && ztdp_com_verify(&d->nc->com, ctl);
	d->st.configs++;
}

static void remember_push(struct ztdp_dump_decoder *d, const struct ztdp_dump_pkt *r)
{
	struct push *p = &d->pushes[d->push_next];

	p->packet_id = r->packet_id;
	p->nwid = r->b.chunk.nwid;
	p->update_id = r->b.chunk.update_id;
	d->push_next = (d->push_next + 1) % PUSHES_REMEMBERED;
}

static bool is_push_ack(const struct ztdp_dump_decoder *d, uint64_t in_re_id)
{
	for (unsigned int i = 0; i < PUSHES_REMEMBERED; i++)
		if (d->pushes[i].packet_id == in_re_id && in_re_id != 0)
			return true;
	return false;
}

static void learn(struct ztdp_dump_decoder *d, struct ztdp_dump_pkt *r,
		  const struct ztdp_identity *id, enum ztdp_dump_id_origin origin)
{
	enum ztdp_dump_id_add rc;

	if (!d->cfg.learn)
		return;
	rc = ztdp_dump_keys_learn(d->cfg.keys, id, origin, d->cfg.validate_learned);
	if (rc == ZTDP_DUMP_ID_NEW) {
		r->ids_new++;
		d->st.ids_learned++;
	}
	if (origin == ZTDP_DUMP_ID_HELLO)
		r->hello_id = (int)rc;
}

/* The body of an OK, by the verb it answers. */
static void take_ok(struct ztdp_dump_decoder *d, struct ztdp_dump_pkt *r,
		    const uint8_t *p, size_t n)
{
	int rc = 0;

	switch (r->in_re_verb) {
	case ZTDP_VERB_HELLO:
		rc = ztdp_ok_hello_decode(p, n, &r->b.ok_hello);
		r->body = ZTDP_DUMP_B_OK_HELLO;
		break;
	case ZTDP_VERB_WHOIS:
		rc = ztdp_ok_whois_decode(p, n, &r->b.ok_whois);
		r->body = ZTDP_DUMP_B_OK_WHOIS;
		for (unsigned int i = 0; rc == 0 && i < r->b.ok_whois.count; i++) {
			struct ztdp_identity id;

			if (ztdp_ok_whois_identity(&r->b.ok_whois, i, &id) == 0)
				learn(d, r, &id, ZTDP_DUMP_ID_WHOIS);
		}
		break;
	case ZTDP_VERB_NETWORK_CONFIG_REQUEST:
		rc = ztdp_netconf_chunk_decode(p, n, &r->b.chunk);
		r->body = ZTDP_DUMP_B_CHUNK;
		if (rc == 0)
			take_chunk(d, r);
		break;
	case ZTDP_VERB_MULTICAST_GATHER:
		rc = ztdp_ok_multicast_gather_decode(p, n, &r->b.ok_gather);
		r->body = ZTDP_DUMP_B_OK_GATHER;
		break;
	case ZTDP_VERB_MULTICAST_FRAME:
		rc = ztdp_ok_multicast_frame_decode(p, n, &r->b.ok_mcframe);
		r->body = ZTDP_DUMP_B_OK_MULTICAST_FRAME;
		break;
	case ZTDP_VERB_EXT_FRAME:
		rc = ztdp_ok_ext_frame_decode(p, n, &r->b.ok_ext_frame);
		r->body = ZTDP_DUMP_B_OK_EXT_FRAME;
		break;
	case ZTDP_VERB_ECHO:
		if (n == ZTDP_OK_CONFIG_PUSH_LEN && is_push_ack(d, r->in_re_id)) {
			rc = ztdp_ok_config_push_decode(p, n, &r->b.ok_config_push);
			r->body = ZTDP_DUMP_B_OK_CONFIG_PUSH;
		} else {
			rc = ztdp_echo_decode(p, n, &r->b.echo);
			r->body = ZTDP_DUMP_B_ECHO;
		}
		break;
	default:
		break;
	}
	if (rc != 0) {
		r->body_err = rc;
		r->body = ZTDP_DUMP_B_NONE;
	}
}

/* Decode the payload of an authenticated, decompressed packet. */
static void take_verb(struct ztdp_dump_decoder *d, struct ztdp_dump_pkt *r,
		      uint8_t *pkt, size_t len, const struct ztdp_peer_key *pk)
{
	const uint8_t *p = pkt + ZTDP_PKT_IDX_PAYLOAD;
	size_t n = len - ZTDP_PKT_IDX_PAYLOAD, off;
	struct ztdp_ok ok;
	int rc = 0;

	switch (r->verb) {
	case ZTDP_VERB_HELLO:
		/* cryptField: after the MAC check, with the unmangled key. */
		if (ztdp_hello_crypt_offset(p, n, &off) == 0 && pk != NULL)
			ztdp_hello_cryptfield(pk, pkt, ZTDP_PKT_IDX_PAYLOAD + off, len);
		rc = ztdp_hello_decode(p, n, &r->b.hello);
		r->body = ZTDP_DUMP_B_HELLO;
		break;
	case ZTDP_VERB_OK:
		rc = ztdp_ok_decode(p, n, &ok);
		if (rc == 0) {
			r->has_in_re = true;
			r->in_re_verb = ok.in_re_verb & ZTDP_PKT_VERB_MASK;
			r->in_re_id = ok.in_re_packet_id;
			take_ok(d, r, ok.payload, ok.payload_len);
			return;
		}
		break;
	case ZTDP_VERB_ERROR:
		rc = ztdp_error_decode(p, n, &r->err);
		if (rc == 0) {
			r->has_in_re = true;
			r->in_re_verb = r->err.in_re_verb & ZTDP_PKT_VERB_MASK;
			r->in_re_id = r->err.in_re_packet_id;
		}
		r->body = ZTDP_DUMP_B_ERROR;
		break;
	case ZTDP_VERB_WHOIS:
		rc = ztdp_whois_decode(p, n, &r->b.whois);
		r->body = ZTDP_DUMP_B_WHOIS;
		break;
	case ZTDP_VERB_RENDEZVOUS:
		rc = ztdp_rendezvous_decode(p, n, &r->b.rendezvous);
		r->body = ZTDP_DUMP_B_RENDEZVOUS;
		break;
	case ZTDP_VERB_FRAME:
		rc = ztdp_frame_decode(p, n, &r->b.frame);
		r->body = ZTDP_DUMP_B_FRAME;
		if (rc == 0)
			take_frame(d, r, ztdp_mac_from_address(r->dst, r->b.frame.nwid),
				   ztdp_mac_from_address(r->src, r->b.frame.nwid),
				   r->b.frame.ethertype, r->b.frame.data, r->b.frame.data_len);
		break;
	case ZTDP_VERB_EXT_FRAME:
		rc = ztdp_ext_frame_decode(p, n, &r->b.ext_frame);
		r->body = ZTDP_DUMP_B_EXT_FRAME;
		if (rc == 0)
			take_frame(d, r, r->b.ext_frame.dst_mac, r->b.ext_frame.src_mac,
				   r->b.ext_frame.ethertype, r->b.ext_frame.data,
				   r->b.ext_frame.data_len);
		break;
	case ZTDP_VERB_ECHO:
		rc = ztdp_echo_decode(p, n, &r->b.echo);
		r->body = ZTDP_DUMP_B_ECHO;
		break;
	case ZTDP_VERB_MULTICAST_LIKE:
		rc = ztdp_multicast_like_decode(p, n, &r->b.multicast_like);
		r->body = ZTDP_DUMP_B_MULTICAST_LIKE;
		break;
	case ZTDP_VERB_NETWORK_CREDENTIALS:
		rc = ztdp_network_credentials_decode(p, n, &r->b.creds);
		r->body = ZTDP_DUMP_B_CREDENTIALS;
		break;
	case ZTDP_VERB_NETWORK_CONFIG_REQUEST:
		rc = ztdp_netconf_request_decode(p, n, &r->b.netconf_request);
		r->body = ZTDP_DUMP_B_NETCONF_REQUEST;
		break;
	case ZTDP_VERB_NETWORK_CONFIG:
		rc = ztdp_netconf_chunk_decode(p, n, &r->b.chunk);
		r->body = ZTDP_DUMP_B_CHUNK;
		if (rc == 0) {
			remember_push(d, r);
			take_chunk(d, r);
		}
		break;
	case ZTDP_VERB_MULTICAST_GATHER:
		rc = ztdp_multicast_gather_decode(p, n, &r->b.gather);
		r->body = ZTDP_DUMP_B_GATHER;
		break;
	case ZTDP_VERB_MULTICAST_FRAME:
		rc = ztdp_multicast_frame_decode(p, n, &r->b.mcframe);
		r->body = ZTDP_DUMP_B_MULTICAST_FRAME;
		if (rc == 0) {
			const struct ztdp_multicast_frame *m = &r->b.mcframe;
			uint64_t smac = (m->flags & ZTDP_MC_FRAME_FLAG_SOURCE_MAC) ?
					m->src_mac : ztdp_mac_from_address(r->src, m->nwid);

			take_frame(d, r, m->group.mac, smac, m->ethertype, m->data,
				   m->data_len);
		}
		break;
	case ZTDP_VERB_PUSH_DIRECT_PATHS:
		rc = ztdp_push_direct_paths_decode(p, n, &r->b.pdp);
		r->body = ZTDP_DUMP_B_PUSH_DIRECT_PATHS;
		break;
	case ZTDP_VERB_USER_MESSAGE:
		rc = ztdp_user_message_decode(p, n, &r->b.user_message);
		r->body = ZTDP_DUMP_B_USER_MESSAGE;
		break;
	default:
		break;
	}
	if (rc != 0) {
		r->body_err = rc;
		if (r->body != ZTDP_DUMP_B_ERROR)
			r->body = ZTDP_DUMP_B_NONE;
	}
}

/* Authenticated plaintext in a buffer of ours (writable, at least
 * ZTDP_MAX_PACKET_LEN): decompress, decode, emit. */
static void take_plain(struct ztdp_dump_decoder *d, struct ztdp_dump_pkt *r, uint8_t *pkt,
		       size_t len, const struct ztdp_peer_key *pk)
{
	r->authenticated = true;
	r->have_verb = true;
	r->compressed = ztdp_packet_is_compressed(pkt);
	if (r->compressed) {
		int n = ztdp_packet_decompress(pkt, len, d->plain, ZTDP_MAX_PACKET_LEN);

		r->verb = (uint8_t)ztdp_packet_verb(pkt);
		if (n < 0) {
			r->status = ZTDP_DUMP_ST_MALFORMED;
			r->why = "LZ4 payload does not decompress";
			r->pkt = pkt;
			r->len = len;
			emit(d, r);
			return;
		}
		pkt = d->plain;
		len = (size_t)n;
	}
	r->verb = (uint8_t)ztdp_packet_verb(pkt);
	pkt[ZTDP_PKT_IDX_VERB] = r->verb;
	r->pkt = pkt;
	r->len = len;
	take_verb(d, r, pkt, len, pk);
	emit(d, r);
}

/* ---- Packets ---------------------------------------------------------------- */

static void take_header(struct ztdp_dump_pkt *r, const uint8_t *wire, size_t len)
{
	r->packet_id = ztdp_packet_id(wire);
	r->dst = ztdp_packet_dest(wire);
	r->src = ztdp_packet_source(wire);
	r->have_src = true;
	r->cipher = ztdp_packet_cipher(wire);
	r->hops = ztdp_packet_hops(wire);
	r->wire_len = len;
}

/* Mark (and remember) a packet seen before on another underlay hop. */
static void check_seen(struct ztdp_dump_decoder *d, struct ztdp_dump_pkt *r)
{
	struct seen *s = &d->seen[mix64(r->packet_id ^ r->src << 24 ^ r->dst) & (SEEN_SLOTS - 1)];

	if (s->used && s->packet_id == r->packet_id && s->src == r->src && s->dst == r->dst) {
		r->relay_copy = true;
		return;
	}
	s->used = true;
	s->packet_id = r->packet_id;
	s->src = r->src;
	s->dst = r->dst;
}

static const char *armor_why(int rc)
{
	switch (rc) {
	case ZTDP_ARMOR_EAUTH:
		return "MAC does not verify";
	case ZTDP_ARMOR_ESUITE:
		return "cipher suite not accepted (trusted path, or suite 0 for a verb other than HELLO)";
	case ZTDP_ARMOR_EINVAL:
		return "bad length or unknown cipher suite";
	case ZTDP_ARMOR_ENOMEM:
		return "out of memory";
	default:
		return "dearmor failed";
	}
}

/* An unauthenticated HELLO: its clear part (up to the cryptField) still
 * says who sent it and what it runs. Shown, marked unauthenticated. */
static void take_clear_hello(struct ztdp_dump_pkt *r, const uint8_t *wire, size_t len)
{
	const uint8_t *p = wire + ZTDP_PKT_IDX_PAYLOAD;
	size_t n = len - ZTDP_PKT_IDX_PAYLOAD, off;

	if (ztdp_hello_crypt_offset(p, n, &off) == 0 &&
	    ztdp_hello_decode(p, off, &r->b.hello) == 0)
		r->body = ZTDP_DUMP_B_HELLO;
}

/* A whole packet as it came off the wire (wire_len within 28..max). */
static void take_packet(struct ztdp_dump_decoder *d, struct ztdp_dump_pkt *r,
			const uint8_t *wire, size_t len)
{
	const struct ztdp_peer_key *pk = NULL;
	struct ztdp_peer_key oneoff;
	bool have_oneoff = false;
	enum ztdp_dump_nokey why = ZTDP_DUMP_NOKEY_NONE;
	int rc;

	take_header(r, wire, len);
	check_seen(d, r);

	/* HELLO travels with suite 0: verb and identity are in clear. */
	if (r->cipher == ZTDP_CIPHER_POLY1305_NONE &&
	    ztdp_packet_verb(wire) == ZTDP_VERB_HELLO) {
		struct ztdp_identity hid;
		const size_t off = ZTDP_PKT_IDX_PAYLOAD + ZTDP_HELLO_IDX_IDENTITY;
		const struct ztdp_identity *known;

		r->have_verb = true;
		r->verb = ZTDP_VERB_HELLO;
		memset(&hid, 0, sizeof(hid));
		if (len > off && ztdp_identity_deserialize(&hid, wire + off, len - off) > 0 &&
		    !hid.has_private && hid.address == r->src) {
			learn(d, r, &hid, ZTDP_DUMP_ID_HELLO);
			known = ztdp_dump_keys_find(d->cfg.keys, r->src);
			if (r->hello_id == ZTDP_DUMP_ID_INVALID) {
				r->status = ZTDP_DUMP_ST_AUTH_FAILED;
				r->why = "HELLO identity fails its address derivation";
				emit(d, r);
				return;
			}
			if (known == NULL || memcmp(known->pub, hid.pub, sizeof(hid.pub)) != 0) {
				/* Not learned (learning off) or colliding: a
				 * receiver checks the MAC with the carried key. */
				r->identity_collision = known != NULL;
				if (ztdp_dump_keys_peer_with(d->cfg.keys, r->dst, &hid, &oneoff,
							     &why) == 0) {
					pk = &oneoff;
					have_oneoff = true;
				}
			}
		}
	}
	if (pk == NULL && why == ZTDP_DUMP_NOKEY_NONE)
		pk = ztdp_dump_keys_peer(d->cfg.keys, r->src, r->dst, &why);
	if (pk == NULL) {
		r->status = ZTDP_DUMP_ST_UNDECRYPTABLE;
		r->why = ztdp_dump_nokey_str(why);
		if (r->have_verb)
			take_clear_hello(r, wire, len);
		emit(d, r);
		return;
	}
	memcpy(d->work, wire, len);
	rc = ztdp_dearmor(pk, d->work, len);
	if (rc < 0) {
		r->status = ZTDP_DUMP_ST_AUTH_FAILED;
		r->why = armor_why(rc);
		emit(d, r);
	} else {
		take_plain(d, r, d->work, len, pk);	/* emits */
	}
	if (have_oneoff)
		ztdp_peer_key_clear(&oneoff);
}

/* Reassembly's key for a datagram: the underlay 4-tuple, so that the two
 * copies of a relayed packet (to the relay, from it) stay apart. */
static uint64_t source_key(const struct ztdp_dump_dgram *g)
{
	uint64_t h = 0x736f75726365ULL;

	for (int i = 0; i < 16; i += 8) {
		h = mix64(h ^ ztdp_load_be64(g->src.ip + i));
		h = mix64(h ^ ztdp_load_be64(g->dst.ip + i));
	}
	return mix64(h ^ (uint64_t)g->src.port << 16 ^ g->dst.port ^
		     (uint64_t)g->src.family << 32 ^ (uint64_t)g->dst.family << 40);
}

static void take_piece(struct ztdp_dump_decoder *d, const struct ztdp_dump_dgram *g,
		       uint64_t now_ms)
{
	uint64_t key = source_key(g);
	size_t alen = 0;
	struct pending *p;
	struct ztdp_dump_pkt *r;
	unsigned int pieces = 1;
	int rc;

	d->st.pieces++;
	rc = ztdp_reasm_add(d->reasm, key, g->data, g->len, now_ms, d->assembled,
			    ZTDP_MAX_PACKET_LEN, &alen);
	if (rc == ZTDP_REASM_PENDING) {
		pending_note(d, key, g, now_ms);
		return;
	}
	r = rec_begin(d, g);
	if (rc < 0) {
		/* The piece, not a packet: what it says of itself. */
		r->status = ZTDP_DUMP_ST_DROPPED;
		r->why = ztdp_reasm_drop_name((enum ztdp_reasm_drop)-rc);
		r->packet_id = ztdp_load_be64(g->data);
		r->dst = ztdp_load_be40(g->data + ZTDP_PKT_IDX_DEST);
		if (ztdp_dgram_classify(g->data, g->len) == ZTDP_DGRAM_PACKET) {
			take_header(r, g->data, g->len);
		} else {
			r->total = g->data[ZTDP_FRAG_IDX_COUNTS] >> ZTDP_FRAG_COUNTS_TOTAL_SHIFT;
			r->hops = ztdp_fragment_hops(g->data);
			r->wire_len = g->len;
		}
		emit(d, r);
		return;
	}
	p = pending_find(d, key, ztdp_load_be64(g->data));
	if (p != NULL) {
		pieces += p->pieces;
		p->used = false;
		d->npending--;
	}
	d->st.reassembled++;
	r->pieces = pieces;
	take_packet(d, r, d->assembled, alen);
}

void ztdp_dump_decode_datagram(struct ztdp_dump_decoder *d, const struct ztdp_dump_dgram *g)
{
	uint64_t now_ms = g->time_us / 1000;
	struct ztdp_dump_pkt *r;

	/* Captures merged from several interfaces may step back in time;
	 * reassembly's clock must not. */
	if (now_ms < d->last_ms)
		now_ms = d->last_ms;
	d->last_ms = now_ms;
	d->st.datagrams++;
	if (d->npending > 0)
		pending_expire(d, now_ms);

	switch (ztdp_dgram_classify(g->data, g->len)) {
	case ZTDP_DGRAM_BEACON:
		r = rec_begin(d, g);
		r->status = ZTDP_DUMP_ST_BEACON;
		r->src = ztdp_load_be40(g->data + ZTDP_PKT_IDX_IV + 8);
		r->have_src = true;
		r->wire_len = g->len;
		emit(d, r);
		break;
	case ZTDP_DGRAM_FRAGMENT:
		take_piece(d, g, now_ms);
		break;
	case ZTDP_DGRAM_PACKET:
		if (ztdp_packet_is_fragmented(g->data)) {
			take_piece(d, g, now_ms);
			break;
		}
		if (g->len > ZTDP_MAX_PACKET_LEN) {
			/* No sender makes these; dearmor would refuse it. */
			r = rec_begin(d, g);
			take_header(r, g->data, g->len);
			r->status = ZTDP_DUMP_ST_AUTH_FAILED;
			r->why = "longer than the largest packet";
			emit(d, r);
			break;
		}
		take_packet(d, rec_begin(d, g), g->data, g->len);
		break;
	case ZTDP_DGRAM_SHORT:
	case ZTDP_DGRAM_JUNK:
	default:
		d->st.not_zerotier++;
		break;
	}
}

void ztdp_dump_decode_plain(struct ztdp_dump_decoder *d, const struct ztdp_dump_dgram *g)
{
	struct ztdp_dump_pkt *r;

	d->st.datagrams++;
	if (g->len < ZTDP_PKT_MIN_LEN || g->len > ZTDP_MAX_PACKET_LEN) {
		d->st.not_zerotier++;
		return;
	}
	r = rec_begin(d, g);
	take_header(r, g->data, g->len);
	check_seen(d, r);
	memcpy(d->work, g->data, g->len);
	take_plain(d, r, d->work, g->len, NULL);
}
