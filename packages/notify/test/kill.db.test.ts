// A notifier killed with SIGKILL while the SMTP server holds its message unanswered: the row stays leased
// until the lease runs out, then the next notifier sends it, and exactly one email is accepted.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createNotifier } from '@vigil/notify'
import { openStore, queryNotifications, raiseIncident } from '@vigil/store'
import { createTestDatabase } from '@vigil/store/testing'
import { describe, expect, it } from 'vitest'
import { startSmtp, testConfig } from './support.js'

const deliverer = fileURLToPath(new URL('./fixtures/deliver.ts', import.meta.url))
const RALLY = new Date('2019-07-06T04:02:00Z')

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
