/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network configuration (protocol notes section 8.2): Dictionary <-> typed
 * struct. Credentials are decoded by their own codecs (com.c, tag.c, coo.c,
 * capability.c) and the rules by rules.c.
 */
#include <stdlib.h>
#include <string.h>

#include "ztdp_buf.h"
#include "ztdp_dict.h"
#include "ztdp_netconf.h"

#define ADDRESS_MAX	((1ULL << (8 * ZTDP_ADDRESS_LEN)) - 1)
#define IPV4_PREFIX_MAX	32
#define IPV6_PREFIX_MAX	128
/* Bytes of the DNS blob 1.14.1 writes when there is no domain and no
 * server: 128 + 4 null addresses. */
#define DNS_EMPTY_LEN	(ZTDP_NETCONF_DNS_DOMAIN_LEN + ZTDP_NETCONF_DNS_SERVERS)

const char *ztdp_netconf_strerror(int err)
{
	switch (err) {
	case ZTDP_NETCONF_OK:
		return "ok";
	case ZTDP_NETCONF_EDICT:
		return "dictionary malformed";
	case ZTDP_NETCONF_EMISSING:
		return "required key missing";
	case ZTDP_NETCONF_EVERSION:
		return "legacy config format (v < 6)";
	case ZTDP_NETCONF_EVALUE:
		return "bad value";
	case ZTDP_NETCONF_ELIMIT:
		return "too many items";
	case ZTDP_NETCONF_ECRED:
		return "credential does not decode";
	case ZTDP_NETCONF_ERULES:
		return "rules do not decode";
	case ZTDP_NETCONF_ENOSPC:
		return "no room in output";
	case ZTDP_NETCONF_ENOMEM:
		return "out of memory";
	default:
		return "unknown netconf error";
	}
}

void ztdp_netconf_init(struct ztdp_netconf *nc)
{
	memset(nc, 0, sizeof(*nc));
	nc->version = ZTDP_NETCONF_VERSION;
	nc->mtu = ZTDP_VIRTUAL_MTU_DEFAULT;
	nc->multicast_limit = ZTDP_NETCONF_DEFAULT_MULTICAST_LIMIT;
	nc->credential_time_max_delta = ZTDP_NETCONF_CTMD_DEFAULT;
	nc->type = ZTDP_NETCONF_TYPE_PRIVATE;
	nc->has_dns = true;
}

struct ztdp_netconf *ztdp_netconf_alloc(void)
{
	struct ztdp_netconf *nc = malloc(sizeof(*nc));

	if (nc != NULL)
		ztdp_netconf_init(nc);
	return nc;
}

void ztdp_netconf_free(struct ztdp_netconf *nc)
{
	free(nc);
}

/* ---- Decoding ------------------------------------------------------------ */

struct dec {
	struct ztdp_dict d;
	struct ztdp_netconf *nc;
	uint8_t *scratch;	/* unescaped binary values */
	size_t scratch_cap;
	const char *bad_key;
};

static int dict_err(int rc)
{
	return rc == ZTDP_DICT_ETOOBIG ? ZTDP_NETCONF_ELIMIT : ZTDP_NETCONF_EVALUE;
}

/* Optional hex integer: *v untouched if absent. */
static int get_u64(struct dec *x, const char *key, uint64_t *v)
{
	int rc = ztdp_dict_get_u64(&x->d, key, v);

	if (rc == ZTDP_DICT_OK || rc == ZTDP_DICT_ENOENT)
		return ZTDP_NETCONF_OK;
	x->bad_key = key;
	return dict_err(rc);
}

static int get_required_u64(struct dec *x, const char *key, uint64_t *v)
{
	if (!ztdp_dict_has(&x->d, key)) {
		x->bad_key = key;
		return ZTDP_NETCONF_EMISSING;
	}
	return get_u64(x, key, v);
}

static int get_address(struct dec *x, const char *key, uint64_t *v)
{
	int rc = get_u64(x, key, v);

	if (rc == ZTDP_NETCONF_OK && *v > ADDRESS_MAX) {
		x->bad_key = key;
		return ZTDP_NETCONF_EVALUE;
	}
	return rc;
}

static int get_str(struct dec *x, const char *key, char *out, size_t cap)
{
	int rc = ztdp_dict_get_str(&x->d, key, out, cap);

	if (rc == ZTDP_DICT_OK || rc == ZTDP_DICT_ENOENT)
		return ZTDP_NETCONF_OK;
	x->bad_key = key;
	return dict_err(rc);
}

