/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Peer-level verbs: HELLO and OK(HELLO) (protocol notes section 6.2),
 * WHOIS and OK(WHOIS) (6.3), RENDEZVOUS (6.4).
 */
#include <string.h>

#include "verbs_internal.h"

/* ---- HELLO ---------------------------------------------------------------- */

/* The identity at r: public form only. A HELLO or OK(WHOIS) carrying a
 * private key is nonsense from any honest sender; refusing it also keeps
 * re-encoding from ever putting a private key on the wire. */
static int take_public_identity(struct ztdp_rd *r, struct ztdp_identity *id)
{
	const uint8_t *q;
	int n;

	if (ztdp_rd_left(r) < ZTDP_IDENTITY_PUBLIC_BIN_LEN) {
		r->err = true;
		return ZTDP_VERBS_ETRUNC;
	}
	q = r->p + r->off;
	n = ztdp_identity_deserialize(id, q, ztdp_rd_left(r));
	if (n != ZTDP_IDENTITY_PUBLIC_BIN_LEN) {
		ztdp_identity_clear(id);
		r->err = true;
		return ZTDP_VERBS_ECRED;
	}
	ztdp_rd_skip(r, ZTDP_IDENTITY_PUBLIC_BIN_LEN);
	return ZTDP_VERBS_OK;
}

static int put_public_identity(struct ztdp_wr *w, const struct ztdp_identity *id)
{
	uint8_t *q;

	if (id->address > VB_ADDRESS_MAX)
		return ZTDP_VERBS_EINVAL;
	q = ztdp_wr_reserve(w, ZTDP_IDENTITY_PUBLIC_BIN_LEN);
	if (q == NULL)
		return ZTDP_VERBS_ENOSPC;
	if (ztdp_identity_serialize(id, false, q, ZTDP_IDENTITY_PUBLIC_BIN_LEN) !=
	    ZTDP_IDENTITY_PUBLIC_BIN_LEN)
		return ZTDP_VERBS_EINVAL;
	return ZTDP_VERBS_OK;
}

/* The clear part up to the world fields: shared by decode and
 * crypt_offset. Leaves r just after the world fields (or at the end). */
static int hello_clear_part(struct ztdp_rd *r, struct ztdp_hello *h)
{
	int rc;

	h->proto_version = ztdp_rd_u8(r);
	h->major = ztdp_rd_u8(r);
	h->minor = ztdp_rd_u8(r);
	h->revision = ztdp_rd_u16(r);
	h->timestamp = ztdp_rd_u64(r);
	if (!ztdp_rd_ok(r))
		return ZTDP_VERBS_ETRUNC;
	rc = take_public_identity(r, &h->identity);
	if (rc != ZTDP_VERBS_OK)
		return rc;

	/* Each optional field is there only if the previous one is, the
	 * way 1.14.1 reads them. */
	if (ztdp_rd_left(r) == 0)
		return ZTDP_VERBS_OK;
	rc = vb_take_inetaddr(r, &h->dest);
	if (rc != ZTDP_VERBS_OK)
		return rc;
	h->has_dest = true;
	if (ztdp_rd_left(r) < ZTDP_HELLO_WORLD_LEN)
		return ztdp_rd_left(r) == 0 ? ZTDP_VERBS_OK : ZTDP_VERBS_ETRUNC;
	h->world_id = ztdp_rd_u64(r);
	h->world_timestamp = ztdp_rd_u64(r);
	h->has_world = true;
	return vb_rd_result(r);
}

