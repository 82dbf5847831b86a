/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ZeroTier C25519 identities on libsodium.
 *
 * A ZeroTier key pair is two standard key pairs side by side: X25519 for key
 * agreement and Ed25519 for signatures (section 2.1 of the protocol notes).
 * The address is not chosen: it is the tail of a deliberately slow,
 * memory-hard hash of the public key, so that claiming an address costs
 * real work (section 2.2).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ztdp_hex.h"
#include "ztdp_identity.h"

#define ZTDP_X25519_LEN		32
#define ZTDP_ED25519_OFF	32	/* Ed25519 half of both 64-byte keys */
#define GEN_BLOCKS		(ZTDP_IDENTITY_GEN_MEMORY / 64)
#define GEN_WORDS		(ZTDP_IDENTITY_GEN_MEMORY / 8)
/* Keystream for the mixing phase is made this many blocks at a time, so
 * libsodium's wide Salsa20 code runs on long buffers. */
#define MIX_CHUNK_BLOCKS	512

bool ztdp_address_is_reserved(uint64_t address)
{
	return address == 0 || (address >> 32) == ZTDP_ADDRESS_RESERVED_PREFIX;
}

void ztdp_address_to_bytes(uint64_t address, uint8_t out[ZTDP_ADDRESS_LEN])
{
	for (int i = 0; i < ZTDP_ADDRESS_LEN; i++)
		out[i] = (uint8_t)(address >> (8 * (ZTDP_ADDRESS_LEN - 1 - i)));
}

uint64_t ztdp_address_from_bytes(const uint8_t in[ZTDP_ADDRESS_LEN])
{
	uint64_t a = 0;

	for (int i = 0; i < ZTDP_ADDRESS_LEN; i++)
		a = (a << 8) | in[i];
	return a;
}

/*
 * Section 2.2. One Salsa20/20 stream keyed from SHA-512(pub) fills 2 MiB,
 * each block chained to the one before it; then 131072 rounds swap a word of
 * the digest with a word of the buffer chosen by the buffer itself, and stir
 * the digest with the next keystream block. The buffer is what makes it
 * memory-hard; the stream position only moves forward.
 */
int ztdp_identity_address_digest(const uint8_t pub[ZTDP_C25519_PUBLIC_LEN],
				 uint8_t digest[64])
{
	uint8_t *genmem = NULL, *ks = NULL, *zeros = NULL;
	const uint8_t *key, *nonce;
	uint8_t d[64];
	uint64_t block = 0;
	int ret = -1;

	genmem = malloc(ZTDP_IDENTITY_GEN_MEMORY);
	ks = malloc(MIX_CHUNK_BLOCKS * 64);
	zeros = calloc(MIX_CHUNK_BLOCKS, 64);
	if (genmem == NULL || ks == NULL || zeros == NULL)
		goto out;

	crypto_hash_sha512(d, pub, ZTDP_C25519_PUBLIC_LEN);
	key = d;
	nonce = d + 32;

	/* Keyed from d before d starts to change; keep copies. */
	uint8_t k[32], n[8];

	memcpy(k, key, sizeof(k));
	memcpy(n, nonce, sizeof(n));

	crypto_stream_salsa20(genmem, ZTDP_IDENTITY_GEN_MEMORY, n, k);
	block = GEN_BLOCKS;
	for (size_t i = 64; i < ZTDP_IDENTITY_GEN_MEMORY; i++)
		genmem[i] ^= genmem[i - 64];

	for (size_t w = 0; w < GEN_WORDS; w += 2) {
		size_t chunk_pos = (w / 2) % MIX_CHUNK_BLOCKS;

		if (chunk_pos == 0) {
			crypto_stream_salsa20_xor_ic(ks, zeros,
						     MIX_CHUNK_BLOCKS * 64, n,
						     block, k);
			block += MIX_CHUNK_BLOCKS;
		}
		/* Words are read big-endian: the index bits are the last bytes. */
		const uint8_t *w1 = genmem + 8 * w;
		const uint8_t *w2 = genmem + 8 * (w + 1);
		unsigned int idx1 = w1[7] & 7;
		size_t idx2 = ((size_t)(w2[5] & 0x03) << 16) |
			      ((size_t)w2[6] << 8) | w2[7];
		uint8_t tmp[8];

		memcpy(tmp, genmem + 8 * idx2, 8);
		memcpy(genmem + 8 * idx2, d + 8 * idx1, 8);
		memcpy(d + 8 * idx1, tmp, 8);

		const uint8_t *kb = ks + 64 * chunk_pos;

		for (int i = 0; i < 64; i++)
			d[i] ^= kb[i];
	}

	memcpy(digest, d, 64);
	sodium_memzero(k, sizeof(k));
	ret = 0;
out:
	free(genmem);
	free(ks);
	free(zeros);
	return ret;
}