/* Unescaped binary value into the scratch buffer; *present false if the
 * key is absent. */
static int get_blob(struct dec *x, const char *key, struct ztdp_rd *r,
		    bool *present)
{
	size_t n = 0;
	int rc = ztdp_dict_get_bin(&x->d, key, x->scratch, x->scratch_cap, &n);

	*present = rc == ZTDP_DICT_OK;
	ztdp_rd_init(r, x->scratch, n);
	if (rc == ZTDP_DICT_OK || rc == ZTDP_DICT_ENOENT)
		return ZTDP_NETCONF_OK;
	x->bad_key = key;
	return dict_err(rc);
}

static bool prefix_ok(const struct ztdp_inetaddr *a)
{
	return (a->family == 4 && a->port <= IPV4_PREFIX_MAX) ||
	       (a->family == 6 && a->port <= IPV6_PREFIX_MAX);
}

static int decode_scalars(struct dec *x)
{
	struct ztdp_netconf *nc = x->nc;
	uint64_t v;
	int rc;

	if ((rc = get_required_u64(x, ZTDP_NETCONF_KEY_VERSION, &nc->version)) != 0)
		return rc;
	if (nc->version < ZTDP_NETCONF_VERSION_MIN) {
		x->bad_key = ZTDP_NETCONF_KEY_VERSION;
		return ZTDP_NETCONF_EVERSION;
	}
	if ((rc = get_required_u64(x, ZTDP_NETCONF_KEY_NWID, &nc->nwid)) != 0)
		return rc;
	if (nc->nwid == 0) {
		x->bad_key = ZTDP_NETCONF_KEY_NWID;
		return ZTDP_NETCONF_EVALUE;
	}
	if (!ztdp_dict_has(&x->d, ZTDP_NETCONF_KEY_ISSUED_TO)) {
		x->bad_key = ZTDP_NETCONF_KEY_ISSUED_TO;
		return ZTDP_NETCONF_EMISSING;
	}
	if ((rc = get_address(x, ZTDP_NETCONF_KEY_ISSUED_TO, &nc->issued_to)) != 0)
		return rc;
	if (nc->issued_to == 0) {
		x->bad_key = ZTDP_NETCONF_KEY_ISSUED_TO;
		return ZTDP_NETCONF_EVALUE;
	}
	if ((rc = get_u64(x, ZTDP_NETCONF_KEY_TIMESTAMP, &nc->timestamp)) != 0 ||
	    (rc = get_u64(x, ZTDP_NETCONF_KEY_CTMD, &nc->credential_time_max_delta)) != 0 ||
	    (rc = get_u64(x, ZTDP_NETCONF_KEY_REVISION, &nc->revision)) != 0 ||
	    (rc = get_address(x, ZTDP_NETCONF_KEY_TRACE_TARGET, &nc->remote_trace_target)) != 0 ||
	    (rc = get_u64(x, ZTDP_NETCONF_KEY_TRACE_LEVEL, &nc->remote_trace_level)) != 0 ||
	    (rc = get_u64(x, ZTDP_NETCONF_KEY_FLAGS, &nc->flags)) != 0)
		return rc;

	v = 0;
	if ((rc = get_u64(x, ZTDP_NETCONF_KEY_MULTICAST_LIMIT, &v)) != 0)
		return rc;
	if (v > UINT32_MAX) {
		x->bad_key = ZTDP_NETCONF_KEY_MULTICAST_LIMIT;
		return ZTDP_NETCONF_EVALUE;
	}
	nc->multicast_limit = (uint32_t)v;

	v = ZTDP_NETCONF_TYPE_PRIVATE;
	if ((rc = get_u64(x, ZTDP_NETCONF_KEY_TYPE, &v)) != 0)
		return rc;
	if (v != ZTDP_NETCONF_TYPE_PRIVATE && v != ZTDP_NETCONF_TYPE_PUBLIC) {
		x->bad_key = ZTDP_NETCONF_KEY_TYPE;
		return ZTDP_NETCONF_EVALUE;
	}
	nc->type = (uint8_t)v;

	if ((rc = get_str(x, ZTDP_NETCONF_KEY_NAME, nc->name, sizeof(nc->name))) != 0)
		return rc;

	/* 1.14.1: default 2800, clamped to what IPv6 needs and its maximum. */
	v = ZTDP_VIRTUAL_MTU_DEFAULT;
	if ((rc = get_u64(x, ZTDP_NETCONF_KEY_MTU, &v)) != 0)
		return rc;
	if (v < ZTDP_VIRTUAL_MTU_MIN)
		v = ZTDP_VIRTUAL_MTU_MIN;
	else if (v > ZTDP_VIRTUAL_MTU_MAX)
		v = ZTDP_VIRTUAL_MTU_MAX;
	nc->mtu = (uint32_t)v;
	return ZTDP_NETCONF_OK;
}

