/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp-decode-bench: how fast ztdp-dump's decode path runs over a real
 * capture, against its cheapest and its crypto stages.
 *
 * The capture's UDP payloads are loaded into memory once (ztdp-dump's own
 * link-layer code). Then, in one process, each stage runs over the whole
 * capture again and again:
 *
 *   classify   ztdp_dgram_classify on every datagram
 *   dearmor    copy + ztdp_dearmor of every whole packet (fragments
 *              reassembled beforehand, peer keys looked up beforehand)
 *   decode     ztdp_dump_decode_datagram on every datagram: classify,
 *              reassemble, key lookup, dearmor, LZ4, HELLO cryptField, verb
 *              decode, frame rebuild; config chunks decoded only
 *   +sig       the same, config chunk signatures checked (Ed25519)
 *   +netconf   the same, configs also assembled (which checks the
 *              signature again), parsed and their COM verified: the whole
 *              path as ztdp-dump runs it
 *
 * The decoder is reset before each pass (the relay-copy table, reassembly
 * and config state must start empty for the passes to be alike); that is
 * part of the timed work. Each stage is timed in several runs of a fixed
 * duration; the best run is reported (the machine is shared) with the
 * median beside it.
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

#include <pcap/pcap.h>

#include "capture.h"
#include "decode.h"
#include "keys.h"
#include "ztdp_armor.h"
#include "ztdp_crypto.h"
#include "ztdp_packet.h"
#include "ztdp_reasm.h"
#include "ztdp_wire.h"

#define DEFAULT_PCAP	"interop/data/pcap/underlay-join-ping.pcap"
#define DEFAULT_IDS	"interop/data/identities"
#define MAX_RUNS	64

struct dgram {
	struct ztdp_dump_dgram g;
	uint8_t *copy;
};

struct whole {
	uint8_t *wire;
	size_t len;
	const struct ztdp_peer_key *pk;
};

struct bench {
	struct dgram *d;
	size_t nd;
	struct whole *w;
	size_t nw;
	struct ztdp_dump_keys *keys;
	uint8_t *work;
	double seconds;		/* per run */
	unsigned int runs;
	volatile uint64_t sink;	/* keeps results alive */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "ztdp-decode-bench: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(1);
}

static const char *shared_path(const char *rel)
{
	static char buf[2][4096];
	static int which;
	const char *dir = getenv("ZTDP_SHARED_DIR");

	which ^= 1;
	snprintf(buf[which], sizeof(buf[which]), "%s/%s", dir && *dir ? dir : "../shared", rel);
	return buf[which];
}

/* The capture's UDP payloads, copied, in order. */
static void load_capture(struct bench *b, const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t cap = 0;
	uint64_t record = 0;
	pcap_t *pc = pcap_open_offline(path, err);
	int dlt;

	if (pc == NULL)
		die(err, NULL);
	dlt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		struct ztdp_dump_udp u;
		struct dgram *x;

		record++;
		if (ztdp_dump_link_to_udp(dlt, data, h->caplen, &u) != ZTDP_DUMP_LINK_UDP)
			continue;
		if (b->nd == cap) {
			cap = cap ? cap * 2 : 256;
			b->d = realloc(b->d, cap * sizeof(*b->d));
			if (b->d == NULL)
				die("out of memory", NULL);
		}
		x = &b->d[b->nd++];
		x->copy = malloc(u.len ? u.len : 1);
		if (x->copy == NULL)
			die("out of memory", NULL);
		memcpy(x->copy, u.data, u.len);
		x->g.time_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		x->g.record = record;
		x->g.src = u.src;
		x->g.dst = u.dst;
		x->g.data = x->copy;
		x->g.len = u.len;
	}
	pcap_close(pc);
	if (b->nd == 0)
		die("no UDP datagrams in", path);
}

static uint64_t source_key(const struct ztdp_dump_dgram *g)
{
	uint64_t k = 0;

	for (int i = 0; i < 16; i++)
		k = k * 131 + g->src.ip[i] * 7 + g->dst.ip[i];
	return k ^ (uint64_t)g->src.port << 32 ^ g->dst.port;
}

