#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
pmemobj_replica_cmp.py LOCAL_PART EXPORT_FILE [--more-replicas]

Compares, on the target, the export backing a libpmemobj (PMDK 1.12, pool
layout major 6) remote replica with a copy of the initiator's local pool
file, byte for byte except for the ranges below.  Each is a range that
libpmemobj never replicates, so a replica can never match it; anything else
that differs is a write the replica lost and fails the comparison.
--more-replicas: the pool has more than one remote replica; the replicas
then link in a ring, and the check that local and remote link to each
other is left out.

  [0, 4096)  Page 0: each replica's own PMDK pool header (its own uuid,
             prev/next part and replica uuids, creation time, checksum); on
             the target the one the module built from the attributes
             libpmemobj gave rpmem_create() for the replica, as rpmemd
             would.  librpmem writes nothing below 4096.  Instead of bytes,
             the header is checked: PMDK's checksum right, same signature,
             version, features, pool set uuid and arch flags as the local
             header, the one part linked to itself, a creation time, and
             the two replicas linking to each other (remote next/prev
             replica = local uuid, local next/prev replica = remote uuid).

  [0x1a20, 0x2000)  The run-time half of struct pmemobjpool, from `addr`
             to the end of the 8 KiB descriptor: process pointers, locks,
             function pointers that libpmemobj keeps in the mapping and
             rebuilds at every open; it never persists them.

  chunk footers  The chunk header libpmemobj writes at the last chunk of a
             free huge block (type CHUNK_TYPE_FOOTER).  PMDK's heap.c:
             "no need to persist, footers are recreated in
             heap_populate_buckets" -- never flushed, so never replicated.

  volatile memory blocks  32 bytes at chunk data + 0x40 of a chunk that is
             free (a free huge chunk, or a run whose first unit is free):
             a struct memory_block {chunk_id, zone_id, size_idx, block_off,
             m_ops, heap} that libpmemobj's transient allocator state left
             in unallocated space.  It holds process addresses (`heap` is
             &pop->heap in the mapping of whichever process wrote it, so a
             user-space address 0x1a30 past a page boundary, which is how it
             is recognized here: the last process to open the pool need not
             be the one that wrote it), is never persisted and is no pool
             data.

