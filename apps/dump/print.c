/* SPDX-License-Identifier: BSD-3-Clause */
/* ztdp-dump: text and JSON output. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "print.h"
#include "ztdp_buf.h"
#include "ztdp_mac.h"
#include "ztdp_proto.h"
#include "ztdp_rules.h"
#include "ztdp_wire.h"

/* Inner frame parsing for the one-phrase summary (Ethernet payloads are
 * the overlay's business, not ZeroTier's: constants stay here). */
#define ETH_HDR_LEN		14
#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_ARP		0x0806
#define ETHERTYPE_VLAN		0x8100
#define ETHERTYPE_IPV6		0x86dd
#define ARP_LEN			28
#define ARP_OP_REQUEST		1
#define ARP_OP_REPLY		2
#define IPV4_MIN_HDR		20
#define IPV6_HDR		40
#define PROTO_ICMP		1
#define PROTO_TCP		6
#define PROTO_UDP		17
#define PROTO_ICMPV6		58

#define ADDR_STRLEN		11	/* 10 hex digits and NUL */
#define ID_STRLEN		17
#define SUMMARY_LEN		160

/* ---- Small formatters ---------------------------------------------------- */

static const char *fmt_addr(uint64_t a, char buf[ADDR_STRLEN])
{
	snprintf(buf, ADDR_STRLEN, "%010" PRIx64, a & (uint64_t)0xffffffffffULL);
	return buf;
}

static const char *fmt_id(uint64_t v, char buf[ID_STRLEN])
{
	snprintf(buf, ID_STRLEN, "%016" PRIx64, v);
	return buf;
}

static const char *fmt_mac(uint64_t mac, char buf[ZTDP_MAC_STRLEN])
{
	if (ztdp_mac_format(mac, buf, ZTDP_MAC_STRLEN) < 0)
		buf[0] = '\0';
	return buf;
}

static const char *fmt_inet(const struct ztdp_inetaddr *a, char buf[ZTDP_INETADDR_STRLEN])
{
	if (a->family == 0 || ztdp_inetaddr_format(a, buf, ZTDP_INETADDR_STRLEN) < 0)
		snprintf(buf, ZTDP_INETADDR_STRLEN, "-");
	return buf;
}

static const char *ip_proto_name(unsigned int p)
{
	switch (p) {
	case PROTO_ICMP:
		return "ICMP";
	case PROTO_TCP:
		return "TCP";
	case PROTO_UDP:
		return "UDP";
	case PROTO_ICMPV6:
		return "ICMPv6";
	default:
		return NULL;
	}
}

static const char *icmp6_name(unsigned int t)
{
	switch (t) {
	case 128:
		return "echo request";
	case 129:
		return "echo reply";
	case 133:
		return "router solicitation";
	case 134:
		return "router advertisement";
	case 135:
		return "neighbor solicitation";
	case 136:
		return "neighbor advertisement";
	case 143:
		return "MLDv2 report";
	default:
		return NULL;
	}
}

/* Transport part after an IP header: ports or ICMP type. */
static void summary_l4(char *s, size_t n, unsigned int proto, const uint8_t *p, size_t len)
{
	const char *name = ip_proto_name(proto);
	size_t o = strlen(s);

	if (name == NULL) {
		snprintf(s + o, n - o, " proto %u", proto);
		return;
	}
	if ((proto == PROTO_TCP || proto == PROTO_UDP) && len >= 4)
		snprintf(s + o, n - o, " %s %u > %u", name, ztdp_load_be16(p),
			 ztdp_load_be16(p + 2));
	else if (proto == PROTO_ICMP && len >= 1)
		snprintf(s + o, n - o, " %s %s", name, p[0] == 8 ? "echo request" :
			 p[0] == 0 ? "echo reply" : "type");
	else if (proto == PROTO_ICMPV6 && len >= 1 && icmp6_name(p[0]) != NULL)
		snprintf(s + o, n - o, " %s %s", name, icmp6_name(p[0]));
	else
		snprintf(s + o, n - o, " %s", name);
}

/* One phrase for an Ethernet frame's payload: ARP, IPv4, IPv6. */
static void frame_summary(const uint8_t *f, size_t len, char *s, size_t n)
{
	size_t off = 2 * ZTDP_MAC_LEN;
	uint16_t type;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	s[0] = '\0';
	if (len < ETH_HDR_LEN)
		return;
	type = ztdp_load_be16(f + off);
	if (type == ETHERTYPE_VLAN && len >= off + 6) {
		off += 4;
		type = ztdp_load_be16(f + off);
	}
	off += 2;
	f += off;
	len -= off;
	switch (type) {
	case ETHERTYPE_ARP:
		if (len < ARP_LEN || f[4] != 6 || f[5] != 4) {
			snprintf(s, n, "ARP");
			break;
		}
		inet_ntop(AF_INET, f + 24, a, sizeof(a));
		inet_ntop(AF_INET, f + 14, b, sizeof(b));
		if (ztdp_load_be16(f + 6) == ARP_OP_REQUEST)
			snprintf(s, n, "ARP who-has %s tell %s", a, b);
		else if (ztdp_load_be16(f + 6) == ARP_OP_REPLY)
			snprintf(s, n, "ARP %s is-at %02x:%02x:%02x:%02x:%02x:%02x", b,
				 f[8], f[9], f[10], f[11], f[12], f[13]);
		else
			snprintf(s, n, "ARP op %u", ztdp_load_be16(f + 6));
		break;
	case ETHERTYPE_IPV4: {
		size_t ihl;

		if (len < IPV4_MIN_HDR || (f[0] >> 4) != 4) {
			snprintf(s, n, "IPv4");
			break;
		}
		ihl = (size_t)(f[0] & 0x0f) * 4;
		inet_ntop(AF_INET, f + 12, a, sizeof(a));
		inet_ntop(AF_INET, f + 16, b, sizeof(b));
		snprintf(s, n, "IPv4 %s > %s", a, b);
		if (ihl >= IPV4_MIN_HDR && ihl <= len)
			summary_l4(s, n, f[9], f + ihl, len - ihl);
		break;
	}
	case ETHERTYPE_IPV6:
		if (len < IPV6_HDR || (f[0] >> 4) != 6) {
			snprintf(s, n, "IPv6");
			break;
		}
		inet_ntop(AF_INET6, f + 8, a, sizeof(a));
		inet_ntop(AF_INET6, f + 24, b, sizeof(b));
		snprintf(s, n, "IPv6 %s > %s", a, b);
		summary_l4(s, n, f[6], f + IPV6_HDR, len - IPV6_HDR);
		break;
	default:
		snprintf(s, n, "ethertype 0x%04x", type);
		break;
	}
}

