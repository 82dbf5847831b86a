/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every ZeroTier V1 wire constant ztdp uses, in one place.
 *
 * Layouts follow ../shared/docs/zerotier-protocol.md (protocol version 12,
 * as spoken by ZeroTierOne 1.14). Offsets are from the first byte of the
 * UDP payload. Nothing here depends on DPDK or does I/O.
 */
#ifndef ZTDP_WIRE_H
#define ZTDP_WIRE_H

/* Protocol and software version we announce in HELLO. */
#define ZTDP_PROTO_VERSION		12
#define ZTDP_PROTO_VERSION_MIN		4

/* Addresses (section 1). */
#define ZTDP_ADDRESS_LEN		5
#define ZTDP_ADDRESS_RESERVED_PREFIX	0xff

/* Identity (section 2). */
#define ZTDP_C25519_PUBLIC_LEN		64
#define ZTDP_C25519_PRIVATE_LEN		64
#define ZTDP_C25519_SIGNATURE_LEN	96
#define ZTDP_IDENTITY_TYPE_C25519	0
/* address(5) type(1) public(64) private-length(1) */
#define ZTDP_IDENTITY_PUBLIC_BIN_LEN	71
#define ZTDP_IDENTITY_SECRET_BIN_LEN	(71 + 64)
/* Address derivation: digest[0] must be below this ("hashcash" criterion). */
#define ZTDP_IDENTITY_HASHCASH_FIRST_BYTE_LESS_THAN 17
/* Address derivation work buffer: 2 MiB. */
#define ZTDP_IDENTITY_GEN_MEMORY	2097152

/* Key agreement (section 2.6). */
#define ZTDP_PEER_KEY_LEN		48

/* Packet header (section 3.1). */
#define ZTDP_PKT_IDX_IV			0
#define ZTDP_PKT_IDX_DEST		8
#define ZTDP_PKT_IDX_SOURCE		13
#define ZTDP_PKT_IDX_FLAGS		18
#define ZTDP_PKT_IDX_MAC		19
#define ZTDP_PKT_IDX_VERB		27
#define ZTDP_PKT_IDX_PAYLOAD		28
#define ZTDP_PKT_HEADER_LEN		28
#define ZTDP_PKT_MIN_LEN		28
#define ZTDP_PKT_MAC_LEN		8

#define ZTDP_PKT_FLAG_ENCRYPTED_LEGACY	0x80
#define ZTDP_PKT_FLAG_FRAGMENTED	0x40
#define ZTDP_PKT_FLAGS_CIPHER_MASK	0x38
#define ZTDP_PKT_FLAGS_CIPHER_SHIFT	3
#define ZTDP_PKT_FLAGS_HOPS_MASK	0x07
/* Everything in the flags byte that is authenticated: all but the hops. */
#define ZTDP_PKT_FLAGS_AUTH_MASK	0xf8

#define ZTDP_PKT_VERB_FLAG_COMPRESSED	0x80
#define ZTDP_PKT_VERB_MASK		0x1f

/* Cipher suites (section 4). */
#define ZTDP_CIPHER_POLY1305_NONE	0
#define ZTDP_CIPHER_POLY1305_SALSA2012	1
#define ZTDP_CIPHER_NONE_TRUSTED	2
#define ZTDP_CIPHER_AES_GMAC_SIV	3
/* Suites 0 and 1 (section 4.2): Salsa20/12 keyed per packet; its first
 * block's bytes 0..31 key Poly1305 and payload encryption starts at block 1. */
#define ZTDP_ARMOR_SALSA20_ROUNDS	12
/* HELLO cryptField nonce (section 6.2): the packet ID with byte 7 masked. */
#define ZTDP_HELLO_CRYPTFIELD_IV7_MASK	0xf8

