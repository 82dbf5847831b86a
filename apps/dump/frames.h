/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp-dump: the overlay as an Ethernet pcap (DLT_EN10MB), one record per
 * frame a FRAME, EXT_FRAME or MULTICAST_FRAME carried, stamped with the
 * time of the underlay packet, so Wireshark can open what the members'
 * TAPs saw.
 */
#ifndef ZTDP_DUMP_FRAMES_H
#define ZTDP_DUMP_FRAMES_H

#include <stddef.h>
#include <stdint.h>

struct ztdp_dump_frames;

/* Create (truncate) path. NULL with a one-line reason in why. */
struct ztdp_dump_frames *ztdp_dump_frames_open(const char *path, char *why, size_t whylen);
/* Append one frame (whole Ethernet frame, header included). */
void ztdp_dump_frames_write(struct ztdp_dump_frames *f, uint64_t time_us,
			    const uint8_t *frame, size_t len);
uint64_t ztdp_dump_frames_count(const struct ztdp_dump_frames *f);
/* Flush and close; 0, or -1 with why if the file could not be written. */
int ztdp_dump_frames_close(struct ztdp_dump_frames *f, char *why, size_t whylen);

#endif /* ZTDP_DUMP_FRAMES_H */
