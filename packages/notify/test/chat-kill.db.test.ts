// Notifier processes killed with SIGKILL while each chat API has accepted a message and not yet answered:
// after the lease runs out the next process sends again. Nothing is lost; Matrix's transaction id makes
// the repeat a no-op, the others receive the message a second time (ntfy with the same sequence id).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { BlackoutEvidence } from '@vigil/model'
import { createNotifier } from '@vigil/notify'
import { openStore, queryNotifications, raiseIncident } from '@vigil/store'
import { createTestDatabase } from '@vigil/store/testing'
import { describe, expect, it } from 'vitest'
import { type ChatName, chatConfig, startChatFakes } from './chat-support.js'

const deliverer = fileURLToPath(new URL('./fixtures/deliver-chat.ts', import.meta.url))
const RALLY = new Date('2019-07-06T04:02:00Z')
// Longer than the 60 s lease the killed processes took.
const LEASE_PASSED = 61_000

describe('notifiers killed mid-send on every chat channel', () => {
  it('lose no message, and Matrix receives each exactly once', async () => {
    const database = await createTestDatabase()
    const fakes = await startChatFakes()
    const { databaseUrl, dataDir } = database.connection
    const open = () => openStore(databaseUrl ? { databaseUrl } : { dataDir })
    const config = chatConfig(fakes)
    try {
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
          evidence: {
            share: 0.02,
            baseline: 0.96,
            baselineHours: 72,
            ratio: 0.02,
            series: 12,
            failingSeries: 12,
            failingTargets: ['kz/egov'],
            failingVantages: ['kz-almaty-1'],
            controlFailing: true,
            outsideInFailing: 0,
            confirmed: true,
            silentVantages: [],
            failures: { generic_timeout_error: 12 },
          } satisfies BlackoutEvidence,
          at: RALLY,
        })
        const planner = createNotifier({ config, sql: store.sql, now: () => RALLY })
        expect(await planner.plan()).toBe(4)
        await planner.stop()
      } finally {
        await store.close()
      }

      // One process per channel, in the outbox's order: each finds the previous one's rows leased until
      // the lease runs out, sends them again, and is killed while the next remote holds its answer.
      const order: ChatName[] = ['telegram', 'matrix', 'signal', 'ntfy']
      for (const [index, channel] of order.entries()) {
        const held = fakes[channel].interfere('hold-after-accept')
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            deliverer,
            databaseUrl ? 'server' : 'embedded',
            (databaseUrl ?? dataDir)!,
            String(RALLY.getTime() + index * LEASE_PASSED),
            `killed-${index}`,
            fakes.telegram.url,
            fakes.matrix.url,
            fakes.signal.url,
            fakes.ntfy.url,
          ],
          { stdio: ['ignore', 'inherit', 'inherit'] },
        )
        const exited = new Promise((resolve) => child.on('exit', resolve))
        await Promise.race([
          held,
          exited.then(() => {
            throw new Error(`the notifier process exited before sending over ${channel}`)
          }),
        ])
        child.kill('SIGKILL')
        await exited
      }

      store = await open()
      try {
        const rows = await queryNotifications(store.sql, { limit: 10 })
        expect(rows.map((row) => [row.channel, row.state])).toEqual([
          ['telegram', 'sent'],
          ['matrix', 'sent'],
          ['signal', 'sent'],
          ['ntfy', 'sending'],
        ])
        const clock = new Date(RALLY.getTime() + order.length * LEASE_PASSED)
        const restarted = createNotifier({ config, sql: store.sql, now: () => clock, owner: 'restarted' })
        try {
          expect(await restarted.runOnce()).toEqual({ planned: 0, sent: 1, failed: 0 })
        } finally {
          await restarted.stop()
        }
        const sent = await queryNotifications(store.sql, { limit: 10 })
        expect(sent.every((row) => row.state === 'sent' && row.remoteId !== null)).toBe(true)
      } finally {
        await store.close()
      }

      // Matrix: two PUTs with one transaction id, one event.
      expect(fakes.matrix.requests).toBe(2)
      expect(fakes.matrix.events).toHaveLength(1)
      // The others accepted the message before the kill and again after it.
      expect(fakes.telegram.messages).toHaveLength(2)
      expect(fakes.telegram.messages[0]!.text).toBe(fakes.telegram.messages[1]!.text)
      expect(fakes.signal.messages).toHaveLength(2)
      expect(fakes.ntfy.messages).toHaveLength(2)
      expect(new Set(fakes.ntfy.messages.map((m) => m.sequenceId)).size).toBe(1)
    } finally {
      await fakes.close()
      await database.drop()
    }
  })
})
