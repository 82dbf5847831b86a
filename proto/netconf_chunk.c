/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network config chunks (protocol notes section 6.11): codec, signature,
 * controller-side chunker and member-side assembler. See
 * ztdp_netconf_chunk.h.
 */
#include <stdlib.h>
#include <string.h>

#include "ztdp_netconf_chunk.h"

const char *ztdp_netconf_chunk_strerror(int err)
{
	switch (err) {
	case ZTDP_NCC_OK:
		return "ok";
	case ZTDP_NCC_ETRUNC:
		return "truncated";
	case ZTDP_NCC_EINVAL:
		return "invalid field";
	case ZTDP_NCC_ENOSPC:
		return "no room in output";
	case ZTDP_NCC_ESIG:
		return "bad signature";
	case ZTDP_NCC_ELEGACY:
		return "unsigned legacy chunk not accepted";
	case ZTDP_NCC_ETOOBIG:
		return "config larger than capacity";
	case ZTDP_NCC_ECONFLICT:
		return "chunk conflicts with chunks held";
	case ZTDP_NCC_ELIMIT:
		return "too many chunks for one update";
	case ZTDP_NCC_ENOMEM:
		return "out of memory";
	case ZTDP_NCC_EKEY:
		return "no private key";
	}
	return "unknown error";
}

/* ---- Codec ------------------------------------------------------------------ */

int ztdp_netconf_chunk_decode(const uint8_t *p, size_t len,
			      struct ztdp_netconf_chunk *c)
{
	struct ztdp_rd r;

	memset(c, 0, sizeof(*c));
	ztdp_rd_init(&r, p, len);
	c->nwid = ztdp_rd_u64(&r);
	c->data_len = ztdp_rd_u16(&r);
	c->data = ztdp_rd_take(&r, c->data_len);
	if (!ztdp_rd_ok(&r))
		return ZTDP_NCC_ETRUNC;
	if (ztdp_rd_left(&r) == 0) {
		/* Legacy: no tail at all (section 6.11). */
		c->legacy = true;
		c->total_len = c->data_len;
		return ZTDP_NCC_OK;
	}
	c->flags = ztdp_rd_u8(&r);
	c->update_id = ztdp_rd_u64(&r);
	c->total_len = ztdp_rd_u32(&r);
	c->index = ztdp_rd_u32(&r);
	c->signed_region = p;
	c->signed_len = r.off;
	c->sig_type = ztdp_rd_u8(&r);
	c->sig_len = ztdp_rd_u16(&r);
	c->sig = ztdp_rd_take(&r, c->sig_len);
	if (!ztdp_rd_ok(&r))
		return ZTDP_NCC_ETRUNC;
	/* 64-bit sum: index near 2^32 must not wrap past the check. */
	if ((uint64_t)c->index + c->data_len > c->total_len)
		return ZTDP_NCC_EINVAL;
	return ZTDP_NCC_OK;
}

static void put_signed_region(struct ztdp_wr *w, uint64_t nwid,
			      const uint8_t *data, uint16_t len, uint8_t flags,
			      uint64_t update_id, uint32_t total, uint32_t index)
{
	ztdp_wr_u64(w, nwid);
	ztdp_wr_u16(w, len);
	if (len > 0)
		ztdp_wr_bytes(w, data, len);
	ztdp_wr_u8(w, flags);
	ztdp_wr_u64(w, update_id);
	ztdp_wr_u32(w, total);
	ztdp_wr_u32(w, index);
}