/* A blob must be used up exactly by its records. */
static int blob_end(struct dec *x, const char *key, const struct ztdp_rd *r,
		    int err)
{
	if (!ztdp_rd_ok(r) || ztdp_rd_left(r) != 0) {
		x->bad_key = key;
		return err;
	}
	return ZTDP_NETCONF_OK;
}

static int decode_credentials(struct dec *x)
{
	struct ztdp_netconf *nc = x->nc;
	struct ztdp_rd r;
	bool present;
	int rc;

	if ((rc = get_blob(x, ZTDP_NETCONF_KEY_COM, &r, &present)) != 0)
		return rc;
	if (present) {
		if (ztdp_com_decode(&r, &nc->com) != ZTDP_CRED_OK) {
			x->bad_key = ZTDP_NETCONF_KEY_COM;
			return ZTDP_NETCONF_ECRED;
		}
		if ((rc = blob_end(x, ZTDP_NETCONF_KEY_COM, &r, ZTDP_NETCONF_ECRED)) != 0)
			return rc;
		nc->has_com = true;
	}

	if ((rc = get_blob(x, ZTDP_NETCONF_KEY_CAPABILITIES, &r, &present)) != 0)
		return rc;
	while (ztdp_rd_left(&r) > 0) {
		if (nc->capability_count >= ZTDP_NETCONF_MAX_CAPABILITIES) {
			x->bad_key = ZTDP_NETCONF_KEY_CAPABILITIES;
			return ZTDP_NETCONF_ELIMIT;
		}
		if (ztdp_capability_decode(&r, &nc->capabilities[nc->capability_count]) !=
		    ZTDP_CAP_OK) {
			x->bad_key = ZTDP_NETCONF_KEY_CAPABILITIES;
			return ZTDP_NETCONF_ECRED;
		}
		nc->capability_count++;
	}

	if ((rc = get_blob(x, ZTDP_NETCONF_KEY_TAGS, &r, &present)) != 0)
		return rc;
	while (ztdp_rd_left(&r) > 0) {
		if (nc->tag_count >= ZTDP_NETCONF_MAX_TAGS) {
			x->bad_key = ZTDP_NETCONF_KEY_TAGS;
			return ZTDP_NETCONF_ELIMIT;
		}
		if (ztdp_tag_decode(&r, &nc->tags[nc->tag_count]) != ZTDP_CRED_OK) {
			x->bad_key = ZTDP_NETCONF_KEY_TAGS;
			return ZTDP_NETCONF_ECRED;
		}
		nc->tag_count++;
	}

	if ((rc = get_blob(x, ZTDP_NETCONF_KEY_COOS, &r, &present)) != 0)
		return rc;
	while (ztdp_rd_left(&r) > 0) {
		if (nc->coo_count >= ZTDP_NETCONF_MAX_COOS) {
			x->bad_key = ZTDP_NETCONF_KEY_COOS;
			return ZTDP_NETCONF_ELIMIT;
		}
		if (ztdp_coo_decode(&r, &nc->coos[nc->coo_count]) != ZTDP_CRED_OK) {
			x->bad_key = ZTDP_NETCONF_KEY_COOS;
			return ZTDP_NETCONF_ECRED;
		}
		nc->coo_count++;
	}
	return ZTDP_NETCONF_OK;
}

