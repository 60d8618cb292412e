// `pnpm vigil`: runs the compiled `vigil` command in this very process (no child to orphan), building it
// first when any source is newer than the build. `pnpm vigil:dev` runs the TypeScript sources instead.
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

// The same paths as build.mjs, which is only loaded (with esbuild) when a build is needed: the process
// goes on to run Vigil and should not carry the bundler.
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const OUTFILE = path.join(REPO_ROOT, 'services/vigil/dist/main.js')

/** Newest modification time (ms) of the files a build reads, or of the given file. */
function newestInput() {
  let newest = 0
  const visit = (target) => {
    let entries
    try {
      entries = readdirSync(target, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'test') continue
      const full = path.join(target, entry.name)
      if (entry.isDirectory()) visit(full)
      else newest = Math.max(newest, statSync(full).mtimeMs)
    }
  }
  for (const group of ['packages', 'services']) {
    const root = path.join(REPO_ROOT, group)
    for (const name of readdirSync(root)) {
      visit(path.join(root, name, 'src'))
      try {
        newest = Math.max(newest, statSync(path.join(root, name, 'package.json')).mtimeMs)
      } catch {
        // A directory without a manifest is not a package.
      }
    }
  }
  for (const file of ['package.json', 'pnpm-lock.yaml', 'scripts/build.mjs']) {
    newest = Math.max(newest, statSync(path.join(REPO_ROOT, file)).mtimeMs)
  }
  return newest
}

function builtAt() {
  try {
    return statSync(OUTFILE).mtimeMs
  } catch {
    return -1
  }
}

if (builtAt() < newestInput()) {
  try {
    const { build } = await import('./build.mjs')
    await build()
  } catch (error) {
    process.stderr.write(`vigil: cannot build ${path.relative(REPO_ROOT, OUTFILE)}: ${error.message}\n`)
    process.stderr.write('hint: run `pnpm install`, or `pnpm vigil:dev` to run the TypeScript sources\n')
    process.exit(1)
  }
}
await import(pathToFileURL(OUTFILE).href)
