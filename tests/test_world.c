/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worlds (protocol notes section 7): the default planet compiled in (bytes
 * from vectors/planet.json) and the private planets the interop runs used
 * (with the key pair that signed them) parse, verify, and serialize back
 * to the same bytes; tampering breaks them; signing with a fresh key
 * round-trips; the update rule; limits and malformed input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "ztdp_crypto.h"
#include "ztdp_world.h"

#define PLANET_VEC	"vectors/planet.json"
#define DATA_PLANET	"interop/data/planet/planet"
#define DATA_KEY	"interop/data/planet/current.c25519"
#define DATA_ROOT	"interop/data/identities/root.identity.public"
#define BRIDGE_PLANET	"interop/data-bridge/world/planet"
#define BRIDGE_KEY	"interop/data-bridge/world/current.c25519"

static int setup(void **state)
{
	(void)state;
	return ztdp_crypto_init(NULL);
}

static void encode_exact(const struct ztdp_world *w, const uint8_t *want, size_t len)
{
	uint8_t *buf = malloc(ZTDP_WORLD_MAX_LEN);
	struct ztdp_wr wr;

	assert_non_null(buf);
	assert_int_equal(ztdp_world_size(w), len);
	ztdp_wr_init(&wr, buf, ZTDP_WORLD_MAX_LEN);
	assert_int_equal(ztdp_world_encode(&wr, w), 0);
	assert_int_equal(wr.off, len);
	assert_memory_equal(buf, want, len);
	/* One byte short: refused. */
	ztdp_wr_init(&wr, buf, len - 1);
	assert_int_equal(ztdp_world_encode(&wr, w), ZTDP_WORLD_ENOSPC);
	free(buf);
}

/* Every strict prefix is short; one more byte is trailing. */
static void check_truncations(const uint8_t *b, size_t len)
{
	struct ztdp_world *w = malloc(sizeof(*w));
	uint8_t *longer = malloc(len + 1);

	assert_true(w && longer);
	for (size_t i = 0; i < len; i++) {
		uint8_t *copy = malloc(i ? i : 1);

		assert_non_null(copy);
		memcpy(copy, b, i);
		if (ztdp_world_parse(copy, i, w) != ZTDP_WORLD_ESHORT)
			fail_msg("prefix of %zu/%zu bytes not reported short", i, len);
		free(copy);
	}
	memcpy(longer, b, len);
	longer[len] = 0;
	assert_int_equal(ztdp_world_parse(longer, len + 1, w), ZTDP_WORLD_ETRAILING);
	free(longer);
	free(w);
}

/* Flip each bit position's byte in turn: the world either stops parsing or
 * stops verifying with the key that signed it. */
static void check_tamper(const uint8_t *b, size_t len, const uint8_t key[64])
{
	struct ztdp_world *w = malloc(sizeof(*w));
	uint8_t *t = malloc(len);

	assert_true(w && t);
	memcpy(t, b, len);
	for (size_t i = 0; i < len; i++) {
		t[i] ^= 0x01;
		if (ztdp_world_parse(t, len, w) == 0 && ztdp_world_verify(w, key))
			fail_msg("world with byte %zu changed still verifies", i);
		t[i] ^= 0x01;
	}
	free(t);
	free(w);
}

