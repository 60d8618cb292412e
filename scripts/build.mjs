// Compiles the `vigil` command to one JavaScript file, services/vigil/dist/main.js, so that processes run
// plain JavaScript instead of compiling TypeScript in memory at every start. Vigil's own packages are
// bundled; every other package stays an import of the file Node would load for it, written relative to the
// bundle (the workspace keeps each package's dependencies beside it, so a bare name would not resolve from
// the bundle's directory). `import.meta.url` in Vigil's sources keeps meaning the source file's location,
// so files found relative to it (migrations, the shipped config, data) are read where they are.
// Run: node scripts/build.mjs   (or `pnpm build`); scripts/vigil.mjs runs it when the output is stale.
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import * as esbuild from 'esbuild'

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
export const ENTRY = path.join(REPO_ROOT, 'services/vigil/src/main.ts')
export const OUTFILE = path.join(REPO_ROOT, 'services/vigil/dist/main.js')
const OUTDIR = path.dirname(OUTFILE)

/** A path as an import specifier relative to the bundle's directory, with forward slashes. */
function relativeToBundle(file) {
  const relative = path.relative(OUTDIR, file).split(path.sep).join('/')
  return relative.startsWith('.') ? relative : `./${relative}`
}

const workspaceSourcesKeepTheirLocation = {
  name: 'workspace-sources-keep-their-location',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined
      const source = await readFile(args.path, 'utf8')
      const own = `new URL(${JSON.stringify(relativeToBundle(args.path))}, import.meta.url).href`
      return { contents: source.replaceAll('import.meta.url', own), loader: 'ts' }
    })
  },
}

const dependenciesStayWhereTheyAre = {
  name: 'dependencies-stay-where-they-are',
  setup(build) {
    // Bare names that are not Vigil's own packages, nor Node's built-in modules.
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.resolving) return undefined
      if (args.path.startsWith('@vigil/') || args.path.startsWith('node:')) return undefined
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: { resolving: true },
      })
      if (resolved.errors.length > 0) return { errors: resolved.errors }
      if (resolved.external || !path.isAbsolute(resolved.path)) return { path: args.path, external: true }
      return { path: relativeToBundle(resolved.path), external: true }
    })
  },
}

/** Builds the bundle; writes it beside a temporary name and renames it, so a reader never sees half. */
export async function build() {
  const result = await esbuild
    .build({
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outdir: OUTDIR,
      // Each command's code in its own chunk, loaded when that command runs: an agent never loads the
      // api, the reports or the embedded database. Chunks sit beside main.js, so relative paths hold.
      splitting: true,
      entryNames: 'main',
      chunkNames: '[name]-[hash]',
      // A linked map (read with --enable-source-maps) keeps the bundle small for the processes that run it.
      sourcemap: 'linked',
      sourcesContent: false,
      conditions: ['import', 'node'],
      logLevel: 'warning',
      plugins: [workspaceSourcesKeepTheirLocation, dependenciesStayWhereTheyAre],
    })
    // esbuild's service is a child process; the process that built may go on to run Vigil for weeks.
    .finally(() => esbuild.stop())
  mkdirSync(OUTDIR, { recursive: true })
  // main.js last: once it is new, every chunk it names is there, and its time is what staleness is
  // judged by.
  const ordered = [...result.outputFiles].sort(
    (a, b) => Number(a.path === OUTFILE) - Number(b.path === OUTFILE),
  )
  if (!ordered.some((file) => file.path === OUTFILE)) throw new Error(`esbuild wrote no ${OUTFILE}`)
  for (const file of ordered) {
    const temporary = `${file.path}.${process.pid}.tmp`
    writeFileSync(temporary, file.contents)
    renameSync(temporary, file.path)
  }
  // Chunks of earlier builds (their names carry a content hash) that main.js no longer names.
  const current = new Set(ordered.map((file) => path.basename(file.path)))
  for (const name of readdirSync(OUTDIR)) {
    if (!current.has(name) && !name.endsWith('.tmp')) rmSync(path.join(OUTDIR, name), { force: true })
  }
  return OUTFILE
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = await build()
  process.stdout.write(`built ${path.relative(REPO_ROOT, file)}\n`)
}