static bool mac_foreign(uint64_t mac, uint64_t nwid)
{
	return !ztdp_mac_is_multicast(mac) && !ztdp_mac_is_zerotier(mac, nwid);
}

static const char *verb_label(const struct ztdp_dump_pkt *p, char *buf, size_t n)
{
	if (!p->have_verb)
		return "?";
	if (p->has_in_re)
		snprintf(buf, n, "%s(%s)", ztdp_verb_name(p->verb), ztdp_verb_name(p->in_re_verb));
	else
		snprintf(buf, n, "%s", ztdp_verb_name(p->verb));
	return buf;
}

static const char *flags_names(uint64_t f, char *buf, size_t n)
{
	buf[0] = '\0';
	if (f & ZTDP_NETCONF_FLAG_ENABLE_BROADCAST)
		strncat(buf, " broadcast", n - strlen(buf) - 1);
	if (f & ZTDP_NETCONF_FLAG_NDP_EMULATION)
		strncat(buf, " ndp-emulation", n - strlen(buf) - 1);
	if (f & ZTDP_NETCONF_FLAG_UNSUPPORTED_MATCH)
		strncat(buf, " unsupported-match", n - strlen(buf) - 1);
	if (f & ZTDP_NETCONF_FLAG_DISABLE_COMPRESSION)
		strncat(buf, " no-compression", n - strlen(buf) - 1);
	return buf[0] ? buf + 1 : "none";
}

/* ---- Text ---------------------------------------------------------------- */

static void text_time(FILE *out, uint64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	fprintf(out, "%02d:%02d:%02d.%06u", tm.tm_hour, tm.tm_min, tm.tm_sec,
		(unsigned int)(us % 1000000));
}

static void text_group(FILE *out, const struct ztdp_mcast_group *g)
{
	char m[ZTDP_MAC_STRLEN];

	fprintf(out, "%s/%08" PRIx32, fmt_mac(g->mac, m), g->adi);
}

static void text_frame(FILE *out, const struct ztdp_dump_pkt *p, uint16_t ethertype,
		       size_t len)
{
	char s[SUMMARY_LEN];

	fprintf(out, " ethertype 0x%04x len %zu", ethertype, len);
	if (p->frame != NULL) {
		frame_summary(p->frame, p->frame_len, s, sizeof(s));
		if (s[0])
			fprintf(out, ": %s", s);
	}
}

static void text_chunk(FILE *out, const struct ztdp_dump_pkt *p)
{
	const struct ztdp_netconf_chunk *c = &p->b.chunk;
	char id[ID_STRLEN];

	fprintf(out, " nwid %s", fmt_id(c->nwid, id));
	if (c->legacy)
		fprintf(out, " legacy chunk %u bytes", c->data_len);
	else
		fprintf(out, " chunk %" PRIu32 "+%u/%" PRIu32 " update %s%s", c->index,
			c->data_len, c->total_len, fmt_id(c->update_id, id),
			(c->flags & ZTDP_NETCONF_CHUNK_FLAG_FAST_PROPAGATE) ? " fast-propagate" : "");
	fprintf(out, " signature %s", ztdp_dump_sig_str(p->sig));
	if (p->chunk_assembled)
		fprintf(out, ", %s", ztdp_dump_asm_str(p->asm_rc));
	if (p->asm_rc == ZTDP_NCASM_COMPLETE && p->nc == NULL)
		fprintf(out, " (config does not parse: %s%s%s)", ztdp_netconf_strerror(p->nc_err),
			p->nc_bad_key ? " at key " : "", p->nc_bad_key ? p->nc_bad_key : "");
}

