/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Verb payload codecs (protocol notes section 6): one typed struct per verb
 * or reply, a decoder and an encoder for each.
 *
 * Decoders take the verb payload (the bytes after the verb byte, already
 * dearmored and LZ4-decompressed) and never read outside it. They are
 * zero-copy: variable parts (frame data, record lists, embedded credentials,
 * dictionaries) are pointers into the input, so the input must outlive the
 * decoded struct. They return 0 or a negative ZTDP_VERBS_E* code and leave
 * the struct unspecified on error.
 *
 * Encoders append the payload to a ztdp_wr and return 0 or a negative code
 * (ZTDP_VERBS_ENOSPC when the writer is full; it latches its error flag).
 * Record lists: a decoder fills `raw` (the records as on the wire) and
 * leaves the typed pointer NULL; an encoder writes the typed array when its
 * pointer is set and copies `raw` otherwise, so decode -> encode gives the
 * same bytes and a sender can still build from typed values.
 *
 * OK and ERROR: ztdp_ok_decode/ztdp_error_decode split off the envelope;
 * the reply body (ok.payload) is then decoded with the ztdp_ok_<verb>_decode
 * matching ok.in_re_verb. Encoders likewise: envelope, then body.
 *
 * Fixed-layout payloads tolerate trailing bytes (as 1.14.1 does, so later
 * versions may append fields); pure record lists must be whole records.
 */
#ifndef ZTDP_VERBS_H
#define ZTDP_VERBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_buf.h"
#include "ztdp_identity.h"
#include "ztdp_inetaddr.h"
#include "ztdp_mac.h"
#include "ztdp_wire.h"

/* Error codes (negative). */
#define ZTDP_VERBS_OK		0
#define ZTDP_VERBS_ETRUNC	(-1)	/* payload ends inside a field or record */
#define ZTDP_VERBS_EINVAL	(-2)	/* a field holds a value the format forbids */
#define ZTDP_VERBS_ECRED	(-3)	/* embedded COM/credential/identity does not parse */
#define ZTDP_VERBS_ENOSPC	(-4)	/* encoder: the writer is full */

/* Short name of a ZTDP_VERBS_E* code. */
const char *ztdp_verbs_strerror(int err);

/* ---- OK / ERROR envelopes (6.1) ------------------------------------------ */

struct ztdp_ok {
	uint8_t in_re_verb;		/* as on the wire (no compression bit) */
	uint64_t in_re_packet_id;
	const uint8_t *payload;		/* reply body */
	size_t payload_len;
};

int ztdp_ok_decode(const uint8_t *p, size_t len, struct ztdp_ok *ok);
/* Writes the envelope and then ok->payload (payload may be NULL with
 * payload_len 0 to write just the envelope and append the body after). */
int ztdp_ok_encode(struct ztdp_wr *w, const struct ztdp_ok *ok);

/* ERROR. The error-specific payload is decoded by code: nwid for
 * OBJ_NOT_FOUND, UNSUPPORTED_OPERATION, NEED_MEMBERSHIP_CERTIFICATE,
 * NETWORK_ACCESS_DENIED, NETWORK_AUTHENTICATION_REQUIRED (nwid absent is an
 * error: 1.14.1 reads it unconditionally); nwid + group for
 * UNWANTED_MULTICAST; NETWORK_AUTHENTICATION_REQUIRED may add a u16-length
 * Dictionary (kept as bytes, see ztdp_dict.h). Other codes: no fields;
 * `payload` always points at whatever follows the code. */
struct ztdp_error {
	uint8_t in_re_verb;
	uint64_t in_re_packet_id;
	uint8_t code;			/* ZTDP_ERROR_* */
	bool has_nwid;
	uint64_t nwid;
	struct ztdp_mcast_group group;	/* UNWANTED_MULTICAST */
	bool has_auth_info;		/* NETWORK_AUTHENTICATION_REQUIRED */
	const uint8_t *auth_info;	/* Dictionary bytes, not NUL-terminated */
	uint16_t auth_info_len;
	const uint8_t *payload;		/* everything after the code byte */
	size_t payload_len;
};

int ztdp_error_decode(const uint8_t *p, size_t len, struct ztdp_error *e);
/* Writes the envelope, code and the code's fields from e (has_nwid etc.);
 * payload/payload_len are not used. */
