// What several commands share: finding the config, opening the store it names.
import { existsSync } from 'node:fs'
import { isIP } from 'node:net'
import path from 'node:path'
import { defaultConfigFile, loadConfig, type VigilConfig } from '@vigil/config'
import { VigilError } from '@vigil/errors'
import { openStore, type Store } from '@vigil/store'

export interface StoreChoice {
  databaseUrl?: string | undefined
  dataDir: string
}

export async function loadConfigOption(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<{ config: VigilConfig; file: string }> {
  const resolved = path.resolve(file ?? defaultConfigFile())
  return { config: await loadConfig(resolved, env), file: resolved }
}

/** DATABASE_URL wins; otherwise the embedded database in --data-dir, the config's data directory, or ./data. */
export function chooseStore(
  config: VigilConfig,
  dataDirOption: string | undefined,
  env: NodeJS.ProcessEnv,
): StoreChoice {
  const databaseUrl = env.DATABASE_URL?.trim() || undefined
  return { databaseUrl, dataDir: path.resolve(dataDirOption ?? config.store.dataDir) }
}

/**
 * True when `dataDir` holds an embedded Vigil store: the PostgreSQL version file PGlite's initdb writes
 * (`pg/PG_VERSION`).
 */
export function holdsEmbeddedStore(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))
}

/**
 * Opens the chosen store. An embedded data directory that holds no store is refused unless `create` is set
 * (`start` and `migrate`): a mistyped --data-dir must not become a new, empty store that a command then
 * reports from or writes a key into.
 * @throws VigilError NO_STORE naming the directory.
 */
export function openChosenStore(choice: StoreChoice, options: { create?: boolean } = {}): Promise<Store> {
  if (!choice.databaseUrl && !options.create && !holdsEmbeddedStore(choice.dataDir)) {
    return Promise.reject(
      new VigilError('NO_STORE', `the data directory ${choice.dataDir} holds no Vigil store`, {
        hint: 'check --data-dir (or store.dataDir in the config); vigil start or vigil migrate creates a new store',
      }),
    )
  }
  return openStore({ databaseUrl: choice.databaseUrl, dataDir: choice.dataDir })
}

/**
 * Resolves with the first SIGINT or SIGTERM, after logging it; a second signal while the caller shuts
 * down ends the process at once.
 */
export function untilStopSignal(
  onSignal: (signal: NodeJS.Signals) => void = () => {},
): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      onSignal(signal)
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      process.once('SIGINT', () => process.exit(130))
      process.once('SIGTERM', () => process.exit(143))
      resolve(signal)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

/** Whether a URL's hostname is this machine (`localhost`, 127.0.0.0/8, ::1): plain HTTP to it stays here. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  if (isIP(host) === 4) return host.startsWith('127.')
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./.test(host)
  return false
}