/* Sizes (section 3.2). */
#define ZTDP_DEFAULT_PHYSMTU		1432
#define ZTDP_MAX_FRAGMENTS		7
#define ZTDP_MAX_PACKET_LEN		(ZTDP_MAX_FRAGMENTS * ZTDP_DEFAULT_PHYSMTU)
#define ZTDP_VIRTUAL_MTU_DEFAULT	2800
#define ZTDP_VIRTUAL_MTU_MIN		1280
#define ZTDP_VIRTUAL_MTU_MAX		10000
#define ZTDP_MAX_HOPS			7
#define ZTDP_RELAY_MAX_HOPS		3
#define ZTDP_DEFAULT_PORT		9993
#define ZTDP_BEACON_LEN			13

/* Fragment layout (section 5.1). */
#define ZTDP_FRAG_IDX_PACKET_ID		0
#define ZTDP_FRAG_IDX_DEST		8
#define ZTDP_FRAG_IDX_INDICATOR		13
#define ZTDP_FRAG_IDX_COUNTS		14
#define ZTDP_FRAG_IDX_HOPS		15
#define ZTDP_FRAG_IDX_PAYLOAD		16
#define ZTDP_FRAG_HEADER_LEN		16
#define ZTDP_FRAG_INDICATOR		0xff

/* Verbs (section 6). */
#define ZTDP_VERB_NOP			0x00
#define ZTDP_VERB_HELLO			0x01
#define ZTDP_VERB_ERROR			0x02
#define ZTDP_VERB_OK			0x03
#define ZTDP_VERB_WHOIS			0x04
#define ZTDP_VERB_RENDEZVOUS		0x05
#define ZTDP_VERB_FRAME			0x06
#define ZTDP_VERB_EXT_FRAME		0x07
#define ZTDP_VERB_ECHO			0x08
#define ZTDP_VERB_MULTICAST_LIKE	0x09
#define ZTDP_VERB_NETWORK_CREDENTIALS	0x0a
#define ZTDP_VERB_NETWORK_CONFIG_REQUEST 0x0b
#define ZTDP_VERB_NETWORK_CONFIG	0x0c
#define ZTDP_VERB_MULTICAST_GATHER	0x0d
#define ZTDP_VERB_MULTICAST_FRAME	0x0e
#define ZTDP_VERB_PUSH_DIRECT_PATHS	0x10
#define ZTDP_VERB_ACK			0x12
#define ZTDP_VERB_QOS_MEASUREMENT	0x13
#define ZTDP_VERB_USER_MESSAGE		0x14
#define ZTDP_VERB_REMOTE_TRACE		0x15
#define ZTDP_VERB_PATH_NEGOTIATION_REQUEST 0x16

/* HELLO payload (section 6.2), offsets from ZTDP_PKT_IDX_PAYLOAD. */
#define ZTDP_HELLO_IDX_PROTO_VERSION	0
#define ZTDP_HELLO_IDX_MAJOR		1
#define ZTDP_HELLO_IDX_MINOR		2
#define ZTDP_HELLO_IDX_REVISION		3
#define ZTDP_HELLO_IDX_TIMESTAMP	5
#define ZTDP_HELLO_IDX_IDENTITY		13

/* OK / ERROR envelopes (section 6.1). */
#define ZTDP_OK_IDX_IN_RE_VERB		0
#define ZTDP_OK_IDX_IN_RE_PACKET_ID	1
#define ZTDP_OK_IDX_PAYLOAD		9

/* KBKDF labels for the AES-GMAC-SIV keys (section 2.6). */
#define ZTDP_KBKDF_LABEL_AES_GMAC_SIV_K0 '0'
#define ZTDP_KBKDF_LABEL_AES_GMAC_SIV_K1 '1'

/* Datagrams that are neither packets nor fragments (section 5.1, 6.4). */
#define ZTDP_JUNK_LEN			4	/* RENDEZVOUS NAT-opening junk */
/* Fragment counts byte: high nibble total (head included), low nibble
 * this fragment's number (1..). */
#define ZTDP_FRAG_COUNTS_TOTAL_SHIFT	4
#define ZTDP_FRAG_COUNTS_NUMBER_MASK	0x0f

