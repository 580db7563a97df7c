// SPDX-License-Identifier: GPL-2.0
/*
 * libpmemset sources on the host: every way to create one, the create
 * flags and modes, temporary files, machine-check-safe I/O and alignment.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "../lib/pmemset_expect.h"
#include "../lib/pmemset_fail_alloc.h"

FIXTURE(src) {
	char dir[64];
	char path[128];
};

FIXTURE_SETUP(src)
{
	strcpy(self->dir, "/tmp/pmemset_src.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/file", self->dir);
	umask(0);
}

FIXTURE_TEARDOWN(src)
{
	unlink(self->path);
	rmdir(self->dir);
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? (mode_t)-1 : (st.st_mode & 0777);
}

static void make_file(const char *path, size_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		if (ftruncate(fd, size))
			perror("ftruncate");
		close(fd);
	}
}

TEST_F(src, from_file_null_path_invalid)
{
	struct pmemset_source *s = (void *)1;

	ASSERT_PMEMSET(PMEMSET_E_INVALID_SOURCE_PATH, pmemset_source_from_file(&s, NULL));
	ASSERT_EQ(NULL, s);
	ASSERT_PMEMSET(PMEMSET_E_INVALID_SOURCE_PATH, pmemset_source_from_file(&s, ""));
	ASSERT_STREQ("source file path cannot be empty", pmemset_errormsg());
}

TEST_F(src, from_file_missing_without_create_invalid_path)
{
	struct pmemset_source *s;
	char sub[160];

	ASSERT_PMEMSET(PMEMSET_E_INVALID_SOURCE_PATH, pmemset_source_from_file(&s, self->path));
	ASSERT_EQ(-1, access(self->path, F_OK));
	/* any other reason the path cannot be looked up is -errno (PMDK) */
	make_file(self->path, 0);
	snprintf(sub, sizeof(sub), "%s/below", self->path);
	ASSERT_PMEMSET(-ENOTDIR, pmemset_source_from_file(&s, sub));
}

/*
 * PMDK looks the path up only when no flag is given; with any flag the
 * open's own error comes back, so a missing file is -ENOENT.
 */
TEST_F(src, from_file_missing_with_flags_is_enoent)
{
	struct pmemset_source *s = (void *)1;

	ASSERT_PMEMSET(-ENOENT, pmemset_xsource_from_file(&s, self->path, PMEMSET_SOURCE_FILE_DO_NOT_GROW));
	ASSERT_EQ(NULL, s);
	ASSERT_PMEMSET(-ENOENT, pmemset_xsource_from_file(&s, self->path, PMEMSET_SOURCE_FILE_CREATE_MODE(0600)));
	ASSERT_EQ(-1, access(self->path, F_OK));
}

TEST_F(src, from_file_empty_path_follows_the_flags)
{
	struct pmemset_source *s = (void *)1;

	ASSERT_PMEMSET(PMEMSET_E_INVALID_SOURCE_PATH, pmemset_source_from_file(&s, ""));
	ASSERT_EQ(NULL, s);
	ASSERT_PMEMSET(-ENOENT, pmemset_xsource_from_file(&s, "", PMEMSET_SOURCE_FILE_CREATE_ALWAYS));
	/* the flags are checked before the path is looked at */
	ASSERT_PMEMSET(PMEMSET_E_INVALID_SOURCE_FILE_CREATE_FLAGS, pmemset_xsource_from_file(&s, "", 1U << 3));
}

TEST_F(src, from_file_existing_valid)
{
	struct pmemset_source *s = NULL;

	make_file(self->path, 4096);
	ASSERT_PMEMSET(0, pmemset_source_from_file(&s, self->path));
	ASSERT_NE(NULL, s);
	ASSERT_PMEMSET(0, pmemset_source_delete(&s));
	ASSERT_EQ(NULL, s);
	ASSERT_PMEMSET(0, pmemset_source_delete(&s));
}

TEST_F(src, from_file_directory_is_refused)
{
	struct pmemset_source *s = (void *)1;

	ASSERT_PMEMSET(-EISDIR, pmemset_source_from_file(&s, self->dir));
	ASSERT_EQ(NULL, s);
}

