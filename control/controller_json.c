/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The controller's JSON: networks, members and rules in the form of
 * ZeroTierOne's /controller API (field names and value forms from its
 * GET output; see shared/interop/data/api), read strictly and written
 * back the same way.
 *
 * Reading never trusts the input: every value is type- and range-checked,
 * strings are length-checked against the config fields they end up in,
 * arrays against the config limits, and the first problem becomes the one
 * line the caller returns, naming the field ("rules[2].etherType: ...").
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller_internal.h"
#include "ztdp_mac.h"

/* ---- Small helpers ---------------------------------------------------------- */

int ctl_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		/* Messages quote the input (field names, values): keep them
		 * one printable line whatever it holds. */
		for (char *c = err; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
	}
	return code;
}

#define bad(err, errlen, ...)	ctl_fail(err, errlen, ZTDP_CTL_EINVAL, __VA_ARGS__)

int ctl_parse_hex(const char *s, unsigned int digits, uint64_t *out)
{
	if (s == NULL || strlen(s) != digits || digits == 0 || digits > 16 ||
	    strspn(s, "0123456789abcdefABCDEF") != digits)
		return -1;
	*out = strtoull(s, NULL, 16);
	return 0;
}

json_t *ctl_hex_json(uint64_t v, int digits)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%0*" PRIx64, digits, v);
	return json_string(tmp);
}

/* "10.147.17.11": the address without the port, as InetAddress::toIpString. */
static json_t *ip_json(const struct ztdp_inetaddr *a)
{
	char tmp[ZTDP_INETADDR_STRLEN];
	char *slash;

	if (ztdp_inetaddr_format(a, tmp, sizeof(tmp)) < 0)
		return json_string("");
	slash = strrchr(tmp, '/');
	if (slash != NULL)
		*slash = '\0';
	return json_string(tmp);
}

/* "10.147.17.0/24": address and prefix, as InetAddress::toString. */
static json_t *cidr_json(const struct ztdp_inetaddr *a)
{
	char tmp[ZTDP_INETADDR_STRLEN];

	if (ztdp_inetaddr_format(a, tmp, sizeof(tmp)) < 0)
		tmp[0] = '\0';
	return json_string(tmp);
}

static int get_bool(const json_t *v, const char *path, bool *out, char *err, size_t errlen)
{
	if (!json_is_boolean(v))
		return bad(err, errlen, "%s must be true or false", path);
	*out = json_is_true(v);
	return 0;
}

static int get_uint(const json_t *v, const char *path, uint64_t max, uint64_t *out,
		    char *err, size_t errlen)
{
	json_int_t i;

	if (!json_is_integer(v))
		return bad(err, errlen, "%s must be an integer", path);
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return bad(err, errlen, "%s must be between 0 and %" PRIu64, path, max);
	*out = (uint64_t)i;
	return 0;
}

static int get_string(const json_t *v, const char *path, size_t max, const char **out,
		      char *err, size_t errlen)
{
	if (!json_is_string(v))
		return bad(err, errlen, "%s must be a string", path);
	if (json_string_length(v) > max)
		return bad(err, errlen, "%s is longer than %zu bytes", path, max);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return bad(err, errlen, "%s holds a NUL character", path);
	*out = json_string_value(v);
	return 0;
}

/* A bare IP address ("10.0.0.1", "fd00::1"); with allow_prefix a "/bits"
 * suffix is accepted and dropped (ZeroTierOne keeps only the address). */
static int get_ip(const json_t *v, const char *path, bool allow_prefix,
		  struct ztdp_inetaddr *out, char *err, size_t errlen)
{
	const char *s;

