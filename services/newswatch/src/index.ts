// The newswatch service: news sources polled into stored items, detention reports and their incidents.
export { createNewswatchMetrics } from './metrics.js'
export {
  createNewswatch,
  type Newswatch,
  type NewswatchDeps,
  type NewswatchRun,
  type ReportAlert,
  type SourcePoll,
} from './newswatch.js'
export {
  configGazetteer,
  configVocabulary,
  sourceInterval,
  toNewsSource,
  utcOffsetMinutes,
} from './sources.js'
