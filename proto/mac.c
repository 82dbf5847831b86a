/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Member MACs, multicast groups and controller-assigned IPv6 addresses
 * (protocol notes sections 1.3 to 1.5). All of these are pure functions of
 * (network ID, member address), which is what lets any node map between
 * Ethernet, IPv6 and ZeroTier addresses without asking anybody.
 */
#include <stdio.h>
#include <string.h>

#include "ztdp_buf.h"
#include "ztdp_mac.h"

#define MAC_MASK	0xffffffffffffULL
#define ADDR_MASK	0xffffffffffULL

/* Bytes 1..5 of nwid (counting from the least significant) laid over the
 * 40-bit address, most significant address byte first: address byte 0 is
 * XORed with nwid byte 1, ..., address byte 4 with nwid byte 5. */
static uint64_t address_mask(uint64_t nwid)
{
	return ((nwid >> 8) & 0xff) << 32 | ((nwid >> 16) & 0xff) << 24 |
	       ((nwid >> 24) & 0xff) << 16 | ((nwid >> 32) & 0xff) << 8 |
	       ((nwid >> 40) & 0xff);
}

uint8_t ztdp_mac_first_octet(uint64_t nwid)
{
	uint8_t a = (uint8_t)((nwid & 0xfe) | 0x02);

	return a == ZTDP_MAC_FIRST_OCTET_AVOID ? ZTDP_MAC_FIRST_OCTET_SUBST : a;
}

uint64_t ztdp_mac_from_address(uint64_t address, uint64_t nwid)
{
	return (uint64_t)ztdp_mac_first_octet(nwid) << 40 |
	       ((address & ADDR_MASK) ^ address_mask(nwid));
}

bool ztdp_mac_is_zerotier(uint64_t mac, uint64_t nwid)
{
	return ((mac >> 40) & 0xff) == ztdp_mac_first_octet(nwid);
}

uint64_t ztdp_mac_to_address(uint64_t mac, uint64_t nwid)
{
	return (mac & ADDR_MASK) ^ address_mask(nwid);
}

uint64_t ztdp_mac_from_bytes(const uint8_t b[ZTDP_MAC_LEN])
{
	return (uint64_t)b[0] << 40 | ztdp_load_be40(b + 1);
}

void ztdp_mac_to_bytes(uint64_t mac, uint8_t b[ZTDP_MAC_LEN])
{
	b[0] = (uint8_t)(mac >> 40);
	ztdp_store_be40(b + 1, mac & ADDR_MASK);
}

int ztdp_mac_format(uint64_t mac, char *buf, size_t n)
{
	uint8_t b[ZTDP_MAC_LEN];

	if (n < ZTDP_MAC_STRLEN)
		return -1;
	ztdp_mac_to_bytes(mac, b);
	return snprintf(buf, n, "%02x:%02x:%02x:%02x:%02x:%02x",
			b[0], b[1], b[2], b[3], b[4], b[5]);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ztdp_mac_parse(uint64_t *mac, const char *s)
{
	uint64_t m = 0;

	for (int i = 0; i < ZTDP_MAC_LEN; i++) {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);

		if (hi < 0 || lo < 0)
			return -1;
		m = m << 8 | (uint64_t)(hi << 4 | lo);
		s += 2;
		if (i < ZTDP_MAC_LEN - 1) {
			if (*s != ':' && *s != '-')
				return -1;
			s++;
		}
	}
	if (*s != '\0')
		return -1;
	*mac = m;
	return 0;
}

struct ztdp_mcast_group ztdp_mcast_group_arp(uint32_t ipv4)
{
	struct ztdp_mcast_group g = { ZTDP_MAC_BROADCAST, ipv4 };

	return g;
}

struct ztdp_mcast_group ztdp_mcast_group_ndp(const uint8_t ip6[16])
{
	struct ztdp_mcast_group g = {
		ZTDP_MCAST_NDP_PREFIX | (uint64_t)ip6[13] << 16 | (uint64_t)ip6[14] << 8 | ip6[15],
		0
	};

	return g;
}

struct ztdp_mcast_group ztdp_mcast_group_broadcast(void)
{
	struct ztdp_mcast_group g = { ZTDP_MAC_BROADCAST, 0 };

	return g;
}

struct ztdp_mcast_group ztdp_mcast_group_for_frame(uint64_t dest_mac, uint16_t ethertype,
						   const uint8_t *payload, size_t len)
{
	struct ztdp_mcast_group g = { dest_mac & MAC_MASK, 0 };

	/* Only IPv4-over-Ethernet ARP requests are narrowed to the ARP
	 * group: replies and gratuitous ARP stay broadcasts, exactly the
	 * bytes 1.14.1 looks at (it ignores htype and op's high byte). */
	if (g.mac == ZTDP_MAC_BROADCAST && ethertype == ZTDP_ETHERTYPE_ARP && payload != NULL &&
	    len >= ZTDP_ARP_MIN_LEN && payload[ZTDP_ARP_IDX_PTYPE] == 0x08 &&
	    payload[ZTDP_ARP_IDX_PTYPE + 1] == 0x00 && payload[ZTDP_ARP_IDX_HLEN] == 6 &&
	    payload[ZTDP_ARP_IDX_PLEN] == 4 && payload[ZTDP_ARP_IDX_OP_LO] == 0x01)
		g.adi = ztdp_load_be32(payload + ZTDP_ARP_IDX_TPA);
	return g;
}

void ztdp_ip6_rfc4193(uint64_t nwid, uint64_t address, uint8_t out[16])
{
	out[0] = ZTDP_RFC4193_FIRST_BYTE;
	ztdp_store_be64(out + 1, nwid);
	ztdp_store_be16(out + 9, ZTDP_RFC4193_MARKER);
	ztdp_store_be40(out + 11, address & ADDR_MASK);
}

void ztdp_ip6_6plane(uint64_t nwid, uint64_t address, uint8_t out[16])
{
	uint32_t h = (uint32_t)(nwid >> 32) ^ (uint32_t)nwid;

	out[0] = ZTDP_6PLANE_FIRST_BYTE;
	ztdp_store_be32(out + 1, h);
	ztdp_store_be40(out + 5, address & ADDR_MASK);
	memset(out + 10, 0, 5);
	out[15] = 0x01;
}

bool ztdp_ip6_rfc4193_member(uint64_t nwid, const uint8_t ip[16], uint64_t *address)
{
	uint8_t want[16];

	ztdp_ip6_rfc4193(nwid, 0, want);
	if (memcmp(ip, want, 11) != 0)
		return false;
	*address = ztdp_load_be40(ip + 11);
	return true;
}

bool ztdp_ip6_6plane_member(uint64_t nwid, const uint8_t ip[16], uint64_t *address)
{
	uint8_t want[16];

	/* The member's /80 is fc‖hash‖address::; the controller assigns
	 * ::1 in it, but anything in that /80 belongs to the member. */
	ztdp_ip6_6plane(nwid, 0, want);
	if (memcmp(ip, want, 5) != 0)
		return false;
	*address = ztdp_load_be40(ip + 5);
	return true;
}