static int decode_addressing(struct dec *x)
{
	struct ztdp_netconf *nc = x->nc;
	struct ztdp_rd r;
	bool present;
	int rc;

	/* S: whole u64s only (1.14.1 ignores a ragged tail; we reject it). */
	if ((rc = get_blob(x, ZTDP_NETCONF_KEY_SPECIALISTS, &r, &present)) != 0)
		return rc;
	if (ztdp_rd_left(&r) % 8 != 0) {
		x->bad_key = ZTDP_NETCONF_KEY_SPECIALISTS;
		return ZTDP_NETCONF_EVALUE;
	}
	if (ztdp_rd_left(&r) / 8 > ZTDP_NETCONF_MAX_SPECIALISTS) {
		x->bad_key = ZTDP_NETCONF_KEY_SPECIALISTS;
		return ZTDP_NETCONF_ELIMIT;
	}
	while (ztdp_rd_left(&r) > 0)
		nc->specialists[nc->specialist_count++] = ztdp_rd_u64(&r);

	if ((rc = get_blob(x, ZTDP_NETCONF_KEY_ROUTES, &r, &present)) != 0)
		return rc;
	while (ztdp_rd_left(&r) > 0) {
		struct ztdp_netconf_route *rt;

		if (nc->route_count >= ZTDP_NETCONF_MAX_ROUTES) {
			x->bad_key = ZTDP_NETCONF_KEY_ROUTES;
			return ZTDP_NETCONF_ELIMIT;
		}
		rt = &nc->routes[nc->route_count];
		if (ztdp_inetaddr_decode(&r, &rt->target) != 0 ||
		    ztdp_inetaddr_decode(&r, &rt->via) != 0) {
			x->bad_key = ZTDP_NETCONF_KEY_ROUTES;
			return ZTDP_NETCONF_EVALUE;
		}
		rt->flags = ztdp_rd_u16(&r);
		rt->metric = ztdp_rd_u16(&r);
		if (!ztdp_rd_ok(&r) || !prefix_ok(&rt->target)) {
			x->bad_key = ZTDP_NETCONF_KEY_ROUTES;
			return ZTDP_NETCONF_EVALUE;
		}
		nc->route_count++;
	}

	if ((rc = get_blob(x, ZTDP_NETCONF_KEY_STATIC_IPS, &r, &present)) != 0)
		return rc;
	while (ztdp_rd_left(&r) > 0) {
		struct ztdp_inetaddr a;

		if (ztdp_inetaddr_decode(&r, &a) != 0) {
			x->bad_key = ZTDP_NETCONF_KEY_STATIC_IPS;
			return ZTDP_NETCONF_EVALUE;
		}
		if (a.family == 0)
			continue;	/* null or reserved type: nothing to assign */
		if (!prefix_ok(&a)) {
			x->bad_key = ZTDP_NETCONF_KEY_STATIC_IPS;
			return ZTDP_NETCONF_EVALUE;
		}
		if (nc->static_ip_count >= ZTDP_NETCONF_MAX_STATIC_IPS) {
			x->bad_key = ZTDP_NETCONF_KEY_STATIC_IPS;
			return ZTDP_NETCONF_ELIMIT;
		}
		nc->static_ips[nc->static_ip_count++] = a;
	}
	return ZTDP_NETCONF_OK;
}

static int decode_rules_and_dns(struct dec *x)
{
	struct ztdp_netconf *nc = x->nc;
	struct ztdp_rd r;
	bool present;
	int rc;

	if ((rc = get_blob(x, ZTDP_NETCONF_KEY_RULES, &r, &present)) != 0)
		return rc;
	if (present) {
		rc = ztdp_rules_decode_all(&r, nc->rules, ZTDP_NETCONF_MAX_RULES,
					   &nc->rule_count);
		if (rc != ZTDP_RULES_OK) {
			nc->rule_count = 0;
			x->bad_key = ZTDP_NETCONF_KEY_RULES;
			return rc == ZTDP_RULES_E_TOO_MANY ? ZTDP_NETCONF_ELIMIT :
							     ZTDP_NETCONF_ERULES;
		}
		if ((rc = blob_end(x, ZTDP_NETCONF_KEY_RULES, &r, ZTDP_NETCONF_ERULES)) != 0)
			return rc;
	}

	if ((rc = get_blob(x, ZTDP_NETCONF_KEY_DNS, &r, &present)) != 0)
		return rc;
	if (present) {
		const uint8_t *dom = ztdp_rd_take(&r, ZTDP_NETCONF_DNS_DOMAIN_LEN);

		/* The domain is a C string in a 128-byte field. */
		if (dom == NULL || dom[ZTDP_NETCONF_DNS_DOMAIN_LEN - 1] != 0) {
			x->bad_key = ZTDP_NETCONF_KEY_DNS;
			return ZTDP_NETCONF_EVALUE;
		}
		memcpy(nc->dns.domain, dom, ZTDP_NETCONF_DNS_DOMAIN_LEN);
		for (size_t i = strlen(nc->dns.domain); i < ZTDP_NETCONF_DNS_DOMAIN_LEN; i++)
			nc->dns.domain[i] = '\0';	/* canonical padding */
		for (int i = 0; i < ZTDP_NETCONF_DNS_SERVERS; i++) {
			if (ztdp_inetaddr_decode(&r, &nc->dns.servers[i]) != 0) {
				x->bad_key = ZTDP_NETCONF_KEY_DNS;
				return ZTDP_NETCONF_EVALUE;
			}
		}
		if ((rc = blob_end(x, ZTDP_NETCONF_KEY_DNS, &r, ZTDP_NETCONF_EVALUE)) != 0)
			return rc;
		nc->has_dns = true;
	}
	return ZTDP_NETCONF_OK;
}