/* What libpmem2 refuses comes back as libpmem2's code, as from PMDK. */
TEST_F(src, from_file_of_a_fifo_is_pmem2_invalid_file_type)
{
	struct pmemset_source *s = (void *)1;

	ASSERT_EQ(0, mkfifo(self->path, 0600));
	ASSERT_PMEMSET(PMEM2_E_INVALID_FILE_TYPE, pmemset_source_from_file(&s, self->path));
	ASSERT_EQ(NULL, s);
}

TEST_F(src, create_always_truncates_existing)
{
	struct pmemset_source *s;
	struct stat st;

	make_file(self->path, 8192);
	ASSERT_PMEMSET(0, pmemset_xsource_from_file(&s, self->path, PMEMSET_SOURCE_FILE_CREATE_ALWAYS));
	ASSERT_EQ(0, stat(self->path, &st));
	ASSERT_EQ((off_t)0, st.st_size);
	pmemset_source_delete(&s);
}

TEST_F(src, create_always_creates_missing)
{
	struct pmemset_source *s;

	ASSERT_PMEMSET(0, pmemset_xsource_from_file(&s, self->path, PMEMSET_SOURCE_FILE_CREATE_ALWAYS));
	ASSERT_EQ(0, access(self->path, F_OK));
	ASSERT_EQ(0644U, mode_of(self->path));
	pmemset_source_delete(&s);
}

TEST_F(src, create_if_needed_keeps_existing)
{
	struct pmemset_source *s;
	struct stat st;

	make_file(self->path, 8192);
	ASSERT_PMEMSET(0, pmemset_xsource_from_file(&s, self->path, PMEMSET_SOURCE_FILE_CREATE_IF_NEEDED));
	ASSERT_EQ(0, stat(self->path, &st));
	ASSERT_EQ((off_t)8192, st.st_size);
	pmemset_source_delete(&s);
}

TEST_F(src, create_if_needed_creates_missing)
{
	struct pmemset_source *s;

	ASSERT_PMEMSET(0, pmemset_xsource_from_file(&s, self->path, PMEMSET_SOURCE_FILE_CREATE_IF_NEEDED));
	ASSERT_EQ(0, access(self->path, F_OK));
	pmemset_source_delete(&s);
}

TEST_F(src, invalid_flags_refused)
{
	struct pmemset_source *s = (void *)1;

	ASSERT_PMEMSET(PMEMSET_E_INVALID_SOURCE_FILE_CREATE_FLAGS,
		       pmemset_xsource_from_file(&s, self->path, 90180));
	ASSERT_EQ(NULL, s);
	ASSERT_PMEMSET(PMEMSET_E_INVALID_SOURCE_FILE_CREATE_FLAGS,
		       pmemset_xsource_from_file(&s, self->path, 1U << 3));
	/* a mode outside 0777 */
	ASSERT_PMEMSET(PMEMSET_E_INVALID_SOURCE_FILE_CREATE_FLAGS,
		       pmemset_xsource_from_file(&s, self->path, PMEMSET_SOURCE_FILE_CREATE_ALWAYS_MODE(01000)));
	ASSERT_EQ(-1, access(self->path, F_OK));
}

/* A mode without a create flag is valid and changes nothing (PMDK). */
TEST_F(src, mode_without_create_flag_opens_existing_file)
{
	struct pmemset_source *s = NULL;

	make_file(self->path, 0);
	ASSERT_PMEMSET(0, pmemset_xsource_from_file(&s, self->path, PMEMSET_SOURCE_FILE_CREATE_MODE(0600)));
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0644U, mode_of(self->path));
	pmemset_source_delete(&s);
}

TEST_F(src, create_with_rusr_mode)
{
	struct pmemset_source *s;

	ASSERT_PMEMSET(0, pmemset_xsource_from_file(&s, self->path,
			  PMEMSET_SOURCE_FILE_CREATE_ALWAYS_MODE(PMEMSET_SOURCE_FILE_RUSR_MODE)));
	ASSERT_EQ(0400U, mode_of(self->path));
	pmemset_source_delete(&s);
}

