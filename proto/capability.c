/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capabilities (section 9.4): codec, chain-of-custody signing and
 * verification. The rule list inside uses the rules codec.
 */
#include "ztdp_capability.h"

#include <string.h>

/* Longest signed message: guards, fixed fields, 64 rules of the longest
 * encodable kind, chain length, ext length. */
#define CAP_FIXED_LEN	(8 + 8 + 4 + 2)
#define CAP_RULE_MAX	(ZTDP_RULE_RECORD_HEADER_LEN + ZTDP_RULE_RAW_MAX)
#define CAP_SIGNED_MAX	(2 * ZTDP_CRED_SIGN_GUARD_LEN + CAP_FIXED_LEN + \
			 ZTDP_NETCONF_MAX_CAPABILITY_RULES * CAP_RULE_MAX + 1 + 2)

static int rules_error(int rc)
{
	return rc == ZTDP_RULES_E_TRUNCATED ? ZTDP_CAP_E_TRUNCATED :
					      ZTDP_CAP_E_RULES;
}

static int decode_custody(struct ztdp_rd *r, struct ztdp_capability_custody *c)
{
	const uint8_t *sig;

	c->from = ztdp_rd_u40(r);
	c->sig_type = ztdp_rd_u8(r);
	c->sig_len = ztdp_rd_u16(r);
	if (!ztdp_rd_ok(r))
		return ZTDP_CAP_E_TRUNCATED;
	if (c->sig_type == ZTDP_CRED_SIG_TYPE_C25519 &&
	    c->sig_len != ZTDP_C25519_SIGNATURE_LEN) {
		r->err = true;
		return ZTDP_CAP_E_SIGNATURE;
	}
	/* Other signature types are skipped by their length, as 1.14.1
	 * does; what fits is kept so the entry re-encodes. */
	sig = ztdp_rd_take(r, c->sig_len);
	if (sig == NULL)
		return ZTDP_CAP_E_TRUNCATED;
	memcpy(c->sig, sig,
	       c->sig_len < sizeof(c->sig) ? c->sig_len : sizeof(c->sig));
	return ZTDP_CAP_OK;
}

int ztdp_capability_decode(struct ztdp_rd *r, struct ztdp_capability *cap)
{
	unsigned int count;
	uint64_t to;
	int rc;

	if (r == NULL || cap == NULL)
		return ZTDP_CAP_E_INVAL;
	memset(cap, 0, sizeof(*cap));
	cap->nwid = ztdp_rd_u64(r);
	cap->ts = ztdp_rd_u64(r);
	cap->id = ztdp_rd_u32(r);
	count = ztdp_rd_u16(r);
	if (!ztdp_rd_ok(r))
		return ZTDP_CAP_E_TRUNCATED;
	if (count > ZTDP_NETCONF_MAX_CAPABILITY_RULES) {
		r->err = true;
		return ZTDP_CAP_E_RULES;
	}
	rc = ztdp_rules_decode(r, count, cap->rules,
			       ZTDP_NETCONF_MAX_CAPABILITY_RULES);
	if (rc != ZTDP_RULES_OK)
		return rules_error(rc);
	cap->rule_count = (uint16_t)count;

	cap->max_custody = ztdp_rd_u8(r);
	if (!ztdp_rd_ok(r))
		return ZTDP_CAP_E_TRUNCATED;
	if (cap->max_custody < 1 ||
	    cap->max_custody > ZTDP_CAPABILITY_MAX_CUSTODY) {
		r->err = true;
		return ZTDP_CAP_E_CUSTODY;
	}
	for (;;) {
		to = ztdp_rd_u40(r);
		if (!ztdp_rd_ok(r))
			return ZTDP_CAP_E_TRUNCATED;
		if (to == 0)
			break;
		if (cap->custody_count >= cap->max_custody) {
			r->err = true;
			return ZTDP_CAP_E_CUSTODY;
		}
		cap->custody[cap->custody_count].to = to;
		rc = decode_custody(r, &cap->custody[cap->custody_count]);
		if (rc != ZTDP_CAP_OK)
			return rc;
		cap->custody_count++;
	}
	/* Extension fields: none defined; skipped like 1.14.1. */
	ztdp_rd_skip(r, ztdp_rd_u16(r));
	if (!ztdp_rd_ok(r))
		return ZTDP_CAP_E_TRUNCATED;
	return ZTDP_CAP_OK;
}

