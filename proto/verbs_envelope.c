/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OK and ERROR envelopes (protocol notes section 6.1) and the helpers the
 * other verbs_*.c files share.
 */
#include <string.h>

#include "verbs_internal.h"
#include "ztdp_credentials.h"

const char *ztdp_verbs_strerror(int err)
{
	switch (err) {
	case ZTDP_VERBS_OK:
		return "ok";
	case ZTDP_VERBS_ETRUNC:
		return "truncated";
	case ZTDP_VERBS_EINVAL:
		return "invalid field";
	case ZTDP_VERBS_ECRED:
		return "bad embedded credential or identity";
	case ZTDP_VERBS_ENOSPC:
		return "no room in output";
	}
	return "unknown error";
}

int ztdp_verbs_take_com_(struct ztdp_rd *r, const uint8_t **com, size_t *len)
{
	struct ztdp_com c;
	size_t start = r->off;
	int rc;

	if (!ztdp_rd_ok(r))
		return ZTDP_VERBS_ETRUNC;
	rc = ztdp_com_decode(r, &c);
	if (rc != ZTDP_CRED_OK) {
		/* The COM decoder may have latched r or not; make sure a
		 * failed COM fails the whole payload. */
		r->err = true;
		return rc == ZTDP_CRED_ESHORT ? ZTDP_VERBS_ETRUNC : ZTDP_VERBS_ECRED;
	}
	*com = r->p + start;
	*len = r->off - start;
	return ZTDP_VERBS_OK;
}

int ztdp_verbs_write_addrs_(struct ztdp_wr *w, unsigned int count,
			    const uint64_t *addrs, const uint8_t *raw)
{
	if (addrs != NULL) {
		for (unsigned int i = 0; i < count; i++)
			if (addrs[i] > VB_ADDRESS_MAX)
				return ZTDP_VERBS_EINVAL;
		for (unsigned int i = 0; i < count; i++)
			ztdp_wr_u40(w, addrs[i]);
	} else if (count > 0) {
		if (raw == NULL)
			return ZTDP_VERBS_EINVAL;
		ztdp_wr_bytes(w, raw, (size_t)count * ZTDP_ADDRESS_LEN);
	}
	return vb_wr_result(w);
}

/* ---- OK ------------------------------------------------------------------ */

int ztdp_ok_decode(const uint8_t *p, size_t len, struct ztdp_ok *ok)
{
	struct ztdp_rd r;

	ztdp_rd_init(&r, p, len);
	ok->in_re_verb = ztdp_rd_u8(&r);
	ok->in_re_packet_id = ztdp_rd_u64(&r);
	ok->payload = vb_rd_rest(&r, &ok->payload_len);
	return vb_rd_result(&r);
}

int ztdp_ok_encode(struct ztdp_wr *w, const struct ztdp_ok *ok)
{
	if (ok->payload == NULL && ok->payload_len > 0)
		return ZTDP_VERBS_EINVAL;
	ztdp_wr_u8(w, ok->in_re_verb);
	ztdp_wr_u64(w, ok->in_re_packet_id);
	vb_wr_opt_bytes(w, ok->payload, ok->payload_len);
	return vb_wr_result(w);
}

/* ---- ERROR --------------------------------------------------------------- */

bool ztdp_error_is_network_scoped(uint8_t code)
{
	return code == ZTDP_ERROR_OBJ_NOT_FOUND ||
	       code == ZTDP_ERROR_UNSUPPORTED_OPERATION ||
	       code == ZTDP_ERROR_NETWORK_ACCESS_DENIED ||
	       code == ZTDP_ERROR_NETWORK_AUTHENTICATION_REQUIRED;
}

/* Codes whose payload starts with a network ID. OBJ_NOT_FOUND and
 * UNSUPPORTED_OPERATION carry it in answer to NETWORK_CONFIG_REQUEST; 1.14.1
 * sends them with a nwid only there and reads it only there, so for other
 * in-re verbs it stays optional. */