/* Network IDs and derived MACs (section 1.2, 1.3). */
#define ZTDP_NWID_LEN			8
#define ZTDP_MAC_LEN			6
#define ZTDP_MAC_FIRST_OCTET_AVOID	0x52	/* KVM/libvirt prefix ... */
#define ZTDP_MAC_FIRST_OCTET_SUBST	0x32	/* ... replaced by this */

/* FRAME payload (section 6.5), offsets from ZTDP_PKT_IDX_PAYLOAD. */
#define ZTDP_FRAME_IDX_NWID		0
#define ZTDP_FRAME_IDX_ETHERTYPE	8
#define ZTDP_FRAME_IDX_DATA		10

/* EXT_FRAME payload (section 6.6): nwid, flags, [COM], dst MAC, src MAC,
 * ethertype, data. */
#define ZTDP_EXT_FRAME_IDX_NWID		0
#define ZTDP_EXT_FRAME_IDX_FLAGS	8
#define ZTDP_EXT_FRAME_IDX_COM		9
#define ZTDP_EXT_FRAME_FLAG_COM		0x01
#define ZTDP_EXT_FRAME_FLAG_ACK		0x10

/* MULTICAST_FRAME payload (section 6.13): nwid, flags, [COM], [gather
 * limit u32], [src MAC], group MAC, group ADI u32, ethertype, data. */
#define ZTDP_MC_FRAME_IDX_NWID		0
#define ZTDP_MC_FRAME_IDX_FLAGS		8
#define ZTDP_MC_FRAME_IDX_OPTIONAL	9
#define ZTDP_MC_FRAME_FLAG_COM		0x01
#define ZTDP_MC_FRAME_FLAG_GATHER_LIMIT	0x02
#define ZTDP_MC_FRAME_FLAG_SOURCE_MAC	0x04
#define ZTDP_MC_FRAME_FLAG_REPLICATE	0x08
#define ZTDP_MC_GATHER_LIMIT_LEN	4
#define ZTDP_MC_ADI_LEN			4

/* Certificate of membership (section 9.1): 0x01, u16 qualifier count,
 * 24 bytes per qualifier, signer address, signature if signer != 0. */
#define ZTDP_COM_TYPE			0x01
#define ZTDP_COM_QUALIFIER_LEN		24
#define ZTDP_COM_MAX_QUALIFIERS		8
#define ZTDP_COM_FIXED_LEN		(1 + 2 + ZTDP_ADDRESS_LEN)

/* ---- H-verbs: verb payloads (section 6) and config chunks (6.11) ------ */

/* ERROR codes (section 6.1). */
#define ZTDP_ERROR_NONE			0x00
#define ZTDP_ERROR_INVALID_REQUEST	0x01
#define ZTDP_ERROR_BAD_PROTOCOL_VERSION	0x02
#define ZTDP_ERROR_OBJ_NOT_FOUND	0x03
#define ZTDP_ERROR_IDENTITY_COLLISION	0x04
#define ZTDP_ERROR_UNSUPPORTED_OPERATION 0x05
#define ZTDP_ERROR_NEED_MEMBERSHIP_CERTIFICATE 0x06
#define ZTDP_ERROR_NETWORK_ACCESS_DENIED	0x07
#define ZTDP_ERROR_UNWANTED_MULTICAST	0x08
#define ZTDP_ERROR_NETWORK_AUTHENTICATION_REQUIRED 0x09
#define ZTDP_ERROR_IDX_CODE		9	/* after in-re verb and packet ID */
#define ZTDP_ERROR_IDX_PAYLOAD		10

/* 1.14.1 answers a NETWORK_CONFIG push with OK whose in-re verb is ECHO. */
#define ZTDP_OK_CONFIG_PUSH_IN_RE_VERB	ZTDP_VERB_ECHO
#define ZTDP_OK_CONFIG_PUSH_LEN		16	/* nwid, update ID */