static void text_body(FILE *out, const struct ztdp_dump_pkt *p)
{
	char a[ADDR_STRLEN], id[ID_STRLEN], m1[ZTDP_MAC_STRLEN], m2[ZTDP_MAC_STRLEN];
	char ia[ZTDP_INETADDR_STRLEN];

	if (p->has_in_re)
		fprintf(out, " in-re %s", fmt_id(p->in_re_id, id));
	switch (p->body) {
	case ZTDP_DUMP_B_HELLO: {
		const struct ztdp_hello *h = &p->b.hello;

		fprintf(out, " proto %u %u.%u.%u identity %s", h->proto_version, h->major,
			h->minor, h->revision, fmt_addr(h->identity.address, a));
		if (p->hello_id == ZTDP_DUMP_ID_NEW)
			fprintf(out, " (learned)");
		if (h->has_dest)
			fprintf(out, " to %s", fmt_inet(&h->dest, ia));
		if (h->has_world)
			fprintf(out, " world %" PRIx64 "/%" PRIu64, h->world_id, h->world_timestamp);
		if (h->has_moons)
			fprintf(out, " moons %u", h->moon_count);
		break;
	}
	case ZTDP_DUMP_B_OK_HELLO: {
		const struct ztdp_ok_hello *o = &p->b.ok_hello;

		fprintf(out, " proto %u %u.%u.%u", o->proto_version, o->major, o->minor,
			o->revision);
		if (o->has_addr)
			fprintf(out, " seen-from %s", fmt_inet(&o->addr, ia));
		if (o->has_worlds && o->worlds_len)
			fprintf(out, " worlds %u bytes", o->worlds_len);
		break;
	}
	case ZTDP_DUMP_B_WHOIS:
		for (unsigned int i = 0; i < p->b.whois.count; i++)
			fprintf(out, " %s", fmt_addr(ztdp_whois_address(&p->b.whois, i), a));
		break;
	case ZTDP_DUMP_B_OK_WHOIS:
		for (unsigned int i = 0; i < p->b.ok_whois.count; i++) {
			struct ztdp_identity idn;

			if (ztdp_ok_whois_identity(&p->b.ok_whois, i, &idn) == 0)
				fprintf(out, " %s", fmt_addr(idn.address, a));
		}
		if (p->ids_new)
			fprintf(out, " (%u learned)", p->ids_new);
		break;
	case ZTDP_DUMP_B_RENDEZVOUS:
		fprintf(out, " with %s at %s", fmt_addr(p->b.rendezvous.with, a),
			fmt_inet(&p->b.rendezvous.addr, ia));
		break;
	case ZTDP_DUMP_B_FRAME:
		fprintf(out, " nwid %s", fmt_id(p->b.frame.nwid, id));
		text_frame(out, p, p->b.frame.ethertype, p->b.frame.data_len);
		break;
	case ZTDP_DUMP_B_EXT_FRAME: {
		const struct ztdp_ext_frame *f = &p->b.ext_frame;

		fprintf(out, " nwid %s flags 0x%02x %s > %s%s%s", fmt_id(f->nwid, id), f->flags,
			fmt_mac(f->src_mac, m1), fmt_mac(f->dst_mac, m2),
			mac_foreign(f->src_mac, f->nwid) ? " foreign-src" : "",
			mac_foreign(f->dst_mac, f->nwid) ? " foreign-dst" : "");
		if (f->com != NULL)
			fprintf(out, " +COM");
		text_frame(out, p, f->ethertype, f->data_len);
		break;
	}
	case ZTDP_DUMP_B_OK_EXT_FRAME:
		fprintf(out, " nwid %s", fmt_id(p->b.ok_ext_frame.nwid, id));
		break;
	case ZTDP_DUMP_B_ECHO:
		fprintf(out, " %zu bytes", p->b.echo.len);
		break;
	case ZTDP_DUMP_B_OK_CONFIG_PUSH:
		fprintf(out, " (ack of NETWORK_CONFIG) nwid %s update %016" PRIx64,
			fmt_id(p->b.ok_config_push.nwid, id), p->b.ok_config_push.update_id);
		break;
	case ZTDP_DUMP_B_MULTICAST_LIKE:
		for (unsigned int i = 0; i < p->b.multicast_like.count; i++) {
			struct ztdp_multicast_like_rec rec;

			ztdp_multicast_like_get(&p->b.multicast_like, i, &rec);
			fprintf(out, " %s:", fmt_id(rec.nwid, id));
			text_group(out, &rec.group);
		}
		break;
	case ZTDP_DUMP_B_CREDENTIALS: {
		const struct ztdp_network_credentials *c = &p->b.creds;

		fprintf(out, " com %u cap %u tag %u rev %u coo %u", c->com_count, c->cap_count,
			c->tag_count, c->revocation_count, c->coo_count);
		break;
	}
	case ZTDP_DUMP_B_NETCONF_REQUEST: {
		const struct ztdp_netconf_request *q = &p->b.netconf_request;

		fprintf(out, " nwid %s", fmt_id(q->nwid, id));
		if (q->has_meta)
			fprintf(out, " meta %u bytes", q->meta_len);
		if (q->has_revision)
			fprintf(out, " have-revision %" PRIu64, q->revision);
		break;
	}
	case ZTDP_DUMP_B_CHUNK:
		text_chunk(out, p);
		break;
	case ZTDP_DUMP_B_GATHER:
		fprintf(out, " nwid %s group ", fmt_id(p->b.gather.nwid, id));
		text_group(out, &p->b.gather.group);
		fprintf(out, " limit %" PRIu32, p->b.gather.limit);
		break;
	case ZTDP_DUMP_B_OK_GATHER: {
		const struct ztdp_ok_multicast_gather *o = &p->b.ok_gather;

		fprintf(out, " nwid %s group ", fmt_id(o->nwid, id));
		text_group(out, &o->group);
		fprintf(out, " known %" PRIu32 ":", o->res.total_known);
		for (unsigned int i = 0; i < o->res.count; i++)
			fprintf(out, " %s", fmt_addr(ztdp_gather_results_address(&o->res, i), a));
		break;
	}
	case ZTDP_DUMP_B_MULTICAST_FRAME: {
		const struct ztdp_multicast_frame *f = &p->b.mcframe;

		fprintf(out, " nwid %s flags 0x%02x group ", fmt_id(f->nwid, id), f->flags);
		text_group(out, &f->group);
		if (f->flags & ZTDP_MC_FRAME_FLAG_SOURCE_MAC)
			fprintf(out, " src %s%s", fmt_mac(f->src_mac, m1),
				mac_foreign(f->src_mac, f->nwid) ? " foreign-src" : "");
		if (f->flags & ZTDP_MC_FRAME_FLAG_GATHER_LIMIT)
			fprintf(out, " gather %" PRIu32, f->gather_limit);
		text_frame(out, p, f->ethertype, f->data_len);
		break;
	}
	case ZTDP_DUMP_B_OK_MULTICAST_FRAME: {
		const struct ztdp_ok_multicast_frame *o = &p->b.ok_mcframe;

		fprintf(out, " nwid %s group ", fmt_id(o->nwid, id));
		text_group(out, &o->group);
		if (o->flags & ZTDP_MC_FRAME_OK_FLAG_GATHER) {
			fprintf(out, " known %" PRIu32 ":", o->res.total_known);
			for (unsigned int i = 0; i < o->res.count; i++)
				fprintf(out, " %s",
					fmt_addr(ztdp_gather_results_address(&o->res, i), a));
		}
		break;
	}
	case ZTDP_DUMP_B_PUSH_DIRECT_PATHS: {
		struct ztdp_rd it;
		struct ztdp_push_path rec;

		ztdp_rd_init(&it, p->b.pdp.raw, p->b.pdp.raw_len);
		while (ztdp_push_direct_paths_next(&it, &rec) == 1)
			fprintf(out, " %s", fmt_inet(&rec.addr, ia));
		break;
	}
	case ZTDP_DUMP_B_USER_MESSAGE:
		fprintf(out, " type %" PRIu64 " %zu bytes", p->b.user_message.type,
			p->b.user_message.len);
		break;
	case ZTDP_DUMP_B_ERROR:
		if (p->body_err != 0)
			break;
		fprintf(out, " %s", ztdp_dump_error_code_str(p->err.code));
		if (p->err.has_nwid)
			fprintf(out, " nwid %s", fmt_id(p->err.nwid, id));
		if (p->err.code == ZTDP_ERROR_UNWANTED_MULTICAST) {
			fprintf(out, " group ");
			text_group(out, &p->err.group);
		}
		break;
	case ZTDP_DUMP_B_NONE:
		break;
	}
	if (p->body_err != 0)
		fprintf(out, " [payload does not decode: %s]", ztdp_verbs_strerror(p->body_err));
}

