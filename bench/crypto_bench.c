/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp-crypto-bench: packet armor and dearmor throughput on one core.
 *
 * For each case (suite 0, suite 1, suite 3 on every usable AES backend) and
 * each packet size it runs bursts through ztdp_armor_burst and
 * ztdp_dearmor_burst, and memcpy of the same bytes as the yardstick, for a
 * fixed time. Each burst is armored and then dearmored in place (so the
 * dearmor input is always fresh, validly armored data) and the two calls
 * are timed separately with the TSC. It also times identity validation
 * (the memory-hard hash), which bounds how fast new peers can be admitted.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
#endif

#include "aes_backend.h"
#include "ztdp_armor.h"
#include "ztdp_crypto.h"
#include "ztdp_identity.h"
#include "ztdp_wire.h"

#include <intel-ipsec-mb.h>
#include <openssl/evp.h>

#define MAX_SIZES 16
#define MAX_BURST 256
#define DEFAULT_SIZES "64,512,1400,2800"

/* ZeroTierOne's selftest KNOWN_GOOD_IDENTITY (also in
 * shared/vectors/identity.json). */
static const char known_identity[] =
	"8e4df28b72:0:ac3d46abe0c21f3cfe7a6c8d6a85cfcffcb82fbd55af6a4d6350657c"
	"68200843fa2e16f9418bbd9702cae365f2af5fb4c420908b803a681d4daef6114d78a2"
	"d7:bd8dd6e4ce7022d2f812797a80c6ee8ad180dc4ebf301dec8b06d1be08832bddd63"
	"a2f1cfa7b2c504474c75bdc8898ba476ef92e8e2d0509f8441985171ff16e";

/* One row of the case table: what to armor with. */
struct bench_case {
	const char *name;
	unsigned int suite;
	const char *backend;	/* suite 3: AES backend; else NULL */
	uint8_t verb;		/* suite 0 is accepted for HELLO only */
};

