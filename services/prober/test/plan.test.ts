import { defaultConfigFile, loadConfig } from '@vigil/config'
import { currentInterval, planProbes } from '@vigil/prober'
import { describe, expect, it } from 'vitest'
import { loopbackConfig } from './support.js'

describe('planProbes', () => {
  it('plans every kind of every target the shipped config gives an in-country vantage', async () => {
    const config = await loadConfig(defaultConfigFile(), {})
    const groups = planProbes(config, () => ['127.0.0.53'])
    const names = groups.map((planned) => planned.group.name)
    expect(names).toEqual(expect.arrayContaining(['social', 'independent-news', 'control']))
    expect(names).not.toContain('in-country')
    const social = groups.find((planned) => planned.group.name === 'social')!
    const facebook = social.probes.filter((p) => p.targetId === 'facebook')
    expect(facebook.map((p) => p.probe.kind).sort()).toEqual(['dns', 'https', 'tcp', 'tls'])
    expect(facebook.every((p) => p.region === 'Almaty')).toBe(true)
    const dns = facebook.find((p) => p.probe.kind === 'dns')!.probe
    expect(dns).toMatchObject({
      host: 'www.facebook.com',
      resolver: '127.0.0.53',
      controlResolver: '1.1.1.1',
    })
    const https = facebook.find((p) => p.probe.kind === 'https')!.probe
    expect(https).toMatchObject({ url: 'https://www.facebook.com/' })
    expect((https as { blockPages: Array<{ name: string; status?: number }> }).blockPages).toContainEqual(
      expect.objectContaining({ name: 'unavailable-for-legal-reasons', status: 451 }),
    )
  })

  it('passes the hop a block-page pattern names to the probe, any hop by default', () => {
    const config = loopbackConfig(
      [{ name: 'news', targets: [{ name: 'site', port: 8080 }] }],
      [
        '    blockPages:',
        '      - name: notice-redirect',
        '        hop: first',
        "        header: { name: location, pattern: '^http://notice\\.isp\\.kz/' }",
      ].join('\n'),
    )
    const probe = planProbes(config)[0]!.probes[0]!.probe as {
      blockPages: Array<{ name: string; hop: string }>
    }
    expect(probe.blockPages.map((page) => [page.name, page.hop])).toEqual([
      ['access-restricted-ru', 'any'],
      ['notice-redirect', 'first'],
    ])
  })

  it('gives outside-in measurements the region of the endpoint, not of the vantage', async () => {
    const config = await loadConfig(defaultConfigFile(), {
      VIGIL_VANTAGE_ROLE: 'outside',
      VIGIL_VANTAGE_COUNTRY: 'DE',
      VIGIL_VANTAGE_REGION: '',
    })
    const groups = planProbes(config, () => ['127.0.0.53'])
    expect(groups.map((planned) => planned.group.name)).toContain('in-country')
    // Every shipped in-country endpoint speaks for its city, whatever the vantage abroad says.
    const endpoints = groups.find((planned) => planned.group.name === 'in-country')!
    expect(new Set(endpoints.probes.filter((p) => p.targetId === 'kcell').map((p) => p.region))).toEqual(
      new Set(['Almaty']),
    )
    expect(endpoints.probes.every((p) => p.region !== null)).toBe(true)
    expect(endpoints.regions.sort()).toEqual(['Almaty', 'Nur-Sultan'])
    const config2 = loopbackConfig([
      {
        name: 'kz-endpoints',
        purpose: 'outside_in',
        targets: [{ name: 'aktau-isp', port: 1, region: 'Aktau' }],
      },
    ])
    const [planned] = planProbes(config2)
    expect(planned!.probes[0]!.region).toBe('Aktau')
    expect(planned!.regions).toEqual(['Aktau'])
  })
})

describe('currentInterval', () => {
  it('switches to the rally interval inside a rally window of the region, and back after it', () => {
    const config = loopbackConfig(
      [{ name: 'social', interval: '5m', rallyInterval: '30s', targets: [{ name: 'a', port: 1 }] }],
      [
        'rallies:',
        '  - name: July rally',
        '    city: Almaty',
        "    start: '2019-07-06T10:00:00'",
        "    end: '2019-07-06T14:00:00'",
        '    leadHours: 2',
        '    tailHours: 4',
      ].join('\n'),
    )
    const [planned] = planProbes(config)
    // Almaty was UTC+6 in 2019: the window is 08:00 to 18:00 local, 02:00Z to 12:00Z.
    expect(currentInterval(config, planned!, new Date('2019-07-06T01:59:00Z'))).toBe(300_000)
    expect(currentInterval(config, planned!, new Date('2019-07-06T02:00:00Z'))).toBe(30_000)
    expect(currentInterval(config, planned!, new Date('2019-07-06T11:59:00Z'))).toBe(30_000)
    expect(currentInterval(config, planned!, new Date('2019-07-06T12:00:00Z'))).toBe(300_000)
  })
})
