// `vigil migrate`: brings the database schema up to date and exits.
import { migrate } from '@vigil/store'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { chooseStore, loadConfigOption, openChosenStore } from './common.js'

export async function migrateCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values } = parseOptions(args, {
    config: { type: 'string', short: 'c' },
    'data-dir': { type: 'string' },
  })
  const { config } = await loadConfigOption(values.config, env)
  const store = await openChosenStore(chooseStore(config, values['data-dir'], env), { create: true })
  try {
    const result = await migrate(store.sql)
    const applied = result.applied.map((migration) => `${migration.id} ${migration.name}`)
    io.stdout(
      applied.length === 0
        ? `database at ${store.location} is up to date (migration ${result.version})\n`
        : `applied ${applied.join(', ')} to ${store.location}; now at migration ${result.version}\n`,
    )
    return 0
  } finally {
    await store.close()
  }
}