static void test_default_planet(void **state)
{
	struct ztdp_world w;
	json_t *vec, *roots, *r;
	const uint8_t *bytes;
	uint8_t *want;
	size_t len, wlen, i;

	(void)state;
	bytes = ztdp_planet_default(&len);
	assert_int_equal(len, 570);
	assert_int_equal(ztdp_planet_default_load(&w), 0);
	assert_int_equal(w.type, ZTDP_WORLD_TYPE_PLANET);
	assert_int_equal(w.id, ZTDP_WORLD_ID_EARTH);
	assert_int_equal(w.timestamp, 1644592324813ULL);
	assert_int_equal(w.root_count, 4);
	/* Section 7: signed with its own updates key. */
	assert_true(ztdp_world_verify_self(&w));
	encode_exact(&w, bytes, len);
	check_tamper(bytes, len, w.updates_key);
	check_truncations(bytes, len);

	if (!ztdp_test_have_shared(PLANET_VEC))
		return;
	/* The array is the vector's bytes, and its roots are the listed ones. */
	vec = ztdp_test_load_json(PLANET_VEC);
	want = ztdp_test_unhex(ztdp_test_json_str(vec, "serialized_hex"), &wlen);
	assert_int_equal(wlen, len);
	assert_memory_equal(want, bytes, len);
	free(want);
	assert_int_equal(json_integer_value(json_object_get(vec, "world_id")), w.id);
	assert_int_equal(json_integer_value(json_object_get(vec, "timestamp_ms")), w.timestamp);
	roots = json_object_get(vec, "roots");
	assert_int_equal(json_array_size(roots), w.root_count);
	json_array_foreach(roots, i, r) {
		json_t *eps = json_object_get(r, "endpoints");
		uint64_t addr = strtoull(ztdp_test_json_str(r, "address"), NULL, 16);
		size_t j;
		json_t *e;

		assert_int_equal(w.roots[i].identity.address, addr);
		assert_int_equal(ztdp_world_find_root(&w, addr), (int)i);
		assert_true(ztdp_identity_locally_validate(&w.roots[i].identity));
		assert_int_equal(json_array_size(eps), w.roots[i].endpoint_count);
		json_array_foreach(eps, j, e) {
			struct ztdp_inetaddr a;

			assert_int_equal(ztdp_inetaddr_parse(&a, json_string_value(e)), 0);
			assert_true(ztdp_inetaddr_equal(&a, &w.roots[i].endpoints[j]));
		}
	}
	assert_int_equal(ztdp_world_find_root(&w, 0x1234567890ULL), -1);
	json_decref(vec);
}

static void load_key(const char *rel, uint8_t pub[64], uint8_t priv[64])
{
	size_t len;
	uint8_t *k = ztdp_test_read_file(ztdp_test_shared_path(rel), &len);

	assert_int_equal(len, 128);
	memcpy(pub, k, 64);
	memcpy(priv, k + 64, 64);
	sodium_memzero(k, len);
	free(k);
}

/* The private planets of the interop runs: one root, its stable endpoint,
 * signed by the planet key pair the data sets include. */
static void check_private_planet(const char *planet_rel, const char *key_rel,
				 uint64_t id)
{
	struct ztdp_world w, next;
	uint8_t *bytes, pub[64], priv[64], *buf;
	size_t len;
	struct ztdp_inetaddr ep;
	char text[ZTDP_INETADDR_STRLEN];
	struct ztdp_wr wr;

	if (!ztdp_test_have_shared(planet_rel) || !ztdp_test_have_shared(key_rel)) {
		skip();
		return;
	}
	bytes = ztdp_test_read_file(ztdp_test_shared_path(planet_rel), &len);
	load_key(key_rel, pub, priv);
	assert_int_equal(len, 257);
	assert_int_equal(ztdp_world_parse(bytes, len, &w), 0);
	assert_int_equal(w.type, ZTDP_WORLD_TYPE_PLANET);
	assert_int_equal(w.id, id);
	assert_memory_equal(w.updates_key, pub, 64);
	assert_true(ztdp_world_verify(&w, pub));
	assert_true(ztdp_world_verify_self(&w));
	assert_int_equal(w.root_count, 1);
	assert_int_equal(w.roots[0].endpoint_count, 1);
	ztdp_inetaddr_set_v4(&ep, 0x0a630001, 9993);
	assert_true(ztdp_inetaddr_equal(&w.roots[0].endpoints[0], &ep));
	assert_true(ztdp_inetaddr_format(&w.roots[0].endpoints[0], text, sizeof(text)) > 0);
	assert_string_equal(text, "10.99.0.1/9993");
	assert_true(ztdp_identity_locally_validate(&w.roots[0].identity));
	encode_exact(&w, bytes, len);
	check_tamper(bytes, len, pub);
	check_truncations(bytes, len);

	/* Re-signing the same content with the same key gives the same bytes
	 * (deterministic signatures, section 2.5). */
	next = w;
	memset(next.signature, 0, sizeof(next.signature));
	assert_int_equal(ztdp_world_sign(&next, pub, priv), 0);
	assert_memory_equal(next.signature, w.signature, sizeof(w.signature));

	/* A newer version signed with the planet key replaces it; the same
	 * timestamp, or the old one again, does not. */
	next.timestamp = w.timestamp + 1;
	assert_int_equal(ztdp_world_sign(&next, pub, priv), 0);
	assert_true(ztdp_world_should_replace(&w, &next));
	assert_false(ztdp_world_should_replace(&w, &w));
	assert_false(ztdp_world_should_replace(&next, &w));
	buf = malloc(ZTDP_WORLD_MAX_LEN);
	assert_non_null(buf);
	ztdp_wr_init(&wr, buf, ZTDP_WORLD_MAX_LEN);
	assert_int_equal(ztdp_world_encode(&wr, &next), 0);
	assert_int_equal(ztdp_world_parse(buf, wr.off, &next), 0);
	assert_true(ztdp_world_should_replace(&w, &next));
	free(buf);
	sodium_memzero(priv, sizeof(priv));
	free(bytes);
}

