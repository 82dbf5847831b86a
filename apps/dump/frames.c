/* SPDX-License-Identifier: BSD-3-Clause */
/* ztdp-dump: Ethernet pcap writer on libpcap's dump API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "frames.h"

/* Largest frame: 14-byte header and a ZeroTier MTU-sized payload (10000)
 * with room to spare; records are never cut. */
#define FRAMES_SNAPLEN	65535

struct ztdp_dump_frames {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	uint64_t count;
};

struct ztdp_dump_frames *ztdp_dump_frames_open(const char *path, char *why, size_t whylen)
{
	struct ztdp_dump_frames *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	f->dead = pcap_open_dead(DLT_EN10MB, FRAMES_SNAPLEN);
	if (f->dead == NULL) {
		snprintf(why, whylen, "%s: pcap_open_dead failed", path);
		goto fail;
	}
	f->dumper = pcap_dump_open(f->dead, path);
	if (f->dumper == NULL) {
		snprintf(why, whylen, "%s", pcap_geterr(f->dead));
		goto fail;
	}
	return f;
fail:
	if (f->dead != NULL)
		pcap_close(f->dead);
	free(f);
	return NULL;
}

void ztdp_dump_frames_write(struct ztdp_dump_frames *f, uint64_t time_us,
			    const uint8_t *frame, size_t len)
{
	struct pcap_pkthdr h;

	if (len > FRAMES_SNAPLEN)
		return;
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(time_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(time_us % 1000000);
	h.caplen = (bpf_u_int32)len;
	h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)f->dumper, &h, frame);
	f->count++;
}

uint64_t ztdp_dump_frames_count(const struct ztdp_dump_frames *f)
{
	return f->count;
}

int ztdp_dump_frames_close(struct ztdp_dump_frames *f, char *why, size_t whylen)
{
	int rc = 0;

	if (f == NULL)
		return 0;
	if (pcap_dump_flush(f->dumper) != 0) {
		snprintf(why, whylen, "cannot write the frames file");
		rc = -1;
	}
	pcap_dump_close(f->dumper);
	pcap_close(f->dead);
	free(f);
	return rc;
}
