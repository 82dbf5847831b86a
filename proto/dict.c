/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dictionary text (protocol notes section 8.1): strict checking, lookup,
 * unescaping, hex integers, and a writer that escapes.
 */
#include <string.h>

#include "ztdp_dict.h"

#define DICT_ESC	'\\'
#define DICT_LF		'\n'
#define DICT_CR		'\r'
#define DICT_EQ		'='

const char *ztdp_dict_strerror(int err)
{
	switch (err) {
	case ZTDP_DICT_OK:
		return "ok";
	case ZTDP_DICT_ENOENT:
		return "no such key";
	case ZTDP_DICT_EMALFORMED:
		return "malformed dictionary or value";
	case ZTDP_DICT_ETOOBIG:
		return "too big";
	case ZTDP_DICT_ENOSPC:
		return "no room in output";
	case ZTDP_DICT_EINVAL:
		return "invalid argument";
	default:
		return "unknown dictionary error";
	}
}

static bool is_eol(char c)
{
	return c == DICT_LF || c == DICT_CR;
}

/* Keys are printable ASCII without '=' (1.14.1 forbids '=', CR, LF and NUL
 * and warns that anything binary may not be retrievable). */
static bool key_char_ok(char c)
{
	return c > 0x20 && c < 0x7f && c != DICT_EQ;
}

static bool key_ok(const char *key, size_t *keylen)
{
	size_t n = 0;

	if (key == NULL)
		return false;
	while (key[n] != '\0') {
		if (!key_char_ok(key[n]) || n >= ZTDP_DICT_KEY_MAX)
			return false;
		n++;
	}
	*keylen = n;
	return n > 0;
}

/*
 * One entry starting at *pos (after any empty lines). Returns 0 with the
 * key and raw value, ZTDP_DICT_ENOENT at the end of the text or
 * ZTDP_DICT_EMALFORMED. Used both by the checker (on unchecked text) and by
 * lookups (on checked text), so it never trusts the text.
 */
static int scan_entry(const char *t, size_t len, size_t *pos,
		      const char **key, size_t *keylen,
		      const char **raw, size_t *rawlen)
{
	size_t i = *pos, k0, v0;

	while (i < len && is_eol(t[i]))
		i++;
	if (i >= len) {
		*pos = len;
		return ZTDP_DICT_ENOENT;
	}
	k0 = i;
	while (i < len && t[i] != DICT_EQ) {
		if (!key_char_ok(t[i]))
			return ZTDP_DICT_EMALFORMED;
		i++;
	}
	if (i >= len || i == k0 || i - k0 > ZTDP_DICT_KEY_MAX)
		return ZTDP_DICT_EMALFORMED;
	*key = t + k0;
	*keylen = i - k0;
	v0 = ++i;
	while (i < len && !is_eol(t[i])) {
		if (t[i] == '\0')
			return ZTDP_DICT_EMALFORMED;
		if (t[i] == DICT_ESC) {
			/* The escaped character must be there and must not
			 * end the line: a lone backslash is malformed. */
			if (i + 1 >= len || is_eol(t[i + 1]) || t[i + 1] == '\0')
				return ZTDP_DICT_EMALFORMED;
			i++;
		}
		i++;
	}
	*raw = t + v0;
	*rawlen = i - v0;
	*pos = i;
	return ZTDP_DICT_OK;
}

int ztdp_dict_init(struct ztdp_dict *d, const void *text, size_t len)
{
	const char *t = text;
	const char *k, *v;
	size_t pos = 0, kl, vl;
	int rc;

	d->text = "";
	d->len = 0;
	if (t == NULL && len > 0)
		return ZTDP_DICT_EINVAL;
	/* Trailing NULs are a C string's terminator (or padding), not data. */
	while (len > 0 && t[len - 1] == '\0')
		len--;
	if (len > ZTDP_DICT_MAX_LEN)
		return ZTDP_DICT_ETOOBIG;
	while ((rc = scan_entry(t, len, &pos, &k, &kl, &v, &vl)) == ZTDP_DICT_OK)
		;
	if (rc != ZTDP_DICT_ENOENT)
		return rc;
	d->text = len > 0 ? t : "";
	d->len = len;
	return ZTDP_DICT_OK;
}