static const struct bench_case cases[] = {
	{ "suite0 poly1305", ZTDP_CIPHER_POLY1305_NONE, NULL, ZTDP_VERB_HELLO },
	{ "suite1 salsa2012", ZTDP_CIPHER_POLY1305_SALSA2012, NULL,
	  ZTDP_VERB_FRAME },
	{ "suite3 ipsec-mb", ZTDP_CIPHER_AES_GMAC_SIV, "ipsec-mb",
	  ZTDP_VERB_FRAME },
	{ "suite3 openssl", ZTDP_CIPHER_AES_GMAC_SIV, "openssl",
	  ZTDP_VERB_FRAME },
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* The operations measured per case; the engine calls them through this
 * table. */
struct bench_op {
	const char *name;
	unsigned int (*burst)(struct ztdp_crypto_op *ops, unsigned int n);
};

static const struct bench_op ops_table[] = {
	{ "armor", ztdp_armor_burst },
	{ "dearmor", ztdp_dearmor_burst },
};
#define N_OPS (sizeof(ops_table) / sizeof(ops_table[0]))

struct options {
	double duration;
	unsigned int sizes[MAX_SIZES];
	unsigned int n_sizes;
	unsigned int burst;
	unsigned int pool;	/* packets cycled through */
	int cpu;		/* -1: the one we start on */
	const char *only;	/* substring filter on case names */
	bool identity;
	bool primitives;
};

/* Each figure is measured in short time slices (2 ms by default, far
 * below a scheduler time slice). The machine may be shared, so the table
 * reports the fastest slice (what the code does when it has the core to
 * itself) and the median slice (what it did in this run); on a quiet
 * machine the two agree within a few per cent. */
#define MAX_SLICES 8192

struct result {
	double best_ns;		/* ns per packet, fastest slice */
	double median_ns;	/* ns per packet, median slice */
	uint64_t pkts;		/* over all slices */
};

/* Accumulates one slice. */
struct slice {
	uint64_t pkts;
	uint64_t ticks;
};

struct row {
	const char *name;
	const char *op;
	unsigned int size;
	struct result r;
	struct result copy;	/* memcpy of the same size */
};

static double tsc_hz = 1e9;	/* ticks per second of now_ticks() */
static double slice_s = 0.002;	/* length of one measurement slice */
/* Scratch for the slices of the figure being measured. */
static struct slice slices[N_OPS][MAX_SLICES];
static double slice_sorted[MAX_SLICES];

static unsigned int n_slices(double duration)
{
	double n = duration / slice_s;

	if (n < 1)
		return 1;
	return n > MAX_SLICES ? MAX_SLICES : (unsigned int)n;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline uint64_t now_ticks(void)
{
#ifdef HAVE_TSC
	return __rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* TSC rate against CLOCK_MONOTONIC over 200 ms. */
static void calibrate(void)
{
#ifdef HAVE_TSC
	double t0 = mono_s(), t1;
	uint64_t c0 = now_ticks(), c1;

	do {
		t1 = mono_s();
	} while (t1 - t0 < 0.2);
	c1 = now_ticks();
	tsc_hz = (double)(c1 - c0) / (t1 - t0);
#endif
}

static void fill_random(uint8_t *p, size_t n, uint64_t *seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
		p[i] = (uint8_t)(*seed >> 56);
	}
}

struct pool {
	uint8_t **pkt;
	uint8_t **dst;		/* memcpy targets */
	struct ztdp_crypto_op *ops;
	unsigned int n;
};

static void pool_free(struct pool *p)
{
	unsigned int i;

	for (i = 0; p->pkt != NULL && i < p->n; i++)
		free(p->pkt[i]);
	for (i = 0; p->dst != NULL && i < p->n; i++)
		free(p->dst[i]);
	free(p->pkt);
	free(p->dst);
	free(p->ops);
	memset(p, 0, sizeof(*p));
}

static int pool_alloc(struct pool *p, unsigned int n, size_t maxlen)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	p->n = n;
	p->pkt = calloc(n, sizeof(*p->pkt));
	p->dst = calloc(n, sizeof(*p->dst));
	p->ops = calloc(n, sizeof(*p->ops));
	if (p->pkt == NULL || p->dst == NULL || p->ops == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		/* Cache-line aligned, as mbuf data would be. */
		p->pkt[i] = aligned_alloc(64, (maxlen + 63) & ~(size_t)63);
		p->dst[i] = aligned_alloc(64, (maxlen + 63) & ~(size_t)63);
		if (p->pkt[i] == NULL || p->dst[i] == NULL)
			goto fail;
		memset(p->dst[i], 0, maxlen);
	}
	return 0;
fail:
	pool_free(p);
	return -1;
}

/* Fresh plaintext packets of one size for one case. */
static void pool_fill(struct pool *p, const struct bench_case *c,
		      const struct ztdp_peer_key *pk, unsigned int len)
{
	uint64_t seed = 0x5eed0000u + len;
	unsigned int i;

	for (i = 0; i < p->n; i++) {
		uint8_t *pkt = p->pkt[i];

		fill_random(pkt, len, &seed);
		pkt[ZTDP_PKT_IDX_FLAGS] = 0;
		memset(pkt + ZTDP_PKT_IDX_MAC, 0, ZTDP_PKT_MAC_LEN);
		pkt[ZTDP_PKT_IDX_VERB] = c->verb;
		p->ops[i] = (struct ztdp_crypto_op){
			.pkt = pkt, .key = pk, .len = len, .suite = (uint8_t)c->suite,
		};
	}
}

/* Stop the compiler from dropping the copies. */
static inline void clobber(void)
{
	__asm__ __volatile__("" ::: "memory");
}

static double slice_ns(const struct slice *s)
{
	return s->pkts ? (double)s->ticks / (double)s->pkts * 1e9 / tsc_hz : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct result summarize(const struct slice *sl, unsigned int n)
{
	double *ns = slice_sorted;
	struct result r = { 0, 0, 0 };
	unsigned int i, m = 0;

	for (i = 0; i < n; i++) {
		r.pkts += sl[i].pkts;
		if (sl[i].pkts > 0)
			ns[m++] = slice_ns(&sl[i]);
	}
	if (m == 0)
		return r;
	qsort(ns, m, sizeof(ns[0]), cmp_double);
	r.best_ns = ns[0];
	r.median_ns = ns[m / 2];
	return r;
}

/* memcpy of every packet of each burst into another buffer. */
static struct result run_memcpy(struct pool *p, unsigned int len,
				unsigned int burst, double duration)
{
	struct slice *sl = slices[0];
	unsigned int b, i, s, ns = n_slices(duration);

	memset(sl, 0, ns * sizeof(*sl));
	for (s = 0; s < ns; s++) {
		double end = mono_s() + slice_s;

		do {
			for (b = 0; b + burst <= p->n; b += burst) {
				uint64_t t0 = now_ticks();

				for (i = b; i < b + burst; i++)
					memcpy(p->dst[i], p->pkt[i], len);
				clobber();
				sl[s].ticks += now_ticks() - t0;
				sl[s].pkts += burst;
			}
		} while (mono_s() < end);
	}
	return summarize(sl, ns);
}

/* Armor then dearmor each burst, timing the two separately; fails if any
 * packet does not come back. */
static int run_crypto(struct pool *p, unsigned int burst, double duration,
		      struct result res[N_OPS])
{
	struct slice (*sl)[MAX_SLICES] = slices;
	unsigned int b, k, s, ns = n_slices(duration);

	for (k = 0; k < N_OPS; k++)
		memset(sl[k], 0, ns * sizeof(sl[k][0]));
	for (s = 0; s < ns; s++) {
		double end = mono_s() + slice_s;

		do {
			for (b = 0; b + burst <= p->n; b += burst) {
				for (k = 0; k < N_OPS; k++) {
					uint64_t t0 = now_ticks();
					unsigned int ok = ops_table[k].burst(
						p->ops + b, burst);

					sl[k][s].ticks += now_ticks() - t0;
					sl[k][s].pkts += burst;
					if (ok != burst) {
						fprintf(stderr, "%s: %u of %u packets failed (status %d)\n",
							ops_table[k].name,
							burst - ok, burst,
							p->ops[b].status);
						return -1;
					}
				}
			}
		} while (mono_s() < end);
	}
	for (k = 0; k < N_OPS; k++)
		res[k] = summarize(sl[k], ns);
	return 0;
}

static void print_row(const struct row *w)
{
	double ns = w->r.best_ns;
	double mpps = ns > 0 ? 1e3 / ns : 0;
	double gbps = mpps * 1e6 * w->size * 8 / 1e9;
	double cyc = ns * tsc_hz / 1e9;

	printf("%-18s %-8s %6u %8.3f %8.2f %9.1f %9.0f %9.1f", w->name, w->op,
	       w->size, mpps, gbps, ns, cyc, w->r.median_ns);
	if (w->copy.best_ns > 0)
		printf(" %9.1f", ns / w->copy.best_ns);
	printf("\n");
}

/* Least-squares fit ns/packet = fixed + per_byte * size over the sizes of
 * one case and op: the fixed part is what a packet costs before its bytes
 * (calls, key lookup, IV and tag handling). */
static void print_fit(const struct row *rows, unsigned int n,
		      const char *name, const char *op)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0, slope, icpt;
	unsigned int i;

	for (i = 0; i < n; i++) {
		double x, y;

		if (rows[i].name != name || rows[i].op != op)
			continue;
		x = rows[i].size;
		y = rows[i].r.best_ns;
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		m++;
	}
	if (m < 2 || m * sxx - sx * sx == 0)
		return;
	slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
	icpt = (sy - slope * sx) / m;
	printf("%-18s %-8s %12.1f %12.3f %12.2f %12.2f\n", name, op, icpt,
	       slope, slope * tsc_hz / 1e9, slope > 0 ? 8.0 / slope : 0);
}

/*
 * Reference figures: the library primitives suite 3 is built from, alone,
 * on one 32-packet buffer set of the same size. They show what bounds the
 * suite-3 rows: AES-GMAC-SIV needs a GHASH pass over A||P and an AES-CTR
 * pass over P, and cannot stitch them as AES-GCM does (the CTR IV depends
 * on the MAC), so its floor is about gmac + ctr, against gcm for one
 * stitched pass.
 */
struct prim_ctx {
	IMB_MGR *mgr;
	struct gcm_key_data *gk;
	const uint8_t *enc, *dec;
	EVP_CIPHER_CTX *evp;
	uint8_t **buf;
	unsigned int n;
	unsigned int len;
};

static void prim_imb_gcm(struct prim_ctx *c)
{
	struct gcm_context_data ctx;
	uint8_t iv[12] = { 1 }, tag[16], aad[16] = { 2 };
	unsigned int i;

	for (i = 0; i < c->n; i++)
		IMB_AES256_GCM_ENC(c->mgr, c->gk, &ctx, c->buf[i] + 27,
				   c->buf[i] + 27, c->len - 27, iv, aad, 16,
				   tag, 16);
}

static void prim_imb_gmac(struct prim_ctx *c)
{
	struct gcm_context_data ctx;
	uint8_t iv[12] = { 1 }, tag[16];
	unsigned int i;

	for (i = 0; i < c->n; i++)
		IMB_AES256_GCM_ENC(c->mgr, c->gk, &ctx, tag, tag, 0, iv,
				   c->buf[i] + 11, c->len - 11, tag, 16);
}

static void prim_imb_ctr(struct prim_ctx *c)
{
	IMB_JOB jobs[MAX_BURST];
	uint8_t iv[16] = { 1 };
	unsigned int i;

	memset(jobs, 0, c->n * sizeof(jobs[0]));
	for (i = 0; i < c->n; i++) {
		jobs[i].enc_keys = c->enc;
		jobs[i].dec_keys = c->dec;
		jobs[i].key_len_in_bytes = IMB_KEY_256_BYTES;
		jobs[i].src = c->buf[i] + 27;
		jobs[i].dst = c->buf[i] + 27;
		jobs[i].msg_len_to_cipher_in_bytes = c->len - 27;
		jobs[i].iv = iv;
		jobs[i].iv_len_in_bytes = 16;
	}
	IMB_SUBMIT_CIPHER_BURST(c->mgr, jobs, c->n, IMB_CIPHER_CNTR,
				IMB_DIR_ENCRYPT, IMB_KEY_256_BYTES);
}

/* The usual EVP sequence for one AES-256-GCM packet on a keyed context. */
static void prim_evp_gcm(struct prim_ctx *c)
{
	uint8_t iv[12] = { 1 }, tag[16], aad[16] = { 2 };
	unsigned int i;
	int outl;

	for (i = 0; i < c->n; i++) {
		EVP_EncryptInit_ex(c->evp, NULL, NULL, NULL, iv);
		EVP_EncryptUpdate(c->evp, NULL, &outl, aad, 16);
		EVP_EncryptUpdate(c->evp, c->buf[i] + 27, &outl,
				  c->buf[i] + 27, (int)(c->len - 27));
		EVP_EncryptFinal_ex(c->evp, tag, &outl);
		EVP_CIPHER_CTX_ctrl(c->evp, EVP_CTRL_AEAD_GET_TAG, 16, tag);
	}
}

static const struct {
	const char *name;
	void (*run)(struct prim_ctx *c);
} prims[] = {
	{ "ipsec-mb gcm-enc", prim_imb_gcm },
	{ "ipsec-mb gmac", prim_imb_gmac },
	{ "ipsec-mb ctr", prim_imb_ctr },
	{ "openssl gcm-enc", prim_evp_gcm },
};

static void bench_primitives(const struct options *o, struct pool *p)
{
	static const uint8_t key[32] = { 7 };
	struct gcm_key_data *gk = aligned_alloc(64, (sizeof(*gk) + 63) & ~63ul);
	uint8_t *ks = aligned_alloc(64, 2 * 256);
	struct prim_ctx c = { 0 };
	unsigned int si, pi, s;

	c.mgr = alloc_mb_mgr(0);
	c.evp = EVP_CIPHER_CTX_new();
	if (gk == NULL || ks == NULL || c.mgr == NULL || c.evp == NULL ||
	    EVP_EncryptInit_ex(c.evp, EVP_aes_256_gcm(), NULL, key, NULL) != 1)
		goto out;
	init_mb_mgr_auto(c.mgr, NULL);
	if (imb_get_errno(c.mgr) != 0)
		goto out;
	IMB_AES256_GCM_PRE(c.mgr, key, gk);
	IMB_AES_KEYEXP_256(c.mgr, key, ks, ks + 256);
	c.gk = gk;
	c.enc = ks;
	c.dec = ks + 256;
	c.buf = p->pkt;
	c.n = o->burst;

	printf("\nreference: library primitives on the same sizes "
	       "(ipsec-mb %s, %s)\n", imb_get_version_str(),
	       OpenSSL_version(OPENSSL_VERSION));
	printf("%-18s %-8s %6s %8s %8s %9s %9s %9s\n", "primitive", "", "bytes",
	       "Mpps", "Gbit/s", "ns/pkt", "cyc/pkt", "med ns");
	for (pi = 0; pi < sizeof(prims) / sizeof(prims[0]); pi++) {
		for (si = 0; si < o->n_sizes; si++) {
			struct slice *sl = slices[0];
			unsigned int ns = n_slices(o->duration / 2);
			struct row w = { 0 };

			c.len = o->sizes[si];
			memset(sl, 0, ns * sizeof(*sl));
			for (s = 0; s < ns; s++) {
				double end = mono_s() + slice_s;

				do {
					uint64_t t0 = now_ticks();

					prims[pi].run(&c);
					sl[s].ticks += now_ticks() - t0;
					sl[s].pkts += c.n;
				} while (mono_s() < end);
			}
			w.name = prims[pi].name;
			w.op = "";
			w.size = c.len;
			w.r = summarize(sl, ns);
			print_row(&w);
		}
	}
out:
	if (c.mgr != NULL)
		free_mb_mgr(c.mgr);
	EVP_CIPHER_CTX_free(c.evp);
	free(gk);
	free(ks);
}

static void bench_identity(double duration)
{
	struct ztdp_identity id;
	const char *why = NULL;
	double t0, *ms = slice_sorted;
	unsigned int runs = 0;

	if (ztdp_identity_from_string(&id, known_identity, &why) != 0) {
		fprintf(stderr, "identity: cannot parse the known identity: %s\n",
			why != NULL ? why : "?");
		return;
	}
	t0 = mono_s();
	do {
		double a = mono_s();

		if (!ztdp_identity_locally_validate(&id)) {
			fprintf(stderr, "identity: known-good identity did not validate\n");
			goto out;
		}
		ms[runs++] = (mono_s() - a) * 1e3;
	} while (runs < MAX_SLICES && (runs < 5 || mono_s() - t0 < duration));
	qsort(ms, runs, sizeof(ms[0]), cmp_double);
	printf("\nidentity validation (ztdp_identity_locally_validate, known-good "
	       "identity): %.3f ms best, %.3f ms median, %u runs (%.0f/s)\n",
	       ms[0], ms[runs / 2], runs, 1e3 / ms[0]);
out:
	ztdp_identity_clear(&id);
}

static int parse_sizes(const char *s, struct options *o)
{
	char *dup = strdup(s), *tok, *save = NULL, *end;
	int rc = -1;

	if (dup == NULL)
		return -1;
	o->n_sizes = 0;
	for (tok = strtok_r(dup, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned long v = strtoul(tok, &end, 10);

		if (*end != '\0' || v < ZTDP_PKT_MIN_LEN ||
		    v > ZTDP_MAX_PACKET_LEN || o->n_sizes == MAX_SIZES) {
			fprintf(stderr, "bad size '%s' (%d..%d, at most %d sizes)\n",
				tok, ZTDP_PKT_MIN_LEN, ZTDP_MAX_PACKET_LEN,
				MAX_SIZES);
			goto out;
		}
		o->sizes[o->n_sizes++] = (unsigned int)v;
	}
	rc = o->n_sizes > 0 ? 0 : -1;
out:
	free(dup);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ztdp-crypto-bench [options]\n"
		"  -d, --duration S   seconds per case and size (default 1)\n"
		"  -s, --sizes LIST   packet sizes in bytes (default " DEFAULT_SIZES ")\n"
		"  -b, --burst N      packets per burst call (default 32)\n"
		"  -p, --pool N       packets cycled through (default 128)\n"
		"  -c, --cpu N        pin to CPU N (default: the one started on)\n"
		"  -o, --only TEXT    only cases whose name contains TEXT\n"
		"  -S, --slice-ms MS  measurement slice (default 2); figures are the\n"
		"                     fastest slice, with the median beside them\n"
		"  -I, --no-identity  skip the identity validation timing\n"
		"  -P, --no-primitives skip the library primitive reference rows\n"
		"  -h, --help\n"
		"The AES backend default comes from ZTDP_AES_BACKEND or auto;\n"
		"suite 3 is measured on every usable backend regardless.\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "sizes", required_argument, NULL, 's' },
		{ "burst", required_argument, NULL, 'b' },
		{ "pool", required_argument, NULL, 'p' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "only", required_argument, NULL, 'o' },
		{ "slice-ms", required_argument, NULL, 'S' },
		{ "no-identity", no_argument, NULL, 'I' },
		{ "no-primitives", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){
		.duration = 1.0, .burst = 32, .pool = 128, .cpu = -1,
		.identity = true, .primitives = true,
	};
	parse_sizes(DEFAULT_SIZES, o);
	while ((c = getopt_long(argc, argv, "d:s:b:p:c:o:S:IPh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'd':
			o->duration = strtod(optarg, NULL);
			if (o->duration <= 0) {
				fprintf(stderr, "bad duration\n");
				return -1;
			}
			break;
		case 's':
			if (parse_sizes(optarg, o) != 0)
				return -1;
			break;
		case 'b':
			o->burst = (unsigned int)strtoul(optarg, NULL, 10);
			if (o->burst == 0 || o->burst > MAX_BURST) {
				fprintf(stderr, "burst must be 1..%d\n", MAX_BURST);
				return -1;
			}
			break;
		case 'p':
			o->pool = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			o->cpu = atoi(optarg);
			break;
		case 'o':
			o->only = optarg;
			break;
		case 'S':
			slice_s = strtod(optarg, NULL) / 1e3;
			if (slice_s <= 0) {
				fprintf(stderr, "bad slice length\n");
				return -1;
			}
			break;
		case 'I':
			o->identity = false;
			break;
		case 'P':
			o->primitives = false;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (o->pool < o->burst)
		o->pool = o->burst;
	o->pool -= o->pool % o->burst;
	return 0;
}

/* "model name" of /proc/cpuinfo, for the record. */
static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown CPU");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			colon += 1 + (colon[1] == ' ');
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, len, "%s", colon);
			break;
		}
	}
	fclose(f);
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		cpu = sched_getcpu();
	if (cpu < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		fprintf(stderr, "cannot pin to cpu %d: %s\n", cpu,
			strerror(errno));
		return -1;
	}
	return cpu;
}

int main(int argc, char **argv)
{
	struct options o;
	struct pool pool = { 0 };
	struct row *rows = NULL;
	unsigned int n_rows = 0, max_rows, ci, si, k, maxsize = 0;
	uint8_t key[ZTDP_PEER_KEY_LEN];
	uint64_t seed = 42;
	const char *default_backend;
	char model[128];
	int cpu, rc = 1;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	if (ztdp_crypto_init(NULL) != 0) {
		fprintf(stderr, "ztdp_crypto_init failed\n");
		return 1;
	}
	default_backend = ztdp_crypto_aes_backend_name();
	cpu = pin_cpu(o.cpu);
	calibrate();
	for (si = 0; si < o.n_sizes; si++)
		if (o.sizes[si] > maxsize)
			maxsize = o.sizes[si];
	max_rows = (unsigned int)(N_CASES * N_OPS * o.n_sizes);
	rows = calloc(max_rows, sizeof(*rows));
	if (rows == NULL || pool_alloc(&pool, o.pool, maxsize) != 0) {
		fprintf(stderr, "out of memory\n");
		goto out;
	}
	fill_random(key, sizeof(key), &seed);

	cpu_model(model, sizeof(model));
	printf("ztdp-crypto-bench: %s, cpu %d, TSC %.3f GHz\n", model, cpu,
	       tsc_hz / 1e9);
	printf("burst %u, pool %u packets, %.2f s per figure, default AES "
	       "backend %s\n", o.burst, o.pool, o.duration, default_backend);
	printf("Mpps, Gbit/s, ns/pkt, cyc/pkt (TSC): fastest %.1f ms slice; med ns: "
	       "median slice;\nx memcpy: ns/pkt over memcpy's ns/pkt for the "
	       "same size (same buffers, same run)\n\n", slice_s * 1e3);
	printf("%-18s %-8s %6s %8s %8s %9s %9s %9s %9s\n", "case", "op",
	       "bytes", "Mpps", "Gbit/s", "ns/pkt", "cyc/pkt", "med ns",
	       "x memcpy");

	for (ci = 0; ci < N_CASES; ci++) {
		const struct bench_case *c = &cases[ci];
		struct ztdp_peer_key pk;

		if (o.only != NULL && strstr(c->name, o.only) == NULL)
			continue;
		if (c->backend != NULL) {
			if (!ztdp_crypto_aes_backend_usable(c->backend)) {
				printf("%-18s (backend not usable on this CPU)\n",
				       c->name);
				continue;
			}
			ztdp_crypto_select_aes_backend(c->backend);
		} else {
			ztdp_crypto_select_aes_backend(default_backend);
		}
		memset(&pk, 0, sizeof(pk));
		if (ztdp_peer_key_init(&pk, key) != 0) {
			fprintf(stderr, "%s: ztdp_peer_key_init failed\n", c->name);
			goto out;
		}
		for (si = 0; si < o.n_sizes; si++) {
			unsigned int len = o.sizes[si];
			struct result res[N_OPS], copy;

			pool_fill(&pool, c, &pk, len);
			/* Warm caches, branch predictors and the backend's
			 * per-thread state before measuring. */
			if (run_crypto(&pool, o.burst, o.duration / 10, res) != 0 ||
			    run_crypto(&pool, o.burst, o.duration, res) != 0) {
				fprintf(stderr, "%s at %u bytes failed\n", c->name,
					len);
				ztdp_peer_key_clear(&pk);
				goto out;
			}
			copy = run_memcpy(&pool, len, o.burst, o.duration / 2);
			for (k = 0; k < N_OPS; k++) {
				struct row *w = &rows[n_rows++];

				*w = (struct row){
					.name = c->name, .op = ops_table[k].name,
					.size = len, .r = res[k], .copy = copy,
				};
				print_row(w);
			}
			fflush(stdout);
		}
		ztdp_peer_key_clear(&pk);
	}
	ztdp_crypto_select_aes_backend(default_backend);

	/* memcpy alone, for reference. */
	printf("\n%-18s %-8s %6s %8s %8s %9s %9s %9s\n", "memcpy", "", "bytes",
	       "Mpps", "Gbit/s", "ns/pkt", "cyc/pkt", "med ns");
	for (si = 0; si < o.n_sizes; si++) {
		unsigned int len = o.sizes[si];

		for (k = 0; k < n_rows; k++) {
			if (rows[k].size == len) {
				struct row w = rows[k];

				w.name = "memcpy";
				w.op = "copy";
				w.r = w.copy;
				w.copy = (struct result){ 0, 0, 0 };
				print_row(&w);
				break;
			}
		}
	}

	if (o.n_sizes >= 2) {
		printf("\nper-packet fixed cost (least-squares fit of ns/pkt over the sizes)\n");
		printf("%-18s %-8s %12s %12s %12s %12s\n", "case", "op",
		       "fixed ns", "ns/byte", "cyc/byte", "Gbit/s bulk");
		for (ci = 0; ci < N_CASES; ci++)
			for (k = 0; k < N_OPS; k++)
				print_fit(rows, n_rows, cases[ci].name,
					  ops_table[k].name);
	}
	if (o.primitives)
		bench_primitives(&o, &pool);
	if (o.identity)
		bench_identity(o.duration);
	rc = 0;
out:
	pool_free(&pool);
	free(rows);
	return rc;
}
