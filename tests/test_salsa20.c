/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Salsa20: the selftest vectors through every implementation, every SIMD
 * implementation against the scalar one (random keys, counters across the
 * 32-bit word boundary, every length up to 2000, odd alignments, streams cut
 * into several calls), libsodium as an outside reference, and the Poly1305
 * vectors to pin the convention armor relies on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "ztdp_salsa20.h"

static const char *const impl_names[] = { "scalar", "avx2", "avx512" };

#define MAX_LEN 2000

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void rng_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rng() >> 56);
}

/* Force impl or skip the calling test, saying why. */
static void use_impl(const char *name)
{
	if (ztdp_salsa20_select_impl(name) != 0) {
		print_message("SKIP: salsa20 impl %s is not usable on this CPU/build\n",
			      name);
		skip();
	}
	assert_string_equal(ztdp_salsa20_impl_name(), name);
}

static int restore_auto(void **state)
{
	(void)state;
	assert_int_equal(ztdp_salsa20_select_impl("auto"), 0);
	return 0;
}

static void test_vectors(void **state)
{
	const char *impl = *state;
	json_t *root, *vecs, *v;
	size_t i;

	if (!ztdp_test_have_shared("vectors/salsa20.json"))
		skip();
	use_impl(impl);
	root = ztdp_test_load_json("vectors/salsa20.json");
	vecs = json_object_get(root, "vectors");
	assert_true(json_is_array(vecs));
	assert_true(json_array_size(vecs) >= 2);
	json_array_foreach(vecs, i, v) {
		uint8_t key[32], iv[8], want[64], got[64], buf[64 + 1];
		unsigned int rounds =
			(unsigned int)json_integer_value(json_object_get(v, "rounds"));
		struct ztdp_salsa20 s;

		assert_true(rounds == 12 || rounds == 20);
		ztdp_test_unhex_exact(ztdp_test_json_str(v, "key"), key, 32);
		ztdp_test_unhex_exact(ztdp_test_json_str(v, "iv"), iv, 8);
		ztdp_test_unhex_exact(ztdp_test_json_str(v, "keystream"), want, 64);

		ztdp_salsa20_init(&s, key, iv, rounds);
		ztdp_salsa20_keystream(&s, got, 64);
		assert_memory_equal(got, want, 64);
		/* Counter advanced by exactly one block. */
		assert_int_equal(s.state[8], 1);
		assert_int_equal(s.state[9], 0);

		/* Same through xor, in place, at an odd address. */
		memset(buf, 0, sizeof(buf));
		ztdp_salsa20_init(&s, key, iv, rounds);
		ztdp_salsa20_xor(&s, buf + 1, buf + 1, 64);
		assert_memory_equal(buf + 1, want, 64);

		/* And as block0 of the armor helper. */
		ztdp_salsa20_init(&s, key, iv, rounds);
		ztdp_salsa20_block0_xor(&s, got, NULL, NULL, 0);
		assert_memory_equal(got, want, 64);
	}
	json_decref(root);
}

/* Reference stream: scalar, one block per call. */
static void ref_stream(const uint8_t key[32], const uint8_t iv[8],
		       unsigned int rounds, uint64_t ctr, uint8_t *out,
		       const uint8_t *in, size_t len)
{
	struct ztdp_salsa20 s;
	uint8_t ks[64];

	assert_int_equal(ztdp_salsa20_select_impl("scalar"), 0);
	ztdp_salsa20_init(&s, key, iv, rounds);
	ztdp_salsa20_set_counter(&s, ctr);
	for (size_t off = 0; off < len; off += 64) {
		size_t n = len - off < 64 ? len - off : 64;

		ztdp_salsa20_keystream(&s, ks, 64);
		for (size_t i = 0; i < n; i++)
			out[off + i] = (in != NULL ? in[off + i] : 0) ^ ks[i];
	}
}

static uint64_t pick_counter(unsigned int i)
{
	switch (i % 4) {
	case 0:
		return 0;
	case 1:	/* The low word wraps inside a 16-block batch. */
		return 0xfffffff0ull + (rng() % 16);
	case 2:
		return rng() & 0xffffffffffull;
	default:
		return rng();
	}
}

