/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The AES-GMAC-SIV backends, driven directly through struct
 * ztdp_aes_backend (not through armor.c), with K0/K1 from armor.json:
 * the suite-3 vector, agreement between backends on every size class,
 * tampering, bursts with mixed keys, and threads sharing one key context.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#include "aes_backend.h"
#include "ztdp_armor.h"
#include "ztdp_crypto.h"
#include "ztdp_wire.h"

#define VECTORS "vectors/armor.json"
#define SUITE3_FLAGS (ZTDP_CIPHER_AES_GMAC_SIV << ZTDP_PKT_FLAGS_CIPHER_SHIFT)

static const struct ztdp_aes_backend *const all_backends[] = {
	&ztdp_aes_backend_openssl,
	&ztdp_aes_backend_ipsec_mb,
};
#define N_ALL (sizeof(all_backends) / sizeof(all_backends[0]))

/* K0/K1 of armor.json, or fixed bytes when the file is absent (then only
 * the vector test skips). */
static uint8_t vk0[32], vk1[32];
static bool have_vectors;
static json_t *vectors;

/* Deterministic so a failure can be replayed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void rng_fill(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(rng() >> 56);
}

/* Backends this CPU can run; says so once for each it cannot. */
static unsigned int usable_backends(const struct ztdp_aes_backend **out)
{
	static bool told;
	unsigned int i, n = 0;

	for (i = 0; i < N_ALL; i++) {
		if (all_backends[i]->usable())
			out[n++] = all_backends[i];
		else if (!told)
			print_message("note: backend %s not usable here, not tested\n",
				      all_backends[i]->name);
	}
	told = true;
	return n;
}

static void key_make(struct ztdp_peer_key *pk,
		     const struct ztdp_aes_backend *b, const uint8_t k0[32],
		     const uint8_t k1[32])
{
	memset(pk, 0, sizeof(*pk));
	pk->aes = b;
	assert_int_equal(b->key_init(&pk->aes_state, k0, k1), 0);
	assert_non_null(pk->aes_state);
}

static void key_drop(struct ztdp_peer_key *pk)
{
	pk->aes->key_free(pk->aes_state);
	pk->aes_state = NULL;
}

static int armor1(const struct ztdp_peer_key *pk, uint8_t *pkt, size_t len)
{
	struct ztdp_crypto_op op = {
		.pkt = pkt, .key = pk, .len = (uint32_t)len,
		.suite = ZTDP_CIPHER_AES_GMAC_SIV, .status = 99,
	};
	struct ztdp_crypto_op *opp = &op;

	pk->aes->siv_armor_burst(&opp, 1);
	return op.status;
}

static int dearmor1(const struct ztdp_peer_key *pk, uint8_t *pkt, size_t len)
{
	struct ztdp_crypto_op op = {
		.pkt = pkt, .key = pk, .len = (uint32_t)len, .status = 99,
	};
	struct ztdp_crypto_op *opp = &op;

	pk->aes->siv_dearmor_burst(&opp, 1);
	return op.status;
}

/* A plausible plaintext packet as the caller hands it to the backend:
 * random ID, addresses and payload, flags = suite 3 with hops 0 and maybe
 * the fragmented bit. */
static void random_packet(uint8_t *pkt, size_t len)
{
	rng_fill(pkt, len);
	pkt[ZTDP_PKT_IDX_FLAGS] = SUITE3_FLAGS |
		((rng() & 1) ? ZTDP_PKT_FLAG_FRAGMENTED : 0);
	memset(pkt + ZTDP_PKT_IDX_MAC, 0, ZTDP_PKT_MAC_LEN);
}

