// Reading a config file: YAML with line positions, environment expansion, the schema, then the checks
// across keys. Every problem found is collected and reported as `file:line: path: message`.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { VigilError } from '@vigil/errors'
import { LineCounter, parseDocument } from 'yaml'
import type { z } from 'zod'
import { expandEnvironment, type PathIssue } from './expand.js'
import { resolveConfig } from './resolve.js'
import { configFileSchema } from './schema.js'
import { createSourceMap, formatPath, type KeyPath, type SourceMap } from './source.js'
import { loadTrust } from './trust.js'
import type { ConfigIssue, VigilConfig } from './types.js'
import { describeValue } from './values.js'

export class ConfigError extends VigilError {
  readonly issues: ConfigIssue[]

  constructor(
    code: 'CONFIG_INVALID' | 'CONFIG_NOT_FOUND',
    issues: ConfigIssue[],
    options: { hint?: string; cause?: unknown } = {},
  ) {
    const count = issues.length === 1 ? 'a problem' : `${issues.length} problems`
    const file = issues[0]?.file ?? 'config'
    const heading = code === 'CONFIG_NOT_FOUND' ? `cannot read config file ${file}` : `${file} has ${count}`
    super(code, `${heading}:\n${formatConfigIssues(issues)}`, options)
    this.name = 'ConfigError'
    this.issues = issues
  }
}

/** One line per issue: `config/x.yaml:12: targetGroups[0].interval: expected a duration such as "5m", got 5`. */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`
      return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`
    })
    .join('\n')
}

/** The shipped example, `config/kazakhstan.yaml` at the repository root: the default when none is given. */
export function defaultConfigFile(): string {
  return fileURLToPath(new URL('../../../config/kazakhstan.yaml', import.meta.url))
}

export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<VigilConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    throw new ConfigError(
      'CONFIG_NOT_FOUND',
      [{ file, path: '', line: undefined, message: missing ? 'no such file' : (error as Error).message }],
      { hint: 'pass --config FILE, or start from config/kazakhstan.yaml', cause: error },
    )
  }
  return parseConfig(text, file, env)
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): VigilConfig {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter })
  const sourceMap = createSourceMap(doc, lineCounter)
  const toIssue = (issue: PathIssue): ConfigIssue => ({
    file,
    path: formatPath(issue.path),
    line: sourceMap.lineOf(issue.path),
    message: issue.message,
  })
  const fail = (issues: ConfigIssue[]): never => {
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
    throw new ConfigError('CONFIG_INVALID', issues, {
      hint: 'every key is described in the shipped example, config/kazakhstan.yaml',
    })
  }

  if (doc.errors.length > 0) {
    fail(
      doc.errors.map((error) => ({
        file,
        path: '',
        line: error.linePos?.[0].line,
        message: `YAML syntax: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    )
  }
  if (doc.contents === null) fail([{ file, path: '', line: 1, message: 'the file is empty' }])

  const expansionIssues = expandEnvironment(doc, env)
  let data: unknown
  try {
    data = dropNulls(doc.toJS({ maxAliasCount: 1_000 }))
  } catch (error) {
    // Aliases nested to expand exponentially ("billion laughs") are refused rather than expanded.
    return fail([{ file, path: '', line: undefined, message: `YAML aliases: ${(error as Error).message}` }])
  }
  const parsed = configFileSchema.safeParse(data, { error: (issue) => messageFor(issue) })

  const issues: ConfigIssue[] = expansionIssues.map(toIssue)
  const expandedPaths = new Set(issues.map((issue) => issue.path))
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const pathIssue of explainIssue(issue, sourceMap)) {
        const converted = toIssue(pathIssue)
        // A value whose reference could not be expanded has already been reported.
        if (!expandedPaths.has(converted.path)) issues.push(converted)
      }
    }
    fail(issues)
  }
  const { config, issues: crossIssues } = resolveConfig(file, parsed.data!, (path) => sourceMap.has(path))
  for (const issue of crossIssues.map(toIssue)) if (!expandedPaths.has(issue.path)) issues.push(issue)
  config.trust = loadTrust(parsed.data!.trust, file, env, (where, message) =>
    issues.push(toIssue({ path: where === 'env' ? ['trust'] : ['trust', 'caFiles', where], message })),
  )
  if (issues.length > 0) fail(issues)
  return config
}

/** `key:` with no value means "not set", as if the key were left out, so defaults apply. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === null ? undefined : dropNulls(item)))
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      if (item !== null) result[key] = dropNulls(item)
    }
    return result
  }
  return value
}

const TYPE_NAMES: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of keys',
  record: 'a mapping of keys',
}

/** Messages for zod's built-in checks, in the file's terms. Returns undefined to keep zod's own. */
function messageFor(issue: z.core.$ZodRawIssue): string | undefined {
  const input = issue.input
  if (input === undefined && issue.code !== 'unrecognized_keys') return 'required'
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${describeValue(input)}`
    case 'invalid_value':
      return `expected ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}, got ${describeValue(input)}`
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty'
      if (issue.origin === 'array')
        return `must have at least ${issue.minimum} ${issue.minimum === 1 ? 'item' : 'items'}`
      return `must be at least ${issue.minimum}, got ${describeValue(input)}`
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters long`
      if (issue.origin === 'array') return `must have at most ${issue.maximum} items`
      return `must be at most ${issue.maximum}, got ${describeValue(input)}`
    case 'unrecognized_keys': {
      // Carried to explainIssue, which reports each key separately with a suggestion.
      const shape = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod
        ?.def?.shape
      return JSON.stringify({ known: Object.keys(shape ?? {}) })
    }
    case 'invalid_key':
      return `unexpected key: ${issue.issues[0]?.message ?? 'not allowed here'}`
    case 'invalid_union':
      return `expected ${describeExpected(issue)}, got ${describeValue(input)}`
    default:
      return undefined
  }
}

function describeExpected(issue: z.core.$ZodRawIssue): string {
  if (issue.code !== 'invalid_union') return 'a different value'
  const expected = new Set<string>()
  for (const branch of issue.errors) {
    for (const inner of branch)
      if (inner.code === 'invalid_type') expected.add(TYPE_NAMES[inner.expected] ?? inner.expected)
  }
  return expected.size > 0 ? [...expected].join(' or ') : 'a different value'
}

/** One zod issue as the problems a person sees: missing keys said so, unknown keys one by one. */
function explainIssue(issue: z.core.$ZodIssue, sourceMap: SourceMap): PathIssue[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol')
  if (issue.code === 'unrecognized_keys') {
    let known: string[] = []
    try {
      known = (JSON.parse(issue.message) as { known: string[] }).known
    } catch {
      // A message from elsewhere: report without suggestions.
    }
    return issue.keys.map((key) => {
      const suggestion = closest(key, known)
      return {
        path: [...path, key],
        message: `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
      }
    })
  }
  if (issue.message === 'required') {
    const key = path[path.length - 1]
    if (sourceMap.has(path)) return [{ path, message: 'has no value' }]
    return [
      { path, message: typeof key === 'string' ? `missing required key "${key}"` : 'missing required value' },
    ]
  }
  return [{ path, message: issue.message }]
}

/** The known key nearest to a misspelt one, when it is near enough to be what was meant. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution)
    }
    previous = current
  }
  return previous[b.length]!
}

export type { KeyPath }
