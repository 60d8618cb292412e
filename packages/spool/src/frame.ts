// The record framing of a spool segment: a 4-byte length, a 4-byte CRC-32 of the payload, the payload
// (UTF-8 JSON). The CRC tells a record written whole from one torn by a crash or damaged on disk.
import { crc32 } from 'node:zlib'

export const HEADER_BYTES = 8

export function encodeFrame(record: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8')
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length)
  frame.writeUInt32BE(payload.length, 0)
  frame.writeUInt32BE(crc32(payload), 4)
  payload.copy(frame, HEADER_BYTES)
  return frame
}

export type FrameDamage = 'torn_header' | 'torn_payload' | 'bad_length' | 'bad_checksum'

export interface DecodedFrames {
  records: Buffer[]
  /** Absolute offset just past each record. */
  ends: number[]
  /** Absolute offset just past the last good record. */
  end: number
  /** Why decoding stopped before the end of the buffer, if it did. */
  damage: FrameDamage | undefined
}

/** Decodes whole records from `buffer` (which starts at `baseOffset` of its file), stopping at damage. */
export function decodeFrames(buffer: Buffer, baseOffset: number): DecodedFrames {
  const records: Buffer[] = []
  const ends: number[] = []
  let position = 0
  let damage: FrameDamage | undefined
  while (position < buffer.length) {
    if (buffer.length - position < HEADER_BYTES) {
      damage = 'torn_header'
      break
    }
    const length = buffer.readUInt32BE(position)
    // No JSON value encodes to zero bytes; a zero length is a zero-filled tail, not a record.
    if (length === 0) {
      damage = 'bad_length'
      break
    }
    if (buffer.length - position - HEADER_BYTES < length) {
      damage = 'torn_payload'
      break
    }
    const payload = buffer.subarray(position + HEADER_BYTES, position + HEADER_BYTES + length)
    if (crc32(payload) !== buffer.readUInt32BE(position + 4)) {
      damage = 'bad_checksum'
      break
    }
    records.push(payload)
    position += HEADER_BYTES + length
    ends.push(baseOffset + position)
  }
  return { records, ends, end: baseOffset + position, damage }
}
