// Parses `vigil <command> [options]` and runs the command. Returns the exit code instead of exiting, so
// tests can call it in-process.
import { parseArgs } from 'node:util'
import { describeError } from '@vigil/errors'
import { agentCommand } from './commands/agent.js'
import { agentTokenCommand } from './commands/agent-token.js'
import { checkConfigCommand } from './commands/check-config.js'
import { exportCommand } from './commands/export.js'
import { importCommand } from './commands/import.js'
import { migrateCommand } from './commands/migrate.js'
import { newsCommand } from './commands/news.js'
import { probeCommand } from './commands/probe.js'
import { reportCommand } from './commands/report.js'
import { startCommand } from './commands/start.js'
import { tlsCheckCommand } from './commands/tls-check.js'

export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
}

export interface CommandContext {
  args: string[]
  env: NodeJS.ProcessEnv
  io: CliIo
}

interface Command {
  summary: string
  usage: string
  run(context: CommandContext): Promise<number>
}

const commands: Record<string, Command> = {
  start: {
    summary: 'run every Vigil service in one process (embedded database unless DATABASE_URL is set)',
    usage: 'vigil start [--config FILE] [--data-dir DIR] [--port PORT] [--host HOST] [--only api,prober,...]',
    run: startCommand,
  },
  migrate: {
    summary: 'apply database migrations and exit',
    usage: 'vigil migrate [--config FILE] [--data-dir DIR]',
    run: migrateCommand,
  },
  probe: {
    summary: 'probe every configured target from this vantage and print the results (no database)',
    usage: 'vigil probe [--config FILE] [--once] [--json]',
    run: probeCommand,
  },
  'tls-check': {
    summary: 'capture one TLS chain and print it with the interception verdict (no database)',
    usage: 'vigil tls-check HOST[:PORT] [--sni NAME] [--json] [--config FILE] [--ca FILE]',
    run: tlsCheckCommand,
  },
  agent: {
    summary: 'probe as an in-country agent: spool every measurement locally and upload it to the api',
    usage:
      'vigil agent --api URL [--config FILE] [--spool-dir DIR] [--insecure]   (token in VIGIL_AGENT_TOKEN; plain http only to loopback unless --insecure)',
    run: agentCommand,
  },
  'agent-token': {
    summary: 'create (printed once), list or revoke the tokens agents upload with',
    usage: 'vigil agent-token create --vantage ID | list | revoke ID [--config FILE] [--data-dir DIR]',
    run: agentTokenCommand,
  },
  news: {
    summary: 'scan one feed or page (file or URL) and print each item as newswatch reads it (no database)',
    usage:
      'vigil news scan FILE_OR_URL [--json] [--config FILE] [--source NAME | --selectors item=...,title=...,link=...]',
    run: newsCommand,
  },
  import: {
    summary: 'import OONI measurements or IODA signals and outage events from JSON/JSONL files (idempotent)',
    usage: 'vigil import ooni|ioda FILE... [--config FILE] [--data-dir DIR]',
    run: importCommand,
  },
  report: {
    summary: 'the rally report of a day: outages per city against baseline, next to detention reports',
    usage:
      'vigil report rally --date YYYY-MM-DD [--city NAME] [--format md|json|csv|html] [--resolution 5m|1m] [--out FILE]',
    run: reportCommand,
  },
  export: {
    summary: 'stream measurements or incidents of a time range as CSV',
    usage:
      'vigil export measurements|incidents --from TIME --to TIME [--out FILE] [--config FILE] [--data-dir DIR]',
    run: exportCommand,
  },
  'check-config': {
    summary: 'validate a config file: prints ok, or every error with file, key and line',
    usage: 'vigil check-config [--config FILE]',
    run: checkConfigCommand,
  },
}

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length))
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  )
  return [
    'Vigil watches for internet and media disruption around announced protest dates.',
    '',
    'Usage: vigil <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Environment: DATABASE_URL (use a PostgreSQL server instead of the embedded database), LOG_LEVEL.',
    '',
  ].join('\n')
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(usage())
    return name === undefined ? 2 : 0
  }
  const command = commands[name]
  if (!command) {
    io.stderr(`vigil: unknown command "${name}"\n\n${usage()}`)
    return 2
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`Usage: ${command.usage}\n\n${command.summary}\n`)
    return 0
  }
  try {
    return await command.run({ args, env, io })
  } catch (error) {
    io.stderr(`vigil ${name}: ${describeError(error)}\n`)
    return 1
  }
}

/** Parses a command's options strictly: an unknown option is an error that names it. */
export function parseOptions<T extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  return parseArgs({ args, options, strict: true, allowPositionals })
}
