/* SPDX-License-Identifier: BSD-3-Clause */
/* Test and fuzz helper: all verb codecs by kind. */
#include <string.h>

#include "verbs_dispatch.h"
#include "ztdp_wire.h"

static const char *const vd_names[VD_COUNT] = {
	[VD_OK] = "OK",
	[VD_ERROR] = "ERROR",
	[VD_HELLO] = "HELLO",
	[VD_OK_HELLO] = "OK(HELLO)",
	[VD_WHOIS] = "WHOIS",
	[VD_OK_WHOIS] = "OK(WHOIS)",
	[VD_RENDEZVOUS] = "RENDEZVOUS",
	[VD_FRAME] = "FRAME",
	[VD_EXT_FRAME] = "EXT_FRAME",
	[VD_OK_EXT_FRAME] = "OK(EXT_FRAME)",
	[VD_ECHO] = "ECHO",
	[VD_OK_CONFIG_PUSH] = "OK(NETWORK_CONFIG)",
	[VD_MULTICAST_LIKE] = "MULTICAST_LIKE",
	[VD_NETWORK_CREDENTIALS] = "NETWORK_CREDENTIALS",
	[VD_NETCONF_REQUEST] = "NETWORK_CONFIG_REQUEST",
	[VD_NETCONF_CHUNK] = "config chunk",
	[VD_MULTICAST_GATHER] = "MULTICAST_GATHER",
	[VD_OK_MULTICAST_GATHER] = "OK(MULTICAST_GATHER)",
	[VD_MULTICAST_FRAME] = "MULTICAST_FRAME",
	[VD_OK_MULTICAST_FRAME] = "OK(MULTICAST_FRAME)",
	[VD_PUSH_DIRECT_PATHS] = "PUSH_DIRECT_PATHS",
	[VD_USER_MESSAGE] = "USER_MESSAGE",
};

const char *vd_name(enum vd_kind k)
{
	return (unsigned int)k < VD_COUNT ? vd_names[k] : "?";
}

int vd_decode(enum vd_kind k, const uint8_t *p, size_t len, union vd_msg *m)
{
	memset(m, 0, sizeof(*m));
	switch (k) {
	case VD_OK:
		return ztdp_ok_decode(p, len, &m->ok);
	case VD_ERROR:
		return ztdp_error_decode(p, len, &m->error);
	case VD_HELLO:
		return ztdp_hello_decode(p, len, &m->hello);
	case VD_OK_HELLO:
		return ztdp_ok_hello_decode(p, len, &m->ok_hello);
	case VD_WHOIS:
		return ztdp_whois_decode(p, len, &m->whois);
	case VD_OK_WHOIS:
		return ztdp_ok_whois_decode(p, len, &m->ok_whois);
	case VD_RENDEZVOUS:
		return ztdp_rendezvous_decode(p, len, &m->rendezvous);
	case VD_FRAME:
		return ztdp_frame_decode(p, len, &m->frame);
	case VD_EXT_FRAME:
		return ztdp_ext_frame_decode(p, len, &m->ext_frame);
	case VD_OK_EXT_FRAME:
		return ztdp_ok_ext_frame_decode(p, len, &m->ok_ext_frame);
	case VD_ECHO:
		return ztdp_echo_decode(p, len, &m->echo);
	case VD_OK_CONFIG_PUSH:
		return ztdp_ok_config_push_decode(p, len, &m->ok_config_push);
	case VD_MULTICAST_LIKE:
		return ztdp_multicast_like_decode(p, len, &m->multicast_like);
	case VD_NETWORK_CREDENTIALS:
		return ztdp_network_credentials_decode(p, len, &m->network_credentials);
	case VD_NETCONF_REQUEST:
		return ztdp_netconf_request_decode(p, len, &m->netconf_request);
	case VD_NETCONF_CHUNK:
		return ztdp_netconf_chunk_decode(p, len, &m->netconf_chunk);
	case VD_MULTICAST_GATHER:
		return ztdp_multicast_gather_decode(p, len, &m->multicast_gather);
	case VD_OK_MULTICAST_GATHER:
		return ztdp_ok_multicast_gather_decode(p, len, &m->ok_multicast_gather);
	case VD_MULTICAST_FRAME:
		return ztdp_multicast_frame_decode(p, len, &m->multicast_frame);
	case VD_OK_MULTICAST_FRAME:
		return ztdp_ok_multicast_frame_decode(p, len, &m->ok_multicast_frame);
	case VD_PUSH_DIRECT_PATHS:
		return ztdp_push_direct_paths_decode(p, len, &m->push_direct_paths);
	case VD_USER_MESSAGE:
		return ztdp_user_message_decode(p, len, &m->user_message);
	case VD_COUNT:
		break;
	}
	return ZTDP_VERBS_EINVAL;
}

