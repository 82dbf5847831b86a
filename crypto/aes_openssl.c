/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-GMAC-SIV (suite 3, section 4.3) on OpenSSL 3 EVP: the portable
 * backend.
 *
 * The difficulty is that an EVP_CIPHER_CTX is both the expanded key and
 * the running state of one operation, while a ztdp_peer_key must be usable
 * by several threads at once and must not redo the key schedule per packet.
 *
 * Design: each thread that does crypto takes a small slot id (0..63) from a
 * process-wide bitmap the first time, and gives it back when it exits (a
 * pthread key destructor). A key holds one pointer per slot id; the holder
 * of id i is the only thread that touches key->slot[i], where it lazily
 * builds four contexts keyed once for this key: AES-256-GCM with K0 (used
 * only as GMAC: AAD, no plaintext), AES-256-CTR with K1, and AES-256-ECB
 * encrypt and decrypt with K1, padding off. Per packet only the IV is set
 * (EVP_EncryptInit_ex with NULL cipher and key), which does not touch the
 * key schedule.
 *
 * Why this is sound: slot ownership is exclusive while a thread lives, so
 * no context is ever used by two threads at once and no lock is taken per
 * packet. When an id is handed from an exited thread to a new one, the
 * release/acquire pair on the bitmap orders the old owner's writes to
 * key->slot[i] before the new owner's reads, so the new thread may keep
 * using the contexts the old one built. A thread that finds all 64 ids
 * taken still gets correct results through a slow path that builds
 * temporary contexts per packet; it retries for an id on its next burst.
 *
 * Why not the alternatives: a lock per key serialises the threads that
 * share a peer; EVP_CIPHER_CTX_copy per packet copies the key schedule
 * every time; thread-local caches keyed by peer need eviction and
 * invalidation when keys are freed. Here key_free simply frees every slot
 * of the key; like every backend it must only be called when no thread is
 * using the key any more. The cost is memory: up to 64 sets of four
 * contexts per peer key, but only for threads that actually used the key.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aes_backend.h"
#include "ztdp_armor.h"
#include "ztdp_wire.h"

#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif

#define OSSL_MAX_SLOTS 64

/* The contexts one thread uses for one key. */
struct ossl_slot {
	EVP_CIPHER_CTX *gmac;	/* AES-256-GCM, K0 */
	EVP_CIPHER_CTX *ctr;	/* AES-256-CTR, K1 */
	EVP_CIPHER_CTX *ecb_enc;	/* AES-256-ECB, K1, no padding */
	EVP_CIPHER_CTX *ecb_dec;
};

struct ossl_key {
	uint8_t k0[32];
	uint8_t k1[32];
	struct ossl_slot *slot[OSSL_MAX_SLOTS];
};

/* Bit i set: slot id i is held by a live thread. */
static _Atomic uint64_t slot_ids_used;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;
static pthread_key_t slot_tls_key;
static bool slot_tls_key_ok;
static __thread int tl_slot_id = -1;

static bool ossl_usable(void)
{
	return true;
}

static void slot_id_release(void *p)
{
	unsigned int id = (unsigned int)((uintptr_t)p - 1);

	tl_slot_id = -1;
	atomic_fetch_and_explicit(&slot_ids_used, ~(UINT64_C(1) << id),
				  memory_order_release);
}

static void slot_tls_key_make(void)
{
	slot_tls_key_ok = pthread_key_create(&slot_tls_key,
					     slot_id_release) == 0;
}

static int slot_id_get_slow(void)
{
	uint64_t used;
	unsigned int id;

	pthread_once(&slot_once, slot_tls_key_make);
	if (!slot_tls_key_ok)
		return -1;
	used = atomic_load_explicit(&slot_ids_used, memory_order_acquire);
	while (~used != 0) {
		id = (unsigned int)__builtin_ctzll(~used);
		if (atomic_compare_exchange_weak_explicit(
			    &slot_ids_used, &used, used | (UINT64_C(1) << id),
			    memory_order_acq_rel, memory_order_acquire)) {
			if (pthread_setspecific(slot_tls_key,
						(void *)(uintptr_t)(id + 1)) != 0) {
				slot_id_release((void *)(uintptr_t)(id + 1));
				return -1;
			}
			tl_slot_id = (int)id;
			return (int)id;
		}
	}
	return -1;
}

static inline int slot_id_get(void)
{
	int id = tl_slot_id;

	if (likely(id >= 0))
		return id;
	return slot_id_get_slow();
}