int ztdp_hello_decode(const uint8_t *p, size_t len, struct ztdp_hello *h)
{
	struct ztdp_rd r;
	int rc;

	memset(h, 0, sizeof(*h));
	ztdp_rd_init(&r, p, len);
	rc = hello_clear_part(&r, h);
	if (rc != ZTDP_VERBS_OK)
		goto fail;
	if (!h->has_world || ztdp_rd_left(&r) == 0)
		return ZTDP_VERBS_OK;
	h->moon_count = ztdp_rd_u16(&r);
	h->moons_raw = ztdp_rd_take(&r, (size_t)h->moon_count * ZTDP_HELLO_MOON_LEN);
	h->has_moons = true;
	rc = vb_rd_result(&r);
	if (rc == ZTDP_VERBS_OK)
		return rc;
fail:
	ztdp_identity_clear(&h->identity);
	return rc;
}

int ztdp_hello_crypt_offset(const uint8_t *p, size_t len, size_t *off)
{
	struct ztdp_hello h;
	struct ztdp_rd r;
	int rc;

	memset(&h, 0, sizeof(h));
	ztdp_rd_init(&r, p, len);
	rc = hello_clear_part(&r, &h);
	ztdp_identity_clear(&h.identity);
	if (rc != ZTDP_VERBS_OK)
		return rc;
	*off = h.has_world ? r.off : len;
	return ZTDP_VERBS_OK;
}

int ztdp_hello_moon_get(const struct ztdp_hello *h, unsigned int i,
			struct ztdp_hello_moon *m)
{
	const uint8_t *q;

	if (i >= h->moon_count)
		return ZTDP_VERBS_EINVAL;
	if (h->moons != NULL) {
		*m = h->moons[i];
		return ZTDP_VERBS_OK;
	}
	if (h->moons_raw == NULL)
		return ZTDP_VERBS_EINVAL;
	q = h->moons_raw + (size_t)i * ZTDP_HELLO_MOON_LEN;
	m->type = q[0];
	m->world_id = ztdp_load_be64(q + 1);
	m->timestamp = ztdp_load_be64(q + 9);
	return ZTDP_VERBS_OK;
}

int ztdp_hello_encode(struct ztdp_wr *w, const struct ztdp_hello *h,
		      size_t *crypt_off)
{
	bool dest = h->has_dest;
	bool world = dest && h->has_world;
	bool moons = world && h->has_moons;
	int rc;

	if (dest && ztdp_inetaddr_encoded_len(&h->dest) == 0)
		return ZTDP_VERBS_EINVAL;
	if (moons && h->moon_count > 0 && h->moons == NULL && h->moons_raw == NULL)
		return ZTDP_VERBS_EINVAL;
	ztdp_wr_u8(w, h->proto_version);
	ztdp_wr_u8(w, h->major);
	ztdp_wr_u8(w, h->minor);
	ztdp_wr_u16(w, h->revision);
	ztdp_wr_u64(w, h->timestamp);
	rc = put_public_identity(w, &h->identity);
	if (rc != ZTDP_VERBS_OK)
		return rc;
	if (dest && ztdp_inetaddr_encode(w, &h->dest) != 0)
		return ztdp_wr_ok(w) ? ZTDP_VERBS_EINVAL : ZTDP_VERBS_ENOSPC;
	if (world) {
		ztdp_wr_u64(w, h->world_id);
		ztdp_wr_u64(w, h->world_timestamp);
	}
	if (crypt_off != NULL)
		*crypt_off = w->off;
	if (moons) {
		ztdp_wr_u16(w, h->moon_count);
		if (h->moons != NULL) {
			for (unsigned int i = 0; i < h->moon_count; i++) {
				ztdp_wr_u8(w, h->moons[i].type);
				ztdp_wr_u64(w, h->moons[i].world_id);
				ztdp_wr_u64(w, h->moons[i].timestamp);
			}
		} else {
			vb_wr_opt_bytes(w, h->moons_raw,
					(size_t)h->moon_count * ZTDP_HELLO_MOON_LEN);
		}
	}
	return vb_wr_result(w);
}

/* ---- OK(HELLO) ------------------------------------------------------------- */

