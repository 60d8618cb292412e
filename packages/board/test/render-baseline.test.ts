// A region's tile names its baseline only when there is one: "no baseline yet" otherwise, never a norm
// the history does not hold.
import { describe, expect, it } from 'vitest'
import { renderBoardMain, renderChart } from '../src/render.js'
import type { BoardRegion, BoardSnapshot } from '../src/snapshot.js'

const chart = Array.from({ length: 24 }, (_, hour) => ({
  start: new Date(Date.UTC(2019, 5, 9, hour)).toISOString(),
  share: hour === 23 ? 0.1 : 0.95,
  samples: 40,
}))
const region = (name: string, baseline: number | null): BoardRegion => ({
  name,
  timeZone: 'Asia/Almaty',
  state: 'degraded',
  since: null,
  incidentIds: [],
  chart,
  baseline,
})

describe('the tile baseline', () => {
  it('says "no baseline yet" without one and the figure with one', () => {
    const snapshot: BoardSnapshot = {
      name: 'Vigil',
      country: 'KZ',
      generatedAt: '2019-06-09T23:30:00Z',
      regions: [region('Almaty', null), region('Shymkent', 0.97)],
      incidents: [],
      reports: [],
      sources: [],
      vantages: [],
      rallies: [],
    }
    const html = renderBoardMain(snapshot)
    const almaty = html.slice(html.indexOf('data-region="Almaty"'), html.indexOf('data-region="Shymkent"'))
    const shymkent = html.slice(html.indexOf('data-region="Shymkent"'))
    expect(almaty).toContain('Now 10% · no baseline yet</p>')
    expect(almaty).not.toMatch(/baseline \d/)
    expect(shymkent).toContain('Now 10% · baseline 97%</p>')
    expect(renderChart(chart, null, 'Almaty')).toContain('latest 10%, no baseline yet')
  })
})
