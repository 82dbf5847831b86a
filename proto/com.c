/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Certificate of membership (protocol notes sections 9.1 and 9.3): codec,
 * controller signature, issuing, and the agreement test of the gate.
 */
#include <string.h>

#include <openssl/evp.h>

#include "cred_util.h"
#include "ztdp_credentials.h"

const char *ztdp_cred_strerror(int err)
{
	switch (err) {
	case ZTDP_CRED_OK:
		return "ok";
	case ZTDP_CRED_ESHORT:
		return "credential truncated";
	case ZTDP_CRED_EMALFORMED:
		return "credential malformed";
	case ZTDP_CRED_ELIMIT:
		return "credential over a size limit";
	case ZTDP_CRED_ENOSPC:
		return "no room in output";
	case ZTDP_CRED_EINVAL:
		return "invalid argument";
	default:
		return "unknown credential error";
	}
}

int ztdp_com_decode(struct ztdp_rd *r, struct ztdp_com *com)
{
	unsigned int q;
	uint64_t last = 0;
	int rc;

	memset(com, 0, sizeof(*com));
	if (ztdp_rd_u8(r) != ZTDP_COM_TYPE) {
		rc = ztdp_rd_ok(r) ? ZTDP_CRED_EMALFORMED : ZTDP_CRED_ESHORT;
		goto fail;
	}
	q = ztdp_rd_u16(r);
	if (!ztdp_rd_ok(r)) {
		rc = ZTDP_CRED_ESHORT;
		goto fail;
	}
	if (q > ZTDP_COM_MAX_QUALIFIERS) {
		rc = ZTDP_CRED_ELIMIT;
		goto fail;
	}
	for (unsigned int i = 0; i < q; i++) {
		struct ztdp_com_qualifier *qq = &com->q[i];

		qq->id = ztdp_rd_u64(r);
		qq->value = ztdp_rd_u64(r);
		qq->max_delta = ztdp_rd_u64(r);
		/* 1.14.1 rejects decreasing ids; equal ones pass. */
		if (ztdp_rd_ok(r) && qq->id < last) {
			rc = ZTDP_CRED_EMALFORMED;
			goto fail;
		}
		last = qq->id;
	}
	com->qualifier_count = q;
	com->signed_by = cred_rd_address(r);
	if (com->signed_by != 0)
		ztdp_rd_copy(r, com->signature, ZTDP_C25519_SIGNATURE_LEN);
	if (!ztdp_rd_ok(r)) {
		rc = ZTDP_CRED_ESHORT;
		goto fail;
	}
	return ZTDP_CRED_OK;
fail:
	memset(com, 0, sizeof(*com));
	return rc;
}

size_t ztdp_com_size(const struct ztdp_com *com)
{
	return ZTDP_COM_FIXED_LEN +
	       (size_t)com->qualifier_count * ZTDP_COM_QUALIFIER_LEN +
	       (com->signed_by != 0 ? ZTDP_C25519_SIGNATURE_LEN : 0);
}

int ztdp_com_encode(struct ztdp_wr *w, const struct ztdp_com *com)
{
	if (com->qualifier_count > ZTDP_COM_MAX_QUALIFIERS)
		return ZTDP_CRED_EINVAL;
	ztdp_wr_u8(w, ZTDP_COM_TYPE);
	ztdp_wr_u16(w, (uint16_t)com->qualifier_count);
	for (unsigned int i = 0; i < com->qualifier_count; i++) {
		ztdp_wr_u64(w, com->q[i].id);
		ztdp_wr_u64(w, com->q[i].value);
		ztdp_wr_u64(w, com->q[i].max_delta);
	}
	ztdp_wr_u40(w, com->signed_by);
	if (com->signed_by != 0)
		ztdp_wr_bytes(w, com->signature, ZTDP_C25519_SIGNATURE_LEN);
	return ztdp_wr_ok(w) ? ZTDP_CRED_OK : ZTDP_CRED_ENOSPC;
}

/* The signed message: the qualifiers as on the wire. Returns its length. */
static size_t com_signing_message(const struct ztdp_com *com,
				  uint8_t buf[ZTDP_COM_MAX_QUALIFIERS * ZTDP_COM_QUALIFIER_LEN])
{
	struct ztdp_wr w;

	ztdp_wr_init(&w, buf, ZTDP_COM_MAX_QUALIFIERS * ZTDP_COM_QUALIFIER_LEN);
	for (unsigned int i = 0; i < com->qualifier_count; i++) {
		ztdp_wr_u64(&w, com->q[i].id);
		ztdp_wr_u64(&w, com->q[i].value);
		ztdp_wr_u64(&w, com->q[i].max_delta);
	}
	return w.off;
}

bool ztdp_com_get(const struct ztdp_com *com, uint64_t id, uint64_t *value)
{
	bool found = false;

	/* The last one wins: 1.14.1 folds the qualifiers into a map. */
	for (unsigned int i = 0; i < com->qualifier_count &&
	     i < ZTDP_COM_MAX_QUALIFIERS; i++) {
		if (com->q[i].id == id) {
			*value = com->q[i].value;
			found = true;
		}
	}
	return found;
}

static uint64_t com_get_or_zero(const struct ztdp_com *com, uint64_t id)
{
	uint64_t v = 0;

	return ztdp_com_get(com, id, &v) ? v : 0;
}

uint64_t ztdp_com_timestamp(const struct ztdp_com *com)
{
	return com_get_or_zero(com, ZTDP_COM_QID_TIMESTAMP);
}