static void text_netconf(FILE *out, const struct ztdp_dump_pkt *p)
{
	const struct ztdp_netconf *nc = p->nc;
	char a[ADDR_STRLEN], id[ID_STRLEN], ia[ZTDP_INETADDR_STRLEN], fl[96];

	fprintf(out, "    config \"%s\" nwid %s issued-to %s revision %" PRIu64
		" (v%" PRIu64 ", %zu bytes), signature verified\n", nc->name,
		fmt_id(nc->nwid, id), fmt_addr(nc->issued_to, a), nc->revision, nc->version,
		p->nc_dict_len);
	fprintf(out, "    ips");
	for (unsigned int i = 0; i < nc->static_ip_count; i++)
		fprintf(out, " %s", fmt_inet(&nc->static_ips[i], ia));
	fprintf(out, "%s\n", nc->static_ip_count ? "" : " none");
	fprintf(out, "    routes");
	for (unsigned int i = 0; i < nc->route_count; i++) {
		fprintf(out, " %s", fmt_inet(&nc->routes[i].target, ia));
		if (nc->routes[i].via.family != 0)
			fprintf(out, " via %s", fmt_inet(&nc->routes[i].via, ia));
	}
	fprintf(out, "%s\n", nc->route_count ? "" : " none");
	fprintf(out, "    mtu %" PRIu32 " multicast-limit %" PRIu32 " flags 0x%" PRIx64
		" (%s) type %s\n", nc->mtu, nc->multicast_limit, nc->flags,
		flags_names(nc->flags, fl, sizeof(fl)),
		ztdp_netconf_is_public(nc) ? "public" : "private");
	fprintf(out, "    rules %u", nc->rule_count);
	for (unsigned int i = 0; i < nc->rule_count; i++)
		fprintf(out, "%s%s%s", i ? ", " : ": ",
			(nc->rules[i].t & ZTDP_RULE_FLAG_NOT) ? "NOT " : "",
			ztdp_rule_type_name(nc->rules[i].t & ZTDP_RULE_TYPE_MASK));
	fprintf(out, "\n    capabilities %u tags %u coos %u specialists %u", nc->capability_count,
		nc->tag_count, nc->coo_count, nc->specialist_count);
	for (unsigned int i = 0; i < nc->specialist_count; i++)
		fprintf(out, " %s%s", fmt_addr(nc->specialists[i], a),
			(nc->specialists[i] & ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE) ?
				"(bridge)" : "");
	fprintf(out, "\n    COM %s\n", !nc->has_com ? "absent" :
		p->nc_com_verified ? "verified yes" : "verified NO");
}