/* SSO keys: all that are present are kept, whatever ssov/ssoe say; which
 * of them a node uses depends on those two, as in 1.14.1. */
static int decode_sso(struct dec *x)
{
	struct ztdp_netconf_sso *s = &x->nc->sso;
	int rc;

	rc = ztdp_dict_get_bool(&x->d, ZTDP_NETCONF_KEY_SSO_ENABLED, &s->enabled);
	if (rc != ZTDP_DICT_OK && rc != ZTDP_DICT_ENOENT) {
		x->bad_key = ZTDP_NETCONF_KEY_SSO_ENABLED;
		return ZTDP_NETCONF_EVALUE;
	}
	rc = ztdp_dict_get_i64(&x->d, ZTDP_NETCONF_KEY_AUTH_EXPIRY, &s->auth_expiry);
	if (rc != ZTDP_DICT_OK && rc != ZTDP_DICT_ENOENT) {
		x->bad_key = ZTDP_NETCONF_KEY_AUTH_EXPIRY;
		return ZTDP_NETCONF_EVALUE;
	}
	if ((rc = get_u64(x, ZTDP_NETCONF_KEY_SSO_VERSION, &s->version)) != 0 ||
	    (rc = get_str(x, ZTDP_NETCONF_KEY_AUTH_URL, s->auth_url, sizeof(s->auth_url))) != 0 ||
	    (rc = get_str(x, ZTDP_NETCONF_KEY_ISSUER_URL, s->issuer_url, sizeof(s->issuer_url))) != 0 ||
	    (rc = get_str(x, ZTDP_NETCONF_KEY_CENTRAL_URL, s->central_url, sizeof(s->central_url))) != 0 ||
	    (rc = get_str(x, ZTDP_NETCONF_KEY_SSO_NONCE, s->nonce, sizeof(s->nonce))) != 0 ||
	    (rc = get_str(x, ZTDP_NETCONF_KEY_SSO_STATE, s->state, sizeof(s->state))) != 0 ||
	    (rc = get_str(x, ZTDP_NETCONF_KEY_SSO_CLIENT_ID, s->client_id, sizeof(s->client_id))) != 0 ||
	    (rc = get_str(x, ZTDP_NETCONF_KEY_SSO_PROVIDER, s->provider, sizeof(s->provider))) != 0)
		return rc;
	return ZTDP_NETCONF_OK;
}

int ztdp_netconf_decode(const void *dict, size_t len, struct ztdp_netconf *nc,
			const char **bad_key)
{
	struct dec x;
	int rc;

	memset(nc, 0, sizeof(*nc));
	memset(&x, 0, sizeof(x));
	x.nc = nc;
	if (bad_key != NULL)
		*bad_key = NULL;
	rc = ztdp_dict_init(&x.d, dict, len);
	if (rc != ZTDP_DICT_OK)
		return rc == ZTDP_DICT_ETOOBIG ? ZTDP_NETCONF_ELIMIT : ZTDP_NETCONF_EDICT;
	/* An unescaped value is never longer than the text holding it. */
	x.scratch_cap = x.d.len;
	x.scratch = malloc(x.scratch_cap > 0 ? x.scratch_cap : 1);
	if (x.scratch == NULL)
		return ZTDP_NETCONF_ENOMEM;

	if ((rc = decode_scalars(&x)) != 0 ||
	    (rc = decode_credentials(&x)) != 0 ||
	    (rc = decode_addressing(&x)) != 0 ||
	    (rc = decode_rules_and_dns(&x)) != 0 ||
	    (rc = decode_sso(&x)) != 0)
		goto fail;
	free(x.scratch);
	return ZTDP_NETCONF_OK;
fail:
	free(x.scratch);
	memset(nc, 0, sizeof(*nc));
	if (bad_key != NULL)
		*bad_key = x.bad_key;
	return rc;
}

