/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network configuration (protocol notes section 8.2): the Dictionary a
 * controller sends in config chunks, as a typed struct, and back.
 *
 * Decoding is strict: every known key must parse completely (integers are
 * hex, binary blobs must be consumed exactly by their records), arrays over
 * the ZTDP_NETCONF_MAX_* limits (ztdp_wire.h; the 1.14.1 limits) are
 * rejected rather than truncated, and `v` below 6 (the legacy format) is
 * refused. Unknown keys, and the legacy keys of v < 6, are ignored. The MTU
 * is clamped to 1280..10000 as 1.14.1 does.
 *
 * Encoding writes what a 1.14.1 controller writes, in its order (v, nwid,
 * ts, ctmd, r, id, tt, tl, f, ml, t, n, mtu, C, CAP, TAG, COO, S, RT, I, R,
 * DNS, then the SSO keys), with the same number forms, so a config decoded
 * from a 1.14.1 controller re-encodes byte for byte. (One deliberate
 * difference: for an SSO version other than 0 or 1, which 1.14.1 never
 * issues, ssov and ssoe are still written so the version survives.)
 *
 * struct ztdp_netconf is large (hundreds of KiB: 128 capabilities of 64
 * rules each): allocate it with ztdp_netconf_alloc, not on the stack.
 */
#ifndef ZTDP_NETCONF_H
#define ZTDP_NETCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_capability.h"
#include "ztdp_credentials.h"
#include "ztdp_inetaddr.h"
#include "ztdp_rules.h"
#include "ztdp_wire.h"

/* Error codes (0 = success). */
enum {
	ZTDP_NETCONF_OK = 0,
	ZTDP_NETCONF_EDICT = -1,	/* the dictionary text itself is malformed */
	ZTDP_NETCONF_EMISSING = -2,	/* a required key (v, nwid, id) is absent */
	ZTDP_NETCONF_EVERSION = -3,	/* v < 6: legacy format */
	ZTDP_NETCONF_EVALUE = -4,	/* a key's value does not parse or is out of range */
	ZTDP_NETCONF_ELIMIT = -5,	/* more items than ZTDP_NETCONF_MAX_* */
	ZTDP_NETCONF_ECRED = -6,	/* C / CAP / TAG / COO does not decode */
	ZTDP_NETCONF_ERULES = -7,	/* R does not decode */
	ZTDP_NETCONF_ENOSPC = -8,	/* encoder: output full */
	ZTDP_NETCONF_ENOMEM = -9,
};

const char *ztdp_netconf_strerror(int err);

/* Config keys (section 8.2). */
#define ZTDP_NETCONF_KEY_VERSION	"v"
#define ZTDP_NETCONF_KEY_NWID		"nwid"
#define ZTDP_NETCONF_KEY_TIMESTAMP	"ts"
#define ZTDP_NETCONF_KEY_CTMD		"ctmd"
#define ZTDP_NETCONF_KEY_REVISION	"r"
#define ZTDP_NETCONF_KEY_ISSUED_TO	"id"
#define ZTDP_NETCONF_KEY_TRACE_TARGET	"tt"
#define ZTDP_NETCONF_KEY_TRACE_LEVEL	"tl"
#define ZTDP_NETCONF_KEY_FLAGS		"f"
#define ZTDP_NETCONF_KEY_MULTICAST_LIMIT "ml"
#define ZTDP_NETCONF_KEY_TYPE		"t"
#define ZTDP_NETCONF_KEY_NAME		"n"
#define ZTDP_NETCONF_KEY_MTU		"mtu"
#define ZTDP_NETCONF_KEY_COM		"C"
#define ZTDP_NETCONF_KEY_CAPABILITIES	"CAP"
#define ZTDP_NETCONF_KEY_TAGS		"TAG"
#define ZTDP_NETCONF_KEY_COOS		"COO"
#define ZTDP_NETCONF_KEY_SPECIALISTS	"S"
#define ZTDP_NETCONF_KEY_ROUTES		"RT"
#define ZTDP_NETCONF_KEY_STATIC_IPS	"I"
#define ZTDP_NETCONF_KEY_RULES		"R"
#define ZTDP_NETCONF_KEY_DNS		"DNS"
#define ZTDP_NETCONF_KEY_SSO_ENABLED	"ssoe"
#define ZTDP_NETCONF_KEY_SSO_VERSION	"ssov"
#define ZTDP_NETCONF_KEY_AUTH_URL	"aurl"
#define ZTDP_NETCONF_KEY_AUTH_EXPIRY	"aexpt"
#define ZTDP_NETCONF_KEY_ISSUER_URL	"iurl"
#define ZTDP_NETCONF_KEY_CENTRAL_URL	"ssoce"
#define ZTDP_NETCONF_KEY_SSO_NONCE	"sson"
#define ZTDP_NETCONF_KEY_SSO_STATE	"ssos"
#define ZTDP_NETCONF_KEY_SSO_CLIENT_ID	"ssocid"
#define ZTDP_NETCONF_KEY_SSO_PROVIDER	"ssop"

struct ztdp_netconf_route {
	struct ztdp_inetaddr target;	/* port = prefix bits */
	struct ztdp_inetaddr via;	/* family 0: no gateway */
	uint16_t flags;
	uint16_t metric;
};

struct ztdp_netconf_dns {
	char domain[ZTDP_NETCONF_DNS_DOMAIN_LEN];	/* NUL-terminated */
	struct ztdp_inetaddr servers[ZTDP_NETCONF_DNS_SERVERS];	/* family 0 = unused */
};

