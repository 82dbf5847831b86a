/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The underlay's own L2/L3: what a host stack would do for ztdp's address on
 * the NIC DPDK took from the kernel. Sort received frames, answer ARP, IPv6
 * neighbour solicitations and pings, resolve the next hop, and build the
 * Ethernet/IP/UDP headers of what the node sends.
 *
 * No DPDK here: everything works on byte buffers and the time is passed in,
 * so the control thread and the unit tests share it with any other user.
 * Checksums are computed in software; vdevs have no offloads to rely on.
 */
#ifndef ZTDP_UNDERLAY_H
#define ZTDP_UNDERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_inetaddr.h"

/*
 * Every reason the appliance drops an underlay packet, declared once:
 * X(ENUM, "telemetry_key", "what it means"). The keys are what
 * /ztdp/drops and the per-lcore stats show.
 */
#define ZTDP_DROP_REASONS(X) \
	X(ETH_RUNT, "eth_runt", "shorter than an Ethernet header") \
	X(ETH_FOREIGN_DST, "eth_foreign_dst", "unicast to another MAC") \
	X(ETH_VLAN, "eth_vlan", "VLAN-tagged frame") \
	X(ETH_UNKNOWN_TYPE, "eth_unknown_type", "neither ARP, IPv4 nor IPv6") \
	X(ARP_MALFORMED, "arp_malformed", "short or not Ethernet/IPv4 ARP") \
	X(ARP_NOT_FOR_US, "arp_not_for_us", "ARP about another address") \
	X(IP4_MALFORMED, "ip4_malformed", "bad IPv4 version, length or header") \
	X(IP4_BAD_CSUM, "ip4_bad_csum", "bad IPv4 header checksum") \
	X(IP4_FRAGMENT, "ip4_fragment", "IPv4 fragment (not reassembled)") \
	X(IP4_NOT_FOR_US, "ip4_not_for_us", "IPv4 to another address") \
	X(IP4_MARTIAN, "ip4_martian", "IPv4 from an impossible source") \
	X(IP6_MALFORMED, "ip6_malformed", "bad IPv6 version or length") \
	X(IP6_NOT_FOR_US, "ip6_not_for_us", "IPv6 to another address") \
	X(IP6_EXT_HEADER, "ip6_ext_header", "IPv6 extension header") \
	X(IP6_MARTIAN, "ip6_martian", "IPv6 from an impossible source") \
	X(IP_UNKNOWN_PROTO, "ip_unknown_proto", "neither UDP nor ICMP") \
	X(UDP_MALFORMED, "udp_malformed", "short or bad UDP length") \
	X(UDP_BAD_CSUM, "udp_bad_csum", "bad UDP checksum") \
	X(UDP_PORT_CLOSED, "udp_port_closed", "UDP to another port") \
	X(ICMP_MALFORMED, "icmp_malformed", "short ICMP or ICMPv6") \
	X(ICMP_BAD_CSUM, "icmp_bad_csum", "bad ICMP or ICMPv6 checksum") \
	X(ICMP_UNHANDLED, "icmp_unhandled", "ICMP type we do not answer") \
	X(ND_MALFORMED, "nd_malformed", "neighbour discovery failing RFC 4861 checks") \
	X(ND_NOT_FOR_US, "nd_not_for_us", "neighbour solicitation for another address") \
	X(TX_RING_FULL, "tx_ring_full", "ring to the dataplane full") \
	X(NO_MBUF, "no_mbuf", "mbuf pool empty") \
	X(NO_ROUTE, "no_route", "no address of that family, or off-subnet without a gateway") \
	X(TOO_BIG, "too_big", "datagram larger than the underlay MTU") \
	X(NEIGH_TABLE_FULL, "neigh_table_full", "neighbour table full of pending entries") \
	X(NEIGH_QUEUE_FULL, "neigh_queue_full", "too many packets waiting for ARP/ND") \
	X(NEIGH_UNRESOLVED, "neigh_unresolved", "next hop did not answer ARP/ND") \
	X(L2_UNKNOWN, "l2_unknown", "frame for or from a network without an L2 port") \
	X(BAD_KIND, "bad_kind", "mbuf from the dataplane with an unknown kind")

enum ztdp_drop_reason {
#define ZTDP_DROP_ENUM_(id, key, what) ZTDP_DROP_##id,
	ZTDP_DROP_REASONS(ZTDP_DROP_ENUM_)
#undef ZTDP_DROP_ENUM_
	ZTDP_DROP_MAX
};

/* Telemetry key and one-line description of a reason ("?" if out of range). */
const char *ztdp_drop_reason_key(enum ztdp_drop_reason r);
const char *ztdp_drop_reason_text(enum ztdp_drop_reason r);

