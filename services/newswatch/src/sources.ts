// What newswatch takes from the configuration: sources as the news package reads them, a gazetteer that
// reports the config's canonical region names, the extra vocabulary, and each source's current interval.
import {
  type NewsSource as ConfiguredSource,
  isInRallyWindow,
  resolveRegion,
  type VigilConfig,
  wallClock,
} from '@vigil/config'
import {
  type ExtraVocabulary,
  type Gazetteer,
  type GazetteerEntry,
  KAZAKHSTAN_GAZETTEER,
  type NewsSource,
} from '@vigil/news'

/**
 * The source as the news package fetches it. The package reads a link from the `href` of the `link`
 * selector and a date from a `datetime` attribute or the text, which is what `linkAttribute` and
 * `dateAttribute` ask for in the shipped sources.
 */
export function toNewsSource(source: ConfiguredSource): NewsSource {
  const html = source.html
  return {
    id: source.name,
    url: source.url,
    kind: source.type === 'html' ? 'html' : 'feed',
    ...(html
      ? {
          selectors: {
            item: html.item,
            title: html.title,
            link: html.link,
            ...(html.date ? { date: html.date } : {}),
            ...(html.summary ? { summary: html.summary } : {}),
          },
        }
      : {}),
    ...(source.encoding ? { charset: source.encoding } : {}),
    timeZone: source.timeZone,
  }
}

/**
 * The package's gazetteer (inflected forms, old and new names) renamed to the config's canonical region
 * names, with the config's own aliases added, plus any configured region the package does not know. So
 * an item naming "Астане" is reported under the region the rest of Vigil calls it, e.g. Nur-Sultan.
 */
export function configGazetteer(config: VigilConfig, base: Gazetteer = KAZAKHSTAN_GAZETTEER): Gazetteer {
  const entries: GazetteerEntry[] = []
  const covered = new Set<string>()
  for (const entry of base) {
    const region = [entry.name, ...entry.aliases]
      .map((name) => resolveRegion(config, name))
      .find((found) => found !== undefined)
    if (!region) {
      entries.push(entry)
      continue
    }
    covered.add(region.name)
    entries.push({
      ...entry,
      name: region.name,
      aliases: unique([...entry.aliases, region.name, ...region.aliases]),
    })
  }
  for (const region of config.regions) {
    if (!covered.has(region.name))
      entries.push({ name: region.name, aliases: unique([region.name, ...region.aliases]) })
  }
  return entries
}

/** The configured vocabulary of every language, as the news package's extra patterns. */
export function configVocabulary(config: VigilConfig): ExtraVocabulary | undefined {
  const languages = Object.values(config.news.vocabulary)
  if (languages.length === 0) return undefined
  return {
    detention: languages.flatMap((vocabulary) => vocabulary.detention),
    eventContext: languages.flatMap((vocabulary) => vocabulary.context),
    crime: languages.flatMap((vocabulary) => vocabulary.exclude),
  }
}

/**
 * The source's polling interval at `now`: the rally interval while any rally window is open, since an
 * outlet reports on the whole country, not on the city it sits in.
 */
export function sourceInterval(config: VigilConfig, source: ConfiguredSource, now: Date): number {
  return isInRallyWindow(config, now) ? source.rallyInterval : source.interval
}

/** Minutes the wall clock of `timeZone` is ahead of UTC at `at`, for the local day of a publication time. */
export function utcOffsetMinutes(timeZone: string, at: Date): number {
  return wallClock(at, timeZone).offsetMinutes
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)]
}