/* HELLO tail (section 6.2): moon records after the u16 count. */
#define ZTDP_HELLO_FIXED_LEN		(ZTDP_HELLO_IDX_IDENTITY + ZTDP_IDENTITY_PUBLIC_BIN_LEN)
#define ZTDP_HELLO_WORLD_LEN		16	/* world ID, world timestamp */
#define ZTDP_HELLO_MOON_LEN		17	/* type, world ID, timestamp */
/* OK(HELLO) body: timestamp, proto version, major, minor, revision. */
#define ZTDP_OK_HELLO_FIXED_LEN		13

/* RENDEZVOUS (section 6.4): flags, address, port, address length, IP. */
#define ZTDP_RENDEZVOUS_FIXED_LEN	9

/* EXT_FRAME subtype: (flags >> 1) & 7 (section 6.6). */
#define ZTDP_EXT_FRAME_SUBTYPE_SHIFT	1
#define ZTDP_EXT_FRAME_SUBTYPE_MASK	0x07

/* MULTICAST_LIKE record (section 6.8): nwid, MAC, ADI. */
#define ZTDP_MC_LIKE_REC_LEN		18

/* MULTICAST_GATHER (section 6.12): nwid, flags, MAC, ADI, limit, [COM]. */
#define ZTDP_MC_GATHER_FIXED_LEN	23
#define ZTDP_MC_GATHER_FLAG_COM		0x01
/* OK(MULTICAST_FRAME) flags (section 6.13). */
#define ZTDP_MC_FRAME_OK_FLAG_COM	0x01
#define ZTDP_MC_FRAME_OK_FLAG_GATHER	0x02

/* PUSH_DIRECT_PATHS record (section 6.14). */
#define ZTDP_PUSH_PATH_FLAG_FORGET	0x01
#define ZTDP_PUSH_PATH_FLAG_CLUSTER_REDIRECT 0x02
#define ZTDP_PUSH_PATH_ADDR_IPV4	4
#define ZTDP_PUSH_PATH_ADDR_IPV6	6
#define ZTDP_PUSH_PATH_ADDR_IPV4_LEN	6	/* IP, port */
#define ZTDP_PUSH_PATH_ADDR_IPV6_LEN	18

/* USER_MESSAGE type IDs up to this are reserved (section 6.15). */
#define ZTDP_USER_MESSAGE_RESERVED_MAX	65535

/* Config chunk body (section 6.11): nwid, u16 C, C bytes, flags, update
 * ID, total, index (signed region ends here), sig type, sig len, sig. */
#define ZTDP_NETCONF_CHUNK_FLAG_FAST_PROPAGATE 0x01
#define ZTDP_NETCONF_CHUNK_SIG_TYPE_C25519 1
#define ZTDP_NETCONF_CHUNK_TAIL_LEN	17	/* flags, update ID, total, index */
/* Largest chunk 1.14.1 sends: 10024 - (28 + 256). */
#define ZTDP_NETCONF_CHUNK_MAX_DATA	(ZTDP_MAX_PACKET_LEN - (ZTDP_PKT_HEADER_LEN + 256))
/* Concurrent updates 1.14.1 assembles per network. */
#define ZTDP_NETCONF_MAX_INCOMING_UPDATES 3

/* ---- H-netconf: dictionary, network config, credentials, world ------- */

/* Dictionary (section 8.1). Largest dictionary text accepted: the 1.14.1
 * netconf capacity on x86_64 (section 6.11), so any config a 1.14.1
 * controller can send fits. Keys longer than ZTDP_DICT_KEY_MAX are
 * malformed (the longest real one, "ssocid", has 6 characters). */
#define ZTDP_DICT_MAX_LEN		484520
#define ZTDP_DICT_KEY_MAX		32
#define ZTDP_DICT_HEX_U64_DIGITS	16	/* Utils::hex(u64) */
#define ZTDP_DICT_HEX_ADDRESS_DIGITS	10	/* Address::toString */