Exit 0 when everything else is identical.
"""
import struct
import sys
import uuid

PAGE = 4096
RT_START = 0x1a20          # offsetof(struct pmemobjpool, addr)
RT_END = 0x2000            # sizeof(struct pmemobjpool)
HEAP_HDR = 1024            # struct heap_header
ZONE_HDR = 64              # struct zone_header
MAX_CHUNK = 65528          # chunk headers per zone
CHUNKSIZE = 256 * 1024
CHUNK_FOOTER, CHUNK_FREE, CHUNK_RUN = 1, 2, 4


def u(b, o):
    return str(uuid.UUID(bytes_le=bytes(b[o:o + 16])))


def checksum(h):
    """PMDK's util_checksum() of a pool header (CKSUM_2K: the first 2 KiB)."""
    end = 2048 if struct.unpack_from("<I", h, 16)[0] & 0x2 else 4088
    lo = hi = 0
    for i in range(PAGE // 4):
        if i * 4 < end:
            lo = (lo + struct.unpack_from("<I", h, i * 4)[0]) & 0xffffffff
        hi = (hi + lo) & 0xffffffff
    return hi << 32 | lo


def main():
    loc = open(sys.argv[1], "rb").read()
    exp = open(sys.argv[2], "rb").read()
    # With more than two replicas they link in a ring, not to each other.
    pair = sys.argv[3:] != ["--more-replicas"]
    bad = []
    n = len(loc)
    if len(exp) < n:
        print("export (%d bytes) smaller than the pool (%d)" % (len(exp), n))
        return 1

    # Page 0: the replica's PMDK pool header vs the local one.
    if struct.unpack_from("<Q", exp, 4088)[0] != checksum(exp):
        bad.append("replica header: PMDK checksum wrong")
    if exp[0:24] != loc[0:24]:
        bad.append("replica header: signature/version/features %s, local %s" %
                   (exp[0:24].hex(), loc[0:24].hex()))
    if u(exp, 24) != u(loc, 24):
        bad.append("pool set uuid: replica %s local %s" % (u(exp, 24), u(loc, 24)))
    if exp[128:144] != loc[128:144]:
        bad.append("arch flags: replica %s local %s" % (exp[128:144].hex(), loc[128:144].hex()))
    if not struct.unpack_from("<Q", exp, 120)[0]:
        bad.append("replica header: no creation time")
    if not (u(exp, 56) == u(exp, 72) == u(exp, 40)):
        bad.append("replica header: part links %s %s, uuid %s" % (u(exp, 56), u(exp, 72), u(exp, 40)))
    if pair and not (u(exp, 88) == u(exp, 104) == u(loc, 40) and
                     u(loc, 88) == u(loc, 104) == u(exp, 40)):
        bad.append("replica links: local uuid %s prev/next %s %s, remote uuid %s prev/next %s %s" %
                   (u(loc, 40), u(loc, 88), u(loc, 104), u(exp, 40), u(exp, 88),
                    u(exp, 104)))

    skip = [(0, PAGE, "pool header"), (RT_START, RT_END, "pmemobjpool run-time part")]

    # The heap, walked in the local copy.
    heap_off, = struct.unpack_from("<Q", loc, 0x1410)
    def heap_ptr(p):
        """Is @p &pop->heap (pop + 0x1a30) of some process's mapping?"""
        return 0 < p < 1 << 47 and (p - 0x1a30) % PAGE == 0
    zone = heap_off + HEAP_HDR
    while zone + ZONE_HDR + MAX_CHUNK * 8 <= n:
        magic, zsize = struct.unpack_from("<II", loc, zone)
        if magic == 0:
            break
        hdrs = zone + ZONE_HDR
        data = hdrs + MAX_CHUNK * 8
        for c in range(zsize):
            ctype, _, size_idx = struct.unpack_from("<HHI", loc, hdrs + c * 8)
            if ctype == CHUNK_FOOTER:
                skip.append((hdrs + c * 8, hdrs + c * 8 + 8, "footer of chunk %d" % c))
            mb = data + c * CHUNKSIZE + 0x40
            if mb + 32 > n or not heap_ptr(struct.unpack_from("<Q", loc, mb + 24)[0]):
                continue
            first_free = ctype == CHUNK_FREE or (
                ctype == CHUNK_RUN and not (loc[data + c * CHUNKSIZE + 16] & 1))
            if first_free:
                skip.append((mb, mb + 32, "volatile memory block in %s chunk %d" %
                            ("free" if ctype == CHUNK_FREE else "run (first unit free)", c)))
        zone += ZONE_HDR + MAX_CHUNK * 8 + zsize * CHUNKSIZE
        break  # a 16 MiB pool has one zone

    mask = bytearray(n)
    for s, e, _ in skip:
        mask[s:e] = b"\1" * (e - s)
    for p in range(0, n, PAGE):
        if loc[p:p + PAGE] == exp[p:p + PAGE]:
            continue
        for i in range(p, p + PAGE):
            if loc[i] != exp[i] and not mask[i]:
                j = i
                while j < p + PAGE and loc[j] != exp[j]:
                    j += 1
                bad.append("offset 0x%x+%d: local %s replica %s" %
                           (i, j - i, loc[i:j][:32].hex(), exp[i:j][:32].hex()))
                break
    if any(exp[n:]):
        bad.append("bytes past the pool are not zero")
    for s, e, why in skip:
        print("replica-local: [0x%x, 0x%x) %s" % (s, e, why))
    for b in bad:
        print("DIFFERS: " + b)
    print("replica vs local pool: %d bytes, %s" % (n, "identical outside the ranges above"
                                                     if not bad else "%d problems" % len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
