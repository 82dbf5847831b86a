/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Persisted state (see ztdp_state.h for the layout). All file access goes
 * through directory file descriptors opened once, so a state directory that
 * is renamed or replaced under us cannot redirect writes elsewhere.
 */
#include "ztdp_msg.h"
#include "ztdp_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "ztdp_controller.h"
#include "ztdp_wire.h"

enum state_subdir {
	SUBDIR_ROOT,
	SUBDIR_NETWORKS,
	SUBDIR_PEERS,
	SUBDIR_COUNT,
};

static const char *const subdir_names[SUBDIR_COUNT] = {
	[SUBDIR_ROOT] = ".",
	[SUBDIR_NETWORKS] = "networks.d",
	[SUBDIR_PEERS] = "peers.d",
};

struct ztdp_state {
	char *dir;
	int dfd[SUBDIR_COUNT];
	int lockfd;
	ztdp_state_log_fn log;
	void *log_ctx;
	unsigned int stale_removed;
	/* Makes temporary names unique within this process. */
	uint64_t tmp_seq;
};

/* Where a (kind, id) lives, its mode and its size limit. */
struct state_file {
	enum state_subdir subdir;
	char name[32];
	mode_t mode;
	size_t max;
};



static int state_file_of(enum ztdp_state_kind kind, uint64_t id,
			 struct state_file *f)
{
	f->mode = 0644;
	switch (kind) {
	case ZTDP_STATE_IDENTITY_SECRET:
		f->subdir = SUBDIR_ROOT;
		snprintf(f->name, sizeof(f->name), "identity.secret");
		f->mode = 0600;
		f->max = ZTDP_STATE_IDENTITY_MAX;
		return 0;
	case ZTDP_STATE_IDENTITY_PUBLIC:
		f->subdir = SUBDIR_ROOT;
		snprintf(f->name, sizeof(f->name), "identity.public");
		f->max = ZTDP_STATE_IDENTITY_MAX;
		return 0;
	case ZTDP_STATE_PLANET:
		f->subdir = SUBDIR_ROOT;
		snprintf(f->name, sizeof(f->name), "planet");
		f->max = ZTDP_WORLD_MAX_LEN;
		return 0;
	case ZTDP_STATE_NETWORK_CONFIG:
		f->subdir = SUBDIR_NETWORKS;
		snprintf(f->name, sizeof(f->name), "%016" PRIx64 ".conf", id);
		f->max = ZTDP_DICT_MAX_LEN;
		return 0;
	case ZTDP_STATE_PEER:
		if (id >> 40 != 0)
			break;
		f->subdir = SUBDIR_PEERS;
		snprintf(f->name, sizeof(f->name), "%010" PRIx64 ".peer", id);
		f->max = ZTDP_STATE_PEER_MAX;
		return 0;
	case ZTDP_STATE_CONTROLLER:
		if (id != 0)
			break;
		f->subdir = SUBDIR_ROOT;
		snprintf(f->name, sizeof(f->name), "controller.json");
		/* Members' identities and addresses: the operator's only. */
		f->mode = 0600;
		f->max = ZTDP_CONTROLLER_STATE_MAX;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

int ztdp_state_relpath(enum ztdp_state_kind kind, uint64_t id, char *buf,
		       size_t n)
{
	struct state_file f;
	int len;

	if (state_file_of(kind, id, &f) != 0)
		return -1;
	if (f.subdir == SUBDIR_ROOT)
		len = snprintf(buf, n, "%s", f.name);
	else
		len = snprintf(buf, n, "%s/%s", subdir_names[f.subdir], f.name);
	if (len < 0 || (size_t)len >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The atomic write. The temporary carries ZTDP_STATE_TMP_PREFIX so that
 * whatever a killed writer leaves is recognisable and removed on the next
 * open; the fsync before rename makes sure the rename never exposes a file
 * whose data is not on disk, and the directory fsync makes the rename
 * itself durable.
 */
static int write_atomic_at(int dfd, const char *name, const void *data,
			   size_t len, mode_t mode, uint64_t *seq)
{
	char tmp[256];
	int fd = -1, saved;

	for (int tries = 0;; tries++) {
		int n = snprintf(tmp, sizeof(tmp), ZTDP_STATE_TMP_PREFIX "%s.%ld.%" PRIu64,
				 name, (long)getpid(), (*seq)++);

		if (n < 0 || (size_t)n >= sizeof(tmp)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
			    O_NOFOLLOW, mode);
		if (fd >= 0)
			break;
		/* A leftover of an earlier process with our pid: try the
		 * next sequence number. */
		if (errno != EEXIST || tries >= 16)
			return -1;
	}
	/* The umask may have narrowed the mode; secrets must be exactly 0600
	 * and the rest readable as documented. */
	if (fchmod(fd, mode) != 0)
		goto fail;
	if (len > 0 && write_all(fd, data, len) != 0)
		goto fail;
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, name) != 0)
		goto fail;
	if (fsync(dfd) != 0)
		return -1;	/* renamed; only durability is in doubt */
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
	errno = saved;
	return -1;
}

int ztdp_file_write_atomic(const char *path, const void *data, size_t len,
			   mode_t mode)
{
	static uint64_t seq;
	char dir[4096];
	const char *slash = strrchr(path, '/');
	const char *name = slash != NULL ? slash + 1 : path;
	int dfd, rc, saved;

	if (*name == '\0') {
		errno = EISDIR;
		return -1;
	}
	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
	} else if (slash == path) {
		snprintf(dir, sizeof(dir), "/");
	} else {
		if ((size_t)(slash - path) >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	rc = write_atomic_at(dfd, name, data, len, mode, &seq);
	saved = errno;
	close(dfd);
	errno = saved;
	return rc;
}

/* Read a whole regular file of at most max bytes into buf (cap >= max is
 * not required: more than cap is refused too). Returns the length or -1;
 * errno EFBIG when too large. */
static ssize_t read_bounded_at(int dfd, const char *name, void *buf,
			       size_t cap, size_t max)
{
	size_t limit = cap < max ? cap : max;
	size_t off = 0;
	struct stat sb;
	int fd, saved;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) != 0)
		goto fail;
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((uint64_t)sb.st_size > limit) {
		errno = EFBIG;
		goto fail;
	}
	/* Read to EOF, but never past limit: the size may change between
	 * fstat and read if someone else writes it in place. */
	for (;;) {
		uint8_t probe;
		ssize_t n;

		if (off == limit) {
			do {
				n = read(fd, &probe, 1);
			} while (n < 0 && errno == EINTR);
			if (n < 0)
				goto fail;
			if (n > 0) {
				errno = EFBIG;
				goto fail;
			}
			break;
		}
		n = read(fd, (uint8_t *)buf + off, limit - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	return (ssize_t)off;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* strerror, but in this module's words where the libc ones mislead. */
static const char *state_strerror(int e)
{
	switch (e) {
	case ELOOP:
		return "a symbolic link (not followed)";
	case EFBIG:
		return "larger than allowed";
	case EINVAL:
		return "not a regular file";
	default:
		return strerror(e);
	}
}

static bool has_tmp_prefix(const char *name)
{
	return strncmp(name, ZTDP_STATE_TMP_PREFIX,
		       sizeof(ZTDP_STATE_TMP_PREFIX) - 1) == 0;
}

/* Remove temporaries a killed writer left in one directory. We hold the
 * directory lock, so none of them belongs to a live writer. */
static void remove_stale_tmp(struct ztdp_state *st, int dfd)
{
	struct dirent *de;
	DIR *d;
	int fd = dup(dfd);

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!has_tmp_prefix(de->d_name))
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0) {
			st->stale_removed++;
			ztdp_logf(st->log, st->log_ctx, LOG_INFO, "removed stale temporary file %s/%s",
				  st->dir, de->d_name);
		}
	}
	closedir(d);
}

static int open_subdir(struct ztdp_state *st, enum state_subdir sd,
		       char *err, size_t errlen)
{
	const char *name = subdir_names[sd];

	if (mkdirat(st->dfd[SUBDIR_ROOT], name, 0700) != 0 && errno != EEXIST) {
		ztdp_set_err(err, errlen, "cannot create %s/%s: %s", st->dir, name,
			strerror(errno));
		return -1;
	}
	st->dfd[sd] = openat(st->dfd[SUBDIR_ROOT], name,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (st->dfd[sd] < 0) {
		ztdp_set_err(err, errlen, "cannot open %s/%s: %s", st->dir, name,
			strerror(errno));
		return -1;
	}
	return 0;
}

int ztdp_state_open(struct ztdp_state **out, const char *dir,
		    ztdp_state_log_fn log, void *log_ctx,
		    char *err, size_t errlen)
{
	struct ztdp_state *st;

	*out = NULL;
	if (dir == NULL)
		dir = ZTDP_STATE_DEFAULT_DIR;
	if (*dir == '\0') {
		ztdp_set_err(err, errlen, "empty state directory name");
		return -1;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		ztdp_set_err(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < SUBDIR_COUNT; i++)
		st->dfd[i] = -1;
	st->lockfd = -1;
	st->log = log;
	st->log_ctx = log_ctx;
	st->dir = strdup(dir);
	if (st->dir == NULL) {
		ztdp_set_err(err, errlen, "out of memory");
		goto fail;
	}
	if (mkdir(dir, 0700) == 0) {
		ztdp_logf(st->log, st->log_ctx, LOG_NOTICE, "created state directory %s", dir);
	} else if (errno != EEXIST) {
		ztdp_set_err(err, errlen, "cannot create state directory %s: %s", dir,
			strerror(errno));
		goto fail;
	}
	st->dfd[SUBDIR_ROOT] = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dfd[SUBDIR_ROOT] < 0) {
		ztdp_set_err(err, errlen, "cannot open state directory %s: %s", dir,
			errno == ENOTDIR ? "not a directory" : strerror(errno));
		goto fail;
	}
	st->lockfd = openat(st->dfd[SUBDIR_ROOT], "lock",
			    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st->lockfd < 0) {
		ztdp_set_err(err, errlen, "cannot open %s/lock: %s", dir, strerror(errno));
		goto fail;
	}
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			ztdp_set_err(err, errlen,
				"state directory %s is in use by another process", dir);
		else
			ztdp_set_err(err, errlen, "cannot lock %s/lock: %s", dir,
				strerror(errno));
		goto fail;
	}
	if (open_subdir(st, SUBDIR_NETWORKS, err, errlen) != 0 ||
	    open_subdir(st, SUBDIR_PEERS, err, errlen) != 0)
		goto fail;
	for (int i = 0; i < SUBDIR_COUNT; i++)
		remove_stale_tmp(st, st->dfd[i]);
	*out = st;
	return 0;
fail:
	ztdp_state_close(st);
	return -1;
}

void ztdp_state_close(struct ztdp_state *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < SUBDIR_COUNT; i++)
		if (st->dfd[i] >= 0)
			close(st->dfd[i]);
	/* Closing the descriptor releases the flock. */
	if (st->lockfd >= 0)
		close(st->lockfd);
	free(st->dir);
	free(st);
}

