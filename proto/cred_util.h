/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal to the credential codecs (com.c, tag.c, coo.c, revocation.c):
 * the signature block they share and the signer checks. Not installed.
 */
#ifndef ZTDP_CRED_UTIL_H
#define ZTDP_CRED_UTIL_H

#include <string.h>

#include "ztdp_buf.h"
#include "ztdp_credentials.h"
#include "ztdp_identity.h"
#include "ztdp_wire.h"

/* Network ID -> address of its controller (the top 40 bits). */
static inline uint64_t cred_controller_of(uint64_t nwid)
{
	return nwid >> 24;
}

static inline uint64_t cred_rd_address(struct ztdp_rd *r)
{
	return ztdp_rd_u40(r);
}

/*
 * sigType u8, sigLen u16, signature, extLen u16, ext. Type 1 must have
 * length 96; any other type's bytes are skipped (1.14.1 does the same), as
 * are the ext bytes.
 */
static inline int cred_decode_sig(struct ztdp_rd *r, uint8_t *sig_type,
				  uint8_t sig[ZTDP_C25519_SIGNATURE_LEN])
{
	uint16_t n;

	memset(sig, 0, ZTDP_C25519_SIGNATURE_LEN);
	*sig_type = ztdp_rd_u8(r);
	n = ztdp_rd_u16(r);
	if (!ztdp_rd_ok(r))
		return ZTDP_CRED_ESHORT;
	if (*sig_type == ZTDP_CRED_SIG_TYPE_C25519) {
		if (n != ZTDP_C25519_SIGNATURE_LEN)
			return ZTDP_CRED_EMALFORMED;
		ztdp_rd_copy(r, sig, ZTDP_C25519_SIGNATURE_LEN);
	} else {
		ztdp_rd_skip(r, n);
	}
	n = ztdp_rd_u16(r);
	ztdp_rd_skip(r, n);
	return ztdp_rd_ok(r) ? ZTDP_CRED_OK : ZTDP_CRED_ESHORT;
}

/* The signature block and an empty ext. A credential decoded with a
 * foreign signature type is written back with that type and no bytes. */
static inline void cred_encode_sig(struct ztdp_wr *w, uint8_t sig_type,
				   const uint8_t sig[ZTDP_C25519_SIGNATURE_LEN])
{
	ztdp_wr_u8(w, sig_type);
	if (sig_type == ZTDP_CRED_SIG_TYPE_C25519) {
		ztdp_wr_u16(w, ZTDP_C25519_SIGNATURE_LEN);
		ztdp_wr_bytes(w, sig, ZTDP_C25519_SIGNATURE_LEN);
	} else {
		ztdp_wr_u16(w, 0);
	}
	ztdp_wr_u16(w, 0);
}

static inline void cred_guard(struct ztdp_wr *w)
{
	uint8_t *g = ztdp_wr_reserve(w, ZTDP_CRED_SIGN_GUARD_LEN);

	if (g != NULL)
		memset(g, ZTDP_CRED_SIGN_GUARD, ZTDP_CRED_SIGN_GUARD_LEN);
}

/* Who may sign a credential of network nwid: its controller, and only if
 * that is the identity we were given. */
static inline bool cred_signer_ok(uint64_t signed_by, uint64_t nwid,
				  const struct ztdp_identity *controller)
{
	return controller != NULL && signed_by != 0 &&
	       signed_by == controller->address &&
	       signed_by == cred_controller_of(nwid);
}

/* Signing side: a controller identity with its private key, controlling
 * nwid. */
static inline bool cred_can_sign(uint64_t nwid,
				 const struct ztdp_identity *controller)
{
	return controller != NULL && controller->has_private &&
	       controller->address != 0 &&
	       controller->address == cred_controller_of(nwid);
}

#endif /* ZTDP_CRED_UTIL_H */