/* Netconf format (section 8.2): version written, oldest version parsed. */
#define ZTDP_NETCONF_VERSION		7
#define ZTDP_NETCONF_VERSION_MIN	6
#define ZTDP_NETCONF_TYPE_PRIVATE	0
#define ZTDP_NETCONF_TYPE_PUBLIC	1
#define ZTDP_NETCONF_FLAG_ENABLE_BROADCAST	0x0000000000000002ULL
#define ZTDP_NETCONF_FLAG_NDP_EMULATION		0x0000000000000004ULL
#define ZTDP_NETCONF_FLAG_UNSUPPORTED_MATCH	0x0000000000000008ULL
#define ZTDP_NETCONF_FLAG_DISABLE_COMPRESSION	0x0000000000000010ULL
#define ZTDP_NETCONF_SPECIALIST_ADDRESS_MASK	0x000000ffffffffffULL
#define ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE	0x0000020000000000ULL
#define ZTDP_NETCONF_SPECIALIST_ANCHOR		0x0000040000000000ULL
#define ZTDP_NETCONF_SPECIALIST_MC_REPLICATOR	0x0000080000000000ULL
#define ZTDP_NETCONF_DEFAULT_MULTICAST_LIMIT	32
/* Credential time max delta ("ctmd"): controller default and clamp. */
#define ZTDP_NETCONF_CTMD_DEFAULT	(30ULL * 60 * 1000)
#define ZTDP_NETCONF_CTMD_MIN		(5ULL * 60 * 1000)
#define ZTDP_NETCONF_CTMD_MAX		(2ULL * 60 * 60 * 1000)
/* "DNS": NUL-padded search domain, then this many InetAddresses. */
#define ZTDP_NETCONF_DNS_DOMAIN_LEN	128
#define ZTDP_NETCONF_DNS_SERVERS	4
/* Array limits: the 1.14.1 ones (the request metadata "mr", "mc", "mt"
 * announce the first three). A config over any of them is rejected. */
#define ZTDP_NETCONF_MAX_RULES		1024
#define ZTDP_NETCONF_MAX_CAPABILITIES	128
#define ZTDP_NETCONF_MAX_CAPABILITY_RULES 64
#define ZTDP_NETCONF_MAX_TAGS		128
#define ZTDP_NETCONF_MAX_COOS		4
#define ZTDP_NETCONF_MAX_SPECIALISTS	256
#define ZTDP_NETCONF_MAX_ROUTES		128
#define ZTDP_NETCONF_MAX_STATIC_IPS	32
#define ZTDP_NETCONF_NAME_MAX		127
#define ZTDP_NETCONF_URL_MAX		2047	/* aurl, iurl, ssoce */
#define ZTDP_NETCONF_SSO_NONCE_MAX	127
#define ZTDP_NETCONF_SSO_STATE_MAX	255
#define ZTDP_NETCONF_SSO_CLIENT_ID_MAX	255
#define ZTDP_NETCONF_SSO_PROVIDER_MAX	63

/* COM qualifier ids issued by 1.14.1 controllers (section 9.1). */
#define ZTDP_COM_QID_TIMESTAMP		0
#define ZTDP_COM_QID_NETWORK_ID		1
#define ZTDP_COM_QID_ISSUED_TO		2
#define ZTDP_COM_QID_ID_HASH_FIRST	3	/* 3..6: SHA-384 of the identity */
#define ZTDP_COM_QID_ID_HASH_LAST	6
#define ZTDP_COM_ISSUED_QUALIFIERS	7

