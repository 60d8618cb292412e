// The country-wide blackout rule as the config states it reaches detection: defaults when unset, the
// configured values when set, and a rule that would let one region alone make the country refused.

import { parseConfig } from '@vigil/config'
import { describe, expect, it } from 'vitest'
import { issuesOf, MINIMAL, withAppended } from '../../../packages/config/test/fixture.js'
import { detectionSettings } from '../src/settings.js'

describe('thresholds.blackout.country', () => {
  it('defaults to two regions or two networks', () => {
    const settings = detectionSettings(parseConfig(MINIMAL, 'config/test.yaml', {}))
    expect(settings.blackout.country).toEqual({ minRegions: 2, minNetworks: 2 })
  })

  it('carries a configured minimum and share of regions to detection', () => {
    const text = withAppended('thresholds:\n  blackout:\n    country: { minRegions: 3, minRegionShare: 0.4 }')
    const settings = detectionSettings(parseConfig(text, 'config/test.yaml', {}))
    expect(settings.blackout.country).toEqual({ minRegions: 3, minRegionShare: 0.4, minNetworks: 2 })
  })

  it('refuses a rule under two regions or two networks, naming the key', () => {
    for (const rule of ['{ minRegions: 1 }', '{ minNetworks: 1 }', '{ minRegionShare: 1.5 }']) {
      const issues = issuesOf(withAppended(`thresholds:\n  blackout:\n    country: ${rule}`))
      expect(issues.map((i) => i.path).join(' ')).toMatch(
        /thresholds\.blackout\.country\.(minRegions|minNetworks|minRegionShare)/,
      )
    }
  })
})
