/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dictionary text (protocol notes section 8.1): escaping of every byte,
 * hex integers, booleans, strict rejection of malformed text, the writer's
 * set/replace/erase, and real configs a 1.14.1 controller sent (fixtures in
 * tests/data/netconf, see the README there): every entry re-written with
 * the writer gives back the original bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "ztdp_dict.h"

static const char *const fixtures[] = {
	"data-a-ok.dict", "data-b-ok.dict", "bridge-a-final.dict", "bridge-b-final.dict",
};

static uint8_t *load_fixture(const char *name, size_t *len)
{
	const char *src = getenv("ZTDP_SOURCE_DIR");
	char path[1024];

	snprintf(path, sizeof(path), "%s/tests/data/netconf/%s", src ? src : ".", name);
	return ztdp_test_read_file(path, len);
}

static int init_str(struct ztdp_dict *d, const char *s)
{
	return ztdp_dict_init(d, s, strlen(s));
}

/* Every byte value survives set_bin + get_bin, and only the five special
 * bytes are escaped. */
static void test_escape_all_bytes(void **state)
{
	uint8_t v[256], back[256];
	char text[600];
	struct ztdp_dict_wr w;
	struct ztdp_dict d;
	size_t len, n;

	(void)state;
	for (int i = 0; i < 256; i++)
		v[i] = (uint8_t)i;
	ztdp_dict_wr_init(&w, text, sizeof(text));
	assert_int_equal(ztdp_dict_set_bin(&w, "B", v, sizeof(v)), 0);
	assert_int_equal(ztdp_dict_wr_finish(&w, &len), 0);
	/* "B=" + 256 bytes + 5 escape backslashes. */
	assert_int_equal(len, 2 + 256 + 5);
	assert_null(memchr(text, '\0', len));
	assert_null(memchr(text, '\n', len));
	assert_null(memchr(text, '\r', len));
	assert_int_equal(ztdp_dict_init(&d, text, len), 0);
	assert_int_equal(ztdp_dict_get_bin(&d, "B", back, sizeof(back), &n), 0);
	assert_int_equal(n, 256);
	assert_memory_equal(back, v, 256);
	/* One byte short of room: refused, not truncated. */
	assert_int_equal(ztdp_dict_get_bin(&d, "B", back, 255, &n), ZTDP_DICT_ETOOBIG);
}

