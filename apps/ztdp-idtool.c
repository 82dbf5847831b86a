/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp-idtool: ZeroTier identity tool with zerotier-idtool's commands, file
 * formats and exit status (0 success, 1 failure), so that scripts written
 * for one work with the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ztdp-idtool.h"
#include "ztdp_crypto.h"
#include "ztdp_hex.h"
#include "ztdp_identity.h"

/* Messages to sign or verify. */
#define MESSAGE_FILE_MAX (64u << 20)

void ztdp_idtool_usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " <command> [args]\n"
		"\n"
		"Commands:\n"
		"  generate [<identity.secret>] [<identity.public>]\n"
		"  validate <identity.secret/public>\n"
		"  getpublic <identity.secret>\n"
		"  sign <identity.secret> <file>\n"
		"  verify <identity.secret/public> <file> <signature hex or file>\n"
		"  genplanet [--update <current planet>] [--c-array | --hex] <spec.json> <planet>\n"
		"  showplanet <planet> [<current planet>]\n"
		"\n"
		"An identity argument is a file, or the identity itself if it looks\n"
		"like one (10 hex digits, then ':').\n"
		"\n"
		GENPLANET_USAGE);
}

/* Read a whole file into a NUL-terminated buffer. */
char *ztdp_idtool_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;

	if (f == NULL)
		return NULL;
	buf = malloc(max + 1);
	if (buf == NULL)
		goto fail;
	n = fread(buf, 1, max + 1, f);
	if (ferror(f))
		goto fail;
	if (n > max) {
		errno = EFBIG;
		goto fail;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

void ztdp_idtool_trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
			 s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* Identity from a file or a literal, with one error line on failure. */
int ztdp_idtool_load_identity(const char *arg, struct ztdp_identity *id)
{
	const char *why = NULL;
	char *text = NULL;
	size_t len;
	int rc;

	if (strlen(arg) > 32 && arg[10] == ':') {
		rc = ztdp_identity_from_string(id, arg, &why);
		if (rc != 0)
			fprintf(stderr, PROG ": invalid identity on the command line: %s\n", why);
		return rc;
	}
	text = ztdp_idtool_read_file(arg, SMALL_FILE_MAX, &len);
	if (text == NULL) {
		fprintf(stderr, PROG ": cannot read %s: %s\n", arg,
			errno == EFBIG ? "too large for an identity" : strerror(errno));
		return -1;
	}
	if (strlen(text) != len) {
		fprintf(stderr, PROG ": %s: invalid identity: contains a NUL byte\n", arg);
		free(text);
		return -1;
	}
	ztdp_idtool_trim(text);
	rc = ztdp_identity_from_string(id, text, &why);
	if (rc != 0)
		fprintf(stderr, PROG ": %s: invalid identity: %s\n", arg, why);
	/* The buffer may hold a private key. */
	explicit_bzero(text, len);
	free(text);
	return rc;
}

/*
 * Write a file atomically: a temporary beside it, fsync, rename, so that a
 * crash never leaves a half-written identity behind.
 */
int ztdp_idtool_write_atomic(const char *path, const void *data, size_t len,
			     mode_t mode)
{
	const char *bytes = data;
	char tmp[4096];
	size_t off = 0;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, bytes + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return 0;
fail:
	{
		int saved = errno;

		if (fd >= 0)
			close(fd);
		unlink(tmp);
		errno = saved;
	}
	return -1;
}

static int cmd_generate(int argc, char **argv)
{
	struct ztdp_identity id;
	char text[ZTDP_IDENTITY_TEXT_MAX];
	int len, rc = 1;

	if (ztdp_identity_generate(&id) != 0) {
		fprintf(stderr, PROG ": identity generation failed (out of memory?)\n");
		return 1;
	}
	len = ztdp_identity_to_string(&id, true, text, sizeof(text));
	if (argc < 3) {
		fputs(text, stdout);
		rc = 0;
		goto out;
	}
	if (ztdp_idtool_write_atomic(argv[2], text, (size_t)len, 0600) != 0) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", argv[2], strerror(errno));
		goto out;
	}
	printf("%s written\n", argv[2]);
	if (argc >= 4) {
		len = ztdp_identity_to_string(&id, false, text, sizeof(text));
		if (ztdp_idtool_write_atomic(argv[3], text, (size_t)len, 0644) != 0) {
			fprintf(stderr, PROG ": cannot write %s: %s\n", argv[3],
				strerror(errno));
			goto out;
		}
		printf("%s written\n", argv[3]);
	}
	rc = 0;
out:
	explicit_bzero(text, sizeof(text));
	ztdp_identity_clear(&id);
	return rc;
}

static int cmd_validate(int argc, char **argv)
{
	struct ztdp_identity id;
	const char *why = NULL;
	bool ok;

	if (argc < 3)
		goto usage;
	if (ztdp_idtool_load_identity(argv[2], &id) != 0)
		return 1;
	ok = ztdp_identity_check(&id, &why);
	ztdp_identity_clear(&id);
	if (!ok) {
		/* zerotier-idtool's words first, so scripts that match them work. */
		fprintf(stderr, "%s FAILED validation: %s\n", argv[2], why);
		return 1;
	}
	printf("%s is a valid identity\n", argv[2]);
	return 0;
usage:
	ztdp_idtool_usage(stderr);
	return 1;
}

