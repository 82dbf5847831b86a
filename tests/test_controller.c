/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The embedded controller (control/controller.c) on its own: networks and
 * members through the /controller JSON, config requests from unknown and
 * authorized members, the configs (decoded by proto/'s netconf decoder,
 * chunk signatures, COM and COO verified against the controller), address
 * assignment, deauthorization and its revocations, persistence, refused
 * input; and against the real thing: the JSON a 1.14.1 controller showed
 * for the same network, and the configs it sent in the interop captures,
 * which ours must equal byte for byte when built for the same moment.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netconf_capture.h"
#include "test_util.h"
#include "ztdp_controller.h"
#include "ztdp_crypto.h"
#include "ztdp_dict.h"
#include "ztdp_mac.h"
#include "ztdp_netconf.h"
#include "ztdp_netconf_chunk.h"

#define T0		1800000000000ULL
#define POOL_BODY	"{\"name\": \"unit\", \"private\": true, \"v4AssignMode\": {\"zt\": true}," \
			" \"ipAssignmentPools\": [{\"ipRangeStart\": \"10.147.17.100\"," \
			" \"ipRangeEnd\": \"10.147.17.200\"}]," \
			" \"routes\": [{\"target\": \"10.147.17.0/24\", \"via\": null}]}"

static struct ztdp_identity ctl_id, ctl_pub, m1, m2, other;

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL)
		fail_msg("test JSON does not parse: %s: %s", e.text, text);
	return j;
}

/* The request metadata a 1.14.1 member sends (rules engine revision revr). */
static size_t make_meta(char *buf, size_t cap, uint64_t revr)
{
	struct ztdp_dict_wr d;
	size_t len = 0;

	ztdp_dict_wr_init(&d, buf, cap);
	ztdp_dict_set_u64(&d, "v", 7);
	ztdp_dict_set_u64(&d, "vend", 1);
	ztdp_dict_set_u64(&d, "pv", 12);
	ztdp_dict_set_u64(&d, "majv", 1);
	ztdp_dict_set_u64(&d, "minv", 14);
	ztdp_dict_set_u64(&d, "revv", 1);
	ztdp_dict_set_u64(&d, "mr", 1024);
	ztdp_dict_set_u64(&d, "mc", 128);
	ztdp_dict_set_u64(&d, "mcr", 64);
	ztdp_dict_set_u64(&d, "mt", 128);
	ztdp_dict_set_u64(&d, "f", 0);
	if (revr != 0)
		ztdp_dict_set_u64(&d, "revr", revr);
	ztdp_dict_set_str(&d, "o", "linux/x86_64");
	assert_int_equal(ztdp_dict_wr_finish(&d, &len), 0);
	return len;
}

static void request(struct ztdp_controller *c, uint64_t now, uint64_t nwid,
		    const struct ztdp_identity *who, struct ztdp_controller_reply *rep)
{
	char meta[512];
	size_t len = make_meta(meta, sizeof(meta), 1);

	ztdp_controller_request(c, now, nwid, who, meta, len, rep);
}

static struct ztdp_controller *new_controller(void)
{
	struct ztdp_controller *c = ztdp_controller_create(&ctl_id);

	assert_non_null(c);
	return c;
}

static uint64_t create_network(struct ztdp_controller *c, const char *body)
{
	json_t *b = body != NULL ? parse(body) : NULL, *out = NULL;
	char err[256] = "";
	uint64_t nwid = 0;
	int rc = ztdp_controller_network_create(c, 0, b, T0, &out, err, sizeof(err));

	if (rc != 0)
		fail_msg("network_create: %s", err);
	assert_int_equal(ztdp_controller_network_get(c, nwid = strtoull(json_string_value(
		json_object_get(out, "id")), NULL, 16), NULL, err, sizeof(err)), 0);
	json_decref(b);
	json_decref(out);
	return nwid;
}

static json_t *member_update(struct ztdp_controller *c, uint64_t nwid, uint64_t addr,
			     const char *body, uint64_t now)
{
	json_t *b = parse(body), *out = NULL;
	char err[256] = "";
	int rc = ztdp_controller_member_update(c, nwid, addr, b, now, &out, err, sizeof(err));

	if (rc != 0)
		fail_msg("member_update %s: %s", body, err);
	json_decref(b);
	return out;
}

static json_t *member_get(struct ztdp_controller *c, uint64_t nwid, uint64_t addr)
{
	char err[256] = "";
	json_t *out = NULL;

	if (ztdp_controller_member_get(c, nwid, addr, &out, err, sizeof(err)) != 0)
		fail_msg("member_get: %s", err);
	return out;
}

static unsigned int drain_pushes(struct ztdp_controller *c, uint64_t nwid, uint64_t member)
{
	struct ztdp_controller_push p;
	unsigned int n = 0;

	while (ztdp_controller_next_push(c, &p))
		if (p.nwid == nwid && p.member == member)
			n++;
	return n;
}

/* Cut the config into signed chunks as the node does, check every chunk
 * against the controller (and not against anyone else), put them back
 * together and hand back the decoded config (caller frees). */
