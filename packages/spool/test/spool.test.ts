// The spool keeps records across restarts and crashes, skips a torn last record, stays within its size
// bound by the configured policy, and forgets records only once they are acknowledged.
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { decodeFrames, encodeFrame, Spool, type SpoolOptions } from '@vigil/spool'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

interface Row {
  n: number
  text: string
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-spool-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const rows = (from: number, count: number): Row[] =>
  Array.from({ length: count }, (_, i) => ({ n: from + i, text: `measurement ${from + i}` }))

function open(options: Partial<SpoolOptions> = {}): Spool<Row> {
  return Spool.open<Row>({ dir, maxBytes: 1_048_576, fullPolicy: 'drop_oldest', ...options })
}

const segments = () =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.seg'))
    .sort()

describe('frames', () => {
  it('round-trips records and stops at a flipped bit', () => {
    const frames = Buffer.concat([encodeFrame({ a: 1 }), encodeFrame({ b: 'два' })])
    const decoded = decodeFrames(frames, 0)
    expect(decoded.records.map((r) => JSON.parse(r.toString()))).toEqual([{ a: 1 }, { b: 'два' }])
    expect(decoded.damage).toBeUndefined()
    frames[frames.length - 2]! ^= 0x01
    const damaged = decodeFrames(frames, 0)
    expect(damaged.records).toHaveLength(1)
    expect(damaged.damage).toBe('bad_checksum')
  })

  it('treats a zero-filled tail as damage, not as empty records', () => {
    const decoded = decodeFrames(Buffer.concat([encodeFrame({ a: 1 }), Buffer.alloc(16)]), 0)
    expect(decoded.records).toHaveLength(1)
    expect(decoded.damage).toBe('bad_length')
  })
})

describe('Spool', () => {
  it('reads records in order and keeps unacknowledged ones across a reopen', () => {
    const spool = open({ segmentBytes: 200 })
    expect(spool.append(rows(0, 10))).toEqual({ appended: 10, refused: 0, dropped: 0 })
    expect(segments().length).toBeGreaterThan(1)
    const first = spool.read(4)
    expect(first.map((e) => [e.seq, e.record.n])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
    ])
    spool.ack(first[3]!.seq)
    expect(spool.stats().backlog).toBe(6)
    spool.close()

    // As after a crash: nothing was closed cleanly, only what was fsynced counts.
    const reopened = open({ segmentBytes: 200 })
    expect(reopened.stats()).toMatchObject({ nextSeq: 10, backlog: 6 })
    expect(reopened.read(100).map((e) => e.record.n)).toEqual([4, 5, 6, 7, 8, 9])
    reopened.append(rows(10, 2))
    expect(reopened.read(100).map((e) => e.seq)).toEqual([4, 5, 6, 7, 8, 9, 10, 11])
    reopened.close()
  })

  it('deletes segments once every record in them is acknowledged, and keeps seqs after that', () => {
    const spool = open({ segmentBytes: 100 })
    spool.append(rows(0, 6))
    const before = segments().length
    spool.ack(5)
    expect(segments()).toHaveLength(0)
    expect(before).toBeGreaterThan(1)
    spool.close()
    const reopened = open({ segmentBytes: 100 })
    expect(reopened.stats()).toMatchObject({ nextSeq: 6, backlog: 0 })
    reopened.append(rows(6, 1))
    expect(reopened.read(10)).toEqual([{ seq: 6, record: { n: 6, text: 'measurement 6' } }])
    reopened.close()
  })

  it('skips a torn last record with a warning and appends after the last good one', () => {
    const spool = open()
    spool.append(rows(0, 3))
    spool.close()
    const [segment] = segments()
    const file = path.join(dir, segment!)
    truncateSync(file, statSync(file).size - 5)

    const warnings: Array<{ message: string; details: Record<string, unknown> }> = []
    const reopened = open({ onWarning: (message, details) => warnings.push({ message, details }) })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.message).toContain('torn')
    expect(warnings[0]!.details.damage).toBe('torn_payload')
    expect(reopened.stats()).toMatchObject({ nextSeq: 2, backlog: 2, skippedOnOpen: 1 })
    reopened.append(rows(100, 1))
    expect(reopened.read(10).map((e) => e.record.n)).toEqual([0, 1, 100])
    reopened.close()
    expect(
      open()
        .read(10)
        .map((e) => e.record.n),
    ).toEqual([0, 1, 100])
  })

