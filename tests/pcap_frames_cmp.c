/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper for test_dump.sh: are the frames of one pcap (EXPECTED) all
 * among the frames of another (ACTUAL), byte for byte, as a multiset (a
 * frame seen twice must be there twice)? Timestamps are not compared.
 *
 *   pcap_frames_cmp [--exact | --exact-window] [--except-frames N,N,...]
 *                   EXPECTED ACTUAL
 *
 * --exact: also every ACTUAL frame must be matched (the two are equal).
 * --exact-window: the same, except for ACTUAL frames stamped after the last
 *   EXPECTED frame (the EXPECTED capture had stopped by then).
 * --except-frames: these EXPECTED frames (1-based) are not required, and
 *   must indeed be missing (so the list cannot go stale silently); the
 *   caller documents why.
 * Prints one line per missing, excepted or extra frame and a summary line
 * "matched M/N expected, E excepted, X extra of A actual (L late)". Exit 0
 * if the requirement holds, 1 if not, 2 on usage or read errors.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#define MAX_EXCEPT	64
#define NEAR_US		1000000

struct frame {
	uint8_t *data;
	uint32_t len;
	uint64_t time_us;
	bool used;
};

struct frames {
	struct frame *v;
	size_t n, cap;
};

static int load(const char *path, struct frames *f)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	if (pc == NULL) {
		fprintf(stderr, "pcap_frames_cmp: %s: %s\n", path, err);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "pcap_frames_cmp: %s: not Ethernet\n", path);
		pcap_close(pc);
		return -1;
	}
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		struct frame *x;

		if (f->n == f->cap) {
			size_t ncap = f->cap ? f->cap * 2 : 64;
			struct frame *nv = realloc(f->v, ncap * sizeof(*nv));

			if (nv == NULL)
				goto fail;
			f->v = nv;
			f->cap = ncap;
		}
		x = &f->v[f->n];
		x->data = malloc(h->caplen ? h->caplen : 1);
		if (x->data == NULL)
			goto fail;
		memcpy(x->data, data, h->caplen);
		x->len = h->caplen;
		x->time_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		x->used = false;
		f->n++;
	}
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "pcap_frames_cmp: %s: %s\n", path, pcap_geterr(pc));
		pcap_close(pc);
		return -1;
	}
	pcap_close(pc);
	return 0;
fail:
	fprintf(stderr, "pcap_frames_cmp: out of memory\n");
	pcap_close(pc);
	return -1;
}

static void describe(const char *what, size_t i, const struct frame *f)
{
	printf("%s frame %zu: %u bytes", what, i + 1, f->len);
	if (f->len >= 14)
		printf(", %02x:%02x:%02x:%02x:%02x:%02x > %02x:%02x:%02x:%02x:%02x:%02x type %02x%02x",
		       f->data[6], f->data[7], f->data[8], f->data[9], f->data[10], f->data[11],
		       f->data[0], f->data[1], f->data[2], f->data[3], f->data[4], f->data[5],
		       f->data[12], f->data[13]);
	printf("\n");
}

/* Mark the unused ACTUAL frame equal to x nearest to it in time (within
 * max_us) as used; false if there is none. */
static bool pair(const struct frame *x, struct frames *act, uint64_t max_us)
{
	struct frame *best = NULL;
	uint64_t best_dt = 0;

	for (size_t a = 0; a < act->n; a++) {
		struct frame *y = &act->v[a];
		uint64_t dt = y->time_us > x->time_us ? y->time_us - x->time_us :
							x->time_us - y->time_us;

		if (y->used || y->len != x->len || dt > max_us ||
		    memcmp(y->data, x->data, x->len) != 0)
			continue;
		if (best == NULL || dt < best_dt) {
			best = y;
			best_dt = dt;
		}
	}
	if (best != NULL)
		best->used = true;
	return best != NULL;
}

/* "3,7,12" -> list; false on anything else. */
static bool parse_list(const char *s, unsigned long *v, size_t *n)
{
	char *end;

	*n = 0;
	for (;;) {
		if (*n == MAX_EXCEPT)
			return false;
		v[*n] = strtoul(s, &end, 10);
		if (end == s || v[*n] == 0)
			return false;
		(*n)++;
		if (*end == '\0')
			return true;
		if (*end != ',')
			return false;
		s = end + 1;
	}
}

static bool listed(const unsigned long *v, size_t n, size_t index)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == index)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct frames exp = { 0 }, act = { 0 };
	unsigned long except[MAX_EXCEPT];
	size_t nexcept = 0, matched = 0, excepted = 0, extra = 0, late = 0, bad = 0;
	bool exact = false, window = false;
	uint64_t last = 0;
	int i = 1;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--exact") == 0) {
			exact = true;
		} else if (strcmp(argv[i], "--exact-window") == 0) {
			window = true;
		} else if (strcmp(argv[i], "--except-frames") == 0 && i + 1 < argc &&
			   parse_list(argv[i + 1], except, &nexcept)) {
			i++;
		} else {
			fprintf(stderr, "pcap_frames_cmp: bad option %s\n", argv[i]);
			return 2;
		}
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: pcap_frames_cmp [--exact | --exact-window] "
			"[--except-frames N,...] EXPECTED.pcap ACTUAL.pcap\n");
		return 2;
	}
	if (load(argv[i], &exp) != 0 || load(argv[i + 1], &act) != 0)
		return 2;

	for (size_t e = 0; e < exp.n; e++)
		if (exp.v[e].time_us > last)
			last = exp.v[e].time_us;
	/* Identical frames recur (ARP requests, DAD probes): pair each with
	 * the nearest in time, first within NEAR_US, then at any distance
	 * (a multicast may wait seconds for its recipients to be known). */
	for (int pass = 0; pass < 2; pass++)
		for (size_t e = 0; e < exp.n; e++)
			if (!exp.v[e].used)
				exp.v[e].used = pair(&exp.v[e], &act, pass == 0 ? NEAR_US : UINT64_MAX);
	for (size_t e = 0; e < exp.n; e++) {
		bool found = exp.v[e].used;

		if (found && listed(except, nexcept, e + 1)) {
			describe("excepted but present", e, &exp.v[e]);
			bad++;
		} else if (found) {
			matched++;
		} else if (listed(except, nexcept, e + 1)) {
			excepted++;
			describe("excepted", e, &exp.v[e]);
		} else {
			describe("missing expected", e, &exp.v[e]);
			bad++;
		}
	}
	for (size_t a = 0; a < act.n; a++) {
		if (act.v[a].used)
			continue;
		if (window && act.v[a].time_us > last) {
			late++;
			describe("late actual", a, &act.v[a]);
			continue;
		}
		extra++;
		describe("extra actual", a, &act.v[a]);
	}
	printf("matched %zu/%zu expected, %zu excepted, %zu extra of %zu actual (%zu late)\n",
	       matched, exp.n, excepted, extra, act.n, late);
	for (size_t e = 0; e < exp.n; e++)
		free(exp.v[e].data);
	for (size_t a = 0; a < act.n; a++)
		free(act.v[a].data);
	free(exp.v);
	free(act.v);
	if (bad != 0 || ((exact || window) && extra != 0))
		return 1;
	return 0;
}
