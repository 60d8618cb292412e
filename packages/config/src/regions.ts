// Finding a region by any of its names: "Astana", "Нур-Султан" and "nur sultan" all mean Nur-Sultan.
import type { Region, VigilConfig } from './types.js'

/** The form names are compared in: case, dashes, spacing and ё/е differences do not matter. */
export function normalizeRegionName(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replaceAll('ё', 'е')
    .replace(/[\s_\u2010-\u2015-]+/g, '-')
    .replace(/^-|-$/g, '')
}

export function buildRegionIndex(regions: readonly Region[]): Map<string, Region> {
  const index = new Map<string, Region>()
  for (const region of regions) {
    for (const name of [region.name, ...region.aliases]) {
      const key = normalizeRegionName(name)
      if (!index.has(key)) index.set(key, region)
    }
  }
  return index
}

const indexes = new WeakMap<VigilConfig, Map<string, Region>>()

/** The declared region called `name` or known by it as an alias; undefined when there is none. */
export function resolveRegion(config: VigilConfig, name: string): Region | undefined {
  let index = indexes.get(config)
  if (!index) {
    index = buildRegionIndex(config.regions)
    indexes.set(config, index)
  }
  return index.get(normalizeRegionName(name))
}