/* Other credentials (section 9.4). */
#define ZTDP_CRED_SIG_TYPE_C25519	1
#define ZTDP_CRED_SIGN_GUARD		0x7f	/* 8 of these on both ends */
#define ZTDP_CRED_SIGN_GUARD_LEN	8
#define ZTDP_CRED_TYPE_NULL		0
#define ZTDP_CRED_TYPE_COM		1
#define ZTDP_CRED_TYPE_CAPABILITY	2
#define ZTDP_CRED_TYPE_TAG		3
#define ZTDP_CRED_TYPE_COO		4
#define ZTDP_CRED_TYPE_REVOCATION	6
#define ZTDP_COO_MAX_THINGS		16	/* 1.14.1 cannot parse more */
#define ZTDP_COO_THING_VALUE_LEN	16
#define ZTDP_COO_THING_NULL		0
#define ZTDP_COO_THING_MAC		1
#define ZTDP_COO_THING_IPV4		2
#define ZTDP_COO_THING_IPV6		3
#define ZTDP_REVOCATION_FLAG_FAST_PROPAGATE 0x1ULL

/* World (section 7). */
#define ZTDP_WORLD_TYPE_NULL		0
#define ZTDP_WORLD_TYPE_PLANET		1
#define ZTDP_WORLD_TYPE_MOON		127
#define ZTDP_WORLD_MAX_ROOTS		4
#define ZTDP_WORLD_MAX_ENDPOINTS	32
#define ZTDP_WORLD_SIGN_HEAD		0x7f	/* 8 before the body ... */
#define ZTDP_WORLD_SIGN_TAIL		0xf7	/* ... 8 after it */
#define ZTDP_WORLD_SIGN_GUARD_LEN	8
/* Largest serialized world (1.14.1's ZT_WORLD_MAX_SERIALIZED_LENGTH). */
#define ZTDP_WORLD_MAX_LEN		(((1024 + 32 * ZTDP_WORLD_MAX_ENDPOINTS) * \
					  ZTDP_WORLD_MAX_ROOTS) + \
					 ZTDP_C25519_PUBLIC_LEN + \
					 ZTDP_C25519_SIGNATURE_LEN + 128)
#define ZTDP_WORLD_ID_EARTH		149604618ULL
#define ZTDP_WORLD_ID_MARS		227883110ULL