void ztdp_dump_print_text(FILE *out, const struct ztdp_dump_pkt *p)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN], id[ID_STRLEN], v[64];
	char u1[ZTDP_INETADDR_STRLEN], u2[ZTDP_INETADDR_STRLEN];

	text_time(out, p->time_us);
	fprintf(out, " %s > %s ", fmt_inet(&p->usrc, u1), fmt_inet(&p->udst, u2));
	if (p->status == ZTDP_DUMP_ST_BEACON) {
		fprintf(out, "BEACON from %s\n", fmt_addr(p->src, a));
		return;
	}
	fprintf(out, "%s > %s", p->have_src ? fmt_addr(p->src, a) : "?", fmt_addr(p->dst, b));
	if (p->have_src)
		fprintf(out, " %s", ztdp_dump_cipher_str(p->cipher));
	if (p->hops)
		fprintf(out, " hops %u", p->hops);
	if (p->pieces > 1 || p->status == ZTDP_DUMP_ST_INCOMPLETE)
		fprintf(out, " frags %u", p->pieces);
	if (p->compressed)
		fprintf(out, " lz4");
	if (p->relay_copy)
		fprintf(out, " relay-copy");
	switch (p->status) {
	case ZTDP_DUMP_ST_OK:
		fprintf(out, " %s", verb_label(p, v, sizeof(v)));
		text_body(out, p);
		break;
	case ZTDP_DUMP_ST_MALFORMED:
		fprintf(out, " %s MALFORMED (%s)", verb_label(p, v, sizeof(v)), p->why);
		break;
	case ZTDP_DUMP_ST_INCOMPLETE:
		fprintf(out, " INCOMPLETE packet %s, %u", fmt_id(p->packet_id, id), p->pieces);
		if (p->total)
			fprintf(out, " of %u", p->total);
		fprintf(out, " datagrams (%s)", p->why);
		break;
	case ZTDP_DUMP_ST_DROPPED:
		fprintf(out, " piece of %s DROPPED (%s)", fmt_id(p->packet_id, id), p->why);
		break;
	case ZTDP_DUMP_ST_UNDECRYPTABLE:
	case ZTDP_DUMP_ST_AUTH_FAILED:
	default:
		if (p->have_verb)
			fprintf(out, " %s", verb_label(p, v, sizeof(v)));
		fprintf(out, " %s (%s) len %zu",
			p->status == ZTDP_DUMP_ST_UNDECRYPTABLE ? "UNDECRYPTABLE" : "AUTH-FAILED",
			p->why, p->wire_len);
		if (p->body == ZTDP_DUMP_B_HELLO) {
			fprintf(out, ", clear part:");
			text_body(out, p);
		}
		break;
	}
	if (p->identity_collision)
		fprintf(out, " IDENTITY-COLLISION");
	fputc('\n', out);
	if (p->nc != NULL)
		text_netconf(out, p);
}

/* ---- JSON ------------------------------------------------------------------- */

static void jset(json_t *o, const char *k, json_t *v)
{
	/* json_object_set_new steals v, also on failure. */
	(void)json_object_set_new(o, k, v);
}

static json_t *jaddr(uint64_t a)
{
	char buf[ADDR_STRLEN];

	return json_string(fmt_addr(a, buf));
}

static json_t *jid(uint64_t v)
{
	char buf[ID_STRLEN];

	return json_string(fmt_id(v, buf));
}

static json_t *jmac(uint64_t mac)
{
	char buf[ZTDP_MAC_STRLEN];

	return json_string(fmt_mac(mac, buf));
}

static json_t *jinet(const struct ztdp_inetaddr *a)
{
	char buf[ZTDP_INETADDR_STRLEN];

	if (a->family == 0)
		return json_null();
	return json_string(fmt_inet(a, buf));
}

static json_t *jgroup(const struct ztdp_mcast_group *g)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	jset(o, "mac", jmac(g->mac));
	jset(o, "adi", json_integer(g->adi));
	return o;
}

static void json_frame(json_t *o, const struct ztdp_dump_pkt *p, uint64_t nwid,
		       uint16_t ethertype, size_t len)
{
	char s[SUMMARY_LEN];

	jset(o, "nwid", jid(nwid));
	jset(o, "ethertype", json_integer(ethertype));
	jset(o, "frame_len", json_integer((json_int_t)len));
	if (p->frame != NULL) {
		jset(o, "dst_mac", jmac(ztdp_mac_from_bytes(p->frame)));
		jset(o, "src_mac", jmac(ztdp_mac_from_bytes(p->frame + ZTDP_MAC_LEN)));
		frame_summary(p->frame, p->frame_len, s, sizeof(s));
		if (s[0])
			jset(o, "inner", json_string(s));
	}
}

