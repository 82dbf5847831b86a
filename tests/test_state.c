/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control/state.c: layout, round trips, modes, bounded reads, corrupt and
 * oversized files, the identity's first start and refusal to overwrite a
 * corrupt one, stale temporary cleanup, the directory lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "ztdp_state.h"

/* A fixed identity made by zerotier-idtool (shared/interop, node "c"). */
static const char fixed_secret[] =
	"a05f585b07:0:5e8165f3bb7f58025e96d6a4e928c58b859d4273dbd3630d26ad4ef2b667eb3a"
	"543092af90038415cc77ac46815358648fb2f024759138c82243c952557b95b2:c78b0dc9afaf"
	"7a885eb666219bce6a2541f141e0ba150e2d5ad212dd52e6d6bb02959a8620e360b2525af654"
	"78738945f0b8ce8e3de677b9b0ad4557b6906842";

struct fixture {
	char dir[256];
	char logs[4096];
};

static void capture_log(void *ctx, int level, const char *msg)
{
	struct fixture *f = ctx;
	size_t n = strlen(f->logs);

	(void)level;
	snprintf(f->logs + n, sizeof(f->logs) - n, "%s\n", msg);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ztdp-test-state.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void path_of(const struct fixture *f, const char *rel, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", f->dir, rel);
}

static void write_raw(const struct fixture *f, const char *rel, const void *data,
		      size_t len, mode_t mode)
{
	char p[512];
	int fd;

	path_of(f, rel, p, sizeof(p));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static mode_t mode_of(const struct fixture *f, const char *rel)
{
	struct stat sb;
	char p[512];

	path_of(f, rel, p, sizeof(p));
	assert_int_equal(lstat(p, &sb), 0);
	return sb.st_mode & 07777;
}

static bool exists(const struct fixture *f, const char *rel)
{
	struct stat sb;
	char p[512];

	path_of(f, rel, p, sizeof(p));
	return lstat(p, &sb) == 0;
}

static struct ztdp_state *open_ok(struct fixture *f, const char *sub)
{
	struct ztdp_state *st = NULL;
	char dir[512], err[256] = "";

	snprintf(dir, sizeof(dir), "%s%s%s", f->dir, sub ? "/" : "", sub ? sub : "");
	if (ztdp_state_open(&st, dir, capture_log, f, err, sizeof(err)) != 0)
		fail_msg("ztdp_state_open(%s): %s", dir, err);
	return st;
}

static void test_open_creates_layout(void **state)
{
	struct fixture *f = *state;
	struct ztdp_state *st = open_ok(f, "home");

	assert_int_equal(mode_of(f, "home"), 0700);
	assert_int_equal(mode_of(f, "home/networks.d"), 0700);
	assert_int_equal(mode_of(f, "home/peers.d"), 0700);
	assert_non_null(strstr(ztdp_state_dir(st), "/home"));
	ztdp_state_close(st);
	/* Reopening an existing directory is fine, and the lock is released
	 * by close. */
	st = open_ok(f, "home");
	ztdp_state_close(st);
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct ztdp_state *st = NULL, *st2 = NULL;
	char dir[512], err[256];

	/* Missing parent: one clear line, no crash. */
	snprintf(dir, sizeof(dir), "%s/no/such/parent", f->dir);
	assert_int_equal(ztdp_state_open(&st, dir, NULL, NULL, err, sizeof(err)), -1);
	assert_null(st);
	assert_non_null(strstr(err, "cannot create state directory"));
	assert_null(strchr(err, '\n'));
	/* A regular file where the directory should be. */
	write_raw(f, "afile", "x", 1, 0600);
	snprintf(dir, sizeof(dir), "%s/afile", f->dir);
	assert_int_equal(ztdp_state_open(&st, dir, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a directory"));
	/* Empty name. */
	assert_int_equal(ztdp_state_open(&st, "", NULL, NULL, err, sizeof(err)), -1);
	/* Two owners of one directory. */
	st = open_ok(f, NULL);
	assert_int_equal(ztdp_state_open(&st2, f->dir, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "in use by another process"));
	/* NULL err is allowed. */
	assert_int_equal(ztdp_state_open(&st2, f->dir, NULL, NULL, NULL, 0), -1);
	ztdp_state_close(st);
}

static void test_round_trips_and_modes(void **state)
{
	struct fixture *f = *state;
	struct ztdp_state *st;
	uint8_t buf[4096], big[3000];
	char rel[64];
	mode_t old_umask = umask(0);

	st = open_ok(f, NULL);
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_IDENTITY_SECRET, 0, "secret", 6), 0);
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_IDENTITY_PUBLIC, 0, "public", 6), 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_PLANET, 0, big, 257), 0);
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_NETWORK_CONFIG, 0x31a462e3d25a2681ULL,
					big, sizeof(big)), 0);
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_PEER, 0xdec87a28aaULL, "peer", 4), 0);
	umask(old_umask);

	/* Secrets 0600 even with umask 0; the rest as documented. */
	assert_int_equal(mode_of(f, "identity.secret"), 0600);
	assert_int_equal(mode_of(f, "identity.public"), 0644);
	assert_int_equal(mode_of(f, "planet"), 0644);
	assert_true(exists(f, "networks.d/31a462e3d25a2681.conf"));
	assert_true(exists(f, "peers.d/dec87a28aa.peer"));

	assert_int_equal(ztdp_state_get(st, ZTDP_STATE_IDENTITY_SECRET, 0, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "secret", 6);
	assert_int_equal(ztdp_state_get(st, ZTDP_STATE_IDENTITY_PUBLIC, 0, buf, sizeof(buf)), 6);
	assert_int_equal(ztdp_state_get(st, ZTDP_STATE_PLANET, 0, buf, sizeof(buf)), 257);
	assert_memory_equal(buf, big, 257);
	assert_int_equal(ztdp_state_get(st, ZTDP_STATE_NETWORK_CONFIG, 0x31a462e3d25a2681ULL,
					buf, sizeof(buf)), (ssize_t)sizeof(big));
	assert_memory_equal(buf, big, sizeof(big));
	assert_int_equal(ztdp_state_get(st, ZTDP_STATE_PEER, 0xdec87a28aaULL, buf, sizeof(buf)), 4);

	/* Overwrite replaces, shorter or longer. */
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_PLANET, 0, "xy", 2), 0);
	assert_int_equal(ztdp_state_get(st, ZTDP_STATE_PLANET, 0, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "xy", 2);

	/* Empty = joined, not configured: present with length 0. */
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_NETWORK_CONFIG, 1, "", 0), 0);
	assert_int_equal(ztdp_state_get(st, ZTDP_STATE_NETWORK_CONFIG, 1, buf, sizeof(buf)), 0);

	/* Delete, and deleting what is absent is not an error. */
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_PEER, 0xdec87a28aaULL, NULL, 0), 0);
	assert_false(exists(f, "peers.d/dec87a28aa.peer"));
	errno = 0;
	assert_int_equal(ztdp_state_get(st, ZTDP_STATE_PEER, 0xdec87a28aaULL, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_PEER, 0xdec87a28aaULL, NULL, 0), 0);

	/* Bad ids and kinds. */
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_PEER, 1ULL << 40, "x", 1), -1);
	assert_int_equal(ztdp_state_get(st, ZTDP_STATE_PEER, 1ULL << 40, buf, sizeof(buf)), -1);
	assert_int_equal(ztdp_state_put(st, (enum ztdp_state_kind)99, 0, "x", 1), -1);
	assert_int_equal(ztdp_state_relpath(ZTDP_STATE_NETWORK_CONFIG, 0xabcULL, rel,
					    sizeof(rel)), 0);
	assert_string_equal(rel, "networks.d/0000000000000abc.conf");
	assert_int_equal(ztdp_state_relpath(ZTDP_STATE_PEER, 0x12ULL, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "peers.d/0000000012.peer");
	assert_int_equal(ztdp_state_relpath(ZTDP_STATE_IDENTITY_SECRET, 0, rel, 4), -1);

	/* No temporaries left behind by successful writes. */
	ztdp_state_close(st);
	st = open_ok(f, NULL);
	assert_int_equal(ztdp_state_stale_removed(st), 0);
	ztdp_state_close(st);
}

