/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp-dump: a ZeroTier V1 dissector for pcap files of underlay UDP.
 *
 * Given the secret identity of at least one side of a conversation it
 * authenticates and decrypts every packet, folds fragments into their
 * packet, decodes each verb, verifies and parses network configs, and can
 * write the Ethernet frames the overlay carried as a pcap of their own.
 *
 * Unless told otherwise (or reading stdin) it reads a file twice: first
 * quietly, to learn the public identities the capture carries (HELLO,
 * OK(WHOIS)), so that packets seen before their sender's HELLO decrypt
 * too; then for real. Exit status: 0, or 1 (one line on stderr) for bad
 * usage, an unreadable capture or an unwritable output.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "decode.h"
#include "frames.h"
#include "keys.h"
#include "print.h"
#include "ztdp_crypto.h"
#include "ztdp_wire.h"

#define PROG		"ztdp-dump"
/* Quiet passes at most: each may teach identities that unlock OK(WHOIS)
 * packets carrying more identities. */
#define MAX_LEARN_PASSES 3
#define WHY_LEN		512

struct options {
	const char *input;
	bool json;
	bool quiet;
	bool any_port;
	bool single_pass;
	unsigned int port;
	const char *frames_path;
};

struct app {
	struct options opt;
	struct ztdp_dump_keys *keys;
	struct ztdp_dump_decoder *dec;
	struct ztdp_dump_frames *frames;
	bool printing;
	/* Records the decoder never saw, by reason. */
	uint64_t records, link_skipped[ZTDP_DUMP_LINK_N], other_port;
	bool read_error;
	char read_error_text[PCAP_ERRBUF_SIZE + 64];
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " [options] <capture.pcap>\n"
		"\n"
		"Dissects ZeroTier V1 traffic in a pcap of underlay UDP: one line per\n"
		"ZeroTier packet (fragments folded in), decrypted with the identities given.\n"
		"\n"
		"Options:\n"
		"  -i, --identity FILE|DIR  identity file, secret or public (repeatable); a\n"
		"                           directory loads its *.secret and *.public files\n"
		"  -j, --json               one JSON object per packet instead of text\n"
		"  -w, --write-frames OUT   write the carried Ethernet frames to OUT (pcap)\n"
		"  -p, --port N             underlay UDP port (default %u)\n"
		"      --any-port           any UDP port\n"
		"  -q, --quiet              print only the summary line (on stderr)\n"
		"      --single-pass        read the capture once (no identity pre-scan;\n"
		"                           implied when reading stdin, '-')\n"
		"  -h, --help               this text\n",
		ZTDP_DEFAULT_PORT);
}

/* One error line, exit 1. */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

enum { OPT_ANY_PORT = 256, OPT_SINGLE_PASS };

static void parse_options(int argc, char **argv, struct options *o, struct ztdp_dump_keys *keys)
{
	static const struct option longopts[] = {
		{ "identity", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "write-frames", required_argument, NULL, 'w' },
		{ "port", required_argument, NULL, 'p' },
		{ "any-port", no_argument, NULL, OPT_ANY_PORT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "single-pass", no_argument, NULL, OPT_SINGLE_PASS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char why[WHY_LEN];
	int c;

	memset(o, 0, sizeof(*o));
	o->port = ZTDP_DEFAULT_PORT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:jw:p:qr:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (ztdp_dump_keys_load(keys, optarg, why, sizeof(why)) < 0)
				die("%s", why);
			break;
		case 'j':
			o->json = true;
			break;
		case 'w':
			o->frames_path = optarg;
			break;
		case 'p': {
			char *end = NULL;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || v == 0 || v > 65535)
				die("bad port '%s' (1..65535)", optarg);
			o->port = (unsigned int)v;
			break;
		}
		case OPT_ANY_PORT:
			o->any_port = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_SINGLE_PASS:
			o->single_pass = true;
			break;
		case 'r':
			o->input = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			die("option '%s' needs an argument", argv[optind - 1]);
			break;
		default:
			die("unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (o->input == NULL) {
		if (optind >= argc)
			die("no capture file given (see --help)");
		o->input = argv[optind++];
	}
	if (optind < argc)
		die("unexpected argument '%s' (one capture file at a time)", argv[optind]);
}

static void on_packet(void *arg, const struct ztdp_dump_pkt *p)
{
	struct app *a = arg;

	if (a->printing) {
		if (a->opt.json)
			ztdp_dump_print_json(stdout, p);
		else
			ztdp_dump_print_text(stdout, p);
	}
	/* A relayed packet is on the wire twice; its frame went over once. */
	if (a->frames != NULL && p->frame != NULL && !p->relay_copy &&
	    p->status == ZTDP_DUMP_ST_OK)
		ztdp_dump_frames_write(a->frames, p->time_us, p->frame, p->frame_len);
}

static bool port_matches(const struct options *o, const struct ztdp_dump_udp *u)
{
	return o->any_port || u->src.port == o->port || u->dst.port == o->port;
}

/* One pass over the capture. Exits on an unreadable file; a read error
 * part-way (a truncated file) ends the pass and is remembered. */
static void run_pass(struct app *a)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int dlt, rc;

	pc = pcap_open_offline(a->opt.input, err);
	if (pc == NULL) {
		/* libpcap names the file in some messages, not in others. */
		if (strncmp(err, a->opt.input, strlen(a->opt.input)) == 0)
			die("%s", err);
		die("%s: %s", a->opt.input, err);
	}
	dlt = pcap_datalink(pc);
	if (!ztdp_dump_link_supported(dlt)) {
		const char *name = pcap_datalink_val_to_name(dlt);

		pcap_close(pc);
		die("%s: unsupported link type %s", a->opt.input, name ? name : "(unknown)");
	}
	a->records = 0;
	a->other_port = 0;
	memset(a->link_skipped, 0, sizeof(a->link_skipped));
	a->read_error = false;
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		struct ztdp_dump_dgram g;
		struct ztdp_dump_udp u;
		enum ztdp_dump_link lr;

		a->records++;
		lr = ztdp_dump_link_to_udp(dlt, data, h->caplen, &u);
		if (lr != ZTDP_DUMP_LINK_UDP) {
			a->link_skipped[lr]++;
			continue;
		}
		if (!port_matches(&a->opt, &u)) {
			a->other_port++;
			continue;
		}
		g.time_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		g.record = a->records;
		g.src = u.src;
		g.dst = u.dst;
		g.data = u.data;
		g.len = u.len;
		ztdp_dump_decode_datagram(a->dec, &g);
	}
	if (rc == PCAP_ERROR) {
		a->read_error = true;
		snprintf(a->read_error_text, sizeof(a->read_error_text), "%s: %s (after record %"
			 PRIu64 ")", a->opt.input, pcap_geterr(pc), a->records);
	}
	ztdp_dump_decoder_finish(a->dec);
	pcap_close(pc);
}

