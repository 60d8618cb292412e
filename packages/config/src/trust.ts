// One trust configuration for every TLS check (probes, certwatch, tls-check): Node's bundled Mozilla roots
// unless turned off, the certificates in NODE_EXTRA_CA_CERTS (the variable Node itself reads, which stops
// applying as soon as a program passes its own `ca`), and the files under `trust.caFiles`.
import { createHash, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { rootCertificates } from 'node:tls'
import { VigilError } from '@vigil/errors'

export interface TrustSettings {
  /** PEM of every root trusted, without duplicates. Pass as `ca` to every TLS check. */
  roots: string[]
  /** How many roots came from each source (a root in two sources counts in the first). */
  counts: { bundled: number; environment: number; files: number }
  /** The NODE_EXTRA_CA_CERTS file read, if any. */
  environmentFile: string | undefined
  /** The `trust.caFiles` read, as absolute paths. */
  files: string[]
}

export interface TrustSection {
  bundledRoots: boolean
  caFiles: string[]
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/**
 * Reads every source of trust. `report(where, message)` receives one problem per unreadable file or file
 * without a certificate (`where` is the index in `caFiles`, or `env` for NODE_EXTRA_CA_CERTS); what could
 * be read is still returned. Relative `caFiles` are taken from the config file's directory,
 * NODE_EXTRA_CA_CERTS from the working directory, as Node does.
 */
export function loadTrust(
  section: TrustSection,
  configFile: string,
  env: NodeJS.ProcessEnv,
  report: (where: number | 'env', message: string) => void = () => {},
): TrustSettings {
  const seen = new Set<string>()
  const roots: string[] = []
  const add = (pems: readonly string[]): number => {
    let added = 0
    for (const pem of pems) {
      const der = derOf(pem)
      if (der === null) continue
      const key = createHash('sha256').update(der).digest('hex')
      if (seen.has(key)) continue
      seen.add(key)
      roots.push(pem)
      added += 1
    }
    return added
  }
  const counts = { bundled: 0, environment: 0, files: 0 }
  if (section.bundledRoots) counts.bundled = add(rootCertificates)
  const extra = env.NODE_EXTRA_CA_CERTS?.trim() || undefined
  const environmentFile = extra === undefined ? undefined : path.resolve(extra)
  if (environmentFile !== undefined) {
    const pems = readPems(environmentFile, (message) => report('env', `NODE_EXTRA_CA_CERTS: ${message}`))
    counts.environment = add(pems)
  }
  const base = path.dirname(path.resolve(configFile))
  const files = section.caFiles.map((file) => path.resolve(base, file))
  files.forEach((file, index) => {
    counts.files += add(readPems(file, (message) => report(index, message)))
  })
  return { roots, counts, environmentFile, files }
}

/**
 * The trust a command uses without a config file: the bundled roots and NODE_EXTRA_CA_CERTS. Throws a
 * VigilError (`config.trust`) when NODE_EXTRA_CA_CERTS names a file that cannot be used.
 */
export function trustFromEnvironment(env: NodeJS.ProcessEnv): TrustSettings {
  const problems: string[] = []
  const trust = loadTrust({ bundledRoots: true, caFiles: [] }, 'no-config', env, (_, message) =>
    problems.push(message),
  )
  if (problems.length > 0) {
    throw new VigilError('config.trust', problems.join('; '), {
      hint: 'NODE_EXTRA_CA_CERTS must name a readable PEM file of CA certificates',
    })
  }
  return trust
}

function readPems(file: string, problem: (message: string) => void): string[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    problem(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    return []
  }
  const blocks = text.match(PEM_BLOCK) ?? []
  const good = blocks.filter((pem) => derOf(pem) !== null)
  if (good.length === 0) problem(`${file} holds no PEM certificate`)
  else if (good.length < blocks.length)
    problem(`${file}: ${blocks.length - good.length} certificates do not parse`)
  return good
}

function derOf(pem: string): Buffer | null {
  try {
    return new X509Certificate(pem).raw
  } catch {
    return null
  }
}
