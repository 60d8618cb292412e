// The one shape of a worker loop, whatever clock drives it (node-cron ticks, a sleep until the next poll,
// a poll interval): the prober, certwatch, newswatch, the alerter, the notifier, the observatory pollers,
// the retention job and an agent's uploader. `vigil start` starts and stops them all through it.

/**
 * A worker loop. `runOnce()` does one round now and resolves with what it did (tests and one-shot
 * commands call it; an optional signal interrupts it); `start()` runs rounds on the loop's own clock;
 * `stop()` ends the loop and resolves only once the round under way has ended, so a process can close its
 * store after it.
 */
export interface WorkerLoop<R> {
  runOnce(options?: { signal?: AbortSignal }): Promise<R>
  start(): void
  stop(): Promise<void>
}