int ztdp_dict_next(const struct ztdp_dict *d, size_t *pos,
		   const char **key, size_t *keylen,
		   const char **raw, size_t *rawlen)
{
	return scan_entry(d->text, d->len, pos, key, keylen, raw, rawlen);
}

int ztdp_dict_get_raw(const struct ztdp_dict *d, const char *key,
		      const char **raw, size_t *rawlen)
{
	const char *k, *v;
	size_t pos = 0, kl, vl, want;
	int rc;

	if (!key_ok(key, &want))
		return ZTDP_DICT_EINVAL;
	while ((rc = scan_entry(d->text, d->len, &pos, &k, &kl, &v, &vl)) ==
	       ZTDP_DICT_OK) {
		if (kl == want && memcmp(k, key, kl) == 0) {
			*raw = v;
			*rawlen = vl;
			return ZTDP_DICT_OK;
		}
	}
	return rc;
}

bool ztdp_dict_has(const struct ztdp_dict *d, const char *key)
{
	const char *v;
	size_t vl;

	return ztdp_dict_get_raw(d, key, &v, &vl) == ZTDP_DICT_OK;
}

static char unescape_char(char c)
{
	switch (c) {
	case '0':
		return '\0';
	case 'r':
		return DICT_CR;
	case 'n':
		return DICT_LF;
	case 'e':
		return DICT_EQ;
	default:
		return c;	/* "\\" and any other: the character itself */
	}
}

int ztdp_dict_unescape(const char *raw, size_t rawlen, void *out, size_t cap,
		       size_t *outlen)
{
	uint8_t *o = out;
	size_t n = 0;

	for (size_t i = 0; i < rawlen; i++) {
		char c = raw[i];

		if (c == DICT_ESC) {
			if (++i >= rawlen)
				return ZTDP_DICT_EMALFORMED;
			c = unescape_char(raw[i]);
		}
		if (n >= cap)
			return ZTDP_DICT_ETOOBIG;
		o[n++] = (uint8_t)c;
	}
	*outlen = n;
	return ZTDP_DICT_OK;
}

int ztdp_dict_get_bin(const struct ztdp_dict *d, const char *key,
		      void *out, size_t cap, size_t *outlen)
{
	const char *v;
	size_t vl;
	int rc = ztdp_dict_get_raw(d, key, &v, &vl);

	if (rc != ZTDP_DICT_OK)
		return rc;
	return ztdp_dict_unescape(v, vl, out, cap, outlen);
}

int ztdp_dict_get_str(const struct ztdp_dict *d, const char *key,
		      char *out, size_t cap)
{
	size_t n;
	int rc;

	if (cap == 0)
		return ZTDP_DICT_EINVAL;
	out[0] = '\0';
	rc = ztdp_dict_get_bin(d, key, out, cap - 1, &n);
	if (rc != ZTDP_DICT_OK)
		return rc;
	if (memchr(out, '\0', n) != NULL) {
		out[0] = '\0';
		return ZTDP_DICT_EMALFORMED;
	}
	out[n] = '\0';
	return ZTDP_DICT_OK;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits only (no escapes: a hex string never needs one), value within
 * 64 bits; leading zeros are fine. */
static int parse_hex(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0)
		return ZTDP_DICT_EMALFORMED;
	for (size_t i = 0; i < n; i++) {
		int h = hex_digit(s[i]);

		if (h < 0 || (x >> 60) != 0)
			return ZTDP_DICT_EMALFORMED;
		x = x << 4 | (uint64_t)h;
	}
	*v = x;
	return ZTDP_DICT_OK;
}

