// Quality of detention detection and extraction on the labelled corpus: prints precision and recall of
// the detention decision, of cities and of counts, for the tuning set and for the held-out set.
import { readFileSync } from 'node:fs'
import { analyzeItem, type DetentionCount } from '@vigil/news'
import { describe, expect, it } from 'vitest'

interface LabelledItem {
  id: string
  title: string
  summary: string
  published: string
  detention: boolean
  cities: string[]
  counts: DetentionCount[]
}

const corpusDir = new URL('../../../test/corpus/', import.meta.url)

function load(name: string): LabelledItem[] {
  return readFileSync(new URL(name, corpusDir), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as LabelledItem)
}

interface Tally {
  tp: number
  fp: number
  fn: number
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b)
const precision = (t: Tally) => ratio(t.tp, t.tp + t.fp)
const recall = (t: Tally) => ratio(t.tp, t.tp + t.fn)

function evaluate(items: LabelledItem[]) {
  const detention: Tally = { tp: 0, fp: 0, fn: 0 }
  const cities: Tally = { tp: 0, fp: 0, fn: 0 }
  const counts: Tally = { tp: 0, fp: 0, fn: 0 }
  const mistakes: string[] = []
  let languageRight = 0
  for (const item of items) {
    const analysis = analyzeItem(item)
    // Item ids start with their language (ru-01, h-kk-03, h2-en-05).
    const language = /(?:^|-)(ru|kk|en)-/.exec(item.id)?.[1]
    if (analysis.language === language) languageRight++
    else mistakes.push(`${item.id}: language ${analysis.language}, expected ${language}`)
    if (analysis.detention && item.detention) detention.tp++
    else if (analysis.detention) detention.fp++
    else if (item.detention) detention.fn++
    if (analysis.detention !== item.detention) {
      mistakes.push(`${item.id}: expected ${item.detention}, got ${analysis.detention} (${analysis.score})`)
    }
    tallySets(cities, analysis.cities, item.cities, (a, b) => a === b)
    const expectedCounts = item.detention ? item.counts : []
    tallySets(
      counts,
      analysis.counts,
      expectedCounts,
      (a, b) => a.value === b.value && a.qualifier === b.qualifier,
    )
    const countKey = (c: DetentionCount[]) => JSON.stringify(c.map((x) => [x.value, x.qualifier]).sort())
    if (analysis.detention && item.detention && countKey(analysis.counts) !== countKey(expectedCounts)) {
      mistakes.push(
        `${item.id}: counts expected ${countKey(expectedCounts)}, got ${countKey(analysis.counts)}`,
      )
    }
    if (JSON.stringify([...analysis.cities].sort()) !== JSON.stringify([...item.cities].sort())) {
      mistakes.push(`${item.id}: cities expected ${item.cities.join(',')}, got ${analysis.cities.join(',')}`)
    }
  }
  return { detention, cities, counts, languageAccuracy: ratio(languageRight, items.length), mistakes }
}

function tallySets<T>(
  tally: Tally,
  got: readonly T[],
  expected: readonly T[],
  same: (a: T, b: T) => boolean,
): void {
  const unmatched = [...expected]
  for (const value of got) {
    const index = unmatched.findIndex((e) => same(value, e))
    if (index >= 0) {
      tally.tp++
      unmatched.splice(index, 1)
    } else tally.fp++
  }
  tally.fn += unmatched.length
}

function report(name: string, items: LabelledItem[], result: ReturnType<typeof evaluate>): string {
  const line = (label: string, t: Tally) =>
    `  ${label.padEnd(10)} precision ${precision(t).toFixed(3)}  recall ${recall(t).toFixed(3)}  (tp ${t.tp}, fp ${t.fp}, fn ${t.fn})`
  return [
    `${name}: ${items.length} items, ${items.filter((i) => i.detention).length} detention reports`,
    line('detention', result.detention),
    line('cities', result.cities),
    line('counts', result.counts),
    `  language   accuracy ${result.languageAccuracy.toFixed(3)}`,
    ...result.mistakes.map((m) => `  - ${m}`),
  ].join('\n')
}

describe('labelled corpus', () => {
  const tuning = load('detentions.jsonl')
  const heldOut = load('detentions-holdout.jsonl')

  it('is varied: three languages, both labels, enough items', () => {
    const all = [...tuning, ...heldOut]
    expect(all.length).toBeGreaterThanOrEqual(150)
    const languages = new Set(all.map((item) => analyzeItem(item).language))
    expect([...languages].sort()).toEqual(['en', 'kk', 'ru'])
    expect(all.filter((i) => i.detention).length).toBeGreaterThan(all.length / 3)
    expect(all.filter((i) => !i.detention).length).toBeGreaterThan(all.length / 3)
    expect(new Set(all.map((i) => i.id)).size).toBe(all.length)
  })

  it('detects detention reports with precision >= 0.95 and recall >= 0.9', () => {
    const tuned = evaluate(tuning)
    const held = evaluate(heldOut)
    const combined = evaluate([...tuning, ...heldOut])
    console.log(
      [
        report('tuning set', tuning, tuned),
        report('held-out set', heldOut, held),
        report('all', [...tuning, ...heldOut], { ...combined, mistakes: [] }),
      ].join('\n'),
    )
    expect(precision(combined.detention)).toBeGreaterThanOrEqual(0.95)
    expect(recall(combined.detention)).toBeGreaterThanOrEqual(0.9)
    // The held-out set was not tuned on; it is held to the same bar so that a rule that only fits the
    // tuning set shows up here.
    expect(precision(held.detention)).toBeGreaterThanOrEqual(0.9)
    expect(recall(held.detention)).toBeGreaterThanOrEqual(0.85)
    expect(precision(combined.cities)).toBeGreaterThanOrEqual(0.9)
    expect(recall(combined.cities)).toBeGreaterThanOrEqual(0.9)
    expect(combined.languageAccuracy).toBeGreaterThanOrEqual(0.97)
    expect(precision(combined.counts)).toBeGreaterThanOrEqual(0.8)
    expect(recall(combined.counts)).toBeGreaterThanOrEqual(0.8)
  })
})
