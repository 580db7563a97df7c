// SPDX-License-Identifier: GPL-2.0
/*
 * Parts: mapping a source range into the set owner's address space,
 * unmapping it, and keeping part maps (runs of contiguous parts) right as
 * parts come and go.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "kpmem.h"

/* How pmem2 (and so pmemset) reserves address space. */
#define KPMEM_RESERVATION_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE)
/* Claiming a free range without clobbering anything. */
#define KPMEM_PLACEHOLDER_FLAGS \
	(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE)

/* The owner's mapping of [start, end) is still the one made for @part. */
bool kpmem_part_is_mapped(struct kpmem_set *set, struct kpmem_part *part)
{
	unsigned long addr = kpmem_part_start(part), end = kpmem_part_end(part);
	struct vm_area_struct *vma;
	bool mapped = true;

	mmap_read_lock(set->mm);
	while (addr < end) {
		vma = find_vma(set->mm, addr);
		if (!vma || vma->vm_start > addr || vma->vm_file != part->mapped ||
		    vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT) !=
		    part->pgoff + ((addr - kpmem_part_start(part)) >> PAGE_SHIFT)) {
			mapped = false;
			break;
		}
		addr = vma->vm_end;
	}
	mmap_read_unlock(set->mm);
	return mapped;
}

/* [start, end) is covered by private anonymous PROT_NONE mappings only. */
static bool kpmem_range_is_reservation(struct mm_struct *mm, unsigned long start,
				       unsigned long end)
{
	struct vm_area_struct *vma;
	bool ok = true;

	mmap_read_lock(mm);
	while (start < end) {
		vma = find_vma(mm, start);
		if (!vma || vma->vm_start > start || vma->vm_file ||
		    (vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC | VM_SHARED))) {
			ok = false;
			break;
		}
		start = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return ok;
}

static struct kpmem_part *kpmem_part_alloc(void)
{
	struct kpmem_part *part = kpmem_alloc(kzalloc(sizeof(*part), GFP_KERNEL_ACCOUNT));

	if (part)
		kpmem_live_inc(KPMEM_LIVE_PARTS);
	return part;
}

/* Free @part (NULL is fine) and drop the file references it took. */
void kpmem_part_free(struct kpmem_part *part)
{
	if (!part)
		return;
	if (part->mapped)
		fput(part->mapped);
	if (part->source)
		fput(part->source);
	kfree(part);
	kpmem_live_dec(KPMEM_LIVE_PARTS);
}

struct kpmem_pmap *kpmem_pmap_alloc(void)
{
	struct kpmem_pmap *pmap = kpmem_alloc(kzalloc(sizeof(*pmap), GFP_KERNEL_ACCOUNT));

	if (pmap)
		kpmem_live_inc(KPMEM_LIVE_PART_MAPS);
	return pmap;
}

void kpmem_pmap_free(struct kpmem_pmap *pmap)
{
	if (!pmap)
		return;
	kfree(pmap);
	kpmem_live_dec(KPMEM_LIVE_PART_MAPS);
}

/*
 * Re-derive @pmap from the parts still in the tree within its old range:
 * the first run of contiguous parts stays @pmap, every further run (left by
 * a removal in the middle) becomes a new part map taken from @spare.
 */
static void kpmem_pmap_split_runs(struct kpmem_set *set, struct kpmem_pmap *pmap,
				  struct list_head *spare)
{
	unsigned long old_start = pmap->start, old_end = pmap->end;
	struct kpmem_pmap *cur = NULL, *next;
	struct interval_tree_node *node;
	struct kpmem_part *part;

	pmap->nparts = 0;
	for (node = interval_tree_iter_first(&set->parts, old_start, old_end - 1); node;
	     node = interval_tree_iter_next(node, old_start, old_end - 1)) {
		part = container_of(node, struct kpmem_part, node);
		if (!cur) {
			cur = pmap;
			cur->start = kpmem_part_start(part);
		} else if (kpmem_part_start(part) != cur->end) {
			next = list_first_entry(spare, struct kpmem_pmap, spare_entry);
			list_del(&next->spare_entry);
			next->id = set->next_pmap_id++;
			next->start = kpmem_part_start(part);
			cur = next;
		}
		cur->end = kpmem_part_end(part);
		cur->nparts++;
		part->pmap = cur;
	}
}

