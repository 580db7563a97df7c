/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rpmem wire protocol between a kpmem initiator and a kpmem target.
 *
 * Connection: rdma_cm over RC, REQ private data struct kpmem_wire_cm_req.
 * Then every exchange is one request SEND from the initiator and one reply
 * SEND from the target, on a lane: a lane has at most one request in
 * flight, so the target needs one receive buffer per lane.  All integers
 * are little endian; every field is checked by the receiver before use.
 *
 * Data moves in one of two ways.  When the export is memory the target can
 * register (device DAX), the HELLO reply hands the initiator one rkey per
 * segment of the pool past its header, registered for this connection
 * only; the initiator RDMA WRITEs the data and then sends PERSIST_RANGES
 * naming what it wrote (RC ordering places the writes first), and it RDMA
 * READs pool data back without involving the target.  Small persists, the
 * header, and exports the target cannot register (files) travel inline in
 * PERSIST and READ messages instead.
 */
#ifndef KPMEM_RPMEM_WIRE_H
#define KPMEM_RPMEM_WIRE_H

#include <linux/kpmem.h>
#include <linux/types.h>

#define KPMEM_WIRE_MAGIC	0x4b504d4d	/* "KPMM" */
#define KPMEM_WIRE_VERSION	4

/* One message: header and inline data. */
#define KPMEM_WIRE_MSG_SIZE	(64 * 1024)
#define KPMEM_WIRE_MAX_DATA	(KPMEM_WIRE_MSG_SIZE - sizeof(struct kpmem_wire_hdr))
#define KPMEM_WIRE_MAX_LANES	64
/* Persists up to this size go inline even when RDMA WRITE is available. */
#define KPMEM_WIRE_INLINE_MAX	4096
/* Bytes one PERSIST_RANGES request may ask the target to write back. */
#define KPMEM_WIRE_MAX_RANGES_BYTES	(64ULL << 20)
/* Longest KEEPALIVE period an initiator may announce. */
#define KPMEM_WIRE_MAX_KEEPALIVE_MS	60000

/*
 * Authentication (rpmem_auth.c).  Each side sends a random nonce with its
 * part of the connection handshake.  When the export has a pre-shared key,
 * both derive a connection key from it and both nonces (HKDF-SHA256), the
 * initiator's HELLO carries a MAC under that key over everything HELLO
 * asks for and both addresses, and the target's reply carries a MAC over
 * everything it answers and the initiator's MAC: each side proves it holds
 * the key, for this connection only.
 */
#define KPMEM_WIRE_NONCE_LEN	32
#define KPMEM_WIRE_MAC_LEN	32

enum kpmem_wire_auth {
	KPMEM_WIRE_AUTH_NONE = 0,
	KPMEM_WIRE_AUTH_PSK = 1,	/* @mac is HMAC-SHA256 under the connection key */
};

/* REQ private data: 40 bytes (RoCE's CM leaves 56 to rdma_cm users). */
struct kpmem_wire_cm_req {
	__le32 magic;
	__le16 version;
	__le16 nlanes;		/* receive buffers the initiator needs served */
	__u8 nonce[KPMEM_WIRE_NONCE_LEN];
};

/* REP private data. */
struct kpmem_wire_cm_rep {
	__le32 magic;
	__le32 reserved;
	__u8 nonce[KPMEM_WIRE_NONCE_LEN];
};

/* REJ private data: why the target refused the connection. */
struct kpmem_wire_cm_rej {
	__le32 magic;
	__le32 status;		/* positive errno */
};

enum kpmem_wire_type {
	KPMEM_WIRE_HELLO = 1,		/* data: struct kpmem_wire_hello */
	KPMEM_WIRE_PERSIST = 2,		/* data: the bytes for [offset, offset + length) */
	KPMEM_WIRE_READ = 3,		/* reply data: the bytes read */
	KPMEM_WIRE_SET_ATTR = 4,	/* data: struct kpmem_pool_attr */
	KPMEM_WIRE_CLOSE = 5,		/* the initiator is done with the export */
	KPMEM_WIRE_PERSIST_RANGES = 6,	/* data: struct kpmem_wire_range[], already written */
	KPMEM_WIRE_KEEPALIVE = 7,	/* nothing: an idle initiator is still there */
	KPMEM_WIRE_REPLY = 0x80,	/* or-ed into the type of a reply */
};

/* kpmem_wire_hdr.flags */
#define KPMEM_WIRE_DEEP		BIT(0)

struct kpmem_wire_hdr {
	__le16 type;
	__le16 lane;
	__le32 status;		/* replies: 0 or a positive errno */
	__le64 seq;		/* echoed in the reply */
	__le64 offset;
	__le32 length;		/* bytes of data following the header */
	__le32 flags;
};

/* HELLO is the first and only message of a connection until it is answered. */
struct kpmem_wire_hello {
	__le32 op;		/* enum kpmem_pool_op */
	__le32 flags;		/* KPMEM_POOL_* */
	__le64 pool_size;
	__le32 nlanes;
	__le32 name_len;
	char name[KPMEM_NAME_MAX + 1];
	struct kpmem_pool_attr attr;
	__le32 auth;		/* enum kpmem_wire_auth */
	__le32 keepalive_ms;	/* an idle initiator's KEEPALIVE period; 0: none */
	__u8 mac[KPMEM_WIRE_MAC_LEN];	/* the initiator's proof (AUTH_PSK) */
};

#define KPMEM_WIRE_HELLO_MSG_SIZE \
	(sizeof(struct kpmem_wire_hdr) + sizeof(struct kpmem_wire_hello))

struct kpmem_wire_hello_reply {
	__le64 export_size;
	__le32 nlanes;		/* granted */
	__le32 hdr_size;
	struct kpmem_pool_attr attr;
	__le32 nsegs;		/* struct kpmem_wire_seg entries following */
	__le32 auth;		/* enum kpmem_wire_auth */
	__u8 mac[KPMEM_WIRE_MAC_LEN];	/* the target's proof, over this and the segments */
};

/*
 * Pool bytes [offset, offset + length) are remote memory at @addr under
 * @rkey (RDMA WRITE and READ).  Segments are sorted and, together, cover
 * exactly [hdr_size, pool_size).
 */
struct kpmem_wire_seg {
	__le64 offset;
	__le64 length;
	__le64 addr;
	__le32 rkey;
	__le32 reserved;
};

#define KPMEM_WIRE_MAX_SEGS \
	((KPMEM_WIRE_MAX_DATA - sizeof(struct kpmem_wire_hello_reply)) / \
	 sizeof(struct kpmem_wire_seg))

/* PERSIST_RANGES: pool bytes the initiator has RDMA-written. */
struct kpmem_wire_range {
	__le64 offset;
	__le64 length;
};

#define KPMEM_WIRE_MAX_RANGES	(KPMEM_WIRE_MAX_DATA / sizeof(struct kpmem_wire_range))

#endif /* KPMEM_RPMEM_WIRE_H */
