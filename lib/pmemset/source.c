// SPDX-License-Identifier: BSD-3-Clause
/*
 * Sources: a file (opened or created here), an unnamed temporary file, or a
 * caller's pmem2_source.  Each is reduced to a file descriptor the kernel
 * maps and a pmem2_source libpmem2 uses for persistence and device queries.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "source.h"

#define DEFAULT_CREATE_MODE 0644

static int source_alloc(struct pmemset_source **out, enum pmemset_source_type type)
{
	struct pmemset_source *src = calloc(1, sizeof(*src));

	if (!src)
		return pmemset_err(-ENOMEM, "cannot allocate a pmemset source");
	src->type = type;
	src->fd = -1;
	src->refs = 1;
	*out = src;
	return 0;
}

static void source_free(struct pmemset_source *src)
{
	free(src->sds);
	free(src);
}

/*
 * Wrap @fd (which becomes the source's) in a pmem2_source.  A file libpmem2
 * refuses (neither regular nor device DAX) fails with libpmem2's own code,
 * which is what PMDK returns.
 */
static int source_adopt_fd(struct pmemset_source *src, int fd, const char *what)
{
	int ret = pmem2_source_from_fd(&src->pmem2, fd);

	if (ret) {
		pmemset_err(ret, "%s: %s (libpmem2 error %d)", what, pmem2_errormsg(), ret);
		close(fd);
		return ret;
	}
	src->fd = fd;
	return 0;
}

int pmemset_source_from_pmem2(struct pmemset_source **src, struct pmem2_source *pmem2_src)
{
	struct pmemset_source *s = NULL;
	int fd, ret;

	if (!src)
		return pmemset_err(-EINVAL, "pmemset_source_from_pmem2: src pointer is NULL");
	*src = NULL;
	if (!pmem2_src)
		return pmemset_err(PMEMSET_E_INVALID_PMEM2_SOURCE, "pmem2 source is NULL");
	/* A source is a file descriptor: an anonymous pmem2 source has none. */
	ret = pmem2_source_get_fd(pmem2_src, &fd);
	if (ret)
		return pmemset_err(ret, "pmem2 source has no file descriptor (anonymous sources cannot be mapped)");
	ret = source_alloc(&s, PMEMSET_SOURCE_PMEM2);
	if (ret)
		return ret;
	s->pmem2 = pmem2_src;
	s->fd = fd;
	*src = s;
	return 0;
}

int pmemset_source_from_file(struct pmemset_source **src, const char *file)
{
	return pmemset_xsource_from_file(src, file, 0);
}

/* A mode without a create flag is valid and unused, as in PMDK. */
static int check_file_flags(uint64_t flags)
{
	if (flags & ~(uint64_t)PMEMSET_SOURCE_FILE_CREATE_VALID_FLAGS)
		return pmemset_err(PMEMSET_E_INVALID_SOURCE_FILE_CREATE_FLAGS,
				   "source file flags 0x%llx hold invalid bits (valid: 0x%llx)",
				   (unsigned long long)flags,
				   (unsigned long long)PMEMSET_SOURCE_FILE_CREATE_VALID_FLAGS);
	return 0;
}

/*
 * Without flags PMDK looks the path up first: a missing file is
 * INVALID_SOURCE_PATH, any other failure -errno.  With flags the open's
 * own error is the answer (a missing file is then -ENOENT).
 */
static int check_file_exists(const char *file)
{
	struct stat st;
	int err;

	if (stat(file, &st) == 0)
		return 0;
	err = errno;
	if (err == ENOENT && !*file)
		return pmemset_err(PMEMSET_E_INVALID_SOURCE_PATH, "source file path cannot be empty");
	if (err == ENOENT)
		return pmemset_err(PMEMSET_E_INVALID_SOURCE_PATH, "source file %s does not exist", file);
	return pmemset_err(-err, "stat %s: %s", file, strerror(err));
}