uint64_t ztdp_com_network_id(const struct ztdp_com *com)
{
	return com_get_or_zero(com, ZTDP_COM_QID_NETWORK_ID);
}

uint64_t ztdp_com_issued_to(const struct ztdp_com *com)
{
	return com_get_or_zero(com, ZTDP_COM_QID_ISSUED_TO);
}

bool ztdp_com_verify(const struct ztdp_com *com,
		     const struct ztdp_identity *controller)
{
	uint8_t msg[ZTDP_COM_MAX_QUALIFIERS * ZTDP_COM_QUALIFIER_LEN];
	size_t n;

	if (com->qualifier_count > ZTDP_COM_MAX_QUALIFIERS ||
	    !cred_signer_ok(com->signed_by, ztdp_com_network_id(com), controller))
		return false;
	n = com_signing_message(com, msg);
	return ztdp_identity_verify(controller, msg, n, com->signature,
				    ZTDP_C25519_SIGNATURE_LEN);
}

bool ztdp_com_agree(const struct ztdp_com *mine, const struct ztdp_com *theirs)
{
	if (mine->qualifier_count == 0 || theirs->qualifier_count == 0 ||
	    mine->qualifier_count > ZTDP_COM_MAX_QUALIFIERS ||
	    theirs->qualifier_count > ZTDP_COM_MAX_QUALIFIERS)
		return false;
	for (unsigned int i = 0; i < mine->qualifier_count; i++) {
		uint64_t a = mine->q[i].value, b;

		if (!ztdp_com_get(theirs, mine->q[i].id, &b))
			return false;
		if ((a >= b ? a - b : b - a) > mine->q[i].max_delta)
			return false;
	}
	return true;
}

void ztdp_com_identity_hash(const struct ztdp_identity *id, uint64_t out[4])
{
	uint8_t in[ZTDP_ADDRESS_LEN + ZTDP_C25519_PUBLIC_LEN];
	uint8_t h[48];
	unsigned int hl = 0;

	ztdp_address_to_bytes(id->address, in);
	memcpy(in + ZTDP_ADDRESS_LEN, id->pub, ZTDP_C25519_PUBLIC_LEN);
	if (EVP_Digest(in, sizeof(in), h, &hl, EVP_sha384(), NULL) != 1 ||
	    hl != sizeof(h)) {
		/* Cannot happen with a working libcrypto; make sure a failure
		 * can never look like a match. */
		memset(out, 0xff, 4 * sizeof(uint64_t));
		return;
	}
	for (int i = 0; i < 4; i++)
		out[i] = ztdp_load_be64(h + 8 * i);
}

bool ztdp_com_agree_identity(const struct ztdp_com *mine,
			     const struct ztdp_com *theirs,
			     const struct ztdp_identity *their_id)
{
	bool want_hash = false;
	uint64_t h[4];

	for (unsigned int i = 0; i < mine->qualifier_count &&
	     i < ZTDP_COM_MAX_QUALIFIERS; i++)
		if (mine->q[i].id >= ZTDP_COM_QID_ID_HASH_FIRST &&
		    mine->q[i].id <= ZTDP_COM_QID_ID_HASH_LAST)
			want_hash = true;
	if (!want_hash)
		return true;	/* a controller that does not issue the hash */
	if (their_id == NULL)
		return false;
	ztdp_com_identity_hash(their_id, h);
	for (int i = 0; i < 4; i++) {
		uint64_t v;

		if (!ztdp_com_get(theirs, ZTDP_COM_QID_ID_HASH_FIRST + (uint64_t)i, &v) ||
		    v != h[i])
			return false;
	}
	return true;
}

void ztdp_com_issue(struct ztdp_com *com, uint64_t timestamp,
		    uint64_t max_delta, uint64_t nwid,
		    const struct ztdp_identity *member)
{
	uint64_t h[4];

	memset(com, 0, sizeof(*com));
	com->q[0] = (struct ztdp_com_qualifier){ ZTDP_COM_QID_TIMESTAMP, timestamp, max_delta };
	com->q[1] = (struct ztdp_com_qualifier){ ZTDP_COM_QID_NETWORK_ID, nwid, 0 };
	com->q[2] = (struct ztdp_com_qualifier){ ZTDP_COM_QID_ISSUED_TO, member->address,
						 UINT64_MAX };
	ztdp_com_identity_hash(member, h);
	for (unsigned int i = 0; i < 4; i++)
		com->q[3 + i] = (struct ztdp_com_qualifier){
			ZTDP_COM_QID_ID_HASH_FIRST + i, h[i], UINT64_MAX };
	com->qualifier_count = ZTDP_COM_ISSUED_QUALIFIERS;
}

int ztdp_com_sign(struct ztdp_com *com, const struct ztdp_identity *controller)
{
	uint8_t msg[ZTDP_COM_MAX_QUALIFIERS * ZTDP_COM_QUALIFIER_LEN];
	size_t n;

	if (com->qualifier_count > ZTDP_COM_MAX_QUALIFIERS ||
	    !cred_can_sign(ztdp_com_network_id(com), controller))
		return ZTDP_CRED_EINVAL;
	n = com_signing_message(com, msg);
	if (ztdp_identity_sign(controller, msg, n, com->signature) != 0)
		return ZTDP_CRED_EINVAL;
	com->signed_by = controller->address;
	return ZTDP_CRED_OK;
}