/*
 * Take every part intersecting [start, end) out of the index onto
 * @removed, in address order, and fix the part maps they belonged to.
 * Return: how many parts, or -ENOMEM (and nothing changed).
 */
static int kpmem_parts_detach(struct kpmem_set *set, unsigned long start,
			      unsigned long end, struct list_head *removed)
{
	struct interval_tree_node *node, *next;
	struct kpmem_pmap *pmap, *tmp;
	struct kpmem_part *part;
	LIST_HEAD(spare);
	int n = 0, i;

	/* One removed part splits a part map in two at most: preallocate. */
	for (node = interval_tree_iter_first(&set->parts, start, end - 1); node;
	     node = interval_tree_iter_next(node, start, end - 1))
		n++;
	for (i = 0; i < n; i++) {
		pmap = kpmem_pmap_alloc();
		if (!pmap) {
			list_for_each_entry_safe(pmap, tmp, &spare, spare_entry)
				kpmem_pmap_free(pmap);
			return -ENOMEM;
		}
		list_add(&pmap->spare_entry, &spare);
	}

	for (node = interval_tree_iter_first(&set->parts, start, end - 1); node; node = next) {
		next = interval_tree_iter_next(node, start, end - 1);
		part = container_of(node, struct kpmem_part, node);
		interval_tree_remove(node, &set->parts);
		set->nparts--;
		part->pmap->detached++;
		list_add_tail(&part->remove_entry, removed);
	}
	list_for_each_entry(part, removed, remove_entry) {
		if (part->pmap->detached && !part->pmap->split_done) {
			kpmem_pmap_split_runs(set, part->pmap, &spare);
			part->pmap->split_done = true;
		}
	}
	list_for_each_entry_safe(pmap, tmp, &spare, spare_entry)
		kpmem_pmap_free(pmap);
	return n;
}

/* Let go of detached parts, and of part maps nothing belongs to any more. */
static void kpmem_parts_release(struct list_head *removed)
{
	struct kpmem_part *part, *tmp;
	struct kpmem_pmap *pmap;

	list_for_each_entry_safe(part, tmp, removed, remove_entry) {
		pmap = part->pmap;
		pmap->split_done = false;
		if (--pmap->detached == 0 && pmap->nparts == 0)
			kpmem_pmap_free(pmap);
		list_del(&part->remove_entry);
		kpmem_part_free(part);
	}
}

/*
 * Remove every part intersecting [start, end): unmap those still mapped as
 * we mapped them (putting reservations back), forget the others.
 */
static int kpmem_set_remove_range(struct kpmem_set *set, unsigned long start,
				  unsigned long end, u32 *removed, u32 *stale)
{
	struct kpmem_part *part;
	unsigned long pstart, len;
	LIST_HEAD(list);
	int n;

	n = kpmem_parts_detach(set, start, end, &list);
	if (n <= 0)
		return n ? n : -ENOENT;

	*removed = n;
	*stale = 0;
	list_for_each_entry(part, &list, remove_entry) {
		pstart = kpmem_part_start(part);
		len = kpmem_part_end(part) - pstart;
		if (!kpmem_part_is_mapped(set, part)) {
			(*stale)++;
			continue;
		}
		/*
		 * A reservation is put back over the part in one step (MAP_FIXED
		 * replaces atomically), so no other mapping can slip in.  Should
		 * that fail, the part is unmapped all the same: never leave pmem
		 * mapped that the set no longer knows.  vm_munmap() fails only
		 * when the owner is being killed, and its mappings go with it.
		 */
		if (part->in_reservation &&
		    !IS_ERR_VALUE(vm_mmap(NULL, pstart, len, PROT_NONE,
					  KPMEM_RESERVATION_FLAGS, 0)))
			continue;
		vm_munmap(pstart, len);
	}
	kpmem_parts_release(&list);
	return 0;
}

/**
 * kpmem_part_remove() - KPMEM_SET_IOC_PART_REMOVE
 * @set: the set, its owner calling
 * @argp: struct kpmem_part_remove in user memory
 *
 * Return: 0 or a negative errno.
 */