/* Whole packets as dearmor sees them: reassembled, with their key. */
static void build_wholes(struct bench *b)
{
	struct ztdp_reasm_config c;
	struct ztdp_reasm *r;
	uint8_t *out = malloc(ZTDP_MAX_PACKET_LEN);

	ztdp_reasm_config_default(&c);
	c.hash_seed = 1;
	r = ztdp_reasm_create(&c);
	b->w = calloc(b->nd, sizeof(*b->w));
	if (r == NULL || out == NULL || b->w == NULL)
		die("out of memory", NULL);
	for (size_t i = 0; i < b->nd; i++) {
		const struct ztdp_dump_dgram *g = &b->d[i].g;
		enum ztdp_dgram_kind k = ztdp_dgram_classify(g->data, g->len);
		const uint8_t *pkt = g->data;
		size_t len = g->len, alen = 0;
		enum ztdp_dump_nokey why;
		struct whole *w;

		if (k == ZTDP_DGRAM_FRAGMENT ||
		    (k == ZTDP_DGRAM_PACKET && ztdp_packet_is_fragmented(g->data))) {
			if (ztdp_reasm_add(r, source_key(g), g->data, g->len, g->time_us / 1000, out,
					   ZTDP_MAX_PACKET_LEN, &alen) != ZTDP_REASM_COMPLETE)
				continue;
			pkt = out;
			len = alen;
		} else if (k != ZTDP_DGRAM_PACKET) {
			continue;
		}
		w = &b->w[b->nw];
		w->pk = ztdp_dump_keys_peer(b->keys, ztdp_packet_source(pkt), ztdp_packet_dest(pkt),
					    &why);
		if (w->pk == NULL)
			continue;	/* no key: nothing for dearmor to do */
		w->wire = malloc(len);
		if (w->wire == NULL)
			die("out of memory", NULL);
		memcpy(w->wire, pkt, len);
		w->len = len;
		b->nw++;
	}
	ztdp_reasm_destroy(r);
	free(out);
}

/* ---- Stages: one pass over the capture each ------------------------------ */

static void pass_classify(struct bench *b, void *arg)
{
	uint64_t acc = 0;

	(void)arg;
	for (size_t i = 0; i < b->nd; i++)
		acc += (uint64_t)ztdp_dgram_classify(b->d[i].g.data, b->d[i].g.len);
	b->sink += acc;
}

static void pass_dearmor(struct bench *b, void *arg)
{
	uint64_t acc = 0;

	(void)arg;
	for (size_t i = 0; i < b->nw; i++) {
		memcpy(b->work, b->w[i].wire, b->w[i].len);
		acc += (uint64_t)ztdp_dearmor(b->w[i].pk, b->work, b->w[i].len);
	}
	b->sink += acc;
}