static json_t *json_netconf(const struct ztdp_dump_pkt *p)
{
	const struct ztdp_netconf *nc = p->nc;
	json_t *o = json_object(), *ips = json_array(), *routes = json_array();
	json_t *rules = json_array(), *spec = json_array();

	if (o == NULL || ips == NULL || routes == NULL || rules == NULL || spec == NULL) {
		json_decref(o);
		json_decref(ips);
		json_decref(routes);
		json_decref(rules);
		json_decref(spec);
		return NULL;
	}
	jset(o, "name", json_string(nc->name));
	jset(o, "nwid", jid(nc->nwid));
	jset(o, "issued_to", jaddr(nc->issued_to));
	jset(o, "revision", json_integer((json_int_t)nc->revision));
	jset(o, "version", json_integer((json_int_t)nc->version));
	jset(o, "timestamp", json_integer((json_int_t)nc->timestamp));
	jset(o, "type", json_string(ztdp_netconf_is_public(nc) ? "public" : "private"));
	for (unsigned int i = 0; i < nc->static_ip_count; i++)
		json_array_append_new(ips, jinet(&nc->static_ips[i]));
	jset(o, "ips", ips);
	for (unsigned int i = 0; i < nc->route_count; i++) {
		json_t *r = json_object();

		if (r == NULL)
			continue;
		jset(r, "target", jinet(&nc->routes[i].target));
		jset(r, "via", jinet(&nc->routes[i].via));
		jset(r, "flags", json_integer(nc->routes[i].flags));
		jset(r, "metric", json_integer(nc->routes[i].metric));
		json_array_append_new(routes, r);
	}
	jset(o, "routes", routes);
	jset(o, "mtu", json_integer(nc->mtu));
	jset(o, "multicast_limit", json_integer(nc->multicast_limit));
	jset(o, "flags", json_integer((json_int_t)nc->flags));
	jset(o, "broadcast", json_boolean(ztdp_netconf_broadcast_enabled(nc)));
	jset(o, "rules_count", json_integer(nc->rule_count));
	for (unsigned int i = 0; i < nc->rule_count; i++) {
		char r[64];

		snprintf(r, sizeof(r), "%s%s", (nc->rules[i].t & ZTDP_RULE_FLAG_NOT) ? "NOT " : "",
			 ztdp_rule_type_name(nc->rules[i].t & ZTDP_RULE_TYPE_MASK));
		json_array_append_new(rules, json_string(r));
	}
	jset(o, "rules", rules);
	jset(o, "capabilities", json_integer(nc->capability_count));
	jset(o, "tags", json_integer(nc->tag_count));
	jset(o, "coos", json_integer(nc->coo_count));
	for (unsigned int i = 0; i < nc->specialist_count; i++) {
		json_t *s = json_object();

		if (s == NULL)
			continue;
		jset(s, "address", jaddr(nc->specialists[i]));
		jset(s, "active_bridge", json_boolean(nc->specialists[i] &
						      ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE));
		json_array_append_new(spec, s);
	}
	jset(o, "specialists", spec);
	jset(o, "com_present", json_boolean(nc->has_com));
	jset(o, "com_verified", json_boolean(p->nc_com_verified));
	jset(o, "signature_verified", json_true());
	jset(o, "dict_len", json_integer((json_int_t)p->nc_dict_len));
	return o;
}

static void json_chunk(json_t *o, const struct ztdp_dump_pkt *p)
{
	const struct ztdp_netconf_chunk *c = &p->b.chunk;
	json_t *ch = json_object();

	if (ch == NULL)
		return;
	jset(o, "nwid", jid(c->nwid));
	jset(ch, "legacy", json_boolean(c->legacy));
	jset(ch, "update_id", jid(c->update_id));
	jset(ch, "index", json_integer(c->index));
	jset(ch, "length", json_integer(c->data_len));
	jset(ch, "total", json_integer(c->total_len));
	jset(ch, "flags", json_integer(c->flags));
	jset(ch, "signature", json_string(p->sig == ZTDP_DUMP_SIG_VERIFIED ? "verified" :
					  p->sig == ZTDP_DUMP_SIG_FAILED ? "failed" :
					  p->sig == ZTDP_DUMP_SIG_LEGACY ? "legacy" :
					  "unverified"));
	if (p->chunk_assembled)
		jset(ch, "assembly", json_string(ztdp_dump_asm_str(p->asm_rc)));
	if (p->asm_rc == ZTDP_NCASM_COMPLETE && p->nc == NULL) {
		jset(ch, "config_error", json_string(ztdp_netconf_strerror(p->nc_err)));
		if (p->nc_bad_key)
			jset(ch, "config_error_key", json_string(p->nc_bad_key));
	}
	jset(o, "chunk", ch);
}