static void test_simd_matches_scalar(void **state)
{
	const char *impl = *state;
	uint8_t *in = malloc(MAX_LEN + 64), *want = malloc(MAX_LEN + 64);
	uint8_t *got = malloc(MAX_LEN + 64);
	uint8_t key[32], iv[8];

	assert_non_null(in);
	assert_non_null(want);
	assert_non_null(got);
	use_impl(impl);
	for (unsigned int len = 0; len <= MAX_LEN; len++) {
		unsigned int rounds = len % 2 ? 12 : 20;
		unsigned int align = len % 7;
		uint64_t ctr = pick_counter(len);
		struct ztdp_salsa20 s;
		uint8_t b0[64], b0want[64];

		rng_fill(key, sizeof(key));
		rng_fill(iv, sizeof(iv));
		rng_fill(in, MAX_LEN + 64);
		ref_stream(key, iv, rounds, ctr, want, in + align, len);
		assert_int_equal(ztdp_salsa20_select_impl(impl), 0);

		/* One call, out of place, odd alignment. */
		memset(got, 0xa5, MAX_LEN + 64);
		ztdp_salsa20_init(&s, key, iv, rounds);
		ztdp_salsa20_set_counter(&s, ctr);
		ztdp_salsa20_xor(&s, got + 3, in + align, len);
		assert_memory_equal(got + 3, want, len);
		assert_int_equal(got[3 + len], 0xa5);
		assert_int_equal((uint64_t)s.state[9] << 32 | s.state[8],
				 ctr + (len + 63) / 64);

		/* In place, cut at random block boundaries. */
		memcpy(got + align, in + align, len);
		ztdp_salsa20_init(&s, key, iv, rounds);
		ztdp_salsa20_set_counter(&s, ctr);
		for (size_t off = 0; off < len;) {
			size_t n = 64 * (rng() % 20);

			if (n == 0 || n > len - off)
				n = len - off;
			ztdp_salsa20_xor(&s, got + align + off,
					 got + align + off, n);
			off += n;
		}
		assert_memory_equal(got + align, want, len);

		/* Bare keystream. */
		ref_stream(key, iv, rounds, ctr, want, NULL, len);
		assert_int_equal(ztdp_salsa20_select_impl(impl), 0);
		ztdp_salsa20_init(&s, key, iv, rounds);
		ztdp_salsa20_set_counter(&s, ctr);
		ztdp_salsa20_keystream(&s, got + align, len);
		assert_memory_equal(got + align, want, len);

		/* block0 + payload from the following counter. */
		ref_stream(key, iv, rounds, ctr, b0want, NULL, 64);
		ref_stream(key, iv, rounds, ctr + 1, want, in, len);
		assert_int_equal(ztdp_salsa20_select_impl(impl), 0);
		ztdp_salsa20_init(&s, key, iv, rounds);
		ztdp_salsa20_set_counter(&s, ctr);
		ztdp_salsa20_block0_xor(&s, b0, got + 1, in, len);
		assert_memory_equal(b0, b0want, 64);
		assert_memory_equal(got + 1, want, len);
		assert_int_equal((uint64_t)s.state[9] << 32 | s.state[8],
				 ctr + 1 + (len + 63) / 64);
	}
	free(in);
	free(want);
	free(got);
}

/* libsodium's Salsa20/20 (with a 64-bit initial counter) and Salsa20/12
 * (from counter 0) as an independent reference. */