static void test_private_planet(void **state)
{
	struct ztdp_identity root;
	struct ztdp_world w;
	size_t len;
	uint8_t *t;

	(void)state;
	check_private_planet(DATA_PLANET, DATA_KEY, 0xcafe0001ULL);
	/* Its root is the controller/root node of the run. */
	if (!ztdp_test_have_shared(DATA_ROOT))
		return;
	t = ztdp_test_read_file(ztdp_test_shared_path(DATA_ROOT), &len);
	while (len > 0 && (t[len - 1] == '\n' || t[len - 1] == ' '))
		t[--len] = 0;
	assert_int_equal(ztdp_identity_from_string(&root, (const char *)t, NULL), 0);
	free(t);
	t = ztdp_test_read_file(ztdp_test_shared_path(DATA_PLANET), &len);
	assert_int_equal(ztdp_world_parse(t, len, &w), 0);
	assert_int_equal(w.roots[0].identity.address, root.address);
	assert_memory_equal(w.roots[0].identity.pub, root.pub, 64);
	free(t);
}

static void test_bridge_planet(void **state)
{
	(void)state;
	check_private_planet(BRIDGE_PLANET, BRIDGE_KEY, 0xcafe0b01ULL);
}

static void fresh_key(uint8_t pub[64], uint8_t priv[64])
{
	/* A C25519 pair: X25519 half then Ed25519 half; only the latter
	 * signs. */
	uint8_t sk[crypto_sign_SECRETKEYBYTES];

	crypto_box_keypair(pub, priv);
	/* ztdp keeps the 32-byte Ed25519 seed, not libsodium's 64-byte
	 * secret (seed || public). */
	randombytes_buf(priv + 32, 32);
	crypto_sign_seed_keypair(pub + 32, sk, priv + 32);
	sodium_memzero(sk, sizeof(sk));
}

static void make_world(struct ztdp_world *w, uint8_t type, uint64_t id, uint64_t ts,
		       const uint8_t next_key[64])
{
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

	memset(w, 0, sizeof(*w));
	w->type = type;
	w->id = id;
	w->timestamp = ts;
	memcpy(w->updates_key, next_key, 64);
	w->root_count = 2;
	for (unsigned int i = 0; i < 2; i++) {
		w->roots[i].identity.address = 0x1100000000ULL + i;
		memset(w->roots[i].identity.pub, 0x40 + (int)i, 64);
	}
	w->roots[0].endpoint_count = 3;
	ztdp_inetaddr_set_v4(&w->roots[0].endpoints[0], 0xc0000201, 9993);
	ztdp_inetaddr_set_v6(&w->roots[0].endpoints[1], v6, 443);
	/* endpoints[2]: the null address (one byte 0x00) */
	w->roots[1].endpoint_count = ZTDP_WORLD_MAX_ENDPOINTS;
	for (unsigned int j = 0; j < ZTDP_WORLD_MAX_ENDPOINTS; j++)
		ztdp_inetaddr_set_v4(&w->roots[1].endpoints[j], 0x0a000000 + j, 9993);
}

