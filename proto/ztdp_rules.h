/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rules engine (section 10): the codec of the `R` rule list (also carried
 * inside Capabilities) and the per-frame evaluation 1.14.1 performs once
 * outbound at the sender and once inbound at the receiver.
 *
 * Evaluation reproduces ZeroTierOne 1.14.1's behaviour, including its
 * corner cases (which matches can be inverted by NOT and which cannot,
 * the order of the TEE/REDIRECT target checks, the "skip next DROP" of
 * unknown remote tags), because a peer running 1.14.1 evaluates the same
 * rules on the other end and both sides must agree. Where 1.14.1 reads
 * past the frame or shifts by out-of-range amounts we bounds-check and
 * clamp instead (documented at each place in rules.c).
 *
 * Nothing here allocates; frame parsing is bounds-checked.
 */
#ifndef ZTDP_RULES_H
#define ZTDP_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_buf.h"
#include "ztdp_wire.h"

/* Value bytes kept for a rule type we do not know, so that it re-encodes
 * byte for byte. Longer unknown values are accepted (1.14.1 skips them by
 * their length) but such a rule cannot be re-encoded. */
#define ZTDP_RULE_RAW_MAX 24

/* One decoded rule. `t` is the type byte exactly as on the wire (NOT and
 * OR bits included); the member of `v` used depends on t & 0x3f. */
struct ztdp_rule {
	uint8_t t;
	uint8_t raw_len;	/* unknown types: value length on the wire */
	union {
		struct {
			uint64_t address;	/* low 40 bits */
			uint32_t flags;		/* carried, unused by 1.14.1 */
			uint16_t length;	/* bytes to copy, 0 = whole frame */
		} fwd;				/* TEE, WATCH, REDIRECT */
		uint8_t qos_bucket;		/* PRIORITY (never on the wire: 0) */
		uint64_t zt;			/* SOURCE/DEST_ZEROTIER_ADDRESS */
		uint16_t vlan_id;
		uint8_t vlan_pcp;
		uint8_t vlan_dei;
		uint8_t mac[6];			/* MAC_SOURCE / MAC_DEST */
		struct {
			uint8_t ip[4];
			uint8_t mask;		/* prefix bits */
		} ipv4;
		struct {
			uint8_t ip[16];
			uint8_t mask;
		} ipv6;
		struct {
			uint8_t mask;
			uint8_t low;
			uint8_t high;
		} ip_tos;
		uint8_t ip_protocol;
		uint16_t ethertype;
		struct {
			uint8_t type;
			uint8_t code;
			uint8_t flags;		/* ZTDP_RULE_ICMP_FLAG_CODE */
		} icmp;
		uint16_t port[2];		/* low, high (inclusive) */
		uint64_t characteristics;	/* ZTDP_RULE_CHAR_* mask */
		uint16_t frame_size[2];		/* low, high (inclusive) */
		uint32_t random_probability;	/* 0 .. UINT32_MAX = always */
		struct {
			uint32_t id;
			uint32_t value;
		} tag;				/* TAGS_*, TAG_SENDER/RECEIVER */
		struct {
			uint64_t start;
			uint64_t end;		/* absolute, as on the wire */
			uint16_t idx;		/* byte index in the frame data */
			uint8_t format;		/* ZTDP_RULE_INT_FORMAT_* */
		} int_range;
		uint8_t raw[ZTDP_RULE_RAW_MAX];	/* unknown types */
	} v;
};

/* Decoder and encoder results (negative). */
#define ZTDP_RULES_OK			0
#define ZTDP_RULES_E_TRUNCATED		(-1)	/* record runs past the input */
#define ZTDP_RULES_E_SHORT_VALUE	(-2)	/* length byte below the type's value size */
#define ZTDP_RULES_E_TOO_MANY		(-3)	/* more rules than the caller has room for */
#define ZTDP_RULES_E_UNENCODABLE	(-4)	/* unknown rule whose value was too long to keep */
#define ZTDP_RULES_E_NOSPACE		(-5)	/* encoder output full */
#define ZTDP_RULES_E_INVAL		(-6)	/* bad argument */

