// An exclusive lock on an embedded data directory, held by a pid file. A lock left by a process that was
// killed is taken over: its pid no longer runs, or now belongs to another process (containers restart
// with the same small pids), which the process start time recorded beside the pid tells apart.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import path from 'node:path'
import { VigilError } from '@vigil/errors'

export interface DataDirLock {
  release(): void
}

const heldHere = new Set<string>()

export function acquireDataDirLock(dir: string): DataDirLock {
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
      // Stale: its owner is gone (killed or crashed). Remove it and try once more.
      rmSync(file, { force: true })
    }
  }
  throw new VigilError('DATA_DIR_LOCKED', `could not lock the data directory ${dir}`)
}

function readHolder(file: string): { pid: number; startTime: string | undefined } | undefined {
  try {
    const [pid, startTime] = readFileSync(file, 'utf8').trim().split(/\s+/)
    const parsed = Number.parseInt(pid ?? '', 10)
    return Number.isInteger(parsed) && parsed > 0 ? { pid: parsed, startTime } : undefined
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
