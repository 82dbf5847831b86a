/* SPDX-License-Identifier: BSD-3-Clause */
/* Lowercase hex, as every ZeroTier text form uses it. */
#ifndef ZTDP_HEX_H
#define ZTDP_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*len hex digits and a NUL; out must hold 2*len+1 bytes. */
void ztdp_hex_encode(const uint8_t *in, size_t len, char *out);
/* Decodes exactly 2*outlen hex digits from in (upper or lower case).
 * Returns outlen, or -1 on a non-hex digit or short input. */
int ztdp_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen);

#endif /* ZTDP_HEX_H */
