/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The embedded network controller: the networks whose ID starts with our
 * address (nwid = address << 24 | 24-bit number), their members, and the
 * answers to NETWORK_CONFIG_REQUEST, as ZeroTierOne 1.14.1's embedded
 * controller gives them, so that 1.14.1 members join networks we own.
 *
 * Like the node it does no I/O and reads no clock: the node hands it
 * requests and the time; the administrator's changes come in as JSON
 * objects with the field names of ZeroTierOne's /controller API
 * (network: name, private, enableBroadcast, multicastLimit, mtu,
 * ipAssignmentPools, routes, rules, v4AssignMode, v6AssignMode, dns;
 * member: authorized, activeBridge, ipAssignments, noAutoAssignIps,
 * name), and what it needs sent comes out as lists the node drains:
 *
 *   - pushes: (network, member) pairs whose config changed and who asked
 *     within ZTDP_CONTROLLER_ONLINE_MS; the node builds each config with
 *     ztdp_controller_config and sends it as NETWORK_CONFIG;
 *   - revocations: when a member loses its authorization (deauthorized,
 *     deleted, network deleted), a signed revocation of its COM for every
 *     member that asked recently, sent in NETWORK_CREDENTIALS;
 *   - persistence: ztdp_controller_dirty says the state changed since the
 *     last ztdp_controller_save.
 *
 * Input is validated strictly: a wrong type, a value out of range or an
 * unknown field is refused with one line naming the field, and nothing
 * changes. Fields that ZeroTierOne's GET returns but that ztdp does not
 * implement (capabilities, tags, authTokens, SSO, remote trace) are
 * accepted only with their empty or default values, so that a GET result
 * can be posted back. Read-only fields (id, nwid, revision, creationTime,
 * identity, ...) are ignored on input, as ZeroTierOne does.
 *
 * Differences from 1.14.1, on purpose: a requester asking for the legacy
 * config format (metadata v < 6) gets the current one; rules are never
 * dropped silently (an unknown rule type is an error); an IPv4 rule
 * address needs a prefix length.
 *
 * One thread owns a controller; nothing here is thread-safe.
 */
#ifndef ZTDP_CONTROLLER_H
#define ZTDP_CONTROLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ztdp_credentials.h"
#include "ztdp_identity.h"
#include "ztdp_netconf.h"
#include "ztdp_netconf_chunk.h"

/* Limits. */
#define ZTDP_CONTROLLER_MAX_NETWORKS	4096
#define ZTDP_CONTROLLER_MAX_MEMBERS	65536	/* per network */
#define ZTDP_CONTROLLER_MAX_POOLS	64
#define ZTDP_CONTROLLER_MAX_ROUTES	ZTDP_NETCONF_MAX_ROUTES
#define ZTDP_CONTROLLER_MAX_RULES	ZTDP_NETCONF_MAX_RULES
#define ZTDP_CONTROLLER_MAX_IPS		ZTDP_NETCONF_MAX_STATIC_IPS	/* per member */
/* Largest persisted state (ZTDP_STATE_CONTROLLER) read back. */
#define ZTDP_CONTROLLER_STATE_MAX	(32u << 20)
/* Pushes and revocations waiting for the node. */
#define ZTDP_CONTROLLER_MAX_QUEUED	65536

/* Timing (1.14.1's). A member that asked within ONLINE_MS gets pushes and
 * revocations; a second request within MIN_REQUEST_MS is ignored. */
#define ZTDP_CONTROLLER_ONLINE_MS	120000
#define ZTDP_CONTROLLER_MIN_REQUEST_MS	1000
/* /controller "apiVersion" of 1.14.1. */
#define ZTDP_CONTROLLER_API_VERSION	4