	if (get_string(v, path, ZTDP_INETADDR_STRLEN, &s, err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	if ((!allow_prefix && strchr(s, '/') != NULL) || s[0] == '[' ||
	    ztdp_inetaddr_parse(out, s) != 0)
		return bad(err, errlen, "%s: \"%s\" is not an IP address", path, s);
	out->port = 0;
	return 0;
}

/* "10.147.17.0/24": an address and a prefix no longer than its family's. */
static int get_cidr(const json_t *v, const char *path, struct ztdp_inetaddr *out,
		    char *err, size_t errlen)
{
	const char *s;

	if (get_string(v, path, ZTDP_INETADDR_STRLEN, &s, err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	if (strchr(s, '/') == NULL)
		return bad(err, errlen,
			   "%s: \"%s\" needs a prefix length (e.g. 10.0.0.0/24)", path, s);
	if (s[0] == '[' || ztdp_inetaddr_parse(out, s) != 0)
		return bad(err, errlen, "%s: \"%s\" is not an address/prefix", path, s);
	if (out->port > (out->family == 4 ? 32 : 128))
		return bad(err, errlen,
			   "%s: prefix length %u is over %u", path, out->port,
			   out->family == 4 ? 32 : 128);
	return 0;
}

static bool in_list(const char *key, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(key, *list) == 0)
			return true;
	return false;
}

/* Fields ztdp does not implement: accepted with the value ZeroTierOne's
 * GET shows when they are unused, refused otherwise. */
static int check_unused(const char *key, const json_t *v, char *err, size_t errlen)
{
	bool ok;

	if (strcmp(key, "authTokens") == 0)
		ok = json_is_null(v) || (json_is_object(v) && json_object_size(v) == 0) ||
		     (json_is_array(v) && (json_array_size(v) == 0 ||
		      (json_array_size(v) == 1 && json_is_null(json_array_get(v, 0)))));
	else if (strcmp(key, "capabilities") == 0 || strcmp(key, "tags") == 0)
		ok = json_is_array(v) && json_array_size(v) == 0;
	else if (strcmp(key, "ssoEnabled") == 0 || strcmp(key, "ssoExempt") == 0)
		ok = json_is_false(v);
	else if (strcmp(key, "clientId") == 0 || strcmp(key, "authorizationEndpoint") == 0)
		ok = json_is_string(v) && json_string_length(v) == 0;
	else if (strcmp(key, "remoteTraceTarget") == 0)
		ok = json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
	else if (strcmp(key, "remoteTraceLevel") == 0 ||
		 strcmp(key, "authenticationExpiryTime") == 0)
		ok = json_is_integer(v) && json_integer_value(v) == 0;
	else
		return 1;	/* not one of them */
	if (!ok)
		return bad(err, errlen,
			   "\"%s\" is not supported by ztdp's controller (only its empty/default "
			   "value is accepted)", key);
	return 0;
}

/* ---- Rules ------------------------------------------------------------------ */

/* MATCH_TAGS_* and MATCH_TAG_SENDER/RECEIVER: consecutive types, each with
 * a tag ID and value. */
static bool is_tag_rule(unsigned int type)
{
	return type >= ZTDP_RULE_MATCH_TAGS_DIFFERENCE && type <= ZTDP_RULE_MATCH_TAG_RECEIVER;
}

/* ZeroTierOne names INTEGER_RANGE without MATCH_; both are read. */
static int rule_type_of(const char *s)
{
	if (strcmp(s, "INTEGER_RANGE") == 0)
		return ZTDP_RULE_MATCH_INTEGER_RANGE;
	for (unsigned int t = 0; t <= ZTDP_RULE_TYPE_MASK; t++)
		if (strcmp(ztdp_rule_type_name(t), s) == 0)
			return (int)t;
	return -1;
}

/* The fields each rule type takes beyond type/not/or (NULL-terminated);
 * NULL for types the controller does not take (ZeroTierOne's neither). */
static const char *const *rule_fields(unsigned int type)
{
	static const char *const none[] = { NULL };
	static const char *const fwd[] = { "address", "flags", "length", NULL };
	static const char *const redirect[] = { "address", "flags", NULL };
	static const char *const zt[] = { "zt", NULL };
	static const char *const vlan_id[] = { "vlanId", NULL };
	static const char *const vlan_pcp[] = { "vlanPcp", NULL };
	static const char *const vlan_dei[] = { "vlanDei", NULL };
	static const char *const mac[] = { "mac", NULL };
	static const char *const ip[] = { "ip", NULL };
	static const char *const tos[] = { "mask", "start", "end", NULL };
	static const char *const proto[] = { "ipProtocol", NULL };
	static const char *const ethertype[] = { "etherType", NULL };
	static const char *const icmp[] = { "icmpType", "icmpCode", NULL };
	static const char *const range[] = { "start", "end", NULL };
	static const char *const chars[] = { "mask", NULL };
	static const char *const random[] = { "probability", NULL };
	static const char *const tag[] = { "id", "value", NULL };
	static const char *const intrange[] = { "start", "end", "idx", "little", "bits", NULL };

	if (is_tag_rule(type))
		return tag;
	switch (type) {
	case ZTDP_RULE_ACTION_DROP:
	case ZTDP_RULE_ACTION_ACCEPT:
	case ZTDP_RULE_ACTION_BREAK:
		return none;
	case ZTDP_RULE_ACTION_TEE:
	case ZTDP_RULE_ACTION_WATCH:
		return fwd;
	case ZTDP_RULE_ACTION_REDIRECT:
		return redirect;
	case ZTDP_RULE_MATCH_SOURCE_ZEROTIER_ADDRESS:
	case ZTDP_RULE_MATCH_DEST_ZEROTIER_ADDRESS:
		return zt;
	case ZTDP_RULE_MATCH_VLAN_ID:
		return vlan_id;
	case ZTDP_RULE_MATCH_VLAN_PCP:
		return vlan_pcp;
	case ZTDP_RULE_MATCH_VLAN_DEI:
		return vlan_dei;
	case ZTDP_RULE_MATCH_MAC_SOURCE:
	case ZTDP_RULE_MATCH_MAC_DEST:
		return mac;
	case ZTDP_RULE_MATCH_IPV4_SOURCE:
	case ZTDP_RULE_MATCH_IPV4_DEST:
	case ZTDP_RULE_MATCH_IPV6_SOURCE:
	case ZTDP_RULE_MATCH_IPV6_DEST:
		return ip;
	case ZTDP_RULE_MATCH_IP_TOS:
		return tos;
	case ZTDP_RULE_MATCH_IP_PROTOCOL:
		return proto;
	case ZTDP_RULE_MATCH_ETHERTYPE:
		return ethertype;
	case ZTDP_RULE_MATCH_ICMP:
		return icmp;
	case ZTDP_RULE_MATCH_IP_SOURCE_PORT_RANGE:
	case ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE:
	case ZTDP_RULE_MATCH_FRAME_SIZE_RANGE:
		return range;
	case ZTDP_RULE_MATCH_CHARACTERISTICS:
		return chars;
	case ZTDP_RULE_MATCH_RANDOM:
		return random;
	case ZTDP_RULE_MATCH_INTEGER_RANGE:
		return intrange;
	default:
		return NULL;
	}
}

/* One rule's context for the messages below: "rules[3].etherType". */
struct rule_ctx {
	const json_t *obj;
	const char *list;	/* "rules" */
	size_t index;
	char *err;
	size_t errlen;
	char path[96];
};

static const char *rule_path(struct rule_ctx *c, const char *field)
{
	snprintf(c->path, sizeof(c->path), "%s[%zu].%s", c->list, c->index, field);
	return c->path;
}

/* A numeric field: required unless dflt_ok, then *out keeps its value. */
static int rule_uint(struct rule_ctx *c, const char *field, uint64_t max, bool required,
		     uint64_t *out)
{
	const json_t *v = json_object_get(c->obj, field);

	if (v == NULL) {
		if (required)
			return bad(c->err, c->errlen,
				   "%s[%zu]: %s needs \"%s\"", c->list, c->index,
				   json_string_value(json_object_get(c->obj, "type")), field);
		return 0;
	}
	return get_uint(v, rule_path(c, field), max, out, c->err, c->errlen);
}

/* A 10-hex-digit ZeroTier address. */
static int rule_address(struct rule_ctx *c, const char *field, uint64_t *out)
{
	const json_t *v = json_object_get(c->obj, field);
	const char *s;

	if (v == NULL)
		return bad(c->err, c->errlen,
			   "%s[%zu]: %s needs \"%s\"", c->list, c->index,
			   json_string_value(json_object_get(c->obj, "type")), field);
	if (get_string(v, rule_path(c, field), 16, &s, c->err, c->errlen) != 0)
		return ZTDP_CTL_EINVAL;
	if (ctl_parse_hex(s, 10, out) != 0)
		return bad(c->err, c->errlen,
			   "%s: \"%s\" is not a ZeroTier address (10 hex digits)",
			   rule_path(c, field), s);
	return 0;
}

/* A u64 given as hex text (ZeroTierOne writes it so) or as an integer. */
static int rule_u64(struct rule_ctx *c, const char *field, uint64_t *out)
{
	const json_t *v = json_object_get(c->obj, field);

	if (v == NULL)
		return bad(c->err, c->errlen,
			   "%s[%zu]: %s needs \"%s\"", c->list, c->index,
			   json_string_value(json_object_get(c->obj, "type")), field);
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t len = strlen(s);

		if (len == 0 || len > 16 || ctl_parse_hex(s, (unsigned int)len, out) != 0)
			return bad(c->err, c->errlen,
				   "%s: \"%s\" is not a hex number of up to 16 digits",
				   rule_path(c, field), s);
		return 0;
	}
	return get_uint(v, rule_path(c, field), INT64_MAX, out, c->err, c->errlen);
}

static int rule_ip(struct rule_ctx *c, unsigned int family, struct ztdp_rule *r)
{
	const json_t *v = json_object_get(c->obj, "ip");
	struct ztdp_inetaddr a;

	if (v == NULL)
		return bad(c->err, c->errlen,
			   "%s[%zu]: %s needs \"ip\"", c->list, c->index,
			   json_string_value(json_object_get(c->obj, "type")));
	if (get_cidr(v, rule_path(c, "ip"), &a, c->err, c->errlen) != 0)
		return ZTDP_CTL_EINVAL;
	if (a.family != family)
		return bad(c->err, c->errlen,
			   "%s: an IPv%u address is needed", rule_path(c, "ip"), family);
	if (family == 4) {
		memcpy(r->v.ipv4.ip, a.ip, 4);
		r->v.ipv4.mask = (uint8_t)a.port;
	} else {
		memcpy(r->v.ipv6.ip, a.ip, 16);
		r->v.ipv6.mask = (uint8_t)a.port;
	}
	return 0;
}

/* Low and high of a range ("start", "end" defaulting to start). */
static int rule_range(struct rule_ctx *c, uint16_t out[2])
{
	uint64_t lo = 0, hi;

	if (rule_uint(c, "start", UINT16_MAX, true, &lo) != 0)
		return ZTDP_CTL_EINVAL;
	hi = lo;
	if (rule_uint(c, "end", UINT16_MAX, false, &hi) != 0)
		return ZTDP_CTL_EINVAL;
	if (hi < lo)
		return bad(c->err, c->errlen,
			   "%s[%zu]: \"end\" %" PRIu64 " is below \"start\" %" PRIu64, c->list,
			   c->index, hi, lo);
	out[0] = (uint16_t)lo;
	out[1] = (uint16_t)hi;
	return 0;
}

static int rule_values(struct rule_ctx *c, unsigned int type, struct ztdp_rule *r)
{
	uint64_t v = 0, w = 0;
	const json_t *j;
	int rc = 0;

	if (is_tag_rule(type)) {
		rc = rule_uint(c, "id", UINT32_MAX, true, &v);
		if (rc == 0)
			rc = rule_uint(c, "value", UINT32_MAX, true, &w);
		r->v.tag.id = (uint32_t)v;
		r->v.tag.value = (uint32_t)w;
		return rc;
	}
	switch (type) {
	case ZTDP_RULE_ACTION_TEE:
	case ZTDP_RULE_ACTION_WATCH:
	case ZTDP_RULE_ACTION_REDIRECT:
		rc = rule_address(c, "address", &r->v.fwd.address);
		if (rc == 0)
			rc = rule_uint(c, "flags", UINT32_MAX, false, &v);
		if (rc == 0 && type != ZTDP_RULE_ACTION_REDIRECT)
			rc = rule_uint(c, "length", UINT16_MAX, false, &w);
		r->v.fwd.flags = (uint32_t)v;
		r->v.fwd.length = (uint16_t)w;
		return rc;
	case ZTDP_RULE_MATCH_SOURCE_ZEROTIER_ADDRESS:
	case ZTDP_RULE_MATCH_DEST_ZEROTIER_ADDRESS:
		return rule_address(c, "zt", &r->v.zt);
	case ZTDP_RULE_MATCH_VLAN_ID:
		rc = rule_uint(c, "vlanId", 4095, true, &v);
		r->v.vlan_id = (uint16_t)v;
		return rc;
	case ZTDP_RULE_MATCH_VLAN_PCP:
		rc = rule_uint(c, "vlanPcp", 7, true, &v);
		r->v.vlan_pcp = (uint8_t)v;
		return rc;
	case ZTDP_RULE_MATCH_VLAN_DEI:
		rc = rule_uint(c, "vlanDei", 1, true, &v);
		r->v.vlan_dei = (uint8_t)v;
		return rc;
	case ZTDP_RULE_MATCH_MAC_SOURCE:
	case ZTDP_RULE_MATCH_MAC_DEST: {
		const char *s;
		uint64_t mac;

		j = json_object_get(c->obj, "mac");
		if (j == NULL)
			return bad(c->err, c->errlen,
				   "%s[%zu]: %s needs \"mac\"", c->list, c->index,
				   ztdp_rule_type_name(type));
		if (get_string(j, rule_path(c, "mac"), 32, &s, c->err, c->errlen) != 0)
			return ZTDP_CTL_EINVAL;
		if (ztdp_mac_parse(&mac, s) != 0)
			return bad(c->err, c->errlen,
				   "%s: \"%s\" is not a MAC address (aa:bb:cc:dd:ee:ff)",
				   rule_path(c, "mac"), s);
		ztdp_mac_to_bytes(mac, r->v.mac);
		return 0;
	}
	case ZTDP_RULE_MATCH_IPV4_SOURCE:
	case ZTDP_RULE_MATCH_IPV4_DEST:
		return rule_ip(c, 4, r);
	case ZTDP_RULE_MATCH_IPV6_SOURCE:
	case ZTDP_RULE_MATCH_IPV6_DEST:
		return rule_ip(c, 6, r);
	case ZTDP_RULE_MATCH_IP_TOS: {
		uint64_t mask = 0, lo = 0, hi;

		rc = rule_uint(c, "mask", UINT8_MAX, true, &mask);
		if (rc == 0)
			rc = rule_uint(c, "start", UINT8_MAX, true, &lo);
		hi = lo;
		if (rc == 0)
			rc = rule_uint(c, "end", UINT8_MAX, false, &hi);
		r->v.ip_tos.mask = (uint8_t)mask;
		r->v.ip_tos.low = (uint8_t)lo;
		r->v.ip_tos.high = (uint8_t)hi;
		return rc;
	}
	case ZTDP_RULE_MATCH_IP_PROTOCOL:
		rc = rule_uint(c, "ipProtocol", UINT8_MAX, true, &v);
		r->v.ip_protocol = (uint8_t)v;
		return rc;
	case ZTDP_RULE_MATCH_ETHERTYPE:
		rc = rule_uint(c, "etherType", UINT16_MAX, true, &v);
		r->v.ethertype = (uint16_t)v;
		return rc;
	case ZTDP_RULE_MATCH_ICMP:
		rc = rule_uint(c, "icmpType", UINT8_MAX, true, &v);
		r->v.icmp.type = (uint8_t)v;
		j = json_object_get(c->obj, "icmpCode");
		/* null or absent: any code (flag clear), as ZeroTierOne. */
		if (rc == 0 && j != NULL && !json_is_null(j)) {
			rc = get_uint(j, rule_path(c, "icmpCode"), UINT8_MAX, &w, c->err,
				      c->errlen);
			r->v.icmp.code = (uint8_t)w;
			r->v.icmp.flags = ZTDP_RULE_ICMP_FLAG_CODE;
		}
		return rc;
	case ZTDP_RULE_MATCH_IP_SOURCE_PORT_RANGE:
	case ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE:
		return rule_range(c, r->v.port);
	case ZTDP_RULE_MATCH_FRAME_SIZE_RANGE:
		return rule_range(c, r->v.frame_size);
	case ZTDP_RULE_MATCH_CHARACTERISTICS:
		return rule_u64(c, "mask", &r->v.characteristics);
	case ZTDP_RULE_MATCH_RANDOM:
		rc = rule_uint(c, "probability", UINT32_MAX, true, &v);
		r->v.random_probability = (uint32_t)v;
		return rc;
	case ZTDP_RULE_MATCH_INTEGER_RANGE: {
		uint64_t start = 0, end = 0, idx = 0, bits = 1;
		bool little = false;

		rc = rule_u64(c, "start", &start);
		if (rc == 0)
			rc = rule_u64(c, "end", &end);
		if (rc == 0)
			rc = rule_uint(c, "idx", UINT16_MAX, false, &idx);
		if (rc == 0)
			rc = rule_uint(c, "bits", 64, false, &bits);
		j = json_object_get(c->obj, "little");
		if (rc == 0 && j != NULL)
			rc = get_bool(j, rule_path(c, "little"), &little, c->err, c->errlen);
		if (rc != 0)
			return rc;
		/* The wire carries end - start in 32 bits (1.14.1's layout). */
		if (end < start || end - start > UINT32_MAX)
			return bad(c->err, c->errlen,
				   "%s[%zu]: \"end\" must be within 2^32 - 1 above \"start\"",
				   c->list, c->index);
		if (bits == 0)
			return bad(c->err, c->errlen,
				   "%s: must be between 1 and 64", rule_path(c, "bits"));
		r->v.int_range.start = start;
		r->v.int_range.end = end;
		r->v.int_range.idx = (uint16_t)idx;
		r->v.int_range.format = (uint8_t)((bits - 1) & ZTDP_RULE_INT_FORMAT_BITS_MASK);
		if (little)
			r->v.int_range.format |= ZTDP_RULE_INT_FORMAT_LITTLE_ENDIAN;
		return 0;
	}
	default:
		return 0;
	}
}

static int rule_from_json(const json_t *obj, const char *list, size_t index,
			  struct ztdp_rule *r, char *err, size_t errlen)
{
	struct rule_ctx c = { .obj = obj, .list = list, .index = index, .err = err,
			      .errlen = errlen };
	const char *const *fields;
	const char *type_name, *key;
	bool flag = false;
	json_t *v;
	int type;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(obj))
		return bad(err, errlen, "%s[%zu] must be an object", list, index);
	type_name = json_string_value(json_object_get(obj, "type"));
	if (type_name == NULL)
		return bad(err, errlen, "%s[%zu] needs a string \"type\"", list, index);
	type = rule_type_of(type_name);
	fields = type >= 0 ? rule_fields((unsigned int)type) : NULL;
	if (fields == NULL)
		return bad(err, errlen,
			   "%s[%zu]: unknown or unsupported rule type \"%s\"", list, index,
			   type_name);
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "type") == 0)
			continue;
		if (strcmp(key, "not") == 0 || strcmp(key, "or") == 0) {
			if (get_bool(v, rule_path(&c, key), &flag, err, errlen) != 0)
				return ZTDP_CTL_EINVAL;
			if (flag)
				r->t |= key[0] == 'n' ? ZTDP_RULE_FLAG_NOT : ZTDP_RULE_FLAG_OR;
			continue;
		}
		if (!in_list(key, fields))
			return bad(err, errlen,
				   "%s[%zu]: unknown field \"%s\" for %s", list, index, key,
				   type_name);
	}
	r->t |= (uint8_t)type;
	return rule_values(&c, (unsigned int)type, r);
}