#define ZTDP_ETH_HDR_LEN	14
#define ZTDP_ETH_ALEN		6
/* Headers in front of a UDP payload, per family. */
#define ZTDP_UDP4_HEADROOM	(ZTDP_ETH_HDR_LEN + 20 + 8)
#define ZTDP_UDP6_HEADROOM	(ZTDP_ETH_HDR_LEN + 40 + 8)
/* Largest reply frame we build (an echo reply mirrors the request). */
#define ZTDP_UNDERLAY_FRAME_MAX	(ZTDP_ETH_HDR_LEN + 9000)

/* Our identity on the underlay; read-only once the lcores run, so the
 * control thread and its tests share it. */
struct ztdp_underlay {
	uint8_t mac[ZTDP_ETH_ALEN];
	uint16_t port;		/* ZeroTier UDP port, host order */
	uint16_t mtu;		/* IP MTU */
	bool has_ip4;
	uint8_t ip4[4];
	uint8_t prefix4;
	bool has_gw4;
	uint8_t gw4[4];
	bool has_ip6;
	uint8_t ip6[16];
	uint8_t prefix6;
	bool has_gw6;
	uint8_t gw6[16];
	uint8_t ll6[16];	/* fe80::EUI-64 of mac, always answered */
};

/* Set the MAC, port and MTU, derive the link-local address, clear the rest. */
void ztdp_underlay_init(struct ztdp_underlay *ul,
			const uint8_t mac[ZTDP_ETH_ALEN], uint16_t port,
			uint16_t mtu);

/* --- Receive: sort a frame by kind -------------------------------------- */

enum ztdp_ul_kind {
	ZTDP_UL_DROP,		/* *why says why */
	ZTDP_UL_ZEROTIER,	/* UDP to our address and port */
	ZTDP_UL_CONTROL,	/* ARP, ND or ping for the control thread */
};

struct ztdp_ul_parsed {
	uint16_t l3_len;	/* IP header length (0 for ARP) */
	uint16_t frame_len;	/* Ethernet + IP total length, without the
				 * padding or trailer of short frames */
	uint16_t payload_off;	/* UDP payload (ZEROTIER only) */
	uint16_t payload_len;
	struct ztdp_inetaddr src;	/* ZEROTIER only: sender IP and port */
};

/*
 * Classify one frame. Checks everything a host stack checks (lengths, IPv4
 * header and UDP/ICMP checksums, RFC 4861 rules for ND) so that what it
 * passes on can be trusted as well-formed. Never reads outside f[0..len).
 */
enum ztdp_ul_kind ztdp_underlay_classify(const struct ztdp_underlay *ul,
					 const uint8_t *f, size_t len,
					 struct ztdp_ul_parsed *p,
					 enum ztdp_drop_reason *why);

/* Sender of a ZEROTIER frame classify accepted (l3_len from it). */
void ztdp_underlay_udp_source(const uint8_t *f, uint16_t l3_len,
			      struct ztdp_inetaddr *src);

/* --- Neighbours (the control thread's; not thread-safe) ----------------- */

#define ZTDP_NEIGH_MAX		32
#define ZTDP_NEIGH_PENDING_MAX	4
#define ZTDP_NEIGH_PROBE_MS	1000
#define ZTDP_NEIGH_PROBES	3
/* A confirmed MAC is used for REFRESH_MS, then re-probed while still in
 * use, and forgotten EXPIRE_MS after the last confirmation. */
#define ZTDP_NEIGH_REFRESH_MS	60000
#define ZTDP_NEIGH_EXPIRE_MS	120000

enum ztdp_neigh_state { ZTDP_NEIGH_FREE, ZTDP_NEIGH_INCOMPLETE, ZTDP_NEIGH_REACHABLE };

struct ztdp_neigh {
	uint8_t state;
	uint8_t family;
	uint8_t probes;
	uint8_t npending;
	uint8_t ip[16];
	uint8_t mac[ZTDP_ETH_ALEN];
	uint64_t confirmed;	/* ms of the last ARP/ND answer */
	uint64_t last_probe;
	uint64_t last_used;
	/* Frames built without a destination MAC, waiting for it; opaque to
	 * this module (the control thread keeps mbufs here). */
	void *pending[ZTDP_NEIGH_PENDING_MAX];
};

struct ztdp_neigh_cache {
	struct ztdp_neigh e[ZTDP_NEIGH_MAX];
};

/* Results of ztdp_neigh_resolve, as flags. */
#define ZTDP_NEIGH_HAVE_MAC	1u	/* e->mac may be used now */
#define ZTDP_NEIGH_SEND_PROBE	2u	/* send an ARP request / NS for e now */

/*
 * Next hop for a destination: itself when on one of our subnets (or IPv6
 * link-local), else the gateway. Returns 0 with the next hop's family and
 * address in nh, or -1 (ZTDP_DROP_NO_ROUTE) when we have no address of that
 * family or no gateway for it.
 */
