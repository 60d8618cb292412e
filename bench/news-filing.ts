// A feed of many detention items on one day, read by newswatch on the embedded store: how long the first
// poll takes and the longest the event loop stood still meanwhile (what an /healthz answer would wait).
// Reference: the api's 100 ms bound on every /healthz answer (test/hostile-feed.db.test.ts).
// Run: VIGIL_TEST_STORE=embedded node --import tsx bench/news-filing.ts [ITEMS, default 1000]
import { createNewswatch } from '@vigil/newswatch'
import { openTestStore } from '@vigil/store/testing'
import {
  closeAll,
  type FeedItem,
  feedRoute,
  newsConfig,
  rss,
  startOutlet,
} from '../services/newswatch/test/support.js'

const count = Number(process.argv[2] ?? 1_000)
const outlet = await startOutlet()
const cities = ['Алматы', 'Нур-Султане', 'Шымкенте', 'Актау']
const items: FeedItem[] = Array.from({ length: count }, (_, n) => ({
  guid: `g-${n}`,
  title: `В ${cities[n % 4]} задержали ${100 + n} участников митинга ${n}`,
  link: `${outlet.url}/n/${n}`,
  description: `Полиция задержала ${100 + n} человек на митинге 6 июля в ${cities[n % 4]}, сообщают ${n}.`,
  pubDate: 'Sat, 06 Jul 2019 12:00:00 +0600',
}))
const feed = rss('many', items)
outlet.route('/many.rss', feedRoute(feed))
const store = await openTestStore()
const config = newsConfig([{ name: 'many', url: `${outlet.url}/many.rss`, maxBytes: '8MB', timeout: '5s' }])
const newswatch = createNewswatch({ config, sql: store.sql })
let stall = 0
let last = performance.now()
const timer = setInterval(() => {
  const at = performance.now()
  stall = Math.max(stall, at - last - 5)
  last = at
}, 5)
try {
  for (const poll of ['first', 'second']) {
    stall = 0
    const started = performance.now()
    const run = await newswatch.runOnce()
    console.log(
      `${poll} poll of ${count} items (${(Buffer.byteLength(feed) / 1_048_576).toFixed(1)} MB): ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s, ${run.polls[0]?.newItems} new, ` +
        `longest event-loop stall ${stall.toFixed(1)} ms (ratio to the 100 ms bound ${(stall / 100).toFixed(2)})`,
    )
  }
} finally {
  clearInterval(timer)
  await newswatch.stop()
  await store.close()
  await closeAll()
}