static bool digest_meets_criteria(const uint8_t digest[64], uint64_t *address)
{
	if (digest[0] >= ZTDP_IDENTITY_HASHCASH_FIRST_BYTE_LESS_THAN)
		return false;
	*address = ztdp_address_from_bytes(digest + 64 - ZTDP_ADDRESS_LEN);
	return !ztdp_address_is_reserved(*address);
}

/* Public halves from the private halves. */
static int derive_public(const uint8_t priv[ZTDP_C25519_PRIVATE_LEN],
			 uint8_t pub[ZTDP_C25519_PUBLIC_LEN])
{
	uint8_t edsk[crypto_sign_SECRETKEYBYTES];
	int rc;

	rc = crypto_scalarmult_base(pub, priv);
	if (rc == 0)
		rc = crypto_sign_seed_keypair(pub + ZTDP_ED25519_OFF, edsk,
					      priv + ZTDP_ED25519_OFF);
	sodium_memzero(edsk, sizeof(edsk));
	return rc == 0 ? 0 : -1;
}

int ztdp_identity_generate(struct ztdp_identity *id)
{
	uint8_t digest[64];

	memset(id, 0, sizeof(*id));
	/* The Ed25519 half is fixed once; only the X25519 half is searched,
	 * since only the public key as a whole feeds the hash. */
	randombytes_buf(id->priv + ZTDP_ED25519_OFF, 32);
	for (;;) {
		randombytes_buf(id->priv, ZTDP_X25519_LEN);
		if (derive_public(id->priv, id->pub) != 0)
			goto fail;
		if (ztdp_identity_address_digest(id->pub, digest) != 0)
			goto fail;
		if (digest_meets_criteria(digest, &id->address))
			break;
	}
	id->has_private = true;
	return 0;
fail:
	ztdp_identity_clear(id);
	return -1;
}

bool ztdp_identity_check(const struct ztdp_identity *id, const char **why)
{
	uint8_t digest[64];
	uint64_t derived;
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	if (ztdp_address_is_reserved(id->address)) {
		*why = "address is reserved";
		return false;
	}
	if (id->has_private) {
		uint8_t pub[ZTDP_C25519_PUBLIC_LEN];

		if (derive_public(id->priv, pub) != 0 ||
		    memcmp(pub, id->pub, sizeof(pub)) != 0) {
			*why = "private key does not belong to the public key";
			return false;
		}
	}
	if (ztdp_identity_address_digest(id->pub, digest) != 0) {
		*why = "out of memory";
		return false;
	}
	if (!digest_meets_criteria(digest, &derived) || derived != id->address) {
		*why = "address does not match its keys";
		return false;
	}
	*why = NULL;
	return true;
}

bool ztdp_identity_locally_validate(const struct ztdp_identity *id)
{
	return ztdp_identity_check(id, NULL);
}