/* Short name of an error code, for logs. */
const char *ztdp_rules_strerror(int err);

/* Decode exactly `count` rules (the Capability form, count given before the
 * list) into rules[0..count). A known type whose length byte exceeds its
 * value size is accepted and the extra bytes skipped (as 1.14.1 does); one
 * whose length byte is short is rejected. Unknown types are kept (they
 * matter to evaluation) and skipped by their length. Returns 0 or a
 * negative ZTDP_RULES_E_*; on error r is left in error state. */
int ztdp_rules_decode(struct ztdp_rd *r, unsigned int count,
		      struct ztdp_rule *rules, unsigned int max);

/* Decode rules until the reader is empty (the netconf `R` form, which has
 * no count). *count receives the number decoded. More than `max` rules is
 * ZTDP_RULES_E_TOO_MANY. */
int ztdp_rules_decode_all(struct ztdp_rd *r, struct ztdp_rule *rules,
			  unsigned int max, unsigned int *count);

/* Encode `count` rules canonically (the lengths 1.14.1 writes). Returns 0
 * or a negative ZTDP_RULES_E_*. */
int ztdp_rules_encode(struct ztdp_wr *w, const struct ztdp_rule *rules,
		      unsigned int count);

/* Encoded size of one rule, or a negative ZTDP_RULES_E_* if it cannot be
 * encoded. */
int ztdp_rule_encoded_len(const struct ztdp_rule *rule);

/* True if two rules are equal in every field their type uses. */
bool ztdp_rule_equal(const struct ztdp_rule *a, const struct ztdp_rule *b);

/* Name of a rule type (t & 0x3f) as in the controller JSON ("ACTION_DROP",
 * "MATCH_IP_PROTOCOL"), or "UNKNOWN". */
const char *ztdp_rule_type_name(unsigned int type);

/* ---- Evaluation ---------------------------------------------------------- */

/* A tag id and value (config `TAG`, or a peer's presented tag). */
struct ztdp_rule_tag {
	uint32_t id;
	uint32_t value;
};

/* The frame being filtered. `data` is the Ethernet payload (what follows
 * the 14-byte header; the IPv4/IPv6/ARP packet), `len` its length: that is
 * what 1.14.1 calls the frame, and what FRAME_SIZE_RANGE, INTEGER_RANGE and
 * TEE lengths measure. */
struct ztdp_rules_frame {
	bool inbound;
	uint64_t zt_source;	/* outbound: us; inbound: the sending peer */
	uint64_t zt_dest;	/* ZeroTier destination, 0 for multicast */
	uint64_t mac_source;	/* 48-bit MACs in the low bits */
	uint64_t mac_dest;
	uint16_t ethertype;
	uint16_t vlan_id;	/* ZeroTier carries no VLAN tag: 0 */
	const uint8_t *data;
	size_t len;
};

/* Answers whether the sender of the frame holds a certificate of ownership
 * for a thing (ZTDP_COO_THING_MAC with 6 bytes, _IPV4 with 4, _IPV6 with
 * 16). Outbound the sender is us (our config's COOs); inbound it is the
 * peer (its valid presented COOs). */
typedef bool (*ztdp_rules_owns_fn)(void *ctx, uint8_t thing_type,
				   const uint8_t *thing);
/* A uniformly random u32, for MATCH_RANDOM. */
typedef uint32_t (*ztdp_rules_random_fn)(void *ctx);

/* What the node knows besides the frame. Every pointer may be NULL. */
struct ztdp_rules_env {
	uint64_t self;				/* our ZeroTier address */
	const struct ztdp_rule_tag *local_tags;	/* ours (config TAG) */
	unsigned int local_tag_count;
	/* The other side's tags: the destination's outbound, the sender's
	 * inbound; only tags that are valid for the current config. NULL
	 * when the other side is unknown (multicast). */
	const struct ztdp_rule_tag *remote_tags;
	unsigned int remote_tag_count;
	/* Config flag 0x08: the result of an unknown MATCH type. */
	bool unsupported_match_result;
	ztdp_rules_owns_fn owns;	/* NULL: nothing owned */
	void *owns_ctx;
	ztdp_rules_random_fn random;	/* NULL: draws UINT32_MAX */
	void *random_ctx;
};