static json_t *rule_json(const struct ztdp_rule *r)
{
	unsigned int type = r->t & ZTDP_RULE_TYPE_MASK;
	char tmp[ZTDP_INETADDR_STRLEN];
	struct ztdp_inetaddr a;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "type", json_string(type == ZTDP_RULE_MATCH_INTEGER_RANGE ?
						   "INTEGER_RANGE" : ztdp_rule_type_name(type)));
	/* As ZeroTierOne renders them: matches always say not/or, actions
	 * only if set (it drops them; we keep what the wire carries). */
	if (type > ZTDP_RULE_ACTION_MAX_ID ||
	    (r->t & (ZTDP_RULE_FLAG_NOT | ZTDP_RULE_FLAG_OR)) != 0) {
		json_object_set_new(o, "not", json_boolean(r->t & ZTDP_RULE_FLAG_NOT));
		json_object_set_new(o, "or", json_boolean(r->t & ZTDP_RULE_FLAG_OR));
	}
	if (is_tag_rule(type)) {
		json_object_set_new(o, "id", json_integer(r->v.tag.id));
		json_object_set_new(o, "value", json_integer(r->v.tag.value));
		return o;
	}
	switch (type) {
	case ZTDP_RULE_ACTION_TEE:
	case ZTDP_RULE_ACTION_WATCH:
	case ZTDP_RULE_ACTION_REDIRECT:
		json_object_set_new(o, "address", ctl_hex_json(r->v.fwd.address, 10));
		json_object_set_new(o, "flags", json_integer(r->v.fwd.flags));
		if (type != ZTDP_RULE_ACTION_REDIRECT)
			json_object_set_new(o, "length", json_integer(r->v.fwd.length));
		break;
	case ZTDP_RULE_MATCH_SOURCE_ZEROTIER_ADDRESS:
	case ZTDP_RULE_MATCH_DEST_ZEROTIER_ADDRESS:
		json_object_set_new(o, "zt", ctl_hex_json(r->v.zt, 10));
		break;
	case ZTDP_RULE_MATCH_VLAN_ID:
		json_object_set_new(o, "vlanId", json_integer(r->v.vlan_id));
		break;
	case ZTDP_RULE_MATCH_VLAN_PCP:
		json_object_set_new(o, "vlanPcp", json_integer(r->v.vlan_pcp));
		break;
	case ZTDP_RULE_MATCH_VLAN_DEI:
		json_object_set_new(o, "vlanDei", json_integer(r->v.vlan_dei));
		break;
	case ZTDP_RULE_MATCH_MAC_SOURCE:
	case ZTDP_RULE_MATCH_MAC_DEST:
		if (ztdp_mac_format(ztdp_mac_from_bytes(r->v.mac), tmp, sizeof(tmp)) < 0)
			tmp[0] = '\0';
		json_object_set_new(o, "mac", json_string(tmp));
		break;
	case ZTDP_RULE_MATCH_IPV4_SOURCE:
	case ZTDP_RULE_MATCH_IPV4_DEST:
		memset(&a, 0, sizeof(a));
		a.family = 4;
		memcpy(a.ip, r->v.ipv4.ip, 4);
		a.port = r->v.ipv4.mask;
		json_object_set_new(o, "ip", cidr_json(&a));
		break;
	case ZTDP_RULE_MATCH_IPV6_SOURCE:
	case ZTDP_RULE_MATCH_IPV6_DEST:
		ztdp_inetaddr_set_v6(&a, r->v.ipv6.ip, r->v.ipv6.mask);
		json_object_set_new(o, "ip", cidr_json(&a));
		break;
	case ZTDP_RULE_MATCH_IP_TOS:
		json_object_set_new(o, "mask", json_integer(r->v.ip_tos.mask));
		json_object_set_new(o, "start", json_integer(r->v.ip_tos.low));
		json_object_set_new(o, "end", json_integer(r->v.ip_tos.high));
		break;
	case ZTDP_RULE_MATCH_IP_PROTOCOL:
		json_object_set_new(o, "ipProtocol", json_integer(r->v.ip_protocol));
		break;
	case ZTDP_RULE_MATCH_ETHERTYPE:
		json_object_set_new(o, "etherType", json_integer(r->v.ethertype));
		break;
	case ZTDP_RULE_MATCH_ICMP:
		json_object_set_new(o, "icmpType", json_integer(r->v.icmp.type));
		json_object_set_new(o, "icmpCode", (r->v.icmp.flags & ZTDP_RULE_ICMP_FLAG_CODE) ?
				    json_integer(r->v.icmp.code) : json_null());
		break;
	case ZTDP_RULE_MATCH_IP_SOURCE_PORT_RANGE:
	case ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE:
		json_object_set_new(o, "start", json_integer(r->v.port[0]));
		json_object_set_new(o, "end", json_integer(r->v.port[1]));
		break;
	case ZTDP_RULE_MATCH_FRAME_SIZE_RANGE:
		json_object_set_new(o, "start", json_integer(r->v.frame_size[0]));
		json_object_set_new(o, "end", json_integer(r->v.frame_size[1]));
		break;
	case ZTDP_RULE_MATCH_CHARACTERISTICS:
		json_object_set_new(o, "mask", ctl_hex_json(r->v.characteristics, 16));
		break;
	case ZTDP_RULE_MATCH_RANDOM:
		json_object_set_new(o, "probability", json_integer(r->v.random_probability));
		break;
	case ZTDP_RULE_MATCH_INTEGER_RANGE:
		json_object_set_new(o, "start", ctl_hex_json(r->v.int_range.start, 16));
		json_object_set_new(o, "end", ctl_hex_json(r->v.int_range.end, 16));
		json_object_set_new(o, "idx", json_integer(r->v.int_range.idx));
		json_object_set_new(o, "little", json_boolean(r->v.int_range.format &
							      ZTDP_RULE_INT_FORMAT_LITTLE_ENDIAN));
		json_object_set_new(o, "bits", json_integer((r->v.int_range.format &
							     ZTDP_RULE_INT_FORMAT_BITS_MASK) + 1));
		break;
	default:
		break;
	}
	return o;
}

