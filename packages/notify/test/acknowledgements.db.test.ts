// What an acknowledgement changes in the notifier, from the real writers (raiseIncident, resolveIncident,
// acknowledgeIncident) through planning to a real SMTP server: no reminder while an incident is
// acknowledged, a reminder again once it is withdrawn or cleared by a higher level, the resolution always.
import type { VigilConfig } from '@vigil/config'
import { createNotifier, type Notifier } from '@vigil/notify'
import {
  acknowledgeIncident,
  type IncidentSignal,
  raiseIncident,
  resolveIncident,
  unacknowledgeIncident,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type SmtpSink, startSmtp, testConfig } from './support.js'

// A quiet day (no rally window): the route groups for 1 minute and repeats every 4 hours.
const START = new Date('2019-08-20T04:02:00Z')
const HOUR = 3_600_000
const at = (ms: number) => new Date(START.getTime() + ms)

let store: TestStore
let smtp: SmtpSink
let clock: Date
let worker: Notifier | undefined

beforeAll(async () => {
  store = await openTestStore()
  smtp = await startSmtp()
})
afterAll(async () => {
  await smtp.close()
  await store.close()
})
beforeEach(async () => {
  smtp.received.length = 0
  await store.sql`truncate notifications, incidents, incident_acknowledgements restart identity`
})
afterEach(async () => {
  await worker?.stop()
  worker = undefined
})

function start(config: VigilConfig): Notifier {
  worker = createNotifier({ config, sql: store.sql, now: () => clock })
  return worker
}

const blackout = (level: 'warning' | 'critical', when: Date): IncidentSignal => ({
  identity: 'blackout|region|Shymkent',
  kind: 'blackout',
  scopeType: 'region',
  scope: 'Shymkent',
  region: 'Shymkent',
  level,
  state: 'firing',
  summary: 'Internet blackout in Shymkent',
  evidence: {},
  at: when,
})

const subjects = () => smtp.received.map((mail) => mail.subject.replace(/ — .*/, ''))

describe('an acknowledged incident', () => {
  it('gets no reminder until the acknowledgement is withdrawn; its resolution is sent', async () => {
    const notifier = start(testConfig({ smtpPort: smtp.port }))
    clock = START
    const { incident } = await raiseIncident(store.sql, blackout('warning', START))
    clock = at(60_000)
    expect(await notifier.runOnce()).toMatchObject({ sent: 1 })

    await acknowledgeIncident(store.sql, { incidentId: incident.id, by: 'desk', at: at(120_000) })
    // Past two repeat intervals: nothing, as long as it is acknowledged.
    clock = at(4 * HOUR + 120_000)
    expect(await notifier.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
    clock = at(8 * HOUR + 120_000)
    expect(await notifier.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })

    // Withdrawn: the reminder that is due goes out.
    await unacknowledgeIncident(store.sql, incident.id)
    expect(await notifier.runOnce()).toMatchObject({ planned: 1, sent: 1 })

    // Acknowledged again, then resolved: the resolution is sent.
    await acknowledgeIncident(store.sql, { incidentId: incident.id, by: 'desk', at: clock })
    clock = at(9 * HOUR)
    await resolveIncident(store.sql, 'blackout|region|Shymkent', clock)
    clock = at(9 * HOUR + 120_000)
    expect(await notifier.runOnce()).toMatchObject({ planned: 1, sent: 1 })
    expect(subjects()).toEqual([
      '[WARNING] Internet blackout: Shymkent',
      '[WARNING] Still ongoing: Internet blackout: Shymkent',
      '[RESOLVED] Internet blackout: Shymkent',
    ])
  })

  it('is cleared by a higher level: the update is sent and reminders come back', async () => {
    const notifier = start(testConfig({ smtpPort: smtp.port }))
    clock = START
    const { incident } = await raiseIncident(store.sql, blackout('warning', START))
    clock = at(60_000)
    await notifier.runOnce()
    await acknowledgeIncident(store.sql, { incidentId: incident.id, by: 'desk', at: clock })

    clock = at(HOUR)
    await raiseIncident(store.sql, blackout('critical', clock))
    clock = at(HOUR + 60_000)
    expect(await notifier.runOnce()).toMatchObject({ planned: 1, sent: 1 })
    clock = at(5 * HOUR + 120_000)
    expect(await notifier.runOnce()).toMatchObject({ planned: 1, sent: 1 })
    expect(subjects()).toEqual([
      '[WARNING] Internet blackout: Shymkent',
      '[CRITICAL] Update: Internet blackout: Shymkent',
      '[CRITICAL] Still ongoing: Internet blackout: Shymkent',
    ])
  })
})
