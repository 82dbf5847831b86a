/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unicast frames and small opaque verbs: FRAME (protocol notes section
 * 6.5), EXT_FRAME and OK(EXT_FRAME) (6.6), ECHO and OK(ECHO) (6.7), the OK
 * 1.14.1 sends after a NETWORK_CONFIG push (6.11), USER_MESSAGE (6.15).
 *
 * Frames are the hot path: decoders are straight-line reads and leave the
 * Ethernet payload where it is.
 */
#include <string.h>

#include "verbs_internal.h"

/* ---- FRAME ----------------------------------------------------------------- */

int ztdp_frame_decode(const uint8_t *p, size_t len, struct ztdp_frame *f)
{
	if (len < ZTDP_FRAME_IDX_DATA)
		return ZTDP_VERBS_ETRUNC;
	f->nwid = ztdp_load_be64(p + ZTDP_FRAME_IDX_NWID);
	f->ethertype = ztdp_load_be16(p + ZTDP_FRAME_IDX_ETHERTYPE);
	f->data = p + ZTDP_FRAME_IDX_DATA;
	f->data_len = len - ZTDP_FRAME_IDX_DATA;
	return ZTDP_VERBS_OK;
}

int ztdp_frame_encode_header(struct ztdp_wr *w, const struct ztdp_frame *f)
{
	ztdp_wr_u64(w, f->nwid);
	ztdp_wr_u16(w, f->ethertype);
	return vb_wr_result(w);
}

int ztdp_frame_encode(struct ztdp_wr *w, const struct ztdp_frame *f)
{
	if (f->data == NULL && f->data_len > 0)
		return ZTDP_VERBS_EINVAL;
	ztdp_frame_encode_header(w, f);
	vb_wr_opt_bytes(w, f->data, f->data_len);
	return vb_wr_result(w);
}

/* ---- EXT_FRAME --------------------------------------------------------------- */

int ztdp_ext_frame_decode(const uint8_t *p, size_t len,
			  struct ztdp_ext_frame *f)
{
	struct ztdp_rd r;
	int rc;

	ztdp_rd_init(&r, p, len);
	f->nwid = ztdp_rd_u64(&r);
	f->flags = ztdp_rd_u8(&r);
	f->com = NULL;
	f->com_len = 0;
	if (f->flags & ZTDP_EXT_FRAME_FLAG_COM) {
		rc = ztdp_verbs_take_com_(&r, &f->com, &f->com_len);
		if (rc != ZTDP_VERBS_OK)
			return rc;
	}
	f->dst_mac = vb_rd_mac(&r);
	f->src_mac = vb_rd_mac(&r);
	f->ethertype = ztdp_rd_u16(&r);
	f->data = vb_rd_rest(&r, &f->data_len);
	return vb_rd_result(&r);
}

int ztdp_ext_frame_encode_header(struct ztdp_wr *w,
				 const struct ztdp_ext_frame *f)
{
	bool com = (f->flags & ZTDP_EXT_FRAME_FLAG_COM) != 0;

	if (f->dst_mac > VB_MAC_MAX || f->src_mac > VB_MAC_MAX)
		return ZTDP_VERBS_EINVAL;
	if (com && (f->com == NULL || f->com_len == 0))
		return ZTDP_VERBS_EINVAL;
	ztdp_wr_u64(w, f->nwid);
	ztdp_wr_u8(w, f->flags);
	if (com)
		ztdp_wr_bytes(w, f->com, f->com_len);
	vb_wr_mac(w, f->dst_mac);
	vb_wr_mac(w, f->src_mac);
	ztdp_wr_u16(w, f->ethertype);
	return vb_wr_result(w);
}

int ztdp_ext_frame_encode(struct ztdp_wr *w, const struct ztdp_ext_frame *f)
{
	int rc;

	if (f->data == NULL && f->data_len > 0)
		return ZTDP_VERBS_EINVAL;
	rc = ztdp_ext_frame_encode_header(w, f);
	if (rc != ZTDP_VERBS_OK)
		return rc;
	vb_wr_opt_bytes(w, f->data, f->data_len);
	return vb_wr_result(w);
}

int ztdp_ok_ext_frame_decode(const uint8_t *p, size_t len,
			     struct ztdp_ok_ext_frame *o)
{
	if (len < ZTDP_NWID_LEN)
		return ZTDP_VERBS_ETRUNC;
	o->nwid = ztdp_load_be64(p);
	return ZTDP_VERBS_OK;
}

int ztdp_ok_ext_frame_encode(struct ztdp_wr *w,
			     const struct ztdp_ok_ext_frame *o)
{
	ztdp_wr_u64(w, o->nwid);
	return vb_wr_result(w);
}

/* ---- ECHO, OK(ECHO), OK(NETWORK_CONFIG) -------------------------------------- */

int ztdp_echo_decode(const uint8_t *p, size_t len, struct ztdp_echo *m)
{
	m->data = p;
	m->len = len;
	return ZTDP_VERBS_OK;
}

int ztdp_echo_encode(struct ztdp_wr *w, const struct ztdp_echo *m)
{
	if (m->data == NULL && m->len > 0)
		return ZTDP_VERBS_EINVAL;
	vb_wr_opt_bytes(w, m->data, m->len);
	return vb_wr_result(w);
}

int ztdp_ok_config_push_decode(const uint8_t *p, size_t len,
			       struct ztdp_ok_config_push *o)
{
	if (len < ZTDP_OK_CONFIG_PUSH_LEN)
		return ZTDP_VERBS_ETRUNC;
	o->nwid = ztdp_load_be64(p);
	o->update_id = ztdp_load_be64(p + ZTDP_NWID_LEN);
	return ZTDP_VERBS_OK;
}

int ztdp_ok_config_push_encode(struct ztdp_wr *w,
			       const struct ztdp_ok_config_push *o)
{
	ztdp_wr_u64(w, o->nwid);
	ztdp_wr_u64(w, o->update_id);
	return vb_wr_result(w);
}

/* ---- USER_MESSAGE -------------------------------------------------------------- */

int ztdp_user_message_decode(const uint8_t *p, size_t len,
			     struct ztdp_user_message *m)
{
	/* 1.14.1 drops a USER_MESSAGE shorter than its type ID. */
	if (len < sizeof(uint64_t))
		return ZTDP_VERBS_ETRUNC;
	m->type = ztdp_load_be64(p);
	m->data = p + sizeof(uint64_t);
	m->len = len - sizeof(uint64_t);
	return ZTDP_VERBS_OK;
}

int ztdp_user_message_encode(struct ztdp_wr *w,
			     const struct ztdp_user_message *m)
{
	if (m->data == NULL && m->len > 0)
		return ZTDP_VERBS_EINVAL;
	ztdp_wr_u64(w, m->type);
	vb_wr_opt_bytes(w, m->data, m->len);
	return vb_wr_result(w);
}