static void test_escape_forms(void **state)
{
	struct ztdp_dict d;
	uint8_t out[16];
	size_t n;
	/* The five escapes, and "\x" for any other x meaning x. */
	static const char t[] = "k=\\0\\r\\n\\e\\\\\\q";
	static const uint8_t want[] = { 0, '\r', '\n', '=', '\\', 'q' };

	(void)state;
	assert_int_equal(init_str(&d, t), 0);
	assert_int_equal(ztdp_dict_get_bin(&d, "k", out, sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
}

static void test_hex_integers(void **state)
{
	struct ztdp_dict d;
	uint64_t u;
	int64_t i;

	(void)state;
	assert_int_equal(init_str(&d, "a=0000000000000af0\nb=AF0\nc=ffffffffffffffff\n"
				 "d=00000000000000000001\ne=10000000000000000\nf=10\n"
				 "g=\nh=12g\ni=-0000000000000010\nj=-8000000000000000\n"
				 "k=-8000000000000001\nl=8000000000000000\nm=0x10\nn= 1"), 0);
	assert_int_equal(ztdp_dict_get_u64(&d, "a", &u), 0);
	assert_int_equal(u, 2800);
	assert_int_equal(ztdp_dict_get_u64(&d, "b", &u), 0);
	assert_int_equal(u, 2800);
	assert_int_equal(ztdp_dict_get_u64(&d, "c", &u), 0);
	assert_int_equal(u, UINT64_MAX);
	/* Leading zeros beyond 16 digits are fine, a 65th bit is not. */
	assert_int_equal(ztdp_dict_get_u64(&d, "d", &u), 0);
	assert_int_equal(u, 1);
	assert_int_equal(ztdp_dict_get_u64(&d, "e", &u), ZTDP_DICT_EMALFORMED);
	/* Hex, not decimal (pitfall of section 14). */
	assert_int_equal(ztdp_dict_get_u64(&d, "f", &u), 0);
	assert_int_equal(u, 16);
	assert_int_equal(ztdp_dict_get_u64(&d, "g", &u), ZTDP_DICT_EMALFORMED);
	assert_int_equal(ztdp_dict_get_u64(&d, "h", &u), ZTDP_DICT_EMALFORMED);
	assert_int_equal(ztdp_dict_get_u64(&d, "m", &u), ZTDP_DICT_EMALFORMED);
	assert_int_equal(ztdp_dict_get_u64(&d, "n", &u), ZTDP_DICT_EMALFORMED);
	assert_int_equal(ztdp_dict_get_u64(&d, "zz", &u), ZTDP_DICT_ENOENT);
	assert_int_equal(ztdp_dict_get_i64(&d, "i", &i), 0);
	assert_int_equal(i, -16);
	assert_int_equal(ztdp_dict_get_i64(&d, "j", &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(ztdp_dict_get_i64(&d, "k", &i), ZTDP_DICT_EMALFORMED);
	assert_int_equal(ztdp_dict_get_i64(&d, "l", &i), ZTDP_DICT_EMALFORMED);
	assert_int_equal(ztdp_dict_get_i64(&d, "f", &i), 0);
	assert_int_equal(i, 16);
}

static void test_bool_and_strings(void **state)
{
	struct ztdp_dict d;
	bool b;
	char s[8];

	(void)state;
	assert_int_equal(init_str(&d, "t=1\nu=t\nv=T\nw=0\nx=f\ny=2\nz=\n"
				 "n=interop\nnul=a\\0b"), 0);
	assert_int_equal(ztdp_dict_get_bool(&d, "t", &b), 0);
	assert_true(b);
	assert_int_equal(ztdp_dict_get_bool(&d, "u", &b), 0);
	assert_true(b);
	assert_int_equal(ztdp_dict_get_bool(&d, "v", &b), 0);
	assert_true(b);
	assert_int_equal(ztdp_dict_get_bool(&d, "w", &b), 0);
	assert_false(b);
	assert_int_equal(ztdp_dict_get_bool(&d, "x", &b), 0);
	assert_false(b);
	assert_int_equal(ztdp_dict_get_bool(&d, "y", &b), ZTDP_DICT_EMALFORMED);
	assert_int_equal(ztdp_dict_get_bool(&d, "z", &b), ZTDP_DICT_EMALFORMED);
	assert_int_equal(ztdp_dict_get_str(&d, "n", s, sizeof(s)), 0);
	assert_string_equal(s, "interop");
	assert_int_equal(ztdp_dict_get_str(&d, "n", s, 7), ZTDP_DICT_ETOOBIG);
	assert_int_equal(ztdp_dict_get_str(&d, "nul", s, sizeof(s)), ZTDP_DICT_EMALFORMED);
	assert_int_equal(ztdp_dict_get_str(&d, "z", s, sizeof(s)), 0);
	assert_string_equal(s, "");
}

/* Lookup semantics of 1.14.1: whole keys only, first entry wins, CR ends
 * an entry too, empty lines are nothing. */
static void test_lookup(void **state)
{
	struct ztdp_dict d;
	uint64_t u;
	const char *k, *v;
	size_t pos = 0, kl, vl, count = 0;

	(void)state;
	assert_int_equal(init_str(&d, "nwid=1\nn=2\r\n\nn=3\rid=4\n"), 0);
	assert_int_equal(ztdp_dict_get_u64(&d, "n", &u), 0);
	assert_int_equal(u, 2);
	assert_int_equal(ztdp_dict_get_u64(&d, "nwid", &u), 0);
	assert_int_equal(u, 1);
	assert_int_equal(ztdp_dict_get_u64(&d, "id", &u), 0);
	assert_int_equal(u, 4);
	assert_false(ztdp_dict_has(&d, "nw"));
	assert_false(ztdp_dict_has(&d, "i"));
	assert_true(ztdp_dict_has(&d, "id"));
	while (ztdp_dict_next(&d, &pos, &k, &kl, &v, &vl) == 0)
		count++;
	assert_int_equal(count, 4);
	/* Keys that cannot be in a dictionary are refused, not searched. */
	assert_int_equal(ztdp_dict_get_u64(&d, "a=b", &u), ZTDP_DICT_EINVAL);
	assert_int_equal(ztdp_dict_get_u64(&d, "", &u), ZTDP_DICT_EINVAL);
	/* Trailing NULs (a C string's terminator) are not part of the text. */
	assert_int_equal(ztdp_dict_init(&d, "a=1\0\0", 5), 0);
	assert_int_equal(d.len, 3);
	assert_int_equal(ztdp_dict_init(&d, "", 0), 0);
	assert_false(ztdp_dict_has(&d, "a"));
}

static void test_malformed(void **state)
{
	static const struct {
		const char *t;
		size_t len;
	} bad[] = {
		{ "novalue", 7 },
		{ "a=1\nnovalue", 11 },
		{ "=1", 2 },
		{ "a=1\n=2", 6 },
		{ "a=\\", 3 },		/* lone backslash at the end */
		{ "a=x\\\nb=1", 8 },	/* lone backslash before LF */
		{ "a=1\0b=2", 7 },	/* raw NUL inside */
		{ "a b=1", 5 },		/* space in a key */
		{ "a\x01=1", 4 },
		{ "\xff=1", 3 },
		{ "abcdefghijklmnopqrstuvwxyz0123456=1", 35 },	/* key of 33 */
	};
	struct ztdp_dict d;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ztdp_dict_init(&d, bad[i].t, bad[i].len) != ZTDP_DICT_EMALFORMED)
			fail_msg("case %zu accepted", i);
		assert_int_equal(d.len, 0);
	}
	/* A 32-character key is the longest allowed. */
	assert_int_equal(init_str(&d, "abcdefghijklmnopqrstuvwxyz012345=1"), 0);
}

static void test_size_limit(void **state)
{
	size_t n = ZTDP_DICT_MAX_LEN + 1;
	char *t = malloc(n);
	struct ztdp_dict d;

	(void)state;
	assert_non_null(t);
	memset(t, 'x', n);
	t[0] = 'k';
	t[1] = '=';
	assert_int_equal(ztdp_dict_init(&d, t, n), ZTDP_DICT_ETOOBIG);
	assert_int_equal(ztdp_dict_init(&d, t, n - 1), 0);
	free(t);
}

static void test_writer(void **state)
{
	char buf[256];
	struct ztdp_dict_wr w;
	struct ztdp_dict d;
	size_t len;
	uint64_t u;
	int64_t i;
	bool b;

	(void)state;
	ztdp_dict_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_dict_set_u64(&w, "v", 7), 0);
	assert_int_equal(ztdp_dict_set_address(&w, "id", 0x3285290482ULL), 0);
	assert_int_equal(ztdp_dict_set_str(&w, "n", "a=b"), 0);
	assert_int_equal(ztdp_dict_set_bool(&w, "ssoe", false), 0);
	assert_int_equal(ztdp_dict_set_i64(&w, "aexpt", -2), 0);
	assert_int_equal(ztdp_dict_wr_finish(&w, &len), 0);
	assert_int_equal(len, strlen("v=0000000000000007\nid=3285290482\nn=a\\eb\nssoe=0\n"
				     "aexpt=-0000000000000002"));
	assert_memory_equal(buf, "v=0000000000000007\nid=3285290482\nn=a\\eb\nssoe=0\n"
			    "aexpt=-0000000000000002", len);

	/* set replaces: the old entry goes, the new one is appended. */
	assert_int_equal(ztdp_dict_set_u64(&w, "id", 1), 0);
	assert_int_equal(ztdp_dict_set_u64(&w, "aexpt", 2), 0);
	assert_int_equal(ztdp_dict_set_u64(&w, "v", 8), 0);
	assert_int_equal(ztdp_dict_wr_finish(&w, &len), 0);
	assert_memory_equal(buf, "n=a\\eb\nssoe=0\nid=0000000000000001\n"
			    "aexpt=0000000000000002\nv=0000000000000008", len);
	assert_int_equal(ztdp_dict_erase(&w, "ssoe"), 0);
	assert_int_equal(ztdp_dict_erase(&w, "nothere"), 0);
	assert_int_equal(ztdp_dict_wr_finish(&w, &len), 0);
	assert_memory_equal(buf, "n=a\\eb\nid=0000000000000001\n"
			    "aexpt=0000000000000002\nv=0000000000000008", len);
	assert_int_equal(ztdp_dict_init(&d, buf, len), 0);
	assert_int_equal(ztdp_dict_get_u64(&d, "v", &u), 0);
	assert_int_equal(u, 8);
	assert_int_equal(ztdp_dict_get_i64(&d, "aexpt", &i), 0);
	assert_int_equal(i, 2);
	assert_int_equal(ztdp_dict_get_bool(&d, "ssoe", &b), ZTDP_DICT_ENOENT);
	/* Erase everything. */
	assert_int_equal(ztdp_dict_erase(&w, "n"), 0);
	assert_int_equal(ztdp_dict_erase(&w, "v"), 0);
	assert_int_equal(ztdp_dict_erase(&w, "id"), 0);
	assert_int_equal(ztdp_dict_erase(&w, "aexpt"), 0);
	assert_int_equal(ztdp_dict_wr_finish(&w, &len), 0);
	assert_int_equal(len, 0);

	/* Bad keys and addresses are refused and latch. */
	ztdp_dict_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_dict_set_u64(&w, "a=", 1), ZTDP_DICT_EINVAL);
	assert_int_equal(ztdp_dict_set_u64(&w, "ok", 1), ZTDP_DICT_EINVAL);
	assert_int_equal(ztdp_dict_wr_finish(&w, &len), ZTDP_DICT_EINVAL);
	ztdp_dict_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_dict_set_address(&w, "id", 1ULL << 40), ZTDP_DICT_EINVAL);

	/* Full buffer: refused whole, nothing half-written. */
	ztdp_dict_wr_init(&w, buf, 20);
	assert_int_equal(ztdp_dict_set_u64(&w, "v", 7), 0);	/* 18 bytes */
	assert_int_equal(ztdp_dict_set_bool(&w, "b", true), ZTDP_DICT_ENOSPC);
	assert_int_equal(w.len, 18);
	assert_int_equal(ztdp_dict_wr_finish(&w, &len), ZTDP_DICT_ENOSPC);
	assert_int_equal(len, 0);
}

