// Runs inside the analysis thread: decodes and parses source bodies and analyses items, so the event loop
// that answers /healthz and the api never waits on a regular expression. Started by analysis-thread.ts.
import { parentPort, workerData } from 'node:worker_threads'
import {
  type AnalyzeOptions,
  analyzeItem,
  type NewsItem,
  type NewsSource,
  parseSourceBody,
} from '@vigil/news'

export type WorkerRequest =
  | {
      id: number
      op: 'parse'
      source: NewsSource
      bytes: Uint8Array
      contentType: string | null
      baseUrl: string | undefined
      fetchedAt: Date | undefined
    }
  | { id: number; op: 'analyze'; item: NewsItem }

export type WorkerReply =
  | { ready: true }
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; code: string | undefined; message: string } }

// The most of each field the analysis reads (analyzeItem stops there too); an item is cut to it before it is
// copied back, so a 5 MB item costs the main thread no more than a short one.
export const ITEM_TEXT_LIMITS = { title: 1_000, summary: 5_000, content: 20_000, link: 4_000, guid: 4_000 }

function bounded(item: NewsItem): NewsItem {
  return {
    ...item,
    guid: item.guid === null ? null : item.guid.slice(0, ITEM_TEXT_LIMITS.guid),
    link: item.link === null ? null : item.link.slice(0, ITEM_TEXT_LIMITS.link),
    title: item.title.slice(0, ITEM_TEXT_LIMITS.title),
    summary: item.summary.slice(0, ITEM_TEXT_LIMITS.summary),
    content: item.content.slice(0, ITEM_TEXT_LIMITS.content),
  }
}

const port = parentPort
if (port) {
  const options = (workerData as { analyzeOptions: AnalyzeOptions }).analyzeOptions
  port.on('message', async (request: WorkerRequest) => {
    let reply: WorkerReply
    try {
      if (request.op === 'parse') {
        const parsed = await parseSourceBody(request.source, request.bytes, {
          contentType: request.contentType,
          ...(request.baseUrl === undefined ? {} : { baseUrl: request.baseUrl }),
          ...(request.fetchedAt === undefined ? {} : { fetchedAt: request.fetchedAt }),
        })
        reply = { id: request.id, ok: true, value: { ...parsed, items: parsed.items.map(bounded) } }
      } else {
        reply = { id: request.id, ok: true, value: analyzeItem(request.item, options) }
      }
    } catch (error) {
      const failure = error as { name?: unknown; code?: unknown; message?: unknown }
      reply = {
        id: request.id,
        ok: false,
        error: {
          name: String(failure?.name ?? 'Error'),
          code: typeof failure?.code === 'string' ? failure.code : undefined,
          message: String(failure?.message ?? error),
        },
      }
    }
    port.postMessage(reply)
  })
  // Loading this module and compiling the vocabulary and gazetteer patterns (the first analysis does it)
  // are not part of any request's budget: the thread says when it can take requests.
  analyzeItem({ title: 'Алматы', summary: 'Задержаны.' }, options)
  port.postMessage({ ready: true })
}
