export { BOARD_ASSETS_DIR, buildBoardAssets } from './build.js'
export { escapeXml, type FeedInfo, renderAtom, renderRss } from './feeds.js'
export { type BoardEvent, type BoardHub, type BoardHubOptions, createBoardHub } from './hub.js'
export { ASSETS_PREFIX, renderBoardPage, renderLoginPage, renderNoticePage } from './pages.js'
export {
  entryUrn,
  feedEntries,
  isPublicIncident,
  loadPublicStatus,
  type PublicEntry,
  type PublicRegion,
  type PublicStatus,
  publicIncidentEntry,
} from './public-status.js'
export {
  deriveRegionStates,
  incidentCovers,
  REGION_STATE_TITLES,
  REGION_STATES,
  type RegionRef,
  type RegionState,
  type RegionStateInput,
  type RegionStateName,
  stateOfIncident,
} from './region-state.js'
export { type BoardViewer, escapeHtml, renderBoardMain, renderChart, utcTime, zoneTime } from './render.js'
export {
  type BoardIncident,
  type BoardRally,
  type BoardRegion,
  type BoardReport,
  type BoardSnapshot,
  type BoardSource,
  type BoardVantage,
  boardIncident,
  boardRallies,
  type ChartPoint,
  cachedRegionCharts,
  loadBoardSnapshot,
  loadRegionCharts,
  type SnapshotOptions,
  safeLink,
} from './snapshot.js'
export { renderStatusPage } from './status-page.js'
export {
  confirmationNotification,
  planSubscriberNotifications,
  planSubscriberReports,
  SUBSCRIBER_RECEIVER_PREFIX,
  type SubscriberPayload,
  subscriberFollows,
  subscriberFollowsReport,
} from './subscriptions.js'