/* Results (0 = success). */
enum {
	ZTDP_CTL_OK = 0,
	ZTDP_CTL_EINVAL = -1,	/* bad input: err says which field and why */
	ZTDP_CTL_ENOENT = -2,	/* no such network or member */
	ZTDP_CTL_EEXIST = -3,	/* network ID taken */
	ZTDP_CTL_ELIMIT = -4,	/* too many networks, members or queued items */
	ZTDP_CTL_ENOMEM = -5,
	ZTDP_CTL_EBROKEN = -6,	/* the persisted state did not load: read-only */
};

struct ztdp_controller;

/* A controller signing with id (which must hold its private key; the
 * controller keeps a copy). NULL if out of memory or id has no key. */
struct ztdp_controller *ztdp_controller_create(const struct ztdp_identity *id);
void ztdp_controller_destroy(struct ztdp_controller *c);
uint64_t ztdp_controller_address(const struct ztdp_controller *c);
unsigned int ztdp_controller_network_count(const struct ztdp_controller *c);

/* ---- The /controller API -------------------------------------------------
 * Results are new JSON references, laid out as ZeroTierOne's. On failure
 * the functions return a negative ZTDP_CTL_E* and write one line into err
 * (errlen bytes; err may be NULL). */

/* GET /controller: {controller, apiVersion, clock, databaseReady}. */
json_t *ztdp_controller_status_json(const struct ztdp_controller *c, uint64_t now);
/* GET /controller/network: ["<nwid>", ...], ascending. */
json_t *ztdp_controller_network_list_json(const struct ztdp_controller *c);
/* GET /controller/network/<nwid>. */
int ztdp_controller_network_get(const struct ztdp_controller *c, uint64_t nwid,
				json_t **out, char *err, size_t errlen);
/* Create a network with body's settings (body may be NULL: defaults).
 * nwid 0 picks a free random ID under our address (as POST
 * /controller/network/<address>______); otherwise it must be ours and
 * free. *out (if not NULL) gets the new network. */
int ztdp_controller_network_create(struct ztdp_controller *c, uint64_t nwid,
				   const json_t *body, uint64_t now, json_t **out,
				   char *err, size_t errlen);
/* POST /controller/network/<nwid> on an existing network: the fields in
 * body replace the network's; the revision goes up if anything changed,
 * and every member that asked recently gets a push. */
int ztdp_controller_network_update(struct ztdp_controller *c, uint64_t nwid,
				   const json_t *body, uint64_t now, json_t **out,
				   char *err, size_t errlen);
/* DELETE /controller/network/<nwid>: *out gets the network as it was.
 * Every authorized member's COM is revoked. */
int ztdp_controller_network_delete(struct ztdp_controller *c, uint64_t nwid,
				   uint64_t now, json_t **out, char *err, size_t errlen);
/* GET /controller/network/<nwid>/member: {"<address>": revision, ...};
 * with details, an array of the member objects instead. */
int ztdp_controller_member_list(const struct ztdp_controller *c, uint64_t nwid,
				bool details, json_t **out, char *err, size_t errlen);
int ztdp_controller_member_get(const struct ztdp_controller *c, uint64_t nwid,
			       uint64_t address, json_t **out, char *err,
			       size_t errlen);
/* POST /controller/network/<nwid>/member/<address>: creates the member
 * if it never asked (pre-authorization). Authorizing assigns addresses
 * from the pools at once (1.14.1 does it at the next config);
 * deauthorizing revokes the member's COM. */
int ztdp_controller_member_update(struct ztdp_controller *c, uint64_t nwid,
				  uint64_t address, const json_t *body, uint64_t now,
				  json_t **out, char *err, size_t errlen);
int ztdp_controller_member_delete(struct ztdp_controller *c, uint64_t nwid,
				  uint64_t address, uint64_t now, json_t **out,
				  char *err, size_t errlen);

/* ---- Config requests ------------------------------------------------------ */

