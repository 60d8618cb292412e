import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { isVigilError } from '@vigil/errors'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireDataDirLock, announceInDataDirLock, dataDirHolder } from '../src/lock.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-lock-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('data directory lock', () => {
  it('taking over a dead holder, removes the socket directories it named and nothing else', () => {
    const control = mkdtempSync(path.join(tmpdir(), 'vigil-control-'))
    writeFileSync(path.join(control, 'api.sock'), '')
    const pgsocket = mkdtempSync(path.join(tmpdir(), 'vigil-pg-'))
    // Named in the lock, but not a directory Vigil makes: left alone.
    const other = mkdtempSync(path.join(tmpdir(), 'not-vigil-'))
    const nested = path.join(dir, 'vigil-pg-inside')
    mkdirSync(nested)
    // A pid that cannot be running (above the kernel's pid_max).
    writeFileSync(
      path.join(dir, 'vigil.pid'),
      `99999999 1\ncontrol ${path.join(control, 'api.sock')}\npgsocket ${pgsocket}\nother ${other}\n`,
    )
    try {
      const lock = acquireDataDirLock(dir)
      expect(existsSync(control)).toBe(false)
      expect(existsSync(pgsocket)).toBe(false)
      expect(existsSync(other)).toBe(true)
      lock.release()
      writeFileSync(
        path.join(dir, 'vigil.pid'),
        `99999999 1\npgsocket ${nested}\ncontrol ${other}/api.sock\n`,
      )
      acquireDataDirLock(dir).release()
      expect(existsSync(nested)).toBe(true)
      expect(existsSync(other)).toBe(true)
    } finally {
      rmSync(other, { recursive: true, force: true })
    }
  })

  it('is exclusive within a process and released on demand', () => {
    const lock = acquireDataDirLock(dir)
    expect(readFileSync(path.join(dir, 'vigil.pid'), 'utf8')).toMatch(
      new RegExp(`^${process.pid}( \\d+)?\\n$`),
    )
    expect(() => acquireDataDirLock(dir)).toThrow(/already open in this process/)
    lock.release()
    acquireDataDirLock(dir).release()
  })

  it('refuses a directory held by another live process', () => {
    // The parent of the test worker is alive; its start time is recorded as /proc reports it.
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8')
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
    writeFileSync(path.join(dir, 'vigil.pid'), `${process.ppid} ${startTime}\n`)
    let caught: unknown
    try {
      acquireDataDirLock(dir)
    } catch (error) {
      caught = error
    }
    expect(isVigilError(caught, 'DATA_DIR_LOCKED')).toBe(true)
    expect((caught as Error).message).toContain(`in use by process ${process.ppid}`)
  })

  it('takes over a lock whose process is gone, or whose pid now belongs to another process', () => {
    writeFileSync(path.join(dir, 'vigil.pid'), '2147483646 12345\n')
    acquireDataDirLock(dir).release()
    writeFileSync(path.join(dir, 'vigil.pid'), `${process.ppid} 1\n`)
    acquireDataDirLock(dir).release()
    writeFileSync(path.join(dir, 'vigil.pid'), `${process.pid} 1\n`)
    acquireDataDirLock(dir).release()
  })

  it('keeps what its holder announces beside the pid, and tells another process who holds it', () => {
    const lock = acquireDataDirLock(dir)
    announceInDataDirLock(dir, { control: '/run/vigil control/api.sock', api: 'http://127.0.0.1:1' })
    announceInDataDirLock(dir, { control: '/run/other.sock' })
    const text = readFileSync(path.join(dir, 'vigil.pid'), 'utf8')
    expect(text).toMatch(
      new RegExp(`^${process.pid}( \\d+)?\napi http://127.0.0.1:1\ncontrol /run/other.sock\n$`),
    )
    // This process holds it: it is nobody else's.
    expect(dataDirHolder(dir)).toBeUndefined()
    expect(() => announceInDataDirLock(dir, { 'bad key': 'x' })).toThrow(/cannot record/)
    expect(() => announceInDataDirLock(dir, { control: 'a\nb' })).toThrow(/cannot record/)
    lock.release()
    expect(() => announceInDataDirLock(dir, { control: 'x' })).toThrow(/does not hold the lock/)

    // A live other process (the test worker's parent) that announced a socket.
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8')
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
    writeFileSync(path.join(dir, 'vigil.pid'), `${process.ppid} ${startTime}\ncontrol /tmp/x/api.sock\n`)
    expect(dataDirHolder(dir)).toEqual({ pid: process.ppid, entries: { control: '/tmp/x/api.sock' } })
    // The old format, and a stale lock.
    writeFileSync(path.join(dir, 'vigil.pid'), `${process.ppid} ${startTime}\n`)
    expect(dataDirHolder(dir)).toEqual({ pid: process.ppid, entries: {} })
    writeFileSync(path.join(dir, 'vigil.pid'), '2147483646 12345\ncontrol /tmp/x/api.sock\n')
    expect(dataDirHolder(dir)).toBeUndefined()
  })
})
