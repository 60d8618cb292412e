// Public names of the news package: fetching and parsing sources, understanding items, clustering decisions.

export {
  type CharsetSource,
  type DecodedText,
  type DecodeOptions,
  decodeBody,
  looksLikeMojibake,
  neutraliseXmlProlog,
  type RejectedCharset,
} from '@vigil/charset'
export { type Analysis, type AnalyzeInput, type AnalyzeOptions, analyzeItem } from './analyze.js'
export {
  type ClusterCandidate,
  type ClusterOptions,
  clusterKey,
  clusterKeys,
  eventSimilarity,
  isCountUpdate,
  sameEvent,
  toClusterCandidate,
} from './cluster.js'
export {
  type CityCount,
  type CountMention,
  type CountQualifier,
  type DetentionCount,
  extractCityCounts,
  extractCountMentions,
  extractCounts,
  mergeCityCounts,
  mergeCounts,
  type PlaceMention,
} from './counts.js'
export { extractDates, parseLooseDate } from './dates.js'
export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_TIMEOUT_MS,
  type FetchOptions,
  fetchSource,
  type ParsedBody,
  parseSourceBody,
  parseSourceText,
} from './fetch.js'
export {
  findCities,
  findCityMentions,
  type Gazetteer,
  type GazetteerEntry,
  KAZAKHSTAN_GAZETTEER,
} from './gazetteer.js'
export { DOWN_AFTER_FAILURES, INITIAL_HEALTH, nextHealth } from './health.js'
export { canonicalUrl, itemKey } from './identity.js'
export { detectLanguage, type Language } from './language.js'
export {
  type FeedDocument,
  type FeedOptions,
  FeedParseError,
  parseFeed,
  parseFeedDocument,
} from './parse-feed.js'
export { parseHtmlListing } from './parse-html.js'
export { extractPeople } from './people.js'
export {
  type DateIssue,
  EARLIEST_PUBLISHED,
  FUTURE_TOLERANCE_MS,
  type PublishedOptions,
  type PublishedTime,
  parsePublished,
} from './published.js'
export {
  type ClusterDecision,
  CRITICAL_COUNT,
  type DetentionReportSignal,
  decideCluster,
  describeCount,
  joinReport,
  reportIdentity,
  reportIncident,
  reportLevel,
  storedCandidate,
} from './reports.js'
export {
  FETCH_ERROR_CODES,
  type FetchError,
  type FetchErrorCode,
  type FetchResult,
  type HtmlSelectors,
  type NewsItem,
  type NewsSource,
  type ParseErrorCode,
  type ParseProblem,
  type SourceHealth,
} from './types.js'
export { compileVocabulary, type ExtraVocabulary } from './vocabulary.js'
