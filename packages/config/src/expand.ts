// Environment references in string values: `${NAME}` and `${NAME:-default}` (the default also covers a
// set but empty variable), `$${` for a literal `${`. Secrets must be written as a bare reference, so a
// password can never sit in the file. Works on the YAML tree, so an expanded value cannot inject YAML.
import { type Document, isAlias, isMap, isScalar, isSeq, Scalar } from 'yaml'
import type { KeyPath } from './source.js'
import { formatPath } from './source.js'

export interface PathIssue {
  path: KeyPath
  message: string
}

/** Values that must come from the environment, never from the file. */
const SECRET_PATHS = [
  /^smtp\.(user|password)$/,
  /^agent\.token$/,
  /^alerts\.receivers\[\d+\]\.webhook\.bearerToken$/,
  /^alerts\.receivers\[\d+\]\.telegram\.botToken$/,
  /^alerts\.receivers\[\d+\]\.matrix\.accessToken$/,
  /^alerts\.receivers\[\d+\]\.ntfy\.token$/,
]

export function isSecretPath(path: KeyPath): boolean {
  const text = formatPath(path)
  return SECRET_PATHS.some((pattern) => pattern.test(text))
}

const REFERENCE = /\$(\$?)\{([^}]*)\}/g
const REFERENCE_BODY = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/
const BARE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-)?\}$/

/**
 * Expands every string value of the document in place. Returns the problems found; a value with a
 * problem is left as written so that later checks still see a value there.
 */
export function expandEnvironment(doc: Document, env: NodeJS.ProcessEnv): PathIssue[] {
  const issues: PathIssue[] = []

  const visit = (node: unknown, path: KeyPath): void => {
    if (isAlias(node)) return
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
        visit(pair.value, [...path, key])
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) visit(item, [...path, index])
    } else if (isScalar(node)) {
      expandScalar(node, path)
    }
  }

  const expandScalar = (node: Scalar, path: KeyPath): void => {
    const secret = isSecretPath(path)
    if (secret && node.value !== null) {
      const written = typeof node.value === 'string' ? node.value.trim() : undefined
      if (written === undefined || !BARE_REFERENCE.test(written)) {
        issues.push({
          path,
          message: `a secret must come from the environment, not the file: write \${${suggestedVariable(path)}} (or \${${suggestedVariable(path)}:-} when it may be unset)`,
        })
        // Never let the literal through, not even into later error messages.
        node.value = null
        return
      }
    }
    if (typeof node.value !== 'string' || !node.value.includes('$')) return

    const original = node.value
    const unclosed = original.replace(REFERENCE, '').indexOf('${')
    if (unclosed !== -1) {
      issues.push({ path, message: `unclosed reference: expected \${NAME} or \${NAME:-default}` })
      return
    }
    let failed = false
    const expanded = original.replace(REFERENCE, (whole, doubled: string, body: string) => {
      if (doubled === '$') return whole.slice(1)
      const match = REFERENCE_BODY.exec(body)
      if (!match) {
        failed = true
        issues.push({
          path,
          message: `malformed reference "${whole}": expected \${NAME} or \${NAME:-default}`,
        })
        return whole
      }
      const name = match[1]!
      const fallback = match[2]
      const value = env[name]
      if (value !== undefined && value !== '') return value
      if (fallback !== undefined) return fallback
      failed = true
      issues.push({
        path,
        message:
          value === undefined
            ? `environment variable ${name} is not set (write \${${name}:-default} to give a default)`
            : `environment variable ${name} is empty (write \${${name}:-default} to give a default)`,
      })
      return whole
    })
    if (failed || expanded === original) return

    if (secret) {
      node.value = expanded === '' ? null : expanded
    } else if (node.type === Scalar.PLAIN) {
      // An unquoted `port: ${PORT:-8080}` means a number, as it would if the number were written there.
      node.value = resolvePlainScalar(expanded)
    } else {
      node.value = expanded
    }
  }

  visit(doc.contents, [])
  return issues
}

/** `smtp.password` -> `VIGIL_SMTP_PASSWORD`: a name to suggest for a secret written in the file. */
function suggestedVariable(path: KeyPath): string {
  const words = path.filter((segment): segment is string => typeof segment === 'string').slice(-2)
  return ['VIGIL', ...words.map((word) => word.replace(/([a-z])([A-Z])/g, '$1_$2'))].join('_').toUpperCase()
}

/** The YAML 1.2 core schema's reading of a plain scalar: null, boolean, number or string. */
function resolvePlainScalar(text: string): unknown {
  if (/^(?:~|null|Null|NULL|)$/.test(text)) return null
  if (/^(?:true|True|TRUE)$/.test(text)) return true
  if (/^(?:false|False|FALSE)$/.test(text)) return false
  if (/^[-+]?[0-9]+$/.test(text)) return Number.parseInt(text, 10)
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(text)) return Number.parseFloat(text)
  return text
}