/* ---- Rules engine and capabilities (section 10, 9.4; owner: rules) ----- */
/* Rule record: type byte, length byte, value. Type byte bits: */
#define ZTDP_RULE_FLAG_NOT		0x80	/* invert the match */
#define ZTDP_RULE_FLAG_OR		0x40	/* OR into the set instead of AND */
#define ZTDP_RULE_TYPE_MASK		0x3f
#define ZTDP_RULE_RECORD_HEADER_LEN	2
/* Types 0..15 are actions (unknown ones are no-ops), 16..63 matches. */
#define ZTDP_RULE_ACTION_DROP		0
#define ZTDP_RULE_ACTION_ACCEPT		1
#define ZTDP_RULE_ACTION_TEE		2
#define ZTDP_RULE_ACTION_WATCH		3
#define ZTDP_RULE_ACTION_REDIRECT	4
#define ZTDP_RULE_ACTION_BREAK		5
#define ZTDP_RULE_ACTION_PRIORITY	6
#define ZTDP_RULE_ACTION_MAX_ID		15
#define ZTDP_RULE_MATCH_SOURCE_ZEROTIER_ADDRESS	24
#define ZTDP_RULE_MATCH_DEST_ZEROTIER_ADDRESS	25
#define ZTDP_RULE_MATCH_VLAN_ID		26
#define ZTDP_RULE_MATCH_VLAN_PCP	27
#define ZTDP_RULE_MATCH_VLAN_DEI	28
#define ZTDP_RULE_MATCH_MAC_SOURCE	29
#define ZTDP_RULE_MATCH_MAC_DEST	30
#define ZTDP_RULE_MATCH_IPV4_SOURCE	31
#define ZTDP_RULE_MATCH_IPV4_DEST	32
#define ZTDP_RULE_MATCH_IPV6_SOURCE	33
#define ZTDP_RULE_MATCH_IPV6_DEST	34
#define ZTDP_RULE_MATCH_IP_TOS		35
#define ZTDP_RULE_MATCH_IP_PROTOCOL	36
#define ZTDP_RULE_MATCH_ETHERTYPE	37
#define ZTDP_RULE_MATCH_ICMP		38
#define ZTDP_RULE_MATCH_IP_SOURCE_PORT_RANGE	39
#define ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE	40
#define ZTDP_RULE_MATCH_CHARACTERISTICS	41
#define ZTDP_RULE_MATCH_FRAME_SIZE_RANGE 42
#define ZTDP_RULE_MATCH_RANDOM		43
#define ZTDP_RULE_MATCH_TAGS_DIFFERENCE	44
#define ZTDP_RULE_MATCH_TAGS_BITWISE_AND 45
#define ZTDP_RULE_MATCH_TAGS_BITWISE_OR	46
#define ZTDP_RULE_MATCH_TAGS_BITWISE_XOR 47
#define ZTDP_RULE_MATCH_TAGS_EQUAL	48
#define ZTDP_RULE_MATCH_TAG_SENDER	49
#define ZTDP_RULE_MATCH_TAG_RECEIVER	50
#define ZTDP_RULE_MATCH_INTEGER_RANGE	51
/* Value lengths 1.14.1 writes (and the least a reader accepts). */
#define ZTDP_RULE_LEN_FWD		14	/* address u64, flags u32, length u16 */
#define ZTDP_RULE_LEN_ZT_ADDRESS	5
#define ZTDP_RULE_LEN_VLAN_ID		2
#define ZTDP_RULE_LEN_VLAN_PCP		1
#define ZTDP_RULE_LEN_VLAN_DEI		1
#define ZTDP_RULE_LEN_MAC		6
#define ZTDP_RULE_LEN_IPV4		5	/* ip, prefix bits */
#define ZTDP_RULE_LEN_IPV6		17
#define ZTDP_RULE_LEN_IP_TOS		3	/* mask, low, high */
#define ZTDP_RULE_LEN_IP_PROTOCOL	1
#define ZTDP_RULE_LEN_ETHERTYPE		2
#define ZTDP_RULE_LEN_ICMP		3	/* type, code, flags */
#define ZTDP_RULE_LEN_PORT_RANGE	4
#define ZTDP_RULE_LEN_CHARACTERISTICS	8
#define ZTDP_RULE_LEN_FRAME_SIZE_RANGE	4
#define ZTDP_RULE_LEN_RANDOM		4
#define ZTDP_RULE_LEN_TAG		8	/* id u32, value u32 */
#define ZTDP_RULE_LEN_INTEGER_RANGE	19	/* start u64, end u64, idx u16, format */
#define ZTDP_RULE_ICMP_FLAG_CODE	0x01	/* the code is significant */
#define ZTDP_RULE_INT_FORMAT_BITS_MASK	0x3f	/* bit width - 1 */
#define ZTDP_RULE_INT_FORMAT_LITTLE_ENDIAN 0x80
/* MATCH_CHARACTERISTICS bits. */
#define ZTDP_RULE_CHAR_INBOUND		0x8000000000000000ULL
#define ZTDP_RULE_CHAR_MULTICAST	0x4000000000000000ULL
#define ZTDP_RULE_CHAR_BROADCAST	0x2000000000000000ULL
#define ZTDP_RULE_CHAR_SENDER_IP_AUTH	0x1000000000000000ULL
#define ZTDP_RULE_CHAR_SENDER_MAC_AUTH	0x0800000000000000ULL
#define ZTDP_RULE_CHAR_TCP_FLAGS_MASK	0x0000000000000fffULL
#define ZTDP_RULE_CHAR_TCP_FIN		0x001
#define ZTDP_RULE_CHAR_TCP_SYN		0x002
#define ZTDP_RULE_CHAR_TCP_RST		0x004
#define ZTDP_RULE_CHAR_TCP_PSH		0x008
#define ZTDP_RULE_CHAR_TCP_ACK		0x010
#define ZTDP_RULE_CHAR_TCP_URG		0x020
#define ZTDP_RULE_CHAR_TCP_ECE		0x040
#define ZTDP_RULE_CHAR_TCP_CWR		0x080
#define ZTDP_RULE_CHAR_TCP_NS		0x100
/* PRIORITY: QoS buckets 0..8; anything else means the default bucket. */
#define ZTDP_RULE_QOS_BUCKET_MAX	8
#define ZTDP_RULE_QOS_BUCKET_DEFAULT	4
/* EXT_FRAME flag bytes 1.14.1 uses for rule-made copies (section 6.6). */
#define ZTDP_EXT_FRAME_FLAGS_TEE_OUT	0x02
#define ZTDP_EXT_FRAME_FLAGS_REDIRECT_OUT 0x04
#define ZTDP_EXT_FRAME_FLAGS_WATCH_OUT	0x16
#define ZTDP_EXT_FRAME_FLAGS_TEE_IN	0x08
#define ZTDP_EXT_FRAME_FLAGS_REDIRECT_IN 0x0a
#define ZTDP_EXT_FRAME_FLAGS_WATCH_IN	0x1c
/* Limits: rules per set and per capability are ZTDP_NETCONF_MAX_RULES and
 * ZTDP_NETCONF_MAX_CAPABILITY_RULES (netconf section); custody chain: */