TEST_F(src, create_with_rwxu_mode)
{
	struct pmemset_source *s;

	ASSERT_PMEMSET(0, pmemset_xsource_from_file(&s, self->path,
			  PMEMSET_SOURCE_FILE_CREATE_ALWAYS_MODE(PMEMSET_SOURCE_FILE_RWXU_MODE)));
	ASSERT_EQ(0700U, mode_of(self->path));
	ASSERT_EQ(0, access(self->path, X_OK));
	pmemset_source_delete(&s);
}

TEST_F(src, create_with_numeric_mode)
{
	struct pmemset_source *s;

	ASSERT_PMEMSET(0, pmemset_xsource_from_file(&s, self->path,
			  PMEMSET_SOURCE_FILE_CREATE_ALWAYS_MODE(0640)));
	ASSERT_EQ(0640U, mode_of(self->path));
	pmemset_source_delete(&s);
}

TEST_F(src, create_if_needed_mode_applies_only_to_new_file)
{
	struct pmemset_source *s;

	ASSERT_PMEMSET(0, pmemset_xsource_from_file(&s, self->path,
			  PMEMSET_SOURCE_FILE_CREATE_IF_NEEDED |
			  PMEMSET_SOURCE_FILE_CREATE_MODE(PMEMSET_SOURCE_FILE_RWXU_MODE)));
	ASSERT_EQ(0700U, mode_of(self->path));
	pmemset_source_delete(&s);
	ASSERT_PMEMSET(0, pmemset_xsource_from_file(&s, self->path,
			  PMEMSET_SOURCE_FILE_CREATE_IF_NEEDED |
			  PMEMSET_SOURCE_FILE_CREATE_MODE(PMEMSET_SOURCE_FILE_RUSR_MODE)));
	ASSERT_EQ(0700U, mode_of(self->path));
	pmemset_source_delete(&s);
}

TEST_F(src, do_not_grow_flag_accepted)
{
	struct pmemset_source *s;

	ASSERT_PMEMSET(0, pmemset_xsource_from_file(&s, self->path,
			  PMEMSET_SOURCE_FILE_CREATE_IF_NEEDED | PMEMSET_SOURCE_FILE_DO_NOT_GROW));
	pmemset_source_delete(&s);
}

TEST_F(src, temporary_is_unnamed_and_removed_with_source)
{
	struct pmemset_source *s = NULL;
	char buf[16] = "";

	ASSERT_PMEMSET(0, pmemset_source_from_temporary(&s, self->dir));
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, entries(self->dir));
	/* size 0: nothing to read yet */
	ASSERT_PMEMSET(PMEMSET_E_LENGTH_OUT_OF_RANGE, pmemset_source_pread_mcsafe(s, buf, sizeof(buf), 0));
	ASSERT_PMEMSET(0, pmemset_source_delete(&s));
	ASSERT_EQ(NULL, s);
	ASSERT_EQ(0, entries(self->dir));
}

TEST_F(src, temporary_bad_dir_invalid_path)
{
	struct pmemset_source *s = (void *)1;

	ASSERT_PMEMSET(PMEMSET_E_INVALID_SOURCE_PATH, pmemset_source_from_temporary(&s, NULL));
	ASSERT_EQ(NULL, s);
	ASSERT_PMEMSET(PMEMSET_E_INVALID_SOURCE_PATH, pmemset_source_from_temporary(&s, "XYZ"));
	ASSERT_PMEMSET(PMEMSET_E_INVALID_SOURCE_PATH, pmemset_source_from_temporary(&s, ""));
}

/*
 * PMDK only checks that the path exists; a path that exists but is no
 * directory fails to hold the temporary file.
 */
TEST_F(src, temporary_in_regular_file_cannot_create_temp_file)
{
	struct pmemset_source *s = (void *)1;

	make_file(self->path, 0);
	ASSERT_PMEMSET(PMEMSET_E_CANNOT_CREATE_TEMP_FILE, pmemset_source_from_temporary(&s, self->path));
	ASSERT_EQ(NULL, s);
}

/* A lookup failing for another reason than ENOENT is -errno (PMDK). */
TEST_F(src, temporary_dir_below_a_file_is_enotdir)
{
	struct pmemset_source *s = (void *)1;
	char sub[160];

	make_file(self->path, 0);
	snprintf(sub, sizeof(sub), "%s/below", self->path);
	ASSERT_PMEMSET(-ENOTDIR, pmemset_source_from_temporary(&s, sub));
	ASSERT_EQ(NULL, s);
}

