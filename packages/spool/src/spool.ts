// A durable local queue for an agent that cannot reach its api: append-only segment files of framed JSON
// records, fsynced per append, bounded in size, readable after a crash, with an acknowledged position.
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import path from 'node:path'
import { VigilError } from '@vigil/errors'
import { decodeFrames, encodeFrame, type FrameDamage } from './frame.js'

export type SpoolFullPolicy = 'drop_oldest' | 'stop'

export interface SpoolOptions {
  dir: string
  /** Upper bound of the segment files' total size. */
  maxBytes: number
  /** When full: delete the oldest segments (their records are lost, counted) or refuse new records (counted). */
  fullPolicy: SpoolFullPolicy
  /** A segment is closed and a new one begun past this size; defaults to a sixteenth of maxBytes. */
  segmentBytes?: number
  /** Damage found and skipped while opening (a torn last record after a crash). */
  onWarning?(message: string, details: Record<string, unknown>): void
}

export interface SpoolEntry<T> {
  /** Position of the record in the spool: increases by one per appended record, never reused. */
  seq: number
  record: T
}

export interface AppendResult {
  appended: number
  /** Records of this batch refused because the spool is full (policy `stop`, or a batch larger than it). */
  refused: number
  /** Older records deleted unsent to make room (policy `drop_oldest`). */
  dropped: number
}

export interface SpoolStats {
  /** The seq the next appended record gets. */
  nextSeq: number
  /** Records appended and not yet acknowledged. */
  backlog: number
  bytes: number
  droppedTotal: number
  refusedTotal: number
  /** Damaged records skipped when the spool was opened. */
  skippedOnOpen: number
}

interface Segment {
  firstSeq: number
  count: number
  bytes: number
  file: string
}

const SEGMENT_SUFFIX = '.seg'
const ACK_FILE = 'ack.json'

export class Spool<T> {
  private readonly segments: Segment[] = []
  private activeFd: number | undefined
  private nextSeq = 0
  private ackedNext = 0
  private droppedTotal = 0
  private refusedTotal = 0
  private skippedOnOpen = 0
  private readonly segmentBytes: number
  // Where the last read stopped, so the next read of the same segment does not decode it from the start.
  private readCursor: { seq: number; file: string; offset: number } | undefined

  private constructor(private readonly options: SpoolOptions) {
    this.segmentBytes =
      options.segmentBytes ?? Math.min(8 * 1_048_576, Math.max(4_096, Math.floor(options.maxBytes / 16)))
  }

  /** Opens (or creates) the spool in `dir`, recovering what a crash left behind. */
  static open<T>(options: SpoolOptions): Spool<T> {
    const spool = new Spool<T>(options)
    spool.recover()
    return spool
  }

  private recover(): void {
    const { dir } = this.options
    try {
      mkdirSync(dir, { recursive: true })
    } catch (cause) {
      throw new VigilError('SPOOL_UNUSABLE', `cannot create the spool directory ${dir}`, { cause })
    }
    const files = readdirSync(dir)
      .filter((name) => /^\d{16}\.seg$/.test(name))
      .sort()
    for (const [index, name] of files.entries()) {
      const file = path.join(dir, name)
      let count = 0
      let size = 0
      const decoded = withFile(file, 'r', (fd) => {
        size = fstatSync(fd).size
        return scanFrames(fd, 0, size, () => {
          count += 1
          return true
        })
      })
      const segment = {
        firstSeq: Number(name.slice(0, -SEGMENT_SUFFIX.length)),
        count,
        bytes: decoded.end,
        file,
      }
      if (decoded.damage) {
        this.skippedOnOpen += 1
        const last = index === files.length - 1
        this.options.onWarning?.(
          last
            ? 'the last spooled record is torn (the agent stopped mid-write); skipped it'
            : 'a spooled record is damaged; skipped it and the rest of its segment',
          {
            segment: name,
            offset: decoded.end,
            damage: decoded.damage,
            bytesSkipped: size - decoded.end,
          },
        )
        // Later appends must follow the last good record, so the torn bytes are cut off.
        if (last) {
          const fd = openSync(file, 'r+')
          try {
            ftruncateSync(fd, decoded.end)
            fsyncSync(fd)
          } finally {
            closeSync(fd)
          }
        }
      }
      this.segments.push(segment)
    }
    const ack = this.readAck()
    const last = this.segments[this.segments.length - 1]
    this.nextSeq = Math.max(last ? last.firstSeq + last.count : 0, ack)
    this.ackedNext = Math.min(ack, this.nextSeq)
    this.deleteAcknowledgedSegments()
  }

