// SPDX-License-Identifier: BSD-3-Clause
/*
 * Pool lifetime: rpmem_create, rpmem_open, rpmem_close, rpmem_remove,
 * rpmem_set_attr.  Each create/open/remove is one KPMEM_IOC_POOL_CONNECT on
 * /dev/kpmem; the pool is the file descriptor it returns.  What PMDK
 * checks locally is checked here before any syscall, with PMDK's errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kpmem_device.h"
#include "librpmem.h"
#include "librpmem_kpmem.h"
#include "env.h"
#include "error.h"
#include "flush_ring.h"
#include "pool.h"
#include "target.h"

static const char *const op_name[] = {
	[KPMEM_POOL_CREATE] = "rpmem_create",
	[KPMEM_POOL_OPEN] = "rpmem_open",
	[KPMEM_POOL_REMOVE] = "rpmem_remove",
};

static size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (size_t)ps : 4096;
}

/* The checks PMDK makes before contacting the target, in its order. */
static int check_pool_args(const char *fn, void *pool_addr, size_t pool_size,
			   const unsigned *nlanes)
{
	size_t ps = page_size();

	if (!pool_addr)
		return rpmem_fail(EINVAL, "%s: pool_addr is NULL", fn);
	if ((uintptr_t)pool_addr % ps)
		return rpmem_fail(EINVAL, "%s: pool_addr %p is not aligned to the page size (%zu)",
				  fn, pool_addr, ps);
	if (pool_size % ps)
		return rpmem_fail(EINVAL, "%s: pool_size %zu is not a multiple of the page size (%zu)",
				  fn, pool_size, ps);
	if (!pool_size)
		return rpmem_fail(EINVAL, "%s: pool_size is 0", fn);
	if ((uintptr_t)pool_addr + pool_size - 1 < (uintptr_t)pool_addr)
		return rpmem_fail(EINVAL, "%s: pool_addr %p + pool_size %zu wraps around",
				  fn, pool_addr, pool_size);
	if (!nlanes)
		return rpmem_fail(EINVAL, "%s: nlanes is NULL", fn);
	if (!*nlanes)
		return rpmem_fail(EINVAL, "%s: *nlanes is 0: at least one lane is needed", fn);
	return 0;
}

/*
 * The pool set name names a kpmem export on the target.  The module checks
 * it too; checking here turns PMDK-style relative paths ("dir/pool.set")
 * into a message that says what an export name is.
 */
static int check_name(const char *fn, const char *name, char *out)
{
	size_t len;

	if (!name)
		return rpmem_fail(EINVAL, "%s: pool set name is NULL", fn);
	len = strlen(name);
	if (len == 0)
		return rpmem_fail(EINVAL, "%s: pool set name is empty", fn);
	if (len > KPMEM_NAME_MAX)
		return rpmem_fail(EINVAL, "%s: pool set name is longer than %d characters",
				  fn, KPMEM_NAME_MAX);
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != len)
		return rpmem_fail(EINVAL,
				  "%s: pool set name '%s' is not a kpmem export name (only A-Z a-z 0-9 . _ -)",
				  fn, name);
	memcpy(out, name, len + 1);
	return 0;
}

/* What each KPMEM_IOC_POOL_CONNECT error means for the user. */
static const char *connect_hint(int err)
{
	switch (err) {
	case ENOENT:
		return "the export holds no pool (rpmem_create one first)";
	case EUCLEAN:
		return "the export holds a kpmem 0.1 pool header (on the target: kpmemctl "
		       "export-add --convert-header)";
	case EEXIST:
		return "the export already holds a pool (rpmem_remove it first)";
	case EBUSY:
		return "the export is in use by another initiator, or the target holds as "
		       "many connections as it may";
	case EFBIG:
		return "the export is smaller than pool_size";
	case EACCES:
		/* The target answers a missing export and a refused initiator alike. */
		return "the target has no export by that name, or does not allow this "
		       "initiator (its allow list, or a key (KPMEM_RPMEM_KEY_FILE) this "
		       "initiator does not prove); or this initiator holds a key and the "
		       "target did not prove it holds it too";
	case ECONNREFUSED:
		return "no kpmem target listens there";
	case EPROTONOSUPPORT:
		return "the target speaks another kpmem protocol version";
	case EPROTO:
		return "the target broke the kpmem protocol";
	case ETIMEDOUT:
		return "connection setup timed out";
	case EMFILE:
		return "this process has as many remote pools open as it may "
		       "(kpmem module parameter max_pools_per_process)";
	case ENODEV:
		return "the RDMA device went away";
	default:
		return NULL;
	}
}

/*
 * The pre-shared key for exports that require one: the raw bytes (16 to 32)
 * of the file KPMEM_RPMEM_KEY_FILE names, read on every create, open and
 * remove.  An environment variable naming a file keeps the key itself out
 * of the environment and off command lines.
 */
