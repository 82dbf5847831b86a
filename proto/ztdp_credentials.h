/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network credentials (protocol notes section 9): certificate of membership
 * (COM), Tag, certificate of ownership (COO) and Revocation. Capabilities
 * carry rules and live in ztdp_capability.h.
 *
 * Every decoder reads through a ztdp_rd, leaves it just after the
 * credential on success and returns 0 or a negative ZTDP_CRED_E* code; on
 * failure the output struct is zeroed and the reader position is
 * unspecified. Encoders append to a ztdp_wr and return 0 or
 * ZTDP_CRED_ENOSPC.
 *
 * Verification is against the network's controller identity, which the
 * caller looks up (WHOIS it first if unknown): the signer field must equal
 * that identity's address and the controller of the credential's network
 * (nwid >> 24), and the signature must verify. Signing is for the
 * controller side; it needs the controller identity with its private key.
 *
 * Signed messages:
 *   COM:   the qualifiers exactly as on the wire (Q x 24 bytes).
 *   Others: 7f x 8 || serialization without sigType/sigLen/signature
 *           (extLen 00 00 kept) || 7f x 8.
 * The "ext" bytes after extLen are skipped on decode and never kept: 1.14.1
 * writes none and re-serializes with extLen 0 for verification, so they do
 * not take part in the signature either.
 */
#ifndef ZTDP_CREDENTIALS_H
#define ZTDP_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_buf.h"
#include "ztdp_identity.h"
#include "ztdp_wire.h"

/* Error codes (0 = success). */
enum {
	ZTDP_CRED_OK = 0,
	ZTDP_CRED_ESHORT = -1,		/* input ends inside the credential */
	ZTDP_CRED_EMALFORMED = -2,	/* a field holds a value not allowed */
	ZTDP_CRED_ELIMIT = -3,		/* more qualifiers/things than allowed */
	ZTDP_CRED_ENOSPC = -4,		/* encoder: output full */
	ZTDP_CRED_EINVAL = -5,		/* bad argument (no private key, ...) */
};

const char *ztdp_cred_strerror(int err);

/* ---- Certificate of membership (section 9.1) --------------------------- */

struct ztdp_com_qualifier {
	uint64_t id;
	uint64_t value;
	uint64_t max_delta;
};

struct ztdp_com {
	unsigned int qualifier_count;	/* 0..ZTDP_COM_MAX_QUALIFIERS */
	struct ztdp_com_qualifier q[ZTDP_COM_MAX_QUALIFIERS];
	uint64_t signed_by;		/* 0 = unsigned, then no signature */
	uint8_t signature[ZTDP_C25519_SIGNATURE_LEN];
};

/* Qualifier ids must not decrease (1.14.1 allows equal ones). */
int ztdp_com_decode(struct ztdp_rd *r, struct ztdp_com *com);
int ztdp_com_encode(struct ztdp_wr *w, const struct ztdp_com *com);
/* Serialized length of com. */
size_t ztdp_com_size(const struct ztdp_com *com);

/* Signed by controller, which is the controller of the COM's network. */
bool ztdp_com_verify(const struct ztdp_com *com,
		     const struct ztdp_identity *controller);

/* Section 9.3 (c) without the identity part: every qualifier of ours has a
 * counterpart in theirs within our max delta. False if either is empty. */
bool ztdp_com_agree(const struct ztdp_com *mine, const struct ztdp_com *theirs);

/* The identity part of the gate: if our COM carries the identity hash
 * (qualifiers 3..6), theirs must carry the hash of their_id. */
bool ztdp_com_agree_identity(const struct ztdp_com *mine,
			     const struct ztdp_com *theirs,
			     const struct ztdp_identity *their_id);

/* Value of the last qualifier with this id (as 1.14.1 looks it up);
 * false if absent. */
bool ztdp_com_get(const struct ztdp_com *com, uint64_t id, uint64_t *value);
/* Shorthands for qualifiers 0, 1, 2 (0 if absent). */
uint64_t ztdp_com_timestamp(const struct ztdp_com *com);
uint64_t ztdp_com_network_id(const struct ztdp_com *com);
uint64_t ztdp_com_issued_to(const struct ztdp_com *com);

/* The four u64 a COM for id carries as qualifiers 3..6 (SHA-384 of address
 * and public key, first 32 bytes, big-endian). */
