// When `vigil` runs under a package manager (`pnpm vigil start`), the package manager and the shell it
// starts sit between the user and Vigil. A signal sent to the package manager's process is not always
// passed on, and SIGKILL never is: Vigil would keep running, holding its port and its data directory's
// lock. So Vigil watches those wrapper processes and stops itself, as on SIGTERM, when one of them ends.
import { readFileSync } from 'node:fs'

export interface WatchedProcess {
  pid: number
  /** Start time in clock ticks since boot (Linux /proc), to tell a reused pid apart. */
  startTime: string | undefined
}

/** Shells that package managers run scripts with (`sh -c`), which may stay between them and Vigil. */
const SCRIPT_SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'cmd.exe'])

interface ProcStat {
  comm: string
  ppid: number
  startTime: string
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may contain spaces; the fields after it do not.
    const open = stat.indexOf('(')
    const close = stat.lastIndexOf(')')
    const fields = stat.slice(close + 2).split(' ')
    return { comm: stat.slice(open + 1, close), ppid: Number(fields[1]), startTime: fields[19] ?? '' }
  } catch {
    return undefined
  }
}

/**
 * The wrapper processes above this one when it was started by a package manager's script (the
 * environment has `npm_lifecycle_event`, set by npm, pnpm and yarn): every script shell from the parent
 * up, and the package manager above them. Empty when not started by a package manager, or when the
 * parent is already init (pid 1). Without /proc the parent alone is returned, without a start time.
 */
export function launcherProcesses(env: NodeJS.ProcessEnv, parentPid = process.ppid): WatchedProcess[] {
  if (env.npm_lifecycle_event === undefined || parentPid <= 1) return []
  const watched: WatchedProcess[] = []
  let pid = parentPid
  // A few levels at most: a package manager, possibly a shell or two, never the user's login shell.
  for (let depth = 0; depth < 4 && pid > 1; depth++) {
    const stat = readStat(pid)
    if (!stat) return depth === 0 ? [{ pid, startTime: undefined }] : watched
    watched.push({ pid, startTime: stat.startTime })
    if (!SCRIPT_SHELLS.has(stat.comm)) break
    pid = stat.ppid
  }
  return watched
}

/** True while the process still runs and is the same process (same start time where known). */
export function isRunning(watched: WatchedProcess): boolean {
  try {
    process.kill(watched.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (watched.startTime === undefined) return true
  const stat = readStat(watched.pid)
  return stat === undefined || stat.startTime === watched.startTime
}

/**
 * Calls `onGone` once when any of `processes` has ended, checking every `intervalMs` (1 s: a killed
 * package manager leaves Vigil running for at most that long). The timer does not keep the process
 * alive. Returns a function that stops watching.
 */
export function whenAnyEnds(
  processes: readonly WatchedProcess[],
  onGone: (gone: WatchedProcess) => void,
  intervalMs = 1_000,
): () => void {
  if (processes.length === 0) return () => {}
  const timer = setInterval(() => {
    const gone = processes.find((watched) => !isRunning(watched))
    if (gone) {
      clearInterval(timer)
      onGone(gone)
    }
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
