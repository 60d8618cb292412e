import { describeError, isVigilError, redactCredentials, VigilError } from '@vigil/errors'
import { describe, expect, it } from 'vitest'

describe('VigilError', () => {
  it('carries a code, a hint and the cause', () => {
    const cause = new Error('boom')
    const error = new VigilError('STORE_UNREACHABLE', 'cannot reach the database', {
      hint: 'is it running?',
      cause,
    })
    expect(error.code).toBe('STORE_UNREACHABLE')
    expect(error.hint).toBe('is it running?')
    expect(error.cause).toBe(cause)
    expect(isVigilError(error, 'STORE_UNREACHABLE')).toBe(true)
    expect(isVigilError(error, 'OTHER')).toBe(false)
    expect(describeError(error)).toBe('cannot reach the database\n  hint: is it running?')
  })

  it('redacts passwords in connection strings', () => {
    const error = new VigilError('X', 'failed to connect to postgres://vigil:s3cret@db:5432/vigil')
    expect(error.message).toBe('failed to connect to postgres://vigil:***@db:5432/vigil')
    expect(redactCredentials('smtp://a:b@c')).toBe('smtp://a:***@c')
    expect(redactCredentials('postgres://vigil@db/vigil')).toBe('postgres://vigil@db/vigil')
    expect(describeError(new Error('postgres://u:p@h/d'))).toBe('postgres://u:***@h/d')
  })
})
