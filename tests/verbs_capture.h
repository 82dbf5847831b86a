/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper for the verb tests: walk a real capture of three ZeroTierOne
 * 1.14.1 nodes (root, a, b) and hand every ZeroTier packet to a callback
 * in plaintext: reassembled (proto/ reasm), dearmored with the nodes'
 * secret identities, LZ4-decompressed, HELLO cryptField decrypted.
 */
#ifndef ZTDP_TEST_VERBS_CAPTURE_H
#define ZTDP_TEST_VERBS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_armor.h"
#include "ztdp_identity.h"

#define VC_NODES	3
enum { VC_ROOT, VC_A, VC_B };

struct vc_nodes {
	struct ztdp_identity id[VC_NODES];	/* root, a, b (with secrets) */
	struct ztdp_peer_key key[VC_NODES][VC_NODES];
};

struct vc_packet {
	unsigned int record;		/* pcap record (1-based) that completed it */
	uint64_t wire_id;		/* packet ID as on the wire (post-armor) */
	uint64_t time_us;
	uint32_t src_ip, dst_ip;	/* underlay, host order */
	uint16_t src_port, dst_port;
	int src, dst;			/* VC_ROOT / VC_A / VC_B */
	unsigned int cipher, hops;
	bool reassembled, compressed;
	uint8_t verb;			/* 0..31 */
	const uint8_t *pkt;		/* plaintext packet, verb byte without 0x80 */
	size_t len;
	size_t hello_crypt_off;		/* HELLO: payload offset of cryptField */
};

struct vc_stats {
	unsigned int datagrams, packets, fragments, heads, beacons, junk;
	unsigned int reassembled, compressed;
	unsigned int verbs[32];
};

typedef void (*vc_packet_fn)(void *ctx, const struct vc_packet *p);

/* Load root/a/b identities from <dir>/{root,a,b}.identity.secret under the
 * shared directory; false (after printing why) if absent. */
bool vc_nodes_load(struct vc_nodes *n, const char *dir);
void vc_nodes_free(struct vc_nodes *n);
int vc_node_by_address(const struct vc_nodes *n, uint64_t address);

/* Walk the capture (path relative to the shared directory). Any packet
 * that does not authenticate or decompress fails the running cmocka test. */
void vc_run(const struct vc_nodes *n, const char *pcap_rel, vc_packet_fn fn,
	    void *ctx, struct vc_stats *st);

#endif /* ZTDP_TEST_VERBS_CAPTURE_H */