static bool seekable(const char *path)
{
	struct stat st;

	return strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void print_summary(const struct app *a)
{
	const struct ztdp_dump_stats *s = ztdp_dump_decoder_stats(a->dec);
	uint64_t skipped = a->other_port;

	for (int i = 0; i < ZTDP_DUMP_LINK_N; i++)
		skipped += a->link_skipped[i];
	fprintf(stderr, PROG ": %" PRIu64 " records, %" PRIu64 " datagrams, %" PRIu64
		" packets (%" PRIu64 " reassembled), %" PRIu64 " authenticated, %" PRIu64
		" undecryptable, %" PRIu64 " auth-failed, %" PRIu64 " incomplete, %" PRIu64
		" malformed, %" PRIu64 " dropped pieces, %" PRIu64 " beacons, %" PRIu64
		" not ZeroTier, %" PRIu64 " skipped records (%" PRIu64 " truncated), %"
		PRIu64 " configs, %" PRIu64 " frames written, %u identities (%u secret, %u learned)\n",
		a->records, s->datagrams, s->packets, s->reassembled, s->authenticated,
		s->undecryptable, s->auth_failed, s->incomplete, s->malformed, s->dropped,
		s->beacons, s->not_zerotier, skipped, a->link_skipped[ZTDP_DUMP_LINK_TRUNCATED],
		s->configs, a->frames ? ztdp_dump_frames_count(a->frames) : 0,
		ztdp_dump_keys_count(a->keys), ztdp_dump_keys_secrets(a->keys),
		ztdp_dump_keys_learned(a->keys));
}

int main(int argc, char **argv)
{
	struct ztdp_dump_config cfg;
	struct ztdp_dump_frames *frames = NULL;
	struct app a;
	char why[WHY_LEN];
	int status = 0;

	memset(&a, 0, sizeof(a));
	if (ztdp_crypto_init(NULL) != 0)
		die("crypto initialisation failed");
	a.keys = ztdp_dump_keys_create();
	if (a.keys == NULL)
		die("out of memory");
	parse_options(argc, argv, &a.opt, a.keys);

	ztdp_dump_config_default(&cfg);
	cfg.keys = a.keys;
	cfg.emit = on_packet;
	cfg.arg = &a;
	a.dec = ztdp_dump_decoder_create(&cfg);
	if (a.dec == NULL)
		die("out of memory");

	/* Open the output first: a bad path should not cost the pre-scan. */
	if (a.opt.frames_path != NULL) {
		frames = ztdp_dump_frames_open(a.opt.frames_path, why, sizeof(why));
		if (frames == NULL)
			die("%s", why);
	}
	if (!a.opt.single_pass && seekable(a.opt.input)) {
		for (int pass = 0; pass < MAX_LEARN_PASSES; pass++) {
			unsigned int before = ztdp_dump_keys_count(a.keys);

			run_pass(&a);
			ztdp_dump_decoder_reset(a.dec);
			if (ztdp_dump_keys_count(a.keys) == before)
				break;
		}
	}
	a.frames = frames;
	a.printing = !a.opt.quiet;
	run_pass(&a);
	fflush(stdout);
	if (a.read_error)
		fprintf(stderr, PROG ": warning: %s\n", a.read_error_text);
	print_summary(&a);
	if (ztdp_dump_frames_close(a.frames, why, sizeof(why)) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", a.opt.frames_path, why);
		status = 1;
	}
	if (ferror(stdout)) {
		fprintf(stderr, PROG ": error writing the output\n");
		status = 1;
	}
	ztdp_dump_decoder_destroy(a.dec);
	ztdp_dump_keys_destroy(a.keys);
	return status;
}
