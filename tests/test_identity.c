/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Identities against ZeroTierOne's own selftest vectors and against the
 * identities and signatures real 1.14.1 nodes and zerotier-idtool made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "ztdp_crypto.h"
#include "ztdp_hex.h"
#include "ztdp_identity.h"

static int setup(void **state)
{
	(void)state;
	return ztdp_crypto_init(NULL);
}

static void identity_from_keys(struct ztdp_identity *id, const uint8_t *pub,
			       const uint8_t *priv)
{
	memset(id, 0, sizeof(*id));
	memcpy(id->pub, pub, 64);
	if (priv != NULL) {
		memcpy(id->priv, priv, 64);
		id->has_private = true;
	}
}

/* All 32 key-pair / agreement / signature vectors of ZeroTier's selftest. */
static void test_c25519_vectors(void **state)
{
	json_t *root, *vecs, *v;
	size_t i;

	(void)state;
	if (!ztdp_test_have_shared("vectors/c25519.json"))
		skip();
	root = ztdp_test_load_json("vectors/c25519.json");
	vecs = json_object_get(root, "vectors");
	assert_int_equal(json_array_size(vecs), 32);
	json_array_foreach(vecs, i, v) {
		uint8_t pub1[64], priv1[64], pub2[64], priv2[64], agree[64];
		uint8_t sig1[96], sig2[96], mysig[96], k12[48], k21[48];
		struct ztdp_identity id1, id2;

		ztdp_test_unhex_exact(ztdp_test_json_str(v, "pub1"), pub1, 64);
		ztdp_test_unhex_exact(ztdp_test_json_str(v, "priv1"), priv1, 64);
		ztdp_test_unhex_exact(ztdp_test_json_str(v, "pub2"), pub2, 64);
		ztdp_test_unhex_exact(ztdp_test_json_str(v, "priv2"), priv2, 64);
		ztdp_test_unhex_exact(ztdp_test_json_str(v, "agreement"), agree, 64);
		ztdp_test_unhex_exact(ztdp_test_json_str(v, "agreementSignedBy1"), sig1, 96);
		ztdp_test_unhex_exact(ztdp_test_json_str(v, "agreementSignedBy2"), sig2, 96);
		identity_from_keys(&id1, pub1, priv1);
		identity_from_keys(&id2, pub2, priv2);

		/* Agreement is symmetric and is the head of SHA-512(X25519). */
		assert_int_equal(ztdp_identity_agree(&id1, &id2, k12), 0);
		assert_int_equal(ztdp_identity_agree(&id2, &id1, k21), 0);
		assert_memory_equal(k12, agree, 48);
		assert_memory_equal(k21, agree, 48);

		/* Ed25519 is deterministic: our signature is theirs, byte for byte. */
		assert_int_equal(ztdp_identity_sign(&id1, agree, 64, mysig), 0);
		assert_memory_equal(mysig, sig1, 96);
		assert_int_equal(ztdp_identity_sign(&id2, agree, 64, mysig), 0);
		assert_memory_equal(mysig, sig2, 96);
		assert_true(ztdp_identity_verify(&id1, agree, 64, sig1, 96));
		assert_true(ztdp_identity_verify(&id2, agree, 64, sig2, 96));
		assert_false(ztdp_identity_verify(&id2, agree, 64, sig1, 96));
		assert_false(ztdp_identity_verify(&id1, agree, 64, sig1, 95));
		sig1[i % 96] ^= 0x01;
		assert_false(ztdp_identity_verify(&id1, agree, 64, sig1, 96));
	}
	json_decref(root);
}

static void test_sha512_vector(void **state)
{
	json_t *root, *v;
	uint8_t want[64], got[64];
	const char *in;

	(void)state;
	if (!ztdp_test_have_shared("vectors/sha512.json"))
		skip();
	root = ztdp_test_load_json("vectors/sha512.json");
	v = json_array_get(json_object_get(root, "vectors"), 0);
	in = ztdp_test_json_str(v, "input_ascii");
	ztdp_test_unhex_exact(ztdp_test_json_str(v, "sha512"), want, 64);
	crypto_hash_sha512(got, (const uint8_t *)in, strlen(in));
	assert_memory_equal(got, want, 64);
	json_decref(root);
}

