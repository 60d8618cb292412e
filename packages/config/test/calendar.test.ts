// Rally windows in each city's own time zone, and finding regions by any of their names.
import {
  activeRallyWindows,
  isInRallyWindow,
  localTimeToInstant,
  parseConfig,
  rallyWindows,
  resolveRegion,
} from '@vigil/config'
import { describe, expect, it } from 'vitest'
import { MINIMAL, withAppended } from './fixture.js'

const config = parseConfig(
  withAppended(`rallies:
  - name: 6 July rallies
    city: all
    start: 2019-07-06T10:00
    end: 2019-07-06T14:00
    leadHours: 0
    tailHours: 0
  - name: Almaty only, widened
    city: Алматы
    start: 2019-06-09T10:00
    end: 2019-06-09T18:00
    leadHours: 3
    tailHours: 6
`),
  'test.yaml',
  {},
)

describe('rally windows', () => {
  it('turn local start and end into instants in each city own zone', () => {
    const windows = rallyWindows(config).filter((window) => window.rally.name === '6 July rallies')
    expect(
      windows.map((window) => [window.region.name, window.start.toISOString(), window.end.toISOString()]),
    ).toEqual([
      // Almaty was UTC+6 in 2019, Aktau UTC+5: the same announced hour is an hour apart.
      ['Almaty', '2019-07-06T04:00:00.000Z', '2019-07-06T08:00:00.000Z'],
      ['Aktau', '2019-07-06T05:00:00.000Z', '2019-07-06T09:00:00.000Z'],
    ])
  })

  it('widen by the lead and tail hours and resolve an alias city to its canonical region', () => {
    const [window] = rallyWindows(config).filter(
      (candidate) => candidate.rally.name === 'Almaty only, widened',
    )
    expect(window?.rally.cities).toEqual(['Almaty'])
    expect(window?.start.toISOString()).toBe('2019-06-09T01:00:00.000Z')
    expect(window?.end.toISOString()).toBe('2019-06-09T18:00:00.000Z')
  })

  it('are ordered by start', () => {
    const starts = rallyWindows(config).map((window) => window.start.getTime())
    expect(starts).toEqual([...starts].sort((a, b) => a - b))
  })

  it('answer whether a moment is inside a window, for a region or for any', () => {
    expect(isInRallyWindow(config, new Date('2019-07-06T04:00:00Z'))).toBe(true)
    expect(isInRallyWindow(config, new Date('2019-07-06T03:59:59Z'))).toBe(false)
    expect(isInRallyWindow(config, new Date('2019-07-06T04:30:00Z'), 'Aktau')).toBe(false)
    expect(isInRallyWindow(config, new Date('2019-07-06T04:30:00Z'), 'Алматы')).toBe(true)
    // The end is exclusive: at 14:00 local in Almaty its window has closed, Aktau's is still open.
    expect(isInRallyWindow(config, new Date('2019-07-06T08:00:00Z'), 'Almaty')).toBe(false)
    expect(isInRallyWindow(config, new Date('2019-07-06T08:00:00Z'), 'Ақтау')).toBe(true)
    expect(isInRallyWindow(config, new Date('2019-07-06T05:00:00Z'), 'Atlantis')).toBe(false)
    expect(
      activeRallyWindows(config, new Date('2019-07-06T05:30:00Z')).map((window) => window.region.name),
    ).toEqual(['Almaty', 'Aktau'])
  })

  it('are empty without rallies', () => {
    const quiet = parseConfig(MINIMAL, 'test.yaml', {})
    expect(rallyWindows(quiet)).toEqual([])
    expect(isInRallyWindow(quiet, new Date('2019-07-06T05:00:00Z'))).toBe(false)
  })
})

describe('localTimeToInstant', () => {
  it('uses the zone rules of the date, including Kazakhstan moving to one zone in 2024', () => {
    expect(localTimeToInstant('2019-07-06T10:00', 'Asia/Almaty').toISOString()).toBe(
      '2019-07-06T04:00:00.000Z',
    )
    expect(localTimeToInstant('2025-07-06T10:00', 'Asia/Almaty').toISOString()).toBe(
      '2025-07-06T05:00:00.000Z',
    )
    expect(localTimeToInstant('2019-07-06T10:00', 'Asia/Oral').toISOString()).toBe('2019-07-06T05:00:00.000Z')
  })

  it('handles daylight saving on both sides of a change', () => {
    expect(localTimeToInstant('2019-03-31T01:30', 'Europe/Berlin').toISOString()).toBe(
      '2019-03-31T00:30:00.000Z',
    )
    expect(localTimeToInstant('2019-03-31T03:30', 'Europe/Berlin').toISOString()).toBe(
      '2019-03-31T01:30:00.000Z',
    )
    // 02:30 did not exist that night in Berlin; the instant after the gap is taken.
    expect(localTimeToInstant('2019-03-31T02:30', 'Europe/Berlin').toISOString()).toBe(
      '2019-03-31T01:30:00.000Z',
    )
  })
})

describe('resolveRegion', () => {
  it('finds a region by its name or any alias, whatever the case, dashes or spacing', () => {
    for (const name of ['Almaty', 'almaty', 'ALMATY', 'Алматы', 'алматы', 'Alma-Ata', 'alma ata']) {
      expect(resolveRegion(config, name)?.name).toBe('Almaty')
    }
    expect(resolveRegion(config, 'Ақтау')?.name).toBe('Aktau')
    expect(resolveRegion(config, 'Shymkent')).toBeUndefined()
  })
})