int ztdp_ok_hello_decode(const uint8_t *p, size_t len, struct ztdp_ok_hello *o)
{
	struct ztdp_rd r;
	int rc;

	memset(o, 0, sizeof(*o));
	ztdp_rd_init(&r, p, len);
	o->timestamp = ztdp_rd_u64(&r);
	o->proto_version = ztdp_rd_u8(&r);
	o->major = ztdp_rd_u8(&r);
	o->minor = ztdp_rd_u8(&r);
	o->revision = ztdp_rd_u16(&r);
	if (!ztdp_rd_ok(&r))
		return ZTDP_VERBS_ETRUNC;
	if (ztdp_rd_left(&r) == 0)
		return ZTDP_VERBS_OK;
	rc = vb_take_inetaddr(&r, &o->addr);
	if (rc != ZTDP_VERBS_OK)
		return rc;
	o->has_addr = true;
	/* 1.14.1 reads the world length only if two bytes remain; a single
	 * stray byte is ignored there and malformed here. */
	if (ztdp_rd_left(&r) == 0)
		return ZTDP_VERBS_OK;
	o->worlds_len = ztdp_rd_u16(&r);
	o->worlds = ztdp_rd_take(&r, o->worlds_len);
	o->has_worlds = true;
	return vb_rd_result(&r);
}

int ztdp_ok_hello_encode(struct ztdp_wr *w, const struct ztdp_ok_hello *o)
{
	bool worlds = o->has_addr && o->has_worlds;

	if (o->has_addr && ztdp_inetaddr_encoded_len(&o->addr) == 0)
		return ZTDP_VERBS_EINVAL;
	if (worlds && o->worlds == NULL && o->worlds_len > 0)
		return ZTDP_VERBS_EINVAL;
	ztdp_wr_u64(w, o->timestamp);
	ztdp_wr_u8(w, o->proto_version);
	ztdp_wr_u8(w, o->major);
	ztdp_wr_u8(w, o->minor);
	ztdp_wr_u16(w, o->revision);
	if (o->has_addr && ztdp_inetaddr_encode(w, &o->addr) != 0)
		return ztdp_wr_ok(w) ? ZTDP_VERBS_EINVAL : ZTDP_VERBS_ENOSPC;
	if (worlds) {
		ztdp_wr_u16(w, o->worlds_len);
		vb_wr_opt_bytes(w, o->worlds, o->worlds_len);
	}
	return vb_wr_result(w);
}

/* ---- WHOIS ------------------------------------------------------------------ */

int ztdp_whois_decode(const uint8_t *p, size_t len, struct ztdp_whois *m)
{
	memset(m, 0, sizeof(*m));
	/* 1.14.1 ignores a partial trailing address; nobody sends one. */
	if (len % ZTDP_ADDRESS_LEN != 0)
		return ZTDP_VERBS_ETRUNC;
	m->count = (unsigned int)(len / ZTDP_ADDRESS_LEN);
	m->raw = p;
	return ZTDP_VERBS_OK;
}

int ztdp_whois_encode(struct ztdp_wr *w, const struct ztdp_whois *m)
{
	return ztdp_verbs_write_addrs_(w, m->count, m->addrs, m->raw);
}

uint64_t ztdp_whois_address(const struct ztdp_whois *m, unsigned int i)
{
	if (i >= m->count)
		return 0;
	if (m->addrs != NULL)
		return m->addrs[i];
	return ztdp_load_be40(m->raw + (size_t)i * ZTDP_ADDRESS_LEN);
}

/* ---- OK(WHOIS) ----------------------------------------------------------------- */

int ztdp_ok_whois_decode(const uint8_t *p, size_t len, struct ztdp_ok_whois *o)
{
	struct ztdp_identity id;
	struct ztdp_rd r;
	int rc = ZTDP_VERBS_OK;

	memset(o, 0, sizeof(*o));
	memset(&id, 0, sizeof(id));
	if (len % ZTDP_IDENTITY_PUBLIC_BIN_LEN != 0)
		return ZTDP_VERBS_ETRUNC;
	/* Check every identity parses now, so the accessor cannot fail. */
	ztdp_rd_init(&r, p, len);
	while (ztdp_rd_left(&r) > 0 && rc == ZTDP_VERBS_OK)
		rc = take_public_identity(&r, &id);
	ztdp_identity_clear(&id);
	if (rc != ZTDP_VERBS_OK)
		return rc;
	o->count = (unsigned int)(len / ZTDP_IDENTITY_PUBLIC_BIN_LEN);
	o->raw = p;
	return ZTDP_VERBS_OK;
}

