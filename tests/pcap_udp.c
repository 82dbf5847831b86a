/* SPDX-License-Identifier: BSD-3-Clause */
/* Test helper: UDP payloads of a capture and the interop nodes' keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "pcap_udp.h"
#include "test_util.h"
#include "ztdp_buf.h"

#define ETH_HDR_LEN	14
#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8
#define IPV4_MIN_HDR	20
#define IPPROTO_UDP_NUM	17
#define UDP_HDR_LEN	8

/* One Ethernet frame: the UDP payload in it, or -1 if it is not IPv4 UDP. */
static int parse_frame(const uint8_t *p, size_t n, struct pcap_udp *out)
{
	size_t off = ETH_HDR_LEN, ihl, tot;
	uint16_t et;

	if (n < ETH_HDR_LEN)
		return -1;
	et = ztdp_load_be16(p + 12);
	while ((et == ETHERTYPE_VLAN || et == ETHERTYPE_QINQ) && n >= off + 4) {
		et = ztdp_load_be16(p + off + 2);
		off += 4;
	}
	if (et != ETHERTYPE_IPV4 || n < off + IPV4_MIN_HDR)
		return -1;
	ihl = (size_t)(p[off] & 0x0f) * 4;
	tot = ztdp_load_be16(p + off + 2);
	if (ihl < IPV4_MIN_HDR || tot < ihl + UDP_HDR_LEN || n < off + tot ||
	    p[off + 9] != IPPROTO_UDP_NUM || (ztdp_load_be16(p + off + 6) & 0x3fff) != 0)
		return -1;
	out->src_ip = ztdp_load_be32(p + off + 12);
	out->dst_ip = ztdp_load_be32(p + off + 16);
	off += ihl;
	out->src_port = ztdp_load_be16(p + off);
	out->dst_port = ztdp_load_be16(p + off + 2);
	if (ztdp_load_be16(p + off + 4) < UDP_HDR_LEN ||
	    ztdp_load_be16(p + off + 4) > tot - ihl)
		return -1;
	out->len = ztdp_load_be16(p + off + 4) - UDP_HDR_LEN;
	out->data = malloc(out->len ? out->len : 1);
	if (out->data == NULL)
		return -1;
	memcpy(out->data, p + off + UDP_HDR_LEN, out->len);
	return 0;
}

struct pcap_udp *pcap_udp_load(const char *path, size_t *count)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	struct pcap_udp *v = NULL, *nv;
	const u_char *p;
	size_t n = 0, cap = 0;
	pcap_t *pc;

	*count = 0;
	pc = pcap_open_offline(path, err);
	if (pc == NULL) {
		printf("# %s: %s\n", path, err);
		return NULL;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		printf("# %s: link type %d, expected Ethernet\n", path, pcap_datalink(pc));
		pcap_close(pc);
		return NULL;
	}
	while (pcap_next_ex(pc, &h, &p) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL)
				goto fail;
			v = nv;
		}
		if (parse_frame(p, h->caplen, &v[n]) == 0)
			n++;
	}
	pcap_close(pc);
	*count = n;
	return v;
fail:
	pcap_close(pc);
	pcap_udp_free(v, n);
	return NULL;
}

void pcap_udp_free(struct pcap_udp *d, size_t count)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		free(d[i].data);
	free(d);
}

uint64_t pcap_udp_source_key(const struct pcap_udp *d)
{
	return (uint64_t)d->src_ip << 16 | d->src_port;
}

static const char *const node_files[INTEROP_NODES] = { "root", "a", "b" };

int interop_keys_load(struct interop_keys *k, const char *dir)
{
	char rel[256];

	memset(k, 0, sizeof(*k));
	for (int i = 0; i < INTEROP_NODES; i++) {
		const char *why = NULL;
		uint8_t *text;
		size_t len;

		snprintf(rel, sizeof(rel), "%s/%s.identity.secret", dir, node_files[i]);
		if (!ztdp_test_have_shared(rel))
			return -1;
		text = ztdp_test_read_file(ztdp_test_shared_path(rel), &len);
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
				   text[len - 1] == ' '))
			text[--len] = '\0';
		if (ztdp_identity_from_string(&k->id[i], (const char *)text, &why) != 0) {
			printf("# %s: %s\n", rel, why ? why : "bad identity");
			free(text);
			return -1;
		}
		free(text);
	}
	for (int i = 0; i < INTEROP_NODES; i++) {
		for (int j = 0; j < INTEROP_NODES; j++) {
			uint8_t key[ZTDP_PEER_KEY_LEN];

			if (i == j)
				continue;
			if (ztdp_identity_agree(&k->id[i], &k->id[j], key) != 0 ||
			    ztdp_peer_key_init(&k->key[i][j], key) != 0)
				return -1;
		}
	}
	return 0;
}

void interop_keys_free(struct interop_keys *k)
{
	for (int i = 0; i < INTEROP_NODES; i++)
		for (int j = 0; j < INTEROP_NODES; j++)
			if (i != j)
				ztdp_peer_key_clear(&k->key[i][j]);
}

const struct ztdp_peer_key *interop_keys_find(const struct interop_keys *k, uint64_t source,
					      uint64_t dest)
{
	int s = -1, d = -1;

	for (int i = 0; i < INTEROP_NODES; i++) {
		if (k->id[i].address == source)
			s = i;
		if (k->id[i].address == dest)
			d = i;
	}
	if (s < 0 || d < 0 || s == d)
		return NULL;
	/* The receiver's view: its own secret with the sender's public key;
	 * the agreement is symmetric anyway. */
	return &k->key[d][s];
}