TEST_F(src, temporary_unwritable_dir_cannot_create)
{
	struct pmemset_source *s = (void *)1;
	int status;
	pid_t pid;

	ASSERT_EQ(0, chmod(self->dir, 0500));
	/* root writes anywhere: try as nobody, in a child so teardown stays root */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (geteuid() == 0 && (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)))
			_exit(2);
		if (pmemset_source_from_temporary(&s, self->dir) != PMEMSET_E_CANNOT_CREATE_TEMP_FILE)
			_exit(3);
		_exit(s == NULL && strlen(pmemset_errormsg()) ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	chmod(self->dir, 0700);
	ASSERT_EQ(0, status) TH_LOG("child exit status 0x%x", status);
}

TEST_F(src, mcsafe_write_then_read_round_trip)
{
	struct pmemset_source *s;
	char out[4096], in[4096];

	make_file(self->path, 65536);
	ASSERT_PMEMSET(0, pmemset_source_from_file(&s, self->path));
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + 3);
	ASSERT_PMEMSET(0, pmemset_source_pwrite_mcsafe(s, out, sizeof(out), 8192));
	memset(in, 0, sizeof(in));
	ASSERT_PMEMSET(0, pmemset_source_pread_mcsafe(s, in, sizeof(in), 8192));
	ASSERT_EQ(0, memcmp(in, out, sizeof(in)));
	ASSERT_PMEMSET(PMEMSET_E_LENGTH_OUT_OF_RANGE, pmemset_source_pread_mcsafe(s, in, sizeof(in), 65536 - 100));
	ASSERT_PMEMSET(PMEMSET_E_LENGTH_OUT_OF_RANGE, pmemset_source_pwrite_mcsafe(s, out, sizeof(out), 65536));
	pmemset_source_delete(&s);
}

TEST_F(src, pmem2_source_round_trip_and_alignment)
{
	struct pmemset_source *s;
	struct pmem2_source *p2;
	char out[64] = "written through a pmem2-based source", in[64] = "";
	size_t align = 0;
	int fd;

	make_file(self->path, 65536);
	fd = open(self->path, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pmem2_source_from_fd(&p2, fd));
	ASSERT_PMEMSET(0, pmemset_source_from_pmem2(&s, p2));
	ASSERT_PMEMSET(0, pmemset_source_pwrite_mcsafe(s, out, sizeof(out), 0));
	ASSERT_PMEMSET(0, pmemset_source_pread_mcsafe(s, in, sizeof(in), 0));
	ASSERT_STREQ(out, in);
	ASSERT_PMEMSET(0, pmemset_source_alignment(s, &align));
	ASSERT_EQ((size_t)sysconf(_SC_PAGESIZE), align);
	ASSERT_PMEMSET(0, pmemset_source_delete(&s));
	/* the pmem2 source and its fd are the caller's */
	ASSERT_EQ(0, pmem2_source_delete(&p2));
	ASSERT_EQ(0, close(fd));
}

TEST(from_pmem2_null_invalid)
{
	struct pmemset_source *s = (void *)1;

	ASSERT_PMEMSET(PMEMSET_E_INVALID_PMEM2_SOURCE, pmemset_source_from_pmem2(&s, NULL));
	ASSERT_EQ(NULL, s);
}

/* An anonymous pmem2 source has no file descriptor: libpmem2's code (PMDK). */
TEST(from_pmem2_anonymous_has_no_file_descriptor)
{
	struct pmemset_source *s = (void *)1;
	struct pmem2_source *p2;

	ASSERT_EQ(0, pmem2_source_from_anon(&p2, 65536));
	ASSERT_PMEMSET(PMEM2_E_FILE_DESCRIPTOR_NOT_SET, pmemset_source_from_pmem2(&s, p2));
	ASSERT_EQ(NULL, s);
	pmem2_source_delete(&p2);
}

TEST_F(src, alignment_of_file_is_page)
{
	struct pmemset_source *s;
	size_t align = 0;

	make_file(self->path, 0);
	ASSERT_PMEMSET(0, pmemset_source_from_file(&s, self->path));
	ASSERT_PMEMSET(0, pmemset_source_alignment(s, &align));
	ASSERT_NE((size_t)0, align);
	ASSERT_PMEMSET(-EINVAL, pmemset_source_alignment(s, NULL));
	ASSERT_PMEMSET(-EINVAL, pmemset_source_alignment(NULL, &align));
	pmemset_source_delete(&s);
}

