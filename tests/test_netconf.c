/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network configs (protocol notes section 8.2) against the real thing: the
 * configs a 1.14.1 controller sent in interop/data and interop/data-bridge
 * are extracted from the captures (netconf_capture.c: dearmor with the
 * nodes' secrets, LZ4, chunk signature), decoded, compared with the
 * controller's JSON and each member's `zerotier-cli listnetworks -j`,
 * their credentials verified against the controller identity, and
 * re-encoded byte for byte. Then configs built from scratch as a
 * controller would, and the limits and malformed values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netconf_capture.h"
#include "test_util.h"
#include "ztdp_crypto.h"
#include "ztdp_dict.h"
#include "ztdp_netconf.h"

#define DATA		"interop/data"
#define BRIDGE		"interop/data-bridge"
#define JOIN_PCAP	"pcap/underlay-join-ping.pcap"
#define BRIDGE_PCAP	"pcap/bridge-underlay.pcap"
#define ENC_CAP		(64 * 1024)

static int setup(void **state)
{
	(void)state;
	return ztdp_crypto_init(NULL);
}

static uint8_t *load_fixture(const char *name, size_t *len)
{
	const char *src = getenv("ZTDP_SOURCE_DIR");
	char path[1024];

	snprintf(path, sizeof(path), "%s/tests/data/netconf/%s", src ? src : ".", name);
	return ztdp_test_read_file(path, len);
}

static struct ztdp_netconf *decode_ok(const uint8_t *dict, size_t len)
{
	struct ztdp_netconf *nc = ztdp_netconf_alloc();
	const char *bad = NULL;
	int rc;

	assert_non_null(nc);
	rc = ztdp_netconf_decode(dict, len, nc, &bad);
	if (rc != 0)
		fail_msg("config does not decode: %s (key %s)", ztdp_netconf_strerror(rc),
			 bad ? bad : "-");
	return nc;
}

/* Decode, re-encode: the controller's exact bytes. */
static void check_reencode(const struct ztdp_netconf *nc, const uint8_t *dict,
			   size_t len)
{
	uint8_t *out = malloc(ENC_CAP);
	size_t n = 0;

	assert_non_null(out);
	assert_int_equal(ztdp_netconf_encode(nc, out, ENC_CAP, &n), 0);
	assert_int_equal(n, len);
	assert_memory_equal(out, dict, len);
	/* One byte less room: refused. */
	assert_int_equal(ztdp_netconf_encode(nc, out, len - 1, &n), ZTDP_NETCONF_ENOSPC);
	free(out);
}

static void parse_addr(const char *s, struct ztdp_inetaddr *a)
{
	if (ztdp_inetaddr_parse(a, s) != 0)
		fail_msg("cannot parse %s", s);
}

static bool has_static_ip(const struct ztdp_netconf *nc, const char *s)
{
	struct ztdp_inetaddr a;

	parse_addr(s, &a);
	for (unsigned int i = 0; i < nc->static_ip_count; i++)
		if (ztdp_inetaddr_equal(&nc->static_ips[i], &a))
			return true;
	return false;
}

/* The member's own view (`zerotier-cli listnetworks -j`) of the config. */
static void check_against_cli(const struct ztdp_netconf *nc, const char *cli_rel,
			      uint64_t self)
{
	json_t *root, *net = NULL, *v;
	size_t i;

	root = ztdp_test_load_json(cli_rel);
	json_array_foreach(root, i, v) {
		if (strtoull(ztdp_test_json_str(v, "nwid"), NULL, 16) == nc->nwid)
			net = v;
	}
	assert_non_null(net);
	assert_string_equal(ztdp_test_json_str(net, "name"), nc->name);
	assert_int_equal(json_integer_value(json_object_get(net, "mtu")), nc->mtu);
	assert_int_equal(json_integer_value(json_object_get(net, "netconfRevision")),
			 nc->revision);
	assert_string_equal(ztdp_test_json_str(net, "type"),
			    ztdp_netconf_is_public(nc) ? "PUBLIC" : "PRIVATE");
	assert_int_equal(json_is_true(json_object_get(net, "broadcastEnabled")),
			 ztdp_netconf_broadcast_enabled(nc));
	assert_int_equal(json_is_true(json_object_get(net, "bridge")),
			 ztdp_netconf_specialist_has(nc, self,
						     ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE));
	/* Same addresses, same order. */
	v = json_object_get(net, "assignedAddresses");
	assert_int_equal(json_array_size(v), nc->static_ip_count);
	for (i = 0; i < nc->static_ip_count; i++) {
		struct ztdp_inetaddr a;

		parse_addr(json_string_value(json_array_get(v, i)), &a);
		assert_true(ztdp_inetaddr_equal(&a, &nc->static_ips[i]));
	}
	v = json_object_get(net, "routes");
	assert_int_equal(json_array_size(v), nc->route_count);
	for (i = 0; i < nc->route_count; i++) {
		json_t *r = json_array_get(v, i);
		struct ztdp_inetaddr a;

		parse_addr(ztdp_test_json_str(r, "target"), &a);
		assert_true(ztdp_inetaddr_equal(&a, &nc->routes[i].target));
		assert_true(json_is_null(json_object_get(r, "via")));
		assert_int_equal(nc->routes[i].via.family, 0);
		assert_int_equal(json_integer_value(json_object_get(r, "flags")),
				 nc->routes[i].flags);
		assert_int_equal(json_integer_value(json_object_get(r, "metric")),
				 nc->routes[i].metric);
	}
	v = json_object_get(net, "dns");
	assert_string_equal(ztdp_test_json_str(v, "domain"), nc->dns.domain);
	json_decref(root);
}

/* The controller's rules (GET network) against the decoded `R`. */
static void check_rules_against_controller(const struct ztdp_netconf *nc,
					   const char *net_rel)
{
	json_t *root = ztdp_test_load_json(net_rel);
	json_t *rules = json_object_get(root, "rules"), *r;
	size_t i;

	assert_int_equal(json_array_size(rules), nc->rule_count);
	json_array_foreach(rules, i, r) {
		const struct ztdp_rule *nr = &nc->rules[i];
		unsigned int type = nr->t & ZTDP_RULE_TYPE_MASK;

		assert_string_equal(ztdp_test_json_str(r, "type"), ztdp_rule_type_name(type));
		assert_int_equal(json_is_true(json_object_get(r, "not")),
				 (nr->t & ZTDP_RULE_FLAG_NOT) != 0);
		assert_int_equal(json_is_true(json_object_get(r, "or")),
				 (nr->t & ZTDP_RULE_FLAG_OR) != 0);
		if (type == ZTDP_RULE_MATCH_IP_PROTOCOL)
			assert_int_equal(json_integer_value(json_object_get(r, "ipProtocol")),
					 nr->v.ip_protocol);
		if (type == ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE) {
			assert_int_equal(json_integer_value(json_object_get(r, "start")),
					 nr->v.port[0]);
			assert_int_equal(json_integer_value(json_object_get(r, "end")),
					 nr->v.port[1]);
		}
	}
	/* Fields the network JSON and the config share. */
	assert_string_equal(ztdp_test_json_str(root, "name"), nc->name);
	assert_int_equal(json_integer_value(json_object_get(root, "mtu")), nc->mtu);
	assert_int_equal(json_integer_value(json_object_get(root, "multicastLimit")),
			 nc->multicast_limit);
	assert_int_equal(json_integer_value(json_object_get(root, "revision")), nc->revision);
	assert_int_equal(json_is_true(json_object_get(root, "private")),
			 !ztdp_netconf_is_public(nc));
	assert_int_equal(json_is_true(json_object_get(root, "enableBroadcast")),
			 ztdp_netconf_broadcast_enabled(nc));
	assert_int_equal(strtoull(ztdp_test_json_str(root, "nwid"), NULL, 16), nc->nwid);
	json_decref(root);
}

/* What every config of a 1.14.1 controller has, and its credentials. */
static void check_common(const struct nc_capture *c, const struct nc_config *cfg,
			 const struct ztdp_netconf *nc)
{
	const struct ztdp_identity *root = &c->ids[NC_NODE_ROOT];
	int me = nc_capture_node(c, cfg->dest);

	assert_true(me == NC_NODE_A || me == NC_NODE_B);
	assert_int_equal(nc->version, ZTDP_NETCONF_VERSION);
	assert_int_equal(nc->nwid, c->nwid);
	assert_int_equal(nc->issued_to, cfg->dest);
	assert_int_equal(nc->remote_trace_target, 0);
	assert_int_equal(nc->credential_time_max_delta, ZTDP_NETCONF_CTMD_DEFAULT);
	assert_int_equal(nc->type, ZTDP_NETCONF_TYPE_PRIVATE);
	assert_int_equal(nc->mtu, 2800);
	assert_int_equal(nc->multicast_limit, ZTDP_NETCONF_DEFAULT_MULTICAST_LIMIT);
	assert_true(ztdp_netconf_broadcast_enabled(nc));
	assert_true(nc->has_dns);
	assert_string_equal(nc->dns.domain, "");
	for (int i = 0; i < ZTDP_NETCONF_DNS_SERVERS; i++)
		assert_int_equal(nc->dns.servers[i].family, 0);
	assert_false(nc->sso.enabled);
	assert_int_equal(nc->sso.version, 0);
	assert_int_equal(nc->capability_count, 0);
	assert_int_equal(nc->tag_count, 0);
	assert_int_equal(nc->route_count, 1);
	assert_int_equal(nc->routes[0].target.port, 24);
	assert_int_equal(nc->routes[0].via.family, 0);

	/* COM (section 9.1): 7 qualifiers, signed by the controller, carrying
	 * the config's timestamp and ctmd and the member's identity hash. */
	assert_true(nc->has_com);
	assert_int_equal(nc->com.qualifier_count, ZTDP_COM_ISSUED_QUALIFIERS);
	assert_int_equal(nc->com.signed_by, root->address);
	assert_true(ztdp_com_verify(&nc->com, root));
	assert_false(ztdp_com_verify(&nc->com, &c->ids[me]));
	assert_int_equal(ztdp_com_timestamp(&nc->com), nc->timestamp);
	assert_int_equal(nc->com.q[0].max_delta, nc->credential_time_max_delta);
	assert_int_equal(ztdp_com_network_id(&nc->com), nc->nwid);
	assert_int_equal(ztdp_com_issued_to(&nc->com), cfg->dest);
	assert_true(ztdp_com_agree_identity(&nc->com, &nc->com, &c->ids[me]));

	/* One COO covering all static IPs. */
	assert_int_equal(nc->coo_count, 1);
	assert_true(ztdp_coo_verify(&nc->coos[0], root));
	assert_int_equal(nc->coos[0].issued_to, cfg->dest);
	assert_int_equal(nc->coos[0].timestamp, nc->timestamp);
	assert_int_equal(nc->coos[0].thing_count, nc->static_ip_count);
	for (unsigned int i = 0; i < nc->static_ip_count; i++) {
		const struct ztdp_inetaddr *a = &nc->static_ips[i];

		assert_true(ztdp_coo_owns(&nc->coos[0],
					  a->family == 4 ? ZTDP_COO_THING_IPV4 : ZTDP_COO_THING_IPV6,
					  a->ip, a->family == 4 ? 4 : 16));
	}
	assert_true(ztdp_netconf_credential_time_ok(nc, nc->coos[0].timestamp));
}

static void check_all_configs(const struct nc_capture *c)
{
	for (size_t i = 0; i < c->count; i++) {
		struct ztdp_netconf *nc = decode_ok(c->configs[i].dict, c->configs[i].len);

		check_common(c, &c->configs[i], nc);
		check_reencode(nc, c->configs[i].dict, c->configs[i].len);
		ztdp_netconf_free(nc);
	}
}

/* Both members' COMs agree with each other (gate, section 9.3) and each
 * carries its own identity's hash, not the other's. */
static void check_coms_agree(const struct nc_capture *c,
			     const struct ztdp_netconf *na,
			     const struct ztdp_netconf *nb)
{
	assert_true(ztdp_com_agree(&na->com, &nb->com));
	assert_true(ztdp_com_agree(&nb->com, &na->com));
	assert_true(ztdp_com_agree_identity(&na->com, &nb->com, &c->ids[NC_NODE_B]));
	assert_true(ztdp_com_agree_identity(&nb->com, &na->com, &c->ids[NC_NODE_A]));
	assert_false(ztdp_com_agree_identity(&na->com, &nb->com, &c->ids[NC_NODE_A]));
	assert_false(ztdp_com_agree_identity(&nb->com, &na->com, &c->ids[NC_NODE_B]));
}

static void test_capture_join(void **state)
{
	struct nc_capture c;
	const struct nc_config *ca, *cb;
	struct ztdp_netconf *na, *nb;
	uint8_t *fx;
	size_t fxlen;

	(void)state;
	if (!nc_capture_load(&c, DATA, JOIN_PCAP)) {
		skip();
		return;
	}
	print_message("join capture: %u packets, %u chunks, %zu configs\n",
		      c.packets, c.chunks, c.count);
	/* Section 6.11: each member got OK(0x0B) and then a push (0x0C). */
	assert_int_equal(c.count, 4);
	assert_int_equal(c.bad_chunk_sigs, 0);
	check_all_configs(&c);

	/* The OK-delivered configs are the fixtures used elsewhere. */
	ca = &c.configs[2];
	cb = &c.configs[0];
	assert_int_equal(ca->dest, c.ids[NC_NODE_A].address);
	assert_int_equal(ca->verb, ZTDP_VERB_OK);
	assert_int_equal(cb->dest, c.ids[NC_NODE_B].address);
	fx = load_fixture("data-a-ok.dict", &fxlen);
	assert_int_equal(fxlen, ca->len);
	assert_memory_equal(fx, ca->dict, fxlen);
	free(fx);
	fx = load_fixture("data-b-ok.dict", &fxlen);
	assert_int_equal(fxlen, cb->len);
	assert_memory_equal(fx, cb->dict, fxlen);
	free(fx);

	na = decode_ok(ca->dict, ca->len);
	nb = decode_ok(cb->dict, cb->len);
	assert_string_equal(na->name, "interop");
	assert_int_equal(na->revision, 1);
	assert_int_equal(na->flags, ZTDP_NETCONF_FLAG_ENABLE_BROADCAST);
	assert_int_equal(na->static_ip_count, 1);
	assert_true(has_static_ip(na, "10.147.17.11/24"));
	assert_true(has_static_ip(nb, "10.147.17.12/24"));
	assert_false(has_static_ip(na, "10.147.17.12/24"));
	assert_true(has_static_ip(na, "10.147.17.11/24") && na->static_ips[0].port == 24);
	assert_int_equal(na->specialist_count, 0);
	assert_int_equal(na->rule_count, 1);
	assert_int_equal(na->rules[0].t, ZTDP_RULE_ACTION_ACCEPT);
	check_coms_agree(&c, na, nb);
	check_against_cli(na, DATA "/cli/cli-a-listnetworks.json", ca->dest);
	check_against_cli(nb, DATA "/cli/cli-b-listnetworks.json", cb->dest);
	check_rules_against_controller(na, DATA "/api/controller-network.json");

	/* The push right after the OK (section 6.11) is another complete
	 * config with a different update ID; its ts is the OK's or 1 ms later
	 * (a got the same ms, b 1 ms later): not necessarily newer. */
	{
		struct ztdp_netconf *pa = decode_ok(c.configs[3].dict, c.configs[3].len);
		struct ztdp_netconf *pb = decode_ok(c.configs[1].dict, c.configs[1].len);

		assert_int_equal(c.configs[3].verb, ZTDP_VERB_NETWORK_CONFIG);
		assert_int_equal(c.configs[1].verb, ZTDP_VERB_NETWORK_CONFIG);
		assert_true(c.configs[3].update_id != ca->update_id);
		assert_true(pa->timestamp >= na->timestamp && pa->timestamp <= na->timestamp + 1);
		assert_true(pb->timestamp >= nb->timestamp && pb->timestamp <= nb->timestamp + 1);
		assert_true(ztdp_com_agree(&pa->com, &nb->com));
		ztdp_netconf_free(pa);
		ztdp_netconf_free(pb);
	}
	ztdp_netconf_free(na);
	ztdp_netconf_free(nb);
	nc_capture_free(&c);
}

static void test_capture_bridge(void **state)
{
	struct nc_capture c, j;
	const struct nc_config *ca, *cb;
	struct ztdp_netconf *na, *nb, *mid;
	uint64_t bridges[4];
	uint8_t *fx;
	size_t fxlen;

	(void)state;
	if (!nc_capture_load(&c, BRIDGE, BRIDGE_PCAP)) {
		skip();
		return;
	}
	print_message("bridge capture: %u packets, %u chunks, %zu configs\n",
		      c.packets, c.chunks, c.count);
	assert_int_equal(c.bad_chunk_sigs, 0);
	assert_true(c.count >= 6);
	check_all_configs(&c);
	ca = nc_capture_last_for(&c, c.ids[NC_NODE_A].address);
	cb = nc_capture_last_for(&c, c.ids[NC_NODE_B].address);
	assert_non_null(ca);
	assert_non_null(cb);
	fx = load_fixture("bridge-a-final.dict", &fxlen);
	assert_int_equal(fxlen, ca->len);
	assert_memory_equal(fx, ca->dict, fxlen);
	free(fx);
	fx = load_fixture("bridge-b-final.dict", &fxlen);
	assert_int_equal(fxlen, cb->len);
	assert_memory_equal(fx, cb->dict, fxlen);
	free(fx);

	na = decode_ok(ca->dict, ca->len);
	nb = decode_ok(cb->dict, cb->len);
	assert_string_equal(na->name, "interop-bridge");
	assert_int_equal(na->revision, 4);
	/* IPv6 auto-assign turns on NDP emulation (section 8.4). */
	assert_int_equal(na->flags, ZTDP_NETCONF_FLAG_ENABLE_BROADCAST |
			 ZTDP_NETCONF_FLAG_NDP_EMULATION);
	assert_true(ztdp_netconf_ndp_emulation(nb));
	/* rfc4193 /88, 6plane /40 (sections 1.5, 8.2), then IPv4. */
	assert_int_equal(na->static_ip_count, 3);
	assert_true(has_static_ip(na, "fd7a:4d39:540c:63f:7499:9302:6575:5a25/88"));
	assert_true(has_static_ip(na, "fc76:4b06:2002:6575:5a25::1/40"));
	assert_true(has_static_ip(na, "10.147.33.11/24"));
	assert_true(has_static_ip(nb, "fd7a:4d39:540c:63f:7499:939c:1c35:7ba4/88"));
	assert_true(has_static_ip(nb, "fc76:4b06:209c:1c35:7ba4::1/40"));
	assert_true(has_static_ip(nb, "10.147.33.12/24"));
	/* a is the active bridge, in both members' S. */
	assert_int_equal(na->specialist_count, 1);
	assert_int_equal(na->specialists[0], ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE |
			 c.ids[NC_NODE_A].address);
	assert_int_equal(ztdp_netconf_active_bridges(nb, bridges, 4), 1);
	assert_int_equal(bridges[0], c.ids[NC_NODE_A].address);
	assert_false(ztdp_netconf_specialist_has(nb, c.ids[NC_NODE_B].address,
						 ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE));
	/* Drop UDP to port 9, accept the rest (section 10.2, observed). */
	assert_int_equal(na->rule_count, 4);
	assert_int_equal(na->rules[0].t, ZTDP_RULE_MATCH_IP_PROTOCOL);
	assert_int_equal(na->rules[0].v.ip_protocol, 17);
	assert_int_equal(na->rules[1].t, ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE);
	assert_int_equal(na->rules[1].v.port[0], 9);
	assert_int_equal(na->rules[1].v.port[1], 9);
	assert_int_equal(na->rules[2].t, ZTDP_RULE_ACTION_DROP);
	assert_int_equal(na->rules[3].t, ZTDP_RULE_ACTION_ACCEPT);
	check_rules_against_controller(na, BRIDGE "/api/controller-network.json");
	check_coms_agree(&c, na, nb);
	check_against_cli(na, BRIDGE "/cli/cli-a-listnetworks.json", ca->dest);
	check_against_cli(nb, BRIDGE "/cli/cli-b-listnetworks.json", cb->dest);

	/* Section 8.5: the activeBridge change went to a alone with the same
	 * revision 3; b's revision-3 config has no S. */
	mid = NULL;
	for (size_t i = 0; i + 1 < c.count; i++) {
		struct ztdp_netconf *t = decode_ok(c.configs[i].dict, c.configs[i].len);

		if (t->revision == 3 && t->specialist_count == 1 && mid == NULL) {
			mid = t;
			continue;
		}
		if (t->revision == 3 && t->issued_to == c.ids[NC_NODE_B].address)
			assert_int_equal(t->specialist_count, 0);
		ztdp_netconf_free(t);
	}
	assert_non_null(mid);
	assert_int_equal(mid->issued_to, c.ids[NC_NODE_A].address);
	ztdp_netconf_free(mid);
	ztdp_netconf_free(na);
	ztdp_netconf_free(nb);
	nc_capture_free(&c);

	/* The standard set-up of the same data set, before any of this. */
	if (nc_capture_load(&j, BRIDGE, JOIN_PCAP)) {
		assert_int_equal(j.count, 4);
		check_all_configs(&j);
		nc_capture_free(&j);
	}
}

/* A config built as a controller would (credentials signed with the real
 * root identity, which controls the data set's network), encoded, decoded
 * back: every field survives and the signatures still verify. */
static void test_controller_round_trip(void **state)
{
	struct nc_capture c;
	struct ztdp_netconf *nc, *back;
	const struct ztdp_identity *root, *member;
	uint8_t *buf;
	size_t len = 0;
	uint8_t ip6[16] = { 0xfd, 0x31, 0xa4, 0x62, 0xe3, 0xd2, 0x5a, 0x26, 0x81, 0x99,
			    0x93, 0xde, 0xc8, 0x7a, 0x28, 0xaa };

	(void)state;
	if (!nc_capture_load(&c, DATA, JOIN_PCAP)) {
		skip();
		return;
	}
	root = &c.ids[NC_NODE_ROOT];
	member = &c.ids[NC_NODE_A];
	nc = ztdp_netconf_alloc();
	back = ztdp_netconf_alloc();
	buf = malloc(ENC_CAP);
	assert_true(nc && back && buf);

	nc->nwid = c.nwid;
	nc->timestamp = 1795308400000ULL;
	nc->revision = 9;
	nc->issued_to = member->address;
	nc->remote_trace_level = 2;
	nc->flags = ZTDP_NETCONF_FLAG_ENABLE_BROADCAST | ZTDP_NETCONF_FLAG_NDP_EMULATION;
	nc->type = ZTDP_NETCONF_TYPE_PUBLIC;
	strcpy(nc->name, "built = here\nwith\\escapes");
	nc->mtu = 9000;
	ztdp_com_issue(&nc->com, nc->timestamp, nc->credential_time_max_delta, nc->nwid,
		       member);
	assert_int_equal(ztdp_com_sign(&nc->com, root), 0);
	nc->has_com = true;
	nc->coo_count = 1;
	nc->coos[0].nwid = nc->nwid;
	nc->coos[0].timestamp = nc->timestamp;
	nc->coos[0].id = 1;
	nc->coos[0].issued_to = member->address;
	assert_int_equal(ztdp_coo_add_thing(&nc->coos[0], ZTDP_COO_THING_IPV6, ip6, 16), 0);
	assert_int_equal(ztdp_coo_sign(&nc->coos[0], root), 0);
	nc->tag_count = 2;
	for (unsigned int i = 0; i < 2; i++) {
		nc->tags[i] = (struct ztdp_tag){ .nwid = nc->nwid, .timestamp = nc->timestamp,
						 .id = 100 + i, .value = 7 * i,
						 .issued_to = member->address };
		assert_int_equal(ztdp_tag_sign(&nc->tags[i], root), 0);
	}
	nc->capability_count = 1;
	nc->capabilities[0].nwid = nc->nwid;
	nc->capabilities[0].ts = nc->timestamp;
	nc->capabilities[0].id = 5;
	nc->capabilities[0].max_custody = 1;
	nc->capabilities[0].rule_count = 2;
	nc->capabilities[0].rules[0].t = ZTDP_RULE_MATCH_ETHERTYPE;
	nc->capabilities[0].rules[0].v.ethertype = 0x0800;
	nc->capabilities[0].rules[1].t = ZTDP_RULE_ACTION_ACCEPT;
	assert_int_equal(ztdp_capability_sign(&nc->capabilities[0], root, member->address), 0);
	nc->specialist_count = 2;
	nc->specialists[0] = ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE | member->address;
	nc->specialists[1] = ZTDP_NETCONF_SPECIALIST_ANCHOR | 0x1122334455ULL;
	nc->route_count = 2;
	ztdp_inetaddr_set_v4(&nc->routes[0].target, 0x0a931100, 24);
	ztdp_inetaddr_set_v4(&nc->routes[1].target, 0, 0);
	ztdp_inetaddr_set_v4(&nc->routes[1].via, 0x0a9311fe, 0);
	nc->routes[1].metric = 100;
	nc->routes[1].flags = 1;
	nc->static_ip_count = 2;
	ztdp_inetaddr_set_v4(&nc->static_ips[0], 0x0a93110b, 24);
	ztdp_inetaddr_set_v6(&nc->static_ips[1], ip6, 88);
	nc->rule_count = 3;
	nc->rules[0].t = ZTDP_RULE_MATCH_ETHERTYPE | ZTDP_RULE_FLAG_NOT;
	nc->rules[0].v.ethertype = 0x0806;
	nc->rules[1].t = ZTDP_RULE_ACTION_DROP;
	nc->rules[2].t = ZTDP_RULE_ACTION_ACCEPT;
	strcpy(nc->dns.domain, "zt.example");
	ztdp_inetaddr_set_v4(&nc->dns.servers[0], 0x0a931101, 53);
	nc->sso.enabled = true;
	strcpy(nc->sso.auth_url, "https://auth.example/?a=b");
	nc->sso.auth_expiry = -5;

	assert_int_equal(ztdp_netconf_encode(nc, buf, ENC_CAP, &len), 0);
	assert_int_equal(ztdp_netconf_decode(buf, len, back, NULL), 0);
	assert_int_equal(back->nwid, nc->nwid);
	assert_int_equal(back->timestamp, nc->timestamp);
	assert_int_equal(back->revision, 9);
	assert_int_equal(back->remote_trace_level, 2);
	assert_int_equal(back->flags, nc->flags);
	assert_true(ztdp_netconf_is_public(back));
	assert_string_equal(back->name, nc->name);
	assert_int_equal(back->mtu, 9000);
	assert_int_equal(back->multicast_limit, 32);
	assert_true(back->has_com);
	assert_true(ztdp_com_verify(&back->com, root));
	assert_true(ztdp_com_agree_identity(&back->com, &back->com, member));
	assert_int_equal(back->coo_count, 1);
	assert_true(ztdp_coo_verify(&back->coos[0], root));
	assert_true(ztdp_coo_owns(&back->coos[0], ZTDP_COO_THING_IPV6, ip6, 16));
	assert_int_equal(back->tag_count, 2);
	for (unsigned int i = 0; i < 2; i++) {
		assert_true(ztdp_tag_verify(&back->tags[i], root));
		assert_int_equal(back->tags[i].id, 100 + i);
		assert_int_equal(back->tags[i].value, 7 * i);
	}
	assert_int_equal(back->capability_count, 1);
	assert_int_equal(ztdp_capability_verify(&back->capabilities[0], root, NULL, NULL,
						NULL), ZTDP_CAP_VERIFY_OK);
	assert_int_equal(back->capabilities[0].rule_count, 2);
	assert_int_equal(back->capabilities[0].rules[0].v.ethertype, 0x0800);
	assert_int_equal(back->specialist_count, 2);
	assert_true(ztdp_netconf_specialist_has(back, 0x1122334455ULL,
						ZTDP_NETCONF_SPECIALIST_ANCHOR));
	assert_false(ztdp_netconf_specialist_has(back, 0x1122334455ULL,
						 ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE));
	assert_int_equal(back->route_count, 2);
	assert_true(ztdp_inetaddr_equal(&back->routes[1].via, &nc->routes[1].via));
	assert_int_equal(back->routes[1].metric, 100);
	assert_int_equal(back->routes[1].flags, 1);
	assert_int_equal(back->static_ip_count, 2);
	assert_true(ztdp_inetaddr_equal(&back->static_ips[1], &nc->static_ips[1]));
	assert_int_equal(back->rule_count, 3);
	for (unsigned int i = 0; i < 3; i++)
		assert_true(ztdp_rule_equal(&back->rules[i], &nc->rules[i]));
	assert_string_equal(back->dns.domain, "zt.example");
	assert_true(ztdp_inetaddr_equal(&back->dns.servers[0], &nc->dns.servers[0]));
	assert_true(back->sso.enabled);
	assert_string_equal(back->sso.auth_url, nc->sso.auth_url);
	assert_true(back->sso.auth_expiry == -5);
	/* Canonical: encoding the decoded config gives the same text. */
	check_reencode(back, buf, len);

	/* SSO version 1 writes its own set of keys (and not aurl). */
	nc->sso.version = 1;
	strcpy(nc->sso.issuer_url, "https://issuer");
	strcpy(nc->sso.provider, "default");
	assert_int_equal(ztdp_netconf_encode(nc, buf, ENC_CAP, &len), 0);
	assert_int_equal(ztdp_netconf_decode(buf, len, back, NULL), 0);
	assert_int_equal(back->sso.version, 1);
	assert_string_equal(back->sso.issuer_url, "https://issuer");
	assert_string_equal(back->sso.provider, "default");
	assert_string_equal(back->sso.auth_url, "");
	check_reencode(back, buf, len);

	free(buf);
	ztdp_netconf_free(nc);
	ztdp_netconf_free(back);
	nc_capture_free(&c);
}

/* ---- Malformed values and limits -------------------------------------------- */

struct edit {
	char *buf;
	size_t cap;
	struct ztdp_dict_wr w;
};

/* A writer holding a real config's text: the controller writes entries
 * joined by single LFs, which is what the writer keeps. */
static void edit_start(struct edit *e, const char *fixture)
{
	size_t len;
	uint8_t *t = load_fixture(fixture, &len);

	e->cap = len + 64 * 1024;
	e->buf = malloc(e->cap);
	assert_non_null(e->buf);
	memcpy(e->buf, t, len);
	free(t);
	ztdp_dict_wr_init(&e->w, e->buf, e->cap);
	e->w.len = len;
}

static int edit_decode(struct edit *e, const char **bad)
{
	struct ztdp_netconf *nc = ztdp_netconf_alloc();
	size_t len;
	int rc;

	assert_non_null(nc);
	assert_int_equal(ztdp_dict_wr_finish(&e->w, &len), 0);
	rc = ztdp_netconf_decode(e->buf, len, nc, bad);
	if (rc != 0)
		assert_int_equal(nc->nwid, 0);	/* zeroed on failure */
	ztdp_netconf_free(nc);
	free(e->buf);
	return rc;
}

static void expect_hex(const char *key, const char *value, int rc_want)
{
	struct edit e;
	const char *bad = NULL;

	edit_start(&e, "data-a-ok.dict");
	assert_int_equal(ztdp_dict_set_str(&e.w, key, value), 0);
	assert_int_equal(edit_decode(&e, &bad), rc_want);
	if (rc_want != 0) {
		assert_non_null(bad);
		assert_string_equal(bad, key);
	}
}

static void expect_blob(const char *key, const uint8_t *v, size_t n, int rc_want)
{
	struct edit e;
	const char *bad = NULL;

	edit_start(&e, "data-a-ok.dict");
	assert_int_equal(ztdp_dict_set_bin(&e.w, key, v, n), 0);
	assert_int_equal(edit_decode(&e, &bad), rc_want);
	if (rc_want != 0) {
		assert_non_null(bad);
		assert_string_equal(bad, key);
	}
}

static void expect_missing(const char *key)
{
	struct edit e;
	const char *bad = NULL;

	edit_start(&e, "data-a-ok.dict");
	assert_int_equal(ztdp_dict_erase(&e.w, key), 0);
	assert_int_equal(edit_decode(&e, &bad), ZTDP_NETCONF_EMISSING);
	assert_string_equal(bad, key);
}

static void expect_mtu(const char *value, uint32_t want)
{
	struct edit e;
	struct ztdp_netconf *nc = ztdp_netconf_alloc();
	size_t len;

	assert_non_null(nc);
	edit_start(&e, "data-a-ok.dict");
	if (value != NULL)
		assert_int_equal(ztdp_dict_set_str(&e.w, "mtu", value), 0);
	else
		assert_int_equal(ztdp_dict_erase(&e.w, "mtu"), 0);
	assert_int_equal(ztdp_dict_wr_finish(&e.w, &len), 0);
	assert_int_equal(ztdp_netconf_decode(e.buf, len, nc, NULL), 0);
	assert_int_equal(nc->mtu, want);
	ztdp_netconf_free(nc);
	free(e.buf);
}

static void test_scalars(void **state)
{
	(void)state;
	expect_missing("v");
	expect_missing("nwid");
	expect_missing("id");
	expect_hex("v", "5", ZTDP_NETCONF_EVERSION);
	expect_hex("v", "6", 0);
	expect_hex("nwid", "0", ZTDP_NETCONF_EVALUE);
	expect_hex("id", "0000000000", ZTDP_NETCONF_EVALUE);
	expect_hex("id", "10000000000", ZTDP_NETCONF_EVALUE);	/* 41 bits */
	expect_hex("tt", "10000000000", ZTDP_NETCONF_EVALUE);
	expect_hex("ts", "12x", ZTDP_NETCONF_EVALUE);
	expect_hex("r", "", ZTDP_NETCONF_EVALUE);
	expect_hex("f", "1 ", ZTDP_NETCONF_EVALUE);
	expect_hex("ml", "100000000", ZTDP_NETCONF_EVALUE);
	expect_hex("ml", "ffffffff", 0);
	expect_hex("t", "2", ZTDP_NETCONF_EVALUE);
	expect_hex("t", "1", 0);
	expect_hex("mtu", "2800", 0);	/* hex 0x2800, a valid (clamped) MTU */
	expect_hex("mtu", "abc\\", ZTDP_NETCONF_EVALUE);
	expect_hex("ssoe", "x", ZTDP_NETCONF_EVALUE);
	expect_hex("aexpt", "-", ZTDP_NETCONF_EVALUE);
	/* Name: 127 characters fit, 128 do not. */
	{
		char name[129];

		memset(name, 'n', sizeof(name));
		name[127] = '\0';
		expect_hex("n", name, 0);
		name[127] = 'n';
		name[128] = '\0';
		expect_hex("n", name, ZTDP_NETCONF_ELIMIT);
	}
	expect_mtu("0000000000000af0", 2800);
	expect_mtu(NULL, 2800);
	expect_mtu("10", 1280);
	expect_mtu("2710", 10000);
	expect_mtu("ffffffffffffffff", 10000);
	expect_mtu("500", 1280);
}

static void test_blobs(void **state)
{
	uint8_t b[4096];
	struct ztdp_wr w;
	size_t len;
	uint8_t *fx;
	struct ztdp_netconf *nc;

	(void)state;
	fx = load_fixture("data-a-ok.dict", &len);
	nc = decode_ok(fx, len);
	free(fx);

	/* C: must be exactly one COM. */
	ztdp_wr_init(&w, b, sizeof(b));
	assert_int_equal(ztdp_com_encode(&w, &nc->com), 0);
	expect_blob("C", b, w.off, 0);
	expect_blob("C", b, w.off - 1, ZTDP_NETCONF_ECRED);
	b[w.off] = 0;
	expect_blob("C", b, w.off + 1, ZTDP_NETCONF_ECRED);
	expect_blob("C", (const uint8_t *)"\x02", 1, ZTDP_NETCONF_ECRED);

	/* COO: up to 4. */
	ztdp_wr_init(&w, b, sizeof(b));
	for (int i = 0; i < ZTDP_NETCONF_MAX_COOS; i++)
		assert_int_equal(ztdp_coo_encode(&w, &nc->coos[0]), 0);
	expect_blob("COO", b, w.off, 0);
	expect_blob("COO", b, w.off - 1, ZTDP_NETCONF_ECRED);
	assert_int_equal(ztdp_coo_encode(&w, &nc->coos[0]), 0);
	expect_blob("COO", b, w.off, ZTDP_NETCONF_ELIMIT);

	/* TAG: up to 128 (and the tag codec must consume them exactly). */
	{
		struct ztdp_tag t = { .nwid = nc->nwid, .sig_type = ZTDP_CRED_SIG_TYPE_C25519 };
		uint8_t *big = malloc(200 * 256);

		assert_non_null(big);
		ztdp_wr_init(&w, big, 200 * 256);
		for (int i = 0; i < ZTDP_NETCONF_MAX_TAGS; i++)
			assert_int_equal(ztdp_tag_encode(&w, &t), 0);
		expect_blob("TAG", big, w.off, 0);
		expect_blob("TAG", big, w.off - 3, ZTDP_NETCONF_ECRED);
		assert_int_equal(ztdp_tag_encode(&w, &t), 0);
		expect_blob("TAG", big, w.off, ZTDP_NETCONF_ELIMIT);
		free(big);
	}

	/* S: whole u64s, up to 256. */
	memset(b, 0, sizeof(b));
	expect_blob("S", b, 8 * ZTDP_NETCONF_MAX_SPECIALISTS, 0);
	expect_blob("S", b, 8 * ZTDP_NETCONF_MAX_SPECIALISTS + 8, ZTDP_NETCONF_ELIMIT);
	expect_blob("S", b, 12, ZTDP_NETCONF_EVALUE);
	expect_blob("S", b, 0, 0);

	/* I: prefixes in range, at most 32 addresses, null ones dropped. */
	{
		static const uint8_t v4_33[] = { 4, 10, 0, 0, 1, 0, 33 };
		static const uint8_t v4_32[] = { 4, 10, 0, 0, 1, 0, 32 };
		static const uint8_t v6_129[] = { 6, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
						  0, 0, 0, 1, 0, 129 };
		static const uint8_t bad_type[] = { 5, 1, 2, 3 };
		static const uint8_t with_null[] = { 0, 4, 10, 0, 0, 1, 0, 24, 0 };

		expect_blob("I", v4_33, sizeof(v4_33), ZTDP_NETCONF_EVALUE);
		expect_blob("I", v4_32, sizeof(v4_32), 0);
		expect_blob("I", v6_129, sizeof(v6_129), ZTDP_NETCONF_EVALUE);
		expect_blob("I", bad_type, sizeof(bad_type), ZTDP_NETCONF_EVALUE);
		expect_blob("I", v4_32, sizeof(v4_32) - 1, ZTDP_NETCONF_EVALUE);
		expect_blob("I", with_null, sizeof(with_null), 0);
		for (int i = 0; i <= ZTDP_NETCONF_MAX_STATIC_IPS; i++)
			memcpy(b + i * sizeof(v4_32), v4_32, sizeof(v4_32));
		expect_blob("I", b, ZTDP_NETCONF_MAX_STATIC_IPS * sizeof(v4_32), 0);
		expect_blob("I", b, (ZTDP_NETCONF_MAX_STATIC_IPS + 1) * sizeof(v4_32),
			    ZTDP_NETCONF_ELIMIT);
	}

	/* RT: target, via, flags, metric; up to 128 routes. */
	{
		static const uint8_t rt[] = { 4, 10, 147, 17, 0, 0, 24, 0, 0, 0, 0, 0 };
		static const uint8_t rt_null_target[] = { 0, 0, 0, 0, 0, 0 };

		expect_blob("RT", rt, sizeof(rt), 0);
		expect_blob("RT", rt, sizeof(rt) - 1, ZTDP_NETCONF_EVALUE);
		expect_blob("RT", rt_null_target, sizeof(rt_null_target), ZTDP_NETCONF_EVALUE);
		for (int i = 0; i <= ZTDP_NETCONF_MAX_ROUTES; i++)
			memcpy(b + i * sizeof(rt), rt, sizeof(rt));
		expect_blob("RT", b, ZTDP_NETCONF_MAX_ROUTES * sizeof(rt), 0);
		expect_blob("RT", b, (ZTDP_NETCONF_MAX_ROUTES + 1) * sizeof(rt),
			    ZTDP_NETCONF_ELIMIT);
	}

	/* R: up to 1024 rules; truncated record is an error. */
	{
		uint8_t *r = calloc(2, ZTDP_NETCONF_MAX_RULES + 1);

		assert_non_null(r);
		for (int i = 0; i <= ZTDP_NETCONF_MAX_RULES; i++)
			r[2 * i] = ZTDP_RULE_ACTION_ACCEPT;
		expect_blob("R", r, 2 * ZTDP_NETCONF_MAX_RULES, 0);
		expect_blob("R", r, 2 * ZTDP_NETCONF_MAX_RULES + 2, ZTDP_NETCONF_ELIMIT);
		expect_blob("R", r, 3, ZTDP_NETCONF_ERULES);
		free(r);
	}

	/* DNS: 128-byte C string and exactly 4 addresses. */
	{
		uint8_t dns[ZTDP_NETCONF_DNS_DOMAIN_LEN + 8];

		memset(dns, 0, sizeof(dns));
		memcpy(dns, "example.org", 11);
		expect_blob("DNS", dns, ZTDP_NETCONF_DNS_DOMAIN_LEN + 4, 0);
		expect_blob("DNS", dns, ZTDP_NETCONF_DNS_DOMAIN_LEN + 3, ZTDP_NETCONF_EVALUE);
		expect_blob("DNS", dns, ZTDP_NETCONF_DNS_DOMAIN_LEN + 5, ZTDP_NETCONF_EVALUE);
		memset(dns, 'x', ZTDP_NETCONF_DNS_DOMAIN_LEN);
		expect_blob("DNS", dns, ZTDP_NETCONF_DNS_DOMAIN_LEN + 4, ZTDP_NETCONF_EVALUE);
	}
	ztdp_netconf_free(nc);
}

static void test_dictionary_errors(void **state)
{
	struct ztdp_netconf *nc = ztdp_netconf_alloc();
	const char *bad = "x";
	uint8_t buf[64];
	size_t len;

	(void)state;
	assert_non_null(nc);
	assert_int_equal(ztdp_netconf_decode("v=7\nbroken", 10, nc, &bad), ZTDP_NETCONF_EDICT);
	assert_null(bad);
	assert_int_equal(ztdp_netconf_decode("", 0, nc, &bad), ZTDP_NETCONF_EMISSING);
	assert_int_equal(ztdp_netconf_decode("v=7\nnwid=1\nid=1", 15, nc, &bad), 0);
	/* Defaults of absent keys (1.14.1's). */
	assert_int_equal(nc->mtu, 2800);
	assert_int_equal(nc->multicast_limit, 0);
	assert_int_equal(nc->type, ZTDP_NETCONF_TYPE_PRIVATE);
	assert_false(nc->has_com);
	assert_false(nc->has_dns);
	/* Unknown and legacy keys are ignored. */
	assert_int_equal(ztdp_netconf_decode("v=7\nnwid=1\nid=1\neb=1\nzz=?", 25, nc, &bad), 0);
	/* Encoder refuses a name without its NUL and tiny buffers. */
	ztdp_netconf_init(nc);
	nc->nwid = 1;
	nc->issued_to = 1;
	assert_int_equal(ztdp_netconf_encode(nc, buf, sizeof(buf), &len), ZTDP_NETCONF_ENOSPC);
	memset(nc->name, 'x', sizeof(nc->name));
	assert_int_equal(ztdp_netconf_encode(nc, buf, sizeof(buf), &len), ZTDP_NETCONF_EVALUE);
	ztdp_netconf_init(nc);
	nc->static_ip_count = ZTDP_NETCONF_MAX_STATIC_IPS + 1;
	assert_int_equal(ztdp_netconf_encode(nc, buf, sizeof(buf), &len), ZTDP_NETCONF_ELIMIT);
	ztdp_netconf_free(nc);
}

/* Found by fuzz_netconf: an SSO version other than 0/1 (1.14.1 writes no
 * SSO key then) was dropped by the encoder, so decode/encode was not
 * idempotent. The version now survives. */
static void test_fuzz_regressions(void **state)
{
	struct ztdp_netconf *nc = ztdp_netconf_alloc(), *back = ztdp_netconf_alloc();
	uint8_t *enc = malloc(ENC_CAP), *enc2 = malloc(ENC_CAP);
	struct edit e;
	size_t len, l1, l2;

	(void)state;
	assert_true(nc && back && enc && enc2);
	edit_start(&e, "data-a-ok.dict");
	assert_int_equal(ztdp_dict_set_str(&e.w, "ssov", "6744073709551615"), 0);
	assert_int_equal(ztdp_dict_wr_finish(&e.w, &len), 0);
	assert_int_equal(ztdp_netconf_decode(e.buf, len, nc, NULL), 0);
	assert_int_equal(nc->sso.version, 0x6744073709551615ULL);
	assert_int_equal(ztdp_netconf_encode(nc, enc, ENC_CAP, &l1), 0);
	assert_int_equal(ztdp_netconf_decode(enc, l1, back, NULL), 0);
	assert_int_equal(back->sso.version, nc->sso.version);
	assert_int_equal(ztdp_netconf_encode(back, enc2, ENC_CAP, &l2), 0);
	assert_int_equal(l1, l2);
	assert_memory_equal(enc, enc2, l1);
	free(e.buf);
	free(enc);
	free(enc2);
	ztdp_netconf_free(nc);
	ztdp_netconf_free(back);
}

static void test_credential_time(void **state)
{
	struct ztdp_netconf *nc = ztdp_netconf_alloc();

	(void)state;
	assert_non_null(nc);
	nc->timestamp = 1000000;
	nc->credential_time_max_delta = 1000;
	assert_true(ztdp_netconf_credential_time_ok(nc, 1000000));
	assert_true(ztdp_netconf_credential_time_ok(nc, 999000));
	assert_true(ztdp_netconf_credential_time_ok(nc, 1001000));
	assert_false(ztdp_netconf_credential_time_ok(nc, 998999));
	assert_false(ztdp_netconf_credential_time_ok(nc, 1001001));
	ztdp_netconf_free(nc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_join),
		cmocka_unit_test(test_capture_bridge),
		cmocka_unit_test(test_controller_round_trip),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_blobs),
		cmocka_unit_test(test_dictionary_errors),
		cmocka_unit_test(test_credential_time),
		cmocka_unit_test(test_fuzz_regressions),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
