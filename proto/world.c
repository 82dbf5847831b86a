/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worlds (planets and moons, protocol notes section 7): codec, signature,
 * update rule.
 */
#include <string.h>

#include "ztdp_world.h"

/* Type, id, timestamp, updates key. */
#define WORLD_HEAD_LEN	(1 + 8 + 8 + ZTDP_C25519_PUBLIC_LEN)
#define WORLD_SIGN_MAX	(2 * ZTDP_WORLD_SIGN_GUARD_LEN + ZTDP_WORLD_MAX_LEN)

const char *ztdp_world_strerror(int err)
{
	switch (err) {
	case ZTDP_WORLD_OK:
		return "ok";
	case ZTDP_WORLD_ESHORT:
		return "world truncated";
	case ZTDP_WORLD_EMALFORMED:
		return "world malformed";
	case ZTDP_WORLD_ELIMIT:
		return "too many roots or endpoints";
	case ZTDP_WORLD_ETRAILING:
		return "bytes after the world";
	case ZTDP_WORLD_ENOSPC:
		return "no room in output";
	default:
		return "unknown world error";
	}
}

static bool type_ok(uint8_t t)
{
	return t == ZTDP_WORLD_TYPE_NULL || t == ZTDP_WORLD_TYPE_PLANET ||
	       t == ZTDP_WORLD_TYPE_MOON;
}

static int rd_status(const struct ztdp_rd *r)
{
	return ztdp_rd_ok(r) ? ZTDP_WORLD_OK : ZTDP_WORLD_ESHORT;
}

static int decode_root(struct ztdp_rd *r, struct ztdp_world_root *root)
{
	const uint8_t *id = ztdp_rd_take(r, ZTDP_IDENTITY_PUBLIC_BIN_LEN);
	unsigned int n;

	if (id == NULL)
		return ZTDP_WORLD_ESHORT;
	/* Exactly the 71 public bytes: type 0 and private length 0. A root
	 * secret in a world is a mistake and would not re-encode. */
	if (id[ZTDP_IDENTITY_PUBLIC_BIN_LEN - 1] != 0 ||
	    ztdp_identity_deserialize(&root->identity, id,
				      ZTDP_IDENTITY_PUBLIC_BIN_LEN) !=
	    ZTDP_IDENTITY_PUBLIC_BIN_LEN || root->identity.has_private)
		return ZTDP_WORLD_EMALFORMED;
	n = ztdp_rd_u8(r);
	if (!ztdp_rd_ok(r))
		return ZTDP_WORLD_ESHORT;
	if (n > ZTDP_WORLD_MAX_ENDPOINTS)
		return ZTDP_WORLD_ELIMIT;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t t;

		if (ztdp_rd_left(r) < 1)
			return ZTDP_WORLD_ESHORT;
		/* Reserved types decode to "nothing" and would re-encode as
		 * a null address, changing the signed bytes. */
		t = r->p[r->off];
		if (t != ZTDP_INETADDR_TYPE_NIL && t != ZTDP_INETADDR_TYPE_IPV4 &&
		    t != ZTDP_INETADDR_TYPE_IPV6)
			return ZTDP_WORLD_EMALFORMED;
		if (ztdp_inetaddr_decode(r, &root->endpoints[i]) != 0)
			return ztdp_rd_ok(r) ? ZTDP_WORLD_EMALFORMED : ZTDP_WORLD_ESHORT;
	}
	root->endpoint_count = n;
	return ZTDP_WORLD_OK;
}