int vd_encode(enum vd_kind k, struct ztdp_wr *w, const union vd_msg *m)
{
	switch (k) {
	case VD_OK:
		return ztdp_ok_encode(w, &m->ok);
	case VD_ERROR:
		return ztdp_error_encode(w, &m->error);
	case VD_HELLO:
		return ztdp_hello_encode(w, &m->hello, NULL);
	case VD_OK_HELLO:
		return ztdp_ok_hello_encode(w, &m->ok_hello);
	case VD_WHOIS:
		return ztdp_whois_encode(w, &m->whois);
	case VD_OK_WHOIS:
		return ztdp_ok_whois_encode(w, &m->ok_whois);
	case VD_RENDEZVOUS:
		return ztdp_rendezvous_encode(w, &m->rendezvous);
	case VD_FRAME:
		return ztdp_frame_encode(w, &m->frame);
	case VD_EXT_FRAME:
		return ztdp_ext_frame_encode(w, &m->ext_frame);
	case VD_OK_EXT_FRAME:
		return ztdp_ok_ext_frame_encode(w, &m->ok_ext_frame);
	case VD_ECHO:
		return ztdp_echo_encode(w, &m->echo);
	case VD_OK_CONFIG_PUSH:
		return ztdp_ok_config_push_encode(w, &m->ok_config_push);
	case VD_MULTICAST_LIKE:
		return ztdp_multicast_like_encode(w, &m->multicast_like);
	case VD_NETWORK_CREDENTIALS:
		return ztdp_network_credentials_encode(w, &m->network_credentials);
	case VD_NETCONF_REQUEST:
		return ztdp_netconf_request_encode(w, &m->netconf_request);
	case VD_NETCONF_CHUNK:
		return ztdp_netconf_chunk_encode(w, &m->netconf_chunk);
	case VD_MULTICAST_GATHER:
		return ztdp_multicast_gather_encode(w, &m->multicast_gather);
	case VD_OK_MULTICAST_GATHER:
		return ztdp_ok_multicast_gather_encode(w, &m->ok_multicast_gather);
	case VD_MULTICAST_FRAME:
		return ztdp_multicast_frame_encode(w, &m->multicast_frame);
	case VD_OK_MULTICAST_FRAME:
		return ztdp_ok_multicast_frame_encode(w, &m->ok_multicast_frame);
	case VD_PUSH_DIRECT_PATHS:
		return ztdp_push_direct_paths_encode(w, &m->push_direct_paths);
	case VD_USER_MESSAGE:
		return ztdp_user_message_encode(w, &m->user_message);
	case VD_COUNT:
		break;
	}
	return ZTDP_VERBS_EINVAL;
}

bool vd_canonical(enum vd_kind k)
{
	/* Every codec keeps what it cannot rebuild (raw lists, embedded
	 * credentials, extensions), so most are canonical for inputs without
	 * ignored trailing bytes. Exceptions: ERROR drops an optional nwid cut
	 * short; HELLO and OK(HELLO) turn reserved InetAddress types into the
	 * null address; NETWORK_CREDENTIALS adds the COM terminator that the
	 * oldest senders leave out. */
	return k != VD_ERROR && k != VD_HELLO && k != VD_OK_HELLO &&
	       k != VD_NETWORK_CREDENTIALS;
}