/* ---- Networks --------------------------------------------------------------- */

void ctl_settings_default(struct ctl_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->is_private = true;
	s->enable_broadcast = true;
	s->multicast_limit = ZTDP_NETCONF_DEFAULT_MULTICAST_LIMIT;
	s->mtu = ZTDP_VIRTUAL_MTU_DEFAULT;
	/* A flat L2 segment until told otherwise. */
	s->nrules = 1;
	s->rules[0].t = ZTDP_RULE_ACTION_ACCEPT;
}

bool ctl_route_contains(const struct ztdp_inetaddr *t, const struct ztdp_inetaddr *ip)
{
	unsigned int bits = t->port, max = t->family == 4 ? 32 : 128;

	if (t->family != ip->family || t->family == 0)
		return false;
	if (bits > max)
		bits = max;
	if (memcmp(t->ip, ip->ip, bits / 8) != 0)
		return false;
	if (bits % 8 == 0)
		return true;
	return ((t->ip[bits / 8] ^ ip->ip[bits / 8]) & (0xff00 >> (bits % 8)) & 0xff) == 0;
}

/* An array of at most max entries. */
static int get_array(const json_t *v, const char *path, size_t max, const char *what,
		     char *err, size_t errlen)
{
	if (!json_is_array(v))
		return bad(err, errlen, "%s must be an array%s", path, what);
	if (json_array_size(v) > max)
		return bad(err, errlen, "%s has more than %zu entries", path, max);
	return 0;
}