static void test_bounded_reads(void **state)
{
	struct fixture *f = *state;
	struct ztdp_state *st = open_ok(f, NULL);
	static uint8_t huge[ZTDP_STATE_IDENTITY_MAX + 1];
	uint8_t buf[64];
	char p[512];

	memset(huge, 'a', sizeof(huge));
	/* Larger than the kind allows: refused on write and on read. */
	errno = 0;
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_PEER, 5, huge, sizeof(huge)), -1);
	assert_int_equal(errno, EFBIG);
	write_raw(f, "identity.public", huge, sizeof(huge), 0644);
	{
		static uint8_t rbuf[ZTDP_STATE_IDENTITY_MAX * 4];

		errno = 0;
		assert_int_equal(ztdp_state_get(st, ZTDP_STATE_IDENTITY_PUBLIC, 0, rbuf,
						sizeof(rbuf)), -1);
		assert_int_equal(errno, EFBIG);
	}
	assert_non_null(strstr(f->logs, "larger than"));
	/* Larger than the caller's buffer: refused, never truncated. */
	write_raw(f, "planet", huge, 100, 0644);
	errno = 0;
	assert_int_equal(ztdp_state_get(st, ZTDP_STATE_PLANET, 0, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EFBIG);
	/* Exactly the buffer: fine. */
	write_raw(f, "planet", huge, sizeof(buf), 0644);
	assert_int_equal(ztdp_state_get(st, ZTDP_STATE_PLANET, 0, buf, sizeof(buf)),
			 (ssize_t)sizeof(buf));
	/* A directory or a symlink where a file should be: not read. */
	path_of(f, "peers.d/0000000007.peer", p, sizeof(p));
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(ztdp_state_get(st, ZTDP_STATE_PEER, 7, buf, sizeof(buf)), -1);
	path_of(f, "peers.d/0000000008.peer", p, sizeof(p));
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_equal(ztdp_state_get(st, ZTDP_STATE_PEER, 8, buf, sizeof(buf)), -1);
	ztdp_state_close(st);
}

