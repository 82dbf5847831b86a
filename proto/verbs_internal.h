/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the verbs_*.c files; not part of the public API. */
#ifndef ZTDP_VERBS_INTERNAL_H
#define ZTDP_VERBS_INTERNAL_H

#include "ztdp_verbs.h"

#define VB_ADDRESS_MAX	0xffffffffffULL		/* 40 bits */
#define VB_MAC_MAX	0xffffffffffffULL	/* 48 bits */

static inline uint64_t vb_load_mac(const uint8_t *q)
{
	return (uint64_t)ztdp_load_be16(q) << 32 | ztdp_load_be32(q + 2);
}

static inline uint64_t vb_rd_mac(struct ztdp_rd *r)
{
	return ztdp_rd_uint(r, ZTDP_MAC_LEN);
}

static inline void vb_wr_mac(struct ztdp_wr *w, uint64_t mac)
{
	ztdp_wr_uint(w, mac, ZTDP_MAC_LEN);
}

static inline void vb_rd_group(struct ztdp_rd *r, struct ztdp_mcast_group *g)
{
	g->mac = vb_rd_mac(r);
	g->adi = ztdp_rd_u32(r);
}

static inline void vb_wr_group(struct ztdp_wr *w, const struct ztdp_mcast_group *g)
{
	vb_wr_mac(w, g->mac);
	ztdp_wr_u32(w, g->adi);
}

/* A decoder's verdict once all fields are read: a short input latched the
 * reader's error flag somewhere along the way. */
static inline int vb_rd_result(const struct ztdp_rd *r)
{
	return ztdp_rd_ok(r) ? ZTDP_VERBS_OK : ZTDP_VERBS_ETRUNC;
}

static inline int vb_wr_result(const struct ztdp_wr *w)
{
	return ztdp_wr_ok(w) ? ZTDP_VERBS_OK : ZTDP_VERBS_ENOSPC;
}

/* Whatever is left in r, zero-copy; r is then at its end. */
static inline const uint8_t *vb_rd_rest(struct ztdp_rd *r, size_t *len)
{
	*len = ztdp_rd_left(r);
	return ztdp_rd_take(r, *len);
}

/* An InetAddress (section 6.16) as a verbs result: an unknown type byte is
 * EINVAL, a short one ETRUNC. */
static inline int vb_take_inetaddr(struct ztdp_rd *r, struct ztdp_inetaddr *a)
{
	uint8_t type;

	if (ztdp_rd_left(r) == 0) {
		r->err = true;
		return ZTDP_VERBS_ETRUNC;
	}
	type = r->p[r->off];
	if (type > ZTDP_INETADDR_TYPE_IPV6 || type == 5) {
		r->err = true;
		return ZTDP_VERBS_EINVAL;
	}
	if (ztdp_inetaddr_decode(r, a) != 0) {
		r->err = true;
		return ZTDP_VERBS_ETRUNC;
	}
	return ZTDP_VERBS_OK;
}

/* Copy n bytes that may be NULL when n is 0. */
static inline void vb_wr_opt_bytes(struct ztdp_wr *w, const uint8_t *p, size_t n)
{
	if (n > 0)
		ztdp_wr_bytes(w, p, n);
}

/* Check that a certificate of membership starts at r (ztdp_com_decode) and
 * point *com and *len at its bytes; r moves past it. ZTDP_VERBS_ETRUNC or
 * ZTDP_VERBS_ECRED otherwise. */
int ztdp_verbs_take_com_(struct ztdp_rd *r, const uint8_t **com, size_t *len);

/* Address lists (WHOIS, gather results): typed if given, else raw. */
int ztdp_verbs_write_addrs_(struct ztdp_wr *w, unsigned int count,
			    const uint64_t *addrs, const uint8_t *raw);

#endif /* ZTDP_VERBS_INTERNAL_H */