/* Result of one rule set. */
enum ztdp_rules_result {
	ZTDP_RULES_NO_MATCH = 0,	/* fell off the end or BREAK */
	ZTDP_RULES_DROP,
	ZTDP_RULES_REDIRECT,		/* accepted, destination changed */
	ZTDP_RULES_ACCEPT,
	ZTDP_RULES_SUPER_ACCEPT,	/* inbound and we are a TEE/WATCH/REDIRECT target */
};

/* Side outputs of one rule set. */
struct ztdp_rules_out {
	uint64_t dest;		/* in: zt_dest; out: changed by REDIRECT */
	uint64_t copy_to;	/* TEE/WATCH target (last one wins), 0 = none */
	uint32_t copy_len;	/* bytes of data to copy */
	bool copy_watch;	/* WATCH rather than TEE */
	uint8_t qos_bucket;	/* set by PRIORITY */
};

/* Start values of `out` for a frame: dest = zt_dest, no copy, the default
 * QoS bucket. */
void ztdp_rules_out_init(struct ztdp_rules_out *out,
			 const struct ztdp_rules_frame *frame);

/* Evaluate one rule set against a frame (section 10.2, steps 1-3). `out`
 * must have been set up with ztdp_rules_out_init; its fields are changed
 * only by the rules that fire. */
enum ztdp_rules_result ztdp_rules_evaluate(const struct ztdp_rule *rules,
					   unsigned int count,
					   const struct ztdp_rules_frame *frame,
					   const struct ztdp_rules_env *env,
					   struct ztdp_rules_out *out);

/* A frame copy the rules ask for: send EXT_FRAME with `ext_flags` to
 * `address` carrying the first `length` bytes of the data. */
struct ztdp_rules_copy {
	uint64_t address;
	uint32_t length;
	uint8_t ext_flags;	/* ZTDP_EXT_FRAME_FLAGS_* */
};

/* Final verdict for a frame: the network rules, then (if they did not
 * decide) the capabilities in order, as 1.14.1's filterOutgoingPacket /
 * filterIncomingPacket do. */
struct ztdp_rules_verdict {
	bool accept;		/* deliver (inbound) / send normally (outbound) */
	bool super_accept;	/* inbound: bypass the bridging checks (11.9) */
	int capability;		/* index of the capability that accepted, or -1 */
	uint8_t qos_bucket;	/* outbound QoS bucket */
	/* Send the whole frame as EXT_FRAME (flags in redirect_flags) to this
	 * address instead of delivering/sending it; accept is then false. */
	uint64_t redirect_to;
	uint8_t redirect_flags;
	/* TEE/WATCH copies to send (a capability's and the network rules'). */
	struct ztdp_rules_copy copies[2];
	unsigned int copy_count;
};

/* One capability's rule list, as the filter sees it. */
struct ztdp_rules_set {
	const struct ztdp_rule *rules;
	unsigned int count;
};

/* Filter one frame: network rules, then each capability set in order (ours
 * outbound, sorted by id; the sender's valid presented ones inbound) until
 * one accepts. `no_tee` suppresses copies (1.14.1 passes it for frames it
 * is already forwarding). Always fills *verdict. Returns verdict->accept. */
bool ztdp_rules_filter(const struct ztdp_rule *rules, unsigned int count,
		       const struct ztdp_rules_set *caps, unsigned int ncaps,
		       const struct ztdp_rules_frame *frame,
		       const struct ztdp_rules_env *env, bool no_tee,
		       struct ztdp_rules_verdict *verdict);

#endif /* ZTDP_RULES_H */