static void pass_decode(struct bench *b, void *arg)
{
	struct ztdp_dump_decoder *d = arg;

	ztdp_dump_decoder_reset(d);
	for (size_t i = 0; i < b->nd; i++)
		ztdp_dump_decode_datagram(d, &b->d[i].g);
	ztdp_dump_decoder_finish(d);
	b->sink += ztdp_dump_decoder_stats(d)->authenticated;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Seconds per pass: best and median of the runs. */
static void measure(struct bench *b, void (*pass)(struct bench *, void *), void *arg,
		    double *best, double *median)
{
	double per[MAX_RUNS];

	pass(b, arg);	/* warm caches and lazily built state */
	for (unsigned int r = 0; r < b->runs; r++) {
		double t0 = now_s(), t;
		unsigned long n = 0;

		do {
			pass(b, arg);
			n++;
			t = now_s();
		} while (t - t0 < b->seconds);
		per[r] = (t - t0) / (double)n;
	}
	qsort(per, b->runs, sizeof(per[0]), cmp_double);
	*best = per[0];
	*median = per[b->runs / 2];
}

static void usage(void)
{
	printf("Usage: ztdp-decode-bench [-p capture.pcap] [-i identity-dir-or-file]...\n"
	       "                         [-d seconds-per-run] [-r runs] [-c cpu] [-s stage]\n"
	       "Defaults: $ZTDP_SHARED_DIR (or ../shared)/" DEFAULT_PCAP ",\n"
	       "the identities in .../" DEFAULT_IDS ", -d 0.5 -r 7.\n"
	       "-s: measure only this stage besides classify and dearmor (for profiling).\n");
}

int main(int argc, char **argv)
{
	struct bench b;
	const char *pcap_path = NULL;
	const char *ids[16];
	unsigned int nids = 0;
	int cpu = -1, c;
	const char *only = NULL;
	struct ztdp_dump_config cfg;
	struct ztdp_dump_decoder *dec_nc, *dec_sig, *dec;
	const struct ztdp_dump_stats *st;
	char why[512];
	struct {
		const char *name;
		void (*pass)(struct bench *, void *);
		void *arg;
		double units;		/* what one pass handles */
		const char *unit;
		double best, median;
	} rows[5];

	memset(&b, 0, sizeof(b));
	b.seconds = 0.5;
	b.runs = 7;
	while ((c = getopt(argc, argv, "p:i:d:r:c:s:h")) != -1) {
		switch (c) {
		case 'p':
			pcap_path = optarg;
			break;
		case 'i':
			if (nids < 16)
				ids[nids++] = optarg;
			break;
		case 'd':
			b.seconds = strtod(optarg, NULL);
			break;
		case 'r':
			b.runs = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 's':
			only = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 1;
		}
	}
	if (b.seconds <= 0 || b.runs == 0 || b.runs > MAX_RUNS)
		die("bad -d or -r", NULL);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			die("cannot pin to that CPU", strerror(errno));
	}
	if (ztdp_crypto_init(NULL) != 0)
		die("crypto initialisation failed", NULL);
	if (pcap_path == NULL)
		pcap_path = shared_path(DEFAULT_PCAP);
	if (nids == 0)
		ids[nids++] = shared_path(DEFAULT_IDS);
	b.keys = ztdp_dump_keys_create();
	b.work = malloc(ZTDP_MAX_PACKET_LEN);
	if (b.keys == NULL || b.work == NULL)
		die("out of memory", NULL);
	for (unsigned int i = 0; i < nids; i++)
		if (ztdp_dump_keys_load(b.keys, ids[i], why, sizeof(why)) < 0)
			die(why, NULL);
	load_capture(&b, pcap_path);
	build_wholes(&b);

	ztdp_dump_config_default(&cfg);
	cfg.keys = b.keys;
	dec_nc = ztdp_dump_decoder_create(&cfg);
	cfg.netconf = false;
	dec_sig = ztdp_dump_decoder_create(&cfg);
	cfg.chunk_signatures = false;
	dec = ztdp_dump_decoder_create(&cfg);
	if (dec == NULL || dec_sig == NULL || dec_nc == NULL)
		die("out of memory", NULL);
	pass_decode(&b, dec_nc);
	st = ztdp_dump_decoder_stats(dec_nc);
	printf("capture: %s\n", pcap_path);
	printf("per pass: %zu datagrams -> %llu packets (%llu reassembled, %llu authenticated, "
	       "%llu configs), %zu whole packets with a key for dearmor; AES backend %s\n",
	       b.nd, (unsigned long long)st->packets, (unsigned long long)st->reassembled,
	       (unsigned long long)st->authenticated, (unsigned long long)st->configs, b.nw,
	       ztdp_crypto_aes_backend_name());
	printf("each figure: best of %u runs of %.2f s (median beside it)%s\n\n", b.runs,
	       b.seconds, cpu >= 0 ? ", pinned" : "");

	rows[0] = (typeof(rows[0])){ "classify", pass_classify, NULL, (double)b.nd, "dgram" };
	rows[1] = (typeof(rows[0])){ "dearmor", pass_dearmor, NULL, (double)b.nw, "pkt" };
	rows[2] = (typeof(rows[0])){ "decode", pass_decode, dec, (double)st->packets, "pkt" };
	rows[3] = (typeof(rows[0])){ "decode+sig", pass_decode, dec_sig, (double)st->packets,
				    "pkt" };
	rows[4] = (typeof(rows[0])){ "decode+netconf", pass_decode, dec_nc, (double)st->packets,
				    "pkt" };
	/* classify and dearmor are the yardsticks: always measured. */
	for (int i = 0; i < 5; i++)
		if (i < 2 || only == NULL || strcmp(only, rows[i].name) == 0)
			measure(&b, rows[i].pass, rows[i].arg, &rows[i].best, &rows[i].median);

	printf("%-15s %12s %14s %10s %10s %12s %12s\n", "stage", "us/pass", "per second",
	       "ns/unit", "med ns", "x classify", "x dearmor");
	for (int i = 0; i < 5; i++) {
		double ns = rows[i].best * 1e9 / rows[i].units;
		double med = rows[i].median * 1e9 / rows[i].units;
		double cls = rows[0].best * 1e9 / rows[0].units;
		double dea = rows[1].best * 1e9 / rows[1].units;
		char rate[32];

		if (rows[i].best == 0)
			continue;
		snprintf(rate, sizeof(rate), "%.0f %s/s", rows[i].units / rows[i].best, rows[i].unit);
		printf("%-15s %12.1f %14s %10.1f %10.1f %12.1f %12.2f\n", rows[i].name,
		       rows[i].best * 1e6, rate, ns, med, ns / cls, ns / dea);
	}
	ztdp_dump_decoder_destroy(dec);
	ztdp_dump_decoder_destroy(dec_sig);
	ztdp_dump_decoder_destroy(dec_nc);
	ztdp_dump_keys_destroy(b.keys);
	for (size_t i = 0; i < b.nd; i++)
		free(b.d[i].copy);
	for (size_t i = 0; i < b.nw; i++)
		free(b.w[i].wire);
	free(b.d);
	free(b.w);
	free(b.work);
	return (int)(b.sink & 0);
}
