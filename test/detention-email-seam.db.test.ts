// Seam between two real stages: newswatch reads real feeds on loopback and files a detention report;
// the notifier plans and sends its email to a real SMTP sink. The email (text and HTML) names every
// source of the report with its title and address, as newswatch stored them: no hand-built evidence.
import { parseConfig } from '@vigil/config'
import { createMetricsRegistry } from '@vigil/metrics'
import { createNewswatch } from '@vigil/newswatch'
import { createNotifier } from '@vigil/notify'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type SmtpSink, startSmtp } from '../packages/notify/test/support.js'
import {
  closeAll,
  feedRoute,
  kazakhDetentions,
  newsConfigYaml,
  type Outlet,
  rss,
  russianDetentions,
  startOutlet,
} from '../services/newswatch/test/support.js'
import { waitFor } from './support/wait.js'

let store: TestStore
let outlet: Outlet
let smtp: SmtpSink

beforeAll(async () => {
  store = await openTestStore()
  smtp = await startSmtp()
  outlet = await startOutlet()
  outlet.route('/ru.rss', feedRoute(rss('Новости', russianDetentions(outlet.url))))
  outlet.route('/kk.rss', feedRoute(rss('Жаңалықтар', kazakhDetentions(outlet.url))))
})

afterAll(async () => {
  await closeAll()
  await smtp.close()
  await store.close()
})

it('emails every source of a detention report with its title and URL', async () => {
  const yaml = [
    newsConfigYaml([
      { name: 'ru-outlet', url: `${outlet.url}/ru.rss` },
      { name: 'kk-outlet', url: `${outlet.url}/kk.rss` },
    ]),
    'alerts:',
    '  receivers:',
    '    - { name: press, email: [press@example.org] }',
    '  routes:',
    '    - { receiver: press, kinds: [detention_report], groupWait: 0s, groupInterval: 1m }',
    'smtp:',
    '  host: 127.0.0.1',
    `  port: ${smtp.port}`,
    '  secure: false',
    '  from: Vigil <vigil@example.org>',
    '',
  ].join('\n')
  const config = parseConfig(yaml, 'seam.yaml', {})
  const now = () => new Date('2019-07-07T06:00:00Z')
  const newswatch = createNewswatch({
    config,
    sql: store.sql,
    registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
    now,
  })
  // What newswatch stored: the Almaty report and the items (outlet, title, address) behind it. On a
  // loaded machine a feed can miss its fetch timeout; the next round reads it.
  const reportItems = () => store.sql<{ source: string; title: string; link: string }[]>`
    select n.source, n.title, n.link from reports r
    join report_items ri on ri.report_id = r.id join news_items n on n.id = ri.item_id
    where 'Almaty' = any (r.cities)
    order by n.source`
  await waitFor(
    'both outlets in the Almaty report',
    async () => {
      await newswatch.runOnce()
      return (await reportItems()).length >= 2
    },
    120_000,
    0,
  )
  await newswatch.stop()
  const items = await reportItems()

  const notifier = createNotifier({ config, sql: store.sql, now })
  await notifier.plan()
  await notifier.deliver()
  await notifier.stop()

  const almaty = smtp.received.filter((mail) => mail.text.includes(items[0]!.link))
  expect(almaty).toHaveLength(1)
  const [mail] = almaty
  for (const item of items) {
    expect(mail!.text).toContain(`${item.source}: ${item.title} <${item.link}>`)
    expect(mail!.html).toContain(`href="${item.link.replaceAll('&', '&amp;')}"`)
    expect(mail!.html).toContain(`${item.source}: ${item.title}`)
  }
})