/* Text form: one field after another, ':'-separated; see section 2.3. */
int ztdp_identity_from_string(struct ztdp_identity *id, const char *text,
			      const char **why)
{
	const char *dummy;
	const char *p = text;
	size_t n;

	if (why == NULL)
		why = &dummy;
	memset(id, 0, sizeof(*id));
	if (text == NULL) {
		*why = "no identity given";
		return -1;
	}

	n = strcspn(p, ":");
	if (n != 10 || p[n] != ':') {
		*why = p[n] == ':' ? "address is not 10 hex digits" :
				     "truncated identity: no ':' after the address";
		return -1;
	}
	uint8_t abytes[ZTDP_ADDRESS_LEN];

	if (ztdp_hex_decode(p, 10, abytes, sizeof(abytes)) < 0) {
		*why = "address is not hex";
		return -1;
	}
	id->address = ztdp_address_from_bytes(abytes);
	if (ztdp_address_is_reserved(id->address)) {
		*why = "address is reserved (0000000000 or ff........)";
		return -1;
	}
	p += n + 1;

	n = strcspn(p, ":");
	if (n != 1 || p[0] != '0') {
		*why = n == 0 ? "truncated identity: no type field" :
				"unsupported identity type (only type 0 exists)";
		return -1;
	}
	if (p[n] != ':') {
		*why = "truncated identity: no public key";
		return -1;
	}
	p += n + 1;

	n = strcspn(p, ":");
	if (n != 2 * ZTDP_C25519_PUBLIC_LEN) {
		*why = n < 2 * ZTDP_C25519_PUBLIC_LEN ?
			       "truncated public key (need 128 hex digits)" :
			       "public key too long (need 128 hex digits)";
		return -1;
	}
	if (ztdp_hex_decode(p, n, id->pub, sizeof(id->pub)) < 0) {
		*why = "public key is not hex";
		return -1;
	}
	p += n;
	if (*p == '\0')
		return 0;
	p++;

	n = strcspn(p, ":");
	if (n != 2 * ZTDP_C25519_PRIVATE_LEN) {
		*why = n < 2 * ZTDP_C25519_PRIVATE_LEN ?
			       "truncated private key (need 128 hex digits)" :
			       "private key too long (need 128 hex digits)";
		goto fail;
	}
	if (ztdp_hex_decode(p, n, id->priv, sizeof(id->priv)) < 0) {
		*why = "private key is not hex";
		goto fail;
	}
	if (p[n] != '\0') {
		*why = "unexpected text after the private key";
		goto fail;
	}
	id->has_private = true;
	return 0;
fail:
	ztdp_identity_clear(id);
	id->address = 0;
	return -1;
}

int ztdp_identity_to_string(const struct ztdp_identity *id, bool with_private,
			    char *buf, size_t buflen)
{
	bool priv = with_private && id->has_private;
	size_t need = 10 + 3 + 128 + (priv ? 1 + 128 : 0);
	uint8_t abytes[ZTDP_ADDRESS_LEN];

	if (buflen < need + 1)
		return -1;
	ztdp_address_to_bytes(id->address, abytes);
	ztdp_hex_encode(abytes, sizeof(abytes), buf);
	memcpy(buf + 10, ":0:", 3);
	ztdp_hex_encode(id->pub, sizeof(id->pub), buf + 13);
	if (priv) {
		buf[141] = ':';
		ztdp_hex_encode(id->priv, sizeof(id->priv), buf + 142);
	}
	return (int)need;
}

int ztdp_identity_serialize(const struct ztdp_identity *id, bool with_private,
			    uint8_t *buf, size_t buflen)
{
	bool priv = with_private && id->has_private;
	size_t need = priv ? ZTDP_IDENTITY_SECRET_BIN_LEN :
			     ZTDP_IDENTITY_PUBLIC_BIN_LEN;

	if (buflen < need)
		return -1;
	ztdp_address_to_bytes(id->address, buf);
	buf[5] = ZTDP_IDENTITY_TYPE_C25519;
	memcpy(buf + 6, id->pub, ZTDP_C25519_PUBLIC_LEN);
	buf[70] = priv ? ZTDP_C25519_PRIVATE_LEN : 0;
	if (priv)
		memcpy(buf + 71, id->priv, ZTDP_C25519_PRIVATE_LEN);
	return (int)need;
}

int ztdp_identity_deserialize(struct ztdp_identity *id, const uint8_t *buf,
			      size_t buflen)
{
	memset(id, 0, sizeof(*id));
	if (buflen < ZTDP_IDENTITY_PUBLIC_BIN_LEN)
		return -1;
	if (buf[5] != ZTDP_IDENTITY_TYPE_C25519)
		return -1;
	id->address = ztdp_address_from_bytes(buf);
	memcpy(id->pub, buf + 6, ZTDP_C25519_PUBLIC_LEN);
	if (buf[70] == 0)
		return ZTDP_IDENTITY_PUBLIC_BIN_LEN;
	if (buf[70] != ZTDP_C25519_PRIVATE_LEN ||
	    buflen < ZTDP_IDENTITY_SECRET_BIN_LEN) {
		memset(id, 0, sizeof(*id));
		return -1;
	}
	memcpy(id->priv, buf + 71, ZTDP_C25519_PRIVATE_LEN);
	id->has_private = true;
	return ZTDP_IDENTITY_SECRET_BIN_LEN;
}