int ztdp_dict_get_u64(const struct ztdp_dict *d, const char *key, uint64_t *v)
{
	const char *s;
	size_t n;
	int rc = ztdp_dict_get_raw(d, key, &s, &n);

	if (rc != ZTDP_DICT_OK)
		return rc;
	return parse_hex(s, n, v);
}

int ztdp_dict_get_i64(const struct ztdp_dict *d, const char *key, int64_t *v)
{
	const char *s;
	size_t n;
	uint64_t m;
	bool neg = false;
	int rc = ztdp_dict_get_raw(d, key, &s, &n);

	if (rc != ZTDP_DICT_OK)
		return rc;
	if (n > 0 && s[0] == '-') {
		neg = true;
		s++;
		n--;
	}
	rc = parse_hex(s, n, &m);
	if (rc != ZTDP_DICT_OK)
		return rc;
	if (neg) {
		if (m > (uint64_t)INT64_MAX + 1)
			return ZTDP_DICT_EMALFORMED;
		*v = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
	} else {
		if (m > (uint64_t)INT64_MAX)
			return ZTDP_DICT_EMALFORMED;
		*v = (int64_t)m;
	}
	return ZTDP_DICT_OK;
}

int ztdp_dict_get_bool(const struct ztdp_dict *d, const char *key, bool *v)
{
	const char *s;
	size_t n;
	int rc = ztdp_dict_get_raw(d, key, &s, &n);

	if (rc != ZTDP_DICT_OK)
		return rc;
	if (n == 0)
		return ZTDP_DICT_EMALFORMED;
	switch (s[0]) {
	case '1':
	case 't':
	case 'T':
		*v = true;
		return ZTDP_DICT_OK;
	case '0':
	case 'f':
	case 'F':
		*v = false;
		return ZTDP_DICT_OK;
	default:
		return ZTDP_DICT_EMALFORMED;
	}
}

/* ---- Writer --------------------------------------------------------------- */

