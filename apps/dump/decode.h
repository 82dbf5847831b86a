/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp-dump: the per-datagram decode path.
 *
 * A UDP payload goes through the stages of a receiving 1.14.1 node:
 * classify (section 5.1), reassemble fragments (proto's ztdp_reasm, keyed
 * by the underlay 4-tuple so that a relayed packet's two copies never mix),
 * pick the pair's key by the header's addresses, dearmor a copy, LZ4-
 * decompress, HELLO's cryptField, and decode the verb (ztdp_verbs.h). On
 * the way it learns identities (HELLO, OK(WHOIS)), verifies and assembles
 * network config chunks and parses the complete config, and rebuilds the
 * Ethernet frame a FRAME, EXT_FRAME or MULTICAST_FRAME carries.
 *
 * Each outcome is handed to a callback as one struct ztdp_dump_pkt: a
 * packet (authenticated or not, with the reason), a beacon, a piece that
 * reassembly refused, or a packet whose fragments never all came. The
 * record and everything it points to are valid only during the callback.
 *
 * Nothing here does I/O and nothing trusts a length, so the fuzzer drives
 * ztdp_dump_decode_datagram and ztdp_dump_decode_plain directly. After
 * setup, the path allocates nothing per packet (the netconf assembler takes
 * memory per config update, as a node does).
 */
#ifndef ZTDP_DUMP_DECODE_H
#define ZTDP_DUMP_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "ztdp_inetaddr.h"
#include "ztdp_netconf.h"
#include "ztdp_netconf_chunk.h"
#include "ztdp_verbs.h"

/* One UDP datagram as captured. */
struct ztdp_dump_dgram {
	uint64_t time_us;		/* capture time, µs since the epoch */
	uint64_t record;		/* pcap record number, 1-based */
	struct ztdp_inetaddr src, dst;	/* underlay IP and port */
	const uint8_t *data;		/* UDP payload */
	size_t len;
};

enum ztdp_dump_status {
	ZTDP_DUMP_ST_OK = 0,		/* authenticated (and decoded as far as it goes) */
	ZTDP_DUMP_ST_UNDECRYPTABLE,	/* no key: see why */
	ZTDP_DUMP_ST_AUTH_FAILED,	/* a key, but the MAC does not verify */
	ZTDP_DUMP_ST_MALFORMED,		/* authenticated, but the LZ4 payload is bad */
	ZTDP_DUMP_ST_INCOMPLETE,	/* fragments missing (timed out or at the end) */
	ZTDP_DUMP_ST_DROPPED,		/* a head/fragment reassembly refused */
	ZTDP_DUMP_ST_BEACON,		/* 13-byte legacy LAN beacon */
	ZTDP_DUMP_ST_N
};

/* Config chunk signature, as checked against the controller (nwid >> 24). */
enum ztdp_dump_sig {
	ZTDP_DUMP_SIG_NONE = 0,
	ZTDP_DUMP_SIG_VERIFIED,
	ZTDP_DUMP_SIG_FAILED,
	ZTDP_DUMP_SIG_NO_CONTROLLER,	/* controller identity not known */
	ZTDP_DUMP_SIG_LEGACY,		/* unsigned legacy chunk */
};

/* Which member of ztdp_dump_pkt.b holds the decoded payload. */
enum ztdp_dump_body {
	ZTDP_DUMP_B_NONE = 0,		/* not decoded (or no payload codec) */
	ZTDP_DUMP_B_HELLO,
	ZTDP_DUMP_B_OK_HELLO,
	ZTDP_DUMP_B_WHOIS,
	ZTDP_DUMP_B_OK_WHOIS,
	ZTDP_DUMP_B_RENDEZVOUS,
	ZTDP_DUMP_B_FRAME,
	ZTDP_DUMP_B_EXT_FRAME,
	ZTDP_DUMP_B_OK_EXT_FRAME,
	ZTDP_DUMP_B_ECHO,		/* ECHO and OK(ECHO) */
	ZTDP_DUMP_B_OK_CONFIG_PUSH,	/* OK(in-re ECHO) acking a NETWORK_CONFIG */
	ZTDP_DUMP_B_MULTICAST_LIKE,
	ZTDP_DUMP_B_CREDENTIALS,
	ZTDP_DUMP_B_NETCONF_REQUEST,
	ZTDP_DUMP_B_CHUNK,		/* NETWORK_CONFIG, OK(NETWORK_CONFIG_REQUEST) */
	ZTDP_DUMP_B_GATHER,
	ZTDP_DUMP_B_OK_GATHER,
	ZTDP_DUMP_B_MULTICAST_FRAME,
	ZTDP_DUMP_B_OK_MULTICAST_FRAME,
	ZTDP_DUMP_B_PUSH_DIRECT_PATHS,
	ZTDP_DUMP_B_USER_MESSAGE,
	ZTDP_DUMP_B_ERROR,		/* ERROR: in err */
};

struct ztdp_dump_pkt {
	enum ztdp_dump_status status;
	const char *why;		/* non-OK statuses: one-line reason */
	uint64_t time_us;		/* of the datagram that completed it (first
					 * piece for INCOMPLETE) */
	uint64_t record;		/* pcap record of that datagram */
	struct ztdp_inetaddr usrc, udst;	/* underlay */

	/* Header, as on the wire. */
	uint64_t packet_id;
	uint64_t src, dst;		/* ZeroTier addresses */
	bool have_src;			/* false: beacon-less fragments only */
	unsigned int cipher, hops;
	size_t wire_len;		/* whole packet (all pieces) */
	unsigned int pieces;		/* datagrams it came in (1 = unfragmented) */
	unsigned int total;		/* INCOMPLETE/DROPPED: datagrams announced, 0 unknown */
	bool relay_copy;		/* the same packet was seen before (relayed) */

	/* After dearmoring. */
	bool authenticated;
	bool have_verb;			/* also true for suite 0 without a key:
					 * HELLO's verb is not encrypted */
	uint8_t verb;
	bool compressed;
	const uint8_t *pkt;		/* plaintext, decompressed; verb byte as sent
					 * minus the compression flag */
	size_t len;

	/* OK / ERROR. */
	bool has_in_re;
	uint8_t in_re_verb;
	uint64_t in_re_id;
	struct ztdp_error err;

	/* The payload, decoded. body_err: 0 or the decoder's ZTDP_VERBS_E*
	 * (or ZTDP_NCC_E* for chunks); body stays NONE on error. */
	enum ztdp_dump_body body;
	int body_err;
	union {
		struct ztdp_hello hello;
		struct ztdp_ok_hello ok_hello;
		struct ztdp_whois whois;
		struct ztdp_ok_whois ok_whois;
		struct ztdp_rendezvous rendezvous;
		struct ztdp_frame frame;
		struct ztdp_ext_frame ext_frame;
		struct ztdp_ok_ext_frame ok_ext_frame;
		struct ztdp_echo echo;
		struct ztdp_ok_config_push ok_config_push;
		struct ztdp_multicast_like multicast_like;
		struct ztdp_network_credentials creds;
		struct ztdp_netconf_request netconf_request;
		struct ztdp_netconf_chunk chunk;
		struct ztdp_multicast_gather gather;
		struct ztdp_ok_multicast_gather ok_gather;
		struct ztdp_multicast_frame mcframe;
		struct ztdp_ok_multicast_frame ok_mcframe;
		struct ztdp_push_direct_paths pdp;
		struct ztdp_user_message user_message;
	} b;

	/* Identities: HELLO's (learn result, -1 if not tried), OK(WHOIS)'s. */
	int hello_id;			/* enum ztdp_dump_id_add or -1 */
	bool identity_collision;	/* HELLO with a key other than the known one */
	unsigned int ids_new;		/* identities this packet taught */

	/* Config chunk. */
	enum ztdp_dump_sig sig;
	bool chunk_assembled;		/* offered to the assembler */
	int asm_rc;			/* ZTDP_NCASM_* or ZTDP_NCC_E* */
	const struct ztdp_netconf *nc;	/* set when a config completed and parsed */
	int nc_err;			/* ztdp_netconf_decode's error when it did not */
	const char *nc_bad_key;
	size_t nc_dict_len;
	bool nc_com_verified;

	/* The Ethernet frame carried (FRAME, EXT_FRAME, MULTICAST_FRAME). */
	const uint8_t *frame;
	size_t frame_len;
};

struct ztdp_dump_stats {
	uint64_t datagrams;		/* offered */
	uint64_t not_zerotier;		/* too short / RENDEZVOUS junk */
	uint64_t beacons;
	uint64_t pieces;		/* heads and fragments offered */
	uint64_t reassembled;
	uint64_t packets;		/* ok + undecryptable + auth_failed + malformed + incomplete */
	uint64_t authenticated;
	uint64_t undecryptable;
	uint64_t auth_failed;
	uint64_t malformed;
	uint64_t incomplete;
	uint64_t dropped;		/* pieces refused by reassembly */
	uint64_t relay_copies;
	uint64_t frames;		/* Ethernet frames rebuilt (relay copies included) */
	uint64_t chunks;
	uint64_t configs;		/* configs assembled and parsed */
	uint64_t ids_learned;
	uint64_t verbs[32];		/* authenticated packets per verb */
};

typedef void (*ztdp_dump_emit_fn)(void *arg, const struct ztdp_dump_pkt *p);

struct ztdp_dump_config {
	struct ztdp_dump_keys *keys;	/* not owned */
	ztdp_dump_emit_fn emit;		/* may be NULL (count only) */
	void *arg;
	bool learn;			/* learn identities from the capture */
	bool validate_learned;		/* run the address derivation on them */
	bool chunk_signatures;		/* check config chunk signatures */
	bool netconf;			/* assemble and parse configs (needs
					 * chunk_signatures) */
	bool frames;			/* rebuild carried Ethernet frames */
	unsigned int reasm_entries;	/* 0: default (256) */
	uint64_t reasm_timeout_ms;	/* 0: ZTDP_REASM_DEFAULT_TIMEOUT_MS */
};

struct ztdp_dump_decoder;

/* Fill c with the defaults (learn, validate, chunk signatures, netconf
 * and frames on). */
void ztdp_dump_config_default(struct ztdp_dump_config *c);
struct ztdp_dump_decoder *ztdp_dump_decoder_create(const struct ztdp_dump_config *c);
void ztdp_dump_decoder_destroy(struct ztdp_dump_decoder *d);
/* Forget per-capture state (fragments, configs, relay history, stats)
 * for another pass over a capture; learned identities stay. */
void ztdp_dump_decoder_reset(struct ztdp_dump_decoder *d);

/* Decode one UDP payload. */
void ztdp_dump_decode_datagram(struct ztdp_dump_decoder *d, const struct ztdp_dump_dgram *g);
/* End of capture: report packets still missing fragments. */
void ztdp_dump_decoder_finish(struct ztdp_dump_decoder *d);
/* Decode a packet that is already dearmored (header, verb byte, payload;
 * the compression flag is honoured) as if it had been authenticated:
 * for the fuzzer and tests, which cannot forge MACs. */
void ztdp_dump_decode_plain(struct ztdp_dump_decoder *d, const struct ztdp_dump_dgram *g);

const struct ztdp_dump_stats *ztdp_dump_decoder_stats(const struct ztdp_dump_decoder *d);

/* "ok", "undecryptable", "auth-failed", "malformed", "incomplete",
 * "dropped", "beacon". */
const char *ztdp_dump_status_str(enum ztdp_dump_status s);
/* "poly1305", "salsa2012", "trusted-path", "aes-gmac-siv", "suite-N". */
const char *ztdp_dump_cipher_str(unsigned int cipher);
/* "verified", "FAILED", "unverified (controller unknown)", "legacy (unsigned)". */
const char *ztdp_dump_sig_str(enum ztdp_dump_sig s);
/* "pending", "complete", "duplicate", or the assembler's error text. */
const char *ztdp_dump_asm_str(int rc);
/* ERROR codes: "OBJ_NOT_FOUND", ...; "UNKNOWN" otherwise. */
const char *ztdp_dump_error_code_str(uint8_t code);

#endif /* ZTDP_DUMP_DECODE_H */