  private readAck(): number {
    try {
      const parsed = JSON.parse(readFileSync(path.join(this.options.dir, ACK_FILE), 'utf8')) as {
        next?: unknown
      }
      return typeof parsed.next === 'number' && Number.isSafeInteger(parsed.next) && parsed.next >= 0
        ? parsed.next
        : 0
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0
      // The file is replaced by rename, so it is whole or absent; anything else is outside damage.
      this.options.onWarning?.('the acknowledgement file is unreadable; resending from the oldest record', {
        error: (error as Error).message,
      })
      return 0
    }
  }

  /** Appends records durably (one write and one fsync for the batch); returns what was kept. */
  append(records: T[]): AppendResult {
    if (records.length === 0) return { appended: 0, refused: 0, dropped: 0 }
    const frames = records.map((record) => encodeFrame(record))
    let dropped = 0
    let incoming = frames.reduce((n, frame) => n + frame.length, 0)
    if (this.totalBytes() + incoming > this.options.maxBytes && this.options.fullPolicy === 'drop_oldest') {
      while (this.segments.length > 0 && this.totalBytes() + incoming > this.options.maxBytes) {
        dropped += this.dropOldestSegment()
      }
    }
    // Keep the prefix that fits; the rest is refused (policy `stop`, or a batch larger than the spool).
    let accepted = frames.length
    while (accepted > 0 && this.totalBytes() + incoming > this.options.maxBytes) {
      accepted -= 1
      incoming -= frames[accepted]!.length
    }
    const refused = frames.length - accepted
    this.refusedTotal += refused
    this.droppedTotal += dropped
    if (accepted === 0) return { appended: 0, refused, dropped }

    // A large batch is split over segments, so dropping the oldest segment never loses more than one.
    let written = 0
    while (written < accepted) {
      const segment = this.activeSegment()
      let count = 1
      let bytes = frames[written]!.length
      while (
        written + count < accepted &&
        segment.bytes + bytes + frames[written + count]!.length <= this.segmentBytes
      ) {
        bytes += frames[written + count]!.length
        count += 1
      }
      this.writeToActive(segment, Buffer.concat(frames.slice(written, written + count)))
      segment.count += count
      this.nextSeq += count
      written += count
    }
    return { appended: accepted, refused, dropped }
  }

  private writeToActive(segment: Segment, buffer: Buffer): void {
    const fd = this.activeFd!
    try {
      let written = 0
      while (written < buffer.length) written += writeSync(fd, buffer, written, buffer.length - written)
      fsyncSync(fd)
    } catch (cause) {
      // Leave no half batch behind: the next append must start on a record boundary.
      try {
        ftruncateSync(fd, segment.bytes)
      } catch {}
      throw new VigilError('SPOOL_WRITE_FAILED', `cannot write to the spool segment ${segment.file}`, {
        cause,
      })
    }
    segment.bytes += buffer.length
  }

  /** Up to `max` of the oldest unacknowledged records, in order. */
  read(max: number): SpoolEntry<T>[] {
    const entries: SpoolEntry<T>[] = []
    let seq = this.ackedNext
    for (const segment of this.segments) {
      if (entries.length >= max) break
      if (segment.firstSeq + segment.count <= seq) continue
      seq = Math.max(seq, segment.firstSeq)
      const cursor = this.readCursor
      const fromCursor = cursor !== undefined && cursor.file === segment.file && cursor.seq === seq
      const offset = fromCursor ? cursor.offset : 0
      let skip = fromCursor ? 0 : seq - segment.firstSeq
      // Only as much of the segment as the records asked for, a chunk at a time: a segment is up to
      // 8 MiB and a batch usually a fraction of it.
      let consumedTo = offset
      withFile(segment.file, 'r', (fd) => {
        const end = Math.min(segment.bytes, fstatSync(fd).size)
        scanFrames(fd, offset, end, (payload, recordEnd) => {
          if (skip > 0) {
            skip -= 1
          } else {
            entries.push({ seq, record: JSON.parse(payload.toString('utf8')) as T })
            seq += 1
          }
          consumedTo = recordEnd
          return entries.length < max
        })
      })
      this.readCursor = { seq, file: segment.file, offset: consumedTo }
    }
    return entries
  }

