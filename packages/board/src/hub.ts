// Fans board updates out to open pages. One poller per process reads the store while at least one page is
// connected (detection runs in other processes, so the store is where a change shows), and tells every
// listener when the snapshot changed; heartbeats in between let a page tell "quiet" from "disconnected".
import type { BoardSnapshot } from './snapshot.js'

export type BoardEvent = { type: 'board'; snapshot: BoardSnapshot } | { type: 'heartbeat'; at: string }

export interface BoardHubOptions {
  load: () => Promise<BoardSnapshot>
  /** How often the store is read while pages are open. */
  pollMs?: number
  /** How often a heartbeat is sent when nothing changed. */
  heartbeatMs?: number
  onError?: (error: unknown) => void
}

export interface BoardHub {
  /** Adds a listener; it gets the current snapshot first. Returns the function that removes it. */
  subscribe(listener: (event: BoardEvent) => void): Promise<() => void>
  /** Stops polling and waits for a read in progress. */
  stop(): Promise<void>
}

// Everything but the time of reading: two reads of an unchanged store compare equal.
function fingerprint(snapshot: BoardSnapshot): string {
  return JSON.stringify({ ...snapshot, generatedAt: undefined })
}

export function createBoardHub(options: BoardHubOptions): BoardHub {
  const pollMs = options.pollMs ?? 1_000
  const heartbeatMs = options.heartbeatMs ?? 5_000
  const listeners = new Set<(event: BoardEvent) => void>()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()
  let last: { fingerprint: string; snapshot: BoardSnapshot } | undefined
  let lastSentAt = 0
  let stopped = false

  const emit = (event: BoardEvent) => {
    for (const listener of listeners) listener(event)
  }

  const poll = async () => {
    try {
      const snapshot = await options.load()
      const print = fingerprint(snapshot)
      if (print !== last?.fingerprint) {
        last = { fingerprint: print, snapshot }
        lastSentAt = Date.now()
        emit({ type: 'board', snapshot })
      } else if (Date.now() - lastSentAt >= heartbeatMs) {
        lastSentAt = Date.now()
        emit({ type: 'heartbeat', at: snapshot.generatedAt })
      }
    } catch (error) {
      // No heartbeat while the store cannot be read: pages turn stale rather than look current.
      options.onError?.(error)
    }
  }

  const schedule = () => {
    if (stopped || listeners.size === 0 || timer) return
    timer = setTimeout(() => {
      timer = undefined
      running = poll().finally(schedule)
    }, pollMs)
  }

  return {
    async subscribe(listener) {
      const snapshot = await options.load()
      last = { fingerprint: fingerprint(snapshot), snapshot }
      listener({ type: 'board', snapshot })
      listeners.add(listener)
      schedule()
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0 && timer) {
          clearTimeout(timer)
          timer = undefined
        }
      }
    },
    async stop() {
      stopped = true
      listeners.clear()
      if (timer) clearTimeout(timer)
      timer = undefined
      await running
    },
  }
}
