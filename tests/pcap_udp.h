/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper: the UDP payloads of a capture (Ethernet, optional VLAN tags,
 * IPv4, no IP fragments), loaded whole, plus the peer keys of the three
 * nodes of interop/data (root, a, b) so tests can dearmor what they see.
 */
#ifndef ZTDP_TEST_PCAP_UDP_H
#define ZTDP_TEST_PCAP_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "ztdp_armor.h"
#include "ztdp_identity.h"

struct pcap_udp {
	uint32_t src_ip, dst_ip;	/* host order */
	uint16_t src_port, dst_port;
	size_t len;
	uint8_t *data;			/* exactly len bytes (ASan sees overreads) */
};

/* All UDP datagrams of the capture in order; NULL (with a printed reason)
 * if it cannot be read. Free with pcap_udp_free. */
struct pcap_udp *pcap_udp_load(const char *path, size_t *count);
void pcap_udp_free(struct pcap_udp *d, size_t count);
/* Underlay key for reassembly: IP and port. */
uint64_t pcap_udp_source_key(const struct pcap_udp *d);

/* The three nodes of interop/data and the keys between them. */
#define INTEROP_NODES	3
struct interop_keys {
	struct ztdp_identity id[INTEROP_NODES];
	struct ztdp_peer_key key[INTEROP_NODES][INTEROP_NODES];
};
/* Load identities (all with secrets) from <dir>/{root,a,b}.identity.secret
 * under the shared directory and agree every pair. 0 or -1. */
int interop_keys_load(struct interop_keys *k, const char *dir);
void interop_keys_free(struct interop_keys *k);
/* Key for a packet from source to dest address, NULL if either is not one
 * of the nodes. */
const struct ztdp_peer_key *interop_keys_find(const struct interop_keys *k, uint64_t source,
					      uint64_t dest);

#endif /* ZTDP_TEST_PCAP_UDP_H */