/* An object with no field but these. */
static int get_object(const json_t *v, const char *path, const char *const *fields,
		      char *err, size_t errlen)
{
	const char *key;
	json_t *f;

	if (!json_is_object(v))
		return bad(err, errlen, "%s must be an object", path);
	json_object_foreach((json_t *)v, key, f)
		if (!in_list(key, fields))
			return bad(err, errlen, "%s: unknown field \"%s\"", path, key);
	return 0;
}

/* Field `key` of the object at path, which must be there. */
static const json_t *need(const json_t *obj, const char *path, const char *key,
			  char *full, size_t fullcap, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);

	snprintf(full, fullcap, "%s.%s", path, key);
	if (v == NULL)
		bad(err, errlen, "%s is missing", full);
	return v;
}

static int pool_from_json(struct ctl_pool *pool, const json_t *p, const char *path,
			  char *err, size_t errlen)
{
	static const char *const fields[] = { "ipRangeStart", "ipRangeEnd", NULL };
	const json_t *v;
	char full[96];

	if (get_object(p, path, fields, err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	v = need(p, path, "ipRangeStart", full, sizeof(full), err, errlen);
	if (v == NULL || get_ip(v, full, false, &pool->start, err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	v = need(p, path, "ipRangeEnd", full, sizeof(full), err, errlen);
	if (v == NULL || get_ip(v, full, false, &pool->end, err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	if (pool->start.family != pool->end.family)
		return bad(err, errlen,
			   "%s: start and end are of different address families", path);
	if (memcmp(pool->end.ip, pool->start.ip, pool->start.family == 4 ? 4 : 16) < 0)
		return bad(err, errlen, "%s: ipRangeEnd is below ipRangeStart", path);
	return 0;
}

static int route_from_json(struct ctl_route *rt, const json_t *r, const char *path,
			   char *err, size_t errlen)
{
	static const char *const fields[] = { "target", "via", NULL };
	const json_t *v;
	char full[96];

	if (get_object(r, path, fields, err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	v = need(r, path, "target", full, sizeof(full), err, errlen);
	if (v == NULL || get_cidr(v, full, &rt->target, err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	memset(&rt->via, 0, sizeof(rt->via));
	v = json_object_get(r, "via");
	if (v == NULL || json_is_null(v))
		return 0;
	snprintf(full, sizeof(full), "%s.via", path);
	if (get_ip(v, full, false, &rt->via, err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	if (rt->via.family != rt->target.family)
		return bad(err, errlen, "%s is not of the target's address family", full);
	return 0;
}

/* The pools and routes arrays: each entry through its parser. */
static int pools_from_json(struct ctl_settings *s, const json_t *v, char *err, size_t errlen)
{
	char path[48];
	json_t *p;
	size_t i;

	if (get_array(v, "\"ipAssignmentPools\"", ZTDP_CONTROLLER_MAX_POOLS, "", err,
		      errlen) != 0)
		return ZTDP_CTL_EINVAL;
	s->npools = 0;
	json_array_foreach(v, i, p) {
		snprintf(path, sizeof(path), "ipAssignmentPools[%zu]", i);
		if (pool_from_json(&s->pools[s->npools], p, path, err, errlen) != 0)
			return ZTDP_CTL_EINVAL;
		s->npools++;
	}
	return 0;
}

static int routes_from_json(struct ctl_settings *s, const json_t *v, char *err, size_t errlen)
{
	char path[48];
	json_t *r;
	size_t i;

	if (get_array(v, "\"routes\"", ZTDP_CONTROLLER_MAX_ROUTES, "", err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	s->nroutes = 0;
	json_array_foreach(v, i, r) {
		snprintf(path, sizeof(path), "routes[%zu]", i);
		if (route_from_json(&s->routes[s->nroutes], r, path, err, errlen) != 0)
			return ZTDP_CTL_EINVAL;
		s->nroutes++;
	}
	return 0;
}

static int rules_from_json(struct ctl_settings *s, const json_t *v, char *err, size_t errlen)
{
	json_t *r;
	size_t i;

	if (get_array(v, "\"rules\"", ZTDP_CONTROLLER_MAX_RULES, "", err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	s->nrules = 0;
	json_array_foreach(v, i, r) {
		if (rule_from_json(r, "rules", i, &s->rules[s->nrules], err, errlen) != 0)
			return ZTDP_CTL_EINVAL;
		s->nrules++;
	}
	return 0;
}

/* {"zt": bool} / {"zt", "rfc4193", "6plane"}: a key left out is false,
 * as in ZeroTierOne (it rebuilds the object from the keys given). */
static int assign_mode_from_json(const json_t *v, const char *field,
				 const char *const *keys, bool **outs,
				 char *err, size_t errlen)
{
	char path[64];
	json_t *f;

	if (!json_is_object(v))
		return bad(err, errlen,
			   "\"%s\" must be an object like {\"%s\": true}", field, keys[0]);
	if (get_object(v, field, keys, err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	for (unsigned int i = 0; keys[i] != NULL; i++) {
		f = json_object_get(v, keys[i]);
		*outs[i] = false;
		snprintf(path, sizeof(path), "%s.%s", field, keys[i]);
		if (f != NULL && get_bool(f, path, outs[i], err, errlen) != 0)
			return ZTDP_CTL_EINVAL;
	}
	return 0;
}

static int dns_from_json(struct ctl_settings *s, const json_t *v, char *err, size_t errlen)
{
	static const char *const fields[] = { "domain", "servers", NULL };
	const json_t *servers;
	const char *domain = "";
	char path[48];
	json_t *f;
	size_t i;

	/* ZeroTierOne's unset DNS is an empty array. */
	if (json_is_array(v) && json_array_size(v) == 0) {
		s->has_dns = false;
		s->dns_domain[0] = '\0';
		s->ndns = 0;
		return 0;
	}
	if (!json_is_object(v))
		return bad(err, errlen,
			   "\"dns\" must be {\"domain\": ..., \"servers\": [...]} or []");
	if (get_object(v, "dns", fields, err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	f = json_object_get(v, "domain");
	if (f != NULL && get_string(f, "dns.domain", ZTDP_NETCONF_DNS_DOMAIN_LEN - 1, &domain,
				    err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	servers = json_object_get(v, "servers");
	if (servers != NULL && get_array(servers, "dns.servers", ZTDP_NETCONF_DNS_SERVERS, "",
					 err, errlen) != 0)
		return ZTDP_CTL_EINVAL;
	s->ndns = 0;
	json_array_foreach(servers, i, f) {
		snprintf(path, sizeof(path), "dns.servers[%zu]", i);
		if (get_ip(f, path, false, &s->dns_servers[s->ndns], err, errlen) != 0)
			return ZTDP_CTL_EINVAL;
		s->ndns++;
	}
	snprintf(s->dns_domain, sizeof(s->dns_domain), "%s", domain);
	s->has_dns = true;
	return 0;
}

int ctl_settings_apply_json(struct ctl_settings *s, const json_t *body, char *err,
			    size_t errlen)
{
	static const char *const read_only[] = {
		"id", "nwid", "objtype", "revision", "creationTime", "clock", "lastModified",
		"authorizedMemberCount", "activeMemberCount", "totalMemberCount", "meta",
		/* The rules compiler's source: ZeroTierOne stores it only from
		 * its GUI and ignores it on POST, so do we. */
		"rulesSource", NULL,
	};
	static const char *const v4_keys[] = { "zt", NULL };
	static const char *const v6_keys[] = { "zt", "rfc4193", "6plane", NULL };
	const char *key, *str;
	uint64_t u;
	json_t *v;
	int rc;

	if (body == NULL)
		return 0;
	if (!json_is_object(body))
		return bad(err, errlen, "the network must be a JSON object");
	json_object_foreach((json_t *)body, key, v) {
		rc = 0;
		if (strcmp(key, "name") == 0) {
			rc = get_string(v, "\"name\"", ZTDP_NETCONF_NAME_MAX, &str, err, errlen);
			if (rc == 0)
				snprintf(s->name, sizeof(s->name), "%s", str);
		} else if (strcmp(key, "private") == 0) {
			rc = get_bool(v, "\"private\"", &s->is_private, err, errlen);
		} else if (strcmp(key, "enableBroadcast") == 0) {
			rc = get_bool(v, "\"enableBroadcast\"", &s->enable_broadcast, err, errlen);
		} else if (strcmp(key, "multicastLimit") == 0) {
			rc = get_uint(v, "\"multicastLimit\"", UINT32_MAX, &u, err, errlen);
			s->multicast_limit = (uint32_t)u;
		} else if (strcmp(key, "mtu") == 0) {
			rc = get_uint(v, "\"mtu\"", UINT32_MAX, &u, err, errlen);
			if (rc == 0 && (u < ZTDP_VIRTUAL_MTU_MIN || u > ZTDP_VIRTUAL_MTU_MAX))
				rc = bad(err, errlen,
					 "\"mtu\" must be between %d and %d", ZTDP_VIRTUAL_MTU_MIN,
					 ZTDP_VIRTUAL_MTU_MAX);
			s->mtu = (uint32_t)u;
		} else if (strcmp(key, "v4AssignMode") == 0) {
			bool *outs[] = { &s->v4_zt };

			rc = assign_mode_from_json(v, key, v4_keys, outs, err, errlen);
		} else if (strcmp(key, "v6AssignMode") == 0) {
			bool *outs[] = { &s->v6_zt, &s->v6_rfc4193, &s->v6_6plane };

			rc = assign_mode_from_json(v, key, v6_keys, outs, err, errlen);
		} else if (strcmp(key, "ipAssignmentPools") == 0) {
			rc = pools_from_json(s, v, err, errlen);
		} else if (strcmp(key, "routes") == 0) {
			rc = routes_from_json(s, v, err, errlen);
		} else if (strcmp(key, "rules") == 0) {
			rc = rules_from_json(s, v, err, errlen);
		} else if (strcmp(key, "dns") == 0) {
			rc = dns_from_json(s, v, err, errlen);
		} else if (!in_list(key, read_only)) {
			rc = check_unused(key, v, err, errlen);
			if (rc == 1)
				rc = bad(err, errlen, "unknown network field \"%s\"", key);
		}
		if (rc != 0)
			return ZTDP_CTL_EINVAL;
	}
	return 0;
}

json_t *ctl_network_json(const struct ctl_network *net)
{
	const struct ctl_settings *s = &net->s;
	json_t *o = json_object(), *pools = json_array(), *routes = json_array(),
	       *rules = json_array(), *dns;

	if (o == NULL || pools == NULL || routes == NULL || rules == NULL) {
		json_decref(o);
		json_decref(pools);
		json_decref(routes);
		json_decref(rules);
		return NULL;
	}
	for (unsigned int i = 0; i < s->npools; i++)
		json_array_append_new(pools, json_pack("{s:o, s:o}",
			"ipRangeStart", ip_json(&s->pools[i].start),
			"ipRangeEnd", ip_json(&s->pools[i].end)));
	for (unsigned int i = 0; i < s->nroutes; i++)
		json_array_append_new(routes, json_pack("{s:o, s:o}",
			"target", cidr_json(&s->routes[i].target),
			"via", s->routes[i].via.family != 0 ? ip_json(&s->routes[i].via)
							     : json_null()));
	for (unsigned int i = 0; i < s->nrules; i++)
		json_array_append_new(rules, rule_json(&s->rules[i]));
	if (s->has_dns) {
		json_t *servers = json_array();

		for (unsigned int i = 0; servers != NULL && i < s->ndns; i++)
			json_array_append_new(servers, ip_json(&s->dns_servers[i]));
		dns = json_pack("{s:s, s:o}", "domain", s->dns_domain, "servers",
				servers != NULL ? servers : json_array());
	} else {
		dns = json_array();
	}
	json_object_set_new(o, "id", ctl_hex_json(net->nwid, 16));
	json_object_set_new(o, "nwid", ctl_hex_json(net->nwid, 16));
	json_object_set_new(o, "objtype", json_string("network"));
	json_object_set_new(o, "revision", json_integer((json_int_t)net->revision));
	json_object_set_new(o, "creationTime", json_integer((json_int_t)net->creation_time));
	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "private", json_boolean(s->is_private));
	json_object_set_new(o, "enableBroadcast", json_boolean(s->enable_broadcast));
	json_object_set_new(o, "multicastLimit", json_integer(s->multicast_limit));
	json_object_set_new(o, "mtu", json_integer(s->mtu));
	json_object_set_new(o, "v4AssignMode", json_pack("{s:b}", "zt", s->v4_zt));
	json_object_set_new(o, "v6AssignMode", json_pack("{s:b, s:b, s:b}", "6plane",
		s->v6_6plane, "rfc4193", s->v6_rfc4193, "zt", s->v6_zt));
	json_object_set_new(o, "ipAssignmentPools", pools);
	json_object_set_new(o, "routes", routes);
	json_object_set_new(o, "rules", rules);
	json_object_set_new(o, "dns", dns);
	/* What ztdp does not implement, as ZeroTierOne shows it unused. */
	json_object_set_new(o, "authTokens", json_pack("[n]"));
	json_object_set_new(o, "authorizationEndpoint", json_string(""));
	json_object_set_new(o, "capabilities", json_array());
	json_object_set_new(o, "clientId", json_string(""));
	json_object_set_new(o, "remoteTraceLevel", json_integer(0));
	json_object_set_new(o, "remoteTraceTarget", json_null());
	json_object_set_new(o, "rulesSource", json_string(""));
	json_object_set_new(o, "ssoEnabled", json_false());
	json_object_set_new(o, "tags", json_array());
	return o;
}

/* ---- Members ---------------------------------------------------------------- */

static int ips_from_json(struct ctl_member *m, const json_t *v, char *err, size_t errlen)
{
	char path[48];
	json_t *ip;
	size_t i;

	if (get_array(v, "\"ipAssignments\"", ZTDP_CONTROLLER_MAX_IPS, " of IP addresses", err,
		      errlen) != 0)
		return ZTDP_CTL_EINVAL;
	m->nips = 0;
	json_array_foreach(v, i, ip) {
		struct ztdp_inetaddr *a = &m->ips[m->nips];

		snprintf(path, sizeof(path), "ipAssignments[%zu]", i);
		if (get_ip(ip, path, true, a, err, errlen) != 0)
			return ZTDP_CTL_EINVAL;
		for (unsigned int j = 0; j < m->nips; j++)
			if (ztdp_inetaddr_equal(&m->ips[j], a))
				return bad(err, errlen,
					   "%s: %s is listed twice", path, json_string_value(ip));
		m->nips++;
	}
	return 0;
}

static int get_time(const json_t *v, const char *field, uint64_t *out, char *err,
		    size_t errlen)
{
	return get_uint(v, field, INT64_MAX, out, err, errlen);
}

static int get_version(const json_t *v, const char *field, int *out, char *err, size_t errlen)
{
	if (!json_is_integer(v) || json_integer_value(v) < -1 || json_integer_value(v) > 0xffff)
		return bad(err, errlen, "\"%s\" must be an integer from -1 to 65535", field);
	*out = (int)json_integer_value(v);
	return 0;
}

/* The persisted read-only fields (a state file we wrote). */
static int member_load_field(struct ctl_member *m, const char *key, const json_t *v,
			     char *err, size_t errlen)
{
	if (strcmp(key, "authorized") == 0)
		return get_bool(v, "\"authorized\"", &m->authorized, err, errlen);
	if (strcmp(key, "revision") == 0)
		return get_time(v, "\"revision\"", &m->revision, err, errlen);
	if (strcmp(key, "creationTime") == 0)
		return get_time(v, "\"creationTime\"", &m->creation_time, err, errlen);
	if (strcmp(key, "lastAuthorizedTime") == 0)
		return get_time(v, "\"lastAuthorizedTime\"", &m->last_authorized_time, err,
				errlen);
	if (strcmp(key, "lastDeauthorizedTime") == 0)
		return get_time(v, "\"lastDeauthorizedTime\"", &m->last_deauthorized_time, err,
				errlen);
	if (strcmp(key, "vMajor") == 0)
		return get_version(v, key, &m->vmajor, err, errlen);
	if (strcmp(key, "vMinor") == 0)
		return get_version(v, key, &m->vminor, err, errlen);
	if (strcmp(key, "vRev") == 0)
		return get_version(v, key, &m->vrev, err, errlen);
	if (strcmp(key, "vProto") == 0)
		return get_version(v, key, &m->vproto, err, errlen);
	if (strcmp(key, "lastAuthorizedCredentialType") == 0) {
		const char *s = json_string_value(v);

		if (json_is_null(v))
			m->auth_type = CTL_AUTH_NONE;
		else if (s != NULL && strcmp(s, "api") == 0)
			m->auth_type = CTL_AUTH_API;
		else if (s != NULL && strcmp(s, "public") == 0)
			m->auth_type = CTL_AUTH_PUBLIC;
		else
			return bad(err, errlen,
				   "\"lastAuthorizedCredentialType\" must be null, \"api\" or "
				   "\"public\"");
		return 0;
	}
	if (strcmp(key, "identity") == 0) {
		struct ztdp_identity id;
		const char *why = NULL;

		if (json_is_null(v)) {
			m->has_identity = false;
			return 0;
		}
		/* Checked when the member first asked; the address derivation
		 * (memory-hard) is not worth redoing for every member here. */
		if (!json_is_string(v) ||
		    ztdp_identity_from_string(&id, json_string_value(v), &why) != 0 ||
		    id.has_private)
			return bad(err, errlen,
				   "\"identity\" is not a public identity: %s",
				   why != NULL ? why : "not a string, or holds a private key");
		if (id.address != m->address)
			return bad(err, errlen,
				   "\"identity\" is not member %010" PRIx64 "'s", m->address);
		m->identity = id;
		m->has_identity = true;
		return 0;
	}
	return 1;	/* not a persisted field */
}

int ctl_member_apply_json(struct ctl_member *m, const json_t *body, bool load,
			  int *authorized, char *err, size_t errlen)
{
	static const char *const read_only[] = {
		"id", "address", "nwid", "objtype", "revision", "creationTime", "identity",
		"authorized", "lastAuthorizedTime", "lastDeauthorizedTime",
		"lastAuthorizedCredential", "lastAuthorizedCredentialType", "vMajor", "vMinor",
		"vRev", "vProto", "clock", "physicalAddr", "recentLog", "lastModified",
		"lastRequestMetaData", "authenticationURL", "authenticationClientID", NULL,
	};
	const char *key, *str;
	json_t *v;
	bool b = false;
	int rc;

	*authorized = -1;
	if (body == NULL)
		return 0;
	if (!json_is_object(body))
		return bad(err, errlen, "the member must be a JSON object");
	json_object_foreach((json_t *)body, key, v) {
		rc = 1;
		if (load)
			rc = member_load_field(m, key, v, err, errlen);
		if (rc == 0)
			continue;
		if (rc < 0)
			return ZTDP_CTL_EINVAL;
		rc = 0;
		if (strcmp(key, "authorized") == 0) {
			rc = get_bool(v, "\"authorized\"", &b, err, errlen);
			*authorized = b;
		} else if (strcmp(key, "activeBridge") == 0) {
			rc = get_bool(v, "\"activeBridge\"", &m->active_bridge, err, errlen);
		} else if (strcmp(key, "noAutoAssignIps") == 0) {
			rc = get_bool(v, "\"noAutoAssignIps\"", &m->no_auto_assign, err, errlen);
		} else if (strcmp(key, "name") == 0) {
			rc = get_string(v, "\"name\"", ZTDP_NETCONF_NAME_MAX, &str, err, errlen);
			if (rc == 0)
				snprintf(m->name, sizeof(m->name), "%s", str);
		} else if (strcmp(key, "ipAssignments") == 0) {
			rc = ips_from_json(m, v, err, errlen);
		} else if (!in_list(key, read_only)) {
			rc = check_unused(key, v, err, errlen);
			if (rc == 1)
				rc = bad(err, errlen, "unknown member field \"%s\"", key);
		}
		if (rc != 0)
			return ZTDP_CTL_EINVAL;
	}
	return 0;
}

json_t *ctl_member_json(const struct ctl_network *net, const struct ctl_member *m)
{
	static const char *const auth_types[] = {
		[CTL_AUTH_NONE] = NULL, [CTL_AUTH_API] = "api", [CTL_AUTH_PUBLIC] = "public",
	};
	char idtext[ZTDP_IDENTITY_TEXT_MAX];
	json_t *o = json_object(), *ips = json_array();

	if (o == NULL || ips == NULL) {
		json_decref(o);
		json_decref(ips);
		return NULL;
	}
	for (unsigned int i = 0; i < m->nips; i++)
		json_array_append_new(ips, ip_json(&m->ips[i]));
	json_object_set_new(o, "id", ctl_hex_json(m->address, 10));
	json_object_set_new(o, "address", ctl_hex_json(m->address, 10));
	json_object_set_new(o, "nwid", ctl_hex_json(net->nwid, 16));
	json_object_set_new(o, "objtype", json_string("member"));
	json_object_set_new(o, "revision", json_integer((json_int_t)m->revision));
	json_object_set_new(o, "creationTime", json_integer((json_int_t)m->creation_time));
	json_object_set_new(o, "authorized", json_boolean(m->authorized));
	json_object_set_new(o, "activeBridge", json_boolean(m->active_bridge));
	json_object_set_new(o, "noAutoAssignIps", json_boolean(m->no_auto_assign));
	json_object_set_new(o, "ipAssignments", ips);
	if (m->has_identity &&
	    ztdp_identity_to_string(&m->identity, false, idtext, sizeof(idtext)) > 0)
		json_object_set_new(o, "identity", json_string(idtext));
	else
		json_object_set_new(o, "identity", json_null());
	if (m->name[0] != '\0')
		json_object_set_new(o, "name", json_string(m->name));
	json_object_set_new(o, "lastAuthorizedTime",
			    json_integer((json_int_t)m->last_authorized_time));
	json_object_set_new(o, "lastDeauthorizedTime",
			    json_integer((json_int_t)m->last_deauthorized_time));
	json_object_set_new(o, "lastAuthorizedCredentialType",
			    auth_types[m->auth_type] != NULL ?
			    json_string(auth_types[m->auth_type]) : json_null());
	json_object_set_new(o, "lastAuthorizedCredential", json_null());
	json_object_set_new(o, "vMajor", json_integer(m->vmajor));
	json_object_set_new(o, "vMinor", json_integer(m->vminor));
	json_object_set_new(o, "vRev", json_integer(m->vrev));
	json_object_set_new(o, "vProto", json_integer(m->vproto));
	/* What ztdp does not implement, as ZeroTierOne shows it unused. */
	json_object_set_new(o, "authenticationExpiryTime", json_integer(0));
	json_object_set_new(o, "capabilities", json_array());
	json_object_set_new(o, "remoteTraceLevel", json_integer(0));
	json_object_set_new(o, "remoteTraceTarget", json_null());
	json_object_set_new(o, "ssoExempt", json_false());
	json_object_set_new(o, "tags", json_array());
	return o;
}