TEST_F(src, sds_set_twice_already_set)
{
	struct pmemset_sds sds = PMEMSET_SDS_INITIALIZE();
	enum pmemset_part_state state;
	struct pmemset_source *s;

	make_file(self->path, 0);
	ASSERT_PMEMSET(0, pmemset_source_from_file(&s, self->path));
	ASSERT_PMEMSET(-EINVAL, pmemset_source_set_sds(s, NULL, &state));
	ASSERT_PMEMSET(0, pmemset_source_set_sds(s, &sds, &state));
	ASSERT_PMEMSET(PMEMSET_E_SDS_ALREADY_SET, pmemset_source_set_sds(s, &sds, &state));
	pmemset_source_delete(&s);
}

TEST_F(src, badblock_clear_validates_arguments)
{
	struct pmemset_badblock bb = { .offset = 0, .length = 512 };
	struct pmemset_source *s;

	make_file(self->path, 0);
	ASSERT_PMEMSET(0, pmemset_source_from_file(&s, self->path));
	ASSERT_PMEMSET(-EINVAL, pmemset_badblock_clear(NULL, s));
	ASSERT_PMEMSET(-EINVAL, pmemset_badblock_clear(&bb, NULL));
	bb.offset = (size_t)INT64_MAX + 1;
	ASSERT_PMEMSET(PMEMSET_E_OFFSET_OUT_OF_RANGE, pmemset_badblock_clear(&bb, s));
	bb.offset = 0;
	bb.length = (size_t)INT64_MAX + 1;
	ASSERT_PMEMSET(PMEMSET_E_LENGTH_OUT_OF_RANGE, pmemset_badblock_clear(&bb, s));
	pmemset_source_set_badblock_detection(s, true);
	pmemset_source_set_badblock_detection(NULL, true);
	pmemset_source_delete(&s);
}

TEST(mcsafe_null_source_einval)
{
	char buf[8];

	ASSERT_PMEMSET(-EINVAL, pmemset_source_pread_mcsafe(NULL, buf, 8, 0));
	ASSERT_PMEMSET(-EINVAL, pmemset_source_pwrite_mcsafe(NULL, buf, 8, 0));
}

/* PMDK's test_alloc_src_enomem and test_source_set_sds_duplicate_enomem. */
TEST_F(src, sources_without_memory_are_enomem)
{
	struct pmemset_sds sds = PMEMSET_SDS_INITIALIZE();
	struct pmemset_source *s = (void *)1;
	struct pmem2_source *p2;
	int fd;

	make_file(self->path, 4096);
	ASSERT_PMEMSET(-ENOMEM, WITHOUT_MEMORY(pmemset_source_from_file(&s, self->path)));
	ASSERT_EQ(NULL, s);
	ASSERT_PMEMSET(-ENOMEM, WITHOUT_MEMORY(pmemset_xsource_from_file(&s, self->path,
			PMEMSET_SOURCE_FILE_CREATE_IF_NEEDED)));
	ASSERT_EQ(NULL, s);
	ASSERT_PMEMSET(-ENOMEM, WITHOUT_MEMORY(pmemset_source_from_temporary(&s, self->dir)));
	ASSERT_EQ(NULL, s);
	ASSERT_EQ(1, entries(self->dir));
	fd = open(self->path, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pmem2_source_from_fd(&p2, fd));
	ASSERT_PMEMSET(-ENOMEM, WITHOUT_MEMORY(pmemset_source_from_pmem2(&s, p2)));
	ASSERT_EQ(NULL, s);
	ASSERT_PMEMSET(0, pmemset_source_from_pmem2(&s, p2));
	ASSERT_PMEMSET(-ENOMEM, WITHOUT_MEMORY(pmemset_source_set_sds(s, &sds, NULL)));
	ASSERT_PMEMSET(0, pmemset_source_set_sds(s, &sds, NULL));
	pmemset_source_delete(&s);
	pmem2_source_delete(&p2);
	close(fd);
}

TEST_HARNESS_MAIN
