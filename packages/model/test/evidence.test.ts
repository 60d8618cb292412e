// Stored evidence is read as its kind's type, older rows included; what does not fit fails closed.
import { contradictedField, readEvidence } from '@vigil/model'
import { describe, expect, it } from 'vitest'

const report = {
  reportId: 7,
  version: 2,
  update: true,
  day: '2019-07-06',
  cities: ['Almaty'],
  count: { value: 700, qualifier: 'approx' },
  people: [],
  title: 'Около 700 задержанных',
  evidence: 'В Алматы задержали около 700 человек.',
}

describe('readEvidence', () => {
  it('reads a detention report written before sources carried `url`, from their `link`', () => {
    const read = readEvidence('detention_report', {
      ...report,
      sources: [{ source: 'azattyq', title: 'Задержания', link: 'https://rus.azattyq.org/a/1.html' }],
    })
    expect(read.kind === 'detention_report' && read.evidence?.sources).toEqual([
      { source: 'azattyq', title: 'Задержания', url: 'https://rus.azattyq.org/a/1.html' },
    ])
  })

  it.each([
    ['blackout', { share: '0%' }, 'share'],
    [
      'throttling',
      { group: 'social', factorThreshold: 3, slow: [{ target: 'x' }], comparedSeries: 1 },
      'slow.0',
    ],
    ['detention_report', { ...report, sources: 'azattyq' }, 'sources'],
  ] as const)('names the field of %s evidence that does not fit', (kind, evidence, field) => {
    const read = readEvidence(kind, evidence)
    expect(read.evidence).toBeNull()
    expect('problem' in read && read.problem).toMatch(new RegExp(`^${field.replace('.', '\\.')}`))
  })

  it('keeps fields a later version added', () => {
    const read = readEvidence('dns_tampering', { tamperedTargets: ['vk'], dnsSeries: 4, resolver: '9.9.9.9' })
    expect(read.evidence).toMatchObject({ resolver: '9.9.9.9' })
  })
})

describe('contradictedField', () => {
  const registered = { role: 'in_country', region: 'Almaty', asn: 9198, networkType: 'mobile' } as const
  it('finds the first claimed field that differs, and ignores fields not claimed', () => {
    expect(contradictedField(registered, {})).toBeNull()
    expect(contradictedField(registered, { region: 'Almaty', asn: 9198 })).toBeNull()
    expect(contradictedField(registered, { asn: 9198, region: 'Shymkent' })).toMatchObject({
      field: 'region',
    })
    expect(contradictedField(registered, { networkType: 'fixed' })).toMatchObject({ field: 'networkType' })
  })
  it('has nothing to contradict where the registry does not know the network type', () => {
    expect(contradictedField({ ...registered, networkType: 'unknown' }, { networkType: 'fixed' })).toBeNull()
  })
})