  /** Marks every record up to and including `seq` as delivered; fully delivered segments are deleted. */
  ack(seq: number): void {
    const next = Math.min(seq + 1, this.nextSeq)
    if (next <= this.ackedNext) return
    this.ackedNext = next
    const file = path.join(this.options.dir, ACK_FILE)
    const temporary = `${file}.tmp`
    const fd = openSync(temporary, 'w')
    try {
      writeFileSync(fd, JSON.stringify({ next }))
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    // Rename replaces the file whole: after a crash the old or the new position is read, never a mix.
    renameSync(temporary, file)
    syncDirectory(this.options.dir)
    this.deleteAcknowledgedSegments()
  }

  stats(): SpoolStats {
    let backlog = 0
    for (const segment of this.segments) {
      const end = segment.firstSeq + segment.count
      backlog += Math.max(0, end - Math.max(segment.firstSeq, this.ackedNext))
    }
    return {
      nextSeq: this.nextSeq,
      backlog,
      bytes: this.totalBytes(),
      droppedTotal: this.droppedTotal,
      refusedTotal: this.refusedTotal,
      skippedOnOpen: this.skippedOnOpen,
    }
  }

  close(): void {
    if (this.activeFd !== undefined) closeSync(this.activeFd)
    this.activeFd = undefined
  }

  private totalBytes(): number {
    return this.segments.reduce((n, segment) => n + segment.bytes, 0)
  }

  /** The segment appends go to: the last one while it has room, else a new one named by its first seq. */
  private activeSegment(): Segment {
    const last = this.segments[this.segments.length - 1]
    if (last && last.bytes < this.segmentBytes && last.firstSeq + last.count === this.nextSeq) {
      this.activeFd ??= openSync(last.file, 'a')
      return last
    }
    this.close()
    const file = path.join(this.options.dir, `${String(this.nextSeq).padStart(16, '0')}${SEGMENT_SUFFIX}`)
    this.activeFd = openSync(file, 'a')
    syncDirectory(this.options.dir)
    const segment = { firstSeq: this.nextSeq, count: 0, bytes: 0, file }
    this.segments.push(segment)
    return segment
  }

  /** Deletes the oldest segment; returns how many of its records had not been delivered. */
  private dropOldestSegment(): number {
    const oldest = this.segments.shift()!
    if (this.segments.length === 0) this.close()
    unlinkSync(oldest.file)
    const end = oldest.firstSeq + oldest.count
    return Math.max(0, end - Math.max(oldest.firstSeq, this.ackedNext))
  }

  private deleteAcknowledgedSegments(): void {
    while (this.segments.length > 0) {
      const oldest = this.segments[0]!
      if (oldest.firstSeq + oldest.count > this.ackedNext) break
      // The active segment goes too once delivered; the next append starts a new one.
      if (this.segments.length === 1) this.close()
      this.segments.shift()
      unlinkSync(oldest.file)
    }
  }
}

/** Bytes read from a segment file at a time when reading or scanning it. */
const READ_CHUNK_BYTES = 512 * 1024

function withFile<R>(file: string, flags: string, use: (fd: number) => R): R {
  const fd = openSync(file, flags)
  try {
    return use(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * Visits the whole records of `fd` between the offsets `from` and `end` in order, reading
 * READ_CHUNK_BYTES at a time (more only for a record larger than that), so memory holds one chunk and
 * never the whole file. `visit` gets each record's payload and the offset just past it, and returns
 * false to stop. Returns where the last good record ended and why scanning stopped before `end`, as
 * decodeFrames does for a buffer of the same bytes (a record cut by a chunk's edge is read again whole).
 */
function scanFrames(
  fd: number,
  from: number,
  end: number,
  visit: (payload: Buffer, recordEnd: number) => boolean,
): { end: number; damage: FrameDamage | undefined } {
  let position = from
  let chunkBytes = READ_CHUNK_BYTES
  while (position < end) {
    const buffer = readAt(fd, position, Math.min(chunkBytes, end - position))
    if (buffer.length === 0) break
    const decoded = decodeFrames(buffer, position)
    for (const [index, payload] of decoded.records.entries()) {
      if (!visit(payload, decoded.ends[index]!)) return { end: decoded.ends[index]!, damage: undefined }
    }
    const toEnd = position + buffer.length >= end
    const advanced = decoded.end > position
    position = decoded.end
    if (decoded.damage === undefined) continue
    const cut = decoded.damage === 'torn_header' || decoded.damage === 'torn_payload'
    if (!cut || toEnd) return { end: position, damage: decoded.damage }
    // A record runs past this chunk: read again from its start, with room for it.
    if (!advanced) chunkBytes *= 2
  }
  return { end: position, damage: undefined }
}

/** Up to `length` bytes of `fd` from `offset` (fewer at the end of the file). */
function readAt(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length)
  let read = 0
  while (read < length) {
    const n = readSync(fd, buffer, read, length - read, offset + read)
    if (n === 0) break
    read += n
  }
  return buffer.subarray(0, read)
}

// A new or renamed file's directory entry is only durable once the directory itself is synced.
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
