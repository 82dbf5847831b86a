/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp-idtool's insides shared by its files: ztdp-idtool.c (identities,
 * signatures, the command table) and ztdp-idtool-planet.c (planets).
 */
#ifndef ZTDP_IDTOOL_H
#define ZTDP_IDTOOL_H

#include <stdio.h>
#include <sys/types.h>

#include "ztdp_identity.h"

#define PROG "ztdp-idtool"
/* Identity, key, spec and signature files are small; anything bigger is
 * not one. */
#define SMALL_FILE_MAX 65536

/* The planet part of the usage text. */
#define GENPLANET_USAGE							\
	"genplanet writes a signed planet (binary World, type 1) from a JSON spec:\n" \
	"  {\"id\": \"0x00000000cafe0001\",         world id: a number, or \"0x\" hex\n" \
	"   \"timestamp\": 1795308312761,         ms; the newer planet wins; default now\n" \
	"   \"signing_key\": \"previous.c25519\",   key pair that signs this planet\n" \
	"   \"updates_key\": \"current.c25519\",    key pair that must sign the next one\n" \
	"                                       (default: the signing key)\n" \
	"   \"roots\": [{\"identity\": \"<address:0:public> or a file\",\n" \
	"              \"endpoints\": [\"10.99.0.1/9993\", \"[fd00::1]/9993\"]}]}\n" \
	"Key files are ZeroTier's .c25519 (64-byte public, 64-byte private);\n" \
	"a missing one is created (mode 0600). Relative paths are from the\n" \
	"spec's folder. --update <current planet> issues its successor: same\n" \
	"id, newer timestamp, signed with the key the current planet names\n" \
	"(signing_key must be that key; updates_key may be a new one to\n" \
	"rotate it); roots default to the current planet's.\n" \
	"showplanet prints a planet and checks its signature (against\n" \
	"<current planet>'s updates key when given: would it replace it?).\n"

void ztdp_idtool_usage(FILE *out);
/* Read a whole file into a NUL-terminated malloc'd buffer; NULL with errno
 * set (EFBIG when longer than max). */
char *ztdp_idtool_read_file(const char *path, size_t max, size_t *len);
/* Strip trailing newlines and blanks in place. */
void ztdp_idtool_trim(char *s);
/* Identity from a file or a literal; prints one error line on failure. */
int ztdp_idtool_load_identity(const char *arg, struct ztdp_identity *id);
/* Write (temporary, fsync, rename) with the given mode; -1 with errno. */
int ztdp_idtool_write_atomic(const char *path, const void *data, size_t len,
			     mode_t mode);

int ztdp_idtool_genplanet(int argc, char **argv);
int ztdp_idtool_showplanet(int argc, char **argv);

#endif /* ZTDP_IDTOOL_H */