static void test_list_networks(void **state)
{
	struct fixture *f = *state;
	struct ztdp_state *st = open_ok(f, NULL);
	uint64_t ids[8];

	assert_int_equal(ztdp_state_list_networks(st, ids, 8), 0);
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_NETWORK_CONFIG, 0x31a462e3d25a2681ULL,
					"", 0), 0);
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_NETWORK_CONFIG, 0x0000000000000001ULL,
					"x", 1), 0);
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_NETWORK_CONFIG, 0xffffffffffffffffULL,
					"x", 1), 0);
	/* Names that are not <16 hex>.conf are ignored. */
	write_raw(f, "networks.d/foo.conf", "x", 1, 0644);
	write_raw(f, "networks.d/0123.conf", "x", 1, 0644);
	write_raw(f, "networks.d/31a462e3d25a2681.local.conf", "x", 1, 0644);
	write_raw(f, "networks.d/31a462e3d25a268g.conf", "x", 1, 0644);
	write_raw(f, "networks.d/31a462e3d25a2681.conff", "x", 1, 0644);
	write_raw(f, "networks.d/ABCDEF0123456789.conf", "x", 1, 0644);
	assert_int_equal(ztdp_state_list_networks(st, ids, 8), 4);
	assert_true(ids[0] == 1);
	assert_true(ids[1] == 0x31a462e3d25a2681ULL);
	assert_true(ids[2] == 0xabcdef0123456789ULL);
	assert_true(ids[3] == 0xffffffffffffffffULL);
	/* Short output: the count says how many there are. */
	ids[1] = 42;
	assert_int_equal(ztdp_state_list_networks(st, ids, 1), 4);
	assert_true(ids[0] == 1);
	assert_true(ids[1] == 42);
	/* Repeated listings see deletions. */
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_NETWORK_CONFIG, 1, NULL, 0), 0);
	assert_int_equal(ztdp_state_list_networks(st, ids, 8), 3);
	ztdp_state_close(st);
}