void ztdp_dict_wr_init(struct ztdp_dict_wr *w, void *buf, size_t cap)
{
	w->p = buf;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

static int wr_fail(struct ztdp_dict_wr *w, int err)
{
	if (w->err == 0)
		w->err = err;
	return err;
}

int ztdp_dict_erase(struct ztdp_dict_wr *w, const char *key)
{
	size_t want, pos = 0;

	if (w->err != 0)
		return w->err;
	if (!key_ok(key, &want))
		return wr_fail(w, ZTDP_DICT_EINVAL);
	/* The writer only ever holds text it wrote: well-formed, no empty
	 * lines, entries joined by single LFs. */
	while (pos < w->len) {
		size_t start = pos, end;

		while (pos < w->len && w->p[pos] != DICT_LF)
			pos++;
		end = pos;
		if (end - start > want && w->p[start + want] == DICT_EQ &&
		    memcmp(w->p + start, key, want) == 0) {
			/* Remove the entry and one adjacent LF. */
			size_t cut_from = start, cut_to = end;

			if (end < w->len)
				cut_to = end + 1;
			else if (start > 0)
				cut_from = start - 1;
			memmove(w->p + cut_from, w->p + cut_to, w->len - cut_to);
			w->len -= cut_to - cut_from;
			/* Either the next entry now starts here, or this was
			 * the last one and cut_from is the new end. */
			pos = cut_from;
			continue;
		}
		pos++;
	}
	return ZTDP_DICT_OK;
}

/* Bytes value takes once escaped. */
static size_t escaped_len(const uint8_t *v, size_t n)
{
	size_t e = n;

	for (size_t i = 0; i < n; i++)
		if (v[i] == '\0' || v[i] == DICT_CR || v[i] == DICT_LF ||
		    v[i] == DICT_ESC || v[i] == DICT_EQ)
			e++;
	return e;
}

int ztdp_dict_set_bin(struct ztdp_dict_wr *w, const char *key,
		      const void *value, size_t len)
{
	const uint8_t *v = value;
	size_t keylen, need;
	char *o;
	int rc;

	if (w->err != 0)
		return w->err;
	if (!key_ok(key, &keylen) || (value == NULL && len > 0))
		return wr_fail(w, ZTDP_DICT_EINVAL);
	rc = ztdp_dict_erase(w, key);
	if (rc != ZTDP_DICT_OK)
		return rc;
	need = (w->len > 0 ? 1 : 0) + keylen + 1 + escaped_len(v, len);
	if (need > w->cap - w->len)
		return wr_fail(w, ZTDP_DICT_ENOSPC);
	if (w->len + need > ZTDP_DICT_MAX_LEN)
		return wr_fail(w, ZTDP_DICT_ETOOBIG);
	o = w->p + w->len;
	if (w->len > 0)
		*o++ = DICT_LF;
	memcpy(o, key, keylen);
	o += keylen;
	*o++ = DICT_EQ;
	for (size_t i = 0; i < len; i++) {
		switch (v[i]) {
		case '\0':
			*o++ = DICT_ESC;
			*o++ = '0';
			break;
		case DICT_CR:
			*o++ = DICT_ESC;
			*o++ = 'r';
			break;
		case DICT_LF:
			*o++ = DICT_ESC;
			*o++ = 'n';
			break;
		case DICT_ESC:
			*o++ = DICT_ESC;
			*o++ = DICT_ESC;
			break;
		case DICT_EQ:
			*o++ = DICT_ESC;
			*o++ = 'e';
			break;
		default:
			*o++ = (char)v[i];
			break;
		}
	}
	w->len += need;
	return ZTDP_DICT_OK;
}

int ztdp_dict_set_str(struct ztdp_dict_wr *w, const char *key, const char *s)
{
	if (s == NULL)
		return wr_fail(w, ZTDP_DICT_EINVAL);
	return ztdp_dict_set_bin(w, key, s, strlen(s));
}

static void hex_fixed(uint64_t v, unsigned int digits, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (unsigned int i = 0; i < digits; i++)
		out[i] = hx[(v >> (4 * (digits - 1 - i))) & 0xf];
}

int ztdp_dict_set_u64(struct ztdp_dict_wr *w, const char *key, uint64_t v)
{
	char tmp[ZTDP_DICT_HEX_U64_DIGITS];

	hex_fixed(v, ZTDP_DICT_HEX_U64_DIGITS, tmp);
	return ztdp_dict_set_bin(w, key, tmp, sizeof(tmp));
}

int ztdp_dict_set_i64(struct ztdp_dict_wr *w, const char *key, int64_t v)
{
	char tmp[1 + ZTDP_DICT_HEX_U64_DIGITS];
	uint64_t m;

	if (v >= 0)
		return ztdp_dict_set_u64(w, key, (uint64_t)v);
	m = (uint64_t)0 - (uint64_t)v;	/* well defined for INT64_MIN too */
	tmp[0] = '-';
	hex_fixed(m, ZTDP_DICT_HEX_U64_DIGITS, tmp + 1);
	return ztdp_dict_set_bin(w, key, tmp, sizeof(tmp));
}

int ztdp_dict_set_address(struct ztdp_dict_wr *w, const char *key, uint64_t addr)
{
	char tmp[ZTDP_DICT_HEX_ADDRESS_DIGITS];

	if (addr >> (8 * ZTDP_ADDRESS_LEN) != 0)
		return wr_fail(w, ZTDP_DICT_EINVAL);
	hex_fixed(addr, ZTDP_DICT_HEX_ADDRESS_DIGITS, tmp);
	return ztdp_dict_set_bin(w, key, tmp, sizeof(tmp));
}

int ztdp_dict_set_bool(struct ztdp_dict_wr *w, const char *key, bool v)
{
	return ztdp_dict_set_bin(w, key, v ? "1" : "0", 1);
}

int ztdp_dict_wr_finish(const struct ztdp_dict_wr *w, size_t *len)
{
	if (len != NULL)
		*len = w->err == 0 ? w->len : 0;
	return w->err;
}
