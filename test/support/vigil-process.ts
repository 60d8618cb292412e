// Starts `vigil` as a real child process, the way a user runs it, and reads its JSON log to learn the
// api's URL. The caller decides how it ends: SIGTERM for a clean stop, SIGKILL for a crash.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { runCli } from '@vigil/vigil'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const MAIN = fileURLToPath(new URL('../../services/vigil/src/main.ts', import.meta.url))

export interface VigilProcess {
  child: ChildProcess
  url: string
  /** Every log line so far, parsed. */
  logs: Array<Record<string, unknown>>
  output(): string
  /**
   * A new API key of `scope` (default read), made as an operator makes one while Vigil runs: with
   * `vigil api-key create` on the same database (through the running process on the embedded store).
   */
  apiKey(scope?: 'read' | 'operate' | 'admin'): Promise<string>
  /** GET `path` of the api with an API key of scope read, made on first use. */
  get(path: string): Promise<Response>
  /** Sends the signal and resolves with the exit code (or the signal's name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>
}

export interface SpawnOptions {
  args: string[]
  connection: { databaseUrl?: string; dataDir?: string }
  env?: Record<string, string>
  timeoutMs?: number
}

/** Runs `vigil start` (or another long-running command) and waits until it logs its api URL. */
export async function spawnVigil(options: SpawnOptions): Promise<VigilProcess> {
  const { databaseUrl, dataDir } = options.connection
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', ...options.env }
  delete env.DATABASE_URL
  if (databaseUrl) env.DATABASE_URL = databaseUrl
  const args = [...options.args, ...(dataDir && !databaseUrl ? ['--data-dir', dataDir] : [])]
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Array<Record<string, unknown>> = []
  let text = ''
  let pending = ''
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  )
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`vigil did not start within ${options.timeoutMs ?? 60_000} ms:\n${text}`)),
      options.timeoutMs ?? 60_000,
    )
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString()
    })
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>
          logs.push(entry)
          if (typeof entry.url === 'string' && String(entry.msg).startsWith('vigil is running')) {
            clearTimeout(timer)
            resolve(entry.url)
          }
        } catch {
          // Not a log line; kept in the output.
        }
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`vigil exited with ${code} before it started:\n${text}`))
    })
  })
  const apiKey = (scope: 'read' | 'operate' | 'admin' = 'read') =>
    createApiKeyWithCli(options.connection, scope)
  let readKey: Promise<string> | undefined
  return {
    child,
    url,
    logs,
    output: () => text,
    apiKey,
    async get(path) {
      readKey ??= apiKey('read')
      return fetch(`${url}${path}`, { headers: { authorization: `Bearer ${await readKey}` } })
    },
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/** `vigil api-key create --scope SCOPE` on the database of `connection`, in-process; returns the key. */
export async function createApiKeyWithCli(
  connection: { databaseUrl?: string; dataDir?: string },
  scope: 'read' | 'operate' | 'admin',
): Promise<string> {
  let stdout = ''
  let stderr = ''
  const { databaseUrl, dataDir } = connection
  const code = await runCli(
    [
      'api-key',
      'create',
      '--scope',
      scope,
      '--name',
      `test ${scope}`,
      ...(databaseUrl ? [] : ['--data-dir', dataDir!]),
    ],
    databaseUrl ? { DATABASE_URL: databaseUrl } : {},
    {
      stdout: (chunk) => {
        stdout += chunk
      },
      stderr: (chunk) => {
        stderr += chunk
      },
    },
  )
  if (code !== 0) throw new Error(`vigil api-key create exited with ${code}: ${stderr}`)
  return stdout.trim()
}