int ztdp_error_encode(struct ztdp_wr *w, const struct ztdp_error *e);
/* True for the codes whose nwid scopes them to a network (only to be acted
 * on when the sender is that network's controller). */
bool ztdp_error_is_network_scoped(uint8_t code);

/* ---- HELLO (6.2) and OK(HELLO) ------------------------------------------- */

/* One moon entry of HELLO (17 bytes on the wire). */
struct ztdp_hello_moon {
	uint8_t type;			/* 127 = moon; others are skipped by 1.14.1 */
	uint64_t world_id;
	uint64_t timestamp;		/* 0 = wanted, not held */
};

struct ztdp_hello {
	uint8_t proto_version;
	uint8_t major, minor;
	uint16_t revision;
	uint64_t timestamp;
	struct ztdp_identity identity;	/* public part only */
	/* Optional tail fields, absent in old senders (in order; each present
	 * only if the previous one is). */
	bool has_dest;
	struct ztdp_inetaddr dest;	/* family 0: sent via a relay / unknown */
	bool has_world;
	uint64_t world_id, world_timestamp;
	bool has_moons;			/* cryptField region present */
	uint16_t moon_count;
	const uint8_t *moons_raw;	/* decode: moon_count x 17 bytes */
	const struct ztdp_hello_moon *moons; /* encode: typed, or NULL */
};

/* Decode a HELLO payload whose cryptField region has already been
 * decrypted. Rejects identities carrying a private key (ZTDP_VERBS_ECRED). */
int ztdp_hello_decode(const uint8_t *p, size_t len, struct ztdp_hello *h);
/* Offset (from the payload start) where the cryptField region begins, as
 * needed before decode: decrypt bytes [ZTDP_PKT_IDX_PAYLOAD + *off, len)
 * of the packet with ztdp_hello_cryptfield(). *off == len means there is
 * no encrypted region. Reads only the clear part of the payload. */
int ztdp_hello_crypt_offset(const uint8_t *p, size_t len, size_t *off);
/* Writes the payload in clear (public identity only, even if h->identity
 * has a private key). *crypt_off, if not NULL, receives the writer offset
 * where the cryptField region starts (the caller applies cryptField after
 * the packet is complete). has_* flags chain: a field is written only if
 * all before it are. */
int ztdp_hello_encode(struct ztdp_wr *w, const struct ztdp_hello *h,
		      size_t *crypt_off);
int ztdp_hello_moon_get(const struct ztdp_hello *h, unsigned int i,
			struct ztdp_hello_moon *m);

struct ztdp_ok_hello {
	uint64_t timestamp;		/* echo of HELLO's */
	uint8_t proto_version;
	uint8_t major, minor;
	uint16_t revision;
	bool has_addr;
	struct ztdp_inetaddr addr;	/* where the HELLO came from */
	bool has_worlds;
	const uint8_t *worlds;		/* serialized World(s), ztdp_world.h */
	uint16_t worlds_len;
};

int ztdp_ok_hello_decode(const uint8_t *p, size_t len, struct ztdp_ok_hello *o);
int ztdp_ok_hello_encode(struct ztdp_wr *w, const struct ztdp_ok_hello *o);

/* ---- WHOIS (6.3) and OK(WHOIS) -------------------------------------------- */

struct ztdp_whois {
	unsigned int count;
	const uint8_t *raw;		/* decode: count x 5-byte addresses */
	const uint64_t *addrs;		/* encode: typed, or NULL */
};

int ztdp_whois_decode(const uint8_t *p, size_t len, struct ztdp_whois *m);
int ztdp_whois_encode(struct ztdp_wr *w, const struct ztdp_whois *m);
uint64_t ztdp_whois_address(const struct ztdp_whois *m, unsigned int i);

/* One public identity (71 bytes) per address found. */
struct ztdp_ok_whois {
	unsigned int count;
	const uint8_t *raw;		/* decode: count x 71 bytes */
	const struct ztdp_identity *ids; /* encode: typed, or NULL */
};

int ztdp_ok_whois_decode(const uint8_t *p, size_t len, struct ztdp_ok_whois *o);
int ztdp_ok_whois_encode(struct ztdp_wr *w, const struct ztdp_ok_whois *o);
int ztdp_ok_whois_identity(const struct ztdp_ok_whois *o, unsigned int i,
			   struct ztdp_identity *id);