int ztdp_world_decode(struct ztdp_rd *r, struct ztdp_world *w)
{
	unsigned int n;
	int rc;

	memset(w, 0, sizeof(*w));
	w->type = ztdp_rd_u8(r);
	w->id = ztdp_rd_u64(r);
	w->timestamp = ztdp_rd_u64(r);
	ztdp_rd_copy(r, w->updates_key, ZTDP_C25519_PUBLIC_LEN);
	ztdp_rd_copy(r, w->signature, ZTDP_C25519_SIGNATURE_LEN);
	n = ztdp_rd_u8(r);
	if ((rc = rd_status(r)) != ZTDP_WORLD_OK)
		goto fail;
	if (!type_ok(w->type)) {
		rc = ZTDP_WORLD_EMALFORMED;
		goto fail;
	}
	if (n > ZTDP_WORLD_MAX_ROOTS) {
		rc = ZTDP_WORLD_ELIMIT;
		goto fail;
	}
	for (unsigned int i = 0; i < n; i++) {
		rc = decode_root(r, &w->roots[i]);
		if (rc != ZTDP_WORLD_OK)
			goto fail;
	}
	w->root_count = n;
	if (w->type == ZTDP_WORLD_TYPE_MOON) {
		/* Reserved dictionary: 1.14.1 skips it but signs (and writes)
		 * length 0, so only length 0 round-trips. */
		uint16_t dl = ztdp_rd_u16(r);

		if ((rc = rd_status(r)) != ZTDP_WORLD_OK)
			goto fail;
		if (dl != 0) {
			rc = ZTDP_WORLD_EMALFORMED;
			goto fail;
		}
	}
	return ZTDP_WORLD_OK;
fail:
	memset(w, 0, sizeof(*w));
	return rc;
}

int ztdp_world_parse(const void *buf, size_t len, struct ztdp_world *w)
{
	struct ztdp_rd r;
	int rc;

	ztdp_rd_init(&r, buf, len);
	rc = ztdp_world_decode(&r, w);
	if (rc != ZTDP_WORLD_OK)
		return rc;
	if (ztdp_rd_left(&r) != 0) {
		memset(w, 0, sizeof(*w));
		return ZTDP_WORLD_ETRAILING;
	}
	return ZTDP_WORLD_OK;
}

/* Everything after the signature. */
static int encode_roots(struct ztdp_wr *wr, const struct ztdp_world *w)
{
	if (w->root_count > ZTDP_WORLD_MAX_ROOTS || !type_ok(w->type))
		return ZTDP_WORLD_EMALFORMED;
	ztdp_wr_u8(wr, (uint8_t)w->root_count);
	for (unsigned int i = 0; i < w->root_count; i++) {
		const struct ztdp_world_root *root = &w->roots[i];
		uint8_t *id;

		if (root->endpoint_count > ZTDP_WORLD_MAX_ENDPOINTS)
			return ZTDP_WORLD_EMALFORMED;
		id = ztdp_wr_reserve(wr, ZTDP_IDENTITY_PUBLIC_BIN_LEN);
		if (id != NULL &&
		    ztdp_identity_serialize(&root->identity, false, id,
					    ZTDP_IDENTITY_PUBLIC_BIN_LEN) !=
		    ZTDP_IDENTITY_PUBLIC_BIN_LEN)
			return ZTDP_WORLD_EMALFORMED;
		ztdp_wr_u8(wr, (uint8_t)root->endpoint_count);
		for (unsigned int j = 0; j < root->endpoint_count; j++) {
			/* A bad family also latches the writer's error: tell
			 * it apart from a full buffer first. */
			if (ztdp_inetaddr_encoded_len(&root->endpoints[j]) == 0)
				return ZTDP_WORLD_EMALFORMED;
			ztdp_inetaddr_encode(wr, &root->endpoints[j]);
		}
	}
	if (w->type == ZTDP_WORLD_TYPE_MOON)
		ztdp_wr_u16(wr, 0);
	return ztdp_wr_ok(wr) ? ZTDP_WORLD_OK : ZTDP_WORLD_ENOSPC;
}

static void encode_head(struct ztdp_wr *wr, const struct ztdp_world *w)
{
	ztdp_wr_u8(wr, w->type);
	ztdp_wr_u64(wr, w->id);
	ztdp_wr_u64(wr, w->timestamp);
	ztdp_wr_bytes(wr, w->updates_key, ZTDP_C25519_PUBLIC_LEN);
}