/* Fields shared by the wire form and the signed message. */
static int encode_body(struct ztdp_wr *w, const struct ztdp_capability *cap)
{
	int rc;

	if (cap->rule_count > ZTDP_NETCONF_MAX_CAPABILITY_RULES)
		return ZTDP_CAP_E_RULES;
	ztdp_wr_u64(w, cap->nwid);
	ztdp_wr_u64(w, cap->ts);
	ztdp_wr_u32(w, cap->id);
	ztdp_wr_u16(w, cap->rule_count);
	rc = ztdp_rules_encode(w, cap->rules, cap->rule_count);
	if (rc == ZTDP_RULES_E_NOSPACE)
		return ZTDP_CAP_E_NOSPACE;
	if (rc != ZTDP_RULES_OK)
		return ZTDP_CAP_E_RULES;
	ztdp_wr_u8(w, cap->max_custody);
	return ZTDP_CAP_OK;
}

int ztdp_capability_encode(struct ztdp_wr *w, const struct ztdp_capability *cap)
{
	int rc;

	if (w == NULL || cap == NULL)
		return ZTDP_CAP_E_INVAL;
	rc = encode_body(w, cap);
	if (rc != ZTDP_CAP_OK)
		return rc;
	/* Entries up to the chain limit, stopping at an empty one; then the
	 * zero `to` that ends the chain, always written. */
	for (unsigned int i = 0; i < cap->custody_count &&
				 i < cap->max_custody &&
				 i < ZTDP_CAPABILITY_MAX_CUSTODY; i++) {
		const struct ztdp_capability_custody *c = &cap->custody[i];

		if (c->to == 0)
			break;
		if (c->sig_len > sizeof(c->sig))
			return ZTDP_CAP_E_SIGNATURE;
		ztdp_wr_u40(w, c->to);
		ztdp_wr_u40(w, c->from);
		ztdp_wr_u8(w, c->sig_type);
		ztdp_wr_u16(w, c->sig_len);
		ztdp_wr_bytes(w, c->sig, c->sig_len);
	}
	ztdp_wr_u40(w, 0);
	ztdp_wr_u16(w, 0);	/* ext length */
	return ztdp_wr_ok(w) ? ZTDP_CAP_OK : ZTDP_CAP_E_NOSPACE;
}

int ztdp_capability_signing_message(const struct ztdp_capability *cap,
				    uint8_t *buf, size_t cap_len)
{
	static const uint8_t guard[ZTDP_CRED_SIGN_GUARD_LEN] = {
		ZTDP_CRED_SIGN_GUARD, ZTDP_CRED_SIGN_GUARD,
		ZTDP_CRED_SIGN_GUARD, ZTDP_CRED_SIGN_GUARD,
		ZTDP_CRED_SIGN_GUARD, ZTDP_CRED_SIGN_GUARD,
		ZTDP_CRED_SIGN_GUARD, ZTDP_CRED_SIGN_GUARD,
	};
	struct ztdp_wr w;
	int rc;

	if (cap == NULL || buf == NULL)
		return ZTDP_CAP_E_INVAL;
	ztdp_wr_init(&w, buf, cap_len);
	ztdp_wr_bytes(&w, guard, sizeof(guard));
	rc = encode_body(&w, cap);
	if (rc != ZTDP_CAP_OK)
		return rc;
	/* No custody chain; the ext length stays in (as 0, whatever ext the
	 * capability arrived with -- 1.14.1 never signs ext bytes). */
	ztdp_wr_u16(&w, 0);
	ztdp_wr_bytes(&w, guard, sizeof(guard));
	if (!ztdp_wr_ok(&w))
		return ZTDP_CAP_E_NOSPACE;
	return (int)w.off;
}

static const struct ztdp_identity *
signer_identity(uint64_t from, const struct ztdp_identity *controller,
		ztdp_identity_lookup_fn lookup, void *lookup_ctx)
{
	if (controller != NULL && controller->address == from)
		return controller;
	return lookup != NULL ? lookup(lookup_ctx, from) : NULL;
}

