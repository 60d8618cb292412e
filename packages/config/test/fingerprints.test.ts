// Block-page fingerprints in OONI's CSV format (the columns of github.com/ooni/blocking-fingerprints),
// read through probing.blockPages.files. The rows here are made up for the tests; no OONI data ships.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ConfigError, loadConfig, parseOoniFingerprints } from '@vigil/config'
import { afterAll, describe, expect, it } from 'vitest'
import { MINIMAL } from './fixture.js'

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-fingerprints-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const HTTP_HEADER =
  'name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,expected_countries,source,exp_url,notes'

const HTTP_CSV = [
  HTTP_HEADER,
  'test.kz_1,isp,,header.location,prefix,http://notice.isp.example.kz/,5,KZ,test,,',
  'test.kz_2,nat,,body,contains,"Доступ к ресурсу ограничен (решение №1)",5,"KZ,RU",test,,',
  'test.ru_3,isp,,body,regexp,"blocked\\s+by\\s+court",4,RU,test,,',
  'test.by_4,isp,,header.server,full,FilterGate/1.0,5,BY,test,,',
  'test.fp_5,fp,,body,contains,Access Denied,1,,test,,',
  'test.bad_6,isp,,body,regexp,"(?i)lookbehind",3,,test,,',
  'test.bad_7,isp,,cookie,contains,x,3,,test,,',
  'test.bad_8,isp,,body,glob,*blocked*,3,,test,,',
  'test.zz_9,prod,,header.x-squid-error,prefix,ERR_ACCESS_DENIED,5,ZZ,test,,',
].join('\n')

const DNS_CSV = [
  'name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,expected_countries,source,exp_url,notes',
  'test.dns_1,isp,,dns,full,95.59.170.10,5,KZ,test,,',
  'test.dns_2,nat,,dns,full,2001:db8::bad,5,KZ,test,,',
  'test.dns_3,isp,,dns,prefix,10.10.,5,KZ,test,,',
].join('\n')

describe('parseOoniFingerprints', () => {
  it('turns HTTP rows into hop-wide block-page patterns and lists the rows it cannot use', () => {
    const parsed = parseOoniFingerprints(HTTP_CSV, 'http.csv')
    expect(parsed.blockPages.map((page) => page.name)).toEqual([
      'test.kz_1',
      'test.kz_2',
      'test.ru_3',
      'test.by_4',
      'test.zz_9',
    ])
    const [location, body, regexp, server] = parsed.blockPages
    expect(location).toMatchObject({ header: { name: 'location' }, hop: 'any', bodyPattern: undefined })
    expect(new RegExp(location!.header!.pattern, 'iu').test('http://notice.isp.example.kz/?u=x')).toBe(true)
    expect(new RegExp(location!.header!.pattern, 'iu').test('http://www.example.kz/notice.isp')).toBe(false)
    // Pattern text is literal: the parentheses and № of a contains pattern are not syntax.
    expect(new RegExp(body!.bodyPattern!, 'iu').test('<p>Доступ к ресурсу ограничен (решение №1)</p>')).toBe(
      true,
    )
    expect(new RegExp(regexp!.bodyPattern!, 'iu').test('Blocked  by court order')).toBe(true)
    expect(new RegExp(server!.header!.pattern, 'iu').test('FilterGate/1.0 extra')).toBe(false)
    expect(parsed.skipped.map((row) => [row.line, row.name])).toEqual([
      [6, 'test.fp_5'],
      [7, 'test.bad_6'],
      [8, 'test.bad_7'],
      [9, 'test.bad_8'],
    ])
    expect(parsed.skipped[0]?.reason).toContain('false positive')
  })

  it('keeps DNS rows that are addresses', () => {
    const parsed = parseOoniFingerprints(DNS_CSV, 'dns.csv')
    expect(parsed.dnsAddresses).toEqual(['95.59.170.10', '2001:db8::bad'])
    expect(parsed.skipped.map((row) => row.name)).toEqual(['test.dns_3'])
  })

  it('keeps rows for the countries asked, ZZ and rows without countries', () => {
    const parsed = parseOoniFingerprints(HTTP_CSV, 'http.csv', { countries: ['KZ'] })
    expect(parsed.blockPages.map((page) => page.name)).toEqual(['test.kz_1', 'test.kz_2', 'test.zz_9'])
    expect(parsed.skipped.find((row) => row.name === 'test.ru_3')?.reason).toBe('expected in RU only')
  })

  it('refuses a file without the format columns, naming it', () => {
    expect(() => parseOoniFingerprints('name,value\nx,y\n', 'other.csv')).toThrow(
      /other\.csv is not in OONI's fingerprint format: no column location_found, pattern_type, pattern/,
    )
    expect(() => parseOoniFingerprints('"unterminated\n', 'broken.csv')).toThrow(
      /broken\.csv is not a CSV file/,
    )
  })
})

describe('probing.blockPages.files', () => {
  function config(name: string, blockPages: string): string {
    const file = path.join(dir, name)
    writeFileSync(file, `${MINIMAL}probing:\n  blockPages:\n${blockPages}`)
    return file
  }

  it('adds the files to every group, next to the listed patterns', async () => {
    writeFileSync(path.join(dir, 'fingerprints_http.csv'), HTTP_CSV)
    writeFileSync(path.join(dir, 'fingerprints_dns.csv'), DNS_CSV)
    const loaded = await loadConfig(
      config(
        'files.yaml',
        [
          '    patterns:',
          '      - name: own-notice',
          '        body: ограничен',
          '    files: [fingerprints_http.csv, fingerprints_dns.csv]',
          '    countries: [KZ]',
          '',
        ].join('\n'),
      ),
      {},
    )
    for (const group of loaded.targetGroups) {
      expect(group.blockPages.map((page) => page.name)).toEqual([
        'own-notice',
        'test.kz_1',
        'test.kz_2',
        'test.zz_9',
      ])
      expect(group.dns.blockPageAddresses).toEqual(['95.59.170.10', '2001:db8::bad'])
    }
    expect(loaded.probing.fingerprintFiles).toEqual([
      { file: path.join(dir, 'fingerprints_http.csv'), blockPages: 3, dnsAddresses: 0, skipped: 6 },
      { file: path.join(dir, 'fingerprints_dns.csv'), blockPages: 0, dnsAddresses: 2, skipped: 1 },
    ])
  })

  it('still takes a plain list of patterns', async () => {
    const loaded = await loadConfig(config('list.yaml', '    - name: notice\n      body: ограничен\n'), {})
    expect(loaded.targetGroups[0]?.blockPages.map((page) => page.name)).toEqual(['notice'])
  })

  it('names the key and line of a file that is missing or not in the format', async () => {
    writeFileSync(path.join(dir, 'wrong.csv'), 'a,b\n1,2\n')
    const error = await loadConfig(config('bad.yaml', '    files: [missing.csv, wrong.csv]\n'), {}).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as Error).message
    expect(message).toMatch(
      /bad\.yaml:\d+: probing\.blockPages\.files\[0\]: cannot read .*missing\.csv: ENOENT/,
    )
    expect(message).toMatch(
      /probing\.blockPages\.files\[1\]: .*wrong\.csv is not in OONI's fingerprint format/,
    )
  })
})