/* Real configs: the text is accepted, the five escapes appear (as section
 * 8.1 says), and re-writing every entry with the writer in the same order
 * reproduces the controller's bytes exactly. */
static void test_real_configs(void **state)
{
	bool seen[5] = { false };
	static const char esc[5] = { '0', 'r', 'n', 'e', '\\' };

	(void)state;
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		size_t len, pos = 0, kl, vl, out_len, entries = 0;
		uint8_t *text = load_fixture(fixtures[f], &len);
		char *out = malloc(len + 1), *key;
		uint8_t *val = malloc(len + 1);
		struct ztdp_dict d;
		struct ztdp_dict_wr w;
		const char *k, *v;
		uint64_t u;

		assert_true(out && val);
		assert_int_equal(ztdp_dict_init(&d, text, len), 0);
		assert_int_equal(d.len, len);
		/* No trailing LF, no NUL on the wire (section 8.1). */
		assert_true(text[len - 1] != '\n');
		assert_int_equal(ztdp_dict_get_u64(&d, "v", &u), 0);
		assert_int_equal(u, 7);
		ztdp_dict_wr_init(&w, out, len);
		while (ztdp_dict_next(&d, &pos, &k, &kl, &v, &vl) == 0) {
			size_t n;

			for (size_t i = 0; i + 1 < vl; i++) {
				if (v[i] != '\\')
					continue;
				for (int e = 0; e < 5; e++)
					if (v[i + 1] == esc[e])
						seen[e] = true;
				i++;
			}
			key = strndup(k, kl);
			assert_non_null(key);
			assert_int_equal(ztdp_dict_unescape(v, vl, val, len, &n), 0);
			assert_int_equal(ztdp_dict_set_bin(&w, key, val, n), 0);
			free(key);
			entries++;
		}
		assert_true(entries >= 20);
		assert_int_equal(ztdp_dict_wr_finish(&w, &out_len), 0);
		assert_int_equal(out_len, len);
		assert_memory_equal(out, text, len);
		free(out);
		free(val);
		free(text);
	}
	for (int e = 0; e < 5; e++)
		if (!seen[e])
			fail_msg("escape \\%c not seen in the real configs", esc[e]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_all_bytes),
		cmocka_unit_test(test_escape_forms),
		cmocka_unit_test(test_hex_integers),
		cmocka_unit_test(test_bool_and_strings),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_real_configs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
