#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Split an 8 B remote persist's time into legs, kpmem against librpma.

Reads the output of bench/guest-latency-trace.sh (ftrace text of both
guests, per workload) and prints the median of each leg.  Timestamps of
different guests are never compared: the wire is what the initiator waited
for minus what the target held the request.
"""
import re
import statistics
import sys

LINE = re.compile(r'^\s*(\S+)-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): (.*)$')
SYSCALL = re.compile(r'^sys_(\w+)(\(| ->)')
SEND, WRITE, READ_RESP = 0x04, 0x0a, 0x10	# BTH opcodes (RC)
WARMUP = 50


def sections(path):
    """{'kpmem initiator': [(us, event, opcode, comm)], ...}"""
    out, cur = {}, None
    for line in open(path, errors='replace'):
        if line.startswith('=== '):
            cur = line[4:].strip()
            cur = None if cur == 'end' else out.setdefault(cur, [])
            continue
        m = LINE.match(line) if cur is not None else None
        if not m:
            continue
        comm, _, ts, rest = m.groups()
        sc = SYSCALL.match(rest)
        if sc:
            ev = ('sys_enter_' if sc.group(2) == '(' else 'sys_exit_') + sc.group(1)
        else:
            ev, _, rest = rest.partition(': ')
        op = re.search(r'op=(0x[0-9a-f]+|\d+)', rest)
        cur.append((float(ts) * 1e6, ev, int(op.group(1), 0) if op else None, comm))
    return out


def med(xs):
    return statistics.median(xs) if xs else float('nan')


def show(name, xs):
    print(f'  {name:<52} {med(xs):8.1f} us  (n={len(xs)})')


def legs(items, a, b):
    return [i[b] - i[a] for i in items if a in i and b in i]


def kpmem_initiator(events):
    calls, cur = [], None
    for ts, ev, op, comm in events:
        if ev == 'sys_enter_ioctl' and comm == 'rpmem_bench':
            cur = {'enter': ts}
        elif cur is None:
            continue
        elif ev == 'post' and 'post' not in cur:
            cur['post'] = ts
        elif ev == 'tx' and op == SEND and 'tx' not in cur:
            cur['tx'] = ts
        elif ev == 'rx':
            cur['last_rx'] = ts
        elif ev == 'rq' and op == SEND:
            cur['rx'], cur['rq'] = cur.get('last_rx', ts), ts
        elif ev == 'rdone' and 'rq' in cur and 'rdone' not in cur:
            cur['rdone'] = ts
        elif ev == 'sched_wakeup' and 'rdone' in cur and 'wake' not in cur:
            cur['wake'] = ts
        elif ev == 'sys_exit_ioctl' and comm == 'rpmem_bench':
            cur['exit'] = ts
            if 'tx' in cur and 'rx' in cur:
                calls.append(cur)
            cur = None
    return calls[WARMUP:]


def kpmem_target(events):
    reqs, cur, last_rx = [], None, None
    for ts, ev, op, _ in events:
        if ev == 'rx':
            last_rx = ts
        elif ev == 'rq' and op == SEND:
            cur = {'rx': last_rx if last_rx is not None else ts, 'rq': ts}
        elif cur is None:
            continue
        elif ev == 'rdone' and 'rdone' not in cur:
            cur['rdone'] = ts
        elif ev == 'post' and 'rdone' in cur and 'post' not in cur:
            cur['post'] = ts
        elif ev == 'tx' and op == SEND and 'post' in cur:
            cur['tx'] = ts
            reqs.append(cur)
            cur = None
    return reqs[WARMUP:]


def rpma_initiator(events):
    ops, cur = [], None
    for ts, ev, op, comm in events:
        if ev == 'sys_enter_write' and comm == 'rpma_bench' and cur is None:
            cur = {'enter': ts}
        elif cur is None:
            continue
        elif ev == 'tx' and op == WRITE and 'tx' not in cur:
            cur['tx'] = ts
        elif ev == 'rx':
            cur['last_rx'] = ts
        elif ev == 'cq' and op == READ_RESP:
            cur['rx'], cur['cq'] = cur.get('last_rx', ts), ts
        elif ev == 'sys_exit_read' and comm == 'rpma_bench' and 'cq' in cur:
            cur['exit'] = ts
            if 'tx' in cur:
                ops.append(cur)
            cur = None
    return ops[:200]


def rpma_target(events):
    res, last_rx, start = [], None, None
    for ts, ev, op, _ in events:
        if ev == 'rx':
            last_rx = ts
        elif ev == 'rq' and op == WRITE:
            start = last_rx if last_rx is not None else ts
        elif ev == 'tx' and op == READ_RESP and start is not None:
            res.append({'rx': start, 'tx': ts})
            start = None
    return res[:200]


# What each part prints: a heading, then (leg, from event, to event) rows.
REPORT = [
    ('kpmem rpmem_persist, 8 B, initiator:', 'ki', [
        ('ioctl entry -> ib_post_send', 'enter', 'post'),
        ('ib_post_send -> request on the wire (rxe send task)', 'post', 'tx'),
        ('request out -> reply in (wire + target)', 'tx', 'rx'),
        ('reply in -> rxe responder queue', 'rx', 'rq'),
        ('responder queue -> kpmem completion (rxe task)', 'rq', 'rdone'),
        ('completion -> caller woken', 'rdone', 'wake'),
        ('caller woken -> ioctl returns', 'wake', 'exit'),
        ('whole call', 'enter', 'exit')]),
    ('kpmem target:', 'kt', [
        ('request in -> rxe responder queue', 'rx', 'rq'),
        ('responder queue -> kpmem completion (rxe task)', 'rq', 'rdone'),
        ('completion -> reply posted (write-back, fence)', 'rdone', 'post'),
        ('reply posted -> reply on the wire (rxe send task)', 'post', 'tx'),
        ('held the request (request in -> reply out)', 'rx', 'tx')]),
    ('librpma write + persistent flush (read-after-write), 8 B, initiator:', 'ri', [
        ('first doorbell -> WRITE on the wire', 'enter', 'tx'),
        ('WRITE out -> READ response in (wire + target)', 'tx', 'rx'),
        ('READ response in -> completion read by the caller', 'rx', 'exit'),
        ('doorbell -> completion', 'enter', 'exit')]),
    ('librpma target (no consumer runs):', 'rt', [
        ('held it (WRITE in -> READ response out)', 'rx', 'tx')]),
]


def main(path):
    s = sections(path)
    ops = {'ki': kpmem_initiator(s.get('kpmem initiator', [])),
           'kt': kpmem_target(s.get('kpmem target', [])),
           'ri': rpma_initiator(s.get('rpma initiator', [])),
           'rt': rpma_target(s.get('rpma target', []))}
    if not all(ops.values()):
        sys.exit('latency_trace: a workload left no complete operations in the trace')
    for heading, key, rows in REPORT:
        print(heading)
        for name, a, b in rows:
            show(name, legs(ops[key], a, b))
    wire = {who: med(legs(ops[who + 'i'], 'tx', 'rx')) - med(legs(ops[who + 't'], 'rx', 'tx'))
            for who in ('k', 'r')}
    print(f'wire, both directions (difference of medians): kpmem {wire["k"]:.1f} us, '
          f'librpma {wire["r"]:.1f} us')


if __name__ == '__main__':
    main(sys.argv[1])
