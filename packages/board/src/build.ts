// Builds the board's browser assets (one script, one stylesheet) with esbuild into a directory that the
// api serves with @fastify/static. Built when missing or older than their sources, so `vigil start` from a
// checkout needs no separate build step.
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Where the built assets are: `board.js` and `board.css`. */
export const BOARD_ASSETS_DIR = join(packageDir, 'dist')

function newest(dir: string): number {
  return Math.max(...readdirSync(dir).map((name) => statSync(join(dir, name)).mtimeMs))
}

function builtAt(): number {
  try {
    return Math.min(
      statSync(join(BOARD_ASSETS_DIR, 'board.js')).mtimeMs,
      statSync(join(BOARD_ASSETS_DIR, 'board.css')).mtimeMs,
    )
  } catch {
    return -1
  }
}

/** Builds the assets unless they are newer than every source; returns the directory. */
export async function buildBoardAssets(options: { force?: boolean } = {}): Promise<string> {
  const sources = Math.max(newest(join(packageDir, 'client')), newest(join(packageDir, 'src')))
  if (!options.force && builtAt() >= sources) return BOARD_ASSETS_DIR
  mkdirSync(BOARD_ASSETS_DIR, { recursive: true })
  await build({
    entryPoints: [join(packageDir, 'client', 'board.ts')],
    outfile: join(BOARD_ASSETS_DIR, 'board.js'),
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'silent',
  })
  copyFileSync(join(packageDir, 'client', 'board.css'), join(BOARD_ASSETS_DIR, 'board.css'))
  return BOARD_ASSETS_DIR
}