/* ---- RENDEZVOUS (6.4) ------------------------------------------------------ */

struct ztdp_rendezvous {
	uint8_t flags;
	uint64_t with;			/* the other peer's address */
	struct ztdp_inetaddr addr;	/* family 4 or 6 */
};

int ztdp_rendezvous_decode(const uint8_t *p, size_t len,
			   struct ztdp_rendezvous *m);
int ztdp_rendezvous_encode(struct ztdp_wr *w, const struct ztdp_rendezvous *m);

/* ---- FRAME (6.5), EXT_FRAME (6.6) ------------------------------------------ */

struct ztdp_frame {
	uint64_t nwid;
	uint16_t ethertype;
	const uint8_t *data;
	size_t data_len;
};

int ztdp_frame_decode(const uint8_t *p, size_t len, struct ztdp_frame *f);
int ztdp_frame_encode(struct ztdp_wr *w, const struct ztdp_frame *f);
/* Only nwid and ethertype: the caller appends (or already has) the data. */
int ztdp_frame_encode_header(struct ztdp_wr *w, const struct ztdp_frame *f);

struct ztdp_ext_frame {
	uint64_t nwid;
	uint8_t flags;			/* ZTDP_EXT_FRAME_FLAG_* and subtype bits */
	const uint8_t *com;		/* flag 0x01: the COM's bytes (ztdp_com_decode) */
	size_t com_len;
	uint64_t dst_mac, src_mac;	/* 48-bit */
	uint16_t ethertype;
	const uint8_t *data;
	size_t data_len;
};

/* Subtype (0 normal, 1..3 TEE/REDIRECT/WATCH outbound, 4..6 inbound):
 * (flags >> 1) & 7, the reading that matches what 1.14.1 emits. */
static inline unsigned int ztdp_ext_frame_subtype(uint8_t flags)
{
	return (flags >> ZTDP_EXT_FRAME_SUBTYPE_SHIFT) & ZTDP_EXT_FRAME_SUBTYPE_MASK;
}

int ztdp_ext_frame_decode(const uint8_t *p, size_t len,
			  struct ztdp_ext_frame *f);
/* The COM is written iff flag 0x01 is set; then com must be non-NULL. */
int ztdp_ext_frame_encode(struct ztdp_wr *w, const struct ztdp_ext_frame *f);
int ztdp_ext_frame_encode_header(struct ztdp_wr *w,
				 const struct ztdp_ext_frame *f);

/* OK(EXT_FRAME), sent when the ACK flag 0x10 was set: the nwid. */
struct ztdp_ok_ext_frame {
	uint64_t nwid;
};

int ztdp_ok_ext_frame_decode(const uint8_t *p, size_t len,
			     struct ztdp_ok_ext_frame *o);
int ztdp_ok_ext_frame_encode(struct ztdp_wr *w,
			     const struct ztdp_ok_ext_frame *o);

/* ---- ECHO (6.7) and OK(ECHO) ----------------------------------------------- */

/* Opaque bytes; OK(ECHO) copies them back. */
struct ztdp_echo {
	const uint8_t *data;
	size_t len;
};

int ztdp_echo_decode(const uint8_t *p, size_t len, struct ztdp_echo *m);
int ztdp_echo_encode(struct ztdp_wr *w, const struct ztdp_echo *m);

/* OK in reply to a NETWORK_CONFIG push (6.11). 1.14.1 sends it with in-re
 * verb ZTDP_OK_CONFIG_PUSH_IN_RE_VERB (0x08, ECHO), so an OK(ECHO) body of
 * exactly 16 bytes may be this instead; the in-re packet ID tells which. */
struct ztdp_ok_config_push {
	uint64_t nwid;
	uint64_t update_id;
};

int ztdp_ok_config_push_decode(const uint8_t *p, size_t len,
			       struct ztdp_ok_config_push *o);
int ztdp_ok_config_push_encode(struct ztdp_wr *w,
			       const struct ztdp_ok_config_push *o);

/* ---- MULTICAST_LIKE (6.8) -------------------------------------------------- */

struct ztdp_multicast_like_rec {
	uint64_t nwid;
	struct ztdp_mcast_group group;
};

struct ztdp_multicast_like {
	unsigned int count;
	const uint8_t *raw;		/* decode: count x 18 bytes */
	const struct ztdp_multicast_like_rec *recs; /* encode: typed, or NULL */
};