static void test_matches_libsodium(void **state)
{
	const char *impl = *state;
	uint8_t *in = malloc(MAX_LEN), *want = malloc(MAX_LEN);
	uint8_t *got = malloc(MAX_LEN);
	uint8_t key[32], iv[8];

	assert_non_null(in);
	assert_non_null(want);
	assert_non_null(got);
	use_impl(impl);
	for (unsigned int t = 0; t < 200; t++) {
		size_t len = rng() % MAX_LEN;
		uint64_t ctr = pick_counter(t);
		struct ztdp_salsa20 s;

		rng_fill(key, sizeof(key));
		rng_fill(iv, sizeof(iv));
		rng_fill(in, len);

		crypto_stream_salsa20_xor_ic(want, in, len, iv, ctr, key);
		ztdp_salsa20_init(&s, key, iv, 20);
		ztdp_salsa20_set_counter(&s, ctr);
		ztdp_salsa20_xor(&s, got, in, len);
		assert_memory_equal(got, want, len);

		crypto_stream_salsa2012_xor(want, in, len, iv, key);
		ztdp_salsa20_init(&s, key, iv, 12);
		ztdp_salsa20_xor(&s, got, in, len);
		assert_memory_equal(got, want, len);
	}
	free(in);
	free(want);
	free(got);
}

/* Large counts: the address derivation's ~160k-block bulk use. */
static void test_bulk(void **state)
{
	const char *impl = *state;
	const size_t len = 64 * 4099;
	uint8_t *want = malloc(len), *got = malloc(len);
	uint8_t key[32], iv[8];
	struct ztdp_salsa20 s;

	assert_non_null(want);
	assert_non_null(got);
	use_impl(impl);
	rng_fill(key, sizeof(key));
	rng_fill(iv, sizeof(iv));
	memset(want, 0, len);
	crypto_stream_salsa20_xor_ic(want, want, len, iv, 0xffffff00ull, key);
	ztdp_salsa20_init(&s, key, iv, 20);
	ztdp_salsa20_set_counter(&s, 0xffffff00ull);
	ztdp_salsa20_keystream(&s, got, len);
	assert_memory_equal(got, want, len);
	free(want);
	free(got);
}

static void test_poly1305_vectors(void **state)
{
	json_t *root, *vecs, *v;
	size_t i;

	(void)state;
	if (!ztdp_test_have_shared("vectors/poly1305.json"))
		skip();
	root = ztdp_test_load_json("vectors/poly1305.json");
	vecs = json_object_get(root, "vectors");
	assert_true(json_is_array(vecs));
	assert_true(json_array_size(vecs) >= 1);
	json_array_foreach(vecs, i, v) {
		size_t n;
		uint8_t *msg = ztdp_test_unhex(ztdp_test_json_str(v, "input"), &n);
		uint8_t key[32], want[16], got[16];

		ztdp_test_unhex_exact(ztdp_test_json_str(v, "key"), key, 32);
		ztdp_test_unhex_exact(ztdp_test_json_str(v, "tag"), want, 16);
		crypto_onetimeauth_poly1305(got, msg, n, key);
		assert_memory_equal(got, want, 16);
		assert_int_equal(crypto_onetimeauth_poly1305_verify(want, msg, n, key), 0);
		free(msg);
	}
	json_decref(root);
}

static void test_select(void **state)
{
	(void)state;
	assert_int_equal(ztdp_salsa20_select_impl("scalar"), 0);
	assert_string_equal(ztdp_salsa20_impl_name(), "scalar");
	assert_int_equal(ztdp_salsa20_select_impl("nonsense"), -1);
	assert_int_equal(ztdp_salsa20_select_impl("auto"), 0);
	print_message("salsa20 automatic impl: %s\n", ztdp_salsa20_impl_name());
}

#define PER_IMPL(fn, i) { #fn "/" #i, fn, NULL, restore_auto, (void *)impl_names[i] }

int main(void)
{
	/* Names end in the index into impl_names: 0 scalar, 1 avx2, 2 avx512. */
	const struct CMUnitTest tests[] = {
		PER_IMPL(test_vectors, 0),
		PER_IMPL(test_vectors, 1),
		PER_IMPL(test_vectors, 2),
		PER_IMPL(test_simd_matches_scalar, 1),
		PER_IMPL(test_simd_matches_scalar, 2),
		PER_IMPL(test_matches_libsodium, 0),
		PER_IMPL(test_matches_libsodium, 1),
		PER_IMPL(test_matches_libsodium, 2),
		PER_IMPL(test_bulk, 0),
		PER_IMPL(test_bulk, 1),
		PER_IMPL(test_bulk, 2),
		cmocka_unit_test(test_poly1305_vectors),
		cmocka_unit_test(test_select),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
