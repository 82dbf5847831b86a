/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capabilities (section 9.4): a signed, numbered rule list the controller
 * issues to a member, which the member evaluates (outbound) and presents to
 * peers (inbound) after the network rules fall through.
 *
 * Wire form: nwid u64, ts u64, id u32, rule count u16, rules (section 10),
 * max custody chain length u8 (1..7), custody entries (to 5, from 5,
 * sig type u8, sig len u16, sig) ended by a zero `to`, ext len u16, ext.
 *
 * Every custody signature covers the same message: 7f x 8, the fields up
 * to and including the max chain length, ext len 00 00 (never the ext
 * bytes), 7f x 8 -- i.e. the serialization without the custody chain.
 */
#ifndef ZTDP_CAPABILITY_H
#define ZTDP_CAPABILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_buf.h"
#include "ztdp_identity.h"
#include "ztdp_rules.h"
#include "ztdp_wire.h"

struct ztdp_capability_custody {
	uint64_t to;
	uint64_t from;
	uint8_t sig_type;	/* ZTDP_CRED_SIG_TYPE_C25519, or skipped type */
	uint16_t sig_len;	/* bytes of sig used (96 for type 1) */
	uint8_t sig[ZTDP_C25519_SIGNATURE_LEN];
};

struct ztdp_capability {
	uint64_t nwid;
	uint64_t ts;
	uint32_t id;
	uint8_t max_custody;		/* 1..ZTDP_CAPABILITY_MAX_CUSTODY */
	uint8_t custody_count;
	uint16_t rule_count;
	struct ztdp_rule rules[ZTDP_NETCONF_MAX_CAPABILITY_RULES];
	struct ztdp_capability_custody custody[ZTDP_CAPABILITY_MAX_CUSTODY];
};

/* Results (negative) of decode / encode / sign. */
#define ZTDP_CAP_OK		0
#define ZTDP_CAP_E_TRUNCATED	(-1)	/* input ends early */
#define ZTDP_CAP_E_RULES	(-2)	/* rule list malformed (or > 64 rules) */
#define ZTDP_CAP_E_CUSTODY	(-3)	/* chain length out of range / too long */
#define ZTDP_CAP_E_SIGNATURE	(-4)	/* type-1 signature not 96 bytes, or unkeepable */
#define ZTDP_CAP_E_NOSPACE	(-5)	/* encoder output full */
#define ZTDP_CAP_E_INVAL	(-6)	/* bad argument (no private key, chain full) */

/* Verification results. */
#define ZTDP_CAP_VERIFY_OK	0
#define ZTDP_CAP_VERIFY_BAD	(-1)
#define ZTDP_CAP_VERIFY_WHOIS	1	/* need the identity in *need_whois */

/* Decode one capability. A custody entry with a signature type other than 1
 * is skipped by its length as in 1.14.1 (kept if it fits in sig[], so it
 * re-encodes; such an entry never verifies). A non-empty ext is skipped.
 * Returns 0 or a negative ZTDP_CAP_E_*; r is in error state on failure. */
int ztdp_capability_decode(struct ztdp_rd *r, struct ztdp_capability *cap);

/* Encode canonically (ext length 0, as 1.14.1). Returns 0 or negative. */
int ztdp_capability_encode(struct ztdp_wr *w,
			   const struct ztdp_capability *cap);

/* Write the signed message (see above) into buf; returns its length or a
 * negative ZTDP_CAP_E_*. */
int ztdp_capability_signing_message(const struct ztdp_capability *cap,
				    uint8_t *buf, size_t cap_len);

/* Look up a node's identity (for custody entries after the first); NULL if
 * unknown. */
typedef const struct ztdp_identity *(*ztdp_identity_lookup_fn)(void *ctx,
							     uint64_t address);

/* Verify the chain of custody: the first entry must come from the
 * network's controller (nwid >> 24) and be signed by `controller`; every
 * later entry must come from the previous `to` and be signed by it (its
 * identity from `lookup`). Returns ZTDP_CAP_VERIFY_OK, _BAD, or _WHOIS with
 * the address needed in *need_whois (may be NULL). */
int ztdp_capability_verify(const struct ztdp_capability *cap,
			   const struct ztdp_identity *controller,
			   ztdp_identity_lookup_fn lookup, void *lookup_ctx,
			   uint64_t *need_whois);

/* Append a custody entry from `signer` (needs its private key) to `to`.
 * Fails with ZTDP_CAP_E_INVAL if the chain is full. */
int ztdp_capability_sign(struct ztdp_capability *cap,
			 const struct ztdp_identity *signer, uint64_t to);

/* The last `to` of the chain: who holds the capability (0 if unsigned). */
uint64_t ztdp_capability_issued_to(const struct ztdp_capability *cap);

/* The capability's rules as a set for ztdp_rules_filter. */
struct ztdp_rules_set ztdp_capability_rules(const struct ztdp_capability *cap);

#endif /* ZTDP_CAPABILITY_H */