int pmemset_xsource_from_file(struct pmemset_source **src, const char *file, uint64_t flags)
{
	struct pmemset_source *s = NULL;
	int oflags = O_RDWR | O_CLOEXEC;
	mode_t mode = DEFAULT_CREATE_MODE;
	int fd, ret;

	if (!src)
		return pmemset_err(-EINVAL, "pmemset_xsource_from_file: src pointer is NULL");
	*src = NULL;
	if (!file)
		return pmemset_err(PMEMSET_E_INVALID_SOURCE_PATH, "source file path is NULL");
	ret = check_file_flags(flags);
	if (ret)
		return ret;
	if (!flags) {
		ret = check_file_exists(file);
		if (ret)
			return ret;
	}

	if (FILE_CREATE_MODE_FROM_FLAG(flags))
		mode = FILE_CREATE_MODE_FROM_FLAG(flags);
	if (flags & PMEMSET_SOURCE_FILE_CREATE_ALWAYS)
		oflags |= O_CREAT | O_TRUNC;
	else if (flags & PMEMSET_SOURCE_FILE_CREATE_IF_NEEDED)
		oflags |= O_CREAT;

	fd = open(file, oflags, mode);
	if (fd < 0) {
		ret = errno;
		return pmemset_err(-ret, "open %s: %s", file, strerror(ret));
	}
	ret = source_alloc(&s, PMEMSET_SOURCE_FILE);
	if (ret) {
		close(fd);
		return ret;
	}
	ret = source_adopt_fd(s, fd, file);
	if (ret) {
		source_free(s);
		return ret;
	}
	s->file_flags = flags & PMEMSET_SOURCE_FILE_DO_NOT_GROW;
	*src = s;
	return 0;
}

/* O_TMPFILE where the filesystem has it, else a named file unlinked at once. */
static int open_temporary(const char *dir)
{
	char path[PATH_MAX];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	if (snprintf(path, sizeof(path), "%s/pmemset.XXXXXX", dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

int pmemset_source_from_temporary(struct pmemset_source **src, const char *dir)
{
	struct pmemset_source *s = NULL;
	struct stat st;
	int fd, ret;

	if (!src)
		return pmemset_err(-EINVAL, "pmemset_source_from_temporary: src pointer is NULL");
	*src = NULL;
	if (!dir)
		return pmemset_err(PMEMSET_E_INVALID_SOURCE_PATH, "temporary file directory is NULL");
	/*
	 * As PMDK: a path that does not exist is INVALID_SOURCE_PATH, another
	 * lookup failure -errno; one that exists but is no directory (or
	 * cannot hold the file) is CANNOT_CREATE_TEMP_FILE below.
	 */
	if (stat(dir, &st)) {
		ret = errno;
		if (ret == ENOENT)
			return pmemset_err(PMEMSET_E_INVALID_SOURCE_PATH,
					   "temporary file directory %s does not exist", dir);
		return pmemset_err(-ret, "temporary file directory %s: %s", dir, strerror(ret));
	}

	fd = open_temporary(dir);
	if (fd < 0)
		return pmemset_err(PMEMSET_E_CANNOT_CREATE_TEMP_FILE,
				   "cannot create a temporary file in %s: %s", dir, strerror(errno));
	ret = source_alloc(&s, PMEMSET_SOURCE_TEMP);
	if (ret) {
		close(fd);
		return ret;
	}
	ret = source_adopt_fd(s, fd, dir);
	if (ret) {
		source_free(s);
		return ret;
	}
	*src = s;
	return 0;
}

int pmemset_source_delete(struct pmemset_source **src)
{
	struct pmemset_source *s = NULL;

	if (!src || !*src)
		return 0;
	s = *src;
	*src = NULL;
	/*
	 * Mapped parts keep working: the kernel holds its own reference to
	 * the file, and libpmem2 keeps a copy of the pmem2_source per map.
	 */
	if (s->type != PMEMSET_SOURCE_PMEM2) {
		pmem2_source_delete(&s->pmem2);
		close(s->fd);
	}
	s->fd = -1;
	s->pmem2 = NULL;
	pmemset_source_put(s);
	return 0;
}

void pmemset_source_get(struct pmemset_source *src)
{
	__atomic_add_fetch(&src->refs, 1, __ATOMIC_ACQ_REL);
}

void pmemset_source_put(struct pmemset_source *src)
{
	if (__atomic_sub_fetch(&src->refs, 1, __ATOMIC_ACQ_REL) == 0)
		source_free(src);
}
