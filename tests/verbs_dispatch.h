/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test and fuzz helper: every verb codec of ztdp_verbs.h (and the config
 * chunk of ztdp_netconf_chunk.h) behind one table, so that tests and the
 * fuzzer can decode, re-encode and compare any of them by kind.
 * No cmocka here: the fuzzer links it too.
 */
#ifndef ZTDP_TEST_VERBS_DISPATCH_H
#define ZTDP_TEST_VERBS_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_buf.h"
#include "ztdp_netconf_chunk.h"
#include "ztdp_verbs.h"

enum vd_kind {
	VD_OK,			/* envelope */
	VD_ERROR,
	VD_HELLO,
	VD_OK_HELLO,
	VD_WHOIS,
	VD_OK_WHOIS,
	VD_RENDEZVOUS,
	VD_FRAME,
	VD_EXT_FRAME,
	VD_OK_EXT_FRAME,
	VD_ECHO,		/* also OK(ECHO) */
	VD_OK_CONFIG_PUSH,
	VD_MULTICAST_LIKE,
	VD_NETWORK_CREDENTIALS,
	VD_NETCONF_REQUEST,
	VD_NETCONF_CHUNK,	/* NETWORK_CONFIG, OK(NETWORK_CONFIG_REQUEST) */
	VD_MULTICAST_GATHER,
	VD_OK_MULTICAST_GATHER,
	VD_MULTICAST_FRAME,
	VD_OK_MULTICAST_FRAME,
	VD_PUSH_DIRECT_PATHS,
	VD_USER_MESSAGE,
	VD_COUNT
};

union vd_msg {
	struct ztdp_ok ok;
	struct ztdp_error error;
	struct ztdp_hello hello;
	struct ztdp_ok_hello ok_hello;
	struct ztdp_whois whois;
	struct ztdp_ok_whois ok_whois;
	struct ztdp_rendezvous rendezvous;
	struct ztdp_frame frame;
	struct ztdp_ext_frame ext_frame;
	struct ztdp_ok_ext_frame ok_ext_frame;
	struct ztdp_echo echo;
	struct ztdp_ok_config_push ok_config_push;
	struct ztdp_multicast_like multicast_like;
	struct ztdp_network_credentials network_credentials;
	struct ztdp_netconf_request netconf_request;
	struct ztdp_netconf_chunk netconf_chunk;
	struct ztdp_multicast_gather multicast_gather;
	struct ztdp_ok_multicast_gather ok_multicast_gather;
	struct ztdp_multicast_frame multicast_frame;
	struct ztdp_ok_multicast_frame ok_multicast_frame;
	struct ztdp_push_direct_paths push_direct_paths;
	struct ztdp_user_message user_message;
};

const char *vd_name(enum vd_kind k);
/* 0 or the decoder's negative code. */
int vd_decode(enum vd_kind k, const uint8_t *p, size_t len, union vd_msg *m);
/* 0 or the encoder's negative code. */
int vd_encode(enum vd_kind k, struct ztdp_wr *w, const union vd_msg *m);
/* Same meaning (scalars and the bytes behind pointers; not the pointers
 * themselves, nor bytes a decoder skips). Both must be decoder output. */
bool vd_equal(enum vd_kind k, const union vd_msg *a, const union vd_msg *b);
/* True if the wire form is canonical: encode(decode(x)) == x for every x
 * that decodes and has no bytes the decoder ignores. */
bool vd_canonical(enum vd_kind k);
/* Release what decode may hold (identity keys are wiped). */
void vd_clear(enum vd_kind k, union vd_msg *m);

/* Kind of the body of an OK with this in-re verb (body_len picks between
 * OK(ECHO) and the 1.14.1 config-push OK: 16 bytes -> both plausible, the
 * echo form is returned and *alt gets VD_OK_CONFIG_PUSH); -1 if none. */
int vd_kind_for_ok(uint8_t in_re_verb, size_t body_len, int *alt);
/* Kind of a request verb's payload; -1 for verbs without a codec. */
int vd_kind_for_verb(uint8_t verb);

#endif /* ZTDP_TEST_VERBS_DISPATCH_H */