  it('reads a segment many reads long in order, a record longer than one read whole, and reopens it', () => {
    // Segment files are read half a MiB at a time: 4,000 records of about 300 bytes span several reads,
    // and a 1.3 MB record is longer than one.
    const padded = (from: number, count: number): Row[] =>
      rows(from, count).map((row) => ({ ...row, text: row.text.padEnd(300, '.') }))
    const big: Row = { n: 2_000, text: 'ж'.repeat(650_000) }
    const spool = open({ maxBytes: 64 * 1_048_576, segmentBytes: 16 * 1_048_576 })
    spool.append([...padded(0, 2_000), big, ...padded(2_001, 2_000)])
    expect(segments()).toHaveLength(1)
    const seen: number[] = []
    let acked = 0
    for (let batch = spool.read(700); batch.length > 0; batch = spool.read(700)) {
      for (const entry of batch) {
        expect(entry.seq).toBe(entry.record.n)
        if (entry.record.n === 2_000) expect(entry.record).toEqual(big)
        seen.push(entry.record.n)
      }
      // Half of the batch acknowledged: the next read starts inside what was read already.
      acked = batch[Math.floor(batch.length / 2)]!.seq + 1
      spool.ack(acked - 1)
      if (batch.length < 700) break
    }
    expect(seen.slice(0, 700)).toEqual(Array.from({ length: 700 }, (_, i) => i))
    expect(new Set(seen).size).toBe(4_001)
    spool.close()

    // Reopened: counted through every read, the cut tail found past the first read.
    const [segment] = segments()
    const file = path.join(dir, segment!)
    truncateSync(file, statSync(file).size - 3)
    const warnings: Array<{ message: string; details: Record<string, unknown> }> = []
    const reopened = open({ onWarning: (message, details) => warnings.push({ message, details }) })
    expect(warnings).toHaveLength(1)
    const lastFrame = encodeFrame(padded(4_000, 1)[0]).length
    expect(warnings[0]!.details).toMatchObject({ damage: 'torn_payload', bytesSkipped: lastFrame - 3 })
    expect(reopened.stats()).toMatchObject({ nextSeq: 4_000, backlog: 4_000 - acked })
    expect(reopened.read(10_000).map((e) => e.record.n)).toEqual(
      Array.from({ length: 4_000 - acked }, (_, i) => acked + i),
    )
    reopened.close()
  })

  it('skips garbage written after the last record (a torn header)', () => {
    const spool = open()
    spool.append(rows(0, 2))
    spool.close()
    appendFileSync(path.join(dir, segments()[0]!), Buffer.from([0, 0, 1]))
    const warnings: string[] = []
    const reopened = open({ onWarning: (message) => warnings.push(message) })
    expect(warnings).toHaveLength(1)
    expect(reopened.read(10).map((e) => e.record.n)).toEqual([0, 1])
    reopened.close()
  })

  it('drop_oldest: deletes the oldest segments to stay within maxBytes, and counts what was lost', () => {
    const frame = encodeFrame(rows(0, 1)[0]).length
    const spool = open({ maxBytes: frame * 10, segmentBytes: frame * 2, fullPolicy: 'drop_oldest' })
    expect(spool.append(rows(0, 10)).appended).toBe(10)
    const result = spool.append(rows(10, 3))
    expect(result).toEqual({ appended: 3, refused: 0, dropped: 4 })
    expect(spool.stats()).toMatchObject({ droppedTotal: 4, backlog: 9 })
    expect(spool.stats().bytes).toBeLessThanOrEqual(frame * 10)
    expect(spool.read(100).map((e) => e.record.n)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12])
    spool.close()
  })

  it('stop: refuses new records when full and counts them, keeping every older one', () => {
    const frame = encodeFrame(rows(0, 1)[0]).length
    const spool = open({ maxBytes: frame * 5, segmentBytes: frame * 2, fullPolicy: 'stop' })
    expect(spool.append(rows(0, 4))).toEqual({ appended: 4, refused: 0, dropped: 0 })
    expect(spool.append(rows(4, 3))).toEqual({ appended: 1, refused: 2, dropped: 0 })
    expect(spool.stats()).toMatchObject({ refusedTotal: 2, backlog: 5 })
    // Acknowledged records make room again.
    spool.ack(spool.read(2)[1]!.seq)
    expect(spool.append(rows(7, 2)).appended).toBe(2)
    expect(spool.read(100).map((e) => e.record.n)).toEqual([2, 3, 4, 7, 8])
    spool.close()
  })

  it('reads the acknowledgement written before a crash, and a missing one as nothing acknowledged', () => {
    const spool = open()
    spool.append(rows(0, 5))
    spool.ack(1)
    spool.close()
    expect(
      open()
        .read(10)
        .map((e) => e.seq),
    ).toEqual([2, 3, 4])
    rmSync(path.join(dir, 'ack.json'))
    expect(
      open()
        .read(10)
        .map((e) => e.seq),
    ).toEqual([0, 1, 2, 3, 4])
    writeFileSync(path.join(dir, 'ack.json'), '{"next":')
    const warnings: string[] = []
    expect(open({ onWarning: (m) => warnings.push(m) }).stats().backlog).toBe(5)
    expect(warnings[0]).toContain('acknowledgement')
  })
})