enum ztdp_controller_answer {
	ZTDP_CTL_ANSWER_CONFIG,		/* send reply.dict as signed chunks */
	ZTDP_CTL_ANSWER_NOT_FOUND,	/* ERROR OBJ_NOT_FOUND */
	ZTDP_CTL_ANSWER_ACCESS_DENIED,	/* ERROR NETWORK_ACCESS_DENIED */
	ZTDP_CTL_ANSWER_IGNORE,		/* say nothing (repeat within 1 s) */
	ZTDP_CTL_ANSWER_NOT_OURS,	/* network of another controller */
	ZTDP_CTL_ANSWER_ERROR,		/* internal failure (logged by caller) */
};

struct ztdp_controller_reply {
	enum ztdp_controller_answer answer;
	uint64_t nwid;
	uint64_t member;
	/* CONFIG only; owned by the controller, valid until its next call. */
	const uint8_t *dict;		/* the Dictionary, as it goes in chunks */
	size_t dict_len;
	const struct ztdp_netconf *nc;	/* the same, as a struct */
};

/*
 * A NETWORK_CONFIG_REQUEST from `who` (its full identity, as the node knows
 * it) for nwid, with its metadata Dictionary (meta may be NULL). Records
 * the requester (unknown ones as unauthorized members, so that an
 * administrator can authorize them; on a public network as authorized
 * ones), then answers as 1.14.1 would. A member whose recorded identity
 * differs from `who` is denied (address collision).
 */
void ztdp_controller_request(struct ztdp_controller *c, uint64_t now, uint64_t nwid,
			     const struct ztdp_identity *who, const void *meta,
			     size_t meta_len, struct ztdp_controller_reply *out);
/* The config of a member that asked before, for a push (no rate limit, no
 * recording; the metadata of its last request). NOT_FOUND if the network
 * or the member's identity is unknown. */
void ztdp_controller_config(struct ztdp_controller *c, uint64_t now, uint64_t nwid,
			    uint64_t member, struct ztdp_controller_reply *out);
/* Set ch up to cut reply's Dictionary into chunks signed with the
 * controller's identity (ztdp_netconf_chunk.h); update_id is random. */
int ztdp_controller_chunker_init(const struct ztdp_controller *c,
				 const struct ztdp_controller_reply *reply,
				 uint64_t update_id, struct ztdp_netconf_chunker *ch);

/* ---- What the node sends and stores --------------------------------------- */

struct ztdp_controller_push {
	uint64_t nwid;
	uint64_t member;
};

/* The next (network, member) whose config should be pushed now; false
 * when there is none. */
bool ztdp_controller_next_push(struct ztdp_controller *c,
			       struct ztdp_controller_push *out);

struct ztdp_controller_revocation {
	uint64_t to;			/* send to this member */
	struct ztdp_revocation rev;	/* signed */
};

bool ztdp_controller_next_revocation(struct ztdp_controller *c,
				     struct ztdp_controller_revocation *out);

/* True if the state changed since it was last stored (or loaded). */
bool ztdp_controller_dirty(const struct ztdp_controller *c);
/* The whole state as JSON text (malloc'd, *len without the NUL), or NULL
 * (out of memory, or EBROKEN: never overwrite a state we could not read). */
char *ztdp_controller_save(const struct ztdp_controller *c, size_t *len);
/* The text of the last save is stored: clear the dirty flag. */
void ztdp_controller_mark_saved(struct ztdp_controller *c);
/* Replace the state with a saved one. On failure the controller is left
 * empty and read-only (ZTDP_CTL_EBROKEN for every change), so that a
 * state file it cannot read is never overwritten; err says why. */
int ztdp_controller_load(struct ztdp_controller *c, const void *json, size_t len,
			 char *err, size_t errlen);

/* The state exists but cannot be read (too big, out of memory): serve
 * nothing and refuse changes, as after a failed load. */
void ztdp_controller_set_unreadable(struct ztdp_controller *c, const char *why);

const char *ztdp_controller_strerror(int err);

#endif /* ZTDP_CONTROLLER_H */
