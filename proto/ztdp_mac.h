/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-network Ethernet MACs derived from ZeroTier addresses, multicast
 * groups, and the IPv6 addresses controllers assign from (nwid, member)
 * (protocol notes sections 1.3 to 1.5). MACs are uint64_t holding 48 bits,
 * first octet most significant, as in ZeroTier's MAC::toInt.
 */
#ifndef ZTDP_MAC_H
#define ZTDP_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_wire.h"

#define ZTDP_MAC_BROADCAST	0xffffffffffffULL
/* Longest ztdp_mac_format output: "xx:xx:xx:xx:xx:xx" and NUL. */
#define ZTDP_MAC_STRLEN		18

/* First octet of every member MAC on nwid: low byte of nwid, multicast bit
 * cleared, locally-administered bit set, 0x52 replaced with 0x32. */
uint8_t ztdp_mac_first_octet(uint64_t nwid);
/* The MAC of member `address` on nwid. */
uint64_t ztdp_mac_from_address(uint64_t address, uint64_t nwid);
/* True if mac has nwid's first octet, i.e. belongs to a member rather than
 * to a host behind a bridge. */
bool ztdp_mac_is_zerotier(uint64_t mac, uint64_t nwid);
/* The member address inside a ZeroTier MAC (meaningless for other MACs). */
uint64_t ztdp_mac_to_address(uint64_t mac, uint64_t nwid);

static inline bool ztdp_mac_is_multicast(uint64_t mac)
{
	return ((mac >> 40) & 0x01) != 0;
}

/* Byte conversions (b[0] is the first octet on the wire). */
uint64_t ztdp_mac_from_bytes(const uint8_t b[ZTDP_MAC_LEN]);
void ztdp_mac_to_bytes(uint64_t mac, uint8_t b[ZTDP_MAC_LEN]);
/* "aa:bb:cc:dd:ee:ff"; returns 17 or -1 if n is too small. */
int ztdp_mac_format(uint64_t mac, char *buf, size_t n);
/* Parse "aa:bb:cc:dd:ee:ff" (also '-' separated); 0 or -1. */
int ztdp_mac_parse(uint64_t *mac, const char *s);

/* Multicast groups (section 1.4). */
struct ztdp_mcast_group {
	uint64_t mac;
	uint32_t adi;
};

/* IPv4 ARP: (broadcast, ADI = ipv4 as host-order u32, a<<24|b<<16|c<<8|d). */
struct ztdp_mcast_group ztdp_mcast_group_arp(uint32_t ipv4);
/* IPv6 NDP: (33:33:ff:ip6[13]:ip6[14]:ip6[15], 0). */
struct ztdp_mcast_group ztdp_mcast_group_ndp(const uint8_t ip6[16]);
/* Ethernet broadcast: (ff:ff:ff:ff:ff:ff, 0). */
struct ztdp_mcast_group ztdp_mcast_group_broadcast(void);
/* Group an outbound multicast/broadcast Ethernet frame goes to: ARP
 * requests (ethertype 0x0806, payload >= 28 bytes, htype/ptype 1/0x0800,
 * lengths 6/4, op 1) go to their ARP group, anything else to (dest, 0).
 * payload is the frame after the 14-byte Ethernet header. */
struct ztdp_mcast_group ztdp_mcast_group_for_frame(uint64_t dest_mac, uint16_t ethertype,
						   const uint8_t *payload, size_t len);
static inline bool ztdp_mcast_group_equal(struct ztdp_mcast_group a, struct ztdp_mcast_group b)
{
	return a.mac == b.mac && a.adi == b.adi;
}

/* Controller-assigned IPv6 addresses (section 1.5). */
/* rfc4193: fd ‖ nwid ‖ 99 93 ‖ address, prefix /88. */
void ztdp_ip6_rfc4193(uint64_t nwid, uint64_t address, uint8_t out[16]);
/* 6plane: fc ‖ (nwid[0..3] ^ nwid[4..7]) ‖ address ‖ 00 00 00 00 00 01, /40. */
void ztdp_ip6_6plane(uint64_t nwid, uint64_t address, uint8_t out[16]);
/* If ip is a (nwid-specific) rfc4193 / 6plane address, the member address
 * inside it; these let a bridge or NDP emulation map an IPv6 target to a
 * member without a table. */
bool ztdp_ip6_rfc4193_member(uint64_t nwid, const uint8_t ip[16], uint64_t *address);
bool ztdp_ip6_6plane_member(uint64_t nwid, const uint8_t ip[16], uint64_t *address);

#endif /* ZTDP_MAC_H */