static struct ztdp_netconf *check_config(const struct ztdp_controller *c,
					 const struct ztdp_controller_reply *rep,
					 const struct ztdp_identity *member, uint64_t now,
					 unsigned int *nchunks)
{
	struct ztdp_netconf *nc = ztdp_netconf_alloc();
	struct ztdp_netconf_chunker ch;
	struct ztdp_netconf_asm a;
	const uint8_t *dict = NULL;
	size_t dict_len = 0;
	const char *bad = NULL;
	uint8_t buf[ZTDP_MAX_PACKET_LEN];
	unsigned int n = 0;
	int rc;

	assert_non_null(nc);
	assert_int_equal(rep->answer, ZTDP_CTL_ANSWER_CONFIG);
	assert_int_equal(ztdp_controller_chunker_init(c, rep, 0x1234, &ch), 0);
	ztdp_netconf_asm_init(&a, 0);
	for (;;) {
		struct ztdp_netconf_chunk chunk;
		struct ztdp_wr w;

		ztdp_wr_init(&w, buf, sizeof(buf));
		rc = ztdp_netconf_chunker_next(&ch, &w);
		assert_true(rc >= 0);
		if (rc == 0)
			break;
		n++;
		assert_int_equal(ztdp_netconf_chunk_decode(buf, w.off, &chunk), 0);
		assert_false(chunk.legacy);
		assert_int_equal(chunk.flags, 0);
		assert_int_equal(chunk.nwid, rep->nwid);
		assert_true(ztdp_netconf_chunk_verify(&chunk, &ctl_pub));
		assert_false(ztdp_netconf_chunk_verify(&chunk, &other));
		rc = ztdp_netconf_asm_add(&a, &chunk, &ctl_pub, false, 0, &dict, &dict_len);
		assert_true(rc == ZTDP_NCASM_PENDING || rc == ZTDP_NCASM_COMPLETE);
	}
	assert_non_null(dict);
	assert_int_equal(dict_len, rep->dict_len);
	assert_memory_equal(dict, rep->dict, dict_len);
	rc = ztdp_netconf_decode(dict, dict_len, nc, &bad);
	if (rc != 0)
		fail_msg("our config does not decode: %s (key %s)", ztdp_netconf_strerror(rc),
			 bad ? bad : "-");
	ztdp_netconf_asm_fini(&a);
	assert_int_equal(nc->nwid, rep->nwid);
	assert_int_equal(nc->issued_to, member->address);
	assert_int_equal(nc->timestamp, now);
	assert_int_equal(nc->version, 7);
	assert_int_equal(nc->credential_time_max_delta, ZTDP_NETCONF_CTMD_DEFAULT);
	/* The COM: ours, for this network and this member's identity. */
	assert_true(nc->has_com);
	assert_true(ztdp_com_verify(&nc->com, &ctl_pub));
	assert_false(ztdp_com_verify(&nc->com, &other));
	assert_int_equal(ztdp_com_network_id(&nc->com), rep->nwid);
	assert_int_equal(ztdp_com_issued_to(&nc->com), member->address);
	assert_int_equal(ztdp_com_timestamp(&nc->com), now);
	assert_true(ztdp_com_agree_identity(&nc->com, &nc->com, member));
	/* The COO (if any) covers the static IPs. */
	for (unsigned int i = 0; i < nc->coo_count; i++) {
		assert_true(ztdp_coo_verify(&nc->coos[i], &ctl_pub));
		assert_int_equal(nc->coos[i].issued_to, member->address);
	}
	for (unsigned int i = 0; i < nc->static_ip_count && i < ZTDP_COO_MAX_THINGS; i++) {
		const struct ztdp_inetaddr *ip = &nc->static_ips[i];

		assert_true(ztdp_coo_owns(&nc->coos[0], ip->family == 4 ? ZTDP_COO_THING_IPV4
							      : ZTDP_COO_THING_IPV6,
					  ip->ip, ip->family == 4 ? 4 : 16));
	}
	if (nchunks != NULL)
		*nchunks = n;
	return nc;
}

static void expect_ip(const struct ztdp_inetaddr *a, const char *text)
{
	char buf[ZTDP_INETADDR_STRLEN];

	assert_true(ztdp_inetaddr_format(a, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, text);
}

/* 1.14.1's first pick: pool start + (address mod 2^32) mod pool size. */
static void pool_pick(uint64_t address, char *out, size_t n)
{
	snprintf(out, n, "10.147.17.%u", 100 + (unsigned int)((address & 0xffffffffu) % 100));
}

/* ---- Tests ------------------------------------------------------------------------ */

static void test_network_crud(void **state)
{
	struct ztdp_controller *c = new_controller();
	uint64_t ours = ctl_id.address << 24, nwid;
	json_t *out = NULL, *list, *b;
	char err[256] = "";

	(void)state;
	out = ztdp_controller_status_json(c, T0);
	assert_true(json_is_true(json_object_get(out, "controller")));
	assert_int_equal(json_integer_value(json_object_get(out, "apiVersion")), 4);
	assert_int_equal(json_integer_value(json_object_get(out, "clock")), (json_int_t)T0);
	json_decref(out);
	/* Defaults as 1.14.1's initNetwork. */
	nwid = create_network(c, NULL);
	assert_int_equal(nwid >> 24, ctl_id.address);
	assert_int_not_equal(nwid & 0xffffff, 0);
	assert_int_equal(ztdp_controller_network_get(c, nwid, &out, err, sizeof(err)), 0);
	assert_true(json_is_true(json_object_get(out, "private")));
	assert_true(json_is_true(json_object_get(out, "enableBroadcast")));
	assert_int_equal(json_integer_value(json_object_get(out, "mtu")), 2800);
	assert_int_equal(json_integer_value(json_object_get(out, "multicastLimit")), 32);
	assert_int_equal(json_integer_value(json_object_get(out, "revision")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(out, "rules"), 0), "type")), "ACTION_ACCEPT");
	json_decref(out);
	/* Explicit IDs: ours and free only. */
	assert_int_equal(ztdp_controller_network_create(c, nwid, NULL, T0, NULL, err,
							sizeof(err)), ZTDP_CTL_EEXIST);
	assert_int_equal(ztdp_controller_network_create(c, (other.address << 24) | 5, NULL, T0,
							NULL, err, sizeof(err)), ZTDP_CTL_EINVAL);
	assert_non_null(strstr(err, "belongs to controller"));
	assert_int_equal(ztdp_controller_network_create(c, ours, NULL, T0, NULL, err,
							sizeof(err)), ZTDP_CTL_EINVAL);
	assert_int_equal(ztdp_controller_network_create(c, ours | 0x42, NULL, T0, NULL, err,
							sizeof(err)), 0);
	list = ztdp_controller_network_list_json(c);
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);
	/* An update that changes nothing keeps the revision; one that does
	 * raises it. */
	b = parse("{\"name\": \"\"}");
	assert_int_equal(ztdp_controller_network_update(c, nwid, b, T0 + 1, &out, err,
							sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "revision")), 1);
	json_decref(out);
	json_decref(b);
	b = parse("{\"name\": \"renamed\", \"mtu\": 1400}");
	assert_int_equal(ztdp_controller_network_update(c, nwid, b, T0 + 2, &out, err,
							sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "revision")), 2);
	assert_string_equal(json_string_value(json_object_get(out, "name")), "renamed");
	json_decref(out);
	json_decref(b);
	assert_true(ztdp_controller_dirty(c));
	/* Delete. */
	assert_int_equal(ztdp_controller_network_delete(c, ours | 0x42, T0, &out, err,
							sizeof(err)), 0);
	json_decref(out);
	assert_int_equal(ztdp_controller_network_delete(c, ours | 0x42, T0, NULL, err,
							sizeof(err)), ZTDP_CTL_ENOENT);
	assert_int_equal(ztdp_controller_network_get(c, ours | 0x42, &out, err, sizeof(err)),
			 ZTDP_CTL_ENOENT);
	assert_int_equal(ztdp_controller_network_count(c), 1);
	ztdp_controller_destroy(c);
}

