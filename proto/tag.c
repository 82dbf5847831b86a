/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tag credential (protocol notes section 9.4): a controller-signed
 * (id, value) pair for one member, matched by the tag rules.
 */
#include <string.h>

#include "cred_util.h"
#include "ztdp_credentials.h"

/* Guards, the fixed fields and the empty ext length. */
#define TAG_SIGNING_MAX	(2 * ZTDP_CRED_SIGN_GUARD_LEN + 8 + 8 + 4 + 4 + \
			 2 * ZTDP_ADDRESS_LEN + 2)

int ztdp_tag_decode(struct ztdp_rd *r, struct ztdp_tag *tag)
{
	int rc;

	memset(tag, 0, sizeof(*tag));
	tag->nwid = ztdp_rd_u64(r);
	tag->timestamp = ztdp_rd_u64(r);
	tag->id = ztdp_rd_u32(r);
	tag->value = ztdp_rd_u32(r);
	tag->issued_to = cred_rd_address(r);
	tag->signed_by = cred_rd_address(r);
	rc = cred_decode_sig(r, &tag->sig_type, tag->signature);
	if (rc != ZTDP_CRED_OK)
		memset(tag, 0, sizeof(*tag));
	return rc;
}

static void tag_body(struct ztdp_wr *w, const struct ztdp_tag *tag)
{
	ztdp_wr_u64(w, tag->nwid);
	ztdp_wr_u64(w, tag->timestamp);
	ztdp_wr_u32(w, tag->id);
	ztdp_wr_u32(w, tag->value);
	ztdp_wr_u40(w, tag->issued_to);
	ztdp_wr_u40(w, tag->signed_by);
}

int ztdp_tag_encode(struct ztdp_wr *w, const struct ztdp_tag *tag)
{
	tag_body(w, tag);
	cred_encode_sig(w, tag->sig_type, tag->signature);
	return ztdp_wr_ok(w) ? ZTDP_CRED_OK : ZTDP_CRED_ENOSPC;
}

static size_t tag_signing_message(const struct ztdp_tag *tag,
				  uint8_t buf[TAG_SIGNING_MAX])
{
	struct ztdp_wr w;

	ztdp_wr_init(&w, buf, TAG_SIGNING_MAX);
	cred_guard(&w);
	tag_body(&w, tag);
	ztdp_wr_u16(&w, 0);	/* ext length, kept in the signed bytes */
	cred_guard(&w);
	return ztdp_wr_ok(&w) ? w.off : 0;
}

bool ztdp_tag_verify(const struct ztdp_tag *tag,
		     const struct ztdp_identity *controller)
{
	uint8_t msg[TAG_SIGNING_MAX];
	size_t n;

	if (tag->sig_type != ZTDP_CRED_SIG_TYPE_C25519 ||
	    !cred_signer_ok(tag->signed_by, tag->nwid, controller))
		return false;
	n = tag_signing_message(tag, msg);
	return n > 0 && ztdp_identity_verify(controller, msg, n, tag->signature,
					     ZTDP_C25519_SIGNATURE_LEN);
}

int ztdp_tag_sign(struct ztdp_tag *tag, const struct ztdp_identity *controller)
{
	uint8_t msg[TAG_SIGNING_MAX];
	size_t n;

	if (!cred_can_sign(tag->nwid, controller))
		return ZTDP_CRED_EINVAL;
	tag->signed_by = controller->address;
	tag->sig_type = ZTDP_CRED_SIG_TYPE_C25519;
	n = tag_signing_message(tag, msg);
	if (n == 0 || ztdp_identity_sign(controller, msg, n, tag->signature) != 0)
		return ZTDP_CRED_EINVAL;
	return ZTDP_CRED_OK;
}
