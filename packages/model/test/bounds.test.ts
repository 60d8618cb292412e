// Dates from outside are accepted only when they name an instant that exists and that Vigil can compute with.
import { describe, expect, it } from 'vitest'
import { dayProblem, instantProblem } from '../src/bounds.js'

describe('instantProblem', () => {
  it('accepts RFC 3339 date-times with a zone inside the accepted range', () => {
    for (const value of [
      '2019-06-09T10:00:00Z',
      '2019-07-06T10:00:00+06:00',
      '2020-02-29T23:59:59.999Z',
      '2019-12-31 23:59:59-05:00',
    ]) {
      expect(instantProblem(value), value).toBeNull()
    }
  })

  it('refuses days that do not exist instead of rolling them into the next month', () => {
    for (const value of [
      '2019-02-30T00:00:00Z',
      '2019-02-29T00:00:00Z',
      '2019-04-31T12:00:00+06:00',
      '2019-13-01T00:00:00Z',
      '2019-00-10T00:00:00Z',
      '2019-06-00T00:00:00Z',
    ]) {
      expect(instantProblem(value), value).toMatch(/not a day of the calendar/)
    }
  })

  it('refuses times of day that do not exist, leap seconds, missing zones and years out of range', () => {
    expect(instantProblem('2019-06-09T24:00:00Z')).toMatch(/time of day/)
    expect(instantProblem('2019-06-09T10:60:00Z')).toMatch(/time of day/)
    expect(instantProblem('2016-12-31T23:59:60Z')).toMatch(/leap seconds/)
    expect(instantProblem('2019-06-09T10:00:00')).toMatch(/with a zone/)
    expect(instantProblem('0000-01-01T00:00:00Z')).toMatch(/must lie between/)
    expect(instantProblem('9999-01-01T00:00:00Z')).toMatch(/must lie between/)
  })
})

describe('dayProblem', () => {
  it('accepts calendar days and refuses the rest', () => {
    expect(dayProblem('2019-07-06')).toBeNull()
    expect(dayProblem('2020-02-29')).toBeNull()
    expect(dayProblem('2019-02-30')).not.toBeNull()
    expect(dayProblem('2019-7-6')).not.toBeNull()
  })
})