int ztdp_netconf_chunk_encode(struct ztdp_wr *w,
			      const struct ztdp_netconf_chunk *c)
{
	if (c->data == NULL && c->data_len > 0)
		return ZTDP_NCC_EINVAL;
	if (c->legacy) {
		ztdp_wr_u64(w, c->nwid);
		ztdp_wr_u16(w, c->data_len);
		if (c->data_len > 0)
			ztdp_wr_bytes(w, c->data, c->data_len);
		return ztdp_wr_ok(w) ? ZTDP_NCC_OK : ZTDP_NCC_ENOSPC;
	}
	if (c->sig == NULL && c->sig_len > 0)
		return ZTDP_NCC_EINVAL;
	put_signed_region(w, c->nwid, c->data, c->data_len, c->flags,
			  c->update_id, c->total_len, c->index);
	ztdp_wr_u8(w, c->sig_type);
	ztdp_wr_u16(w, c->sig_len);
	if (c->sig_len > 0)
		ztdp_wr_bytes(w, c->sig, c->sig_len);
	return ztdp_wr_ok(w) ? ZTDP_NCC_OK : ZTDP_NCC_ENOSPC;
}

bool ztdp_netconf_chunk_verify(const struct ztdp_netconf_chunk *c,
			       const struct ztdp_identity *controller)
{
	if (c->legacy || controller == NULL || c->signed_region == NULL)
		return false;
	if (c->sig_type != ZTDP_NETCONF_CHUNK_SIG_TYPE_C25519 ||
	    c->sig_len != ZTDP_C25519_SIGNATURE_LEN || c->sig == NULL)
		return false;
	/* 1.14.1 checks the signature with the identity of nwid's controller;
	 * a caller passing another identity is a bug we can catch here. */
	if (controller->address != c->nwid >> 24)
		return false;
	return ztdp_identity_verify(controller, c->signed_region, c->signed_len,
				    c->sig, c->sig_len);
}

int ztdp_netconf_chunk_sign_encode(struct ztdp_wr *w,
				   const struct ztdp_identity *controller,
				   uint64_t nwid, uint8_t flags,
				   uint64_t update_id, uint32_t total,
				   uint32_t index, const uint8_t *data,
				   uint16_t len)
{
	uint8_t sig[ZTDP_C25519_SIGNATURE_LEN];
	size_t start = w->off;

	if (!controller->has_private)
		return ZTDP_NCC_EKEY;
	if ((data == NULL && len > 0) || (uint64_t)index + len > total)
		return ZTDP_NCC_EINVAL;
	put_signed_region(w, nwid, data, len, flags, update_id, total, index);
	if (!ztdp_wr_ok(w))
		return ZTDP_NCC_ENOSPC;
	/* Sign the bytes as written, so what is signed is what is sent. */
	if (ztdp_identity_sign(controller, w->p + start, w->off - start, sig) != 0)
		return ZTDP_NCC_EKEY;
	ztdp_wr_u8(w, ZTDP_NETCONF_CHUNK_SIG_TYPE_C25519);
	ztdp_wr_u16(w, ZTDP_C25519_SIGNATURE_LEN);
	ztdp_wr_bytes(w, sig, sizeof(sig));
	return ztdp_wr_ok(w) ? ZTDP_NCC_OK : ZTDP_NCC_ENOSPC;
}

/* ---- Chunker ----------------------------------------------------------------- */

int ztdp_netconf_chunker_init(struct ztdp_netconf_chunker *ch,
			      const struct ztdp_identity *signer,
			      uint64_t nwid, uint64_t update_id, uint8_t flags,
			      const uint8_t *dict, size_t dict_len,
			      uint16_t max_data)
{
	memset(ch, 0, sizeof(*ch));
	if (signer == NULL || dict == NULL || dict_len == 0 ||
	    dict_len >= UINT32_MAX)
		return ZTDP_NCC_EINVAL;
	if (!signer->has_private)
		return ZTDP_NCC_EKEY;
	ch->signer = signer;
	ch->nwid = nwid;
	ch->update_id = update_id != 0 ? update_id : 1;
	ch->flags = flags;
	ch->dict = dict;
	ch->dict_len = (uint32_t)dict_len;
	ch->max_data = max_data != 0 ? max_data : ZTDP_NETCONF_CHUNK_MAX_DATA;
	return ZTDP_NCC_OK;
}

