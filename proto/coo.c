/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Certificate of ownership (protocol notes section 9.4): the controller
 * vouches that a member owns some IPs or MACs. The captured configs carry
 * one COO covering the member's static IPs.
 */
#include <string.h>

#include "cred_util.h"
#include "ztdp_credentials.h"

#define COO_THING_LEN	(1 + ZTDP_COO_THING_VALUE_LEN)
#define COO_SIGNING_MAX	(2 * ZTDP_CRED_SIGN_GUARD_LEN + 8 + 8 + 8 + 4 + 2 + \
			 ZTDP_COO_MAX_THINGS * COO_THING_LEN + \
			 2 * ZTDP_ADDRESS_LEN + 2)

int ztdp_coo_decode(struct ztdp_rd *r, struct ztdp_coo *coo)
{
	unsigned int n;
	int rc;

	memset(coo, 0, sizeof(*coo));
	coo->nwid = ztdp_rd_u64(r);
	coo->timestamp = ztdp_rd_u64(r);
	coo->flags = ztdp_rd_u64(r);
	coo->id = ztdp_rd_u32(r);
	n = ztdp_rd_u16(r);
	if (!ztdp_rd_ok(r)) {
		rc = ZTDP_CRED_ESHORT;
		goto fail;
	}
	/* 1.14.1 stores 16 things and then loses its place in the buffer;
	 * more than 16 is nothing it could have sent or understood. */
	if (n > ZTDP_COO_MAX_THINGS) {
		rc = ZTDP_CRED_ELIMIT;
		goto fail;
	}
	for (unsigned int i = 0; i < n; i++) {
		coo->things[i].type = ztdp_rd_u8(r);
		ztdp_rd_copy(r, coo->things[i].value, ZTDP_COO_THING_VALUE_LEN);
	}
	coo->thing_count = n;
	coo->issued_to = cred_rd_address(r);
	coo->signed_by = cred_rd_address(r);
	rc = cred_decode_sig(r, &coo->sig_type, coo->signature);
	if (rc != ZTDP_CRED_OK)
		goto fail;
	return ZTDP_CRED_OK;
fail:
	memset(coo, 0, sizeof(*coo));
	return rc;
}

static void coo_body(struct ztdp_wr *w, const struct ztdp_coo *coo)
{
	ztdp_wr_u64(w, coo->nwid);
	ztdp_wr_u64(w, coo->timestamp);
	ztdp_wr_u64(w, coo->flags);
	ztdp_wr_u32(w, coo->id);
	ztdp_wr_u16(w, (uint16_t)coo->thing_count);
	for (unsigned int i = 0; i < coo->thing_count; i++) {
		ztdp_wr_u8(w, coo->things[i].type);
		ztdp_wr_bytes(w, coo->things[i].value, ZTDP_COO_THING_VALUE_LEN);
	}
	ztdp_wr_u40(w, coo->issued_to);
	ztdp_wr_u40(w, coo->signed_by);
}

int ztdp_coo_encode(struct ztdp_wr *w, const struct ztdp_coo *coo)
{
	if (coo->thing_count > ZTDP_COO_MAX_THINGS)
		return ZTDP_CRED_EINVAL;
	coo_body(w, coo);
	cred_encode_sig(w, coo->sig_type, coo->signature);
	return ztdp_wr_ok(w) ? ZTDP_CRED_OK : ZTDP_CRED_ENOSPC;
}

static size_t coo_signing_message(const struct ztdp_coo *coo,
				  uint8_t buf[COO_SIGNING_MAX])
{
	struct ztdp_wr w;

	ztdp_wr_init(&w, buf, COO_SIGNING_MAX);
	cred_guard(&w);
	coo_body(&w, coo);
	ztdp_wr_u16(&w, 0);	/* ext length: signed (section 9.4, verified) */
	cred_guard(&w);
	return ztdp_wr_ok(&w) ? w.off : 0;
}

bool ztdp_coo_verify(const struct ztdp_coo *coo,
		     const struct ztdp_identity *controller)
{
	uint8_t msg[COO_SIGNING_MAX];
	size_t n;

	if (coo->thing_count > ZTDP_COO_MAX_THINGS ||
	    coo->sig_type != ZTDP_CRED_SIG_TYPE_C25519 ||
	    !cred_signer_ok(coo->signed_by, coo->nwid, controller))
		return false;
	n = coo_signing_message(coo, msg);
	return n > 0 && ztdp_identity_verify(controller, msg, n, coo->signature,
					     ZTDP_C25519_SIGNATURE_LEN);
}

int ztdp_coo_sign(struct ztdp_coo *coo, const struct ztdp_identity *controller)
{
	uint8_t msg[COO_SIGNING_MAX];
	size_t n;

	if (coo->thing_count > ZTDP_COO_MAX_THINGS ||
	    !cred_can_sign(coo->nwid, controller))
		return ZTDP_CRED_EINVAL;
	coo->signed_by = controller->address;
	coo->sig_type = ZTDP_CRED_SIG_TYPE_C25519;
	n = coo_signing_message(coo, msg);
	if (n == 0 || ztdp_identity_sign(controller, msg, n, coo->signature) != 0)
		return ZTDP_CRED_EINVAL;
	return ZTDP_CRED_OK;
}

bool ztdp_coo_owns(const struct ztdp_coo *coo, uint8_t type,
		   const uint8_t *value, size_t len)
{
	if (len == 0 || len > ZTDP_COO_THING_VALUE_LEN)
		return false;
	for (unsigned int i = 0; i < coo->thing_count &&
	     i < ZTDP_COO_MAX_THINGS; i++)
		if (coo->things[i].type == type &&
		    memcmp(coo->things[i].value, value, len) == 0)
			return true;
	return false;
}

int ztdp_coo_add_thing(struct ztdp_coo *coo, uint8_t type,
		       const uint8_t *value, size_t len)
{
	struct ztdp_coo_thing *t;

	if (len > ZTDP_COO_THING_VALUE_LEN || (value == NULL && len > 0))
		return ZTDP_CRED_EINVAL;
	if (coo->thing_count >= ZTDP_COO_MAX_THINGS)
		return ZTDP_CRED_ELIMIT;
	t = &coo->things[coo->thing_count++];
	memset(t, 0, sizeof(*t));
	t->type = type;
	if (len > 0)
		memcpy(t->value, value, len);
	return ZTDP_CRED_OK;
}