/* An unknown requester is denied and recorded; authorized, it gets a
 * config with an address from the pool. */
static void test_request_denied_then_authorized(void **state)
{
	struct ztdp_controller *c = new_controller();
	struct ztdp_controller_reply rep;
	struct ztdp_netconf *nc;
	char idtext[ZTDP_IDENTITY_TEXT_MAX], ip[32], cidr[40];
	uint64_t nwid;
	json_t *m;

	(void)state;
	nwid = create_network(c, POOL_BODY);
	ztdp_controller_mark_saved(c);
	/* Other controllers' networks are not ours to answer. */
	request(c, T0, (other.address << 24) | 1, &m1, &rep);
	assert_int_equal(rep.answer, ZTDP_CTL_ANSWER_NOT_OURS);
	request(c, T0, (ctl_id.address << 24) | 0x777777, &m1, &rep);
	assert_int_equal(rep.answer, ZTDP_CTL_ANSWER_NOT_FOUND);

	request(c, T0, nwid, &m1, &rep);
	assert_int_equal(rep.answer, ZTDP_CTL_ANSWER_ACCESS_DENIED);
	assert_true(ztdp_controller_dirty(c));
	m = member_get(c, nwid, m1.address);
	assert_false(json_is_true(json_object_get(m, "authorized")));
	assert_true(ztdp_identity_to_string(&m1, false, idtext, sizeof(idtext)) > 0);
	assert_string_equal(json_string_value(json_object_get(m, "identity")), idtext);
	assert_int_equal(json_integer_value(json_object_get(m, "revision")), 1);
	assert_int_equal(json_array_size(json_object_get(m, "ipAssignments")), 0);
	/* Versions are taken from authorized requests only (1.14.1). */
	assert_int_equal(json_integer_value(json_object_get(m, "vMajor")), -1);
	json_decref(m);
	assert_int_equal(drain_pushes(c, nwid, m1.address), 0);
	/* A repeat within a second is ignored. */
	request(c, T0 + 1000, nwid, &m1, &rep);
	assert_int_equal(rep.answer, ZTDP_CTL_ANSWER_IGNORE);

	/* Authorized: the address is picked at once, and the member, which
	 * asked recently, gets a push. */
	m = member_update(c, nwid, m1.address, "{\"authorized\": true}", T0 + 1500);
	pool_pick(m1.address, ip, sizeof(ip));
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "ipAssignments"),
							     0)), ip);
	assert_string_equal(json_string_value(json_object_get(m, "lastAuthorizedCredentialType")),
			    "api");
	assert_int_equal(json_integer_value(json_object_get(m, "lastAuthorizedTime")),
			 (json_int_t)(T0 + 1500));
	assert_int_equal(json_integer_value(json_object_get(m, "revision")), 2);
	json_decref(m);
	assert_int_equal(drain_pushes(c, nwid, m1.address), 1);

	ztdp_controller_config(c, T0 + 1600, nwid, m1.address, &rep);
	nc = check_config(c, &rep, &m1, T0 + 1600, NULL);
	assert_int_equal(nc->type, ZTDP_NETCONF_TYPE_PRIVATE);
	assert_string_equal(nc->name, "unit");
	assert_int_equal(nc->revision, 1);
	assert_int_equal(nc->mtu, 2800);
	assert_int_equal(nc->multicast_limit, 32);
	assert_int_equal(nc->flags, ZTDP_NETCONF_FLAG_ENABLE_BROADCAST);
	assert_int_equal(nc->static_ip_count, 1);
	snprintf(cidr, sizeof(cidr), "%s/24", ip);
	expect_ip(&nc->static_ips[0], cidr);
	assert_int_equal(nc->route_count, 1);
	expect_ip(&nc->routes[0].target, "10.147.17.0/24");
	assert_int_equal(nc->routes[0].via.family, 0);
	assert_int_equal(nc->rule_count, 1);
	assert_int_equal(nc->rules[0].t, ZTDP_RULE_ACTION_ACCEPT);
	assert_int_equal(nc->coo_count, 1);
	assert_int_equal(nc->specialist_count, 0);
	assert_true(nc->has_dns);
	ztdp_netconf_free(nc);

	/* Its own request: the same config, and (the record changed: the
	 * versions) the push 1.14.1 sends right after its OK. */
	request(c, T0 + 3000, nwid, &m1, &rep);
	nc = check_config(c, &rep, &m1, T0 + 3000, NULL);
	expect_ip(&nc->static_ips[0], cidr);
	ztdp_netconf_free(nc);
	assert_int_equal(drain_pushes(c, nwid, m1.address), 1);
	m = member_get(c, nwid, m1.address);
	assert_int_equal(json_integer_value(json_object_get(m, "vMajor")), 1);
	assert_int_equal(json_integer_value(json_object_get(m, "vMinor")), 14);
	assert_int_equal(json_integer_value(json_object_get(m, "vRev")), 1);
	assert_int_equal(json_integer_value(json_object_get(m, "vProto")), 12);
	json_decref(m);
	/* A refresh that changes nothing: no push. */
	request(c, T0 + 63000, nwid, &m1, &rep);
	assert_int_equal(rep.answer, ZTDP_CTL_ANSWER_CONFIG);
	assert_int_equal(drain_pushes(c, nwid, m1.address), 0);
	/* A second member gets the next free address, not the first's. */
	m = member_update(c, nwid, m2.address, "{\"authorized\": true}", T0 + 63000);
	assert_string_not_equal(json_string_value(json_array_get(json_object_get(m, "ipAssignments"),
								 0)), ip);
	json_decref(m);
	/* Someone else under m1's address is denied and changes nothing. */
	{
		struct ztdp_identity impostor = other;

		impostor.address = m1.address;
		request(c, T0 + 70000, nwid, &impostor, &rep);
		assert_int_equal(rep.answer, ZTDP_CTL_ANSWER_ACCESS_DENIED);
		m = member_get(c, nwid, m1.address);
		assert_string_equal(json_string_value(json_object_get(m, "identity")), idtext);
		json_decref(m);
	}
	ztdp_controller_destroy(c);
}

/* Rules, IPv6 modes, bridges, explicit addresses, a config in several
 * chunks, and the accept-all config of a member without a rules engine. */
