/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network config chunks (protocol notes section 6.11): the body of
 * OK(NETWORK_CONFIG_REQUEST) (after the OK envelope) and of NETWORK_CONFIG
 * pushes. A controller serializes the config Dictionary, cuts it into
 * slices of at most ZTDP_NETCONF_CHUNK_MAX_DATA bytes and signs each slice
 * with its identity; the member verifies each chunk and reassembles the
 * Dictionary.
 *
 * Codec: ztdp_netconf_chunk_decode/encode, zero-copy like ztdp_verbs.h.
 * Verify: ztdp_netconf_chunk_verify against the controller identity.
 * Assembler: bounded memory, groups chunks by update ID, tracks received
 *   byte ranges, yields the Dictionary bytes once every byte is present.
 * Chunker: controller side, cuts and signs.
 */
#ifndef ZTDP_NETCONF_CHUNK_H
#define ZTDP_NETCONF_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_buf.h"
#include "ztdp_identity.h"
#include "ztdp_wire.h"

/* Error codes (negative); the first four match ZTDP_VERBS_E*. */
#define ZTDP_NCC_OK		0
#define ZTDP_NCC_ETRUNC		(-1)	/* body ends inside a field */
#define ZTDP_NCC_EINVAL		(-2)	/* bad field: index + C > total, ... */
#define ZTDP_NCC_ENOSPC		(-4)	/* encoder: writer full */
#define ZTDP_NCC_ESIG		(-10)	/* signature type/length wrong or does not verify */
#define ZTDP_NCC_ELEGACY	(-11)	/* unsigned legacy chunk not allowed here */
#define ZTDP_NCC_ETOOBIG	(-12)	/* total over the assembler's capacity */
#define ZTDP_NCC_ECONFLICT	(-13)	/* disagrees with chunks already held */
#define ZTDP_NCC_ELIMIT		(-14)	/* too many pieces for one update */
#define ZTDP_NCC_ENOMEM		(-15)
#define ZTDP_NCC_EKEY		(-16)	/* signer has no private key */

const char *ztdp_netconf_chunk_strerror(int err);

struct ztdp_netconf_chunk {
	uint64_t nwid;
	const uint8_t *data;		/* this slice of the Dictionary */
	uint16_t data_len;
	/* Legacy form: the body ends after the data; nothing below is on the
	 * wire (decode sets total_len = data_len, index 0, update_id 0). */
	bool legacy;
	uint8_t flags;			/* ZTDP_NETCONF_CHUNK_FLAG_* */
	uint64_t update_id;
	uint32_t total_len;		/* of the whole Dictionary */
	uint32_t index;			/* byte offset of this slice */
	uint8_t sig_type;
	uint16_t sig_len;
	const uint8_t *sig;
	/* Decode: the bytes the signature covers (nwid .. index). */
	const uint8_t *signed_region;
	size_t signed_len;
};

/* Decode a chunk body. Any signature type/length is accepted here (verify
 * judges them); index + data_len > total_len is ZTDP_NCC_EINVAL. Bytes
 * after the signature are ignored. */
int ztdp_netconf_chunk_decode(const uint8_t *p, size_t len,
			      struct ztdp_netconf_chunk *c);
/* Write a chunk as given (legacy: just nwid, length, data). */
int ztdp_netconf_chunk_encode(struct ztdp_wr *w,
			      const struct ztdp_netconf_chunk *c);
/* Type 1, length 96, controller is the nwid's controller (its address is
 * nwid >> 24) and its signature (section 2.5) over the signed region
 * verifies. A legacy chunk never verifies. */
bool ztdp_netconf_chunk_verify(const struct ztdp_netconf_chunk *c,
			       const struct ztdp_identity *controller);
/* Write a signed chunk of data[0..len) at index of a total-byte
 * Dictionary (controller side). ZTDP_NCC_EKEY without a private key. */
int ztdp_netconf_chunk_sign_encode(struct ztdp_wr *w,
				   const struct ztdp_identity *controller,
				   uint64_t nwid, uint8_t flags,
				   uint64_t update_id, uint32_t total,
				   uint32_t index, const uint8_t *data,
				   uint16_t len);

/* ---- Chunker (controller side) ------------------------------------------ */

