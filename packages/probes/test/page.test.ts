// The pure decisions behind the http and dns probes, tested on data: page titles, block-page patterns,
// bogon ranges and the DNS tampering verdict.
import { assessDnsAnswers, extractTitle, isBogon, matchBlockPage } from '@vigil/probes'
import { describe, expect, it } from 'vitest'

describe('extractTitle', () => {
  it('reads the first title, decoding entities and collapsing whitespace', () => {
    expect(extractTitle('<html><head><TITLE lang="kk">\n  Azattyq &amp; &#1178;azaqstan \n</TITLE>')).toBe(
      'Azattyq & Қazaqstan',
    )
  })

  it('is null without a title or with an empty one', () => {
    expect(extractTitle('<html><body>no title</body></html>')).toBeNull()
    expect(extractTitle('<title>  </title>')).toBeNull()
  })
})

describe('matchBlockPage', () => {
  const patterns = [
    { name: 'status-451', status: 451 },
    { name: 'kz-notice', status: 200, body: 'доступ к ресурсу ограничен' },
    { name: 'filter-header', header: { name: 'X-Filter', pattern: /^blocked/ } },
  ]
  const page = { statusCode: 200, headers: {}, body: '' }

  it('matches on status alone', () => {
    expect(matchBlockPage({ ...page, statusCode: 451 }, patterns)?.name).toBe('status-451')
  })

  it('needs every field of a pattern to match', () => {
    const body = '<p>Доступ к ресурсу ОГРАНИЧЕН по решению суда</p>'
    expect(matchBlockPage({ ...page, body }, patterns)?.name).toBe('kz-notice')
    expect(matchBlockPage({ ...page, statusCode: 302, body }, patterns)).toBeNull()
  })

  it('matches header values by name in any case', () => {
    expect(matchBlockPage({ ...page, headers: { 'x-filter': 'blocked-by-isp' } }, patterns)?.name).toBe(
      'filter-header',
    )
    expect(matchBlockPage({ ...page, headers: { 'x-filter': 'pass' } }, patterns)).toBeNull()
  })

  it('ignores a pattern with no fields', () => {
    expect(matchBlockPage(page, [{ name: 'empty' }])).toBeNull()
  })
})

describe('isBogon', () => {
  it.each([
    ['10.1.2.3', true],
    ['127.0.0.1', true],
    ['0.0.0.0', true],
    ['169.254.1.1', true],
    ['100.64.0.1', true],
    ['172.16.5.5', true],
    ['192.168.1.1', true],
    ['::1', true],
    ['fe80::1', true],
    ['fd00::1', true],
    ['::ffff:10.0.0.1', true],
    ['93.184.216.34', false],
    ['100.128.0.1', false],
    ['2a00:1450:4001::1', false],
    ['not-an-address', false],
  ])('%s -> %s', (address, bogon) => {
    expect(isBogon(address)).toBe(bogon)
  })
})

describe('assessDnsAnswers', () => {
  it('flags a bogon the control did not give', () => {
    expect(assessDnsAnswers(['10.10.34.35'], ['93.184.216.34'])).toEqual({
      bogons: ['10.10.34.35'],
      tampering: true,
    })
  })

  it('does not flag a private answer the control gives too', () => {
    expect(assessDnsAnswers(['10.0.0.5'], ['10.0.0.5']).tampering).toBe(false)
  })

  it('reports but does not flag a bogon without a control', () => {
    expect(assessDnsAnswers(['10.0.0.5'], null)).toEqual({ bogons: ['10.0.0.5'], tampering: false })
  })

  it('flags a configured block-page address even without a control', () => {
    expect(assessDnsAnswers(['95.59.0.1'], null, ['95.59.0.1']).tampering).toBe(true)
  })

  it('accepts public answers that differ from the control (CDNs do that)', () => {
    expect(assessDnsAnswers(['93.184.216.35'], ['93.184.216.34']).tampering).toBe(false)
  })
})