static void round_trip(const struct ztdp_world *w, const uint8_t key[64])
{
	uint8_t *buf = malloc(ZTDP_WORLD_MAX_LEN);
	struct ztdp_world back;
	struct ztdp_wr wr;

	assert_non_null(buf);
	ztdp_wr_init(&wr, buf, ZTDP_WORLD_MAX_LEN);
	assert_int_equal(ztdp_world_encode(&wr, w), 0);
	assert_int_equal(wr.off, ztdp_world_size(w));
	assert_int_equal(ztdp_world_parse(buf, wr.off, &back), 0);
	assert_true(ztdp_world_verify(&back, key));
	encode_exact(&back, buf, wr.off);
	check_truncations(buf, wr.off);
	free(buf);
}

static void test_sign_and_update(void **state)
{
	uint8_t k1p[64], k1s[64], k2p[64], k2s[64], k3p[64], k3s[64];
	struct ztdp_world w1, w2, bad, moon;

	(void)state;
	fresh_key(k1p, k1s);
	fresh_key(k2p, k2s);
	fresh_key(k3p, k3s);
	/* w1 says the next version must be signed by k2. */
	make_world(&w1, ZTDP_WORLD_TYPE_PLANET, 0xabcdef, 1000, k2p);
	assert_int_equal(ztdp_world_sign(&w1, k1p, k1s), 0);
	assert_true(ztdp_world_verify(&w1, k1p));
	assert_false(ztdp_world_verify(&w1, k2p));
	assert_false(ztdp_world_verify_self(&w1));
	round_trip(&w1, k1p);

	make_world(&w2, ZTDP_WORLD_TYPE_PLANET, 0xabcdef, 2000, k3p);
	assert_int_equal(ztdp_world_sign(&w2, k2p, k2s), 0);
	assert_true(ztdp_world_should_replace(&w1, &w2));
	/* Not signed by the current updates key. */
	bad = w2;
	assert_int_equal(ztdp_world_sign(&bad, k1p, k1s), 0);
	assert_false(ztdp_world_should_replace(&w1, &bad));
	/* Same or older timestamp. */
	bad = w2;
	bad.timestamp = 1000;
	assert_int_equal(ztdp_world_sign(&bad, k2p, k2s), 0);
	assert_false(ztdp_world_should_replace(&w1, &bad));
	/* Other ID, other type. */
	bad = w2;
	bad.id++;
	assert_int_equal(ztdp_world_sign(&bad, k2p, k2s), 0);
	assert_false(ztdp_world_should_replace(&w1, &bad));
	bad = w2;
	bad.type = ZTDP_WORLD_TYPE_MOON;
	assert_int_equal(ztdp_world_sign(&bad, k2p, k2s), 0);
	assert_false(ztdp_world_should_replace(&w1, &bad));
	/* Changed after signing. */
	bad = w2;
	bad.roots[1].endpoints[5].port = 1;
	assert_false(ztdp_world_should_replace(&w1, &bad));
	/* A null current world accepts nothing. */
	bad = w1;
	bad.type = ZTDP_WORLD_TYPE_NULL;
	assert_false(ztdp_world_should_replace(&bad, &w2));

	/* Moons carry the (empty) dictionary length. */
	make_world(&moon, ZTDP_WORLD_TYPE_MOON, 0x1100000000ULL, 5, k1p);
	assert_int_equal(ztdp_world_sign(&moon, k1p, k1s), 0);
	assert_true(ztdp_world_verify_self(&moon));
	assert_int_equal(ztdp_world_size(&moon), ztdp_world_size(&w1) + 2);
	round_trip(&moon, k1p);
	sodium_memzero(k1s, 64);
	sodium_memzero(k2s, 64);
	sodium_memzero(k3s, 64);
}