int ztdp_underlay_next_hop(const struct ztdp_underlay *ul,
			   const struct ztdp_inetaddr *dst,
			   struct ztdp_inetaddr *nh);

/*
 * Find or create the entry for a next hop. Returns flags, or 0 with *e
 * NULL when the table is full of entries that still hold pending frames.
 * Without ZTDP_NEIGH_HAVE_MAC, the caller parks its frame with
 * ztdp_neigh_park.
 */
unsigned int ztdp_neigh_resolve(struct ztdp_neigh_cache *nc, uint64_t now,
				const struct ztdp_inetaddr *nh,
				struct ztdp_neigh **e);
/* Park a frame on an incomplete entry. -1 if its queue is full. */
int ztdp_neigh_park(struct ztdp_neigh *e, void *frame);
/* Take the parked frames (once the MAC is known, or to drop them). */
unsigned int ztdp_neigh_take(struct ztdp_neigh *e,
			     void *out[ZTDP_NEIGH_PENDING_MAX]);
struct ztdp_neigh *ztdp_neigh_find(struct ztdp_neigh_cache *nc,
				   uint8_t family, const uint8_t *ip);
/*
 * An ARP or ND answer: record mac for (family, ip). Creates the entry only
 * if create; otherwise updates an existing one. Returns the entry (which may
 * hold parked frames to send now), or NULL.
 */
struct ztdp_neigh *ztdp_neigh_learn(struct ztdp_neigh_cache *nc, uint64_t now,
				    uint8_t family, const uint8_t *ip,
				    const uint8_t mac[ZTDP_ETH_ALEN],
				    bool create);

/*
 * Timers: calls probe for incomplete entries due a retry (and for reachable
 * ones in use past REFRESH_MS), drop for every frame of an entry that gave up
 * after ZTDP_NEIGH_PROBES, and forgets expired entries.
 */
void ztdp_neigh_tick(struct ztdp_neigh_cache *nc, uint64_t now,
		     void (*probe)(void *ctx, struct ztdp_neigh *e),
		     void (*drop)(void *ctx, void *frame), void *ctx);

/* --- Transmit: build frames --------------------------------------------- */

/*
 * Ethernet + IP + UDP headers in front of a payload that already sits at
 * frame + ZTDP_UDP{4,6}_HEADROOM, with both checksums computed. dst_mac may
 * be NULL and filled later with ztdp_underlay_set_dst_mac. ttl 0 = 64.
 * ip_id is the IPv4 identification (ignored for IPv6). Returns the frame
 * length, or -1 with *why (NO_ROUTE, TOO_BIG).
 */
int ztdp_underlay_write_udp(const struct ztdp_underlay *ul, uint8_t *frame,
			    size_t payload_len, const uint8_t *dst_mac,
			    const struct ztdp_inetaddr *to, unsigned int ttl,
			    uint16_t ip_id, enum ztdp_drop_reason *why);
size_t ztdp_underlay_udp_headroom(uint8_t family);
void ztdp_underlay_set_dst_mac(uint8_t *frame, const uint8_t mac[ZTDP_ETH_ALEN]);

/* ARP request (broadcast) or neighbour solicitation (solicited-node
 * multicast) for nh. Returns the frame length, or -1 if cap is too small or
 * we have no address of that family. */
int ztdp_underlay_build_probe(const struct ztdp_underlay *ul,
			      const struct ztdp_inetaddr *nh,
			      uint8_t *out, size_t cap);

/*
 * Answer a CONTROL frame: ARP request for us -> ARP reply, NS for us -> NA,
 * echo request -> echo reply (out, *out_len); ARP replies, ARP requests and
 * NS/NA carrying a link-layer address teach nc (the entry that was
 * completed, with parked frames to flush, comes back in *learned).
 * Returns ZTDP_UL_REPLY if out holds a frame to send, 0 if the frame was
 * consumed without reply, -1 with *why if it was dropped.
 */
#define ZTDP_UL_REPLY 1
int ztdp_underlay_respond(const struct ztdp_underlay *ul,
			  struct ztdp_neigh_cache *nc, uint64_t now,
			  const uint8_t *in, size_t len,
			  uint8_t *out, size_t cap, size_t *out_len,
			  struct ztdp_neigh **learned,
			  enum ztdp_drop_reason *why);

/* --- Helpers shared with the tests -------------------------------------- */

/* Internet checksum of data (RFC 1071), ready to store: the complement of
 * the folded one's-complement sum, as a big-endian value. */
uint16_t ztdp_inet_checksum(const void *data, size_t len);

/* Parse "A.B.C.D/len" or "v6/len" (prefix required when need_prefix).
 * Returns 0 or -1. */
int ztdp_underlay_parse_cidr(const char *s, uint8_t *family, uint8_t ip[16],
			     uint8_t *prefix, bool need_prefix);

#endif /* ZTDP_UNDERLAY_H */
