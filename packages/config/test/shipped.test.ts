// The shipped Kazakhstan example is valid and says what the design promises it monitors.
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import {
  ConfigError,
  defaultConfigFile,
  groupsForVantage,
  loadConfig,
  parseConfig,
  resolveRegion,
} from '@vigil/config'
import { describe, expect, it } from 'vitest'

describe('the shipped config/kazakhstan.yaml', () => {
  it('is found from the package and passes with an empty environment', async () => {
    const file = defaultConfigFile()
    expect(isAbsolute(file)).toBe(true)
    expect(file.endsWith(join('config', 'kazakhstan.yaml'))).toBe(true)
    const config = await loadConfig(file, {})
    expect(config.country).toBe('KZ')
    expect(config.vantage).toMatchObject({ id: 'kz-almaty-1', role: 'in_country', region: 'Almaty' })
    expect(config.vantage.network).toEqual({ asn: 9198, name: 'Kazakhtelecom', type: 'unknown' })
  })

  it('declares the nine rally cities with their zones', async () => {
    const config = await loadConfig(defaultConfigFile(), {})
    expect(Object.fromEntries(config.regions.map((region) => [region.name, region.timeZone]))).toEqual({
      'Nur-Sultan': 'Asia/Almaty',
      Almaty: 'Asia/Almaty',
      Aktobe: 'Asia/Aqtobe',
      Atyrau: 'Asia/Atyrau',
      Aktau: 'Asia/Aqtau',
      Karaganda: 'Asia/Almaty',
      Uralsk: 'Asia/Oral',
      'Ust-Kamenogorsk': 'Asia/Almaty',
      Shymkent: 'Asia/Almaty',
    })
    for (const [alias, name] of [
      ['Астана', 'Nur-Sultan'],
      ['Нұр-Сұлтан', 'Nur-Sultan'],
      ['Орал', 'Uralsk'],
      ['Өскемен', 'Ust-Kamenogorsk'],
      ['Усть-Каменогорск', 'Ust-Kamenogorsk'],
    ]) {
      expect(resolveRegion(config, alias!)?.name).toBe(name)
    }
  })

  it('probes the services blocked in 2019, independent news, a control set and in-country endpoints', async () => {
    const config = await loadConfig(defaultConfigFile(), {})
    const byPurpose = (purpose: string) =>
      config.targetGroups.filter((group) => group.purpose === purpose).flatMap((group) => group.targets)
    const hosts = (purpose: string) => byPurpose(purpose).map((target) => target.host)
    expect(hosts('service')).toEqual(
      expect.arrayContaining([
        'www.facebook.com',
        'twitter.com',
        'www.youtube.com',
        'www.instagram.com',
        'telegram.org',
        'web.whatsapp.com',
        'vk.com',
        'www.azattyq.org',
        'vlast.kz',
      ]),
    )
    expect(hosts('control').length).toBeGreaterThanOrEqual(3)
    expect(hosts('outside_in').length).toBeGreaterThanOrEqual(3)
    expect(config.targetGroups.find((group) => group.name === 'independent-news')?.targets[0]?.urls).toEqual({
      http: 'http://www.azattyq.org/',
      https: 'https://www.azattyq.org/',
    })
    // The in-country vantage probes everything but the endpoints meant to be seen from abroad.
    expect(groupsForVantage(config).map((group) => group.name)).toEqual([
      'social',
      'independent-news',
      'control',
    ])
    expect(groupsForVantage(config, 'outside').map((group) => group.name)).toEqual(['control', 'in-country'])
  })

  it('has the 2019 rally calendar, news sources of every type, and the documented thresholds', async () => {
    const config = await loadConfig(defaultConfigFile(), {})
    const june = config.rallies.find((rally) => rally.start.startsWith('2019-06-09'))
    expect(june).toMatchObject({ allCities: true, end: '2019-06-12T22:00:00' })
    expect(june?.cities).toHaveLength(9)
    expect(config.rallies.some((rally) => rally.start === '2019-07-06T10:00:00')).toBe(true)
    expect(new Set(config.news.sources.map((source) => source.type))).toEqual(new Set(['rss', 'html']))
    expect(config.news.sources.find((source) => source.type === 'html')?.html).toMatchObject({
      item: 'article',
    })
    expect(Object.keys(config.news.vocabulary).sort()).toEqual(['en', 'kk', 'ru'])
    expect(config.thresholds.blackout).toMatchObject({ warning: 0.8, critical: 0.5 })
    expect(config.thresholds.baselineDays).toBe(7)
    expect(config.api.port).toBe(8080)
    expect(config.store.dataDir).toBe('./data')
    expect(config.smtp).toMatchObject({ host: 'localhost', port: 1025, user: undefined, password: undefined })
  })

  it('compiles every pattern it ships', async () => {
    const config = await loadConfig(defaultConfigFile(), {})
    const patterns = [
      ...config.targetGroups.flatMap((group) => group.blockPages.flatMap((page) => page.bodyPattern ?? [])),
      ...Object.values(config.news.vocabulary).flatMap((words) => [
        ...words.detention,
        ...words.context,
        ...words.exclude,
      ]),
    ]
    expect(patterns.length).toBeGreaterThan(5)
    for (const pattern of patterns) expect(() => new RegExp(pattern, 'iu')).not.toThrow()
    const russianBlockPage = config.targetGroups[0]?.blockPages.find(
      (page) => page.name === 'access-restricted-ru',
    )
    expect(new RegExp(russianBlockPage!.bodyPattern!, 'iu').test('Доступ к данному ресурсу ограничен')).toBe(
      true,
    )
  })

  it('lets each machine set its vantage from the environment', async () => {
    const config = await loadConfig(defaultConfigFile(), {
      VIGIL_VANTAGE_ID: 'de-fra-control',
      VIGIL_VANTAGE_ROLE: 'control',
      VIGIL_VANTAGE_COUNTRY: 'DE',
      VIGIL_VANTAGE_REGION: 'Frankfurt',
      VIGIL_VANTAGE_ASN: 'AS24940',
      VIGIL_VANTAGE_NETWORK: 'Hetzner',
      VIGIL_VANTAGE_NETWORK_TYPE: 'fixed',
      VIGIL_SMTP_USER: 'vigil',
      VIGIL_SMTP_PASSWORD: 's3cret',
    })
    expect(config.vantage).toEqual({
      id: 'de-fra-control',
      role: 'control',
      country: 'DE',
      region: 'Frankfurt',
      network: { asn: 24940, name: 'Hetzner', type: 'fixed' },
    })
    expect(config.smtp).toMatchObject({ user: 'vigil', password: 's3cret' })
  })

  it('gives a vantage abroad no city of the country, even with the in-country region default', async () => {
    const config = await loadConfig(defaultConfigFile(), {
      VIGIL_VANTAGE_ID: 'nl-outside-1',
      VIGIL_VANTAGE_ROLE: 'outside',
      VIGIL_VANTAGE_COUNTRY: 'NL',
      VIGIL_VANTAGE_ASN: '1136',
    })
    expect(config.vantage).toMatchObject({ id: 'nl-outside-1', role: 'outside', country: 'NL' })
    expect(config.vantage.region).toBeUndefined()
    const almaty = await loadConfig(defaultConfigFile(), { VIGIL_VANTAGE_COUNTRY: 'KZ' })
    expect(almaty.vantage.region).toBe('Almaty')
  })

  it('says for every in-country endpoint which city and kind of network its failures speak for', async () => {
    const config = await loadConfig(defaultConfigFile(), {})
    const endpoints = config.targetGroups
      .filter((group) => group.purpose === 'outside_in')
      .flatMap((group) => group.targets)
    expect(endpoints.length).toBeGreaterThanOrEqual(3)
    const declared = new Set(config.regions.map((region) => region.name))
    for (const target of endpoints) {
      expect(declared.has(target.region ?? ''), `${target.name} has a declared region`).toBe(true)
      expect(['mobile', 'fixed'], `${target.name} has a network`).toContain(target.networkType)
    }
    expect(endpoints.find((target) => target.name === 'kcell')).toMatchObject({ region: 'Almaty' })
  })

  it('rejects an in-country vantage in a city it does not declare', async () => {
    const text = await readFile(defaultConfigFile(), 'utf8')
    expect(() => parseConfig(text, 'config/kazakhstan.yaml', { VIGIL_VANTAGE_REGION: 'Semey' })).toThrow(
      /config\/kazakhstan\.yaml:\d+: vantage\.region: unknown region "Semey"/,
    )
  })
})

describe('loadConfig', () => {
  it('reports a missing file with its own code', async () => {
    const file = join(tmpdir(), 'vigil-no-such-config.yaml')
    const error = await loadConfig(file, {}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).code).toBe('CONFIG_NOT_FOUND')
    expect((error as ConfigError).issues).toEqual([
      { file, path: '', line: undefined, message: 'no such file' },
    ])
  })
})
