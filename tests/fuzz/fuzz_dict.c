/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: Dictionary text (section 8.1).
 *
 * 1. ztdp_dict_init on the input. If accepted: walk every entry, unescape
 *    it, read it through every typed getter; then re-write every entry with
 *    the writer (first occurrence of each key only) and check the result is
 *    accepted again and gives each key the same value.
 * 2. The input as a binary value: set_bin then get_bin gives it back.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_dict.h"

#define MAX_INPUT	65536

static void read_typed(const struct ztdp_dict *d, const char *key)
{
	uint64_t u;
	int64_t i;
	bool b;
	char s[64];
	uint8_t bin[64];
	size_t n;

	(void)ztdp_dict_get_u64(d, key, &u);
	(void)ztdp_dict_get_i64(d, key, &i);
	(void)ztdp_dict_get_bool(d, key, &b);
	(void)ztdp_dict_get_str(d, key, s, sizeof(s));
	(void)ztdp_dict_get_bin(d, key, bin, sizeof(bin), &n);
	CHECK(ztdp_dict_has(d, key));
}

static void rewrite(const struct ztdp_dict *d, size_t size)
{
	/* Escaping at most doubles a value; keys and separators add a bit. */
	size_t cap = 2 * size + 16;
	char *out = malloc(cap), *key = malloc(ZTDP_DICT_KEY_MAX + 1);
	uint8_t *val = malloc(size + 1), *val2 = malloc(size + 1);
	struct ztdp_dict_wr w;
	struct ztdp_dict d2;
	const char *k, *v;
	size_t pos = 0, kl, vl, n, n2, len, entries = 0;

	CHECK(out && key && val && val2);
	ztdp_dict_wr_init(&w, out, cap);
	while (ztdp_dict_next(d, &pos, &k, &kl, &v, &vl) == ZTDP_DICT_OK) {
		const char *fv;
		size_t fvl;

		CHECK(kl >= 1 && kl <= ZTDP_DICT_KEY_MAX);
		memcpy(key, k, kl);
		key[kl] = '\0';
		CHECK(ztdp_dict_unescape(v, vl, val, size + 1, &n) == ZTDP_DICT_OK);
		CHECK(n <= vl);
		/* Typed reads scan the text: a few entries are enough. */
		if (entries++ < 16)
			read_typed(d, key);
		/* Only the first entry of a key counts. */
		CHECK(ztdp_dict_get_raw(d, key, &fv, &fvl) == ZTDP_DICT_OK);
		if (fv != v)
			continue;
		CHECK(ztdp_dict_set_bin(&w, key, val, n) == ZTDP_DICT_OK);
	}
	CHECK(ztdp_dict_wr_finish(&w, &len) == ZTDP_DICT_OK);
	CHECK(len <= cap);
	CHECK(ztdp_dict_init(&d2, out, len) == ZTDP_DICT_OK);
	pos = 0;
	while (ztdp_dict_next(&d2, &pos, &k, &kl, &v, &vl) == ZTDP_DICT_OK) {
		memcpy(key, k, kl);
		key[kl] = '\0';
		CHECK(ztdp_dict_get_bin(d, key, val, size + 1, &n) == ZTDP_DICT_OK);
		CHECK(ztdp_dict_get_bin(&d2, key, val2, size + 1, &n2) == ZTDP_DICT_OK);
		CHECK(n == n2 && memcmp(val, val2, n) == 0);
	}
	free(out);
	free(key);
	free(val);
	free(val2);
}

static void binary_value(const uint8_t *data, size_t size)
{
	size_t cap = 2 * size + 8, len, n;
	char *out = malloc(cap);
	uint8_t *back = malloc(size + 1);
	struct ztdp_dict_wr w;
	struct ztdp_dict d;

	CHECK(out && back);
	ztdp_dict_wr_init(&w, out, cap);
	CHECK(ztdp_dict_set_bin(&w, "B", data, size) == ZTDP_DICT_OK);
	CHECK(ztdp_dict_wr_finish(&w, &len) == ZTDP_DICT_OK);
	CHECK(ztdp_dict_init(&d, out, len) == ZTDP_DICT_OK);
	CHECK(ztdp_dict_get_bin(&d, "B", back, size + 1, &n) == ZTDP_DICT_OK);
	CHECK(n == size && memcmp(back, data, size) == 0);
	free(out);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ztdp_dict d;

	if (size > MAX_INPUT)
		return 0;
	if (ztdp_dict_init(&d, data, size) == ZTDP_DICT_OK)
		rewrite(&d, size);
	binary_value(data, size);
	return 0;
}
