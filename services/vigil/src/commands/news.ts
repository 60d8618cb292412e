// `vigil news scan FILE_OR_URL`: reads one feed or listing page, from a file or over HTTP, and prints what
// newswatch would make of every item (language, detention, counts, cities in the config's names), without a
// database.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { VigilConfig } from '@vigil/config'
import {
  analyzeItem,
  describeCount,
  FeedParseError,
  fetchSource,
  type HtmlSelectors,
  type NewsItem,
  type NewsSource,
  type ParseProblem,
  parseSourceBody,
} from '@vigil/news'
import { configGazetteer, configVocabulary, toNewsSource } from '@vigil/newswatch'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { loadConfigOption } from './common.js'

const SELECTOR_KEYS = ['item', 'title', 'link', 'date', 'summary'] as const

export async function newsCommand(context: CommandContext): Promise<number> {
  const [subcommand, ...rest] = context.args
  if (subcommand !== 'scan') {
    context.io.stderr(
      `vigil news: ${subcommand === undefined ? 'a subcommand is needed' : `unknown subcommand "${subcommand}"`}; ` +
        'usage: vigil news scan FILE_OR_URL [--json] [--config FILE] [--source NAME | --selectors item=...,title=...]\n',
    )
    return 2
  }
  return scan({ ...context, args: rest })
}

async function scan({ args, env, io }: CommandContext): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      source: { type: 'string' },
      selectors: { type: 'string' },
    },
    true,
  )
  if (positionals.length !== 1) {
    io.stderr('vigil news scan: give exactly one feed or page, as a file or an http(s) URL\n')
    return 2
  }
  const target = positionals[0]!
  const { config } = await loadConfigOption(values.config, env)
  const source = chooseSource(config, target, values.source, values.selectors)
  if (typeof source === 'string') {
    io.stderr(`vigil news scan: ${source}\n`)
    return 2
  }

  let items: NewsItem[]
  let degraded: ParseProblem | null
  let charset: { name: string | null; reason: string | null }
  if (/^https?:\/\//i.test(target)) {
    const result = await fetchSource(source.source, source.limits)
    if (result.error) {
      io.stderr(`vigil news scan: ${result.error.code}: ${result.error.message}\n`)
      return 1
    }
    items = result.items
    degraded = result.degraded
    charset = { name: result.charset, reason: result.charsetReason }
  } else {
    const file = path.resolve(target)
    try {
      // A saved file's relative links resolve only against the document's own bases: where it was once
      // fetched from is not known, and a link made up on the configured host would be worse than none.
      const parsed = await parseSourceBody(source.source, await readFile(file), {
        baseUrl: pathToFileURL(file).href,
      })
      items = parsed.items
      degraded = parsed.degraded
      charset = { name: parsed.charset, reason: parsed.charsetReason }
    } catch (error) {
      if (error instanceof FeedParseError) {
        io.stderr(`vigil news scan: ${error.code}: ${error.message}\n`)
        return 1
      }
      throw error
    }
  }

  // Both go to stderr, so that --json output stays one item per line.
  io.stderr(`vigil news scan: charset ${charset.name}: ${charset.reason}\n`)
  if (degraded) {
    io.stderr(
      `vigil news scan: degraded: ${degraded.code}: ${degraded.message} (line ${degraded.line}); ` +
        `${degraded.itemsRecovered} items recovered\n`,
    )
  }
  const options = { gazetteer: configGazetteer(config), extraVocabulary: configVocabulary(config) }
  let detentions = 0
  for (const item of items) {
    const analysis = analyzeItem(item, options)
    if (analysis.detention) detentions++
    const line = {
      title: item.title,
      link: item.link,
      ...(item.linkUnresolved ? { linkUnresolved: true } : {}),
      published: item.published,
      ...(item.dateIssue ? { dateIssue: item.dateIssue } : {}),
      language: analysis.language,
      detention: analysis.detention,
      score: analysis.score,
      counts: analysis.counts,
      cities: analysis.cities,
      dates: analysis.dates,
      people: analysis.people,
      evidence: analysis.evidence,
    }
    if (values.json) {
      io.stdout(`${JSON.stringify(line)}\n`)
    } else {
      const top = analysis.counts.reduce<(typeof analysis.counts)[number] | null>(
        (best, count) => (!best || count.value > best.value ? count : best),
        null,
      )
      const detail = analysis.detention
        ? `  [${analysis.cities.join(', ') || 'no city'}; ${describeCount(top)}]`
        : ''
      io.stdout(
        `${analysis.detention ? 'DETENTION' : '-        '} ${analysis.score.toFixed(2)} ${analysis.language.padEnd(5)} ${item.title}${detail}\n`,
      )
    }
  }
  if (!values.json) io.stderr(`${items.length} items, ${detentions} detention reports\n`)
  return 0
}

interface ScanSource {
  source: NewsSource
  limits: { timeoutMs: number; maxBytes: number }
}

/** The source to read the target as: a configured one, an HTML page with the given selectors, or a feed. */
function chooseSource(
  config: VigilConfig,
  target: string,
  sourceName: string | undefined,
  selectorText: string | undefined,
): ScanSource | string {
  if (sourceName !== undefined && selectorText !== undefined) return 'give --source or --selectors, not both'
  if (sourceName !== undefined) {
    const configured = config.news.sources.find((source) => source.name === sourceName)
    if (!configured) {
      const known = config.news.sources.map((source) => source.name).join(', ')
      return `no news source "${sourceName}" in ${config.file}${known ? ` (known: ${known})` : ''}`
    }
    return {
      source: { ...toNewsSource(configured), url: /^https?:\/\//i.test(target) ? target : configured.url },
      limits: { timeoutMs: configured.timeout, maxBytes: configured.maxBytes },
    }
  }
  const limits = { timeoutMs: config.news.sources[0]?.timeout ?? 20_000, maxBytes: 5_000_000 }
  // An unnamed source is taken to be in the monitored country: its first region's zone.
  const timeZone = config.regions[0]?.timeZone ?? 'UTC'
  if (selectorText === undefined)
    return { source: { id: 'scan', url: target, kind: 'feed', timeZone }, limits }
  const selectors = parseSelectors(selectorText)
  if (typeof selectors === 'string') return selectors
  return { source: { id: 'scan', url: target, kind: 'html', selectors, timeZone }, limits }
}

/** `item=article,title=h2 a,link=a`: a comma inside a selector is not supported here; use the config. */
function parseSelectors(text: string): HtmlSelectors | string {
  const selectors: Partial<Record<(typeof SELECTOR_KEYS)[number], string>> = {}
  for (const part of text.split(',')) {
    const [key, ...value] = part.split('=')
    const name = key?.trim() as (typeof SELECTOR_KEYS)[number]
    if (!SELECTOR_KEYS.includes(name) || value.length === 0 || !value.join('=').trim()) {
      return `--selectors takes key=selector pairs with keys ${SELECTOR_KEYS.join(', ')}; got "${part}"`
    }
    selectors[name] = value.join('=').trim()
  }
  if (!selectors.item || !selectors.title) return '--selectors needs at least item= and title='
  return { ...selectors, item: selectors.item, title: selectors.title }
}
