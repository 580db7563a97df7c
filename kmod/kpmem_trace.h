/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpmem's tracepoints (trace-cmd record -e kpmem, perf trace -e 'kpmem:*'):
 * connection setup and teardown on both sides, every state change, the
 * target's handling of each request, and the initiator's requests and
 * io_uring commands from submission to completion.  Kept out of the data
 * path files: they call trace_kpmem_*() and nothing else.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kpmem

#if !defined(KPMEM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define KPMEM_TRACE_H

#include <linux/socket.h>
#include <linux/tracepoint.h>

#include "compat.h"

/* ---- target ---------------------------------------------------------- */

TRACE_EVENT(kpmem_target_accept,
	TP_PROTO(const struct sockaddr *peer, u32 nlanes, int result),
	TP_ARGS(peer, nlanes, result),
	TP_STRUCT__entry(
		__array(u8, peer, sizeof(struct sockaddr_in6))
		__field(u32, nlanes)
		__field(int, result)
	),
	TP_fast_assign(
		memset(__entry->peer, 0, sizeof(__entry->peer));
		memcpy(__entry->peer, peer, peer->sa_family == AF_INET6 ?
		       sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
		__entry->nlanes = nlanes;
		__entry->result = result;
	),
	TP_printk("peer=%pISpc nlanes=%u result=%d", __entry->peer, __entry->nlanes,
		  __entry->result)
);

TRACE_EVENT(kpmem_target_state,
	TP_PROTO(const void *conn, const struct sockaddr *peer, const char *from, const char *to),
	TP_ARGS(conn, peer, from, to),
	TP_STRUCT__entry(
		__field(const void *, conn)
		__array(u8, peer, sizeof(struct sockaddr_in6))
		__string(from, from)
		__string(to, to)
	),
	TP_fast_assign(
		__entry->conn = conn;
		memset(__entry->peer, 0, sizeof(__entry->peer));
		memcpy(__entry->peer, peer, peer->sa_family == AF_INET6 ?
		       sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
		kpmem_assign_str(from, from);
		kpmem_assign_str(to, to);
	),
	TP_printk("conn=%p peer=%pISpc %s -> %s", __entry->conn, __entry->peer,
		  __get_str(from), __get_str(to))
);

TRACE_EVENT(kpmem_target_hello,
	TP_PROTO(const void *conn, const char *export, u32 op, u32 nlanes, int result),
	TP_ARGS(conn, export, op, nlanes, result),
	TP_STRUCT__entry(
		__field(const void *, conn)
		__string(export, export)
		__field(u32, op)
		__field(u32, nlanes)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->conn = conn;
		kpmem_assign_str(export, export);
		__entry->op = op;
		__entry->nlanes = nlanes;
		__entry->result = result;
	),
	TP_printk("conn=%p export=%s op=%u nlanes=%u result=%d", __entry->conn,
		  __get_str(export), __entry->op, __entry->nlanes, __entry->result)
);

/* One request served by the target: what it asked, what it got. */
TRACE_EVENT(kpmem_target_request,
	TP_PROTO(const void *conn, u16 type, u16 lane, u64 offset, u32 length, int result),
	TP_ARGS(conn, type, lane, offset, length, result),
	TP_STRUCT__entry(
		__field(const void *, conn)
		__field(u16, type)
		__field(u16, lane)
		__field(u64, offset)
		__field(u32, length)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->conn = conn;
		__entry->type = type;
		__entry->lane = lane;
		__entry->offset = offset;
		__entry->length = length;
		__entry->result = result;
	),
	TP_printk("conn=%p type=%u lane=%u offset=%llu length=%u result=%d", __entry->conn,
		  __entry->type, __entry->lane, __entry->offset, __entry->length,
		  __entry->result)
);

/* ---- initiator ---------------------------------------------------------- */

TRACE_EVENT(kpmem_pool_state,
	TP_PROTO(const void *pool, const char *from, const char *to),
	TP_ARGS(pool, from, to),
	TP_STRUCT__entry(
		__field(const void *, pool)
		__string(from, from)
		__string(to, to)
	),
	TP_fast_assign(
		__entry->pool = pool;
		kpmem_assign_str(from, from);
		kpmem_assign_str(to, to);
	),
	TP_printk("pool=%p %s -> %s", __entry->pool, __get_str(from), __get_str(to))
);

TRACE_EVENT(kpmem_pool_connect,
	TP_PROTO(const void *pool, const struct sockaddr *target, const char *export, u32 op,
		 int result),
	TP_ARGS(pool, target, export, op, result),
	TP_STRUCT__entry(
		__field(const void *, pool)
		__array(u8, target, sizeof(struct sockaddr_in6))
		__string(export, export)
		__field(u32, op)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->pool = pool;
		memset(__entry->target, 0, sizeof(__entry->target));
		memcpy(__entry->target, target, target->sa_family == AF_INET6 ?
		       sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
		kpmem_assign_str(export, export);
		__entry->op = op;
		__entry->result = result;
	),
	TP_printk("pool=%p target=%pISpc export=%s op=%u result=%d", __entry->pool,
		  __entry->target, __get_str(export), __entry->op, __entry->result)
);

TRACE_EVENT(kpmem_pool_fail,
	TP_PROTO(const void *pool, int error, const char *why),
	TP_ARGS(pool, error, why),
	TP_STRUCT__entry(
		__field(const void *, pool)
		__field(int, error)
		__string(why, why)
	),
	TP_fast_assign(
		__entry->pool = pool;
		__entry->error = error;
		kpmem_assign_str(why, why);
	),
	TP_printk("pool=%p error=%d why=%s", __entry->pool, __entry->error, __get_str(why))
);

/* A request leaves a lane (with its RDMA transfer, if any) ... */
TRACE_EVENT(kpmem_lane_submit,
	TP_PROTO(const void *pool, u16 lane, u16 type, u64 offset, u32 length),
	TP_ARGS(pool, lane, type, offset, length),
	TP_STRUCT__entry(
		__field(const void *, pool)
		__field(u16, lane)
		__field(u16, type)
		__field(u64, offset)
		__field(u32, length)
	),
	TP_fast_assign(
		__entry->pool = pool;
		__entry->lane = lane;
		__entry->type = type;
		__entry->offset = offset;
		__entry->length = length;
	),
	TP_printk("pool=%p lane=%u type=%u offset=%llu length=%u", __entry->pool, __entry->lane,
		  __entry->type, __entry->offset, __entry->length)
);

/* ... and is over: its send completed and its reply (or last READ) arrived. */
TRACE_EVENT(kpmem_lane_complete,
	TP_PROTO(const void *pool, u16 lane, u16 type, int result),
	TP_ARGS(pool, lane, type, result),
	TP_STRUCT__entry(
		__field(const void *, pool)
		__field(u16, lane)
		__field(u16, type)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->pool = pool;
		__entry->lane = lane;
		__entry->type = type;
		__entry->result = result;
	),
	TP_printk("pool=%p lane=%u type=%u result=%d", __entry->pool, __entry->lane,
		  __entry->type, __entry->result)
);

/* An io_uring command queued on its lane ... */
TRACE_EVENT(kpmem_uring_submit,
	TP_PROTO(const void *pool, const void *cmd, u16 lane, u8 op, u64 offset, u32 length),
	TP_ARGS(pool, cmd, lane, op, offset, length),
	TP_STRUCT__entry(
		__field(const void *, pool)
		__field(const void *, cmd)
		__field(u16, lane)
		__field(u8, op)
		__field(u64, offset)
		__field(u32, length)
	),
	TP_fast_assign(
		__entry->pool = pool;
		__entry->cmd = cmd;
		__entry->lane = lane;
		__entry->op = op;
		__entry->offset = offset;
		__entry->length = length;
	),
	TP_printk("pool=%p cmd=%p lane=%u op=%u offset=%llu length=%u", __entry->pool,
		  __entry->cmd, __entry->lane, __entry->op, __entry->offset, __entry->length)
);

/* ... and its CQE result, when its lane served it. */
TRACE_EVENT(kpmem_uring_complete,
	TP_PROTO(const void *cmd, int result),
	TP_ARGS(cmd, result),
	TP_STRUCT__entry(
		__field(const void *, cmd)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->cmd = cmd;
		__entry->result = result;
	),
	TP_printk("cmd=%p result=%d", __entry->cmd, __entry->result)
);

#endif /* KPMEM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kpmem_trace
#include <trace/define_trace.h>
