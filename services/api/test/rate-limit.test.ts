// The per-token bucket: a minute's worth of requests at once, then one more each 60/limit seconds.
import { describe, expect, it } from 'vitest'
import { clientAddress } from '../src/access.js'
import { FailureLimiter, RateLimiter, takeFromBucket } from '../src/rate-limit.js'

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

describe('FailureLimiter', () => {
  it('lets an address fail its budget at once, then once per refill, without taking from a check', () => {
    const limiter = new FailureLimiter(6)
    const at = 5_000_000
    for (let n = 0; n < 6; n++) {
      expect(limiter.retryAfter('192.0.2.1', at)).toBe(0)
      limiter.fail('192.0.2.1', at)
    }
    expect(limiter.retryAfter('192.0.2.1', at)).toBe(10)
    expect(limiter.retryAfter('192.0.2.1', at)).toBe(10)
    expect(limiter.retryAfter('192.0.2.2', at)).toBe(0)
    expect(limiter.retryAfter('192.0.2.1', at + 4_000)).toBe(6)
    expect(limiter.retryAfter('192.0.2.1', at + 10_000)).toBe(0)
  })

  it('forgets the address that failed longest ago once it tracks its maximum', () => {
    const limiter = new FailureLimiter(1, 3)
    for (const address of ['a', 'b', 'c']) limiter.fail(address, 0)
    limiter.fail('a', 1)
    limiter.fail('d', 2)
    expect(limiter.size).toBe(3)
    // b failed longest ago and was forgotten; a, c and d are still held back.
    expect(limiter.retryAfter('b', 2)).toBe(0)
    for (const address of ['a', 'c', 'd']) expect(limiter.retryAfter(address, 2)).toBeGreaterThan(0)
  })
})

describe('clientAddress', () => {
  it('counts IPv4 by address and IPv6 by its /64', () => {
    expect(clientAddress('192.0.2.7')).toBe('192.0.2.7')
    expect(clientAddress('::ffff:192.0.2.7')).toBe('192.0.2.7')
    expect(clientAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(clientAddress('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64')
    expect(clientAddress('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64')
    expect(clientAddress('::1')).toBe('0:0:0:0::/64')
  })
})