static int group_setup(void **state)
{
	(void)state;
	if (ztdp_test_have_shared(VECTORS)) {
		size_t n;
		uint8_t *k;

		vectors = ztdp_test_load_json(VECTORS);
		k = ztdp_test_unhex(ztdp_test_json_str(vectors,
						       "kbkdf_aes_k0_48"), &n);
		assert_int_equal(n, 48);
		memcpy(vk0, k, 32);
		free(k);
		k = ztdp_test_unhex(ztdp_test_json_str(vectors,
						       "kbkdf_aes_k1_48"), &n);
		assert_int_equal(n, 48);
		memcpy(vk1, k, 32);
		free(k);
		have_vectors = true;
	} else {
		rng_fill(vk0, 32);
		rng_fill(vk1, 32);
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	json_decref(vectors);
	return 0;
}

/* Runs first: the default before init, then selection. */
static void test_selection(void **state)
{
	const char *const *names = ztdp_crypto_aes_backend_names();
	const char *env = getenv("ZTDP_AES_BACKEND");
	unsigned int i;

	(void)state;
	assert_non_null(ztdp_aes_backend_current());
	assert_ptr_equal(ztdp_aes_backend_current(), &ztdp_aes_backend_openssl);

	/* names[] lists every backend, ipsec-mb first (preference). */
	assert_string_equal(names[0], ztdp_aes_backend_ipsec_mb.name);
	assert_string_equal(names[1], ztdp_aes_backend_openssl.name);
	assert_null(names[2]);
	for (i = 0; names[i] != NULL; i++)
		print_message("backend %s: %s\n", names[i],
			      ztdp_crypto_aes_backend_usable(names[i]) ?
			      "usable" : "not usable");
	assert_true(ztdp_crypto_aes_backend_usable("openssl"));
	assert_false(ztdp_crypto_aes_backend_usable("rot13"));
	assert_false(ztdp_crypto_aes_backend_usable(NULL));

	if (env == NULL || *env == '\0') {
		const char *want = ztdp_aes_backend_ipsec_mb.usable() ?
				   "ipsec-mb" : "openssl";

		assert_int_equal(ztdp_crypto_init(NULL), 0);
		assert_string_equal(ztdp_crypto_aes_backend_name(), want);
	} else if (strcmp(env, "auto") == 0) {
		assert_int_equal(ztdp_crypto_init(NULL), 0);
	} else if (ztdp_crypto_aes_backend_usable(env)) {
		/* The environment overrides the argument. */
		assert_int_equal(ztdp_crypto_init("openssl"), 0);
		assert_string_equal(ztdp_crypto_aes_backend_name(), env);
	} else {
		/* An unknown or unusable backend named there is an error. */
		assert_int_equal(ztdp_crypto_init(NULL), -1);
	}
	assert_int_equal(ztdp_crypto_select_aes_backend("openssl"), 0);
	assert_ptr_equal(ztdp_aes_backend_current(), &ztdp_aes_backend_openssl);
	assert_int_equal(ztdp_crypto_select_aes_backend("rot13"), -1);
	assert_int_equal(ztdp_crypto_select_aes_backend(NULL), -1);
	assert_ptr_equal(ztdp_aes_backend_current(), &ztdp_aes_backend_openssl);
	if (ztdp_aes_backend_ipsec_mb.usable()) {
		assert_int_equal(ztdp_crypto_select_aes_backend("ipsec-mb"), 0);
		assert_ptr_equal(ztdp_aes_backend_current(),
				 &ztdp_aes_backend_ipsec_mb);
	} else {
		assert_int_equal(ztdp_crypto_select_aes_backend("ipsec-mb"), -1);
	}
	assert_int_equal(ztdp_crypto_select_aes_backend("auto"), 0);
	if (env == NULL || *env == '\0')
		assert_int_equal(ztdp_crypto_init("openssl"), 0);
	else
		assert_int_equal(ztdp_crypto_init("openssl"),
				 strcmp(env, "auto") == 0 ||
				 ztdp_crypto_aes_backend_usable(env) ? 0 : -1);
}

static void test_vector(void **state)
{
	const struct ztdp_aes_backend *bs[N_ALL];
	unsigned int nb = usable_backends(bs), i;
	uint8_t *plain, *want, *pkt;
	size_t len, wlen;

	(void)state;
	if (!have_vectors)
		skip();
	plain = ztdp_test_unhex(ztdp_test_json_str(vectors,
						   "plaintext_packet"), &len);
	want = ztdp_test_unhex(ztdp_test_json_str(
		json_object_get(vectors, "armored"), "suite3_aes_gmac_siv"),
		&wlen);
	assert_int_equal(len, wlen);
	plain[ZTDP_PKT_IDX_FLAGS] = SUITE3_FLAGS;
	pkt = malloc(len);
	assert_non_null(pkt);

	for (i = 0; i < nb; i++) {
		struct ztdp_peer_key pk;

		print_message("%s\n", bs[i]->name);
		key_make(&pk, bs[i], vk0, vk1);

		memcpy(pkt, plain, len);
		assert_int_equal(armor1(&pk, pkt, len), ZTDP_ARMOR_OK);
		assert_memory_equal(pkt, want, len);

		/* Dearmor restores verb and payload; the header keeps the
		 * wire packet ID (S[0..7]) and S[8..15] in the MAC field. */
		assert_int_equal(dearmor1(&pk, pkt, len), ZTDP_ARMOR_OK);
		assert_memory_equal(pkt + ZTDP_PKT_IDX_VERB,
				    plain + ZTDP_PKT_IDX_VERB,
				    len - ZTDP_PKT_IDX_VERB);
		assert_memory_equal(pkt, want, ZTDP_PKT_IDX_VERB);

		/* Relays bump the hop count, which is not authenticated. */
		memcpy(pkt, want, len);
		pkt[ZTDP_PKT_IDX_FLAGS] |= 5;
		assert_int_equal(dearmor1(&pk, pkt, len), ZTDP_ARMOR_OK);
		assert_memory_equal(pkt + ZTDP_PKT_IDX_VERB,
				    plain + ZTDP_PKT_IDX_VERB,
				    len - ZTDP_PKT_IDX_VERB);
		key_drop(&pk);
	}
	free(pkt);
	free(want);
	free(plain);
}

/* Next size to test: every size up to 300 (all tail lengths mod 16 and
 * the small-packet paths), then a stride that still hits every residue,
 * then the largest packets. */
static size_t next_size(size_t len)
{
	if (len < 300)
		return len + 1;
	if (len < 9990)
		return len + 37;
	if (len < ZTDP_MAX_PACKET_LEN)
		return len + 1;
	return 0;
}

static void test_backends_agree(void **state)
{
	struct ztdp_peer_key ko, ki;
	uint8_t *plain, *a, *b;
	size_t len;
	unsigned int tested = 0;

	(void)state;
	if (!ztdp_aes_backend_ipsec_mb.usable()) {
		print_message("SKIP: only one backend usable here\n");
		skip();
	}
	plain = malloc(ZTDP_MAX_PACKET_LEN);
	a = malloc(ZTDP_MAX_PACKET_LEN);
	b = malloc(ZTDP_MAX_PACKET_LEN);
	assert_non_null(plain);
	assert_non_null(a);
	assert_non_null(b);
	key_make(&ko, &ztdp_aes_backend_openssl, vk0, vk1);
	key_make(&ki, &ztdp_aes_backend_ipsec_mb, vk0, vk1);

	for (len = ZTDP_PKT_MIN_LEN; len != 0; len = next_size(len)) {
		random_packet(plain, len);
		memcpy(a, plain, len);
		memcpy(b, plain, len);
		assert_int_equal(armor1(&ko, a, len), ZTDP_ARMOR_OK);
		assert_int_equal(armor1(&ki, b, len), ZTDP_ARMOR_OK);
		if (memcmp(a, b, len) != 0)
			fail_msg("backends differ at length %zu", len);
		if (len > 40 && memcmp(a + ZTDP_PKT_IDX_VERB,
				       plain + ZTDP_PKT_IDX_VERB, 13) == 0)
			fail_msg("payload not encrypted at length %zu", len);
		/* Each dearmors what the other armored. */
		assert_int_equal(dearmor1(&ki, a, len), ZTDP_ARMOR_OK);
		assert_int_equal(dearmor1(&ko, b, len), ZTDP_ARMOR_OK);
		assert_memory_equal(a + ZTDP_PKT_IDX_VERB,
				    plain + ZTDP_PKT_IDX_VERB,
				    len - ZTDP_PKT_IDX_VERB);
		assert_memory_equal(a, b, len);
		tested++;
	}
	print_message("%u sizes from %d to %d\n", tested, ZTDP_PKT_MIN_LEN,
		      ZTDP_MAX_PACKET_LEN);
	key_drop(&ko);
	key_drop(&ki);
	free(plain);
	free(a);
	free(b);
}

static void test_tamper(void **state)
{
	const struct ztdp_aes_backend *bs[N_ALL];
	unsigned int nb = usable_backends(bs), i, bit;
	size_t len = 120, pos;
	uint8_t plain[200], armored[200], pkt[200];

	(void)state;
	for (i = 0; i < nb; i++) {
		struct ztdp_peer_key pk, other;
		uint8_t k0x[32];

		key_make(&pk, bs[i], vk0, vk1);
		random_packet(plain, len);
		memcpy(armored, plain, len);
		assert_int_equal(armor1(&pk, armored, len), ZTDP_ARMOR_OK);

		for (pos = 0; pos < len; pos++) {
			for (bit = 0; bit < 8; bit++) {
				uint8_t m = (uint8_t)(1u << bit);
				int want = ZTDP_ARMOR_EAUTH;

				if (pos == ZTDP_PKT_IDX_FLAGS &&
				    (m & ZTDP_PKT_FLAGS_HOPS_MASK) != 0)
					want = ZTDP_ARMOR_OK;
				memcpy(pkt, armored, len);
				pkt[pos] ^= m;
				if (dearmor1(&pk, pkt, len) != want)
					fail_msg("%s: flipping bit %u of byte %zu: want %d",
						 bs[i]->name, bit, pos, want);
			}
		}
		/* Truncated or extended by a byte. */
		memcpy(pkt, armored, len);
		assert_int_equal(dearmor1(&pk, pkt, len - 1), ZTDP_ARMOR_EAUTH);
		memcpy(pkt, armored, len);
		pkt[len] = 0;
		assert_int_equal(dearmor1(&pk, pkt, len + 1), ZTDP_ARMOR_EAUTH);

		/* Wrong K0 only, wrong K1 only. */
		memcpy(k0x, vk0, 32);
		k0x[31] ^= 1;
		key_make(&other, bs[i], k0x, vk1);
		memcpy(pkt, armored, len);
		assert_int_equal(dearmor1(&other, pkt, len), ZTDP_ARMOR_EAUTH);
		key_drop(&other);
		key_make(&other, bs[i], vk0, k0x);
		memcpy(pkt, armored, len);
		assert_int_equal(dearmor1(&other, pkt, len), ZTDP_ARMOR_EAUTH);
		key_drop(&other);

		/* And the untouched packet still verifies. */
		memcpy(pkt, armored, len);
		assert_int_equal(dearmor1(&pk, pkt, len), ZTDP_ARMOR_OK);
		assert_memory_equal(pkt + ZTDP_PKT_IDX_VERB,
				    plain + ZTDP_PKT_IDX_VERB,
				    len - ZTDP_PKT_IDX_VERB);
		key_drop(&pk);
	}
}

#define MIX_KEYS 3
#define MIX_MAX_OPS 100

/* Bursts of 1..100 packets (more than a backend's inner chunk), each
 * packet with one of three keys; compared with one-at-a-time results of
 * every backend, and with some packets tampered before dearmor. */
static void test_burst_mixed_keys(void **state)
{
	const struct ztdp_aes_backend *bs[N_ALL];
	unsigned int nb = usable_backends(bs), bi, round;
	uint8_t k0[MIX_KEYS][32], k1[MIX_KEYS][32];
	uint8_t *plain[MIX_MAX_OPS], *pkt[MIX_MAX_OPS], *ref[MIX_MAX_OPS];
	struct ztdp_peer_key keys[N_ALL][MIX_KEYS];
	struct ztdp_crypto_op ops[MIX_MAX_OPS], *opp[MIX_MAX_OPS];
	unsigned int which[MIX_MAX_OPS];
	bool tampered[MIX_MAX_OPS];
	unsigned int i, j;

	(void)state;
	for (j = 0; j < MIX_KEYS; j++) {
		rng_fill(k0[j], 32);
		rng_fill(k1[j], 32);
		for (bi = 0; bi < nb; bi++)
			key_make(&keys[bi][j], bs[bi], k0[j], k1[j]);
	}
	for (i = 0; i < MIX_MAX_OPS; i++) {
		plain[i] = malloc(ZTDP_VIRTUAL_MTU_MAX + 100);
		pkt[i] = malloc(ZTDP_VIRTUAL_MTU_MAX + 100);
		ref[i] = malloc(ZTDP_VIRTUAL_MTU_MAX + 100);
		assert_non_null(plain[i]);
		assert_non_null(pkt[i]);
		assert_non_null(ref[i]);
		opp[i] = &ops[i];
	}

	for (round = 0; round < 40; round++) {
		unsigned int n = 1 + (unsigned int)(rng() % MIX_MAX_OPS);

		if (round < 3)
			n = (unsigned int[]){ 1, 32, 33 }[round];
		for (i = 0; i < n; i++) {
			size_t len = ZTDP_PKT_MIN_LEN +
				     rng() % (round & 1 ? 1500 : 200);

			if (rng() % 16 == 0)
				len = ZTDP_VIRTUAL_MTU_MAX + 28;
			which[i] = (unsigned int)(rng() % MIX_KEYS);
			random_packet(plain[i], len);
			ops[i] = (struct ztdp_crypto_op){
				.len = (uint32_t)len,
				.suite = ZTDP_CIPHER_AES_GMAC_SIV,
			};
		}
		for (bi = 0; bi < nb; bi++) {
			/* Reference: one packet at a time, first backend. */
			for (i = 0; i < n; i++) {
				memcpy(ref[i], plain[i], ops[i].len);
				assert_int_equal(armor1(&keys[0][which[i]],
							ref[i], ops[i].len),
						 ZTDP_ARMOR_OK);
			}
			for (i = 0; i < n; i++) {
				memcpy(pkt[i], plain[i], ops[i].len);
				ops[i].pkt = pkt[i];
				ops[i].key = &keys[bi][which[i]];
				ops[i].status = 99;
			}
			bs[bi]->siv_armor_burst(opp, n);
			for (i = 0; i < n; i++) {
				assert_int_equal(ops[i].status, ZTDP_ARMOR_OK);
				if (memcmp(pkt[i], ref[i], ops[i].len) != 0)
					fail_msg("%s round %u: op %u of %u differs",
						 bs[bi]->name, round, i, n);
			}
			/* Dearmor with a different backend's key of the same
			 * bytes when there is one; tamper with some. */
			for (i = 0; i < n; i++) {
				tampered[i] = rng() % 5 == 0;
				if (tampered[i])
					pkt[i][rng() % ops[i].len] ^= 0x80;
				ops[i].key = &keys[(bi + 1) % nb][which[i]];
				ops[i].status = 99;
			}
			bs[(bi + 1) % nb]->siv_dearmor_burst(opp, n);
			for (i = 0; i < n; i++) {
				if (tampered[i]) {
					/* 0x80 of the flags byte is outside
					 * the hops, so it is caught too. */
					assert_int_equal(ops[i].status,
							 ZTDP_ARMOR_EAUTH);
					continue;
				}
				assert_int_equal(ops[i].status, ZTDP_ARMOR_OK);
				assert_memory_equal(pkt[i] + ZTDP_PKT_IDX_VERB,
						    plain[i] + ZTDP_PKT_IDX_VERB,
						    ops[i].len -
						    ZTDP_PKT_IDX_VERB);
			}
		}
	}

	for (i = 0; i < MIX_MAX_OPS; i++) {
		free(plain[i]);
		free(pkt[i]);
		free(ref[i]);
	}
	for (j = 0; j < MIX_KEYS; j++)
		for (bi = 0; bi < nb; bi++)
			key_drop(&keys[bi][j]);
}

/* Threads sharing one key context. */
#define THR_PKTS 64
#define THR_ITERS 200

struct thr_ctx {
	const struct ztdp_peer_key *pk;
	uint8_t *const *plain;
	uint8_t *const *want;
	const uint32_t *len;
	pthread_barrier_t *start;
	unsigned int iters;
	unsigned int burst;
	int failures;
};

static void *thr_main(void *arg)
{
	struct thr_ctx *c = arg;
	uint8_t (*buf)[1500] = malloc(THR_PKTS * sizeof(*buf));
	struct ztdp_crypto_op ops[THR_PKTS], *opp[THR_PKTS];
	unsigned int it, i;

	if (buf == NULL)
		c->failures = 1 << 20;
	pthread_barrier_wait(c->start);
	for (it = 0; buf != NULL && it < c->iters; it++) {
		for (i = 0; i < c->burst; i++) {
			memcpy(buf[i], c->plain[i], c->len[i]);
			ops[i] = (struct ztdp_crypto_op){
				.pkt = buf[i], .key = c->pk, .len = c->len[i],
				.suite = ZTDP_CIPHER_AES_GMAC_SIV, .status = 99,
			};
			opp[i] = &ops[i];
		}
		c->pk->aes->siv_armor_burst(opp, c->burst);
		for (i = 0; i < c->burst; i++)
			if (ops[i].status != 0 ||
			    memcmp(buf[i], c->want[i], c->len[i]) != 0)
				c->failures++;
		for (i = 0; i < c->burst; i++)
			ops[i].status = 99;
		c->pk->aes->siv_dearmor_burst(opp, c->burst);
		for (i = 0; i < c->burst; i++)
			if (ops[i].status != 0 ||
			    memcmp(buf[i], c->want[i], ZTDP_PKT_IDX_VERB) != 0 ||
			    memcmp(buf[i] + ZTDP_PKT_IDX_VERB,
				   c->plain[i] + ZTDP_PKT_IDX_VERB,
				   c->len[i] - ZTDP_PKT_IDX_VERB) != 0)
				c->failures++;
	}
	/* Hold this thread (and its per-thread state) until all have run,
	 * so many threads hold state at the same time. */
	pthread_barrier_wait(c->start);
	free(buf);
	return NULL;
}

static void run_threads(const struct ztdp_aes_backend *b,
			unsigned int nthreads, unsigned int iters,
			unsigned int burst)
{
	uint8_t *plain[THR_PKTS], *want[THR_PKTS];
	uint32_t len[THR_PKTS];
	struct ztdp_peer_key pk;
	pthread_t *tid = calloc(nthreads, sizeof(*tid));
	struct thr_ctx *ctx = calloc(nthreads, sizeof(*ctx));
	pthread_barrier_t start;
	unsigned int i;

	assert_non_null(tid);
	assert_non_null(ctx);
	key_make(&pk, b, vk0, vk1);
	/* Expected results, single-threaded, from this thread. */
	for (i = 0; i < THR_PKTS; i++) {
		len[i] = (uint32_t)(ZTDP_PKT_MIN_LEN + rng() % (1500 - 28));
		plain[i] = malloc(len[i]);
		want[i] = malloc(len[i]);
		assert_non_null(plain[i]);
		assert_non_null(want[i]);
		random_packet(plain[i], len[i]);
		memcpy(want[i], plain[i], len[i]);
		assert_int_equal(armor1(&pk, want[i], len[i]), ZTDP_ARMOR_OK);
	}
	assert_int_equal(pthread_barrier_init(&start, NULL, nthreads), 0);
	for (i = 0; i < nthreads; i++) {
		ctx[i] = (struct thr_ctx){
			.pk = &pk, .plain = plain, .want = want, .len = len,
			.start = &start, .iters = iters, .burst = burst,
		};
		assert_int_equal(pthread_create(&tid[i], NULL, thr_main,
						&ctx[i]), 0);
	}
	for (i = 0; i < nthreads; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		if (ctx[i].failures != 0)
			fail_msg("%s: thread %u of %u: %d mismatches", b->name,
				 i, nthreads, ctx[i].failures);
	}
	pthread_barrier_destroy(&start);
	key_drop(&pk);
	for (i = 0; i < THR_PKTS; i++) {
		free(plain[i]);
		free(want[i]);
	}
	free(tid);
	free(ctx);
}

static void test_two_threads_share_key(void **state)
{
	const struct ztdp_aes_backend *bs[N_ALL];
	unsigned int nb = usable_backends(bs), i;

	(void)state;
	for (i = 0; i < nb; i++)
		run_threads(bs[i], 2, THR_ITERS, THR_PKTS);
}

/* More live threads than the openssl backend has per-key slots (64): the
 * rest must take its slow path and still be right. Twice, so the second
 * run reuses slot ids the first run's threads gave back. */
static void test_many_threads(void **state)
{
	const struct ztdp_aes_backend *bs[N_ALL];
	unsigned int nb = usable_backends(bs), i;

	(void)state;
	for (i = 0; i < nb; i++) {
		run_threads(bs[i], 70, 2, 8);
		run_threads(bs[i], 70, 2, 8);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_backends_agree),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_burst_mixed_keys),
		cmocka_unit_test(test_two_threads_share_key),
		cmocka_unit_test(test_many_threads),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