static void slot_fini(struct ossl_slot *s)
{
	EVP_CIPHER_CTX_free(s->gmac);
	EVP_CIPHER_CTX_free(s->ctr);
	EVP_CIPHER_CTX_free(s->ecb_enc);
	EVP_CIPHER_CTX_free(s->ecb_dec);
	memset(s, 0, sizeof(*s));
}

/* Build the four contexts; the key schedules are made here, once. */
static int slot_init(struct ossl_slot *s, const struct ossl_key *k)
{
	memset(s, 0, sizeof(*s));
	s->gmac = EVP_CIPHER_CTX_new();
	s->ctr = EVP_CIPHER_CTX_new();
	s->ecb_enc = EVP_CIPHER_CTX_new();
	s->ecb_dec = EVP_CIPHER_CTX_new();
	if (s->gmac == NULL || s->ctr == NULL || s->ecb_enc == NULL ||
	    s->ecb_dec == NULL)
		goto fail;
	if (EVP_EncryptInit_ex(s->gmac, EVP_aes_256_gcm(), NULL, k->k0,
			       NULL) != 1)
		goto fail;
	if (EVP_EncryptInit_ex(s->ctr, EVP_aes_256_ctr(), NULL, k->k1,
			       NULL) != 1)
		goto fail;
	if (EVP_EncryptInit_ex(s->ecb_enc, EVP_aes_256_ecb(), NULL, k->k1,
			       NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(s->ecb_enc, 0) != 1)
		goto fail;
	if (EVP_DecryptInit_ex(s->ecb_dec, EVP_aes_256_ecb(), NULL, k->k1,
			       NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(s->ecb_dec, 0) != 1)
		goto fail;
	return 0;
fail:
	slot_fini(s);
	return -1;
}

/* This thread's contexts for key k, or NULL: then the caller uses the slow
 * path. Building them is the only allocation, once per (thread, key). */
static inline struct ossl_slot *slot_for(struct ossl_key *k)
{
	struct ossl_slot *s;
	int id = slot_id_get();

	if (unlikely(id < 0))
		return NULL;
	s = k->slot[id];
	if (likely(s != NULL))
		return s;
	s = malloc(sizeof(*s));
	if (s == NULL)
		return NULL;
	if (slot_init(s, k) != 0) {
		free(s);
		return NULL;
	}
	k->slot[id] = s;
	return s;
}

static int ossl_key_init(void **state, const uint8_t k0[32],
			 const uint8_t k1[32])
{
	struct ossl_key *k = calloc(1, sizeof(*k));

	*state = NULL;
	if (k == NULL)
		return -1;
	memcpy(k->k0, k0, 32);
	memcpy(k->k1, k1, 32);
	*state = k;
	return 0;
}

static void ossl_key_free(void *state)
{
	struct ossl_key *k = state;
	unsigned int i;

	if (k == NULL)
		return;
	for (i = 0; i < OSSL_MAX_SLOTS; i++) {
		if (k->slot[i] != NULL) {
			slot_fini(k->slot[i]);
			free(k->slot[i]);
		}
	}
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

/* F = fold(GMAC-K0(IV||0^32, A||P)), A = bytes 8..18 (hops masked) and 5
 * zero bytes, P = bytes 27..end. */
static int gmac_fold(EVP_CIPHER_CTX *gmac, const uint8_t *pkt, uint32_t len,
		     const uint8_t iv8[8], uint8_t f[8])
{
	uint8_t iv[12], a[16], tag[16];
	int outl;
	unsigned int j;

	memcpy(iv, iv8, 8);
	memset(iv + 8, 0, 4);
	memcpy(a, pkt + ZTDP_PKT_IDX_DEST, 11);
	a[10] &= ZTDP_PKT_FLAGS_AUTH_MASK;
	memset(a + 11, 0, 5);
	if (unlikely(EVP_EncryptInit_ex(gmac, NULL, NULL, NULL, iv) != 1 ||
		     EVP_EncryptUpdate(gmac, NULL, &outl, a, 16) != 1 ||
		     EVP_EncryptUpdate(gmac, NULL, &outl,
				       pkt + ZTDP_PKT_IDX_VERB,
				       (int)(len - ZTDP_PKT_IDX_VERB)) != 1 ||
		     EVP_EncryptFinal_ex(gmac, tag, &outl) != 1 ||
		     EVP_CIPHER_CTX_ctrl(gmac, EVP_CTRL_AEAD_GET_TAG, 16,
					 tag) != 1))
		return -1;
	for (j = 0; j < 8; j++)
		f[j] = tag[j] ^ tag[j + 8];
	return 0;
}

/* CTR over bytes 27..end from S with the counter's top bit cleared. EVP
 * increments all 128 bits, ZeroTier the low 32; with that bit clear no
 * packet can carry out of the low word, so they agree. */
static int ctr_crypt(EVP_CIPHER_CTX *ctr, const uint8_t s[16], uint8_t *pkt,
		     uint32_t len)
{
	uint8_t iv[16];
	int outl;

	memcpy(iv, s, 16);
	iv[12] &= 0x7f;
	if (unlikely(EVP_EncryptInit_ex(ctr, NULL, NULL, NULL, iv) != 1 ||
		     EVP_EncryptUpdate(ctr, pkt + ZTDP_PKT_IDX_VERB, &outl,
				       pkt + ZTDP_PKT_IDX_VERB,
				       (int)(len - ZTDP_PKT_IDX_VERB)) != 1))
		return -1;
	return 0;
}

static int armor_one(const struct ossl_slot *s, uint8_t *pkt, uint32_t len)
{
	uint8_t blk[16], siv[16];
	int outl;

	memcpy(blk, pkt + ZTDP_PKT_IDX_IV, 8);
	if (gmac_fold(s->gmac, pkt, len, blk, blk + 8) != 0)
		return ZTDP_ARMOR_EINVAL;
	if (unlikely(EVP_EncryptUpdate(s->ecb_enc, siv, &outl, blk, 16) != 1 ||
		     outl != 16))
		return ZTDP_ARMOR_EINVAL;
	if (ctr_crypt(s->ctr, siv, pkt, len) != 0)
		return ZTDP_ARMOR_EINVAL;
	memcpy(pkt + ZTDP_PKT_IDX_IV, siv, 8);
	memcpy(pkt + ZTDP_PKT_IDX_MAC, siv + 8, 8);
	return ZTDP_ARMOR_OK;
}

static int dearmor_one(const struct ossl_slot *s, uint8_t *pkt, uint32_t len)
{
	uint8_t siv[16], blk[16], f[8];
	int outl;

	memcpy(siv, pkt + ZTDP_PKT_IDX_IV, 8);
	memcpy(siv + 8, pkt + ZTDP_PKT_IDX_MAC, 8);
	if (ctr_crypt(s->ctr, siv, pkt, len) != 0)
		return ZTDP_ARMOR_EAUTH;
	if (unlikely(EVP_DecryptUpdate(s->ecb_dec, blk, &outl, siv, 16) != 1 ||
		     outl != 16))
		return ZTDP_ARMOR_EAUTH;
	if (gmac_fold(s->gmac, pkt, len, blk, f) != 0)
		return ZTDP_ARMOR_EAUTH;
	return CRYPTO_memcmp(f, blk + 8, 8) == 0 ? ZTDP_ARMOR_OK :
						   ZTDP_ARMOR_EAUTH;
}

/* Slow but correct: contexts made and dropped for this one packet. */
static int one_with_temp_slot(struct ossl_key *k, uint8_t *pkt, uint32_t len,
			      bool armor)
{
	struct ossl_slot s;
	int rc;

	if (slot_init(&s, k) != 0)
		return ZTDP_ARMOR_ENOMEM;
	rc = armor ? armor_one(&s, pkt, len) : dearmor_one(&s, pkt, len);
	slot_fini(&s);
	return rc;
}

static inline void run_burst(struct ztdp_crypto_op *const *ops,
			     unsigned int n, bool armor)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct ztdp_crypto_op *op = ops[i];
		struct ossl_key *k = op->key->aes_state;
		struct ossl_slot *s = slot_for(k);
		int rc;

		if (likely(s != NULL))
			rc = armor ? armor_one(s, op->pkt, op->len) :
				     dearmor_one(s, op->pkt, op->len);
		else
			rc = one_with_temp_slot(k, op->pkt, op->len, armor);
		op->status = (int8_t)rc;
	}
}

static void ossl_armor_burst(struct ztdp_crypto_op *const *ops,
			     unsigned int n)
{
	run_burst(ops, n, true);
}

static void ossl_dearmor_burst(struct ztdp_crypto_op *const *ops,
			       unsigned int n)
{
	run_burst(ops, n, false);
}

const struct ztdp_aes_backend ztdp_aes_backend_openssl = {
	.name = "openssl",
	.usable = ossl_usable,
	.key_init = ossl_key_init,
	.key_free = ossl_key_free,
	.siv_armor_burst = ossl_armor_burst,
	.siv_dearmor_burst = ossl_dearmor_burst,
};
