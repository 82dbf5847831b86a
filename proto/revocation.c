/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Revocation (protocol notes section 9.4): the controller declares one
 * member's credentials of a type older than a threshold invalid.
 */
#include <string.h>

#include "cred_util.h"
#include "ztdp_credentials.h"

#define REV_RESERVED_LEN	4
#define REV_SIGNING_MAX	(2 * ZTDP_CRED_SIGN_GUARD_LEN + REV_RESERVED_LEN + 4 + \
			 8 + REV_RESERVED_LEN + 4 + 8 + 8 + \
			 2 * ZTDP_ADDRESS_LEN + 1 + 2)

int ztdp_revocation_decode(struct ztdp_rd *r, struct ztdp_revocation *rev)
{
	uint32_t reserved0, reserved1;
	int rc;

	memset(rev, 0, sizeof(*rev));
	reserved0 = ztdp_rd_u32(r);
	rev->id = ztdp_rd_u32(r);
	rev->nwid = ztdp_rd_u64(r);
	reserved1 = ztdp_rd_u32(r);
	rev->credential_id = ztdp_rd_u32(r);
	rev->threshold = (int64_t)ztdp_rd_u64(r);
	rev->flags = ztdp_rd_u64(r);
	rev->target = cred_rd_address(r);
	rev->signed_by = cred_rd_address(r);
	rev->credential_type = ztdp_rd_u8(r);
	if (!ztdp_rd_ok(r)) {
		rc = ZTDP_CRED_ESHORT;
		goto fail;
	}
	if (reserved0 != 0 || reserved1 != 0) {
		rc = ZTDP_CRED_EMALFORMED;
		goto fail;
	}
	rc = cred_decode_sig(r, &rev->sig_type, rev->signature);
	if (rc != ZTDP_CRED_OK)
		goto fail;
	return ZTDP_CRED_OK;
fail:
	memset(rev, 0, sizeof(*rev));
	return rc;
}

static void rev_body(struct ztdp_wr *w, const struct ztdp_revocation *rev)
{
	ztdp_wr_u32(w, 0);
	ztdp_wr_u32(w, rev->id);
	ztdp_wr_u64(w, rev->nwid);
	ztdp_wr_u32(w, 0);
	ztdp_wr_u32(w, rev->credential_id);
	ztdp_wr_u64(w, (uint64_t)rev->threshold);
	ztdp_wr_u64(w, rev->flags);
	ztdp_wr_u40(w, rev->target);
	ztdp_wr_u40(w, rev->signed_by);
	ztdp_wr_u8(w, rev->credential_type);
}

int ztdp_revocation_encode(struct ztdp_wr *w, const struct ztdp_revocation *rev)
{
	rev_body(w, rev);
	cred_encode_sig(w, rev->sig_type, rev->signature);
	return ztdp_wr_ok(w) ? ZTDP_CRED_OK : ZTDP_CRED_ENOSPC;
}

static size_t rev_signing_message(const struct ztdp_revocation *rev,
				  uint8_t buf[REV_SIGNING_MAX])
{
	struct ztdp_wr w;

	ztdp_wr_init(&w, buf, REV_SIGNING_MAX);
	cred_guard(&w);
	rev_body(&w, rev);
	ztdp_wr_u16(&w, 0);	/* ext length */
	cred_guard(&w);
	return ztdp_wr_ok(&w) ? w.off : 0;
}

bool ztdp_revocation_verify(const struct ztdp_revocation *rev,
			    const struct ztdp_identity *controller)
{
	uint8_t msg[REV_SIGNING_MAX];
	size_t n;

	if (rev->sig_type != ZTDP_CRED_SIG_TYPE_C25519 ||
	    !cred_signer_ok(rev->signed_by, rev->nwid, controller))
		return false;
	n = rev_signing_message(rev, msg);
	return n > 0 && ztdp_identity_verify(controller, msg, n, rev->signature,
					     ZTDP_C25519_SIGNATURE_LEN);
}

int ztdp_revocation_sign(struct ztdp_revocation *rev,
			 const struct ztdp_identity *controller)
{
	uint8_t msg[REV_SIGNING_MAX];
	size_t n;

	if (!cred_can_sign(rev->nwid, controller))
		return ZTDP_CRED_EINVAL;
	rev->signed_by = controller->address;
	rev->sig_type = ZTDP_CRED_SIG_TYPE_C25519;
	n = rev_signing_message(rev, msg);
	if (n == 0 || ztdp_identity_sign(controller, msg, n, rev->signature) != 0)
		return ZTDP_CRED_EINVAL;
	return ZTDP_CRED_OK;
}
