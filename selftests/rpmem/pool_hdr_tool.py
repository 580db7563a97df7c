#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
pool_hdr_tool.py show FILE
pool_hdr_tool.py write-old FILE POOL_SIZE ATTR_HEX
pool_hdr_tool.py sha256 FILE

On a pair's target, for selftests/rpmem/pool_hdr_test: reads the pool
header at offset 0 of an export's backing file with PMDK 1.12.1's layout
(struct pool_hdr, src/common/pool_hdr.h; checksum as util_checksum()),
independently of the module, or writes kpmem 0.1's header there.

show prints one "key value" per line:
  zero 0|1            the first 4096 bytes are all zero
  checksum ok|bad     PMDK's checksum (CKSUM_2K: first 2 KiB only)
  crtime N            creation time, seconds
  parts-linked 0|1    prev/next part uuid = uuid (a one-part replica)
  attr HEX            the 104 bytes of struct rpmem_pool_attr rpmem_open()
                      must report (util_get_rpmem_attr())
write-old writes "KPMEMPL\\1", the pool size and the 104 attribute bytes,
leaving the rest of the file alone.
"""
import hashlib
import struct
import sys

PAGE = 4096


def checksum(h):
    incompat, = struct.unpack_from("<I", h, 16)
    end = 2048 if incompat & 0x2 else 4088
    lo = hi = 0
    for i in range(PAGE // 4):
        if i * 4 < end:
            lo = (lo + struct.unpack_from("<I", h, i * 4)[0]) & 0xffffffff
        hi = (hi + lo) & 0xffffffff
    return hi << 32 | lo


def show(path):
    with open(path, "rb") as f:
        h = f.read(PAGE)
    print("zero", int(not any(h)))
    print("checksum", "ok" if struct.unpack_from("<Q", h, 4088)[0] == checksum(h) else "bad")
    print("crtime", struct.unpack_from("<Q", h, 120)[0])
    print("parts-linked", int(h[56:72] == h[40:56] and h[72:88] == h[40:56]))
    # signature..poolset_uuid, uuid, next_repl (104), prev_repl (88), arch_flags
    attr = h[0:40] + h[40:56] + h[104:120] + h[88:104] + h[128:144]
    print("attr", attr.hex())


def write_old(path, pool_size, attr_hex):
    attr = bytes.fromhex(attr_hex)
    assert len(attr) == 104
    with open(path, "r+b") as f:
        f.write(b"KPMEMPL\x01" + struct.pack("<Q", pool_size) + attr)


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "show":
        show(path)
    elif cmd == "write-old":
        write_old(path, int(sys.argv[3], 0), sys.argv[4])
    elif cmd == "sha256":
        with open(path, "rb") as f:
            print(hashlib.sha256(f.read()).hexdigest())
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
