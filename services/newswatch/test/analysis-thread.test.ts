// The analysis thread: parsing and analysis off the event loop, each request under its time budget. A
// request over budget ends the worker; the next request gets a fresh one and is answered.
import { KAZAKHSTAN_GAZETTEER, type NewsItem } from '@vigil/news'
import { afterEach, describe, expect, it } from 'vitest'
import { type AnalysisThread, BudgetExceededError, createAnalysisThread } from '../src/analysis-thread.js'

const threads: AnalysisThread[] = []
afterEach(async () => {
  for (const thread of threads.splice(0)) await thread.close()
})

const WORDS = ['задержали', '700', 'человек', 'в', 'Алматы', 'митинг', 'журналист', 'около', 'полиция']
const endless = (length: number) => {
  const parts: string[] = []
  for (let i = 0, total = 0; total < length; i++, total += WORDS[i % WORDS.length]!.length + 2)
    parts.push(WORDS[i % WORDS.length]!)
  return parts.join(', ')
}

const item = (summary: string, content = ''): NewsItem => ({
  guid: 'g',
  link: 'https://news.example.org/a',
  title: 'В Алматы задержали участников митинга',
  summary,
  content,
  published: '2019-07-06T10:00:00+06:00',
})

describe('the analysis thread', () => {
  it('analyses an item as analyzeItem does, off the event loop', async () => {
    const thread = createAnalysisThread({ analyzeOptions: { gazetteer: KAZAKHSTAN_GAZETTEER } })
    threads.push(thread)
    const analysis = await thread.analyze(item('Полиция задержала около 700 человек на митинге в Алматы.'))
    expect(analysis).toMatchObject({ detention: true, cities: ['Almaty'] })
  })

  it('stops an item over its budget, then answers the next one from a fresh worker', async () => {
    // About 0.7 s of analysis on an idle machine: always over a 300 ms budget.
    const thread = createAnalysisThread({ analyzeOptions: {}, itemBudgetMs: 300 })
    threads.push(thread)
    const started = performance.now()
    await expect(thread.analyze(item(endless(5_000), endless(20_000)))).rejects.toBeInstanceOf(
      BudgetExceededError,
    )
    const stoppedAfter = performance.now() - started
    const next = await thread.analyze(item('Полиция задержала 57 человек.'))
    expect(next.detention).toBe(true)
    console.log(
      `over-budget item stopped after ${stoppedAfter.toFixed(0)} ms (budget 300 ms, worker start excluded)`,
    )
  })

  it('parses a body in the thread and returns its items cut to what the analysis reads', async () => {
    const thread = createAnalysisThread({ analyzeOptions: {} })
    threads.push(thread)
    const long = 'x'.repeat(50_000)
    const body = Buffer.from(
      `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><item><title>A</title><link>https://news.example.org/a</link><description>${long}</description></item></channel></rss>`,
    )
    const parsed = await thread.parse(
      { id: 'test', url: 'https://news.example.org/rss', kind: 'feed' },
      body,
      {
        contentType: 'application/rss+xml; charset=utf-8',
      },
    )
    expect(parsed.items).toHaveLength(1)
    expect(parsed.items[0]!.summary.length).toBeLessThanOrEqual(5_000)
  })
})