int ztdp_world_encode(struct ztdp_wr *wr, const struct ztdp_world *w)
{
	encode_head(wr, w);
	ztdp_wr_bytes(wr, w->signature, ZTDP_C25519_SIGNATURE_LEN);
	return encode_roots(wr, w);
}

size_t ztdp_world_size(const struct ztdp_world *w)
{
	size_t n = WORLD_HEAD_LEN + ZTDP_C25519_SIGNATURE_LEN + 1;

	for (unsigned int i = 0; i < w->root_count && i < ZTDP_WORLD_MAX_ROOTS; i++) {
		n += ZTDP_IDENTITY_PUBLIC_BIN_LEN + 1;
		for (unsigned int j = 0; j < w->roots[i].endpoint_count &&
		     j < ZTDP_WORLD_MAX_ENDPOINTS; j++)
			n += ztdp_inetaddr_encoded_len(&w->roots[i].endpoints[j]);
	}
	if (w->type == ZTDP_WORLD_TYPE_MOON)
		n += 2;
	return n;
}

static void guard(struct ztdp_wr *wr, uint8_t b)
{
	uint8_t *g = ztdp_wr_reserve(wr, ZTDP_WORLD_SIGN_GUARD_LEN);

	if (g != NULL)
		memset(g, b, ZTDP_WORLD_SIGN_GUARD_LEN);
}

size_t ztdp_world_signing_message(const struct ztdp_world *w, uint8_t *buf,
				  size_t cap)
{
	struct ztdp_wr wr;

	ztdp_wr_init(&wr, buf, cap);
	guard(&wr, ZTDP_WORLD_SIGN_HEAD);
	encode_head(&wr, w);
	if (encode_roots(&wr, w) != ZTDP_WORLD_OK)
		return 0;
	guard(&wr, ZTDP_WORLD_SIGN_TAIL);
	return ztdp_wr_ok(&wr) ? wr.off : 0;
}

bool ztdp_world_verify(const struct ztdp_world *w,
		       const uint8_t key[ZTDP_C25519_PUBLIC_LEN])
{
	uint8_t msg[WORLD_SIGN_MAX];
	size_t n = ztdp_world_signing_message(w, msg, sizeof(msg));

	return n > 0 && ztdp_c25519_verify(key, msg, n, w->signature,
					   ZTDP_C25519_SIGNATURE_LEN);
}

bool ztdp_world_verify_self(const struct ztdp_world *w)
{
	return ztdp_world_verify(w, w->updates_key);
}

int ztdp_world_sign(struct ztdp_world *w,
		    const uint8_t pub[ZTDP_C25519_PUBLIC_LEN],
		    const uint8_t priv[ZTDP_C25519_PRIVATE_LEN])
{
	uint8_t msg[WORLD_SIGN_MAX];
	size_t n = ztdp_world_signing_message(w, msg, sizeof(msg));

	if (n == 0)
		return -1;
	ztdp_c25519_sign(priv, pub, msg, n, w->signature);
	return 0;
}

bool ztdp_world_should_replace(const struct ztdp_world *current,
			       const struct ztdp_world *update)
{
	/* 1.14.1 lets anything replace a null world; here a node always
	 * starts from a real one (the default planet or a planet file), so a
	 * null current world accepts nothing. */
	if (current->type == ZTDP_WORLD_TYPE_NULL || current->id == 0)
		return false;
	return update->type == current->type && update->id == current->id &&
	       update->timestamp > current->timestamp &&
	       ztdp_world_verify(update, current->updates_key);
}

int ztdp_world_find_root(const struct ztdp_world *w, uint64_t address)
{
	for (unsigned int i = 0; i < w->root_count && i < ZTDP_WORLD_MAX_ROOTS; i++)
		if (w->roots[i].identity.address == address)
			return (int)i;
	return -1;
}
