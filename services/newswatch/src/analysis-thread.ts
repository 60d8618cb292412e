// The analysis thread, seen from the event loop: one worker thread that decodes and parses source bodies
// and analyses items, one request at a time, each under a time budget. A request over its budget ends the
// worker (the only way to stop a runaway regular expression) and the next request starts a new one, so a
// hostile feed costs at most its budgets, and never the event loop's time.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import {
  type Analysis,
  type AnalyzeOptions,
  FeedParseError,
  type NewsItem,
  type NewsSource,
  type ParsedBody,
} from '@vigil/news'
import type { WorkerReply, WorkerRequest } from './analysis-worker.js'

export interface AnalysisThreadOptions {
  analyzeOptions: AnalyzeOptions
  /** Longest one item's analysis may take. Default 5 s (a hostile 25 kB item takes under 1 s). */
  itemBudgetMs?: number
  /** Longest decoding and parsing one body may take. Default 30 s (10 MB of feed parses in about 2 s). */
  parseBudgetMs?: number
}

export class BudgetExceededError extends Error {
  constructor(what: string, budgetMs: number) {
    super(`${what} took longer than its budget of ${budgetMs} ms and was stopped`)
    this.name = 'BudgetExceededError'
  }
}

export interface AnalysisThread {
  /** `parseSourceBody` in the thread; the items come back cut to what the analysis reads. */
  parse(
    source: NewsSource,
    bytes: Uint8Array,
    options?: { contentType?: string | null; baseUrl?: string; fetchedAt?: Date },
  ): Promise<ParsedBody>
  /** `analyzeItem` in the thread; rejects with BudgetExceededError past the item budget. */
  analyze(item: NewsItem): Promise<Analysis>
  /** Ends the worker; requests waiting are rejected. */
  close(): Promise<void>
}

// Omit over each member of the union, not over the union as a whole.
type JobRequest = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never

type Job = {
  request: JobRequest
  budgetMs: number
  what: string
  resolve(v: unknown): void
  reject(e: unknown): void
}

// Source files run through tsx; a worker does not inherit the parent's loader, so it registers tsx itself.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './analysis-worker.ts' : './analysis-worker.js',
  import.meta.url,
)

/** The URL of tsx's ESM api (`tsx/esm/api` under the import condition), from tsx's own exports map. */
function tsxEsmApi(): string {
  const manifestPath = createRequire(import.meta.url).resolve('tsx/package.json')
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports: Record<string, { import?: { default?: string } }>
  }
  const entry = manifest.exports['./esm/api']?.import?.default
  if (!entry) throw new Error(`${manifestPath} has no exports["./esm/api"].import.default`)
  return pathToFileURL(path.join(path.dirname(manifestPath), entry)).href
}

function spawnWorker(analyzeOptions: AnalyzeOptions): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, { workerData: { analyzeOptions } })
  const bootstrap = [
    `import(${JSON.stringify(tsxEsmApi())})`,
    `.then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL.href)}) })`,
  ].join('')
  return new Worker(bootstrap, { eval: true, workerData: { analyzeOptions } })
}

export function createAnalysisThread(options: AnalysisThreadOptions): AnalysisThread {
  const itemBudgetMs = options.itemBudgetMs ?? 5_000
  const parseBudgetMs = options.parseBudgetMs ?? 30_000
  const queue: Job[] = []
  let worker: Worker | undefined
  let ready = false
  let current: { id: number; job: Job; timer: ReturnType<typeof setTimeout> } | undefined
  let nextId = 1
  let closed = false

  const finish = (reply: WorkerReply) => {
    if ('ready' in reply) {
      ready = true
      pump()
      return
    }
    if (!current || reply.id !== current.id) return
    const { job, timer } = current
    clearTimeout(timer)
    current = undefined
    if (reply.ok) job.resolve(reply.value)
    else if (reply.error.name === 'FeedParseError')
      job.reject(new FeedParseError(reply.error.code as never, reply.error.message))
    else job.reject(new Error(reply.error.message))
    pump()
  }

  const discardWorker = (error: unknown) => {
    const dead = worker
    worker = undefined
    ready = false
    void dead?.terminate()
    if (current) {
      clearTimeout(current.timer)
      current.job.reject(error)
      current = undefined
    }
  }

  const ensureWorker = (): Worker => {
    if (worker) return worker
    const started = spawnWorker(options.analyzeOptions)
    started.on('message', finish)
    started.on('error', (error) => {
      if (worker === started) discardWorker(error)
      pump()
    })
    started.on('exit', () => {
      if (worker === started) discardWorker(new Error('the analysis thread exited'))
      pump()
    })
    // The thread never keeps the process alive on its own.
    started.unref()
    worker = started
    return started
  }

  function pump(): void {
    if (current || closed || queue.length === 0) return
    // A budget counts from when the thread can work: starting one (loading the news package) is not counted.
    const target = ensureWorker()
    if (!ready) return
    const job = queue.shift()!
    const id = nextId++
    const timer = setTimeout(() => {
      // The only way to stop a runaway computation in a worker is to end it.
      discardWorker(new BudgetExceededError(job.what, job.budgetMs))
      pump()
    }, job.budgetMs)
    current = { id, job, timer }
    const request = { ...job.request, id } as WorkerRequest
    if (request.op === 'parse') {
      // The body is handed over, not copied.
      const copy = request.bytes.slice()
      target.postMessage({ ...request, bytes: copy }, [copy.buffer as ArrayBuffer])
    } else target.postMessage(request)
  }

  const submit = <T>(request: JobRequest, budgetMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (closed) return reject(new Error('the analysis thread is closed'))
      queue.push({ request, budgetMs, what, resolve: resolve as (v: unknown) => void, reject })
      pump()
    })

  return {
    parse: (source, bytes, parseOptions = {}) =>
      submit(
        {
          op: 'parse',
          source,
          bytes,
          contentType: parseOptions.contentType ?? null,
          baseUrl: parseOptions.baseUrl,
          fetchedAt: parseOptions.fetchedAt,
        },
        parseBudgetMs,
        `parsing the body of ${source.id}`,
      ),
    analyze: (item) => submit({ op: 'analyze', item }, itemBudgetMs, 'analysing a news item'),
    async close() {
      closed = true
      for (const job of queue.splice(0)) job.reject(new Error('the analysis thread is closed'))
      const dead = worker
      discardWorker(new Error('the analysis thread is closed'))
      await dead?.terminate()
    },
  }
}