static void test_known_identities(void **state)
{
	json_t *root, *good, *bad, *der;
	struct ztdp_identity id, back;
	uint8_t digest[64], want[64], bin[ZTDP_IDENTITY_SECRET_BIN_LEN];
	uint8_t wantbin[ZTDP_IDENTITY_PUBLIC_BIN_LEN], sig[96], wantsig[96];
	char text[ZTDP_IDENTITY_TEXT_MAX];
	const char *why = NULL, *s;

	(void)state;
	if (!ztdp_test_have_shared("vectors/identity.json"))
		skip();
	root = ztdp_test_load_json("vectors/identity.json");
	good = json_object_get(root, "known_good");
	bad = json_object_get(root, "known_bad");
	der = json_object_get(root, "derived_from_known_good");

	s = ztdp_test_json_str(good, "string");
	assert_int_equal(ztdp_identity_from_string(&id, s, &why), 0);
	assert_true(id.has_private);
	assert_true(ztdp_identity_locally_validate(&id));
	assert_int_equal(ztdp_identity_to_string(&id, true, text, sizeof(text)),
			 (int)strlen(s));
	assert_string_equal(text, s);

	assert_int_equal(ztdp_identity_address_digest(id.pub, digest), 0);
	ztdp_test_unhex_exact(ztdp_test_json_str(der, "memory_hard_digest"), want, 64);
	assert_memory_equal(digest, want, 64);

	ztdp_test_unhex_exact(ztdp_test_json_str(der, "binary_serialized_public"),
			      wantbin, sizeof(wantbin));
	assert_int_equal(ztdp_identity_serialize(&id, false, bin, sizeof(bin)),
			 ZTDP_IDENTITY_PUBLIC_BIN_LEN);
	assert_memory_equal(bin, wantbin, sizeof(wantbin));
	assert_int_equal(ztdp_identity_deserialize(&back, bin, ZTDP_IDENTITY_PUBLIC_BIN_LEN),
			 ZTDP_IDENTITY_PUBLIC_BIN_LEN);
	assert_int_equal(back.address, id.address);
	assert_false(back.has_private);
	assert_int_equal(ztdp_identity_serialize(&id, true, bin, sizeof(bin)),
			 ZTDP_IDENTITY_SECRET_BIN_LEN);
	assert_int_equal(ztdp_identity_deserialize(&back, bin, sizeof(bin)),
			 ZTDP_IDENTITY_SECRET_BIN_LEN);
	assert_memory_equal(back.priv, id.priv, 64);
	/* Truncated or mistyped binary forms are refused. */
	assert_int_equal(ztdp_identity_deserialize(&back, bin, sizeof(bin) - 1), -1);
	assert_int_equal(ztdp_identity_deserialize(&back, bin, 70), -1);
	bin[5] = 1;
	assert_int_equal(ztdp_identity_deserialize(&back, bin, sizeof(bin)), -1);

	ztdp_test_unhex_exact(ztdp_test_json_str(der, "signature_of_ascii_hello"),
			      wantsig, 96);
	assert_int_equal(ztdp_identity_sign(&id, "hello", 5, sig), 0);
	assert_memory_equal(sig, wantsig, 96);

	s = ztdp_test_json_str(bad, "string");
	assert_int_equal(ztdp_identity_from_string(&id, s, &why), 0);
	assert_false(ztdp_identity_locally_validate(&id));
	json_decref(root);
}

/* The identities and signatures that real zerotier-idtool 1.14.1 made. */
static void test_real_identities_and_signatures(void **state)
{
	static const char *const names[] = { "root", "a", "b", "c" };
	char rel[256];

	(void)state;
	if (!ztdp_test_have_shared("interop/data/identities/c.identity.secret"))
		skip();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct ztdp_identity sec, pub;
		char text[ZTDP_IDENTITY_TEXT_MAX];
		uint8_t *secret_text, *public_text;
		size_t slen, plen;
		const char *why = NULL;

		snprintf(rel, sizeof(rel), "interop/data/identities/%s.identity.secret", names[i]);
		secret_text = ztdp_test_read_file(ztdp_test_shared_path(rel), &slen);
		snprintf(rel, sizeof(rel), "interop/data/identities/%s.identity.public", names[i]);
		public_text = ztdp_test_read_file(ztdp_test_shared_path(rel), &plen);

		assert_int_equal(ztdp_identity_from_string(&sec, (char *)secret_text, &why), 0);
		assert_true(sec.has_private);
		assert_true(ztdp_identity_locally_validate(&sec));
		assert_int_equal(ztdp_identity_from_string(&pub, (char *)public_text, &why), 0);
		assert_false(pub.has_private);
		assert_true(ztdp_identity_locally_validate(&pub));
		/* getpublic of their secret is their public file, byte for byte. */
		assert_int_equal(ztdp_identity_to_string(&sec, false, text, sizeof(text)),
				 (int)plen);
		assert_memory_equal(text, public_text, plen);
		free(secret_text);
		free(public_text);
	}

	static const char *const signers[] = { "c", "root" };
	size_t mlen;
	uint8_t *msg = ztdp_test_read_file(
		ztdp_test_shared_path("interop/data/signature/message.txt"), &mlen);

	for (size_t i = 0; i < 2; i++) {
		struct ztdp_identity id;
		uint8_t *sighex, sig[96], mine[96];
		size_t hlen;

		snprintf(rel, sizeof(rel), "interop/data/identities/%s.identity.secret", signers[i]);
		uint8_t *t = ztdp_test_read_file(ztdp_test_shared_path(rel), &hlen);

		assert_int_equal(ztdp_identity_from_string(&id, (char *)t, NULL), 0);
		free(t);
		snprintf(rel, sizeof(rel), "interop/data/signature/message.txt.%s.sig", signers[i]);
		sighex = ztdp_test_read_file(ztdp_test_shared_path(rel), &hlen);
		ztdp_test_unhex_exact((char *)sighex, sig, 96);
		free(sighex);

		assert_true(ztdp_identity_verify(&id, msg, mlen, sig, 96));
		assert_int_equal(ztdp_identity_sign(&id, msg, mlen, mine), 0);
		assert_memory_equal(mine, sig, 96);
		msg[0] ^= 0x20;
		assert_false(ztdp_identity_verify(&id, msg, mlen, sig, 96));
		msg[0] ^= 0x20;
	}
	free(msg);
}

