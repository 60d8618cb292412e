// Parses `vigil <command> [options]` and runs the command. Returns the exit code instead of exiting, so
// tests can call it in-process.
import { parseArgs } from 'node:util'
import { describeError, isVigilError } from '@vigil/errors'
import { USAGE as AGENT_TOKEN_USAGE } from './commands/agent-token-usage.js'

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
  /** Loads the command's module when it runs: a process loads only the code of its own command. */
  run(context: CommandContext): Promise<number>
}

const commands: Record<string, Command> = {
  start: {
    summary: 'run every Vigil service in one process (embedded database unless DATABASE_URL is set)',
    usage:
      'vigil start [--config FILE] [--data-dir DIR] [--port PORT] [--host HOST] [--metrics-listen HOST:PORT] [--only api,prober,...]',
    run: (context) => import('./commands/start.js').then((command) => command.startCommand(context)),
  },
  migrate: {
    summary: 'apply database migrations and exit',
    usage: 'vigil migrate [--config FILE] [--data-dir DIR]',
    run: (context) => import('./commands/migrate.js').then((command) => command.migrateCommand(context)),
  },
  probe: {
    summary: 'probe every configured target from this vantage and print the results (no database)',
    usage: 'vigil probe [--config FILE] [--once] [--json]',
    run: (context) => import('./commands/probe.js').then((command) => command.probeCommand(context)),
  },
  'tls-check': {
    summary: 'capture one TLS chain and print it with the interception verdict (no database)',
    usage: 'vigil tls-check HOST[:PORT] [--sni NAME] [--json] [--config FILE] [--ca FILE]',
    run: (context) => import('./commands/tls-check.js').then((command) => command.tlsCheckCommand(context)),
  },
  agent: {
    summary: 'probe as an in-country agent: spool every measurement locally and upload it to the api',
    usage:
      'vigil agent --api URL [--config FILE] [--spool-dir DIR] [--insecure]   (token in VIGIL_AGENT_TOKEN; plain http only to loopback unless --insecure)',
    run: (context) => import('./commands/agent.js').then((command) => command.agentCommand(context)),
  },
  'agent-token': {
    summary: 'create (printed once), list or revoke the tokens agents upload with; registers the vantage',
    usage: `${AGENT_TOKEN_USAGE} [--config FILE] [--data-dir DIR]`,
    run: (context) =>
      import('./commands/agent-token.js').then((command) => command.agentTokenCommand(context)),
  },
  'api-key': {
    summary: 'create (printed once), list or revoke the API keys operators use (scopes read, operate, admin)',
    usage:
      'vigil api-key create --scope read|operate|admin --name TEXT | list | revoke ID [--config FILE] [--data-dir DIR]',
    run: (context) => import('./commands/api-key.js').then((command) => command.apiKeyCommand(context)),
  },
  incident: {
    summary:
      'acknowledge an open incident on a running Vigil, or withdraw the acknowledgement (through its api)',
    usage:
      'vigil incident ack ID [--comment TEXT] | unack ID [--api URL] [--insecure] [--config FILE]   (API key of scope operate in VIGIL_API_KEY)',
    run: (context) => import('./commands/incident.js').then((command) => command.incidentCommand(context)),
  },
  news: {
    summary: 'scan one feed or page (file or URL) and print each item as newswatch reads it (no database)',
    usage:
      'vigil news scan FILE_OR_URL [--json] [--config FILE] [--source NAME | --selectors item=...,title=...,link=...]',
    run: (context) => import('./commands/news.js').then((command) => command.newsCommand(context)),
  },
  import: {
    summary: 'import OONI measurements or IODA signals and outage events from JSON/JSONL files (idempotent)',
    usage: 'vigil import ooni|ioda FILE... [--strict] [--config FILE] [--data-dir DIR]',
    run: (context) => import('./commands/import.js').then((command) => command.importCommand(context)),
  },
  report: {
    summary: 'the rally report of a day: outages per city against baseline, next to detention reports',
    usage:
      'vigil report rally --date YYYY-MM-DD [--city NAME] [--format md|json|csv|html] [--resolution 5m|1m] [--out FILE]',
    run: (context) => import('./commands/report.js').then((command) => command.reportCommand(context)),
  },
  export: {
    summary: 'stream measurements or incidents of a time range as CSV',
    usage:
      'vigil export measurements|incidents --from TIME --to TIME [--out FILE] [--config FILE] [--data-dir DIR]',
    run: (context) => import('./commands/export.js').then((command) => command.exportCommand(context)),
  },
  notify: {
    summary: 'send a test message through every channel of a receiver and print what each remote answered',
    usage: 'vigil notify test RECEIVER [--channel email|webhook|telegram|matrix|signal|ntfy] [--config FILE]',
    run: (context) => import('./commands/notify.js').then((command) => command.notifyCommand(context)),
  },
  'check-config': {
    summary: 'validate a config file: prints ok, or every error with file, key and line',
    usage: 'vigil check-config [--config FILE]',
    run: (context) =>
      import('./commands/check-config.js').then((command) => command.checkConfigCommand(context)),
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
    // An option the api refused is a usage error, as one the command refuses itself.
    return isVigilError(error, 'BAD_OPTION') ? 2 : 1
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