struct ztdp_netconf_chunker {
	const struct ztdp_identity *signer;
	uint64_t nwid;
	uint64_t update_id;		/* non-zero, same for all chunks */
	uint8_t flags;
	const uint8_t *dict;
	uint32_t dict_len;
	uint32_t next;			/* index of the next chunk */
	uint16_t max_data;
};

/* max_data 0 means ZTDP_NETCONF_CHUNK_MAX_DATA (what 1.14.1 uses).
 * update_id is the caller's random value (0 is replaced by 1, as 1.14.1
 * does). Returns ZTDP_NCC_EINVAL for a Dictionary too long for u32/empty. */
int ztdp_netconf_chunker_init(struct ztdp_netconf_chunker *ch,
			      const struct ztdp_identity *signer,
			      uint64_t nwid, uint64_t update_id, uint8_t flags,
			      const uint8_t *dict, size_t dict_len,
			      uint16_t max_data);
/* Write the next chunk body into w: 1 if one was written, 0 when all
 * chunks are out, or a negative ZTDP_NCC_E* (the chunker does not advance
 * on error, so the caller may retry with a bigger writer). */
int ztdp_netconf_chunker_next(struct ztdp_netconf_chunker *ch,
			      struct ztdp_wr *w);

/* ---- Assembler (member side) ----------------------------------------------- */

/* Disjoint byte ranges tracked per update: chunks that abut merge, so a
 * well-behaved sender needs one; a sender that scatters small pieces past
 * this many gaps is refused (ZTDP_NCC_ELIMIT). */
#define ZTDP_NETCONF_ASM_MAX_RANGES	32
/* Chunks accepted per update (1.14.1: capacity / 1024 + 1). */
#define ZTDP_NETCONF_ASM_MAX_CHUNKS	(ZTDP_DICT_MAX_LEN / 1024 + 1)

struct ztdp_netconf_asm_slot {
	bool in_use;
	bool complete;
	uint64_t nwid;
	uint64_t update_id;
	uint64_t lru;			/* larger = touched more recently */
	uint32_t total_len;
	uint32_t have_bytes;
	unsigned int chunks;
	unsigned int nranges;
	struct { uint32_t start, end; } ranges[ZTDP_NETCONF_ASM_MAX_RANGES];
	uint8_t *buf;			/* total_len + 1 (NUL) bytes */
};

struct ztdp_netconf_asm {
	size_t capacity;		/* totals must be below this */
	uint64_t clock;
	struct ztdp_netconf_asm_slot slot[ZTDP_NETCONF_MAX_INCOMING_UPDATES];
};

/* capacity 0 means ZTDP_DICT_MAX_LEN (1.14.1 x86_64's). Memory is taken
 * per update, total_len + 1 bytes, when its first chunk arrives. */
void ztdp_netconf_asm_init(struct ztdp_netconf_asm *a, size_t capacity);
void ztdp_netconf_asm_fini(struct ztdp_netconf_asm *a);

/* Result of ztdp_netconf_asm_add (>= 0). */
#define ZTDP_NCASM_PENDING	0	/* accepted, more bytes needed */
#define ZTDP_NCASM_COMPLETE	1	/* *dict / *dict_len set */
#define ZTDP_NCASM_DUPLICATE	2	/* every byte already held, identical */

/*
 * Add one decoded chunk. Signed chunks must verify against controller
 * (checked here, after the cheap duplicate test). Legacy chunks are taken
 * only if legacy_ok (the caller knows the packet came from the controller
 * itself) and then form a complete config on their own, keyed by
 * legacy_update_id (1.14.1 uses the packet ID). Overlapping chunks must
 * agree byte for byte and on total_len. When the last byte arrives, returns
 * ZTDP_NCASM_COMPLETE with *dict pointing at total_len bytes, followed by
 * a NUL, valid until the next add or fini; the slot stays so that late
 * duplicates are recognised. Negative ZTDP_NCC_E* on rejection (nothing
 * held changes).
 */
int ztdp_netconf_asm_add(struct ztdp_netconf_asm *a,
			 const struct ztdp_netconf_chunk *c,
			 const struct ztdp_identity *controller,
			 bool legacy_ok, uint64_t legacy_update_id,
			 const uint8_t **dict, size_t *dict_len);

#endif /* ZTDP_NETCONF_CHUNK_H */
