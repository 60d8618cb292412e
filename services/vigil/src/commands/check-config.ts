// `vigil check-config`: validates a config file and prints ok or every error with file, key and line.
import { ConfigError, formatConfigIssues } from '@vigil/config'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { loadConfigOption } from './common.js'

export async function checkConfigCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values } = parseOptions(args, { config: { type: 'string', short: 'c' } })
  try {
    const { file, config } = await loadConfigOption(values.config, env)
    io.stdout(`ok ${file}\n`)
    const { counts } = config.trust
    io.stdout(
      `trust: ${config.trust.roots.length} roots (bundled ${counts.bundled}, NODE_EXTRA_CA_CERTS ${counts.environment}, trust.caFiles ${counts.files})\n`,
    )
    for (const loaded of config.probing.fingerprintFiles) {
      io.stdout(
        `fingerprints: ${loaded.file}: ${loaded.blockPages} block-page patterns, ${loaded.dnsAddresses} DNS addresses, ${loaded.skipped} rows skipped\n`,
      )
    }
    return 0
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${formatConfigIssues(error.issues)}\n`)
      return 1
    }
    throw error
  }
}
