/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multicast verbs: MULTICAST_LIKE (protocol notes section 6.8),
 * MULTICAST_GATHER and its OK (6.12), MULTICAST_FRAME and its OK (6.13).
 */
#include <string.h>

#include "verbs_internal.h"

/* ---- MULTICAST_LIKE ------------------------------------------------------ */

int ztdp_multicast_like_decode(const uint8_t *p, size_t len,
			       struct ztdp_multicast_like *m)
{
	memset(m, 0, sizeof(*m));
	/* 1.14.1 would take the whole records before a partial one and then
	 * fail; a partial record means the packet is not what it claims. */
	if (len % ZTDP_MC_LIKE_REC_LEN != 0)
		return ZTDP_VERBS_ETRUNC;
	m->count = (unsigned int)(len / ZTDP_MC_LIKE_REC_LEN);
	m->raw = p;
	return ZTDP_VERBS_OK;
}

void ztdp_multicast_like_get(const struct ztdp_multicast_like *m,
			     unsigned int i, struct ztdp_multicast_like_rec *r)
{
	const uint8_t *q;

	if (i >= m->count) {
		memset(r, 0, sizeof(*r));
		return;
	}
	if (m->recs != NULL) {
		*r = m->recs[i];
		return;
	}
	q = m->raw + (size_t)i * ZTDP_MC_LIKE_REC_LEN;
	r->nwid = ztdp_load_be64(q);
	r->group.mac = vb_load_mac(q + ZTDP_NWID_LEN);
	r->group.adi = ztdp_load_be32(q + ZTDP_NWID_LEN + ZTDP_MAC_LEN);
}

int ztdp_multicast_like_encode_rec(struct ztdp_wr *w,
				   const struct ztdp_multicast_like_rec *r)
{
	if (r->group.mac > VB_MAC_MAX)
		return ZTDP_VERBS_EINVAL;
	ztdp_wr_u64(w, r->nwid);
	vb_wr_group(w, &r->group);
	return vb_wr_result(w);
}

int ztdp_multicast_like_encode(struct ztdp_wr *w,
			       const struct ztdp_multicast_like *m)
{
	int rc;

	if (m->recs == NULL) {
		if (m->count > 0 && m->raw == NULL)
			return ZTDP_VERBS_EINVAL;
		vb_wr_opt_bytes(w, m->raw, (size_t)m->count * ZTDP_MC_LIKE_REC_LEN);
		return vb_wr_result(w);
	}
	for (unsigned int i = 0; i < m->count; i++) {
		rc = ztdp_multicast_like_encode_rec(w, &m->recs[i]);
		if (rc != ZTDP_VERBS_OK)
			return rc;
	}
	return ZTDP_VERBS_OK;
}

/* ---- MULTICAST_GATHER ------------------------------------------------------ */

int ztdp_multicast_gather_decode(const uint8_t *p, size_t len,
				 struct ztdp_multicast_gather *m)
{
	struct ztdp_rd r;

	memset(m, 0, sizeof(*m));
	ztdp_rd_init(&r, p, len);
	m->nwid = ztdp_rd_u64(&r);
	m->flags = ztdp_rd_u8(&r);
	vb_rd_group(&r, &m->group);
	m->limit = ztdp_rd_u32(&r);
	if (!ztdp_rd_ok(&r))
		return ZTDP_VERBS_ETRUNC;
	/* 1.14.1 discards a bad COM and still answers the gather; as a
	 * decoder we say the payload is not what its flags claim. */
	if (m->flags & ZTDP_MC_GATHER_FLAG_COM)
		return ztdp_verbs_take_com_(&r, &m->com, &m->com_len);
	return ZTDP_VERBS_OK;
}

int ztdp_multicast_gather_encode(struct ztdp_wr *w,
				 const struct ztdp_multicast_gather *m)
{
	bool com = (m->flags & ZTDP_MC_GATHER_FLAG_COM) != 0;

	if (m->group.mac > VB_MAC_MAX)
		return ZTDP_VERBS_EINVAL;
	if (com && (m->com == NULL || m->com_len == 0))
		return ZTDP_VERBS_EINVAL;
	ztdp_wr_u64(w, m->nwid);
	ztdp_wr_u8(w, m->flags);
	vb_wr_group(w, &m->group);
	ztdp_wr_u32(w, m->limit);
	if (com)
		ztdp_wr_bytes(w, m->com, m->com_len);
	return vb_wr_result(w);
}

/* ---- Gather results (OK(MULTICAST_GATHER), OK(MULTICAST_FRAME)) ------------ */

static int take_gather_results(struct ztdp_rd *r, struct ztdp_gather_results *g)
{
	g->total_known = ztdp_rd_u32(r);
	g->count = ztdp_rd_u16(r);
	g->raw = ztdp_rd_take(r, (size_t)g->count * ZTDP_ADDRESS_LEN);
	g->addrs = NULL;
	return vb_rd_result(r);
}

static int put_gather_results(struct ztdp_wr *w,
			      const struct ztdp_gather_results *g)
{
	ztdp_wr_u32(w, g->total_known);
	ztdp_wr_u16(w, g->count);
	return ztdp_verbs_write_addrs_(w, g->count, g->addrs, g->raw);
}

uint64_t ztdp_gather_results_address(const struct ztdp_gather_results *g,
				     unsigned int i)
{
	if (i >= g->count)
		return 0;
	if (g->addrs != NULL)
		return g->addrs[i];
	return ztdp_load_be40(g->raw + (size_t)i * ZTDP_ADDRESS_LEN);
}