static int cmd_getpublic(int argc, char **argv)
{
	struct ztdp_identity id;
	char text[ZTDP_IDENTITY_TEXT_MAX];

	if (argc < 3) {
		ztdp_idtool_usage(stderr);
		return 1;
	}
	if (ztdp_idtool_load_identity(argv[2], &id) != 0)
		return 1;
	ztdp_identity_to_string(&id, false, text, sizeof(text));
	ztdp_identity_clear(&id);
	fputs(text, stdout);
	return 0;
}

static int cmd_sign(int argc, char **argv)
{
	struct ztdp_identity id;
	uint8_t sig[ZTDP_C25519_SIGNATURE_LEN];
	char hex[2 * ZTDP_C25519_SIGNATURE_LEN + 1];
	char *msg;
	size_t len;

	if (argc < 4) {
		ztdp_idtool_usage(stderr);
		return 1;
	}
	if (ztdp_idtool_load_identity(argv[2], &id) != 0)
		return 1;
	if (!id.has_private) {
		fprintf(stderr, PROG ": %s has no private key (signing needs identity.secret)\n",
			argv[2]);
		return 1;
	}
	msg = ztdp_idtool_read_file(argv[3], MESSAGE_FILE_MAX, &len);
	if (msg == NULL) {
		fprintf(stderr, PROG ": cannot read %s: %s\n", argv[3], strerror(errno));
		ztdp_identity_clear(&id);
		return 1;
	}
	ztdp_identity_sign(&id, msg, len, sig);
	ztdp_identity_clear(&id);
	free(msg);
	ztdp_hex_encode(sig, sizeof(sig), hex);
	fputs(hex, stdout);
	return 0;
}

/* A signature is 192 hex digits, given as is or in a file. */
static int load_signature(const char *arg, uint8_t sig[ZTDP_C25519_SIGNATURE_LEN])
{
	const size_t want = 2 * ZTDP_C25519_SIGNATURE_LEN;
	char *text;
	size_t len;
	int rc = -1;

	if (strlen(arg) == want &&
	    ztdp_hex_decode(arg, want, sig, ZTDP_C25519_SIGNATURE_LEN) > 0)
		return 0;
	text = ztdp_idtool_read_file(arg, SMALL_FILE_MAX, &len);
	if (text == NULL) {
		if (errno == ENOENT)
			fprintf(stderr, PROG ": signature '%.40s' is neither %zu hex digits nor a readable file\n",
				arg, want);
		else
			fprintf(stderr, PROG ": cannot read %s: %s\n", arg, strerror(errno));
		return -1;
	}
	ztdp_idtool_trim(text);
	if (strlen(text) != want ||
	    ztdp_hex_decode(text, want, sig, ZTDP_C25519_SIGNATURE_LEN) < 0)
		fprintf(stderr, PROG ": %s: a signature is %zu hex digits\n", arg, want);
	else
		rc = 0;
	free(text);
	return rc;
}

static int cmd_verify(int argc, char **argv)
{
	struct ztdp_identity id;
	uint8_t sig[ZTDP_C25519_SIGNATURE_LEN];
	char *msg;
	size_t len;
	bool ok;

	if (argc < 5) {
		ztdp_idtool_usage(stderr);
		return 1;
	}
	if (ztdp_idtool_load_identity(argv[2], &id) != 0)
		return 1;
	ztdp_identity_clear(&id);
	msg = ztdp_idtool_read_file(argv[3], MESSAGE_FILE_MAX, &len);
	if (msg == NULL) {
		fprintf(stderr, PROG ": cannot read %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	if (load_signature(argv[4], sig) != 0) {
		free(msg);
		return 1;
	}
	ok = ztdp_identity_verify(&id, msg, len, sig, sizeof(sig));
	free(msg);
	if (!ok) {
		fprintf(stderr, "%s signature check FAILED\n", argv[3]);
		return 1;
	}
	printf("%s signature valid\n", argv[3]);
	return 0;
}

struct idtool_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct idtool_cmd idtool_cmds[] = {
	{ "generate", cmd_generate },
	{ "validate", cmd_validate },
	{ "getpublic", cmd_getpublic },
	{ "sign", cmd_sign },
	{ "verify", cmd_verify },
	{ "genplanet", ztdp_idtool_genplanet },
	{ "showplanet", ztdp_idtool_showplanet },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		ztdp_idtool_usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		ztdp_idtool_usage(stdout);
		return 0;
	}
	if (ztdp_crypto_init(NULL) != 0) {
		fprintf(stderr, PROG ": crypto library initialisation failed\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(idtool_cmds) / sizeof(idtool_cmds[0]); i++)
		if (!strcmp(argv[1], idtool_cmds[i].name))
			return idtool_cmds[i].run(argc, argv);
	fprintf(stderr, PROG ": unknown command '%s' (try --help)\n", argv[1]);
	return 1;
}