void vd_clear(enum vd_kind k, union vd_msg *m)
{
	if (k == VD_HELLO)
		ztdp_identity_clear(&m->hello.identity);
}

/* ---- Equality ----------------------------------------------------------------- */

static bool beq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	if (alen == 0)
		return true;
	if (a == NULL || b == NULL)
		return false;
	return memcmp(a, b, alen) == 0;
}

static bool inet_eq(const struct ztdp_inetaddr *a, const struct ztdp_inetaddr *b)
{
	if (a->family != b->family)
		return false;
	return a->family == 0 || ztdp_inetaddr_equal(a, b);
}

static bool group_eq(const struct ztdp_mcast_group *a, const struct ztdp_mcast_group *b)
{
	return a->mac == b->mac && a->adi == b->adi;
}

static bool gather_eq(const struct ztdp_gather_results *a,
		      const struct ztdp_gather_results *b)
{
	return a->total_known == b->total_known && a->count == b->count &&
	       beq(a->raw, (size_t)a->count * ZTDP_ADDRESS_LEN, b->raw,
		   (size_t)b->count * ZTDP_ADDRESS_LEN);
}

#define EQ(f)		(x->f == y->f)
#define BEQ(p, n)	beq(x->p, x->n, y->p, y->n)

bool vd_equal(enum vd_kind k, const union vd_msg *a, const union vd_msg *b)
{
	switch (k) {
	case VD_OK: {
		const struct ztdp_ok *x = &a->ok, *y = &b->ok;

		return EQ(in_re_verb) && EQ(in_re_packet_id) && BEQ(payload, payload_len);
	}
	case VD_ERROR: {
		const struct ztdp_error *x = &a->error, *y = &b->error;

		return EQ(in_re_verb) && EQ(in_re_packet_id) && EQ(code) &&
		       EQ(has_nwid) && EQ(nwid) && group_eq(&x->group, &y->group) &&
		       EQ(has_auth_info) && BEQ(auth_info, auth_info_len);
	}
	case VD_HELLO: {
		const struct ztdp_hello *x = &a->hello, *y = &b->hello;

		return EQ(proto_version) && EQ(major) && EQ(minor) && EQ(revision) &&
		       EQ(timestamp) && EQ(identity.address) &&
		       memcmp(x->identity.pub, y->identity.pub, sizeof(x->identity.pub)) == 0 &&
		       EQ(has_dest) && inet_eq(&x->dest, &y->dest) && EQ(has_world) &&
		       EQ(world_id) && EQ(world_timestamp) && EQ(has_moons) &&
		       EQ(moon_count) &&
		       beq(x->moons_raw, (size_t)x->moon_count * ZTDP_HELLO_MOON_LEN,
			   y->moons_raw, (size_t)y->moon_count * ZTDP_HELLO_MOON_LEN);
	}
	case VD_OK_HELLO: {
		const struct ztdp_ok_hello *x = &a->ok_hello, *y = &b->ok_hello;

		return EQ(timestamp) && EQ(proto_version) && EQ(major) && EQ(minor) &&
		       EQ(revision) && EQ(has_addr) && inet_eq(&x->addr, &y->addr) &&
		       EQ(has_worlds) && BEQ(worlds, worlds_len);
	}
	case VD_WHOIS: {
		const struct ztdp_whois *x = &a->whois, *y = &b->whois;

		return EQ(count) && beq(x->raw, (size_t)x->count * ZTDP_ADDRESS_LEN,
					y->raw, (size_t)y->count * ZTDP_ADDRESS_LEN);
	}
	case VD_OK_WHOIS: {
		const struct ztdp_ok_whois *x = &a->ok_whois, *y = &b->ok_whois;

		return EQ(count) &&
		       beq(x->raw, (size_t)x->count * ZTDP_IDENTITY_PUBLIC_BIN_LEN,
			   y->raw, (size_t)y->count * ZTDP_IDENTITY_PUBLIC_BIN_LEN);
	}
	case VD_RENDEZVOUS: {
		const struct ztdp_rendezvous *x = &a->rendezvous, *y = &b->rendezvous;

		return EQ(flags) && EQ(with) && inet_eq(&x->addr, &y->addr);
	}
	case VD_FRAME: {
		const struct ztdp_frame *x = &a->frame, *y = &b->frame;

		return EQ(nwid) && EQ(ethertype) && BEQ(data, data_len);
	}
	case VD_EXT_FRAME: {
		const struct ztdp_ext_frame *x = &a->ext_frame, *y = &b->ext_frame;

		return EQ(nwid) && EQ(flags) && BEQ(com, com_len) && EQ(dst_mac) &&
		       EQ(src_mac) && EQ(ethertype) && BEQ(data, data_len);
	}
	case VD_OK_EXT_FRAME:
		return a->ok_ext_frame.nwid == b->ok_ext_frame.nwid;
	case VD_ECHO: {
		const struct ztdp_echo *x = &a->echo, *y = &b->echo;

		return BEQ(data, len);
	}
	case VD_OK_CONFIG_PUSH: {
		const struct ztdp_ok_config_push *x = &a->ok_config_push,
			*y = &b->ok_config_push;

		return EQ(nwid) && EQ(update_id);
	}
	case VD_MULTICAST_LIKE: {
		const struct ztdp_multicast_like *x = &a->multicast_like,
			*y = &b->multicast_like;

		return EQ(count) && beq(x->raw, (size_t)x->count * ZTDP_MC_LIKE_REC_LEN,
					y->raw, (size_t)y->count * ZTDP_MC_LIKE_REC_LEN);
	}
	case VD_NETWORK_CREDENTIALS: {
		const struct ztdp_network_credentials *x = &a->network_credentials,
			*y = &b->network_credentials;

		return EQ(com_count) && BEQ(coms, coms_len) &&
		       EQ(has_caps) && EQ(cap_count) && BEQ(caps, caps_len) &&
		       EQ(has_tags) && EQ(tag_count) && BEQ(tags, tags_len) &&
		       EQ(has_revocations) && EQ(revocation_count) &&
		       BEQ(revocations, revocations_len) &&
		       EQ(has_coos) && EQ(coo_count) && BEQ(coos, coos_len);
	}
	case VD_NETCONF_REQUEST: {
		const struct ztdp_netconf_request *x = &a->netconf_request,
			*y = &b->netconf_request;

		return EQ(nwid) && EQ(has_meta) && BEQ(meta, meta_len) &&
		       EQ(has_revision) && EQ(revision) && EQ(timestamp);
	}
	case VD_NETCONF_CHUNK: {
		const struct ztdp_netconf_chunk *x = &a->netconf_chunk,
			*y = &b->netconf_chunk;

		return EQ(nwid) && BEQ(data, data_len) && EQ(legacy) && EQ(flags) &&
		       EQ(update_id) && EQ(total_len) && EQ(index) && EQ(sig_type) &&
		       BEQ(sig, sig_len) && BEQ(signed_region, signed_len);
	}
	case VD_MULTICAST_GATHER: {
		const struct ztdp_multicast_gather *x = &a->multicast_gather,
			*y = &b->multicast_gather;

		return EQ(nwid) && EQ(flags) && group_eq(&x->group, &y->group) &&
		       EQ(limit) && BEQ(com, com_len);
	}
	case VD_OK_MULTICAST_GATHER: {
		const struct ztdp_ok_multicast_gather *x = &a->ok_multicast_gather,
			*y = &b->ok_multicast_gather;

		return EQ(nwid) && group_eq(&x->group, &y->group) &&
		       gather_eq(&x->res, &y->res);
	}
	case VD_MULTICAST_FRAME: {
		const struct ztdp_multicast_frame *x = &a->multicast_frame,
			*y = &b->multicast_frame;

		return EQ(nwid) && EQ(flags) && BEQ(com, com_len) && EQ(gather_limit) &&
		       EQ(src_mac) && group_eq(&x->group, &y->group) && EQ(ethertype) &&
		       BEQ(data, data_len);
	}
	case VD_OK_MULTICAST_FRAME: {
		const struct ztdp_ok_multicast_frame *x = &a->ok_multicast_frame,
			*y = &b->ok_multicast_frame;

		return EQ(nwid) && group_eq(&x->group, &y->group) && EQ(flags) &&
		       BEQ(com, com_len) && gather_eq(&x->res, &y->res);
	}
	case VD_PUSH_DIRECT_PATHS: {
		const struct ztdp_push_direct_paths *x = &a->push_direct_paths,
			*y = &b->push_direct_paths;

		return EQ(count) && BEQ(raw, raw_len);
	}
	case VD_USER_MESSAGE: {
		const struct ztdp_user_message *x = &a->user_message,
			*y = &b->user_message;

		return EQ(type) && BEQ(data, len);
	}
	case VD_COUNT:
		break;
	}
	return false;
}