/* ---- Encoding -------------------------------------------------------------- */

struct enc {
	struct ztdp_dict_wr dw;
	uint8_t *blob;		/* binary values are built here first */
	size_t blob_cap;
	int err;
};

static void enc_fail(struct enc *e, int err)
{
	if (e->err == 0)
		e->err = err;
}

/* ztdp_inetaddr_encode latches the writer's error for a bad family as for
 * a full buffer; check the family first to tell the two apart. */
static bool addr_ok(const struct ztdp_inetaddr *a)
{
	return ztdp_inetaddr_encoded_len(a) != 0;
}

/* Add the blob built in w if it is not empty (or if always). */
static void enc_blob(struct enc *e, const char *key, const struct ztdp_wr *w,
		     bool always)
{
	if (!ztdp_wr_ok(w)) {
		enc_fail(e, ZTDP_NETCONF_ENOSPC);
		return;
	}
	if (w->off > 0 || always)
		ztdp_dict_set_bin(&e->dw, key, e->blob, w->off);
}

static void encode_scalars(struct enc *e, const struct ztdp_netconf *nc)
{
	struct ztdp_dict_wr *dw = &e->dw;

	ztdp_dict_set_u64(dw, ZTDP_NETCONF_KEY_VERSION, nc->version);
	ztdp_dict_set_u64(dw, ZTDP_NETCONF_KEY_NWID, nc->nwid);
	ztdp_dict_set_u64(dw, ZTDP_NETCONF_KEY_TIMESTAMP, nc->timestamp);
	ztdp_dict_set_u64(dw, ZTDP_NETCONF_KEY_CTMD, nc->credential_time_max_delta);
	ztdp_dict_set_u64(dw, ZTDP_NETCONF_KEY_REVISION, nc->revision);
	ztdp_dict_set_address(dw, ZTDP_NETCONF_KEY_ISSUED_TO, nc->issued_to);
	ztdp_dict_set_address(dw, ZTDP_NETCONF_KEY_TRACE_TARGET, nc->remote_trace_target);
	ztdp_dict_set_u64(dw, ZTDP_NETCONF_KEY_TRACE_LEVEL, nc->remote_trace_level);
	ztdp_dict_set_u64(dw, ZTDP_NETCONF_KEY_FLAGS, nc->flags);
	ztdp_dict_set_u64(dw, ZTDP_NETCONF_KEY_MULTICAST_LIMIT, nc->multicast_limit);
	ztdp_dict_set_u64(dw, ZTDP_NETCONF_KEY_TYPE, nc->type);
	ztdp_dict_set_str(dw, ZTDP_NETCONF_KEY_NAME, nc->name);
	ztdp_dict_set_u64(dw, ZTDP_NETCONF_KEY_MTU, nc->mtu);
}

static void encode_credentials(struct enc *e, const struct ztdp_netconf *nc)
{
	struct ztdp_wr w;

	if (nc->has_com) {
		ztdp_wr_init(&w, e->blob, e->blob_cap);
		if (ztdp_com_encode(&w, &nc->com) != ZTDP_CRED_OK)
			enc_fail(e, ZTDP_NETCONF_ENOSPC);
		enc_blob(e, ZTDP_NETCONF_KEY_COM, &w, true);
	}

	ztdp_wr_init(&w, e->blob, e->blob_cap);
	for (unsigned int i = 0; i < nc->capability_count; i++)
		if (ztdp_capability_encode(&w, &nc->capabilities[i]) != ZTDP_CAP_OK)
			enc_fail(e, ZTDP_NETCONF_ECRED);
	enc_blob(e, ZTDP_NETCONF_KEY_CAPABILITIES, &w, false);

	ztdp_wr_init(&w, e->blob, e->blob_cap);
	for (unsigned int i = 0; i < nc->tag_count; i++)
		ztdp_tag_encode(&w, &nc->tags[i]);
	enc_blob(e, ZTDP_NETCONF_KEY_TAGS, &w, false);

	ztdp_wr_init(&w, e->blob, e->blob_cap);
	for (unsigned int i = 0; i < nc->coo_count; i++)
		if (ztdp_coo_encode(&w, &nc->coos[i]) == ZTDP_CRED_EINVAL)
			enc_fail(e, ZTDP_NETCONF_ECRED);
	enc_blob(e, ZTDP_NETCONF_KEY_COOS, &w, false);
}