static void json_body(json_t *o, const struct ztdp_dump_pkt *p)
{
	json_t *arr;

	switch (p->body) {
	case ZTDP_DUMP_B_HELLO: {
		const struct ztdp_hello *h = &p->b.hello;
		char ver[32];

		snprintf(ver, sizeof(ver), "%u.%u.%u", h->major, h->minor, h->revision);
		jset(o, "proto_version", json_integer(h->proto_version));
		jset(o, "version", json_string(ver));
		jset(o, "timestamp", json_integer((json_int_t)h->timestamp));
		jset(o, "identity", jaddr(h->identity.address));
		if (p->hello_id >= 0)
			jset(o, "identity_learned", json_boolean(p->hello_id == ZTDP_DUMP_ID_NEW));
		if (h->has_dest)
			jset(o, "to", jinet(&h->dest));
		if (h->has_world) {
			jset(o, "world_id", json_integer((json_int_t)h->world_id));
			jset(o, "world_timestamp", json_integer((json_int_t)h->world_timestamp));
		}
		if (h->has_moons)
			jset(o, "moons", json_integer(h->moon_count));
		break;
	}
	case ZTDP_DUMP_B_OK_HELLO: {
		const struct ztdp_ok_hello *k = &p->b.ok_hello;
		char ver[32];

		snprintf(ver, sizeof(ver), "%u.%u.%u", k->major, k->minor, k->revision);
		jset(o, "proto_version", json_integer(k->proto_version));
		jset(o, "version", json_string(ver));
		jset(o, "timestamp", json_integer((json_int_t)k->timestamp));
		if (k->has_addr)
			jset(o, "seen_from", jinet(&k->addr));
		if (k->has_worlds)
			jset(o, "worlds_len", json_integer(k->worlds_len));
		break;
	}
	case ZTDP_DUMP_B_WHOIS:
		if ((arr = json_array()) == NULL)
			break;
		for (unsigned int i = 0; i < p->b.whois.count; i++)
			json_array_append_new(arr, jaddr(ztdp_whois_address(&p->b.whois, i)));
		jset(o, "addresses", arr);
		break;
	case ZTDP_DUMP_B_OK_WHOIS:
		if ((arr = json_array()) == NULL)
			break;
		for (unsigned int i = 0; i < p->b.ok_whois.count; i++) {
			struct ztdp_identity idn;

			if (ztdp_ok_whois_identity(&p->b.ok_whois, i, &idn) == 0)
				json_array_append_new(arr, jaddr(idn.address));
		}
		jset(o, "identities", arr);
		jset(o, "identities_learned", json_integer(p->ids_new));
		break;
	case ZTDP_DUMP_B_RENDEZVOUS:
		jset(o, "with", jaddr(p->b.rendezvous.with));
		jset(o, "at", jinet(&p->b.rendezvous.addr));
		jset(o, "flags", json_integer(p->b.rendezvous.flags));
		break;
	case ZTDP_DUMP_B_FRAME:
		json_frame(o, p, p->b.frame.nwid, p->b.frame.ethertype, p->b.frame.data_len);
		break;
	case ZTDP_DUMP_B_EXT_FRAME: {
		const struct ztdp_ext_frame *f = &p->b.ext_frame;

		json_frame(o, p, f->nwid, f->ethertype, f->data_len);
		jset(o, "flags", json_integer(f->flags));
		jset(o, "dst_mac", jmac(f->dst_mac));
		jset(o, "src_mac", jmac(f->src_mac));
		jset(o, "src_mac_foreign", json_boolean(mac_foreign(f->src_mac, f->nwid)));
		jset(o, "dst_mac_foreign", json_boolean(mac_foreign(f->dst_mac, f->nwid)));
		jset(o, "com", json_boolean(f->com != NULL));
		break;
	}
	case ZTDP_DUMP_B_OK_EXT_FRAME:
		jset(o, "nwid", jid(p->b.ok_ext_frame.nwid));
		break;
	case ZTDP_DUMP_B_ECHO:
		jset(o, "echo_len", json_integer((json_int_t)p->b.echo.len));
		break;
	case ZTDP_DUMP_B_OK_CONFIG_PUSH:
		jset(o, "config_push_ack", json_true());
		jset(o, "nwid", jid(p->b.ok_config_push.nwid));
		jset(o, "update_id", jid(p->b.ok_config_push.update_id));
		break;
	case ZTDP_DUMP_B_MULTICAST_LIKE:
		if ((arr = json_array()) == NULL)
			break;
		for (unsigned int i = 0; i < p->b.multicast_like.count; i++) {
			struct ztdp_multicast_like_rec rec;
			json_t *g;

			ztdp_multicast_like_get(&p->b.multicast_like, i, &rec);
			g = jgroup(&rec.group);
			if (g == NULL)
				continue;
			jset(g, "nwid", jid(rec.nwid));
			json_array_append_new(arr, g);
		}
		jset(o, "groups", arr);
		break;
	case ZTDP_DUMP_B_CREDENTIALS:
		jset(o, "coms", json_integer(p->b.creds.com_count));
		jset(o, "capabilities", json_integer(p->b.creds.cap_count));
		jset(o, "tags", json_integer(p->b.creds.tag_count));
		jset(o, "revocations", json_integer(p->b.creds.revocation_count));
		jset(o, "coos", json_integer(p->b.creds.coo_count));
		break;
	case ZTDP_DUMP_B_NETCONF_REQUEST:
		jset(o, "nwid", jid(p->b.netconf_request.nwid));
		jset(o, "meta_len", json_integer(p->b.netconf_request.meta_len));
		if (p->b.netconf_request.has_revision) {
			jset(o, "have_revision",
			     json_integer((json_int_t)p->b.netconf_request.revision));
			jset(o, "have_timestamp",
			     json_integer((json_int_t)p->b.netconf_request.timestamp));
		}
		break;
	case ZTDP_DUMP_B_CHUNK:
		json_chunk(o, p);
		break;
	case ZTDP_DUMP_B_GATHER:
		jset(o, "nwid", jid(p->b.gather.nwid));
		jset(o, "group", jgroup(&p->b.gather.group));
		jset(o, "limit", json_integer(p->b.gather.limit));
		jset(o, "flags", json_integer(p->b.gather.flags));
		break;
	case ZTDP_DUMP_B_OK_GATHER:
		jset(o, "nwid", jid(p->b.ok_gather.nwid));
		jset(o, "group", jgroup(&p->b.ok_gather.group));
		jset(o, "total_known", json_integer(p->b.ok_gather.res.total_known));
		if ((arr = json_array()) == NULL)
			break;
		for (unsigned int i = 0; i < p->b.ok_gather.res.count; i++)
			json_array_append_new(arr, jaddr(ztdp_gather_results_address(
							   &p->b.ok_gather.res, i)));
		jset(o, "members", arr);
		break;
	case ZTDP_DUMP_B_MULTICAST_FRAME: {
		const struct ztdp_multicast_frame *f = &p->b.mcframe;

		json_frame(o, p, f->nwid, f->ethertype, f->data_len);
		jset(o, "flags", json_integer(f->flags));
		jset(o, "group", jgroup(&f->group));
		if (f->flags & ZTDP_MC_FRAME_FLAG_GATHER_LIMIT)
			jset(o, "gather_limit", json_integer(f->gather_limit));
		if (f->flags & ZTDP_MC_FRAME_FLAG_SOURCE_MAC)
			jset(o, "src_mac_foreign", json_boolean(mac_foreign(f->src_mac, f->nwid)));
		jset(o, "com", json_boolean(f->com != NULL));
		break;
	}
	case ZTDP_DUMP_B_OK_MULTICAST_FRAME:
		jset(o, "nwid", jid(p->b.ok_mcframe.nwid));
		jset(o, "group", jgroup(&p->b.ok_mcframe.group));
		jset(o, "flags", json_integer(p->b.ok_mcframe.flags));
		if (p->b.ok_mcframe.flags & ZTDP_MC_FRAME_OK_FLAG_GATHER) {
			jset(o, "total_known", json_integer(p->b.ok_mcframe.res.total_known));
			if ((arr = json_array()) == NULL)
				break;
			for (unsigned int i = 0; i < p->b.ok_mcframe.res.count; i++)
				json_array_append_new(arr, jaddr(ztdp_gather_results_address(
								   &p->b.ok_mcframe.res, i)));
			jset(o, "members", arr);
		}
		break;
	case ZTDP_DUMP_B_PUSH_DIRECT_PATHS: {
		struct ztdp_rd it;
		struct ztdp_push_path rec;

		if ((arr = json_array()) == NULL)
			break;
		ztdp_rd_init(&it, p->b.pdp.raw, p->b.pdp.raw_len);
		while (ztdp_push_direct_paths_next(&it, &rec) == 1)
			json_array_append_new(arr, jinet(&rec.addr));
		jset(o, "paths", arr);
		break;
	}
	case ZTDP_DUMP_B_USER_MESSAGE:
		jset(o, "type", json_integer((json_int_t)p->b.user_message.type));
		jset(o, "data_len", json_integer((json_int_t)p->b.user_message.len));
		break;
	case ZTDP_DUMP_B_ERROR:
		if (p->body_err != 0)
			break;
		jset(o, "error", json_string(ztdp_dump_error_code_str(p->err.code)));
		jset(o, "error_code", json_integer(p->err.code));
		if (p->err.has_nwid)
			jset(o, "nwid", jid(p->err.nwid));
		if (p->err.code == ZTDP_ERROR_UNWANTED_MULTICAST)
			jset(o, "group", jgroup(&p->err.group));
		break;
	case ZTDP_DUMP_B_NONE:
		break;
	}
}

