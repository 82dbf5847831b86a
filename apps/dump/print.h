/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp-dump: the two output forms of a decoded record.
 *
 * Text: one line per record, tcpdump-like (UTC time, underlay, ZeroTier
 * addresses, cipher suite, verb and its key fields), and for a network
 * config that completed, indented lines with its summary.
 *
 * JSON: one object per record (jansson), the same facts as fields; a
 * completed config is the "netconf" member. Field names are listed in
 * README.md.
 */
#ifndef ZTDP_DUMP_PRINT_H
#define ZTDP_DUMP_PRINT_H

#include <stdio.h>

#include <jansson.h>

#include "decode.h"

void ztdp_dump_print_text(FILE *out, const struct ztdp_dump_pkt *p);

/* A new object (caller json_decref's it), NULL if out of memory. */
json_t *ztdp_dump_pkt_json(const struct ztdp_dump_pkt *p);
/* The object on one line. */
void ztdp_dump_print_json(FILE *out, const struct ztdp_dump_pkt *p);

#endif /* ZTDP_DUMP_PRINT_H */