static void encode_addressing(struct enc *e, const struct ztdp_netconf *nc)
{
	struct ztdp_wr w;

	ztdp_wr_init(&w, e->blob, e->blob_cap);
	for (unsigned int i = 0; i < nc->specialist_count; i++)
		ztdp_wr_u64(&w, nc->specialists[i]);
	enc_blob(e, ZTDP_NETCONF_KEY_SPECIALISTS, &w, false);

	ztdp_wr_init(&w, e->blob, e->blob_cap);
	for (unsigned int i = 0; i < nc->route_count; i++) {
		const struct ztdp_netconf_route *rt = &nc->routes[i];

		if (!addr_ok(&rt->target) || !addr_ok(&rt->via))
			enc_fail(e, ZTDP_NETCONF_EVALUE);
		ztdp_inetaddr_encode(&w, &rt->target);
		ztdp_inetaddr_encode(&w, &rt->via);
		ztdp_wr_u16(&w, rt->flags);
		ztdp_wr_u16(&w, rt->metric);
	}
	enc_blob(e, ZTDP_NETCONF_KEY_ROUTES, &w, false);

	ztdp_wr_init(&w, e->blob, e->blob_cap);
	for (unsigned int i = 0; i < nc->static_ip_count; i++) {
		if (!addr_ok(&nc->static_ips[i]))
			enc_fail(e, ZTDP_NETCONF_EVALUE);
		ztdp_inetaddr_encode(&w, &nc->static_ips[i]);
	}
	enc_blob(e, ZTDP_NETCONF_KEY_STATIC_IPS, &w, false);
}

static void encode_rules_and_dns(struct enc *e, const struct ztdp_netconf *nc)
{
	struct ztdp_wr w;
	int rc;

	if (nc->rule_count > 0) {
		ztdp_wr_init(&w, e->blob, e->blob_cap);
		rc = ztdp_rules_encode(&w, nc->rules, nc->rule_count);
		if (rc == ZTDP_RULES_E_NOSPACE)
			enc_fail(e, ZTDP_NETCONF_ENOSPC);
		else if (rc != ZTDP_RULES_OK)
			enc_fail(e, ZTDP_NETCONF_ERULES);
		enc_blob(e, ZTDP_NETCONF_KEY_RULES, &w, false);
	}

	if (nc->has_dns) {
		char dom[ZTDP_NETCONF_DNS_DOMAIN_LEN];

		/* NUL-padded, and NUL-terminated whatever the caller left. */
		memset(dom, 0, sizeof(dom));
		memcpy(dom, nc->dns.domain,
		       strnlen(nc->dns.domain, sizeof(dom) - 1));
		ztdp_wr_init(&w, e->blob, e->blob_cap);
		ztdp_wr_bytes(&w, dom, sizeof(dom));
		for (int i = 0; i < ZTDP_NETCONF_DNS_SERVERS; i++) {
			if (!addr_ok(&nc->dns.servers[i]))
				enc_fail(e, ZTDP_NETCONF_EVALUE);
			ztdp_inetaddr_encode(&w, &nc->dns.servers[i]);
		}
		enc_blob(e, ZTDP_NETCONF_KEY_DNS, &w, true);
	}
}

/* What 1.14.1's controller writes for SSO versions 0 and 1. (For any
 * other version it writes no SSO key at all; we still write ssov and ssoe
 * so that the version survives a decode/encode round.) */