void ztdp_c25519_sign(const uint8_t priv[ZTDP_C25519_PRIVATE_LEN],
		      const uint8_t pub[ZTDP_C25519_PUBLIC_LEN],
		      const void *msg, size_t len,
		      uint8_t sig[ZTDP_C25519_SIGNATURE_LEN])
{
	uint8_t h[crypto_hash_sha512_BYTES];
	uint8_t edsk[crypto_sign_SECRETKEYBYTES];

	/* libsodium's secret key is seed || public key. */
	memcpy(edsk, priv + ZTDP_ED25519_OFF, 32);
	memcpy(edsk + 32, pub + ZTDP_ED25519_OFF, 32);
	crypto_hash_sha512(h, msg, len);
	crypto_sign_detached(sig, NULL, h, 32, edsk);
	memcpy(sig + 64, h, 32);
	sodium_memzero(edsk, sizeof(edsk));
}

bool ztdp_c25519_verify(const uint8_t pub[ZTDP_C25519_PUBLIC_LEN],
			const void *msg, size_t len, const uint8_t *sig,
			size_t siglen)
{
	uint8_t h[crypto_hash_sha512_BYTES];

	if (siglen != ZTDP_C25519_SIGNATURE_LEN)
		return false;
	crypto_hash_sha512(h, msg, len);
	/* The digest rides along in the signature; it must be this message's. */
	if (sodium_memcmp(h, sig + 64, 32) != 0)
		return false;
	return crypto_sign_verify_detached(sig, h, 32,
					   pub + ZTDP_ED25519_OFF) == 0;
}

int ztdp_c25519_generate(uint8_t pub[ZTDP_C25519_PUBLIC_LEN],
			  uint8_t priv[ZTDP_C25519_PRIVATE_LEN])
{
	randombytes_buf(priv, ZTDP_C25519_PRIVATE_LEN);
	if (derive_public(priv, pub) == 0)
		return 0;
	sodium_memzero(priv, ZTDP_C25519_PRIVATE_LEN);
	return -1;
}

bool ztdp_c25519_pair_ok(const uint8_t pub[ZTDP_C25519_PUBLIC_LEN],
			 const uint8_t priv[ZTDP_C25519_PRIVATE_LEN])
{
	uint8_t derived[ZTDP_C25519_PUBLIC_LEN];

	return derive_public(priv, derived) == 0 &&
	       sodium_memcmp(derived, pub, sizeof(derived)) == 0;
}

int ztdp_identity_sign(const struct ztdp_identity *id, const void *msg,
		       size_t len, uint8_t sig[ZTDP_C25519_SIGNATURE_LEN])
{
	if (!id->has_private)
		return -1;
	ztdp_c25519_sign(id->priv, id->pub, msg, len, sig);
	return 0;
}

bool ztdp_identity_verify(const struct ztdp_identity *id, const void *msg,
			  size_t len, const uint8_t *sig, size_t siglen)
{
	return ztdp_c25519_verify(id->pub, msg, len, sig, siglen);
}

int ztdp_identity_agree(const struct ztdp_identity *me,
			const struct ztdp_identity *peer,
			uint8_t key[ZTDP_PEER_KEY_LEN])
{
	uint8_t raw[crypto_scalarmult_BYTES];
	uint8_t h[crypto_hash_sha512_BYTES];
	int rc = -1;

	if (!me->has_private)
		return -1;
	/* libsodium refuses an all-zero result, i.e. a low-order peer key:
	 * such a "shared" key would be known to everyone. */
	if (crypto_scalarmult(raw, me->priv, peer->pub) != 0)
		goto out;
	crypto_hash_sha512(h, raw, sizeof(raw));
	memcpy(key, h, ZTDP_PEER_KEY_LEN);
	rc = 0;
out:
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(h, sizeof(h));
	return rc;
}

void ztdp_identity_clear(struct ztdp_identity *id)
{
	sodium_memzero(id->priv, sizeof(id->priv));
	id->has_private = false;
}
