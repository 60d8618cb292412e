// A command whose reader goes away (`vigil news scan feed.xml --json | head -1`) stops quietly: exit 141
// as a shell reports SIGPIPE, and no error or stack trace on stderr, whatever command it was.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../../test/support/vigil-process.js'

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url))
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-pipe-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs vigil, reads its stdout up to the first newline, then closes the pipe as `head -1` does. */
function runAndCloseAfterFirstLine(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  let first = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  child.stdout.on('data', (chunk: Buffer) => {
    first += chunk.toString()
    if (first.includes('\n')) child.stdout.destroy()
  })
  return new Promise<{ code: number | null; signal: string | null; first: string; stderr: string }>(
    (resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, first: first.split('\n')[0]!, stderr })),
  )
}

describe('a closed standard output', () => {
  it('ends vigil news scan --json quietly after the first line', async () => {
    // Far more than a pipe buffer (64 KiB) of output, so vigil is still writing when the pipe closes.
    const description = 'Полиция задержала участников акции протеста на площади. '.repeat(12)
    const items = Array.from(
      { length: 400 },
      (_, i) =>
        `<item><title>В Алматы задержаны участники митинга, выпуск ${i}</title><link>https://news.example.kz/${i}</link><description>${description}</description></item>`,
    ).join('')
    const file = path.join(dir, 'many.xml')
    writeFileSync(file, `<rss version="2.0"><channel><title>t</title>${items}</channel></rss>`)
    const result = await runAndCloseAfterFirstLine(['news', 'scan', file, '--json'])
    expect(JSON.parse(result.first)).toMatchObject({ link: 'https://news.example.kz/0', detention: true })
    // Only what the command says anyway (the charset it chose): no error, no stack trace.
    expect(result.stderr).not.toMatch(/EPIPE|Error|\n\s+at /)
    expect(result.code).toBe(141)
  })
})