static int load_key(const char *fn, struct kpmem_pool_connect *conn)
{
	const char *path = getenv("KPMEM_RPMEM_KEY_FILE");
	unsigned char buf[KPMEM_KEY_MAX + 1];
	ssize_t n;
	int fd, err;

	conn->key_len = 0;
	if (!path || !*path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rpmem_fail(errno, "%s: KPMEM_RPMEM_KEY_FILE '%.200s': %s", fn, path,
				  strerror(errno));
	n = read(fd, buf, sizeof(buf));
	err = errno;
	close(fd);
	if (n < 0)
		return rpmem_fail(err, "%s: KPMEM_RPMEM_KEY_FILE '%.200s': %s", fn, path,
				  strerror(err));
	if (n < KPMEM_KEY_MIN || n > KPMEM_KEY_MAX) {
		explicit_bzero(buf, sizeof(buf));
		return rpmem_fail(EINVAL, "%s: KPMEM_RPMEM_KEY_FILE '%.200s' holds %zd bytes; a key "
				  "is %d to %d bytes", fn, path, n, KPMEM_KEY_MIN, KPMEM_KEY_MAX);
	}
	memcpy(conn->key, buf, n);
	conn->key_len = n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/*
 * Open /dev/kpmem, resolve the target and issue the connect.  Target and
 * name are already validated.  Return: the ioctl's result, or -1 with errno
 * and the message set.
 */
static int pool_connect(const char *fn, const char *target_str, const struct rpmem_target *t,
			struct kpmem_pool_connect *conn)
{
	char msg[KPMEM_MSG_MAX] = "";
	int dev, ret, err;

	if (load_key(fn, conn))
		return -1;
	dev = kpmem_device_open(KPMEM_DEVICE_PATH, KPMEM_FEAT_RPMEM_INITIATOR, NULL,
				msg, sizeof(msg));
	if (dev < 0) {
		explicit_bzero(conn->key, sizeof(conn->key));
		return rpmem_fail(-dev, "%s: %s", fn, msg);
	}

	if (rpmem_target_resolve(t, &conn->target)) {
		err = errno;
		close(dev);
		errno = err;
		return rpmem_fail_again(fn);
	}

	do {
		ret = ioctl(dev, KPMEM_IOC_POOL_CONNECT, conn);
	} while (ret < 0 && errno == EINTR);
	err = errno;
	explicit_bzero(conn->key, sizeof(conn->key));
	close(dev);
	if (ret < 0) {
		const char *hint = connect_hint(err);

		return rpmem_fail(err, "%s: target '%.200s' (port %u), export '%s': %s%s%s",
				  fn, target_str, t->port, conn->name, strerror(err),
				  hint ? ": " : "", hint ? hint : "");
	}
	return ret;
}

static RPMEMpool *pool_create_or_open(enum kpmem_pool_op op, const char *target,
				      const char *pool_set_name, void *pool_addr,
				      size_t pool_size, unsigned *nlanes,
				      const struct rpmem_pool_attr *create_attr,
				      struct rpmem_pool_attr *open_attr)
{
	const char *fn = op_name[op];
	struct kpmem_pool_connect conn;
	struct rpmem_target t;
	RPMEMpool *rpp;
	unsigned want;
	int fd, err;

	memset(&conn, 0, sizeof(conn));
	if (check_pool_args(fn, pool_addr, pool_size, nlanes))
		return NULL;
	if (rpmem_target_parse(target, &t)) {
		rpmem_fail_again(fn);
		return NULL;
	}
	if (check_name(fn, pool_set_name, conn.name))
		return NULL;

	/* Allocate first: nothing can fail between connecting and returning. */
	rpp = calloc(1, sizeof(*rpp));
	if (!rpp) {
		rpmem_fail(ENOMEM, "%s: out of memory", fn);
		return NULL;
	}

	want = *nlanes;
	if (want > rpmem_env_max_nlanes())
		want = rpmem_env_max_nlanes();

	conn.op = op;
	conn.pool_addr = (uintptr_t)pool_addr;
	conn.pool_size = pool_size;
	conn.nlanes = want;
	if (op == KPMEM_POOL_CREATE && !rpmem_attr_is_zero(create_attr)) {
		conn.flags |= KPMEM_POOL_HAS_ATTR;
		rpmem_attr_to_kpmem(&conn.attr, create_attr);
	}

	fd = pool_connect(fn, target, &t, &conn);
	if (fd < 0)
		goto err_free;

	/* Never hand the caller lanes it did not ask for, nor none at all. */
	if (conn.nlanes == 0 || conn.nlanes > want ||
	    (conn.hdr_size != 0 && conn.hdr_size != KPMEM_POOL_HDR_SIZE)) {
		rpmem_fail(EPROTO, "%s: the module granted %u lanes of %u and a %u-byte header",
			   fn, conn.nlanes, want, conn.hdr_size);
		close(fd);
		goto err_free;
	}

	rpp->fd = fd;
	rpp->pool_size = pool_size;
	rpp->nlanes = conn.nlanes;
	rpp->hdr_size = conn.hdr_size;
	/* Without it, flushes are one ioctl each: slower, not wrong. */
	rpp->rings = rpmem_flush_rings_new(rpp->nlanes);
	*nlanes = conn.nlanes;
	if (op == KPMEM_POOL_OPEN && open_attr)
		rpmem_attr_from_kpmem(open_attr, &conn.attr);
	return rpp;

err_free:
	err = errno;
	free(rpp);
	errno = err;
	return NULL;
}

RPMEMpool *rpmem_create(const char *target, const char *pool_set_name,
			void *pool_addr, size_t pool_size, unsigned *nlanes,
			const struct rpmem_pool_attr *create_attr)
{
	return pool_create_or_open(KPMEM_POOL_CREATE, target, pool_set_name, pool_addr,
				   pool_size, nlanes, create_attr, NULL);
}

RPMEMpool *rpmem_open(const char *target, const char *pool_set_name,
		      void *pool_addr, size_t pool_size, unsigned *nlanes,
		      struct rpmem_pool_attr *open_attr)
{
	return pool_create_or_open(KPMEM_POOL_OPEN, target, pool_set_name, pool_addr,
				   pool_size, nlanes, NULL, open_attr);
}

int rpmem_close(RPMEMpool *rpp)
{
	int ret, err = 0;
	unsigned lane;

	if (!rpp)
		return rpmem_fail(EINVAL, "rpmem_close: rpp is NULL");
	/*
	 * Flushes still queued on a lane go to the target before the pool
	 * closes: nothing flushed is dropped silently.  Their failure is
	 * reported, and the pool is closed all the same.
	 */
	for (lane = 0; lane < rpp->nlanes; lane++)
		if (rpmem_flush_ring_complete("rpmem_close", rpp, lane) && !err)
			err = errno;
	/*
	 * Closing the fd closes the pool in the module.  Linux releases the fd
	 * even when close() fails, so the handle is freed either way; EINTR
	 * is therefore not a failure.  The rings go first: their commands
	 * hold the pool open.
	 */
	rpmem_flush_rings_free(rpp->rings, rpp->nlanes);
	ret = close(rpp->fd);
	free(rpp);
	if (ret < 0 && errno != EINTR) {
		err = errno;
		return rpmem_fail(err, "rpmem_close: closing the pool: %s", strerror(err));
	}
	if (err) {
		/* The message is the failed flush's. */
		errno = err;
		return -1;
	}
	return 0;
}

int rpmem_remove(const char *target, const char *pool_set, int flags)
{
	const char *fn = op_name[KPMEM_POOL_REMOVE];
	struct kpmem_pool_connect conn;
	struct rpmem_target t;

	if (flags & ~(RPMEM_REMOVE_FORCE | RPMEM_REMOVE_POOL_SET))
		return rpmem_fail(EINVAL, "%s: invalid flags 0x%x", fn, (unsigned)flags);
	if (rpmem_target_parse(target, &t))
		return rpmem_fail_again(fn);
	memset(&conn, 0, sizeof(conn));
	if (check_name(fn, pool_set, conn.name))
		return -1;

	conn.op = KPMEM_POOL_REMOVE;
	/* A pool set file would go with RPMEM_REMOVE_POOL_SET; an export stays. */
	if (flags & RPMEM_REMOVE_FORCE)
		conn.flags |= KPMEM_POOL_REMOVE_FORCE;
	/* Not used by REMOVE, but valid should the module check it. */
	conn.nlanes = 1;

	if (pool_connect(fn, target, &t, &conn) < 0)
		return -1;
	return 0;
}

int rpmem_set_attr(RPMEMpool *rpp, const struct rpmem_pool_attr *attr)
{
	struct kpmem_pool_set_attr sa;
	int ret, err;

	if (!rpp)
		return rpmem_fail(EINVAL, "rpmem_set_attr: rpp is NULL");
	err = rpmem_pool_error(rpp);
	if (err)
		return rpmem_fail(err, "rpmem_set_attr: the pool's connection failed earlier: %s",
				  strerror(err));

	memset(&sa, 0, sizeof(sa));
	/* NULL clears the attributes, as in PMDK. */
	rpmem_attr_to_kpmem(&sa.attr, attr);
	do {
		ret = ioctl(rpp->fd, KPMEM_POOL_IOC_SET_ATTR, &sa);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		err = errno;
		return rpmem_fail(err, "rpmem_set_attr: %s", strerror(err));
	}
	return 0;
}

int rpmem_pool_fd(RPMEMpool *rpp)
{
	if (!rpp)
		return rpmem_fail(EINVAL, "rpmem_pool_fd: rpp is NULL");
	return rpp->fd;
}