static void test_malformed(void **state)
{
	uint8_t pub[64], priv[64], *buf = malloc(ZTDP_WORLD_MAX_LEN + 256);
	struct ztdp_world w, back;
	struct ztdp_wr wr;
	size_t len, root0, ep0;

	(void)state;
	assert_non_null(buf);
	fresh_key(pub, priv);
	make_world(&w, ZTDP_WORLD_TYPE_PLANET, 1, 1, pub);
	w.roots[1].endpoint_count = 1;
	assert_int_equal(ztdp_world_sign(&w, pub, priv), 0);
	ztdp_wr_init(&wr, buf, ZTDP_WORLD_MAX_LEN);
	assert_int_equal(ztdp_world_encode(&wr, &w), 0);
	len = wr.off;
	root0 = 1 + 8 + 8 + 64 + 96 + 1;
	ep0 = root0 + 71 + 1;

	buf[0] = 2;	/* type */
	assert_int_equal(ztdp_world_parse(buf, len, &back), ZTDP_WORLD_EMALFORMED);
	buf[0] = ZTDP_WORLD_TYPE_PLANET;
	buf[root0 - 1] = ZTDP_WORLD_MAX_ROOTS + 1;
	assert_int_equal(ztdp_world_parse(buf, len, &back), ZTDP_WORLD_ELIMIT);
	buf[root0 - 1] = 2;
	buf[ep0 - 1] = ZTDP_WORLD_MAX_ENDPOINTS + 1;
	assert_int_equal(ztdp_world_parse(buf, len, &back), ZTDP_WORLD_ELIMIT);
	buf[ep0 - 1] = 3;
	buf[root0 + 5] = 1;	/* identity type */
	assert_int_equal(ztdp_world_parse(buf, len, &back), ZTDP_WORLD_EMALFORMED);
	buf[root0 + 5] = 0;
	buf[root0 + 70] = 64;	/* a root with its private key */
	assert_int_equal(ztdp_world_parse(buf, len, &back), ZTDP_WORLD_EMALFORMED);
	buf[root0 + 70] = 0;
	buf[ep0] = 1;		/* reserved InetAddress type */
	assert_int_equal(ztdp_world_parse(buf, len, &back), ZTDP_WORLD_EMALFORMED);
	buf[ep0] = 9;		/* unknown InetAddress type */
	assert_int_equal(ztdp_world_parse(buf, len, &back), ZTDP_WORLD_EMALFORMED);
	buf[ep0] = 4;
	assert_int_equal(ztdp_world_parse(buf, len, &back), 0);
	assert_true(ztdp_world_verify(&back, pub));

	/* Moon with a non-empty dictionary. */
	w.type = ZTDP_WORLD_TYPE_MOON;
	ztdp_wr_init(&wr, buf, ZTDP_WORLD_MAX_LEN);
	assert_int_equal(ztdp_world_encode(&wr, &w), 0);
	len = wr.off;
	assert_int_equal(ztdp_world_parse(buf, len, &back), 0);
	buf[len - 1] = 1;
	buf[len] = 'x';
	assert_int_equal(ztdp_world_parse(buf, len + 1, &back), ZTDP_WORLD_EMALFORMED);

	/* Encoder refuses what it cannot write. */
	w.root_count = ZTDP_WORLD_MAX_ROOTS + 1;
	ztdp_wr_init(&wr, buf, ZTDP_WORLD_MAX_LEN);
	assert_int_equal(ztdp_world_encode(&wr, &w), ZTDP_WORLD_EMALFORMED);
	assert_false(ztdp_world_verify(&w, pub));
	assert_int_equal(ztdp_world_sign(&w, pub, priv), -1);
	w.root_count = 1;
	w.roots[0].endpoints[0].family = 5;
	ztdp_wr_init(&wr, buf, ZTDP_WORLD_MAX_LEN);
	assert_int_equal(ztdp_world_encode(&wr, &w), ZTDP_WORLD_EMALFORMED);
	sodium_memzero(priv, sizeof(priv));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_planet),
		cmocka_unit_test(test_private_planet),
		cmocka_unit_test(test_bridge_planet),
		cmocka_unit_test(test_sign_and_update),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
