// An exclusive lock on an embedded data directory, held by a pid file. A lock left by a process that was
// killed is taken over: its pid no longer runs, or now belongs to another process (containers restart
// with the same small pids), which the process start time recorded beside the pid tells apart. The holder
// may add `key value` lines after the first (e.g. where its control socket is), for other commands to find
// it by.
import {
  closeSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { VigilError } from '@vigil/errors'

export interface DataDirLock {
  release(): void
}

const heldHere = new Set<string>()

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const dir = path.resolve(dataDir)
  if (heldHere.has(dir)) {
    throw new VigilError('DATA_DIR_LOCKED', `the data directory ${dir} is already open in this process`)
  }
  const file = path.join(dir, 'vigil.pid')
  const me = `${process.pid} ${processStartTime(process.pid) ?? ''}`.trim()
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx')
      writeSync(fd, `${me}\n`)
      closeSync(fd)
      heldHere.add(dir)
      let released = false
      return {
        release() {
          if (released) return
          released = true
          heldHere.delete(dir)
          rmSync(file, { force: true })
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new VigilError('DATA_DIR_UNUSABLE', `cannot write ${file}`, { cause: error })
      }
      const holder = readHolder(file)
      if (holder && holder.pid !== process.pid && isSameProcessRunning(holder)) {
        throw new VigilError(
          'DATA_DIR_LOCKED',
          `the data directory ${dir} is in use by process ${holder.pid}`,
          {
            hint: 'stop the other Vigil process, or give this one its own --data-dir',
          },
        )
      }
      // Stale: its owner is gone (killed or crashed). Remove what it announced and left behind (its socket
      // directories), then the lock, and try once more.
      if (holder) removeLeftovers(holder.entries)
      rmSync(file, { force: true })
    }
  }
  throw new VigilError('DATA_DIR_LOCKED', `could not lock the data directory ${dir}`)
}

/**
 * Adds `key value` lines to the lock this process holds on `dir` (replacing earlier ones), e.g. where its
 * control socket listens. The file is replaced by a rename, so the lock never disappears meanwhile.
 * Keys are single words; values end at the line.
 */
export function announceInDataDirLock(dir: string, entries: Record<string, string>): void {
  const resolved = path.resolve(dir)
  if (!heldHere.has(resolved)) {
    throw new VigilError('DATA_DIR_LOCKED', `this process does not hold the lock on ${resolved}`)
  }
  const file = path.join(resolved, 'vigil.pid')
  const [first, ...rest] = readFileSync(file, 'utf8').split('\n')
  const kept = rest.filter((line) => line.trim() !== '' && !(line.split(' ')[0]! in entries))
  for (const [key, value] of Object.entries(entries)) {
    if (!/^[a-z][a-z0-9_-]*$/.test(key) || /[\r\n]/.test(value)) {
      throw new VigilError('DATA_DIR_UNUSABLE', `cannot record "${key}" in ${file}`)
    }
    kept.push(`${key} ${value}`)
  }
  const next = `${file}.${process.pid}.tmp`
  writeFileSync(next, `${[first, ...kept].join('\n')}\n`)
  renameSync(next, file)
}

// The private directories a holder makes under the system's temporary directory and names in its lock:
// the control socket's (`control`, the socket's path) and the embedded server's (`pgsocket`).
const LEFTOVER_PREFIXES = ['vigil-control-', 'vigil-pg-']

/**
 * Removes the socket directories a dead holder named in its lock. Only a directory directly under the
 * system's temporary directory, named as Vigil names them and owned by this user, is removed: the lock
 * file is writable by whoever owns the data directory, and must not make this process delete anything else.
 */
function removeLeftovers(entries: Record<string, string>): void {
  const candidates = [
    entries.control === undefined ? undefined : path.dirname(entries.control),
    entries.pgsocket,
  ]
  for (const candidate of candidates) {
    if (candidate === undefined || !path.isAbsolute(candidate)) continue
    const resolved = path.resolve(candidate)
    if (path.dirname(resolved) !== path.resolve(tmpdir())) continue
    if (!LEFTOVER_PREFIXES.some((prefix) => path.basename(resolved).startsWith(prefix))) continue
    try {
      const stat = lstatSync(resolved)
      if (!stat.isDirectory() || stat.uid !== process.getuid?.()) continue
      rmSync(resolved, { recursive: true, force: true })
    } catch {
      // Already gone.
    }
  }
}

export interface DataDirHolder {
  pid: number
  /** The `key value` lines the holder announced. */
  entries: Record<string, string>
}

/** The live process holding the lock on `dir` (not this one), with what it announced; undefined when none. */
export function dataDirHolder(dir: string): DataDirHolder | undefined {
  const file = path.join(path.resolve(dir), 'vigil.pid')
  const holder = readHolder(file)
  if (!holder || holder.pid === process.pid || !isSameProcessRunning(holder)) return undefined
  return { pid: holder.pid, entries: holder.entries }
}

function readHolder(
  file: string,
): { pid: number; startTime: string | undefined; entries: Record<string, string> } | undefined {
  try {
    const [first = '', ...rest] = readFileSync(file, 'utf8').split('\n')
    const [pid, startTime] = first.trim().split(/\s+/)
    const parsed = Number.parseInt(pid ?? '', 10)
    const entries: Record<string, string> = {}
    for (const line of rest) {
      const space = line.indexOf(' ')
      if (space > 0) entries[line.slice(0, space)] = line.slice(space + 1)
    }
    return Number.isInteger(parsed) && parsed > 0 ? { pid: parsed, startTime, entries } : undefined
  } catch {
    return undefined
  }
}

function isSameProcessRunning(holder: { pid: number; startTime: string | undefined }): boolean {
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const startTime = processStartTime(holder.pid)
  // Without /proc (or without a recorded start time) a live pid is taken to be the owner.
  return holder.startTime === undefined || startTime === undefined || startTime === holder.startTime
}

/** The process' start time in clock ticks since boot, from /proc (Linux); undefined elsewhere. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may contain spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19]
  } catch {
    return undefined
  }
}