int ztdp_capability_verify(const struct ztdp_capability *cap,
			   const struct ztdp_identity *controller,
			   ztdp_identity_lookup_fn lookup, void *lookup_ctx,
			   uint64_t *need_whois)
{
	uint8_t msg[CAP_SIGNED_MAX];
	const struct ztdp_identity *id;
	int len;

	if (cap == NULL)
		return ZTDP_CAP_VERIFY_BAD;
	if (cap->max_custody < 1 ||
	    cap->max_custody > ZTDP_CAPABILITY_MAX_CUSTODY)
		return ZTDP_CAP_VERIFY_BAD;
	len = ztdp_capability_signing_message(cap, msg, sizeof(msg));
	if (len < 0)
		return ZTDP_CAP_VERIFY_BAD;

	for (unsigned int c = 0; c < cap->max_custody; c++) {
		const struct ztdp_capability_custody *e =
			c < cap->custody_count ? &cap->custody[c] : NULL;
		const uint64_t to = e != NULL ? e->to : 0;

		if (c == 0) {
			/* The first holder must have it from the controller. */
			if (to == 0 || e->from == 0 ||
			    e->from != cap->nwid >> 24)
				return ZTDP_CAP_VERIFY_BAD;
		} else {
			if (to == 0)
				return ZTDP_CAP_VERIFY_OK;
			if (e->from == 0 || e->from != cap->custody[c - 1].to)
				return ZTDP_CAP_VERIFY_BAD;
		}
		id = signer_identity(e->from, controller, lookup, lookup_ctx);
		if (id == NULL) {
			if (need_whois != NULL)
				*need_whois = e->from;
			return ZTDP_CAP_VERIFY_WHOIS;
		}
		/* A skipped signature type never verifies (1.14.1 keeps a
		 * zero signature for it). */
		if (e->sig_type != ZTDP_CRED_SIG_TYPE_C25519 ||
		    e->sig_len != ZTDP_C25519_SIGNATURE_LEN ||
		    !ztdp_identity_verify(id, msg, (size_t)len, e->sig,
					  ZTDP_C25519_SIGNATURE_LEN))
			return ZTDP_CAP_VERIFY_BAD;
	}
	return ZTDP_CAP_VERIFY_OK;
}

int ztdp_capability_sign(struct ztdp_capability *cap,
			 const struct ztdp_identity *signer, uint64_t to)
{
	uint8_t msg[CAP_SIGNED_MAX];
	struct ztdp_capability_custody *e;
	int len;

	if (cap == NULL || signer == NULL || !signer->has_private || to == 0)
		return ZTDP_CAP_E_INVAL;
	if (cap->custody_count >= cap->max_custody ||
	    cap->custody_count >= ZTDP_CAPABILITY_MAX_CUSTODY)
		return ZTDP_CAP_E_INVAL;
	len = ztdp_capability_signing_message(cap, msg, sizeof(msg));
	if (len < 0)
		return len;
	e = &cap->custody[cap->custody_count];
	memset(e, 0, sizeof(*e));
	if (ztdp_identity_sign(signer, msg, (size_t)len, e->sig) != 0)
		return ZTDP_CAP_E_INVAL;
	e->to = to;
	e->from = signer->address;
	e->sig_type = ZTDP_CRED_SIG_TYPE_C25519;
	e->sig_len = ZTDP_C25519_SIGNATURE_LEN;
	cap->custody_count++;
	return ZTDP_CAP_OK;
}

uint64_t ztdp_capability_issued_to(const struct ztdp_capability *cap)
{
	uint64_t to = 0;

	for (unsigned int i = 0; i < cap->custody_count &&
				 i < ZTDP_CAPABILITY_MAX_CUSTODY; i++) {
		if (cap->custody[i].to == 0)
			break;
		to = cap->custody[i].to;
	}
	return to;
}

struct ztdp_rules_set ztdp_capability_rules(const struct ztdp_capability *cap)
{
	struct ztdp_rules_set s = { cap->rules, cap->rule_count };

	return s;
}