struct ztdp_netconf_sso {
	bool enabled;			/* ssoe */
	uint64_t version;		/* ssov: 0 implicit flow, 1 full flow */
	char auth_url[ZTDP_NETCONF_URL_MAX + 1];	/* aurl */
	int64_t auth_expiry;		/* aexpt (ms) */
	char issuer_url[ZTDP_NETCONF_URL_MAX + 1];	/* iurl */
	char central_url[ZTDP_NETCONF_URL_MAX + 1];	/* ssoce */
	char nonce[ZTDP_NETCONF_SSO_NONCE_MAX + 1];	/* sson */
	char state[ZTDP_NETCONF_SSO_STATE_MAX + 1];	/* ssos */
	char client_id[ZTDP_NETCONF_SSO_CLIENT_ID_MAX + 1];	/* ssocid */
	char provider[ZTDP_NETCONF_SSO_PROVIDER_MAX + 1];	/* ssop */
};

struct ztdp_netconf {
	uint64_t version;		/* v (>= 6) */
	uint64_t nwid;			/* non-zero */
	uint64_t timestamp;		/* ts: controller clock, ms */
	uint64_t credential_time_max_delta;	/* ctmd, ms */
	uint64_t revision;		/* r */
	uint64_t issued_to;		/* id: must be our address */
	uint64_t remote_trace_target;	/* tt (address; ignored) */
	uint64_t remote_trace_level;	/* tl (ignored) */
	uint64_t flags;			/* f: ZTDP_NETCONF_FLAG_* */
	uint32_t multicast_limit;	/* ml: 0 = multicast disabled */
	uint8_t type;			/* t: ZTDP_NETCONF_TYPE_* */
	char name[ZTDP_NETCONF_NAME_MAX + 1];	/* n */
	uint32_t mtu;			/* mtu, clamped */

	bool has_com;
	struct ztdp_com com;		/* C: this member's COM */

	unsigned int capability_count;
	struct ztdp_capability capabilities[ZTDP_NETCONF_MAX_CAPABILITIES];
	unsigned int tag_count;
	struct ztdp_tag tags[ZTDP_NETCONF_MAX_TAGS];
	unsigned int coo_count;
	struct ztdp_coo coos[ZTDP_NETCONF_MAX_COOS];

	/* S: low 40 bits address, ZTDP_NETCONF_SPECIALIST_* flags above. */
	unsigned int specialist_count;
	uint64_t specialists[ZTDP_NETCONF_MAX_SPECIALISTS];

	unsigned int route_count;
	struct ztdp_netconf_route routes[ZTDP_NETCONF_MAX_ROUTES];

	/* I: port = prefix length. Null entries are dropped. */
	unsigned int static_ip_count;
	struct ztdp_inetaddr static_ips[ZTDP_NETCONF_MAX_STATIC_IPS];

	unsigned int rule_count;
	struct ztdp_rule rules[ZTDP_NETCONF_MAX_RULES];

	bool has_dns;			/* DNS key present (1.14.1 always sends it) */
	struct ztdp_netconf_dns dns;

	struct ztdp_netconf_sso sso;
};

/* Zeroed config on the heap, with ztdp_netconf_init applied; NULL if out
 * of memory. */
struct ztdp_netconf *ztdp_netconf_alloc(void);
void ztdp_netconf_free(struct ztdp_netconf *nc);

/* Zero nc and set a controller's defaults: v 7, MTU 2800, multicast limit
 * 32, ctmd 30 min, private, DNS present and empty, SSO off. */
void ztdp_netconf_init(struct ztdp_netconf *nc);

/* Parse dictionary text (len bytes, no NUL needed) into nc. On failure nc
 * is zeroed and, if bad_key is not NULL, *bad_key names the key at fault
 * (NULL for whole-dictionary errors). Allocates one scratch buffer for the
 * unescaped binary values, freed before returning. */
int ztdp_netconf_decode(const void *dict, size_t len, struct ztdp_netconf *nc,
			const char **bad_key);

/* Write nc as dictionary text into buf; *len gets its length (no NUL). */
int ztdp_netconf_encode(const struct ztdp_netconf *nc, void *buf, size_t cap,
			size_t *len);

/* ---- Questions the data plane asks ----------------------------------- */

static inline bool ztdp_netconf_is_public(const struct ztdp_netconf *nc)
{
	return nc->type == ZTDP_NETCONF_TYPE_PUBLIC;
}

static inline bool ztdp_netconf_broadcast_enabled(const struct ztdp_netconf *nc)
{
	return (nc->flags & ZTDP_NETCONF_FLAG_ENABLE_BROADCAST) != 0;
}

static inline bool ztdp_netconf_ndp_emulation(const struct ztdp_netconf *nc)
{
	return (nc->flags & ZTDP_NETCONF_FLAG_NDP_EMULATION) != 0;
}

/* True if address is listed in S with (any of) the given flag bits. */
bool ztdp_netconf_specialist_has(const struct ztdp_netconf *nc,
				 uint64_t address, uint64_t flag);

/* Addresses listed in S with the active-bridge bit; returns how many
 * there are (may exceed max; only max are written). */
unsigned int ztdp_netconf_active_bridges(const struct ztdp_netconf *nc,
					 uint64_t *out, unsigned int max);

/* A credential timestamp is acceptable if within ctmd of the config's
 * timestamp (section 9.4). */
bool ztdp_netconf_credential_time_ok(const struct ztdp_netconf *nc,
				     uint64_t ts);

#endif /* ZTDP_NETCONF_H */
