// The layout is the architecture: services (processes) only schedule and wire, decisions live in
// packages, and no service imports another. The one exception is `services/vigil`, the command that runs
// the services in one process (or an agent): wiring them is its job. Checked over the manifests and the
// sources, so a new dependency that breaks the rule fails here.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const COMPOSITION_ROOT = '@vigil/vigil'

interface Workspace {
  name: string
  dir: string
  kind: 'service' | 'package'
  dependencies: string[]
}

function workspaces(): Workspace[] {
  return (['services', 'packages'] as const).flatMap((top) =>
    readdirSync(path.join(ROOT, top)).flatMap((entry) => {
      const file = path.join(ROOT, top, entry, 'package.json')
      try {
        const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
          name: string
          dependencies?: Record<string, string>
        }
        return [
          {
            name: manifest.name,
            dir: path.join(ROOT, top, entry),
            kind: top === 'services' ? ('service' as const) : ('package' as const),
            dependencies: Object.keys(manifest.dependencies ?? {}),
          },
        ]
      } catch {
        return []
      }
    }),
  )
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry)
    if (statSync(full).isDirectory()) return entry === 'node_modules' ? [] : sourceFiles(full)
    return full.endsWith('.ts') ? [full] : []
  })
}

const all = workspaces()
const services = new Set(all.filter((w) => w.kind === 'service').map((w) => w.name))

describe('who may depend on whom', () => {
  it('finds the services and packages', () => {
    expect(services.has('@vigil/api')).toBe(true)
    expect(all.some((w) => w.name === '@vigil/model')).toBe(true)
  })

  it.each(all.filter((w) => w.name !== COMPOSITION_ROOT).map((w) => [w.name, w] as const))(
    '%s declares no service among its dependencies',
    (_name, workspace) => {
      expect(workspace.dependencies.filter((dependency) => services.has(dependency))).toEqual([])
    },
  )

  it.each(all.filter((w) => w.name !== COMPOSITION_ROOT).map((w) => [w.name, w] as const))(
    "%s's sources import no service, by name or by path",
    (_name, workspace) => {
      const offending: string[] = []
      for (const file of sourceFiles(path.join(workspace.dir, 'src'))) {
        const text = readFileSync(file, 'utf8')
        for (const match of text.matchAll(/from\s+'([^']+)'/g)) {
          const specifier = match[1]!
          const named = [...services].some((s) => specifier === s || specifier.startsWith(`${s}/`))
          const reachesIntoService =
            specifier.startsWith('.') &&
            path.resolve(path.dirname(file), specifier).startsWith(path.join(ROOT, 'services')) &&
            !path.resolve(path.dirname(file), specifier).startsWith(workspace.dir)
          if (named || reachesIntoService) offending.push(`${path.relative(ROOT, file)}: ${specifier}`)
        }
      }
      expect(offending).toEqual([])
    },
  )

  it('every package that imports the contracts declares them', () => {
    const missing = all
      .filter((w) => !w.dependencies.includes('@vigil/model') && w.name !== '@vigil/model')
      .filter((w) =>
        sourceFiles(path.join(w.dir, 'src')).some((file) =>
          readFileSync(file, 'utf8').includes("from '@vigil/model'"),
        ),
      )
      .map((w) => w.name)
    expect(missing).toEqual([])
  })
})