int ztdp_ok_multicast_gather_decode(const uint8_t *p, size_t len,
				    struct ztdp_ok_multicast_gather *o)
{
	struct ztdp_rd r;

	memset(o, 0, sizeof(*o));
	ztdp_rd_init(&r, p, len);
	o->nwid = ztdp_rd_u64(&r);
	vb_rd_group(&r, &o->group);
	return take_gather_results(&r, &o->res);
}

int ztdp_ok_multicast_gather_encode(struct ztdp_wr *w,
				    const struct ztdp_ok_multicast_gather *o)
{
	if (o->group.mac > VB_MAC_MAX)
		return ZTDP_VERBS_EINVAL;
	ztdp_wr_u64(w, o->nwid);
	vb_wr_group(w, &o->group);
	return put_gather_results(w, &o->res);
}

/* ---- MULTICAST_FRAME ----------------------------------------------------------- */

int ztdp_multicast_frame_decode(const uint8_t *p, size_t len,
				struct ztdp_multicast_frame *f)
{
	struct ztdp_rd r;
	int rc;

	ztdp_rd_init(&r, p, len);
	f->nwid = ztdp_rd_u64(&r);
	f->flags = ztdp_rd_u8(&r);
	f->com = NULL;
	f->com_len = 0;
	f->gather_limit = 0;
	f->src_mac = 0;
	if (f->flags & ZTDP_MC_FRAME_FLAG_COM) {
		rc = ztdp_verbs_take_com_(&r, &f->com, &f->com_len);
		if (rc != ZTDP_VERBS_OK)
			return rc;
	}
	if (f->flags & ZTDP_MC_FRAME_FLAG_GATHER_LIMIT)
		f->gather_limit = ztdp_rd_u32(&r);
	if (f->flags & ZTDP_MC_FRAME_FLAG_SOURCE_MAC)
		f->src_mac = vb_rd_mac(&r);
	vb_rd_group(&r, &f->group);
	f->ethertype = ztdp_rd_u16(&r);
	f->data = vb_rd_rest(&r, &f->data_len);
	return vb_rd_result(&r);
}

int ztdp_multicast_frame_encode_header(struct ztdp_wr *w,
				       const struct ztdp_multicast_frame *f)
{
	bool com = (f->flags & ZTDP_MC_FRAME_FLAG_COM) != 0;

	if (f->group.mac > VB_MAC_MAX || f->src_mac > VB_MAC_MAX)
		return ZTDP_VERBS_EINVAL;
	if (com && (f->com == NULL || f->com_len == 0))
		return ZTDP_VERBS_EINVAL;
	ztdp_wr_u64(w, f->nwid);
	ztdp_wr_u8(w, f->flags);
	if (com)
		ztdp_wr_bytes(w, f->com, f->com_len);
	if (f->flags & ZTDP_MC_FRAME_FLAG_GATHER_LIMIT)
		ztdp_wr_u32(w, f->gather_limit);
	if (f->flags & ZTDP_MC_FRAME_FLAG_SOURCE_MAC)
		vb_wr_mac(w, f->src_mac);
	vb_wr_group(w, &f->group);
	ztdp_wr_u16(w, f->ethertype);
	return vb_wr_result(w);
}

int ztdp_multicast_frame_encode(struct ztdp_wr *w,
				const struct ztdp_multicast_frame *f)
{
	int rc;

	if (f->data == NULL && f->data_len > 0)
		return ZTDP_VERBS_EINVAL;
	rc = ztdp_multicast_frame_encode_header(w, f);
	if (rc != ZTDP_VERBS_OK)
		return rc;
	vb_wr_opt_bytes(w, f->data, f->data_len);
	return vb_wr_result(w);
}

int ztdp_ok_multicast_frame_decode(const uint8_t *p, size_t len,
				   struct ztdp_ok_multicast_frame *o)
{
	struct ztdp_rd r;
	int rc;

	memset(o, 0, sizeof(*o));
	ztdp_rd_init(&r, p, len);
	o->nwid = ztdp_rd_u64(&r);
	vb_rd_group(&r, &o->group);
	o->flags = ztdp_rd_u8(&r);
	if (!ztdp_rd_ok(&r))
		return ZTDP_VERBS_ETRUNC;
	if (o->flags & ZTDP_MC_FRAME_OK_FLAG_COM) {
		rc = ztdp_verbs_take_com_(&r, &o->com, &o->com_len);
		if (rc != ZTDP_VERBS_OK)
			return rc;
	}
	if (o->flags & ZTDP_MC_FRAME_OK_FLAG_GATHER)
		return take_gather_results(&r, &o->res);
	return ZTDP_VERBS_OK;
}

int ztdp_ok_multicast_frame_encode(struct ztdp_wr *w,
				   const struct ztdp_ok_multicast_frame *o)
{
	bool com = (o->flags & ZTDP_MC_FRAME_OK_FLAG_COM) != 0;

	if (o->group.mac > VB_MAC_MAX)
		return ZTDP_VERBS_EINVAL;
	if (com && (o->com == NULL || o->com_len == 0))
		return ZTDP_VERBS_EINVAL;
	ztdp_wr_u64(w, o->nwid);
	vb_wr_group(w, &o->group);
	ztdp_wr_u8(w, o->flags);
	if (com)
		ztdp_wr_bytes(w, o->com, o->com_len);
	if (o->flags & ZTDP_MC_FRAME_OK_FLAG_GATHER)
		return put_gather_results(w, &o->res);
	return vb_wr_result(w);
}