static void test_config_contents(void **state)
{
	struct ztdp_controller *c = new_controller();
	struct ztdp_controller_reply rep;
	struct ztdp_netconf *nc;
	struct ztdp_inetaddr want;
	char err[256] = "", meta[512];
	unsigned int chunks;
	uint8_t ip6[16];
	json_t *b, *m;
	uint64_t nwid;
	size_t mlen;

	(void)state;
	nwid = create_network(c, POOL_BODY);
	b = parse("{\"v6AssignMode\": {\"rfc4193\": true, \"6plane\": true, \"zt\": false},"
		  " \"routes\": [{\"target\": \"10.147.17.0/24\"}, {\"target\": \"10.99.0.0/16\","
		  " \"via\": \"10.147.17.1\"}],"
		  " \"dns\": {\"domain\": \"zt.example\", \"servers\": [\"10.147.17.53\"]},"
		  " \"rules\": [{\"type\": \"MATCH_IP_PROTOCOL\", \"ipProtocol\": 17, \"not\": false,"
		  " \"or\": false}, {\"type\": \"MATCH_IP_DEST_PORT_RANGE\", \"start\": 9, \"end\": 9},"
		  " {\"type\": \"ACTION_DROP\"}, {\"type\": \"MATCH_ETHERTYPE\", \"etherType\": 2054,"
		  " \"not\": true}, {\"type\": \"MATCH_IPV4_SOURCE\", \"ip\": \"10.147.17.0/24\"},"
		  " {\"type\": \"MATCH_MAC_DEST\", \"mac\": \"ff:ff:ff:ff:ff:ff\", \"or\": true},"
		  " {\"type\": \"MATCH_ICMP\", \"icmpType\": 8, \"icmpCode\": null},"
		  " {\"type\": \"MATCH_CHARACTERISTICS\", \"mask\": \"8000000000000002\"},"
		  " {\"type\": \"ACTION_TEE\", \"address\": \"0123456789\", \"length\": 64},"
		  " {\"type\": \"ACTION_ACCEPT\"}]}");
	assert_int_equal(ztdp_controller_network_update(c, nwid, b, T0, NULL, err, sizeof(err)),
			 0);
	json_decref(b);
	/* m1 has a fixed address, outside the pool, inside the route. */
	json_decref(member_update(c, nwid, m1.address,
				  "{\"authorized\": true, \"ipAssignments\": [\"10.147.17.11\","
				  " \"192.168.5.5\"]}", T0));
	request(c, T0 + 10, nwid, &m1, &rep);
	nc = check_config(c, &rep, &m1, T0 + 10, NULL);
	assert_int_equal(nc->revision, 2);
	/* rfc4193 (/88), 6plane (/40), then the routed IPv4 (192.168.5.5 is
	 * in no route: left out, as 1.14.1 does); nothing from the pool. */
	assert_int_equal(nc->static_ip_count, 3);
	ztdp_ip6_rfc4193(nwid, m1.address, ip6);
	ztdp_inetaddr_set_v6(&want, ip6, 88);
	assert_true(ztdp_inetaddr_equal(&nc->static_ips[0], &want));
	ztdp_ip6_6plane(nwid, m1.address, ip6);
	ztdp_inetaddr_set_v6(&want, ip6, 40);
	assert_true(ztdp_inetaddr_equal(&nc->static_ips[1], &want));
	expect_ip(&nc->static_ips[2], "10.147.17.11/24");
	assert_true(nc->flags & ZTDP_NETCONF_FLAG_NDP_EMULATION);
	assert_int_equal(nc->coos[0].thing_count, 3);
	assert_int_equal(nc->route_count, 2);
	expect_ip(&nc->routes[1].target, "10.99.0.0/16");
	expect_ip(&nc->routes[1].via, "10.147.17.1/0");
	assert_string_equal(nc->dns.domain, "zt.example");
	expect_ip(&nc->dns.servers[0], "10.147.17.53/0");
	assert_int_equal(nc->rule_count, 10);
	assert_int_equal(nc->rules[0].t, ZTDP_RULE_MATCH_IP_PROTOCOL);
	assert_int_equal(nc->rules[0].v.ip_protocol, 17);
	assert_int_equal(nc->rules[1].v.port[0], 9);
	assert_int_equal(nc->rules[1].v.port[1], 9);
	assert_int_equal(nc->rules[2].t, ZTDP_RULE_ACTION_DROP);
	assert_int_equal(nc->rules[3].t, ZTDP_RULE_MATCH_ETHERTYPE | ZTDP_RULE_FLAG_NOT);
	assert_int_equal(nc->rules[3].v.ethertype, 0x0806);
	assert_int_equal(nc->rules[4].v.ipv4.mask, 24);
	assert_int_equal(nc->rules[5].t, ZTDP_RULE_MATCH_MAC_DEST | ZTDP_RULE_FLAG_OR);
	assert_int_equal(nc->rules[6].v.icmp.flags, 0);
	assert_int_equal(nc->rules[7].v.characteristics, 0x8000000000000002ULL);
	assert_int_equal(nc->rules[8].v.fwd.address, 0x0123456789ULL);
	assert_int_equal(nc->rules[8].v.fwd.length, 64);
	assert_int_equal(nc->rules[9].t, ZTDP_RULE_ACTION_ACCEPT);
	ztdp_netconf_free(nc);
	/* The rules read back in 1.14.1's form. */
	assert_int_equal(ztdp_controller_network_get(c, nwid, &b, err, sizeof(err)), 0);
	assert_null(json_object_get(json_array_get(json_object_get(b, "rules"), 2), "not"));
	assert_true(json_is_false(json_object_get(json_array_get(json_object_get(b, "rules"), 0),
						  "not")));
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(b, "rules"), 6),
						 "icmpCode")));
	json_decref(b);

	/* A member that knows no rules engine gets accept-all. */
	json_decref(member_update(c, nwid, m2.address, "{\"authorized\": true}", T0));
	mlen = make_meta(meta, sizeof(meta), 0);
	ztdp_controller_request(c, T0 + 20, nwid, &m2, meta, mlen, &rep);
	nc = check_config(c, &rep, &m2, T0 + 20, NULL);
	assert_int_equal(nc->rule_count, 1);
	assert_int_equal(nc->rules[0].t, ZTDP_RULE_ACTION_ACCEPT);
	ztdp_netconf_free(nc);

	/* An active bridge is a specialist in everyone's config, and every
	 * member that is listening hears of it. */
	(void)drain_pushes(c, 0, 0);
	m = member_update(c, nwid, m2.address, "{\"activeBridge\": true}", T0 + 30);
	assert_true(json_is_true(json_object_get(m, "activeBridge")));
	json_decref(m);
	{
		struct ztdp_controller_push p;
		bool to1 = false, to2 = false;

		while (ztdp_controller_next_push(c, &p)) {
			to1 |= p.member == m1.address;
			to2 |= p.member == m2.address;
		}
		assert_true(to1 && to2);
	}
	ztdp_controller_config(c, T0 + 40, nwid, m1.address, &rep);
	nc = check_config(c, &rep, &m1, T0 + 40, NULL);
	assert_int_equal(nc->specialist_count, 1);
	assert_int_equal(nc->specialists[0], m2.address | ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE);
	ztdp_netconf_free(nc);

	/* Many rules: the config takes several signed chunks. */
	{
		json_t *rules = json_array();

		for (int i = 0; i < 1000; i++) {
			char ip[48];

			snprintf(ip, sizeof(ip), "fd00::%x/128", i);
			json_array_append_new(rules, json_pack("{s:s, s:s}", "type",
							       "MATCH_IPV6_SOURCE", "ip", ip));
		}
		b = json_pack("{s:o}", "rules", rules);
		assert_int_equal(ztdp_controller_network_update(c, nwid, b, T0, NULL, err,
								sizeof(err)), 0);
		json_decref(b);
		ztdp_controller_config(c, T0 + 50, nwid, m1.address, &rep);
		nc = check_config(c, &rep, &m1, T0 + 50, &chunks);
		assert_true(chunks >= 2);
		assert_int_equal(nc->rule_count, 1000);
		assert_int_equal(nc->rules[999].v.ipv6.ip[15], 999 & 0xff);
		assert_int_equal(nc->rules[999].v.ipv6.ip[14], 999 >> 8);
		assert_int_equal(nc->rules[999].v.ipv6.mask, 128);
		ztdp_netconf_free(nc);
	}
	/* A public network lets anyone in, recorded as authorized "public". */
	nwid = create_network(c, "{\"private\": false, \"name\": \"open\"}");
	request(c, T0 + 60, nwid, &m2, &rep);
	nc = check_config(c, &rep, &m2, T0 + 60, NULL);
	assert_int_equal(nc->type, ZTDP_NETCONF_TYPE_PUBLIC);
	assert_int_equal(nc->static_ip_count, 0);
	assert_int_equal(nc->coo_count, 0);
	ztdp_netconf_free(nc);
	m = member_get(c, nwid, m2.address);
	assert_true(json_is_true(json_object_get(m, "authorized")));
	assert_string_equal(json_string_value(json_object_get(m, "lastAuthorizedCredentialType")),
			    "public");
	json_decref(m);
	ztdp_controller_destroy(c);
}