const char *ztdp_state_dir(const struct ztdp_state *st)
{
	return st->dir;
}

unsigned int ztdp_state_stale_removed(const struct ztdp_state *st)
{
	return st->stale_removed;
}

int ztdp_state_put(void *ctx, enum ztdp_state_kind kind, uint64_t id,
		   const void *data, size_t len)
{
	struct ztdp_state *st = ctx;
	struct state_file f;
	char rel[64];
	int dfd, saved;

	if (state_file_of(kind, id, &f) != 0) {
		ztdp_logf(st->log, st->log_ctx, LOG_ERR, "state_put: bad kind %d or id %" PRIx64,
			  (int)kind, id);
		return -1;
	}
	ztdp_state_relpath(kind, id, rel, sizeof(rel));
	dfd = st->dfd[f.subdir];
	if (data == NULL) {
		if (unlinkat(dfd, f.name, 0) != 0) {
			if (errno == ENOENT)
				return 0;
			saved = errno;
			ztdp_logf(st->log, st->log_ctx, LOG_ERR, "cannot delete %s/%s: %s", st->dir,
				  rel, strerror(errno));
			errno = saved;
			return -1;
		}
		if (fsync(dfd) != 0) {
			saved = errno;
			ztdp_logf(st->log, st->log_ctx, LOG_WARNING, "cannot fsync %s after deleting %s: %s",
				  st->dir, rel, strerror(errno));
			errno = saved;
		}
		return 0;
	}
	if (len > f.max) {
		ztdp_logf(st->log, st->log_ctx, LOG_ERR,
			  "not writing %s/%s: %zu bytes, more than the %zu allowed",
			  st->dir, rel, len, f.max);
		errno = EFBIG;
		return -1;
	}
	if (write_atomic_at(dfd, f.name, data, len, f.mode, &st->tmp_seq) != 0) {
		saved = errno;
		ztdp_logf(st->log, st->log_ctx, LOG_ERR, "cannot write %s/%s: %s", st->dir, rel,
			  strerror(errno));
		errno = saved;
		return -1;
	}
	return 0;
}