static void encode_sso(struct enc *e, const struct ztdp_netconf *nc)
{
	const struct ztdp_netconf_sso *s = &nc->sso;
	struct ztdp_dict_wr *dw = &e->dw;

	ztdp_dict_set_u64(dw, ZTDP_NETCONF_KEY_SSO_VERSION, s->version);
	ztdp_dict_set_bool(dw, ZTDP_NETCONF_KEY_SSO_ENABLED, s->enabled);
	if (s->version == 0) {
		if (s->enabled) {
			if (s->auth_url[0] != '\0')
				ztdp_dict_set_str(dw, ZTDP_NETCONF_KEY_AUTH_URL, s->auth_url);
			ztdp_dict_set_i64(dw, ZTDP_NETCONF_KEY_AUTH_EXPIRY, s->auth_expiry);
		}
	} else if (s->version == 1) {
		ztdp_dict_set_str(dw, ZTDP_NETCONF_KEY_ISSUER_URL, s->issuer_url);
		ztdp_dict_set_str(dw, ZTDP_NETCONF_KEY_CENTRAL_URL, s->central_url);
		ztdp_dict_set_str(dw, ZTDP_NETCONF_KEY_SSO_NONCE, s->nonce);
		ztdp_dict_set_str(dw, ZTDP_NETCONF_KEY_SSO_STATE, s->state);
		ztdp_dict_set_str(dw, ZTDP_NETCONF_KEY_SSO_CLIENT_ID, s->client_id);
		ztdp_dict_set_str(dw, ZTDP_NETCONF_KEY_SSO_PROVIDER, s->provider);
	}
}

int ztdp_netconf_encode(const struct ztdp_netconf *nc, void *buf, size_t cap,
			size_t *len)
{
	struct enc e;
	int rc;

	memset(&e, 0, sizeof(e));
	if (len != NULL)
		*len = 0;
	if (nc->capability_count > ZTDP_NETCONF_MAX_CAPABILITIES ||
	    nc->tag_count > ZTDP_NETCONF_MAX_TAGS ||
	    nc->coo_count > ZTDP_NETCONF_MAX_COOS ||
	    nc->specialist_count > ZTDP_NETCONF_MAX_SPECIALISTS ||
	    nc->route_count > ZTDP_NETCONF_MAX_ROUTES ||
	    nc->static_ip_count > ZTDP_NETCONF_MAX_STATIC_IPS ||
	    nc->rule_count > ZTDP_NETCONF_MAX_RULES)
		return ZTDP_NETCONF_ELIMIT;
	if (memchr(nc->name, '\0', sizeof(nc->name)) == NULL)
		return ZTDP_NETCONF_EVALUE;
	/* A binary value can never be longer than the whole text. */
	e.blob_cap = cap < ZTDP_DICT_MAX_LEN ? cap : ZTDP_DICT_MAX_LEN;
	e.blob = malloc(e.blob_cap > 0 ? e.blob_cap : 1);
	if (e.blob == NULL)
		return ZTDP_NETCONF_ENOMEM;
	ztdp_dict_wr_init(&e.dw, buf, cap);

	encode_scalars(&e, nc);
	encode_credentials(&e, nc);
	encode_addressing(&e, nc);
	encode_rules_and_dns(&e, nc);
	encode_sso(&e, nc);

	free(e.blob);
	if (e.err != 0)
		return e.err;
	rc = ztdp_dict_wr_finish(&e.dw, len);
	if (rc == ZTDP_DICT_OK)
		return ZTDP_NETCONF_OK;
	return rc == ZTDP_DICT_EINVAL ? ZTDP_NETCONF_EVALUE : ZTDP_NETCONF_ENOSPC;
}

/* ---- Queries --------------------------------------------------------------- */

bool ztdp_netconf_specialist_has(const struct ztdp_netconf *nc,
				 uint64_t address, uint64_t flag)
{
	for (unsigned int i = 0; i < nc->specialist_count &&
	     i < ZTDP_NETCONF_MAX_SPECIALISTS; i++) {
		uint64_t s = nc->specialists[i];

		if ((s & ZTDP_NETCONF_SPECIALIST_ADDRESS_MASK) == address &&
		    (s & flag) != 0)
			return true;
	}
	return false;
}

unsigned int ztdp_netconf_active_bridges(const struct ztdp_netconf *nc,
					 uint64_t *out, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nc->specialist_count &&
	     i < ZTDP_NETCONF_MAX_SPECIALISTS; i++) {
		uint64_t s = nc->specialists[i];

		if ((s & ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE) == 0)
			continue;
		if (n < max && out != NULL)
			out[n] = s & ZTDP_NETCONF_SPECIALIST_ADDRESS_MASK;
		n++;
	}
	return n;
}

bool ztdp_netconf_credential_time_ok(const struct ztdp_netconf *nc,
				     uint64_t ts)
{
	uint64_t d = ts >= nc->timestamp ? ts - nc->timestamp : nc->timestamp - ts;

	return d <= nc->credential_time_max_delta;
}