long kpmem_part_remove(struct kpmem_set *set, void __user *argp)
{
	struct kpmem_part_remove req;
	u64 end;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved0 || req.reserved[0] || req.reserved[1] || !req.length)
		return -EINVAL;
	if (check_add_overflow(req.addr, req.length, &end) || end > ULONG_MAX)
		return -EOVERFLOW;

	mutex_lock(&set->lock);
	ret = kpmem_set_remove_range(set, req.addr, end, &req.removed, &req.stale);
	mutex_unlock(&set->lock);
	if (ret)
		return ret;
	if (copy_to_user(argp, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

static int kpmem_part_add_check(const struct kpmem_part_add *req)
{
	if (req->flags & ~KPMEM_PART_FLAGS_ALL || req->reserved0 ||
	    req->reserved[0] || req->reserved[1])
		return -EINVAL;
	switch (req->placement) {
	case KPMEM_PLACE_ANYWHERE:
	case KPMEM_PLACE_HINT:
		if (req->pmap_id)
			return -EINVAL;
		break;
	case KPMEM_PLACE_FIXED:
	case KPMEM_PLACE_RESERVED:
		if (!req->addr || req->addr > ULONG_MAX)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/* The part map whose last byte is just below @addr, or NULL. */
static struct kpmem_pmap *kpmem_pmap_ending_at(struct kpmem_set *set, unsigned long addr)
{
	struct interval_tree_node *node;
	struct kpmem_part *part;

	node = interval_tree_iter_first(&set->parts, addr - 1, addr - 1);
	if (!node)
		return NULL;
	part = container_of(node, struct kpmem_part, node);
	return part->pmap->end == addr ? part->pmap : NULL;
}

/* Map @part's range; the caller holds set->lock.  Return the address or -errno. */
static unsigned long kpmem_part_mmap(struct kpmem_set *set, struct file *file,
				     const struct kpmem_part_add *req,
				     const struct kpmem_source *src)
{
	unsigned long flags, addr = 0, ret;

	flags = src->kind == KPMEM_SOURCE_FILE ? MAP_SHARED : MAP_SHARED_VALIDATE | MAP_SYNC;
	switch (req->placement) {
	case KPMEM_PLACE_HINT:
		addr = req->addr;
		break;
	case KPMEM_PLACE_FIXED:
		/*
		 * MAP_SHARED_VALIDATE (which MAP_SYNC needs) does not accept
		 * MAP_FIXED_NOREPLACE: claim the range with an anonymous
		 * placeholder first, then map over it.
		 */
		addr = vm_mmap(NULL, req->addr, req->length, PROT_NONE, KPMEM_PLACEHOLDER_FLAGS, 0);
		if (IS_ERR_VALUE(addr))
			return addr;
		flags |= MAP_FIXED;
		ret = vm_mmap(file, addr, req->length, PROT_READ | PROT_WRITE, flags, req->offset);
		if (IS_ERR_VALUE(ret))
			vm_munmap(addr, req->length);
		return ret;
	case KPMEM_PLACE_RESERVED:
		addr = req->addr;
		if (!kpmem_range_is_reservation(set->mm, addr, addr + req->length))
			return -EEXIST;
		flags |= MAP_FIXED;
		break;
	}
	return vm_mmap(file, addr, req->length, PROT_READ | PROT_WRITE, flags, req->offset);
}

/* The file the new mapping's VMA holds (a stacking filesystem may substitute its own). */
static struct file *kpmem_mapped_file(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;
	struct file *file = NULL;

	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (vma && vma->vm_start <= addr && vma->vm_file)
		file = get_file(vma->vm_file);
	mmap_read_unlock(mm);
	return file;
}

static int kpmem_part_add_locked(struct kpmem_set *set, struct file *file,
				 struct kpmem_part_add *req, const struct kpmem_source *src,
				 struct kpmem_part *part, struct kpmem_pmap **new_pmap)
{
	struct kpmem_pmap *pmap = NULL;
	unsigned long addr;
	LIST_HEAD(stale);
	int ret;

	if (set->nparts >= kpmem_max_parts_per_set)
		return -EMFILE;
	if (req->pmap_id) {
		pmap = kpmem_pmap_ending_at(set, req->addr);
		if (!pmap || pmap->id != req->pmap_id)
			return -ENOENT;
	}

	addr = kpmem_part_mmap(set, file, req, src);
	if (IS_ERR_VALUE(addr))
		return (long)addr;

	/*
	 * Records of parts the owner unmapped behind our back may still cover
	 * the range the kernel just handed out: they are stale, forget them.
	 * (The part map being extended ends at @addr: none of its parts is in
	 * the range, so it is untouched.)
	 */
	ret = kpmem_parts_detach(set, addr, addr + req->length, &stale);
	if (ret < 0) {
		vm_munmap(addr, req->length);
		return ret;
	}
	kpmem_parts_release(&stale);

	if (!pmap) {
		pmap = *new_pmap;
		*new_pmap = NULL;
		pmap->id = set->next_pmap_id++;
		pmap->start = addr;
	}
	pmap->end = addr + req->length;
	pmap->nparts++;

	part->node.start = addr;
	part->node.last = addr + req->length - 1;
	part->pmap = pmap;
	part->source = get_file(file);
	part->mapped = kpmem_mapped_file(set->mm, addr);
	part->pgoff = req->offset >> PAGE_SHIFT;
	part->granularity = src->granularity;
	part->in_reservation = req->placement == KPMEM_PLACE_RESERVED;
	interval_tree_insert(&part->node, &set->parts);
	set->nparts++;

	req->addr = addr;
	req->pmap_id = pmap->id;
	return 0;
}

/**
 * kpmem_part_add() - KPMEM_SET_IOC_PART_ADD
 * @set: the set, its owner calling
 * @argp: struct kpmem_part_add in user memory
 *
 * Return: 0 or a negative errno (see uapi/linux/kpmem.h).
 */
long kpmem_part_add(struct kpmem_set *set, void __user *argp)
{
	struct kpmem_pmap *new_pmap = NULL;
	struct kpmem_part_add req;
	struct kpmem_source src;
	struct kpmem_part *part;
	struct file *file;
	u32 removed, stale;
	u64 end;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ret = kpmem_part_add_check(&req);
	if (ret)
		return ret;

	file = fget(req.source_fd);
	if (!file)
		return -EBADF;
	ret = kpmem_source_probe(file, &src);
	if (ret)
		goto out_fput;

	ret = -EINVAL;
	if (!IS_ALIGNED(req.offset, src.alignment) ||
	    (req.placement != KPMEM_PLACE_ANYWHERE && !IS_ALIGNED(req.addr, src.alignment)))
		goto out_fput;
	if (!req.length) {
		ret = -ERANGE;
		if (req.offset >= src.size)
			goto out_fput;
		req.length = src.size - req.offset;
	}
	ret = -EINVAL;
	if (!IS_ALIGNED(req.length, src.alignment))
		goto out_fput;
	ret = -EOVERFLOW;
	if (check_add_overflow(req.offset, req.length, &end) || end > (u64)LLONG_MAX ||
	    req.length > ULONG_MAX || (req.placement != KPMEM_PLACE_ANYWHERE &&
				      req.addr + req.length < req.addr))
		goto out_fput;
	if (end > src.size) {
		ret = -ERANGE;
		if (src.kind == KPMEM_SOURCE_DEVDAX || req.flags & KPMEM_PART_DO_NOT_GROW)
			goto out_fput;
		ret = kpmem_source_grow(file, &src, end);
		if (ret)
			goto out_fput;
	}

	ret = -ENOMEM;
	part = kpmem_part_alloc();
	new_pmap = kpmem_pmap_alloc();
	if (!part || !new_pmap)
		goto out_free;

	mutex_lock(&set->lock);
	ret = kpmem_part_add_locked(set, file, &req, &src, part, &new_pmap);
	mutex_unlock(&set->lock);
	if (ret)
		goto out_free;
	part = NULL;	/* the set owns it now */

	req.granularity = src.granularity;
	req.source_kind = src.kind;
	req.alignment = src.alignment;
	req.source_size = src.size;
	if (copy_to_user(argp, &req, sizeof(req))) {
		/* The caller cannot learn of the part: take it back. */
		mutex_lock(&set->lock);
		kpmem_set_remove_range(set, req.addr, req.addr + req.length, &removed, &stale);
		mutex_unlock(&set->lock);
		ret = -EFAULT;
	}
out_free:
	kpmem_pmap_free(new_pmap);
	kpmem_part_free(part);
out_fput:
	fput(file);
	return ret;
}
