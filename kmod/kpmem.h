/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpmem internals shared by the files of kpmem.ko; nothing outside the
 * module may include this.
 */
#ifndef KPMEM_H
#define KPMEM_H

#include <linux/interval_tree.h>
#include <linux/kpmem.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct attribute_group;
struct file;
struct mm_struct;

/* Module release reported by KPMEM_IOC_GET_VERSION. */
#define KPMEM_VERSION_MAJOR	0
#define KPMEM_VERSION_MINOR	1
#define KPMEM_VERSION_PATCH	0
#define KPMEM_MODULE_VERSION \
	((KPMEM_VERSION_MAJOR << 16) | (KPMEM_VERSION_MINOR << 8) | KPMEM_VERSION_PATCH)

int kpmem_chrdev_init(void);
void kpmem_chrdev_exit(void);

/* Upper bound on the parts of one set (module parameter). */
extern unsigned int kpmem_max_parts_per_set;

/* source.c: what backs a part */
struct kpmem_source {
	u32 kind;		/* enum kpmem_source_kind */
	u32 granularity;	/* enum kpmem_granularity */
	u64 alignment;
	u64 size;
};

int kpmem_source_probe(struct file *file, struct kpmem_source *src);
int kpmem_source_grow(struct file *file, struct kpmem_source *src, u64 size);

/*
 * set.c, part.c: a set of part maps, owned by one address space.
 *
 * Parts are indexed by address in an interval tree; a part map is a run of
 * address-contiguous parts.  Everything is under @lock, which is taken
 * before the owner's mmap lock (vm_mmap/vm_munmap take that one).
 */
struct kpmem_set {
	struct mutex lock;		/* everything below */
	struct mm_struct *mm;		/* owner; mmgrab()ed */
	struct rb_root_cached parts;	/* struct kpmem_part by address */
	unsigned int nparts;
	u64 next_pmap_id;
};

struct kpmem_pmap {
	u64 id;
	unsigned long start, end;	/* [start, end) */
	unsigned int nparts;		/* parts in the index */
	/* While parts are being removed: */
	unsigned int detached;		/* removed parts still pointing here */
	bool split_done;
	struct list_head spare_entry;	/* preallocated, not yet in use */
};

struct kpmem_part {
	struct interval_tree_node node;	/* [start, last] of the mapping */
	struct kpmem_pmap *pmap;
	struct file *source;		/* the file the user passed */
	struct file *mapped;		/* the VMA's file at creation (may differ: overlayfs) */
	pgoff_t pgoff;			/* of the mapping's first page */
	u32 granularity;
	bool in_reservation;		/* put a PROT_NONE reservation back on removal */
	struct list_head remove_entry;	/* on a removal's list */
};

static inline unsigned long kpmem_part_start(const struct kpmem_part *part)
{
	return part->node.start;
}

static inline unsigned long kpmem_part_end(const struct kpmem_part *part)
{
	return part->node.last + 1;
}

long kpmem_set_create(void __user *argp);
long kpmem_part_add(struct kpmem_set *set, void __user *argp);
long kpmem_part_remove(struct kpmem_set *set, void __user *argp);
bool kpmem_part_is_mapped(struct kpmem_set *set, struct kpmem_part *part);
struct kpmem_pmap *kpmem_pmap_alloc(void);
void kpmem_pmap_free(struct kpmem_pmap *pmap);
void kpmem_part_free(struct kpmem_part *part);

/*
 * fault.c: allocation-failure injection for tests.  Writing N to the
 * module parameter fail_alloc_nth makes the N-th allocation through these
 * wrappers from then on fail (once); 0 disarms it.
 */
bool kpmem_fail_alloc(void);
#define kpmem_alloc(expr)	(kpmem_fail_alloc() ? NULL : (expr))
#define kpmem_memdup_user(src, len) \
	(kpmem_fail_alloc() ? ERR_PTR(-ENOMEM) : memdup_user(src, len))

/*
 * live.c: how many of each object the module holds right now, readable in
 * /sys/class/misc/kpmem/live/ so that tests can prove nothing leaked.  At
 * unload every count must be back at zero, or the module says what leaked.
 */
enum kpmem_live_kind {
	KPMEM_LIVE_SETS,
	KPMEM_LIVE_PARTS,
	KPMEM_LIVE_PART_MAPS,
	KPMEM_LIVE_EXPORTS,
	KPMEM_LIVE_EXPORT_PINNED_PAGES,
	KPMEM_LIVE_TARGET_CONNS,
	KPMEM_LIVE_TARGET_MRS,
	KPMEM_LIVE_POOLS,
	KPMEM_LIVE_POOL_PINNED_PAGES,
	KPMEM_LIVE_URING_CMDS,
	KPMEM_LIVE_NR
};

void kpmem_live_add(enum kpmem_live_kind kind, long n);
static inline void kpmem_live_inc(enum kpmem_live_kind kind)
{
	kpmem_live_add(kind, 1);
}

static inline void kpmem_live_dec(enum kpmem_live_kind kind)
{
	kpmem_live_add(kind, -1);
}

extern const struct attribute_group kpmem_live_group;
void kpmem_live_check(void);

#endif /* KPMEM_H */
