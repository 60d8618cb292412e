// The uploader's decisions (backoff, Retry-After) on data, and its answers to an api that limits or fails,
// from a real HTTP server on loopback: nothing is acknowledged unless the api confirmed it.

import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { IngestMeasurement } from '@vigil/api'
import { Spool } from '@vigil/spool'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUploader, nextUploadDelay, parseRetryAfter } from '../src/agent/uploader.js'

describe('decisions', () => {
  const settings = { uploadIntervalMs: 30_000, maxBackoffMs: 300_000 }
  it('backs off exponentially on failures, up to maxBackoff', () => {
    const failed = { kind: 'failed', measurements: 0, reason: 'network' } as const
    expect([1, 2, 3, 4, 20].map((n) => nextUploadDelay(failed, n, settings))).toEqual([
      1_000, 2_000, 4_000, 8_000, 300_000,
    ])
    expect(nextUploadDelay({ kind: 'idle' }, 0, settings)).toBe(30_000)
    expect(nextUploadDelay({ kind: 'rate_limited', measurements: 0, retryAfterMs: 7_000 }, 0, settings)).toBe(
      7_000,
    )
  })

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2019-07-06T04:00:00Z')
    expect(parseRetryAfter('12', now)).toBe(12_000)
    expect(parseRetryAfter('Sat, 06 Jul 2019 04:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
  })
})

describe('against an api that says no', () => {
  let server: Server
  let url: string
  let answer: { status: number; headers: Record<string, string> } = { status: 200, headers: {} }
  const requests: Array<{ url: string; encoding: string | undefined; authorization: string | undefined }> = []
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-uploader-'))

  beforeAll(async () => {
    server = createServer((request, response) => {
      // The api's old address on the same server, moved for good: same path without /old.
      if (request.url?.startsWith('/old/')) {
        request.resume()
        response.writeHead(308, { location: request.url.slice('/old'.length) })
        response.end()
        return
      }
      requests.push({
        url: request.url ?? '',
        encoding: request.headers['content-encoding'],
        authorization: request.headers.authorization,
      })
      request.resume()
      request.on('end', () => {
        response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
        response.end(JSON.stringify({ received: 2, new: 2, duplicates: 0 }))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('keeps records on 429 and 503, acknowledges them on 200', async () => {
    const spool = Spool.open<IngestMeasurement>({ dir, maxBytes: 1_048_576, fullPolicy: 'stop' })
    spool.append(
      [0, 1].map((n) => ({
        id: `kz-1:${n}`,
        measuredAt: '2019-07-06T04:00:00.000Z',
        vantage: 'kz-1',
        target: 'social/facebook',
        kind: 'https',
        ok: true,
        failure: null,
      })),
    )
    const uploader = createUploader({
      spool,
      apiUrl: `${url}/`,
      token: 'vgl_secret',
      batchSize: 10,
      uploadIntervalMs: 1_000,
      heartbeatIntervalMs: 1_000,
      maxBackoffMs: 1_000,
      version: 'test',
    })
    try {
      answer = { status: 429, headers: { 'retry-after': '17' } }
      expect(await uploader.runOnce()).toEqual({
        kind: 'rate_limited',
        measurements: 0,
        retryAfterMs: 17_000,
      })
      expect(spool.stats().backlog).toBe(2)
      answer = { status: 503, headers: {} }
      expect(await uploader.runOnce()).toEqual({ kind: 'failed', measurements: 0, reason: 'server' })
      expect(spool.stats().backlog).toBe(2)
      answer = { status: 200, headers: {} }
      expect(await uploader.runOnce()).toEqual({ kind: 'sent', measurements: 2 })
      expect(spool.stats().backlog).toBe(0)
      expect(await uploader.runOnce()).toEqual({ kind: 'idle' })
      expect(await uploader.heartbeat()).toBe(true)
      expect(requests.map((r) => r.url)).toEqual(['/v1/ingest', '/v1/ingest', '/v1/ingest', '/v1/heartbeat'])
      expect(requests[0]).toMatchObject({ encoding: 'gzip', authorization: 'Bearer vgl_secret' })
    } finally {
      await uploader.stop()
      spool.close()
    }
  })

  it('follows a permanent redirect of the api with the same batch and token, as fetch did', async () => {
    const movedDir = mkdtempSync(path.join(tmpdir(), 'vigil-uploader-moved-'))
    const spool = Spool.open<IngestMeasurement>({ dir: movedDir, maxBytes: 1_048_576, fullPolicy: 'stop' })
    spool.append([
      {
        id: 'kz-1:moved',
        measuredAt: '2019-07-06T04:00:00.000Z',
        vantage: 'kz-1',
        target: 'social/facebook',
        kind: 'https',
        ok: true,
        failure: null,
      },
    ])
    const uploader = createUploader({
      spool,
      apiUrl: `${url}/old`,
      token: 'vgl_secret',
      batchSize: 10,
      uploadIntervalMs: 1_000,
      heartbeatIntervalMs: 1_000,
      maxBackoffMs: 1_000,
      version: 'test',
    })
    try {
      answer = { status: 200, headers: {} }
      requests.length = 0
      expect(await uploader.runOnce()).toEqual({ kind: 'sent', measurements: 1 })
      expect(spool.stats().backlog).toBe(0)
      expect(requests).toEqual([{ url: '/v1/ingest', encoding: 'gzip', authorization: 'Bearer vgl_secret' }])
    } finally {
      await uploader.stop()
      spool.close()
      rmSync(movedDir, { recursive: true, force: true })
    }
  })
})