static void test_deauthorize_revokes(void **state)
{
	struct ztdp_controller *c = new_controller();
	struct ztdp_controller_revocation r;
	struct ztdp_controller_reply rep;
	bool to1 = false, to2 = false;
	unsigned int count = 0;
	uint64_t nwid;
	json_t *m;
	char err[256];

	(void)state;
	nwid = create_network(c, POOL_BODY);
	json_decref(member_update(c, nwid, m1.address, "{\"authorized\": true}", T0));
	json_decref(member_update(c, nwid, m2.address, "{\"authorized\": true}", T0));
	request(c, T0 + 10, nwid, &m1, &rep);
	assert_int_equal(rep.answer, ZTDP_CTL_ANSWER_CONFIG);
	request(c, T0 + 10, nwid, &m2, &rep);
	assert_int_equal(rep.answer, ZTDP_CTL_ANSWER_CONFIG);
	(void)drain_pushes(c, 0, 0);
	assert_false(ztdp_controller_next_revocation(c, &r));

	m = member_update(c, nwid, m1.address, "{\"authorized\": false}", T0 + 5000);
	assert_false(json_is_true(json_object_get(m, "authorized")));
	assert_int_equal(json_integer_value(json_object_get(m, "lastDeauthorizedTime")),
			 (json_int_t)(T0 + 5000));
	json_decref(m);
	/* One revocation of m1's COMs, for every member that is listening. */
	while (ztdp_controller_next_revocation(c, &r)) {
		count++;
		to1 |= r.to == m1.address;
		to2 |= r.to == m2.address;
		assert_true(ztdp_revocation_verify(&r.rev, &ctl_pub));
		assert_false(ztdp_revocation_verify(&r.rev, &other));
		assert_int_equal(r.rev.nwid, nwid);
		assert_int_equal(r.rev.target, m1.address);
		assert_int_equal(r.rev.credential_type, ZTDP_CRED_TYPE_COM);
		assert_int_equal(r.rev.credential_id, 0);
		assert_int_equal(r.rev.threshold, (int64_t)(T0 + 5000));
		assert_int_equal(r.rev.flags, ZTDP_REVOCATION_FLAG_FAST_PROPAGATE);
	}
	assert_int_equal(count, 2);
	assert_true(to1 && to2);
	/* Its push says nothing (an error cannot be pushed); its request is
	 * refused. */
	assert_int_equal(drain_pushes(c, nwid, m1.address), 1);
	ztdp_controller_config(c, T0 + 5001, nwid, m1.address, &rep);
	assert_int_equal(rep.answer, ZTDP_CTL_ANSWER_ACCESS_DENIED);
	request(c, T0 + 6000, nwid, &m1, &rep);
	assert_int_equal(rep.answer, ZTDP_CTL_ANSWER_ACCESS_DENIED);
	/* It keeps its address for when it comes back. */
	m = member_get(c, nwid, m1.address);
	assert_int_equal(json_array_size(json_object_get(m, "ipAssignments")), 1);
	json_decref(m);
	/* Deleting an authorized member revokes it too. */
	assert_int_equal(ztdp_controller_member_delete(c, nwid, m2.address, T0 + 7000, NULL, err,
						       sizeof(err)), 0);
	count = 0;
	while (ztdp_controller_next_revocation(c, &r)) {
		assert_int_equal(r.rev.target, m2.address);
		count++;
	}
	assert_int_equal(count, 2);
	assert_int_equal(ztdp_controller_member_get(c, nwid, m2.address, &m, err, sizeof(err)),
			 ZTDP_CTL_ENOENT);
	ztdp_controller_destroy(c);
}

