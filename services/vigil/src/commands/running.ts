// A running Vigil on the same embedded data directory, reached through its control socket. Only one process
// may open an embedded database; `vigil start` names its control socket in the data directory's lock file,
// and commands that need the database (agent-token, api-key, report, export, import) go through it instead
// of refusing. The socket sits in a directory only the owner may enter, so reaching it is the credential.
import { request as httpRequest } from 'node:http'
import { VigilError } from '@vigil/errors'
import { dataDirHolder } from '@vigil/store'
import type { StoreChoice } from './common.js'

export interface RunningVigil {
  pid: number
  /** Sends a request with a JSON body (or none); resolves with the answer's status and JSON (or null). */
  json(method: string, path: string, body?: unknown): Promise<{ status: number; body: ApiAnswer }>
  /**
   * GET whose answer is streamed to `write` when it is 200; otherwise resolves with the status and the
   * api's JSON error.
   */
  stream(path: string, write: (chunk: Buffer) => unknown): Promise<{ status: number; body: ApiAnswer }>
}

/** The api's JSON answer: a result, or `{ error, message }`. */
export type ApiAnswer = Record<string, unknown> & { message?: string }

/**
 * The Vigil process holding the embedded data directory of `choice`, when there is one and it serves a
 * control socket; undefined when the database is a server's or nobody holds the directory.
 * @throws VigilError DATA_DIR_LOCKED when a process holds the directory without a control socket (a command
 *   such as `vigil export`, or an older Vigil).
 */
export function findRunningVigil(choice: StoreChoice): RunningVigil | undefined {
  if (choice.databaseUrl) return undefined
  const holder = dataDirHolder(choice.dataDir)
  if (!holder) return undefined
  const socketPath = holder.entries.control
  if (!socketPath) {
    throw new VigilError(
      'DATA_DIR_LOCKED',
      `the data directory ${choice.dataDir} is in use by process ${holder.pid}, which serves no control socket`,
      { hint: 'another vigil command is working on it; run this one when it has finished' },
    )
  }
  return controlClient(holder.pid, socketPath)
}

function controlClient(pid: number, socketPath: string): RunningVigil {
  const send = (
    method: string,
    path: string,
    body: unknown,
    onOk?: (chunk: Buffer) => unknown,
  ): Promise<{ status: number; body: ApiAnswer }> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
      const request = httpRequest(
        {
          socketPath,
          path,
          method,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
            : {},
        },
        (response) => {
          const status = response.statusCode ?? 0
          const streaming = onOk !== undefined && status === 200
          const chunks: Buffer[] = []
          // Backpressure: a slow file write pauses the socket instead of buffering the whole export.
          response.on('data', (chunk: Buffer) => {
            if (!streaming) return void chunks.push(chunk)
            const written = onOk(chunk)
            if (written instanceof Promise) {
              response.pause()
              written.then(
                () => response.resume(),
                (error) => response.destroy(error),
              )
            }
          })
          response.on('error', reject)
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            try {
              resolve({ status, body: text === '' ? {} : (JSON.parse(text) as ApiAnswer) })
            } catch {
              resolve({ status, body: { message: text.slice(0, 500) } })
            }
          })
        },
      )
      request.on('error', (cause) =>
        reject(
          new VigilError(
            'CONTROL_UNREACHABLE',
            `cannot reach the running Vigil (pid ${pid}) at ${socketPath}`,
            {
              hint: 'it may be starting or stopping; try again in a moment',
              cause,
            },
          ),
        ),
      )
      request.end(payload)
    })
  return {
    pid,
    json: (method, path, body) => send(method, path, body),
    stream: (path, write) => send('GET', path, undefined, write),
  }
}

/**
 * The api's message in the command's words: each request field path the api names (`querystring/from`,
 * `body/registration/networkType`, as Fastify and zod report them) becomes the command-line option it came
 * from (`--from`, `--network-type`), by the longest path in `options` that starts it. Paths with no option
 * stay as they are.
 */
export function inOptionWords(message: string, options: Readonly<Record<string, string>>): string {
  const paths = Object.keys(options).sort((a, b) => b.length - a.length)
  return message.replace(/\b(?:querystring|body|params)(?:\/[\w-]+)+/g, (path) => {
    const known = paths.find((candidate) => path === candidate || path.startsWith(`${candidate}/`))
    return known === undefined ? path : options[known]!
  })
}

/**
 * An error for an answer the command did not expect, naming the process and what it said. A 400 is the
 * user's input refused: its message names the options (see `inOptionWords`) and the error's code is
 * BAD_OPTION.
 */
export function unexpectedAnswer(
  running: RunningVigil,
  answer: { status: number; body: ApiAnswer },
  options: Readonly<Record<string, string>> = {},
): VigilError {
  const message = answer.body.message ?? `status ${answer.status}`
  if (answer.status === 400) return new VigilError('BAD_OPTION', inOptionWords(message, options))
  return new VigilError(
    'API_REFUSED',
    `the running Vigil (pid ${running.pid}) answered ${answer.status}: ${message}`,
    answer.status === 404 ? { hint: 'it may be an older Vigil; run this command when it has stopped' } : {},
  )
}

/**
 * Counts the records of CSV text fed in chunks (RFC 4180: a line break inside double quotes belongs to the
 * field), so a streamed export can say how many rows it wrote.
 */
export class CsvRecordCounter {
  private inQuotes = false
  records = 0

  feed(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8')
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 0x22) this.inQuotes = !this.inQuotes
      else if (c === 0x0a && !this.inQuotes) this.records++
    }
  }
}