void ztdp_com_identity_hash(const struct ztdp_identity *id, uint64_t out[4]);

/* Controller side: the 7 qualifiers 1.14.1 issues (section 9.1), unsigned. */
void ztdp_com_issue(struct ztdp_com *com, uint64_t timestamp,
		    uint64_t max_delta, uint64_t nwid,
		    const struct ztdp_identity *member);
/* Sign with the controller identity (needs its private key). */
int ztdp_com_sign(struct ztdp_com *com, const struct ztdp_identity *controller);

/* ---- Tag (section 9.4) -------------------------------------------------- */

struct ztdp_tag {
	uint64_t nwid;
	uint64_t timestamp;
	uint32_t id;
	uint32_t value;
	uint64_t issued_to;
	uint64_t signed_by;
	uint8_t sig_type;	/* 1 = C25519; anything else was skipped */
	uint8_t signature[ZTDP_C25519_SIGNATURE_LEN];
};

int ztdp_tag_decode(struct ztdp_rd *r, struct ztdp_tag *tag);
int ztdp_tag_encode(struct ztdp_wr *w, const struct ztdp_tag *tag);
bool ztdp_tag_verify(const struct ztdp_tag *tag,
		     const struct ztdp_identity *controller);
int ztdp_tag_sign(struct ztdp_tag *tag, const struct ztdp_identity *controller);

/* ---- Certificate of ownership (section 9.4) ----------------------------- */

struct ztdp_coo_thing {
	uint8_t type;	/* ZTDP_COO_THING_* */
	uint8_t value[ZTDP_COO_THING_VALUE_LEN];	/* left-aligned, zero padded */
};

struct ztdp_coo {
	uint64_t nwid;
	uint64_t timestamp;
	uint64_t flags;
	uint32_t id;
	unsigned int thing_count;	/* 0..ZTDP_COO_MAX_THINGS */
	struct ztdp_coo_thing things[ZTDP_COO_MAX_THINGS];
	uint64_t issued_to;
	uint64_t signed_by;
	uint8_t sig_type;
	uint8_t signature[ZTDP_C25519_SIGNATURE_LEN];
};

int ztdp_coo_decode(struct ztdp_rd *r, struct ztdp_coo *coo);
int ztdp_coo_encode(struct ztdp_wr *w, const struct ztdp_coo *coo);
bool ztdp_coo_verify(const struct ztdp_coo *coo,
		     const struct ztdp_identity *controller);
int ztdp_coo_sign(struct ztdp_coo *coo, const struct ztdp_identity *controller);
/* True if the COO lists this thing (type and its 4, 6 or 16 value bytes). */
bool ztdp_coo_owns(const struct ztdp_coo *coo, uint8_t type,
		   const uint8_t *value, size_t len);
/* Append a thing (controller side); ZTDP_CRED_ELIMIT when full. */
int ztdp_coo_add_thing(struct ztdp_coo *coo, uint8_t type,
		       const uint8_t *value, size_t len);

/* ---- Revocation (section 9.4) ------------------------------------------- */

struct ztdp_revocation {
	uint32_t id;
	uint64_t nwid;
	uint32_t credential_id;
	int64_t threshold;	/* credentials older than this are revoked */
	uint64_t flags;		/* ZTDP_REVOCATION_FLAG_* */
	uint64_t target;	/* address whose credential is revoked */
	uint64_t signed_by;
	uint8_t credential_type;	/* ZTDP_CRED_TYPE_* */
	uint8_t sig_type;
	uint8_t signature[ZTDP_C25519_SIGNATURE_LEN];
};

/* The 8 reserved bytes must be zero (1.14.1 writes zeros and ignores them;
 * a non-zero one is rejected here since it would not survive re-encoding
 * for the signature check anyway). */
int ztdp_revocation_decode(struct ztdp_rd *r, struct ztdp_revocation *rev);
int ztdp_revocation_encode(struct ztdp_wr *w, const struct ztdp_revocation *rev);
bool ztdp_revocation_verify(const struct ztdp_revocation *rev,
			    const struct ztdp_identity *controller);
int ztdp_revocation_sign(struct ztdp_revocation *rev,
			 const struct ztdp_identity *controller);

#endif /* ZTDP_CREDENTIALS_H */
