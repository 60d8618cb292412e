import { BufferedWriter } from '@vigil/store'
import { describe, expect, it } from 'vitest'

function flakyDatabase(failFirst: number) {
  const committed: number[] = []
  let calls = 0
  return {
    committed,
    write: async (batch: number[]) => {
      calls += 1
      if (calls <= failFirst) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' })
      committed.push(...batch)
    },
  }
}

describe('BufferedWriter', () => {
  it('writes in batches of the configured size, in order', async () => {
    const db = flakyDatabase(0)
    const sizes: number[] = []
    const writer = new BufferedWriter<number>({
      write: async (batch) => {
        sizes.push(batch.length)
        await db.write(batch)
      },
      batchSize: 4,
    })
    writer.add([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    await writer.close()
    expect(db.committed).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(sizes).toEqual([4, 4, 2])
  })

  it('keeps rows through a database outage and writes them once it is back', async () => {
    const db = flakyDatabase(3)
    const errors: number[] = []
    const writer = new BufferedWriter<number>({
      write: db.write,
      flushIntervalMs: 5,
      retryMinMs: 5,
      retryMaxMs: 20,
      onError: (_error, pending) => errors.push(pending),
    })
    writer.add([1, 2, 3])
    await new Promise((resolve) => setTimeout(resolve, 200))
    writer.add(4)
    await writer.close()
    expect(errors).toEqual([3, 3, 3])
    expect(db.committed).toEqual([1, 2, 3, 4])
    expect(writer.pending).toBe(0)
  })

  it('drops the oldest rows past its bound and reports how many', async () => {
    const dropped: number[] = []
    const db = flakyDatabase(0)
    const writer = new BufferedWriter<number>({
      write: db.write,
      maxBuffered: 3,
      flushIntervalMs: 60_000,
      onDrop: (n) => dropped.push(n),
    })
    writer.add([1, 2, 3, 4, 5])
    await writer.close()
    expect(dropped).toEqual([2])
    expect(db.committed).toEqual([3, 4, 5])
  })

  it('gives up closing after its timeout and says what is left', async () => {
    const writer = new BufferedWriter<number>({
      write: async () => {
        throw new Error('down')
      },
      retryMinMs: 5,
      retryMaxMs: 5,
    })
    writer.add([1, 2])
    await expect(writer.close(50)).rejects.toThrow('down')
    expect(writer.pending).toBe(2)
  })
})
