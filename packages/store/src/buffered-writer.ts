// Buffers rows in memory and writes them in batches. A failed write keeps the rows and retries with
// backoff, so a database hiccup delays results instead of losing them; only a buffer past its bound
// drops (oldest first), and says so. A batch the database refuses for its data is split until the bad
// rows are alone; they are quarantined and the others written, so one bad row never blocks the rest.

export interface BufferedWriterOptions<T> {
  /** Writes one batch; must be idempotent (a retried batch may already have been committed). */
  write(batch: T[]): Promise<void>
  batchSize?: number
  /** How long a row may wait for a batch to fill. */
  flushIntervalMs?: number
  /** Rows held at most while the database is away. */
  maxBuffered?: number
  retryMinMs?: number
  retryMaxMs?: number
  onError?(error: unknown, pending: number): void
  onDrop?(dropped: number): void
  onWrite?(written: number): void
  /** True when `error` is a refusal of the rows themselves (the store's `isDataError`); never retried. */
  isDataError?(error: unknown): boolean
  /** Keeps a refused row aside with its error; a rejection leaves the row buffered and retried later. */
  quarantine?(row: T, error: unknown): Promise<void>
}

export class BufferedWriter<T> {
  private readonly options: Required<
    Omit<BufferedWriterOptions<T>, 'onError' | 'onDrop' | 'onWrite' | 'isDataError' | 'quarantine'>
  > &
    BufferedWriterOptions<T>
  private buffer: T[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private flushing: Promise<void> | undefined
  private failures = 0
  private stopped = false

  constructor(options: BufferedWriterOptions<T>) {
    this.options = {
      batchSize: 500,
      flushIntervalMs: 1_000,
      maxBuffered: 200_000,
      retryMinMs: 500,
      retryMaxMs: 30_000,
      ...options,
    }
  }

  get pending(): number {
    return this.buffer.length
  }

  add(rows: T | T[]): void {
    if (Array.isArray(rows)) this.buffer.push(...rows)
    else this.buffer.push(rows)
    const excess = this.buffer.length - this.options.maxBuffered
    if (excess > 0) {
      this.buffer.splice(0, excess)
      this.options.onDrop?.(excess)
    }
    if (this.stopped) return
    if (this.buffer.length >= this.options.batchSize && this.failures === 0) this.schedule(0)
    else this.schedule(this.options.flushIntervalMs)
  }

  /** Writes everything buffered now; rejects with the database's error if a batch fails (rows kept). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => {})
    this.flushing = this.writeAll()
    try {
      await this.flushing
    } finally {
      this.flushing = undefined
    }
  }

  /** Stops the timer and tries to write what is left, retrying until `timeoutMs` has passed. */
  async close(timeoutMs = 10_000): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
    const deadline = Date.now() + timeoutMs
    for (;;) {
      try {
        await this.flush()
        return
      } catch (error) {
        if (Date.now() >= deadline) {
          this.options.onError?.(error, this.buffer.length)
          throw error
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.backoff(), deadline - Date.now())))
      }
    }
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.length > 0) {
      // Pieces are written front to back, so the buffer's head is always the next piece's rows.
      const pieces = [this.buffer.slice(0, this.options.batchSize)]
      while (pieces.length > 0) {
        const piece = pieces.shift()!
        try {
          await this.options.write(piece)
        } catch (error) {
          const { isDataError, quarantine } = this.options
          if (!isDataError?.(error) || quarantine === undefined) throw error
          if (piece.length > 1) {
            const middle = Math.ceil(piece.length / 2)
            pieces.unshift(piece.slice(0, middle), piece.slice(middle))
            continue
          }
          await quarantine(piece[0]!, error)
          this.buffer.splice(0, 1)
          continue
        }
        // Only now are the rows safe; rows added meanwhile stay behind them.
        this.buffer.splice(0, piece.length)
        this.failures = 0
        this.options.onWrite?.(piece.length)
      }
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) {
      if (delayMs > 0) return
      clearTimeout(this.timer)
    }
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.flush().then(
        () => {
          if (this.buffer.length > 0 && !this.stopped) this.schedule(this.options.flushIntervalMs)
        },
        (error: unknown) => {
          this.failures += 1
          this.options.onError?.(error, this.buffer.length)
          if (!this.stopped) this.schedule(this.backoff())
        },
      )
    }, delayMs)
    this.timer.unref?.()
  }

  private backoff(): number {
    const exponential = this.options.retryMinMs * 2 ** Math.min(this.failures, 16)
    return Math.min(this.options.retryMaxMs, exponential)
  }
}