static void test_persistence(void **state)
{
	struct ztdp_controller *c = new_controller(), *d;
	struct ztdp_controller_reply rep;
	char err[256] = "", *text, *text2;
	size_t len, len2;
	uint64_t nwid, nwid2;
	json_t *a, *b;

	(void)state;
	nwid = create_network(c, POOL_BODY);
	nwid2 = create_network(c, "{\"private\": false, \"v6AssignMode\": {\"6plane\": true},"
			       " \"dns\": {\"domain\": \"x\", \"servers\": []}, \"rules\": [{\"type\":"
			       " \"MATCH_TAGS_EQUAL\", \"id\": 3, \"value\": 4}, {\"type\": "
			       "\"INTEGER_RANGE\", \"start\": \"10\", \"end\": \"20\", \"idx\": 2,"
			       " \"bits\": 16, \"little\": true}, {\"type\": \"ACTION_ACCEPT\"}]}");
	request(c, T0, nwid, &m1, &rep);
	json_decref(member_update(c, nwid, m1.address, "{\"authorized\": true, \"name\": \"one\","
				  " \"activeBridge\": true}", T0 + 1));
	json_decref(member_update(c, nwid, m2.address, "{\"authorized\": false,"
				  " \"noAutoAssignIps\": true}", T0 + 2));
	request(c, T0, nwid2, &m2, &rep);
	assert_true(ztdp_controller_dirty(c));
	text = ztdp_controller_save(c, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	ztdp_controller_mark_saved(c);
	assert_false(ztdp_controller_dirty(c));

	d = new_controller();
	if (ztdp_controller_load(d, text, len, err, sizeof(err)) != 0)
		fail_msg("load: %s", err);
	assert_false(ztdp_controller_dirty(d));
	text2 = ztdp_controller_save(d, &len2);
	assert_non_null(text2);
	assert_int_equal(len, len2);
	assert_memory_equal(text, text2, len);
	free(text2);
	for (int k = 0; k < 2; k++) {
		uint64_t n = k ? nwid2 : nwid;

		assert_int_equal(ztdp_controller_network_get(c, n, &a, err, sizeof(err)), 0);
		assert_int_equal(ztdp_controller_network_get(d, n, &b, err, sizeof(err)), 0);
		assert_true(json_equal(a, b));
		json_decref(a);
		json_decref(b);
	}
	a = member_get(c, nwid, m1.address);
	b = member_get(d, nwid, m1.address);
	assert_true(json_equal(a, b));
	assert_string_equal(json_string_value(json_object_get(b, "name")), "one");
	json_decref(a);
	json_decref(b);
	/* The loaded controller serves the member with its recorded identity. */
	request(d, T0 + 5000, nwid, &m1, &rep);
	ztdp_netconf_free(check_config(d, &rep, &m1, T0 + 5000, NULL));
	ztdp_controller_destroy(d);

	/* Another controller's state, or a damaged one, is refused, and the
	 * controller then refuses changes rather than overwrite it. */
	d = ztdp_controller_create(&m2);
	assert_non_null(d);
	assert_int_equal(ztdp_controller_load(d, text, len, err, sizeof(err)), ZTDP_CTL_EINVAL);
	assert_non_null(strstr(err, "belongs to controller"));
	assert_int_equal(ztdp_controller_network_count(d), 0);
	assert_null(ztdp_controller_save(d, &len2));
	assert_int_equal(ztdp_controller_network_create(d, 0, NULL, T0, NULL, err, sizeof(err)),
			 ZTDP_CTL_EBROKEN);
	assert_non_null(strstr(err, "read-only"));
	ztdp_controller_destroy(d);
	d = new_controller();
	text[len / 2] = '\0';
	assert_int_equal(ztdp_controller_load(d, text, len / 2, err, sizeof(err)),
			 ZTDP_CTL_EINVAL);
	assert_non_null(strstr(err, "not JSON"));
	assert_null(strchr(err, '\n'));
	ztdp_controller_destroy(d);
	free(text);
	ztdp_controller_destroy(c);
}

/* Each bad input is refused with one line naming the field, and changes
 * nothing. */
static void test_bad_input(void **state)
{
	static const struct {
		const char *body;
		const char *says;
	} net_cases[] = {
		{ "{\"mtu\": \"big\"}", "\"mtu\" must be an integer" },
		{ "{\"mtu\": 100}", "\"mtu\" must be between 1280 and 10000" },
		{ "{\"privte\": true}", "unknown network field \"privte\"" },
		{ "{\"private\": 1}", "\"private\" must be true or false" },
		{ "{\"multicastLimit\": -1}", "\"multicastLimit\" must be between" },
		{ "{\"routes\": [{\"target\": \"10.0.0.0\"}]}", "needs a prefix length" },
		{ "{\"routes\": [{\"target\": \"10.0.0.0/33\"}]}", "prefix length 33 is over 32" },
		{ "{\"routes\": [{\"target\": \"10.0.0.0/8\", \"via\": \"fd00::1\"}]}",
		  "routes[0].via is not of the target's address family" },
		{ "{\"routes\": {}}", "\"routes\" must be an array" },
		{ "{\"ipAssignmentPools\": [{\"ipRangeStart\": \"10.0.0.300\", \"ipRangeEnd\":"
		  " \"10.0.0.1\"}]}", "ipAssignmentPools[0].ipRangeStart: \"10.0.0.300\" is not" },
		{ "{\"ipAssignmentPools\": [{\"ipRangeStart\": \"10.0.0.9\", \"ipRangeEnd\":"
		  " \"10.0.0.1\"}]}", "ipRangeEnd is below ipRangeStart" },
		{ "{\"ipAssignmentPools\": [{\"ipRangeStart\": \"10.0.0.9\"}]}",
		  "ipAssignmentPools[0].ipRangeEnd is missing" },
		{ "{\"rules\": [{\"type\": \"ACTION_FOO\"}]}", "unknown or unsupported rule type" },
		{ "{\"rules\": [{\"type\": \"MATCH_ETHERTYPE\"}]}", "needs \"etherType\"" },
		{ "{\"rules\": [{\"type\": \"MATCH_ETHERTYPE\", \"etherType\": 70000}]}",
		  "rules[0].etherType must be between 0 and 65535" },
		{ "{\"rules\": [{\"type\": \"ACTION_ACCEPT\"}, {\"type\": \"MATCH_IPV4_DEST\","
		  " \"ip\": \"10.0.0.1\"}]}", "rules[1].ip: \"10.0.0.1\" needs a prefix length" },
		{ "{\"rules\": [{\"type\": \"MATCH_IPV4_DEST\", \"ip\": \"fd00::/8\"}]}",
		  "an IPv4 address is needed" },
		{ "{\"rules\": [{\"type\": \"ACTION_DROP\", \"etherType\": 1}]}",
		  "unknown field \"etherType\" for ACTION_DROP" },
		{ "{\"rules\": [{\"type\": \"MATCH_MAC_SOURCE\", \"mac\": \"01:02\"}]}",
		  "is not a MAC address" },
		{ "{\"rules\": [\"ACTION_DROP\"]}", "rules[0] must be an object" },
		{ "{\"v4AssignMode\": \"zt\"}", "\"v4AssignMode\" must be an object" },
		{ "{\"v6AssignMode\": {\"6plain\": true}}", "v6AssignMode: unknown field \"6plain\"" },
		{ "{\"capabilities\": [{\"id\": 1}]}", "\"capabilities\" is not supported" },
		{ "{\"ssoEnabled\": true}", "\"ssoEnabled\" is not supported" },
		{ "{\"dns\": {\"domain\": 5}}", "dns.domain must be a string" },
		{ "{\"name\": \"0123456789012345678901234567890123456789012345678901234567890"
		  "1234567890123456789012345678901234567890123456789012345678901234567890\"}",
		  "\"name\" is longer than 127 bytes" },
		{ "[1, 2]", "the network must be a JSON object" },
	};
	static const struct {
		const char *body;
		const char *says;
	} member_cases[] = {
		{ "{\"authorized\": \"yes\"}", "\"authorized\" must be true or false" },
		{ "{\"ipAssignments\": [\"10.0.0.1\", \"10.0.0.1\"]}", "is listed twice" },
		{ "{\"ipAssignments\": [\"ten\"]}", "ipAssignments[0]: \"ten\" is not an IP address" },
		{ "{\"ipAssignments\": \"10.0.0.1\"}", "must be an array of IP addresses" },
		{ "{\"foo\": 1}", "unknown member field \"foo\"" },
		{ "{\"tags\": [[1, 2]]}", "\"tags\" is not supported" },
	};
	struct ztdp_controller *c = new_controller();
	json_t *before, *after, *b;
	char err[256];
	uint64_t nwid;

	(void)state;
	nwid = create_network(c, POOL_BODY);
	json_decref(member_update(c, nwid, m1.address, "{\"authorized\": true}", T0));
	for (size_t i = 0; i < sizeof(net_cases) / sizeof(net_cases[0]); i++) {
		assert_int_equal(ztdp_controller_network_get(c, nwid, &before, err, sizeof(err)), 0);
		b = parse(net_cases[i].body);
		err[0] = '\0';
		assert_int_equal(ztdp_controller_network_update(c, nwid, b, T0, NULL, err,
								sizeof(err)), ZTDP_CTL_EINVAL);
		if (strstr(err, net_cases[i].says) == NULL)
			fail_msg("%s: said \"%s\", expected \"%s\"", net_cases[i].body, err,
				 net_cases[i].says);
		assert_null(strchr(err, '\n'));
		/* A create with the same body is refused the same way. */
		assert_int_equal(ztdp_controller_network_create(c, 0, b, T0, NULL, err,
								sizeof(err)), ZTDP_CTL_EINVAL);
		json_decref(b);
		assert_int_equal(ztdp_controller_network_get(c, nwid, &after, err, sizeof(err)), 0);
		assert_true(json_equal(before, after));
		json_decref(before);
		json_decref(after);
	}
	assert_int_equal(ztdp_controller_network_count(c), 1);
	for (size_t i = 0; i < sizeof(member_cases) / sizeof(member_cases[0]); i++) {
		before = member_get(c, nwid, m1.address);
		b = parse(member_cases[i].body);
		err[0] = '\0';
		assert_int_equal(ztdp_controller_member_update(c, nwid, m1.address, b, T0, NULL,
							       err, sizeof(err)), ZTDP_CTL_EINVAL);
		if (strstr(err, member_cases[i].says) == NULL)
			fail_msg("%s: said \"%s\", expected \"%s\"", member_cases[i].body, err,
				 member_cases[i].says);
		json_decref(b);
		after = member_get(c, nwid, m1.address);
		assert_true(json_equal(before, after));
		json_decref(before);
		json_decref(after);
	}
	/* Unknown networks and members, and a reserved address. */
	b = parse("{}");
	assert_int_equal(ztdp_controller_member_update(c, nwid + 1, m1.address, b, T0, NULL, err,
						       sizeof(err)), ZTDP_CTL_ENOENT);
	assert_non_null(strstr(err, "no network"));
	assert_int_equal(ztdp_controller_member_update(c, nwid, 0xff00000001ULL, b, T0, NULL,
						       err, sizeof(err)), ZTDP_CTL_EINVAL);
	assert_int_equal(ztdp_controller_member_get(c, nwid, m2.address, &after, err,
						    sizeof(err)), ZTDP_CTL_ENOENT);
	assert_int_equal(ztdp_controller_network_update(c, nwid + 1, b, T0, NULL, err,
							sizeof(err)), ZTDP_CTL_ENOENT);
	json_decref(b);
	ztdp_controller_destroy(c);
}

/* ---- Against ZeroTierOne 1.14.1 -------------------------------------------------------- */

/* The network the interop harness made (create-network.sh): our GET shows
 * what 1.14.1's showed, field for field; its own GET posts back as is. */
static void test_json_as_zerotier(void **state)
{
	struct ztdp_controller *c;
	json_t *zt, *ours, *ztm, *om, *v;
	const char *key;
	char err[256] = "";
	uint64_t nwid;

	(void)state;
	if (!ztdp_test_have_shared("interop/data/api/controller-network.json") ||
	    !ztdp_test_have_shared("interop/data/api/controller-member-a.json"))
		skip();
	zt = ztdp_test_load_json("interop/data/api/controller-network.json");
	c = new_controller();
	nwid = create_network(c, "{\"name\": \"interop\", \"private\": true, \"v4AssignMode\":"
			      " {\"zt\": true}, \"v6AssignMode\": {\"zt\": false, \"6plane\": false,"
			      " \"rfc4193\": false}, \"ipAssignmentPools\": [{\"ipRangeStart\":"
			      " \"10.147.17.100\", \"ipRangeEnd\": \"10.147.17.200\"}], \"routes\":"
			      " [{\"target\": \"10.147.17.0/24\", \"via\": null}], \"enableBroadcast\":"
			      " true, \"multicastLimit\": 32}");
	assert_int_equal(ztdp_controller_network_get(c, nwid, &ours, err, sizeof(err)), 0);
	/* The rules differ only in form: 1.14.1 shows its default rule with
	 * "not" and "or", and every other action without; we show actions
	 * without. The round trip below shows they are the same rules. */
	json_object_foreach(zt, key, v) {
		if (strcmp(key, "id") == 0 || strcmp(key, "nwid") == 0 ||
		    strcmp(key, "creationTime") == 0 || strcmp(key, "rules") == 0)
			continue;
		if (!json_equal(v, json_object_get(ours, key)))
			fail_msg("network field \"%s\" differs from 1.14.1's", key);
	}
	assert_int_equal(json_object_size(ours), json_object_size(zt));
	/* 1.14.1's GET output is accepted back and changes nothing. */
	assert_int_equal(ztdp_controller_network_update(c, nwid, zt, T0, NULL, err, sizeof(err)),
			 0);
	json_decref(ours);
	assert_int_equal(ztdp_controller_network_get(c, nwid, &ours, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(ours, "revision")), 1);
	json_decref(ours);

	/* A member: the same fields; 1.14.1's record posts back too. */
	ztm = ztdp_test_load_json("interop/data/api/controller-member-a.json");
	om = member_update(c, nwid, m1.address, "{\"authorized\": true, \"ipAssignments\":"
			   " [\"10.147.17.11\"]}", T0);
	json_object_foreach(ztm, key, v)
		if (json_object_get(om, key) == NULL)
			fail_msg("member field \"%s\" of 1.14.1 is missing", key);
	json_object_foreach(om, key, v)
		if (json_object_get(ztm, key) == NULL && strcmp(key, "name") != 0)
			fail_msg("member field \"%s\" is not 1.14.1's", key);
	assert_true(json_equal(json_object_get(om, "ipAssignments"),
			       json_object_get(ztm, "ipAssignments")));
	json_decref(om);
	assert_int_equal(ztdp_controller_member_update(c, nwid, m1.address, ztm, T0, NULL, err,
						       sizeof(err)), 0);
	json_decref(ztm);
	json_decref(zt);
	ztdp_controller_destroy(c);
}

/* Load the state a 1.14.1 controller had (its network and member JSON, as
 * the API showed them) under its own identity, ask for each member's
 * config at the moment 1.14.1 built its last one, and compare the bytes. */
static void compare_with_capture(const char *dataset, const char *pcap)
{
	static const char *const members[] = { "a", "b" };
	struct nc_capture cap;
	struct ztdp_controller *c;
	json_t *state, *net, *mlist;
	char path[128], err[256] = "", *text;

	if (!nc_capture_load(&cap, dataset, pcap))
		skip();
	snprintf(path, sizeof(path), "%s/api/controller-network.json", dataset);
	net = ztdp_test_load_json(path);
	mlist = json_array();
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/api/controller-member-%s.json", dataset, members[i]);
		json_array_append_new(mlist, ztdp_test_load_json(path));
	}
	snprintf(path, sizeof(path), "%010" PRIx64, cap.ids[NC_NODE_ROOT].address);
	state = json_pack("{s:i, s:s, s:[{s:o, s:o}]}", "ztdpController", 1, "address", path,
			  "networks", "network", net, "members", mlist);
	assert_non_null(state);
	text = json_dumps(state, 0);
	c = ztdp_controller_create(&cap.ids[NC_NODE_ROOT]);
	assert_non_null(c);
	if (ztdp_controller_load(c, text, strlen(text), err, sizeof(err)) != 0)
		fail_msg("1.14.1's JSON does not load: %s", err);
	for (int i = NC_NODE_A; i <= NC_NODE_B; i++) {
		const struct nc_config *zt = nc_capture_last_for(&cap, cap.ids[i].address);
		struct ztdp_netconf *znc = ztdp_netconf_alloc();
		struct ztdp_controller_reply rep;
		struct ztdp_identity pub = cap.ids[i];
		char meta[512];
		size_t mlen = make_meta(meta, sizeof(meta), 1);

		assert_non_null(zt);
		assert_int_equal(ztdp_netconf_decode(zt->dict, zt->len, znc, NULL), 0);
		memset(pub.priv, 0, sizeof(pub.priv));
		pub.has_private = false;
		ztdp_controller_request(c, znc->timestamp, cap.nwid, &pub, meta, mlen, &rep);
		assert_int_equal(rep.answer, ZTDP_CTL_ANSWER_CONFIG);
		if (rep.dict_len != zt->len || memcmp(rep.dict, zt->dict, zt->len) != 0)
			fail_msg("%s: config for %010" PRIx64 " differs from 1.14.1's:\n"
				 "ours:\n%.*s\n1.14.1:\n%.*s", dataset, cap.ids[i].address,
				 (int)rep.dict_len, (const char *)rep.dict, (int)zt->len,
				 (const char *)zt->dict);
		ztdp_netconf_free(znc);
	}
	ztdp_controller_destroy(c);
	free(text);
	json_decref(state);
	nc_capture_free(&cap);
}

