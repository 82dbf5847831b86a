/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The controller's insides, shared by controller.c (the object, requests,
 * configs, queues, persistence) and controller_json.c (the JSON forms of
 * networks, members and rules).
 */
#ifndef ZTDP_CONTROLLER_INTERNAL_H
#define ZTDP_CONTROLLER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ztdp_controller.h"
#include "ztdp_inetaddr.h"
#include "ztdp_rules.h"

struct ctl_pool {
	struct ztdp_inetaddr start, end;	/* same family, port 0 */
};

struct ctl_route {
	struct ztdp_inetaddr target;		/* port = prefix bits */
	struct ztdp_inetaddr via;		/* family 0: none */
};

/* What an administrator sets on a network. Plain data: copied by value
 * (so an update is parsed into a copy and committed only if it is whole). */
struct ctl_settings {
	char name[ZTDP_NETCONF_NAME_MAX + 1];
	bool is_private;
	bool enable_broadcast;
	uint32_t multicast_limit;
	uint32_t mtu;
	bool v4_zt;
	bool v6_zt, v6_rfc4193, v6_6plane;
	unsigned int npools;
	struct ctl_pool pools[ZTDP_CONTROLLER_MAX_POOLS];
	unsigned int nroutes;
	struct ctl_route routes[ZTDP_CONTROLLER_MAX_ROUTES];
	unsigned int nrules;
	struct ztdp_rule rules[ZTDP_CONTROLLER_MAX_RULES];
	bool has_dns;				/* "dns" is an object, not [] */
	char dns_domain[ZTDP_NETCONF_DNS_DOMAIN_LEN];	/* NUL-terminated */
	unsigned int ndns;
	struct ztdp_inetaddr dns_servers[ZTDP_NETCONF_DNS_SERVERS];
};

/* How a member got its authorization ("lastAuthorizedCredentialType"). */
enum ctl_auth_type {
	CTL_AUTH_NONE,				/* null */
	CTL_AUTH_API,				/* "api" */
	CTL_AUTH_PUBLIC,			/* "public" */
};

struct ctl_member {
	uint64_t address;
	uint64_t revision;
	uint64_t creation_time;
	char name[ZTDP_NETCONF_NAME_MAX + 1];
	bool authorized;
	bool active_bridge;
	bool no_auto_assign;
	unsigned int nips;
	struct ztdp_inetaddr ips[ZTDP_CONTROLLER_MAX_IPS];	/* port 0 */
	bool has_identity;
	struct ztdp_identity identity;		/* public half only */
	uint64_t last_authorized_time;
	uint64_t last_deauthorized_time;
	enum ctl_auth_type auth_type;
	int vmajor, vminor, vrev, vproto;	/* -1: unknown */
	/* Not persisted: its last request (1.14.1 keeps this in memory too). */
	uint64_t last_request;			/* 0: none since start */
	uint64_t meta_rules_rev;		/* its "revr", for pushes */
};

struct ctl_network {
	uint64_t nwid;
	uint64_t revision;
	uint64_t creation_time;
	struct ctl_settings s;
	unsigned int nmembers, cap;
	struct ctl_member *members;		/* ascending address */
};

/* ---- controller_json.c ----------------------------------------------------- */

/* ZeroTierOne's defaults (DB::initNetwork): private, broadcast, limit 32,
 * MTU 2800, no pools or routes, v4/v6 auto-assignment off, accept all. */
void ctl_settings_default(struct ctl_settings *s);
/* Apply the fields of body (an object) to s; read-only fields are ignored.
 * 0, or ZTDP_CTL_EINVAL with one line in err (s is then partly changed:
 * parse into a copy). */
int ctl_settings_apply_json(struct ctl_settings *s, const json_t *body,
			    char *err, size_t errlen);
/* The network as GET /controller/network/<nwid> shows it. */
json_t *ctl_network_json(const struct ctl_network *net);

/* Apply body's writable fields to m (authorized is left to the caller,
 * which must see the change: *authorized gets the requested value, or -1
 * if body does not say). With `load`, the persisted read-only fields too
 * (identity, revision, times, versions, authorized). */
int ctl_member_apply_json(struct ctl_member *m, const json_t *body, bool load,
			  int *authorized, char *err, size_t errlen);
json_t *ctl_member_json(const struct ctl_network *net, const struct ctl_member *m);

/* Write one line into err (control characters become '?': messages quote
 * the input) and return code. */
int ctl_fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Hex helpers: exactly `digits` hex digits (either case). */
int ctl_parse_hex(const char *s, unsigned int digits, uint64_t *out);
json_t *ctl_hex_json(uint64_t v, int digits);

/* Does route target t (port = prefix bits) contain ip (same family)? */
bool ctl_route_contains(const struct ztdp_inetaddr *t, const struct ztdp_inetaddr *ip);

#endif /* ZTDP_CONTROLLER_INTERNAL_H */