int ztdp_multicast_like_decode(const uint8_t *p, size_t len,
			       struct ztdp_multicast_like *m);
int ztdp_multicast_like_encode(struct ztdp_wr *w,
			       const struct ztdp_multicast_like *m);
void ztdp_multicast_like_get(const struct ztdp_multicast_like *m,
			     unsigned int i, struct ztdp_multicast_like_rec *r);
/* One 18-byte record, for senders filling a packet record by record. */
int ztdp_multicast_like_encode_rec(struct ztdp_wr *w,
				   const struct ztdp_multicast_like_rec *r);

/* ---- NETWORK_CREDENTIALS (6.9) -------------------------------------------- */

/*
 * Each section is kept as bytes that decode() has checked parse as exactly
 * `*_count` credentials with the decoders of ztdp_credentials.h and
 * ztdp_capability.h; to use them, ztdp_rd_init() a reader over the section
 * and call ztdp_com_decode() (etc.) count times. Older senders stop after
 * the COM terminator or after any count: has_* says which sections came.
 */
struct ztdp_network_credentials {
	const uint8_t *coms;		/* COMs back to back, terminator excluded */
	size_t coms_len;
	unsigned int com_count;
	bool has_caps, has_tags, has_revocations, has_coos;
	const uint8_t *caps, *tags, *revocations, *coos;
	size_t caps_len, tags_len, revocations_len, coos_len;
	uint16_t cap_count, tag_count, revocation_count, coo_count;
};

int ztdp_network_credentials_decode(const uint8_t *p, size_t len,
				    struct ztdp_network_credentials *m);
/* Copies the sections; writes the counts of the sections that have_*
 * (and of every section before one that does, as 0 if absent). */
int ztdp_network_credentials_encode(struct ztdp_wr *w,
				    const struct ztdp_network_credentials *m);

struct ztdp_com;
struct ztdp_capability;
struct ztdp_tag;
struct ztdp_revocation;
struct ztdp_coo;

/* Build NETWORK_CREDENTIALS from typed credentials, all four counts
 * written (as 1.14.1 does). Arrays may be NULL when their count is 0. */
int ztdp_network_credentials_build(struct ztdp_wr *w,
				   const struct ztdp_com *coms, unsigned int ncoms,
				   const struct ztdp_capability *caps, unsigned int ncaps,
				   const struct ztdp_tag *tags, unsigned int ntags,
				   const struct ztdp_revocation *revs, unsigned int nrevs,
				   const struct ztdp_coo *coos, unsigned int ncoos);

/* ---- NETWORK_CONFIG_REQUEST (6.10) ---------------------------------------- */

struct ztdp_netconf_request {
	uint64_t nwid;
	bool has_meta;			/* length field present */
	const uint8_t *meta;		/* metadata Dictionary (ztdp_dict.h) */
	uint16_t meta_len;
	bool has_revision;		/* revision and timestamp present */
	uint64_t revision;		/* of the config we hold, 0 if none */
	uint64_t timestamp;
};

int ztdp_netconf_request_decode(const uint8_t *p, size_t len,
				struct ztdp_netconf_request *m);
int ztdp_netconf_request_encode(struct ztdp_wr *w,
				const struct ztdp_netconf_request *m);

/* OK(NETWORK_CONFIG_REQUEST) and NETWORK_CONFIG bodies: ztdp_netconf_chunk.h. */

/* ---- MULTICAST_GATHER (6.12) and OK ---------------------------------------- */

struct ztdp_multicast_gather {
	uint64_t nwid;
	uint8_t flags;			/* ZTDP_MC_GATHER_FLAG_COM */
	struct ztdp_mcast_group group;
	uint32_t limit;
	const uint8_t *com;		/* flag 0x01 */
	size_t com_len;
};

int ztdp_multicast_gather_decode(const uint8_t *p, size_t len,
				 struct ztdp_multicast_gather *m);
int ztdp_multicast_gather_encode(struct ztdp_wr *w,
				 const struct ztdp_multicast_gather *m);

/* Gather results shared by OK(MULTICAST_GATHER) and OK(MULTICAST_FRAME). */
struct ztdp_gather_results {
	uint32_t total_known;
	uint16_t count;
	const uint8_t *raw;		/* decode: count x 5-byte addresses */
	const uint64_t *addrs;		/* encode: typed, or NULL */
};