static void test_config_as_zerotier(void **state)
{
	(void)state;
	compare_with_capture("interop/data", "pcap/underlay-join-ping.pcap");
}

/* Rules, rfc4193 + 6plane, an active bridge. */
static void test_config_as_zerotier_bridge(void **state)
{
	(void)state;
	compare_with_capture("interop/data-bridge", "pcap/bridge-underlay.pcap");
}

static int group_setup(void **state)
{
	(void)state;
	if (ztdp_crypto_init(NULL) != 0 || ztdp_identity_generate(&ctl_id) != 0 ||
	    ztdp_identity_generate(&m1) != 0 || ztdp_identity_generate(&m2) != 0 ||
	    ztdp_identity_generate(&other) != 0)
		return -1;
	ctl_pub = ctl_id;
	memset(ctl_pub.priv, 0, sizeof(ctl_pub.priv));
	ctl_pub.has_private = false;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network_crud),
		cmocka_unit_test(test_request_denied_then_authorized),
		cmocka_unit_test(test_config_contents),
		cmocka_unit_test(test_deauthorize_revokes),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_json_as_zerotier),
		cmocka_unit_test(test_config_as_zerotier),
		cmocka_unit_test(test_config_as_zerotier_bridge),
		cmocka_unit_test(test_persistence),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
