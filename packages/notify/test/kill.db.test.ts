// A notifier killed with SIGKILL while the SMTP server holds its message unanswered: the row stays leased
// until the lease runs out, then the next notifier sends it, and exactly one email is accepted. Killed the
// instant the server accepts, it may send the message once more after restart, with the same Message-ID;
// how long that window lasts (from the server's 250 to Vigil's committed record) is measured here.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createNotifier } from '@vigil/notify'
import { openStore, queryNotifications, raiseIncident } from '@vigil/store'
import { createTestDatabase } from '@vigil/store/testing'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { type ReceivedEmail, startSmtp, testConfig } from './support.js'

const deliverer = fileURLToPath(new URL('./fixtures/deliver.ts', import.meta.url))
const RALLY = new Date('2019-07-06T04:02:00Z')
const CITIES = ['Almaty', 'Nur-Sultan', 'Shymkent', 'Karaganda', 'Aktobe', 'Aktau']

function blackout(region: string, at: Date) {
  return {
    identity: `blackout|region|${region}`,
    kind: 'blackout' as const,
    scopeType: 'region' as const,
    scope: region,
    region,
    level: 'critical' as const,
    state: 'firing' as const,
    summary: `Internet blackout in ${region}`,
    evidence: { share: 0.02, baseline: 0.96, ratio: 0.02 },
    at,
  }
}

describe('a notifier killed mid-send', () => {
  it('neither loses nor repeats the email', async () => {
    const database = await createTestDatabase()
    const smtp = await startSmtp(0, { stallFirst: true })
    const { databaseUrl, dataDir } = database.connection
    const open = () => openStore(databaseUrl ? { databaseUrl } : { dataDir })
    const config = testConfig({ smtpPort: smtp.port })
    try {
      // Plan with this process, then close: an embedded database belongs to one process at a time.
      let store = await open()
      try {
        await raiseIncident(store.sql, {
          identity: 'blackout|region|Almaty',
          kind: 'blackout',
          scopeType: 'region',
          scope: 'Almaty',
          region: 'Almaty',
          level: 'critical',
          state: 'firing',
          summary: 'Internet blackout in Almaty',
          evidence: { share: 0.02, baseline: 0.96, ratio: 0.02 }, // unread here: only the planning counts
          at: RALLY,
        })
        const planner = createNotifier({ config, sql: store.sql, now: () => RALLY })
        expect(await planner.plan()).toBe(1)
        await planner.stop()
      } finally {
        await store.close()
      }

      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          deliverer,
          databaseUrl ? 'server' : 'embedded',
          (databaseUrl ?? dataDir)!,
          String(smtp.port),
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      )
      const exited = new Promise((resolve) => child.on('exit', resolve))
      await Promise.race([
        smtp.stalled,
        exited.then(() => {
          throw new Error('the notifier process exited before sending')
        }),
      ])
      child.kill('SIGKILL')
      await exited

      store = await open()
      try {
        const [row] = await queryNotifications(store.sql, { limit: 10 })
        expect(row).toMatchObject({ state: 'sending', leaseOwner: 'killed-worker', attempts: 1 })
        let clock = new Date(RALLY.getTime() + 30_000)
        const restarted = createNotifier({ config, sql: store.sql, now: () => clock, owner: 'restarted' })
        try {
          // The dead worker's lease still holds: nothing is sent twice meanwhile.
          expect(await restarted.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
          clock = new Date(RALLY.getTime() + 60_000)
          expect(await restarted.runOnce()).toEqual({ planned: 0, sent: 1, failed: 0 })
          clock = new Date(RALLY.getTime() + 600_000)
          expect(await restarted.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
        } finally {
          await restarted.stop()
        }
        expect(smtp.received.map((m) => m.subject)).toEqual([
          '[CRITICAL] Internet blackout: Almaty — since 10:02 +06',
        ])
        const [sent] = await queryNotifications(store.sql, { limit: 10 })
        expect(sent).toMatchObject({ state: 'sent', attempts: 2, leaseOwner: null })
      } finally {
        await store.close()
      }
    } finally {
      await smtp.close()
      await database.drop()
    }
  })
})

describe("the window between the SMTP server's acceptance and Vigil's record", () => {
  it("is measured from the server's 250 to the committed record, one message per round", async () => {
    const store = await (await import('@vigil/store/testing')).openTestStore()
    const smtp = await startSmtp()
    const recordedAt: number[] = []
    // The notifier logs a delivery only once its record is committed.
    const logger = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          if ((JSON.parse(line) as { msg: string }).msg.startsWith('sent: '))
            recordedAt.push(performance.now())
        },
      },
    )
    const config = testConfig({ smtpPort: smtp.port })
    let clock = RALLY
    const notifier = createNotifier({ config, sql: store.sql, now: () => clock, logger })
    try {
      for (const [index, city] of CITIES.entries()) {
        const at = new Date(RALLY.getTime() + index * 3_600_000)
        await raiseIncident(store.sql, blackout(city, at))
        clock = new Date(at.getTime() + 61_000)
        expect((await notifier.runOnce()).sent).toBeGreaterThanOrEqual(1)
      }
    } finally {
      await notifier.stop()
      await smtp.close()
      await store.close()
    }
    // Messages are sent and recorded one after the other: the n-th record is the n-th acceptance's.
    expect(recordedAt).toHaveLength(smtp.received.length)
    const windows = smtp.received.map((mail, index) => recordedAt[index]! - mail.acceptedAt)
    const sorted = [...windows].sort((a, b) => a - b)
    console.log(
      `acceptance-to-record window over ${windows.length} messages: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`,
    )
    for (const window of windows) expect(window).toBeGreaterThan(0)
  })

  it('a kill at the instant of acceptance sends the message at most once more, with the same Message-ID', async () => {
    const database = await createTestDatabase()
    const { databaseUrl, dataDir } = database.connection
    const open = () => openStore(databaseUrl ? { databaseUrl } : { dataDir })
    let child: ReturnType<typeof spawn> | undefined
    const smtp = await startSmtp(0, {
      // SIGKILL as the 250 goes out: the notifier may or may not have recorded the delivery.
      onAccepted: (_mail: ReceivedEmail) => child?.kill('SIGKILL'),
    })
    const config = testConfig({ smtpPort: smtp.port })
    try {
      let store = await open()
      try {
        await raiseIncident(store.sql, blackout('Almaty', RALLY))
        const planner = createNotifier({ config, sql: store.sql, now: () => RALLY })
        expect(await planner.plan()).toBe(1)
        await planner.stop()
      } finally {
        await store.close()
      }
      child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          deliverer,
          databaseUrl ? 'server' : 'embedded',
          (databaseUrl ?? dataDir)!,
          String(smtp.port),
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      )
      const exited = new Promise((resolve) => child!.on('exit', resolve))
      await exited
      expect(smtp.received).toHaveLength(1)
      store = await open()
      try {
        const restarted = createNotifier({
          config,
          sql: store.sql,
          now: () => new Date(RALLY.getTime() + 600_000),
          owner: 'restarted',
        })
        try {
          await restarted.runOnce()
        } finally {
          await restarted.stop()
        }
      } finally {
        await store.close()
      }
      const copies = smtp.received.length
      console.log(`killed at acceptance: the message arrived ${copies} time(s)`)
      expect(copies === 1 || copies === 2).toBe(true)
      expect(new Set(smtp.received.map((mail) => mail.messageId)).size).toBe(1)
    } finally {
      await smtp.close()
      await database.drop()
    }
  })
})