uint64_t ztdp_gather_results_address(const struct ztdp_gather_results *g,
				     unsigned int i);

struct ztdp_ok_multicast_gather {
	uint64_t nwid;
	struct ztdp_mcast_group group;
	struct ztdp_gather_results res;
};

int ztdp_ok_multicast_gather_decode(const uint8_t *p, size_t len,
				    struct ztdp_ok_multicast_gather *o);
int ztdp_ok_multicast_gather_encode(struct ztdp_wr *w,
				    const struct ztdp_ok_multicast_gather *o);

/* ---- MULTICAST_FRAME (6.13) and OK ------------------------------------------ */

struct ztdp_multicast_frame {
	uint64_t nwid;
	uint8_t flags;			/* ZTDP_MC_FRAME_FLAG_* */
	const uint8_t *com;		/* flag 0x01 */
	size_t com_len;
	uint32_t gather_limit;		/* flag 0x02 */
	uint64_t src_mac;		/* flag 0x04 (else: sender's derived MAC) */
	struct ztdp_mcast_group group;	/* destination */
	uint16_t ethertype;
	const uint8_t *data;
	size_t data_len;
};

int ztdp_multicast_frame_decode(const uint8_t *p, size_t len,
				struct ztdp_multicast_frame *f);
int ztdp_multicast_frame_encode(struct ztdp_wr *w,
				const struct ztdp_multicast_frame *f);
int ztdp_multicast_frame_encode_header(struct ztdp_wr *w,
				       const struct ztdp_multicast_frame *f);

struct ztdp_ok_multicast_frame {
	uint64_t nwid;
	struct ztdp_mcast_group group;
	uint8_t flags;			/* ZTDP_MC_FRAME_OK_FLAG_* */
	const uint8_t *com;		/* flag 0x01 */
	size_t com_len;
	struct ztdp_gather_results res;	/* flag 0x02 */
};

int ztdp_ok_multicast_frame_decode(const uint8_t *p, size_t len,
				   struct ztdp_ok_multicast_frame *o);
int ztdp_ok_multicast_frame_encode(struct ztdp_wr *w,
				   const struct ztdp_ok_multicast_frame *o);

/* ---- PUSH_DIRECT_PATHS (6.14) ----------------------------------------------- */

struct ztdp_push_path {
	uint8_t flags;			/* ZTDP_PUSH_PATH_FLAG_* */
	const uint8_t *ext;		/* extensions, skipped by receivers */
	uint16_t ext_len;
	uint8_t addr_type;		/* 4, 6, or unknown (then skipped) */
	uint8_t addr_len;
	const uint8_t *addr_raw;	/* the addr_len address bytes; NULL to
					 * encode from addr */
	struct ztdp_inetaddr addr;	/* family 0 for unknown types */
};

struct ztdp_push_direct_paths {
	uint16_t count;			/* records, including unknown types */
	const uint8_t *raw;		/* decode: the records */
	size_t raw_len;
	const struct ztdp_push_path *paths; /* encode: typed, or NULL */
};

int ztdp_push_direct_paths_decode(const uint8_t *p, size_t len,
				  struct ztdp_push_direct_paths *m);
int ztdp_push_direct_paths_encode(struct ztdp_wr *w,
				  const struct ztdp_push_direct_paths *m);
/* Walk the records: ztdp_rd_init(it, m->raw, m->raw_len), then call until
 * it returns 0 (no more) — 1 per record, negative on malformed input. Unknown
 * address types come back with addr.family 0. */
int ztdp_push_direct_paths_next(struct ztdp_rd *it, struct ztdp_push_path *rec);
/* One record. Address: addr_type/addr_len/addr_raw verbatim when addr_raw
 * is set (as decoded), else built from addr (family 4 or 6). */
int ztdp_push_path_encode(struct ztdp_wr *w, const struct ztdp_push_path *rec);

/* ---- USER_MESSAGE (6.15) ------------------------------------------------------ */

struct ztdp_user_message {
	uint64_t type;			/* <= 65535 reserved */
	const uint8_t *data;
	size_t len;
};

int ztdp_user_message_decode(const uint8_t *p, size_t len,
			     struct ztdp_user_message *m);
int ztdp_user_message_encode(struct ztdp_wr *w,
			     const struct ztdp_user_message *m);

#endif /* ZTDP_VERBS_H */