static void test_generate(void **state)
{
	struct ztdp_identity a, b, parsed;
	char text[ZTDP_IDENTITY_TEXT_MAX];
	uint8_t k1[48], k2[48], sig[96];

	(void)state;
	assert_int_equal(ztdp_identity_generate(&a), 0);
	assert_int_equal(ztdp_identity_generate(&b), 0);
	assert_true(ztdp_identity_locally_validate(&a));
	assert_true(ztdp_identity_locally_validate(&b));
	assert_int_not_equal(a.address, b.address);

	assert_true(ztdp_identity_to_string(&a, true, text, sizeof(text)) > 0);
	assert_int_equal(ztdp_identity_from_string(&parsed, text, NULL), 0);
	assert_int_equal(parsed.address, a.address);
	assert_memory_equal(parsed.priv, a.priv, 64);
	assert_true(ztdp_identity_locally_validate(&parsed));

	assert_int_equal(ztdp_identity_agree(&a, &b, k1), 0);
	assert_int_equal(ztdp_identity_agree(&b, &a, k2), 0);
	assert_memory_equal(k1, k2, 48);

	assert_int_equal(ztdp_identity_sign(&a, text, 20, sig), 0);
	assert_true(ztdp_identity_verify(&a, text, 20, sig, 96));
	assert_false(ztdp_identity_verify(&b, text, 20, sig, 96));

	/* A public-only identity can neither sign nor agree. */
	ztdp_identity_clear(&parsed);
	assert_int_equal(ztdp_identity_sign(&parsed, text, 20, sig), -1);
	assert_int_equal(ztdp_identity_agree(&parsed, &b, k1), -1);

	/* A private key that does not belong to the public key fails. */
	a.priv[40] ^= 1;
	assert_false(ztdp_identity_locally_validate(&a));
}

static void test_bad_text_forms(void **state)
{
	static const char good_pub[] =
		"8e4df28b72:0:ac3d46abe0c21f3cfe7a6c8d6a85cfcffcb82fbd55af6a4d6350657c68200843"
		"fa2e16f9418bbd9702cae365f2af5fb4c420908b803a681d4daef6114d78a2d7";
	struct {
		const char *text;
		const char *why_contains;
	} cases[] = {
		{ "", "truncated" },
		{ "8e4df28b72", "truncated" },
		{ "8e4df28b7:0:00", "address" },
		{ "8e4df28b7z:0:", "hex" },
		{ "0000000000:0:", "reserved" },
		{ "ff4df28b72:0:", "reserved" },
		{ "8e4df28b72:1:", "type" },
		{ "8e4df28b72:0", "public" },
		{ "8e4df28b72:0:ac3d46", "truncated public" },
		{ "8e4df28b72:0:zz3d46abe0c21f3cfe7a6c8d6a85cfcffcb82fbd55af6a4d6350657c68200843"
		  "fa2e16f9418bbd9702cae365f2af5fb4c420908b803a681d4daef6114d78a2d7", "not hex" },
		{ NULL, "private" },	/* good_pub + ":abcd" */
		{ NULL, "after" },	/* good_pub + ":" + 128 hex + ":x" */
	};
	char buf[512];
	struct ztdp_identity id;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		const char *t = cases[i].text;

		if (t == NULL && strcmp(cases[i].why_contains, "private") == 0) {
			snprintf(buf, sizeof(buf), "%s:abcd", good_pub);
			t = buf;
		} else if (t == NULL) {
			snprintf(buf, sizeof(buf), "%s:%0128d:x", good_pub, 0);
			t = buf;
		}
		assert_int_equal(ztdp_identity_from_string(&id, t, &why), -1);
		assert_non_null(why);
		if (strstr(why, cases[i].why_contains) == NULL)
			fail_msg("case %zu: reason '%s' lacks '%s'", i, why,
				 cases[i].why_contains);
		assert_false(id.has_private);
	}
	assert_int_equal(ztdp_identity_from_string(&id, good_pub, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c25519_vectors),
		cmocka_unit_test(test_sha512_vector),
		cmocka_unit_test(test_known_identities),
		cmocka_unit_test(test_real_identities_and_signatures),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_bad_text_forms),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
