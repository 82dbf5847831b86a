/* SPDX-License-Identifier: BSD-3-Clause */
#include "ztdp_hex.h"

static const char ztdp_hex_digits[] = "0123456789abcdef";

void ztdp_hex_encode(const uint8_t *in, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = ztdp_hex_digits[in[i] >> 4];
		out[2 * i + 1] = ztdp_hex_digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ztdp_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen)
{
	if (inlen < 2 * outlen)
		return -1;
	for (size_t i = 0; i < outlen; i++) {
		int hi = hex_nibble(in[2 * i]);
		int lo = hex_nibble(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)outlen;
}
