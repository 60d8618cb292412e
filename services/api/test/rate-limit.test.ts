// The per-token bucket: a minute's worth of requests at once, then one more each 60/limit seconds.
import { describe, expect, it } from 'vitest'
import { RateLimiter, takeFromBucket } from '../src/rate-limit.js'

describe('takeFromBucket', () => {
  it('allows the limit at once, then asks to wait for the next refill', () => {
    const limiter = new RateLimiter(6)
    const at = 1_000_000
    expect(Array.from({ length: 6 }, () => limiter.take(1, at).allowed)).toEqual(Array(6).fill(true))
    expect(limiter.take(1, at)).toMatchObject({ allowed: false, retryAfterSeconds: 10 })
    expect(limiter.take(2, at).allowed).toBe(true)
    expect(limiter.take(1, at + 4_000)).toMatchObject({ allowed: false, retryAfterSeconds: 6 })
    expect(limiter.take(1, at + 10_000).allowed).toBe(true)
  })

  it('never holds more than the limit after a long pause', () => {
    const first = takeFromBucket(undefined, 0, 2)
    expect(takeFromBucket(first.bucket, 3_600_000, 2).bucket.tokens).toBe(1)
  })
})