json_t *ztdp_dump_pkt_json(const struct ztdp_dump_pkt *p)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	jset(o, "record", json_integer((json_int_t)p->record));
	jset(o, "time", json_real((double)p->time_us / 1e6));
	jset(o, "time_us", json_integer((json_int_t)p->time_us));
	jset(o, "status", json_string(ztdp_dump_status_str(p->status)));
	jset(o, "authenticated", json_boolean(p->authenticated));
	if (p->why != NULL)
		jset(o, "reason", json_string(p->why));
	jset(o, "underlay_src", jinet(&p->usrc));
	jset(o, "underlay_dst", jinet(&p->udst));
	if (p->status == ZTDP_DUMP_ST_BEACON) {
		jset(o, "src", jaddr(p->src));
		return o;
	}
	jset(o, "packet_id", jid(p->packet_id));
	jset(o, "src", p->have_src ? jaddr(p->src) : json_null());
	jset(o, "dst", jaddr(p->dst));
	/* The required fields are always there: null when not known (a
	 * fragment without its head, an encrypted verb without a key). */
	if (p->have_src) {
		jset(o, "cipher", json_integer(p->cipher));
		jset(o, "cipher_name", json_string(ztdp_dump_cipher_str(p->cipher)));
	} else {
		jset(o, "cipher", json_null());
	}
	jset(o, "hops", json_integer(p->hops));
	jset(o, "length", json_integer((json_int_t)p->wire_len));
	jset(o, "fragments", json_integer(p->pieces));
	if (p->total)
		jset(o, "fragments_total", json_integer(p->total));
	jset(o, "relay_copy", json_boolean(p->relay_copy));
	jset(o, "verb", p->have_verb ? json_string(ztdp_verb_name(p->verb)) : json_null());
	if (p->authenticated)
		jset(o, "compressed", json_boolean(p->compressed));
	if (p->has_in_re) {
		jset(o, "in_re_verb", json_string(ztdp_verb_name(p->in_re_verb)));
		jset(o, "in_re_packet_id", jid(p->in_re_id));
	}
	if (p->identity_collision)
		jset(o, "identity_collision", json_true());
	/* An unauthenticated HELLO's clear fields are shown too; the status
	 * and "authenticated" say what they are worth. */
	if (p->status == ZTDP_DUMP_ST_OK || p->body == ZTDP_DUMP_B_HELLO) {
		json_body(o, p);
		if (p->body_err != 0)
			jset(o, "decode_error", json_string(ztdp_verbs_strerror(p->body_err)));
	}
	if (p->nc != NULL) {
		json_t *nc = json_netconf(p);

		if (nc != NULL)
			jset(o, "netconf", nc);
	}
	return o;
}

void ztdp_dump_print_json(FILE *out, const struct ztdp_dump_pkt *p)
{
	json_t *o = ztdp_dump_pkt_json(p);

	if (o == NULL) {
		fputs("{\"error\":\"out of memory\"}\n", out);
		return;
	}
	/* 16 significant digits: seconds and microseconds of "time" exactly. */
	json_dumpf(o, out, JSON_COMPACT | JSON_REAL_PRECISION(16));
	fputc('\n', out);
	json_decref(o);
}
