/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper: the network configs a real 1.14.1 controller sent in a
 * capture of interop/data or interop/data-bridge.
 *
 * For each UDP payload from the controller (the root) to a member:
 * reassemble fragments, dearmor with the pair's key (identities from the
 * data set), LZ4-decompress, and take the config chunks of
 * OK(NETWORK_CONFIG_REQUEST) and NETWORK_CONFIG (protocol notes 6.11). The
 * chunk signature is checked with the controller's identity and the chunks
 * of one update ID are joined into the Dictionary text. Deliberately
 * independent of proto/'s verb and chunk code, so the tests of the config
 * codecs do not rest on it.
 */
#ifndef ZTDP_TEST_NETCONF_CAPTURE_H
#define ZTDP_TEST_NETCONF_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_identity.h"

enum { NC_NODE_ROOT, NC_NODE_A, NC_NODE_B, NC_NODES };

struct nc_config {
	uint64_t dest;		/* member the config was issued to */
	uint8_t verb;		/* 0x03 (OK in-re 0x0B) or 0x0C */
	uint64_t update_id;
	unsigned int record;	/* pcap record of the last chunk (1-based) */
	uint8_t *dict;		/* Dictionary text, len bytes (NUL after) */
	size_t len;
};

struct nc_capture {
	struct ztdp_identity ids[NC_NODES];	/* root, a, b (with secrets) */
	uint64_t nwid;
	struct nc_config *configs;	/* in capture order */
	size_t count;
	/* Other credential-bearing payloads seen (NETWORK_CREDENTIALS),
	 * decompressed, each from its verb's payload start. */
	uint8_t **creds;
	size_t *creds_len;
	uint64_t *creds_src;
	size_t creds_count;
	unsigned int packets, chunks, bad_chunk_sigs;
};

/* dataset: "interop/data" or "interop/data-bridge"; pcap relative to the
 * data set ("pcap/underlay-join-ping.pcap"). Fails the test on any
 * inconsistency. True if the files are there (else prints why and returns
 * false, for skip()). */
bool nc_capture_load(struct nc_capture *c, const char *dataset,
		     const char *pcap_rel);
void nc_capture_free(struct nc_capture *c);

/* Node index of an address, -1 if none. */
int nc_capture_node(const struct nc_capture *c, uint64_t address);
/* The last config issued to a member (by capture order), NULL if none. */
const struct nc_config *nc_capture_last_for(const struct nc_capture *c,
					     uint64_t dest);

#endif /* ZTDP_TEST_NETCONF_CAPTURE_H */
