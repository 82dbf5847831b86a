/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the identity parsers.
 *
 * The input is tried both as text (ztdp_identity_from_string on a
 * NUL-terminated copy) and as the binary form (ztdp_identity_deserialize).
 * Whatever parses must survive a round trip through both forms unchanged;
 * anything else is reported as a crash (abort).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_crypto.h"
#include "ztdp_identity.h"

static bool same_identity(const struct ztdp_identity *x,
			  const struct ztdp_identity *y)
{
	return x->address == y->address && x->has_private == y->has_private &&
	       memcmp(x->pub, y->pub, sizeof(x->pub)) == 0 &&
	       (!x->has_private || memcmp(x->priv, y->priv, sizeof(x->priv)) == 0);
}

/* Text form -> identity -> text form again must be a fixed point. */
static void text_round_trip(const struct ztdp_identity *id)
{
	char text[ZTDP_IDENTITY_TEXT_MAX], again[ZTDP_IDENTITY_TEXT_MAX];
	struct ztdp_identity back;
	const char *why = NULL;
	int n;

	n = ztdp_identity_to_string(id, id->has_private, text, sizeof(text));
	CHECK(n > 0 && (size_t)n < sizeof(text) && strlen(text) == (size_t)n);
	memset(&back, 0, sizeof(back));
	CHECK(ztdp_identity_from_string(&back, text, &why) == 0);
	CHECK(same_identity(id, &back));
	CHECK(ztdp_identity_to_string(&back, back.has_private, again,
				      sizeof(again)) == n);
	CHECK(memcmp(text, again, (size_t)n + 1) == 0);
	/* One byte short of room must be refused, not overflowed. */
	CHECK(ztdp_identity_to_string(id, id->has_private, again, (size_t)n) < 0);
}

/* Identity -> binary form -> identity must be the same. */
static void binary_round_trip(const struct ztdp_identity *id)
{
	uint8_t bin[ZTDP_IDENTITY_SECRET_BIN_LEN], pub[ZTDP_IDENTITY_PUBLIC_BIN_LEN];
	struct ztdp_identity back;
	int n;

	n = ztdp_identity_serialize(id, id->has_private, bin, sizeof(bin));
	CHECK(n == (id->has_private ? ZTDP_IDENTITY_SECRET_BIN_LEN
				    : ZTDP_IDENTITY_PUBLIC_BIN_LEN));
	memset(&back, 0, sizeof(back));
	CHECK(ztdp_identity_deserialize(&back, bin, (size_t)n) == n);
	CHECK(same_identity(id, &back));
	/* Truncated input is refused. */
	CHECK(ztdp_identity_deserialize(&back, bin, (size_t)n - 1) < 0);
	/* The public form never carries the private key. */
	CHECK(ztdp_identity_serialize(id, false, pub, sizeof(pub)) ==
	      ZTDP_IDENTITY_PUBLIC_BIN_LEN);
	CHECK(pub[ZTDP_IDENTITY_PUBLIC_BIN_LEN - 1] == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (ztdp_crypto_init(NULL) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ztdp_identity id;
	const char *why = NULL;
	char *text;
	int n;

	/* As text. */
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&id, 0, sizeof(id));
	if (ztdp_identity_from_string(&id, text, &why) == 0) {
		CHECK(!ztdp_address_is_reserved(id.address));
		CHECK(id.address >> 40 == 0);
		text_round_trip(&id);
		binary_round_trip(&id);
	} else {
		CHECK(why != NULL && *why != '\0');
	}
	free(text);

	/* As the binary form, straight from the fuzzer's buffer so that any
	 * read past the end is caught. */
	memset(&id, 0, sizeof(id));
	n = ztdp_identity_deserialize(&id, data, size);
	if (n >= 0) {
		uint8_t bin[ZTDP_IDENTITY_SECRET_BIN_LEN];

		CHECK(n == ZTDP_IDENTITY_PUBLIC_BIN_LEN ||
		      n == ZTDP_IDENTITY_SECRET_BIN_LEN);
		CHECK((size_t)n <= size);
		CHECK(id.address >> 40 == 0);
		/* Serializing gives back exactly the bytes consumed. */
		CHECK(ztdp_identity_serialize(&id, id.has_private, bin,
					      sizeof(bin)) == n);
		CHECK(memcmp(bin, data, (size_t)n) == 0);
		binary_round_trip(&id);
		/* The text parser refuses reserved addresses; the binary
		 * one need not. */
		if (!ztdp_address_is_reserved(id.address))
			text_round_trip(&id);
	}
	ztdp_identity_clear(&id);
	return 0;
}
