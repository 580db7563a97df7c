// SPDX-License-Identifier: GPL-2.0
/*
 * An export's state that its media cannot hold, kept in a small file the
 * administrator names at export-add (KPMEM_EXPORT_STATE_FD): today whether
 * a NOHDRS export holds a pool, which otherwise would be forgotten when the
 * module is reloaded or the host reboots, although the data is there.
 *
 * The file holds two copies of one record, each with a sequence number and
 * a checksum; a save overwrites the older copy and syncs, so a crash in the
 * middle of a save leaves the previous state readable.  The record names
 * its export, so that a state file is never taken for another export's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/file.h>
#include <linux/fs.h>

#include "kpmem.h"
#include "rpmem.h"

#define KPMEM_STATE_MAGIC	0x0154534d454d504bULL	/* "KPMEMST\1" */
#define KPMEM_STATE_SLOT	512			/* bytes per copy */
#define KPMEM_STATE_HAS_POOL	BIT(0)

struct kpmem_export_state_media {
	__le64 magic;
	__le64 seq;
	__le32 flags;		/* KPMEM_STATE_* */
	__le32 reserved;
	char name[KPMEM_NAME_MAX + 1];
	__le32 crc;		/* crc32_le(~0) of everything before it */
};

static_assert(sizeof(struct kpmem_export_state_media) <= KPMEM_STATE_SLOT);

/* Read copy @slot.  Return: 1 valid (in @rec), 0 absent or damaged, or -errno. */
static int kpmem_state_read(struct file *file, int slot, struct kpmem_export_state_media *rec)
{
	loff_t pos = slot * KPMEM_STATE_SLOT;
	ssize_t n = kernel_read(file, rec, sizeof(*rec), &pos);

	if (n < 0)
		return n;
	if (n != sizeof(*rec) || le64_to_cpu(rec->magic) != KPMEM_STATE_MAGIC)
		return 0;
	return le32_to_cpu(rec->crc) ==
	       crc32_le(~0, (const void *)rec, offsetof(typeof(*rec), crc));
}

/**
 * kpmem_export_state_open() - take an export's state file and load it
 * @exp: an export being added (name and flags set)
 * @fd: the state file, a regular file open read-write
 *
 * An empty file is a new export's: nothing recorded yet.
 *
 * Return: 0; -EBADF, -EINVAL (not a regular file open read-write),
 * -EUCLEAN (it holds another export's state or something else), or an I/O
 * error.
 */
int kpmem_export_state_open(struct kpmem_export *exp, int fd)
{
	struct kpmem_export_state_media rec[2];
	struct file *file = fget(fd);
	int ok[2], i, best = -1, ret;

	if (!file)
		return -EBADF;
	ret = -EINVAL;
	/* Records go to fixed offsets: an append-only file cannot hold them. */
	if (!S_ISREG(file_inode(file)->i_mode) || (file->f_flags & O_APPEND) ||
	    (file->f_mode & (FMODE_READ | FMODE_WRITE)) != (FMODE_READ | FMODE_WRITE))
		goto out_fput;
	exp->state_file = file;
	exp->state_seq = 0;
	if (!i_size_read(file_inode(file)))
		return 0;
	for (i = 0; i < 2; i++) {
		ok[i] = kpmem_state_read(file, i, &rec[i]);
		if (ok[i] < 0) {
			ret = ok[i];
			goto out_unset;
		}
		if (ok[i] && (best < 0 || le64_to_cpu(rec[i].seq) > le64_to_cpu(rec[best].seq)))
			best = i;
	}
	ret = -EUCLEAN;
	if (best < 0 || strncmp(rec[best].name, exp->name, sizeof(rec[best].name))) {
		pr_err("export '%s': its state file holds no state of this export\n", exp->name);
		goto out_unset;
	}
	exp->state_seq = le64_to_cpu(rec[best].seq);
	exp->has_pool = le32_to_cpu(rec[best].flags) & KPMEM_STATE_HAS_POOL;
	return 0;

out_unset:
	exp->state_file = NULL;
out_fput:
	fput(file);
	return ret;
}

/**
 * kpmem_export_state_save() - record the export's state durably
 * @exp: the export, its lock held
 *
 * Return: 0 (also without a state file), or an I/O error, in which case
 * the previous state is still on the file.
 */
int kpmem_export_state_save(struct kpmem_export *exp)
{
	struct kpmem_export_state_media rec = { };
	u64 seq = exp->state_seq + 1;
	loff_t pos = (seq % 2) * KPMEM_STATE_SLOT;
	ssize_t n;
	int ret;

	if (!exp->state_file)
		return 0;
	rec.magic = cpu_to_le64(KPMEM_STATE_MAGIC);
	rec.seq = cpu_to_le64(seq);
	rec.flags = cpu_to_le32(exp->has_pool ? KPMEM_STATE_HAS_POOL : 0);
	strscpy(rec.name, exp->name, sizeof(rec.name));
	rec.crc = cpu_to_le32(crc32_le(~0, (const void *)&rec, offsetof(typeof(rec), crc)));
	n = kernel_write(exp->state_file, &rec, sizeof(rec), &pos);
	if (n != sizeof(rec))
		return n < 0 ? n : -EIO;
	ret = vfs_fsync(exp->state_file, 1);
	if (!ret)
		exp->state_seq = seq;
	return ret;
}

/* Let go of the state file (export release). */
void kpmem_export_state_close(struct kpmem_export *exp)
{
	if (exp->state_file)
		fput(exp->state_file);
	exp->state_file = NULL;
}
