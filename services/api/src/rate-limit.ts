// Token buckets for the per-agent ingest rate limit: a pure decision on a bucket, and a small in-memory
// table of buckets by token id (bounded by the number of tokens, which an operator creates by hand).

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