static bool error_has_nwid(uint8_t code)
{
	switch (code) {
	case ZTDP_ERROR_OBJ_NOT_FOUND:
	case ZTDP_ERROR_UNSUPPORTED_OPERATION:
	case ZTDP_ERROR_NEED_MEMBERSHIP_CERTIFICATE:
	case ZTDP_ERROR_NETWORK_ACCESS_DENIED:
	case ZTDP_ERROR_UNWANTED_MULTICAST:
	case ZTDP_ERROR_NETWORK_AUTHENTICATION_REQUIRED:
		return true;
	}
	return false;
}

static bool error_nwid_required(uint8_t code, uint8_t in_re_verb)
{
	if (code == ZTDP_ERROR_OBJ_NOT_FOUND ||
	    code == ZTDP_ERROR_UNSUPPORTED_OPERATION)
		return in_re_verb == ZTDP_VERB_NETWORK_CONFIG_REQUEST;
	return error_has_nwid(code);
}

int ztdp_error_decode(const uint8_t *p, size_t len, struct ztdp_error *e)
{
	struct ztdp_rd r;

	memset(e, 0, sizeof(*e));
	ztdp_rd_init(&r, p, len);
	e->in_re_verb = ztdp_rd_u8(&r);
	e->in_re_packet_id = ztdp_rd_u64(&r);
	e->code = ztdp_rd_u8(&r);
	if (!ztdp_rd_ok(&r))
		return ZTDP_VERBS_ETRUNC;
	e->payload = r.p + r.off;
	e->payload_len = ztdp_rd_left(&r);

	if (!error_has_nwid(e->code))
		return ZTDP_VERBS_OK;
	if (ztdp_rd_left(&r) < ZTDP_NWID_LEN &&
	    !error_nwid_required(e->code, e->in_re_verb))
		return ZTDP_VERBS_OK;
	e->nwid = ztdp_rd_u64(&r);
	e->has_nwid = ztdp_rd_ok(&r);

	switch (e->code) {
	case ZTDP_ERROR_UNWANTED_MULTICAST:
		vb_rd_group(&r, &e->group);
		break;
	case ZTDP_ERROR_NETWORK_AUTHENTICATION_REQUIRED:
		/* Optional u16 length + Dictionary. 1.14.1 ignores a lone
		 * length of 0 and the whole error if the length overruns;
		 * here an overrun is malformed. */
		if (ztdp_rd_left(&r) >= 2) {
			e->auth_info_len = ztdp_rd_u16(&r);
			e->auth_info = ztdp_rd_take(&r, e->auth_info_len);
			e->has_auth_info = ztdp_rd_ok(&r);
		} else if (ztdp_rd_left(&r) == 1) {
			return ZTDP_VERBS_ETRUNC;
		}
		break;
	default:
		break;
	}
	return vb_rd_result(&r);
}

int ztdp_error_encode(struct ztdp_wr *w, const struct ztdp_error *e)
{
	if (e->has_auth_info && e->auth_info == NULL && e->auth_info_len > 0)
		return ZTDP_VERBS_EINVAL;
	if (e->group.mac > VB_MAC_MAX)
		return ZTDP_VERBS_EINVAL;
	if (!e->has_nwid && error_nwid_required(e->code, e->in_re_verb))
		return ZTDP_VERBS_EINVAL;
	ztdp_wr_u8(w, e->in_re_verb);
	ztdp_wr_u64(w, e->in_re_packet_id);
	ztdp_wr_u8(w, e->code);
	if (!e->has_nwid || !error_has_nwid(e->code))
		return vb_wr_result(w);
	ztdp_wr_u64(w, e->nwid);
	if (e->code == ZTDP_ERROR_UNWANTED_MULTICAST) {
		vb_wr_group(w, &e->group);
	} else if (e->code == ZTDP_ERROR_NETWORK_AUTHENTICATION_REQUIRED &&
		   e->has_auth_info) {
		ztdp_wr_u16(w, e->auth_info_len);
		vb_wr_opt_bytes(w, e->auth_info, e->auth_info_len);
	}
	return vb_wr_result(w);
}