#undef EQ
#undef BEQ

int vd_kind_for_ok(uint8_t in_re_verb, size_t body_len, int *alt)
{
	if (alt != NULL)
		*alt = -1;
	switch (in_re_verb) {
	case ZTDP_VERB_HELLO:
		return VD_OK_HELLO;
	case ZTDP_VERB_WHOIS:
		return VD_OK_WHOIS;
	case ZTDP_VERB_EXT_FRAME:
		return VD_OK_EXT_FRAME;
	case ZTDP_VERB_ECHO:
		if (body_len == ZTDP_OK_CONFIG_PUSH_LEN && alt != NULL)
			*alt = VD_OK_CONFIG_PUSH;
		return VD_ECHO;
	case ZTDP_VERB_NETWORK_CONFIG_REQUEST:
		return VD_NETCONF_CHUNK;
	case ZTDP_VERB_MULTICAST_GATHER:
		return VD_OK_MULTICAST_GATHER;
	case ZTDP_VERB_MULTICAST_FRAME:
		return VD_OK_MULTICAST_FRAME;
	}
	return -1;
}

int vd_kind_for_verb(uint8_t verb)
{
	switch (verb) {
	case ZTDP_VERB_HELLO:
		return VD_HELLO;
	case ZTDP_VERB_ERROR:
		return VD_ERROR;
	case ZTDP_VERB_OK:
		return VD_OK;
	case ZTDP_VERB_WHOIS:
		return VD_WHOIS;
	case ZTDP_VERB_RENDEZVOUS:
		return VD_RENDEZVOUS;
	case ZTDP_VERB_FRAME:
		return VD_FRAME;
	case ZTDP_VERB_EXT_FRAME:
		return VD_EXT_FRAME;
	case ZTDP_VERB_ECHO:
		return VD_ECHO;
	case ZTDP_VERB_MULTICAST_LIKE:
		return VD_MULTICAST_LIKE;
	case ZTDP_VERB_NETWORK_CREDENTIALS:
		return VD_NETWORK_CREDENTIALS;
	case ZTDP_VERB_NETWORK_CONFIG_REQUEST:
		return VD_NETCONF_REQUEST;
	case ZTDP_VERB_NETWORK_CONFIG:
		return VD_NETCONF_CHUNK;
	case ZTDP_VERB_MULTICAST_GATHER:
		return VD_MULTICAST_GATHER;
	case ZTDP_VERB_MULTICAST_FRAME:
		return VD_MULTICAST_FRAME;
	case ZTDP_VERB_PUSH_DIRECT_PATHS:
		return VD_PUSH_DIRECT_PATHS;
	case ZTDP_VERB_USER_MESSAGE:
		return VD_USER_MESSAGE;
	}
	return -1;
}