int ztdp_ok_whois_encode(struct ztdp_wr *w, const struct ztdp_ok_whois *o)
{
	int rc;

	if (o->ids == NULL) {
		if (o->count > 0 && o->raw == NULL)
			return ZTDP_VERBS_EINVAL;
		vb_wr_opt_bytes(w, o->raw,
				(size_t)o->count * ZTDP_IDENTITY_PUBLIC_BIN_LEN);
		return vb_wr_result(w);
	}
	for (unsigned int i = 0; i < o->count; i++) {
		rc = put_public_identity(w, &o->ids[i]);
		if (rc != ZTDP_VERBS_OK)
			return rc;
	}
	return vb_wr_result(w);
}

int ztdp_ok_whois_identity(const struct ztdp_ok_whois *o, unsigned int i,
			   struct ztdp_identity *id)
{
	if (i >= o->count)
		return ZTDP_VERBS_EINVAL;
	if (o->ids != NULL) {
		*id = o->ids[i];
		id->has_private = false;
		memset(id->priv, 0, sizeof(id->priv));
		return ZTDP_VERBS_OK;
	}
	if (o->raw == NULL ||
	    ztdp_identity_deserialize(id, o->raw + (size_t)i * ZTDP_IDENTITY_PUBLIC_BIN_LEN,
				      ZTDP_IDENTITY_PUBLIC_BIN_LEN) !=
	    ZTDP_IDENTITY_PUBLIC_BIN_LEN)
		return ZTDP_VERBS_ECRED;
	return ZTDP_VERBS_OK;
}

/* ---- RENDEZVOUS ---------------------------------------------------------------- */

int ztdp_rendezvous_decode(const uint8_t *p, size_t len,
			   struct ztdp_rendezvous *m)
{
	struct ztdp_rd r;
	unsigned int alen;
	const uint8_t *ip;

	memset(m, 0, sizeof(*m));
	ztdp_rd_init(&r, p, len);
	m->flags = ztdp_rd_u8(&r);
	m->with = ztdp_rd_u40(&r);
	m->addr.port = ztdp_rd_u16(&r);
	alen = ztdp_rd_u8(&r);
	if (!ztdp_rd_ok(&r))
		return ZTDP_VERBS_ETRUNC;
	/* Only these two lengths mean anything (1.14.1 ignores others). */
	if (alen != 4 && alen != 16)
		return ZTDP_VERBS_EINVAL;
	ip = ztdp_rd_take(&r, alen);
	if (ip == NULL)
		return ZTDP_VERBS_ETRUNC;
	memcpy(m->addr.ip, ip, alen);
	m->addr.family = alen == 4 ? 4 : 6;
	return ZTDP_VERBS_OK;
}

int ztdp_rendezvous_encode(struct ztdp_wr *w, const struct ztdp_rendezvous *m)
{
	size_t alen;

	if (m->with > VB_ADDRESS_MAX)
		return ZTDP_VERBS_EINVAL;
	if (m->addr.family == 4)
		alen = 4;
	else if (m->addr.family == 6)
		alen = 16;
	else
		return ZTDP_VERBS_EINVAL;
	ztdp_wr_u8(w, m->flags);
	ztdp_wr_u40(w, m->with);
	ztdp_wr_u16(w, m->addr.port);
	ztdp_wr_u8(w, (uint8_t)alen);
	ztdp_wr_bytes(w, m->addr.ip, alen);
	return vb_wr_result(w);
}
