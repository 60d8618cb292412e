// Token buckets: a pure decision on a bucket; a table of buckets by token id for the per-agent ingest rate
// limit (bounded by the number of tokens, which an operator creates by hand); and a bounded table of
// failed-authentication budgets by client address.

export interface Bucket {
  /** Requests that may be made right now; refills continuously up to the limit. */
  tokens: number
  updatedAtMs: number
}

export interface TakeResult {
  allowed: boolean
  bucket: Bucket
  /** Whole seconds until one request is allowed again; 0 when allowed. */
  retryAfterSeconds: number
}

/** Takes one request from a bucket of `perMinute` requests, refilling at `perMinute` per minute. */
export function takeFromBucket(bucket: Bucket | undefined, nowMs: number, perMinute: number): TakeResult {
  const refillPerMs = perMinute / 60_000
  const previous = bucket ?? { tokens: perMinute, updatedAtMs: nowMs }
  const elapsed = Math.max(0, nowMs - previous.updatedAtMs)
  const tokens = Math.min(perMinute, previous.tokens + elapsed * refillPerMs)
  if (tokens >= 1) {
    return { allowed: true, bucket: { tokens: tokens - 1, updatedAtMs: nowMs }, retryAfterSeconds: 0 }
  }
  return {
    allowed: false,
    bucket: { tokens, updatedAtMs: nowMs },
    retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / refillPerMs / 1000)),
  }
}

export class RateLimiter {
  private readonly buckets = new Map<number, Bucket>()

  constructor(private readonly perMinute: number) {}

  take(key: number, nowMs: number): TakeResult {
    const result = takeFromBucket(this.buckets.get(key), nowMs, this.perMinute)
    this.buckets.set(key, result.bucket)
    return result
  }
}

/**
 * Failed authentications per client address: each address may fail `perMinute` times in a burst, then once
 * every 60/`perMinute` seconds. While an address has no budget left, its requests are refused before any
 * credential is looked at. At most `maxAddresses` addresses are tracked; past that the least recently
 * failing one is forgotten, so a flood from many addresses costs bounded memory.
 */
export class FailureLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    private readonly perMinute: number,
    private readonly maxAddresses = 10_000,
  ) {}

  /** Whole seconds until `address` may try again; 0 when it may try now. Takes nothing from the budget. */
  retryAfter(address: string, nowMs: number): number {
    const bucket = this.buckets.get(address)
    if (!bucket) return 0
    const tokens = Math.min(
      this.perMinute,
      bucket.tokens + (Math.max(0, nowMs - bucket.updatedAtMs) * this.perMinute) / 60_000,
    )
    if (tokens >= 1) return 0
    return Math.max(1, Math.ceil(((1 - tokens) * 60_000) / this.perMinute / 1000))
  }

  /** Records one failure of `address`. */
  fail(address: string, nowMs: number): void {
    const result = takeFromBucket(this.buckets.get(address), nowMs, this.perMinute)
    // Deleted and set again so the map's insertion order is the order of last failure.
    this.buckets.delete(address)
    this.buckets.set(address, result.bucket)
    while (this.buckets.size > this.maxAddresses) {
      this.buckets.delete(this.buckets.keys().next().value as string)
    }
  }

  get size(): number {
    return this.buckets.size
  }
}
