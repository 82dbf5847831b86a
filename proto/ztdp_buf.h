/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounds-checked cursors over wire bytes. Every decoder in proto/ reads
 * through a ztdp_rd and every encoder writes through a ztdp_wr: an overrun
 * does not touch memory, it latches the cursor's error flag and later reads
 * return zeros, so a parser checks once at the end instead of after every
 * field. All integers are big-endian, as on the wire.
 */
#ifndef ZTDP_BUF_H
#define ZTDP_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ztdp_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool err;
};

struct ztdp_wr {
	uint8_t *p;
	size_t cap;
	size_t off;
	bool err;
};

static inline void ztdp_rd_init(struct ztdp_rd *r, const void *p, size_t len)
{
	r->p = (const uint8_t *)p;
	r->len = len;
	r->off = 0;
	r->err = false;
}

static inline size_t ztdp_rd_left(const struct ztdp_rd *r)
{
	return r->err ? 0 : r->len - r->off;
}

static inline bool ztdp_rd_ok(const struct ztdp_rd *r)
{
	return !r->err;
}

/* Pointer to the next n bytes and advance, or NULL (and error) if short. */
static inline const uint8_t *ztdp_rd_take(struct ztdp_rd *r, size_t n)
{
	const uint8_t *q;

	if (r->err || n > r->len - r->off) {
		r->err = true;
		return NULL;
	}
	q = r->p + r->off;
	r->off += n;
	return q;
}

static inline void ztdp_rd_skip(struct ztdp_rd *r, size_t n)
{
	(void)ztdp_rd_take(r, n);
}

static inline bool ztdp_rd_copy(struct ztdp_rd *r, void *out, size_t n)
{
	const uint8_t *q = ztdp_rd_take(r, n);

	if (q == NULL) {
		memset(out, 0, n);
		return false;
	}
	memcpy(out, q, n);
	return true;
}

static inline uint64_t ztdp_rd_uint(struct ztdp_rd *r, size_t n)
{
	const uint8_t *q = ztdp_rd_take(r, n);
	uint64_t v = 0;

	if (q == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | q[i];
	return v;
}

static inline uint8_t ztdp_rd_u8(struct ztdp_rd *r)
{
	return (uint8_t)ztdp_rd_uint(r, 1);
}

static inline uint16_t ztdp_rd_u16(struct ztdp_rd *r)
{
	return (uint16_t)ztdp_rd_uint(r, 2);
}

static inline uint32_t ztdp_rd_u32(struct ztdp_rd *r)
{
	return (uint32_t)ztdp_rd_uint(r, 4);
}

static inline uint64_t ztdp_rd_u40(struct ztdp_rd *r)
{
	return ztdp_rd_uint(r, 5);
}

static inline uint64_t ztdp_rd_u64(struct ztdp_rd *r)
{
	return ztdp_rd_uint(r, 8);
}

static inline void ztdp_wr_init(struct ztdp_wr *w, void *p, size_t cap)
{
	w->p = (uint8_t *)p;
	w->cap = cap;
	w->off = 0;
	w->err = false;
}

static inline bool ztdp_wr_ok(const struct ztdp_wr *w)
{
	return !w->err;
}

/* Reserve n bytes and return where they go, or NULL (and error). */
static inline uint8_t *ztdp_wr_reserve(struct ztdp_wr *w, size_t n)
{
	uint8_t *q;

	if (w->err || n > w->cap - w->off) {
		w->err = true;
		return NULL;
	}
	q = w->p + w->off;
	w->off += n;
	return q;
}

static inline void ztdp_wr_bytes(struct ztdp_wr *w, const void *src, size_t n)
{
	uint8_t *q = ztdp_wr_reserve(w, n);

	if (q != NULL && n > 0)
		memcpy(q, src, n);
}

static inline void ztdp_wr_uint(struct ztdp_wr *w, uint64_t v, size_t n)
{
	uint8_t *q = ztdp_wr_reserve(w, n);

	if (q == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		q[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static inline void ztdp_wr_u8(struct ztdp_wr *w, uint8_t v)
{
	ztdp_wr_uint(w, v, 1);
}

static inline void ztdp_wr_u16(struct ztdp_wr *w, uint16_t v)
{
	ztdp_wr_uint(w, v, 2);
}

static inline void ztdp_wr_u32(struct ztdp_wr *w, uint32_t v)
{
	ztdp_wr_uint(w, v, 4);
}

static inline void ztdp_wr_u40(struct ztdp_wr *w, uint64_t v)
{
	ztdp_wr_uint(w, v, 5);
}

static inline void ztdp_wr_u64(struct ztdp_wr *w, uint64_t v)
{
	ztdp_wr_uint(w, v, 8);
}

/* Big-endian loads and stores on raw pointers the caller has checked. */
static inline uint16_t ztdp_load_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t ztdp_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t ztdp_load_be64(const uint8_t *p)
{
	return (uint64_t)ztdp_load_be32(p) << 32 | ztdp_load_be32(p + 4);
}

static inline uint64_t ztdp_load_be40(const uint8_t *p)
{
	return (uint64_t)p[0] << 32 | ztdp_load_be32(p + 1);
}

static inline void ztdp_store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ztdp_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void ztdp_store_be64(uint8_t *p, uint64_t v)
{
	ztdp_store_be32(p, (uint32_t)(v >> 32));
	ztdp_store_be32(p + 4, (uint32_t)v);
}

static inline void ztdp_store_be40(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)(v >> 32);
	ztdp_store_be32(p + 1, (uint32_t)v);
}

#endif /* ZTDP_BUF_H */