int ztdp_netconf_chunker_next(struct ztdp_netconf_chunker *ch,
			      struct ztdp_wr *w)
{
	uint32_t left = ch->dict_len - ch->next;
	uint16_t n = left < ch->max_data ? (uint16_t)left : ch->max_data;
	size_t start = w->off;
	int rc;

	if (left == 0)
		return 0;
	if (!ztdp_wr_ok(w))
		return ZTDP_NCC_ENOSPC;
	rc = ztdp_netconf_chunk_sign_encode(w, ch->signer, ch->nwid, ch->flags,
					    ch->update_id, ch->dict_len,
					    ch->next, ch->dict + ch->next, n);
	if (rc != ZTDP_NCC_OK) {
		/* Leave the writer as it was so the caller can retry. */
		w->off = start;
		w->err = false;
		return rc;
	}
	ch->next += n;
	return 1;
}

/* ---- Assembler ------------------------------------------------------------------ */

void ztdp_netconf_asm_init(struct ztdp_netconf_asm *a, size_t capacity)
{
	memset(a, 0, sizeof(*a));
	a->capacity = capacity != 0 ? capacity : ZTDP_DICT_MAX_LEN;
}

static void slot_free(struct ztdp_netconf_asm_slot *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

void ztdp_netconf_asm_fini(struct ztdp_netconf_asm *a)
{
	for (int i = 0; i < ZTDP_NETCONF_MAX_INCOMING_UPDATES; i++)
		slot_free(&a->slot[i]);
}

static struct ztdp_netconf_asm_slot *slot_find(struct ztdp_netconf_asm *a,
					       uint64_t nwid, uint64_t update_id)
{
	for (int i = 0; i < ZTDP_NETCONF_MAX_INCOMING_UPDATES; i++) {
		struct ztdp_netconf_asm_slot *s = &a->slot[i];

		if (s->in_use && s->update_id == update_id && s->nwid == nwid)
			return s;
	}
	return NULL;
}

/* A free slot, else the least recently touched one (its update is lost). */
static struct ztdp_netconf_asm_slot *slot_victim(struct ztdp_netconf_asm *a)
{
	struct ztdp_netconf_asm_slot *v = &a->slot[0];

	for (int i = 0; i < ZTDP_NETCONF_MAX_INCOMING_UPDATES; i++) {
		struct ztdp_netconf_asm_slot *s = &a->slot[i];

		if (!s->in_use)
			return s;
		if (s->lru < v->lru)
			v = s;
	}
	return v;
}

/*
 * How [start, end) relates to what the slot holds: *covered = bytes already
 * present; *conflict if any of them differ from data; *merged_ranges = the
 * range count after adding it.
 */
static void range_check(const struct ztdp_netconf_asm_slot *s, uint32_t start,
			uint32_t end, const uint8_t *data, uint32_t *covered,
			bool *conflict, unsigned int *merged_ranges)
{
	unsigned int touching = 0;

	*covered = 0;
	*conflict = false;
	for (unsigned int i = 0; i < s->nranges; i++) {
		uint32_t rs = s->ranges[i].start, re = s->ranges[i].end;
		uint32_t os = rs > start ? rs : start;
		uint32_t oe = re < end ? re : end;

		/* Ranges that overlap or abut merge with the new one. */
		if (rs <= end && start <= re)
			touching++;
		if (os < oe) {
			*covered += oe - os;
			if (memcmp(s->buf + os, data + (os - start), oe - os) != 0)
				*conflict = true;
		}
	}
	*merged_ranges = s->nranges + 1 - touching;
}

/* Add [start, end) to the sorted, disjoint, non-abutting range list. */
static void range_add(struct ztdp_netconf_asm_slot *s, uint32_t start,
		      uint32_t end)
{
	unsigned int i = 0, j, k;

	while (i < s->nranges && s->ranges[i].end < start)
		i++;
	/* ranges[i..j) touch [start, end). */
	j = i;
	while (j < s->nranges && s->ranges[j].start <= end) {
		if (s->ranges[j].start < start)
			start = s->ranges[j].start;
		if (s->ranges[j].end > end)
			end = s->ranges[j].end;
		j++;
	}
	if (j == i) {
		/* Insert at i. */
		for (k = s->nranges; k > i; k--)
			s->ranges[k] = s->ranges[k - 1];
		s->nranges++;
	} else if (j > i + 1) {
		/* Collapse ranges[i..j) into one at i. */
		for (k = i + 1; j + (k - i - 1) < s->nranges; k++)
			s->ranges[k] = s->ranges[j + (k - i - 1)];
		s->nranges -= j - i - 1;
	}
	s->ranges[i].start = start;
	s->ranges[i].end = end;
}

static int asm_complete(struct ztdp_netconf_asm_slot *s, const uint8_t **dict,
			size_t *dict_len)
{
	s->complete = true;
	s->buf[s->total_len] = 0;
	*dict = s->buf;
	*dict_len = s->total_len;
	return ZTDP_NCASM_COMPLETE;
}

int ztdp_netconf_asm_add(struct ztdp_netconf_asm *a,
			 const struct ztdp_netconf_chunk *c,
			 const struct ztdp_identity *controller,
			 bool legacy_ok, uint64_t legacy_update_id,
			 const uint8_t **dict, size_t *dict_len)
{
	struct ztdp_netconf_asm_slot *s;
	uint64_t update_id = c->legacy ? legacy_update_id : c->update_id;
	uint32_t start = c->legacy ? 0 : c->index;
	uint32_t total = c->legacy ? c->data_len : c->total_len;
	uint32_t end, covered = 0;
	unsigned int merged = 1;
	bool conflict = false;
	uint8_t *buf;

	if (c->data == NULL && c->data_len > 0)
		return ZTDP_NCC_EINVAL;
	if ((uint64_t)start + c->data_len > total)
		return ZTDP_NCC_EINVAL;
	/* >=: room for the NUL, as 1.14.1. */
	if (total >= a->capacity)
		return ZTDP_NCC_ETOOBIG;
	if (c->legacy && !legacy_ok)
		return ZTDP_NCC_ELEGACY;
	end = start + c->data_len;

	s = slot_find(a, c->nwid, update_id);
	if (s != NULL) {
		if (s->total_len != total)
			return ZTDP_NCC_ECONFLICT;
		range_check(s, start, end, c->data, &covered, &conflict, &merged);
		if (conflict)
			return ZTDP_NCC_ECONFLICT;
		/* Cheap test before the signature check, as 1.14.1 does. */
		if (covered == c->data_len) {
			s->lru = ++a->clock;
			return ZTDP_NCASM_DUPLICATE;
		}
		if (merged > ZTDP_NETCONF_ASM_MAX_RANGES ||
		    s->chunks >= ZTDP_NETCONF_ASM_MAX_CHUNKS)
			return ZTDP_NCC_ELIMIT;
	}
	if (!c->legacy && !ztdp_netconf_chunk_verify(c, controller))
		return ZTDP_NCC_ESIG;

	if (s == NULL) {
		buf = malloc((size_t)total + 1);
		if (buf == NULL)
			return ZTDP_NCC_ENOMEM;
		s = slot_victim(a);
		slot_free(s);
		s->in_use = true;
		s->nwid = c->nwid;
		s->update_id = update_id;
		s->total_len = total;
		s->buf = buf;
	}
	s->lru = ++a->clock;
	if (c->data_len > 0) {
		memcpy(s->buf + start, c->data, c->data_len);
		range_add(s, start, end);
		s->have_bytes += c->data_len - covered;
		s->chunks++;
	}
	/* An empty config (total 0) is complete with its first chunk. */
	if (s->have_bytes == s->total_len && !s->complete)
		return asm_complete(s, dict, dict_len);
	return ZTDP_NCASM_PENDING;
}
