// Maps key paths in the parsed YAML back to lines of the file, so that every problem can be reported as
// `file:line: path: message`.
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml'

export type KeyPath = ReadonlyArray<string | number>

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/

/** `targetGroups[2].targets[0].url`; odd keys are quoted: `news.vocabulary["pt-BR"]`. */
export function formatPath(path: KeyPath): string {
  let text = ''
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`
    else if (IDENTIFIER.test(segment)) text += text === '' ? segment : `.${segment}`
    else text += `[${JSON.stringify(segment)}]`
  }
  return text
}

export interface SourceMap {
  /** Line of the value at `path`, or of the nearest enclosing key or item when it is missing. */
  lineOf(path: KeyPath): number | undefined
  /** Whether the key at `path` is written in the file (possibly with an empty value). */
  has(path: KeyPath): boolean
}

export function createSourceMap(doc: Document, lineCounter: LineCounter): SourceMap {
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line

  function walk(path: KeyPath): { line: number | undefined; found: boolean } {
    let node: unknown = doc.contents
    let line: number | undefined = rangeStart(node) === undefined ? 1 : lineAt(rangeStart(node)!)
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(doc)
      if (isMap(node)) {
        const pair = node.items.find((item) => keyText(item.key) === String(segment))
        if (!pair) return { line, found: false }
        const start = rangeStart(pair.key) ?? rangeStart(pair.value)
        if (start !== undefined) line = lineAt(start)
        node = pair.value
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment]
        if (item === undefined) return { line, found: false }
        const start = rangeStart(item)
        if (start !== undefined) line = lineAt(start)
        node = item
      } else {
        return { line, found: false }
      }
    }
    return { line, found: true }
  }

  return {
    lineOf: (path) => walk(path).line,
    has: (path) => walk(path).found,
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value)
  return typeof key === 'string' ? key : undefined
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range
  return range ? range[0] : undefined
}
