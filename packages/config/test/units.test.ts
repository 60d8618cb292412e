// Durations, byte sizes and data rates as written in the config file.
import { formatBitRate, formatDuration, parseBitRate, parseByteSize, parseDuration } from '@vigil/config'
import { describe, expect, it } from 'vitest'

describe('durations', () => {
  it('parse into milliseconds', () => {
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('5m')).toBe(300_000)
    expect(parseDuration('1h')).toBe(3_600_000)
    expect(parseDuration('7d')).toBe(604_800_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('1.5s')).toBe(1_500)
  })

  it('refuse what is not a duration', () => {
    for (const text of ['', '5', 'm5', '5 minutes', '-5m', '5M']) expect(parseDuration(text)).toBeUndefined()
  })

  it('format back to the shortest exact text', () => {
    expect(formatDuration(300_000)).toBe('5m')
    expect(formatDuration(5_400_000)).toBe('1h30m')
    expect(formatDuration(0)).toBe('0s')
  })
})

describe('byte sizes', () => {
  it('parse decimal and binary units', () => {
    expect(parseByteSize('512kB')).toBe(512_000)
    expect(parseByteSize('5MB')).toBe(5_000_000)
    expect(parseByteSize('1MiB')).toBe(1_048_576)
    expect(parseByteSize('2 GiB')).toBe(2_147_483_648)
    expect(parseByteSize(4096)).toBe(4096)
    expect(parseByteSize('lots')).toBeUndefined()
  })
})

describe('data rates', () => {
  it('parse SI-prefixed bit rates into bits per second', () => {
    expect(parseBitRate('128kbit/s')).toBe(128_000)
    expect(parseBitRate('1Mbit/s')).toBe(1_000_000)
    expect(parseBitRate('1.5 Mbit/s')).toBe(1_500_000)
    expect(parseBitRate('900bit/s')).toBe(900)
  })

  it('refuse plain numbers and byte rates, which could mean either', () => {
    for (const text of ['', '1000', '1MB/s', '1Mbps', '1 Mbit', '-1kbit/s'])
      expect(parseBitRate(text)).toBeUndefined()
  })

  it('format for people', () => {
    expect(formatBitRate(128_000)).toBe('128 kbit/s')
    expect(formatBitRate(1_500_000)).toBe('1.5 Mbit/s')
    expect(formatBitRate(900)).toBe('900 bit/s')
  })
})