ssize_t ztdp_state_get(void *ctx, enum ztdp_state_kind kind, uint64_t id,
		       void *buf, size_t cap)
{
	struct ztdp_state *st = ctx;
	struct state_file f;
	char rel[64];
	ssize_t n;
	int saved;

	if (state_file_of(kind, id, &f) != 0)
		return -1;
	n = read_bounded_at(st->dfd[f.subdir], f.name, buf, cap, f.max);
	if (n >= 0 || errno == ENOENT)
		return n;
	saved = errno;
	ztdp_state_relpath(kind, id, rel, sizeof(rel));
	if (saved == EFBIG)
		ztdp_logf(st->log, st->log_ctx, LOG_WARNING,
			  "ignoring %s/%s: larger than the %zu bytes allowed",
			  st->dir, rel, cap < f.max ? cap : f.max);
	else
		ztdp_logf(st->log, st->log_ctx, LOG_WARNING, "cannot read %s/%s: %s", st->dir, rel,
			  state_strerror(saved));
	errno = saved;
	return -1;
}

/* "0123456789abcdef.conf" -> nwid; lowercase or uppercase hex. */
static bool parse_network_file_name(const char *name, uint64_t *nwid)
{
	uint64_t v = 0;

	if (strlen(name) != 21 || strcmp(name + 16, ".conf") != 0)
		return false;
	for (int i = 0; i < 16; i++) {
		char c = name[i];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned int)(c - 'A' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*nwid = v;
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int ztdp_state_list_networks(struct ztdp_state *st, uint64_t *nwids,
			     unsigned int max)
{
	uint64_t *all = NULL;
	size_t count = 0, alloc = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	fd = dup(st->dfd[SUBDIR_NETWORKS]);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	/* The descriptor's offset is shared with earlier listings. */
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		uint64_t nwid;

		if (!parse_network_file_name(de->d_name, &nwid))
			continue;
		if (count == alloc) {
			size_t na = alloc ? alloc * 2 : 16;
			uint64_t *n = realloc(all, na * sizeof(*n));

			if (n == NULL) {
				free(all);
				closedir(d);
				errno = ENOMEM;
				return -1;
			}
			all = n;
			alloc = na;
		}
		all[count++] = nwid;
	}
	closedir(d);
	if (count > 0)
		qsort(all, count, sizeof(*all), cmp_u64);
	for (size_t i = 0; i < count && i < max; i++)
		nwids[i] = all[i];
	free(all);
	return count > INT32_MAX ? INT32_MAX : (int)count;
}

static void trim_trailing_space(char *s, size_t *len)
{
	while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == '\r' ||
			    s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		s[--*len] = '\0';
}

/* Create identity.secret and identity.public for a fresh identity. */
static int create_identity(struct ztdp_state *st, struct ztdp_identity *id,
			   char *err, size_t errlen)
{
	char text[ZTDP_IDENTITY_TEXT_MAX];
	int len, rc = -1;

	if (ztdp_identity_generate(id) != 0) {
		ztdp_set_err(err, errlen, "cannot generate an identity (out of memory?)");
		return -1;
	}
	len = ztdp_identity_to_string(id, true, text, sizeof(text));
	if (len < 0 || ztdp_state_put(st, ZTDP_STATE_IDENTITY_SECRET, 0, text,
				      (size_t)len) != 0) {
		ztdp_set_err(err, errlen, "cannot write %s/identity.secret: %s", st->dir,
			strerror(errno));
		goto out;
	}
	len = ztdp_identity_to_string(id, false, text, sizeof(text));
	if (len < 0 || ztdp_state_put(st, ZTDP_STATE_IDENTITY_PUBLIC, 0, text,
				      (size_t)len) != 0) {
		ztdp_set_err(err, errlen, "cannot write %s/identity.public: %s", st->dir,
			strerror(errno));
		goto out;
	}
	ztdp_logf(st->log, st->log_ctx, LOG_NOTICE, "generated identity %010" PRIx64 " in %s",
		  id->address, st->dir);
	rc = 0;
out:
	explicit_bzero(text, sizeof(text));
	if (rc != 0)
		ztdp_identity_clear(id);
	return rc;
}

/* identity.public must be the public half of the secret; rewrite it if it
 * is missing, unreadable or different (as ZeroTierOne does). */
static void sync_identity_public(struct ztdp_state *st,
				 const struct ztdp_identity *id)
{
	char want[ZTDP_IDENTITY_TEXT_MAX], have[ZTDP_STATE_IDENTITY_MAX + 1];
	int wlen = ztdp_identity_to_string(id, false, want, sizeof(want));
	ssize_t hlen;

	if (wlen < 0)
		return;
	hlen = ztdp_state_get(st, ZTDP_STATE_IDENTITY_PUBLIC, 0, have,
			      sizeof(have) - 1);
	if (hlen >= 0) {
		size_t n = (size_t)hlen;

		have[n] = '\0';
		trim_trailing_space(have, &n);
		if (n == (size_t)wlen && memcmp(have, want, n) == 0)
			return;
	}
	if (ztdp_state_put(st, ZTDP_STATE_IDENTITY_PUBLIC, 0, want, (size_t)wlen) == 0)
		ztdp_logf(st->log, st->log_ctx, LOG_NOTICE, "rewrote %s/identity.public from identity.secret",
			  st->dir);
}

int ztdp_state_load_or_create_identity(struct ztdp_state *st,
				       struct ztdp_identity *id, bool *created,
				       char *err, size_t errlen)
{
	char text[ZTDP_STATE_IDENTITY_MAX + 1];
	const char *why = NULL;
	struct stat sb;
	size_t len;
	ssize_t n;
	int rc = -1;

	if (created != NULL)
		*created = false;
	n = read_bounded_at(st->dfd[SUBDIR_ROOT], "identity.secret", text,
			    sizeof(text) - 1, ZTDP_STATE_IDENTITY_MAX);
	if (n < 0 && errno == ENOENT) {
		if (create_identity(st, id, err, errlen) != 0)
			return -1;
		if (created != NULL)
			*created = true;
		return 0;
	}
	if (n < 0) {
		ztdp_set_err(err, errlen, "cannot read %s/identity.secret: %s%s", st->dir,
			errno == EFBIG ? "larger than any identity" : state_strerror(errno),
			errno == EFBIG ? "; not overwriting it, move it away to generate a new identity" : "");
		return -1;
	}
	len = (size_t)n;
	text[len] = '\0';
	if (strlen(text) != len) {
		why = "contains a NUL byte";
		goto corrupt;
	}
	trim_trailing_space(text, &len);
	if (ztdp_identity_from_string(id, text, &why) != 0)
		goto corrupt;
	if (!id->has_private) {
		why = "it has no private key";
		ztdp_identity_clear(id);
		goto corrupt;
	}
	if (!ztdp_identity_check(id, &why)) {
		ztdp_identity_clear(id);
		goto corrupt;
	}
	/* A secret readable by others is tightened, not refused: the key is
	 * still ours, and refusing would only keep the appliance down. */
	if (fstatat(st->dfd[SUBDIR_ROOT], "identity.secret", &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 && (sb.st_mode & 077) != 0) {
		if (fchmodat(st->dfd[SUBDIR_ROOT], "identity.secret", 0600, 0) == 0)
			ztdp_logf(st->log, st->log_ctx, LOG_WARNING,
				  "%s/identity.secret was mode %04o; set it to 0600",
				  st->dir, (unsigned int)(sb.st_mode & 07777));
	}
	sync_identity_public(st, id);
	rc = 0;
	goto out;
corrupt:
	ztdp_set_err(err, errlen,
		"%s/identity.secret is corrupt (%s); not overwriting it: move it "
		"away to generate a new identity, or restore a backup",
		st->dir, why);
out:
	explicit_bzero(text, sizeof(text));
	return rc;
}