#define ZTDP_CAPABILITY_MAX_CUSTODY	7
/* Capability (section 9.4): nwid, ts, id, rule count, rules, max custody
 * chain length, custody entries (to, from, sig type, sig len, sig) ended
 * by a zero `to`, ext length, ext. */
/* Signatures use ZTDP_CRED_SIG_TYPE_C25519 and ZTDP_CRED_SIGN_GUARD. */

/* ---- packet / reasm / compress / inetaddr / mac (H-packet) ---------------- */
/* LZ4 (section 3.4): senders only try on payloads longer than this. */
#define ZTDP_LZ4_MIN_PAYLOAD		64
/* InetAddress type bytes (section 6.16). */
#define ZTDP_INETADDR_TYPE_NIL		0x00
#define ZTDP_INETADDR_TYPE_ETHERNET	0x01	/* reserved: 6 bytes, skipped */
#define ZTDP_INETADDR_TYPE_BLUETOOTH	0x02	/* reserved: 6 bytes, skipped */
#define ZTDP_INETADDR_TYPE_OTHER	0x03	/* reserved: u16 length + bytes, skipped */
#define ZTDP_INETADDR_TYPE_IPV4		0x04
#define ZTDP_INETADDR_TYPE_IPV6		0x06
#define ZTDP_INETADDR_RESERVED_SKIP	6	/* bytes after types 1 and 2 */
#define ZTDP_INETADDR_MAX_LEN		19	/* type + 16 + 2 */
/* Multicast groups (section 1.4): NDP solicited-node MAC prefix 33:33:ff. */
#define ZTDP_MCAST_NDP_PREFIX		0x3333ff000000ULL
/* Outbound ARP narrowing (section 1.4): offsets into the ARP body. */
#define ZTDP_ETHERTYPE_ARP		0x0806
#define ZTDP_ARP_MIN_LEN		28
#define ZTDP_ARP_IDX_PTYPE		2	/* 08 00 */
#define ZTDP_ARP_IDX_HLEN		4	/* 6 */
#define ZTDP_ARP_IDX_PLEN		5	/* 4 */
#define ZTDP_ARP_IDX_OP_LO		7	/* 1 = request */
#define ZTDP_ARP_IDX_TPA		24	/* target IPv4 */
/* Controller-assigned IPv6 (section 1.5). */
#define ZTDP_RFC4193_FIRST_BYTE		0xfd
#define ZTDP_RFC4193_MARKER		0x9993	/* bytes 9..10 */
#define ZTDP_RFC4193_PREFIX_LEN		88
#define ZTDP_6PLANE_FIRST_BYTE		0xfc
#define ZTDP_6PLANE_PREFIX_LEN		40

#endif /* ZTDP_WIRE_H */
