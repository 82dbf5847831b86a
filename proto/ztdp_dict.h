/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ZeroTier Dictionary (protocol notes section 8.1): the key=value text
 * that carries network configs and config-request metadata.
 *
 * Text form: entries "key=value" separated by LF (CR also ends an entry, as
 * in 1.14.1). Values are escaped: NUL -> "\0", CR -> "\r", LF -> "\n",
 * '\' -> "\\", '=' -> "\e"; a backslash before any other character stands
 * for that character. Binary blobs are stored the same way. Integers are
 * HEX (16 lowercase digits when written, any number of hex digits read),
 * never decimal; booleans are "1"/"0".
 *
 * On the wire there is no terminating NUL and no trailing LF; lengths come
 * from the enclosing message. This module never needs a NUL: the reader
 * works on (pointer, length) and the writer produces exactly the text.
 *
 * The reader is strict, unlike 1.14.1's: ztdp_dict_init checks the whole
 * text once and rejects it (ZTDP_DICT_EMALFORMED) when an entry has no '=',
 * an empty key, a key longer than ZTDP_DICT_KEY_MAX or with characters
 * outside printable ASCII, a raw NUL (trailing NULs are ignored), or a
 * value ending in a lone backslash. Empty lines are skipped. When a key
 * occurs twice the first entry wins, as in 1.14.1.
 */
#ifndef ZTDP_DICT_H
#define ZTDP_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_wire.h"

/* Error codes (0 = success). */
enum {
	ZTDP_DICT_OK = 0,
	ZTDP_DICT_ENOENT = -1,		/* key not present */
	ZTDP_DICT_EMALFORMED = -2,	/* text or value does not parse */
	ZTDP_DICT_ETOOBIG = -3,		/* over ZTDP_DICT_MAX_LEN, or value over the caller's buffer */
	ZTDP_DICT_ENOSPC = -4,		/* writer: buffer full */
	ZTDP_DICT_EINVAL = -5,		/* bad argument (e.g. a key with '=') */
};

/* "no such key", "malformed", ... for logs. */
const char *ztdp_dict_strerror(int err);

/* ---- Reading ------------------------------------------------------------ */

/* A checked view of dictionary text; it does not copy the text, which must
 * outlive it. */
struct ztdp_dict {
	const char *text;
	size_t len;	/* trailing NULs excluded */
};

/* Check the whole text (rules above) and set up d. Returns 0,
 * ZTDP_DICT_ETOOBIG or ZTDP_DICT_EMALFORMED. */
int ztdp_dict_init(struct ztdp_dict *d, const void *text, size_t len);

/* True if key is present. */
bool ztdp_dict_has(const struct ztdp_dict *d, const char *key);

/* Raw (still escaped) value of the first entry named key. */
int ztdp_dict_get_raw(const struct ztdp_dict *d, const char *key,
		      const char **raw, size_t *rawlen);

/* Unescaped value as bytes: *outlen set, nothing appended. Returns 0,
 * ZTDP_DICT_ENOENT, or ZTDP_DICT_ETOOBIG if it does not fit in cap. */
int ztdp_dict_get_bin(const struct ztdp_dict *d, const char *key,
		      void *out, size_t cap, size_t *outlen);

/* Unescaped value as a NUL-terminated string of at most cap - 1 bytes.
 * A value holding a NUL is ZTDP_DICT_EMALFORMED. */
int ztdp_dict_get_str(const struct ztdp_dict *d, const char *key,
		      char *out, size_t cap);

/* Hex integer: 1 or more hex digits (either case), value within 64 bits.
 * Anything else (empty, "0x", decimal point, overflow) is malformed. */
int ztdp_dict_get_u64(const struct ztdp_dict *d, const char *key, uint64_t *v);

/* Signed hex integer: optional '-' then hex digits; magnitude at most
 * 2^63. */
int ztdp_dict_get_i64(const struct ztdp_dict *d, const char *key, int64_t *v);

/* Boolean: '1', 't', 'T' are true, '0', 'f', 'F' false (the first
 * character decides, as in 1.14.1); other values are malformed. */
int ztdp_dict_get_bool(const struct ztdp_dict *d, const char *key, bool *v);

/* Walk the entries in order: start with *pos = 0. Returns 0 with the key
 * and raw value, or ZTDP_DICT_ENOENT at the end. */
int ztdp_dict_next(const struct ztdp_dict *d, size_t *pos,
		   const char **key, size_t *keylen,
		   const char **raw, size_t *rawlen);

/* Unescape a raw value (from ztdp_dict_get_raw / _next) into out. */
int ztdp_dict_unescape(const char *raw, size_t rawlen, void *out, size_t cap,
		       size_t *outlen);

/* ---- Writing ------------------------------------------------------------ */

/* Builds dictionary text in a caller buffer. Every set replaces an entry of
 * the same key (so a key is never written twice) and appends the new entry
 * at the end. Errors latch: check once with ztdp_dict_wr_finish. */
struct ztdp_dict_wr {
	char *p;
	size_t cap;
	size_t len;
	int err;	/* first error, 0 if none */
};

void ztdp_dict_wr_init(struct ztdp_dict_wr *w, void *buf, size_t cap);

int ztdp_dict_set_bin(struct ztdp_dict_wr *w, const char *key,
		      const void *value, size_t len);
int ztdp_dict_set_str(struct ztdp_dict_wr *w, const char *key, const char *s);
/* 16 lowercase hex digits, as 1.14.1 writes every integer. */
int ztdp_dict_set_u64(struct ztdp_dict_wr *w, const char *key, uint64_t v);
/* '-' and 16 hex digits when negative. */
int ztdp_dict_set_i64(struct ztdp_dict_wr *w, const char *key, int64_t v);
/* 10 lowercase hex digits (ZeroTier address form, e.g. "id"). */
int ztdp_dict_set_address(struct ztdp_dict_wr *w, const char *key, uint64_t addr);
int ztdp_dict_set_bool(struct ztdp_dict_wr *w, const char *key, bool v);
/* Remove every entry named key (no error if there is none). */
int ztdp_dict_erase(struct ztdp_dict_wr *w, const char *key);

/* The first error (0 if none); *len gets the text length (no NUL, no
 * trailing LF: exactly what goes on the wire). */
int ztdp_dict_wr_finish(const struct ztdp_dict_wr *w, size_t *len);

#endif /* ZTDP_DICT_H */
