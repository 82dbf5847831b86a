/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kill during write: a child rewrites one state file in a loop, alternating
 * two large versions of different lengths, and is SIGKILLed at a random
 * moment, many times over. After each kill the file must be exactly one of
 * the two versions (never torn, never missing), at most one temporary may
 * be left behind, and the next ztdp_state_open must remove it.
 *
 * ZTDP_KILL_ITERATIONS overrides the number of kills (default 200).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"
#include "ztdp_state.h"

#define NWID		0x31a462e3d25a2681ULL
#define LEN_A		(192 * 1024)
#define LEN_B		(320 * 1024)
/* Kill somewhere in the first 12 ms: a few writes' worth on this disk, so
 * kills land before, inside and between writes. */
#define MAX_DELAY_US	12000

static uint8_t version_a[LEN_A], version_b[LEN_B];
static uint8_t readback[LEN_B + 1];

/* Distinct, position-dependent contents, so any mix of the two versions
 * or any shift is seen. */
static void fill(uint8_t *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
}

static unsigned int count_tmp(const char *dir)
{
	unsigned int n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ZTDP_STATE_TMP_PREFIX,
			    strlen(ZTDP_STATE_TMP_PREFIX)) == 0)
			n++;
	closedir(d);
	return n;
}

static void writer_child(const char *dir)
{
	struct ztdp_state *st;

	if (ztdp_state_open(&st, dir, NULL, NULL, NULL, 0) != 0)
		_exit(2);
	for (;;) {
		if (ztdp_state_put(st, ZTDP_STATE_NETWORK_CONFIG, NWID, version_b, LEN_B) != 0)
			_exit(3);
		if (ztdp_state_put(st, ZTDP_STATE_NETWORK_CONFIG, NWID, version_a, LEN_A) != 0)
			_exit(3);
	}
}

static char dir[] = "/tmp/ztdp-test-kill.XXXXXX";

/* Remove the directory even when an assertion failed. */
static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_kill_during_write(void **state)
{
	char netdir[256];
	const char *env = getenv("ZTDP_KILL_ITERATIONS");
	unsigned int iterations = env != NULL ? (unsigned int)atoi(env) : 200;
	unsigned int saw_a = 0, saw_b = 0, saw_tmp = 0, removed = 0;
	struct ztdp_state *st;
	char err[256];
	unsigned int seed = (unsigned int)time(NULL);

	(void)state;
	fill(version_a, LEN_A, 0xa);
	fill(version_b, LEN_B, 0xb);
	assert_non_null(mkdtemp(dir));
	snprintf(netdir, sizeof(netdir), "%s/networks.d", dir);
	if (ztdp_state_open(&st, dir, NULL, NULL, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(ztdp_state_put(st, ZTDP_STATE_NETWORK_CONFIG, NWID, version_a, LEN_A), 0);
	ztdp_state_close(st);
	print_message("kill test: %u iterations, seed %u\n", iterations, seed);
	srand(seed);

	for (unsigned int i = 0; i < iterations; i++) {
		int status;
		ssize_t n;
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0)
			writer_child(dir);
		usleep((useconds_t)(rand() % MAX_DELAY_US));
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("writer exited by itself (status %d) at iteration %u",
				 WEXITSTATUS(status), i);

		/* At most the one temporary the killed write was using. */
		{
			unsigned int t = count_tmp(netdir);

			if (t > 1)
				fail_msg("%u temporaries after kill %u", t, i);
			saw_tmp += t;
		}
		if (ztdp_state_open(&st, dir, NULL, NULL, err, sizeof(err)) != 0)
			fail_msg("reopen after kill %u: %s", i, err);
		removed += ztdp_state_stale_removed(st);
		assert_int_equal(count_tmp(netdir), 0);
		n = ztdp_state_get(st, ZTDP_STATE_NETWORK_CONFIG, NWID, readback,
				   sizeof(readback));
		if (n == LEN_A && memcmp(readback, version_a, LEN_A) == 0)
			saw_a++;
		else if (n == LEN_B && memcmp(readback, version_b, LEN_B) == 0)
			saw_b++;
		else
			fail_msg("torn or missing file after kill %u: %zd bytes", i, n);
		ztdp_state_close(st);
	}
	print_message("kill test: old/new version A %u, B %u; temporaries left by a kill %u,"
		      " removed on open %u\n", saw_a, saw_b, saw_tmp, removed);
	assert_int_equal(saw_tmp, removed);
	/* The kills must have landed on both sides of a rename, or the test
	 * proved nothing. */
	if (iterations >= 50) {
		assert_true(saw_a > 0);
		assert_true(saw_b > 0);
		assert_true(saw_tmp > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kill_during_write, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