static void test_stale_tmp_removed(void **state)
{
	struct fixture *f = *state;
	struct ztdp_state *st = open_ok(f, NULL);

	ztdp_state_close(st);
	write_raw(f, ZTDP_STATE_TMP_PREFIX "identity.secret.123.0", "half", 4, 0600);
	write_raw(f, "networks.d/" ZTDP_STATE_TMP_PREFIX "0000000000000001.conf.9.9",
		  "half", 4, 0644);
	write_raw(f, "peers.d/" ZTDP_STATE_TMP_PREFIX "x", "half", 4, 0644);
	write_raw(f, "peers.d/.other-hidden", "keep", 4, 0644);
	st = open_ok(f, NULL);
	assert_int_equal(ztdp_state_stale_removed(st), 3);
	assert_false(exists(f, ZTDP_STATE_TMP_PREFIX "identity.secret.123.0"));
	assert_true(exists(f, "peers.d/.other-hidden"));
	assert_non_null(strstr(f->logs, "stale temporary"));
	ztdp_state_close(st);
}

static void test_identity_fixed(void **state)
{
	struct fixture *f = *state;
	struct ztdp_state *st;
	struct ztdp_identity id;
	char err[256] = "", pub[ZTDP_IDENTITY_TEXT_MAX], buf[1024];
	bool created = true;
	ssize_t n;

	/* A secret with a trailing newline and loose mode, no public file. */
	write_raw(f, "identity.secret", fixed_secret, strlen(fixed_secret), 0644);
	{
		char p[512];
		FILE *fp;

		path_of(f, "identity.secret", p, sizeof(p));
		fp = fopen(p, "a");
		fputs("\n", fp);
		fclose(fp);
	}
	st = open_ok(f, NULL);
	if (ztdp_state_load_or_create_identity(st, &id, &created, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_false(created);
	assert_true(id.has_private);
	assert_true(id.address == 0xa05f585b07ULL);
	/* Tightened to 0600, public half written. */
	assert_int_equal(mode_of(f, "identity.secret"), 0600);
	n = ztdp_state_get(st, ZTDP_STATE_IDENTITY_PUBLIC, 0, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	ztdp_identity_to_string(&id, false, pub, sizeof(pub));
	assert_string_equal(buf, pub);
	/* A wrong public file is rewritten. */
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_IDENTITY_PUBLIC, 0, "junk", 4), 0);
	ztdp_identity_clear(&id);
	assert_int_equal(ztdp_state_load_or_create_identity(st, &id, NULL, err, sizeof(err)), 0);
	n = ztdp_state_get(st, ZTDP_STATE_IDENTITY_PUBLIC, 0, buf, sizeof(buf) - 1);
	assert_int_equal(n, (ssize_t)strlen(pub));
	ztdp_identity_clear(&id);
	ztdp_state_close(st);
}

/* Each corrupt secret is refused with one line and left byte for byte. */
static void check_corrupt(struct fixture *f, const void *data, size_t len,
			  const char *expect)
{
	struct ztdp_state *st;
	struct ztdp_identity id;
	char err[512] = "", p[512];
	uint8_t *after;
	size_t alen;

	write_raw(f, "identity.secret", data, len, 0600);
	st = open_ok(f, NULL);
	assert_int_equal(ztdp_state_load_or_create_identity(st, &id, NULL, err, sizeof(err)), -1);
	if (strstr(err, expect) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, expect);
	assert_null(strchr(err, '\n'));
	ztdp_state_close(st);
	path_of(f, "identity.secret", p, sizeof(p));
	after = ztdp_test_read_file(p, &alen);
	assert_int_equal(alen, len);
	assert_memory_equal(after, data, len);
	free(after);
}

static void test_identity_corrupt_refused(void **state)
{
	struct fixture *f = *state;
	char bad[sizeof(fixed_secret)];
	static char huge[ZTDP_STATE_IDENTITY_MAX + 10];
	char *pub_only;

	check_corrupt(f, "", 0, "is corrupt");
	check_corrupt(f, "garbage\n", 8, "is corrupt");
	check_corrupt(f, fixed_secret, 60, "is corrupt");		/* truncated */
	/* A flipped public-key digit: the address no longer derives. */
	memcpy(bad, fixed_secret, sizeof(bad));
	bad[20] = bad[20] == '0' ? '1' : '0';
	check_corrupt(f, bad, strlen(bad), "is corrupt");
	/* A flipped private-key digit: no longer matches the public key. */
	memcpy(bad, fixed_secret, sizeof(bad));
	bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == '0' ? '1' : '0';
	check_corrupt(f, bad, strlen(bad), "is corrupt");
	/* The public half alone. */
	pub_only = strndup(fixed_secret, (size_t)(strrchr(fixed_secret, ':') - fixed_secret));
	check_corrupt(f, pub_only, strlen(pub_only), "no private key");
	free(pub_only);
	/* A NUL inside. */
	memcpy(bad, fixed_secret, sizeof(bad));
	bad[30] = '\0';
	check_corrupt(f, bad, strlen(fixed_secret), "NUL");
	/* Oversized. */
	memset(huge, 'a', sizeof(huge));
	check_corrupt(f, huge, sizeof(huge), "larger than any identity");
	/* A symbolic link is not followed, and not replaced. */
	{
		struct ztdp_state *st;
		struct ztdp_identity id;
		char err[512] = "", p[512], q[512];

		path_of(f, "identity.secret", p, sizeof(p));
		path_of(f, "elsewhere", q, sizeof(q));
		assert_int_equal(rename(p, q), 0);
		assert_int_equal(symlink(q, p), 0);
		st = open_ok(f, NULL);
		assert_int_equal(ztdp_state_load_or_create_identity(st, &id, NULL, err,
								     sizeof(err)), -1);
		assert_non_null(strstr(err, "symbolic link"));
		ztdp_state_close(st);
		{
			struct stat sb;

			assert_int_equal(lstat(p, &sb), 0);
			assert_true(S_ISLNK(sb.st_mode));
		}
	}
}

static void test_identity_generated_on_first_start(void **state)
{
	struct fixture *f = *state;
	struct ztdp_state *st = open_ok(f, "fresh");
	struct ztdp_identity id, again;
	char err[256] = "";
	bool created = false;

	if (ztdp_state_load_or_create_identity(st, &id, &created, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(created);
	assert_true(ztdp_identity_locally_validate(&id));
	assert_int_equal(mode_of(f, "fresh/identity.secret"), 0600);
	assert_true(exists(f, "fresh/identity.public"));
	assert_non_null(strstr(f->logs, "generated identity"));
	ztdp_state_close(st);
	/* Second start: the same identity, not a new one. */
	st = open_ok(f, "fresh");
	assert_int_equal(ztdp_state_load_or_create_identity(st, &again, &created, err,
							     sizeof(err)), 0);
	assert_false(created);
	assert_true(again.address == id.address);
	assert_memory_equal(again.priv, id.priv, sizeof(id.priv));
	ztdp_identity_clear(&id);
	ztdp_identity_clear(&again);
	ztdp_state_close(st);
}

static void test_file_write_atomic(void **state)
{
	struct fixture *f = *state;
	char p[512];
	uint8_t *back;
	size_t len;

	path_of(f, "other.json", p, sizeof(p));
	assert_int_equal(ztdp_file_write_atomic(p, "{}", 2, 0640), 0);
	assert_int_equal(mode_of(f, "other.json"), 0640);
	assert_int_equal(ztdp_file_write_atomic(p, "{\"a\":1}", 7, 0640), 0);
	back = ztdp_test_read_file(p, &len);
	assert_int_equal(len, 7);
	free(back);
	path_of(f, "nodir/x", p, sizeof(p));
	assert_int_equal(ztdp_file_write_atomic(p, "x", 1, 0600), -1);
	assert_int_equal(errno, ENOENT);
	path_of(f, "", p, sizeof(p));
	assert_int_equal(ztdp_file_write_atomic(p, "x", 1, 0600), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trips_and_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_networks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_tmp_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_corrupt_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_generated_on_first_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_write_atomic, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
