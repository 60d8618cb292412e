// Durations and byte sizes as written in the config file.
import { formatDuration, parseByteSize, parseDuration } from '@vigil/config'
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
