import { displayText, hasBidiControls, storableJson, storableText } from '@vigil/outside-text'
import { describe, expect, it } from 'vitest'

describe('storableText', () => {
  it('replaces NUL and lone surrogates of either half, keeps valid pairs', () => {
    expect(storableText('a\u0000b')).toBe('a\uFFFDb')
    expect(storableText('x\uD800y')).toBe('x\uFFFDy')
    expect(storableText('x\uDC00y')).toBe('x\uFFFDy')
    expect(storableText('end\uD83D')).toBe('end\uFFFD')
    expect(storableText('\uDE00start')).toBe('\uFFFDstart')
    expect(storableText('ok 😀 ок')).toBe('ok 😀 ок')
  })

  it('bounds the length without splitting a surrogate pair', () => {
    expect(storableText('abcdef', 4)).toBe('abc…')
    const cut = storableText('ab😀cd', 4)
    expect(cut).toBe('ab…')
    expect(storableText('ab', 4)).toBe('ab')
  })

  it('is linear: 5 MB of lone surrogates is handled in one pass', () => {
    const text = '\uD800a'.repeat(2_500_000)
    const out = storableText(text, 10_000_000)
    expect(out.length).toBe(text.length)
    expect(out.includes('\uD800')).toBe(false)
  })
})

describe('storableJson', () => {
  it('cleans keys and values at every depth, drops what JSON cannot hold', () => {
    const value = {
      'ti\u0000tle': 'page \u0000 title',
      headers: { server: ['nginx\uD800'] },
      n: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      f: () => 1,
      u: undefined,
      when: new Date('2019-07-06T04:00:00Z'),
    }
    expect(storableJson(value)).toEqual({
      'ti\uFFFDtle': 'page \uFFFD title',
      headers: { server: ['nginx\uFFFD'] },
      n: null,
      inf: null,
      when: new Date('2019-07-06T04:00:00Z'),
    })
  })

  it('bounds depth, breadth and string length, saying what was cut', () => {
    let deep: unknown = 'bottom'
    for (let i = 0; i < 10_000; i++) deep = { d: deep }
    const cleaned = JSON.stringify(storableJson(deep))
    expect(cleaned).toContain('[nested too deep]')
    expect(cleaned.length).toBeLessThan(400)
    const wide = storableJson(Array.from({ length: 5_000 }, (_, i) => i))
    expect(wide).toHaveLength(1_001)
    expect(wide[1_000]).toBe('…truncated 4000 items')
    const keys = storableJson(Object.fromEntries(Array.from({ length: 1_500 }, (_, i) => [`k${i}`, i])))
    expect(Object.keys(keys)).toHaveLength(1_001)
    expect(keys['…truncated' as keyof typeof keys]).toBe(500)
    expect(storableJson({ s: 'x'.repeat(20_000) }).s).toHaveLength(8_192)
  })
})

describe('displayText', () => {
  it('removes every bidirectional control: overrides, embeddings, isolates and marks', () => {
    const controls = [
      '\u202A',
      '\u202B',
      '\u202C',
      '\u202D',
      '\u202E',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
    ]
    for (const control of [...controls, '\u200E', '\u200F', '\u061C']) {
      expect(hasBidiControls(`a${control}b`)).toBe(true)
      expect(displayText(`4000 ${control}detained`)).toBe('4000 detained')
    }
    expect(displayText('Задержаны 700 человек — Алматы')).toBe('Задержаны 700 человек — Алматы')
    expect(hasBidiControls('plain')).toBe(false)
  })
})
