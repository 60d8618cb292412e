// @vigil/notify: turns incidents into notifications (routing, grouping, silences, an outbox keyed for
// exactly-once) and delivers them by email and Alertmanager-compatible webhook.
export { createEmailChannel, createWebhookChannel, type DeliveryChannel, DeliveryError } from './channels.js'
export { describeEvidence, detentionDetails, KIND_TITLES } from './describe.js'
export {
  escapeHtml,
  MAX_LISTED_INCIDENTS,
  messageIdFor,
  type RenderedEmail,
  renderEmail,
  renderSubject,
} from './email.js'
export { createNotifierMetrics, type NotifierMetrics } from './metrics.js'
export {
  createNotifier,
  type Notifier,
  type NotifierDeps,
  type RoundResult,
  retryDelay,
} from './notifier.js'
export {
  type DecideInput,
  decideNotifications,
  idempotencyKey,
  incidentVersion,
  nextEvent,
  type PlanHooks,
  planNotifications,
  toOutboxRow,
} from './plan.js'
export {
  isSilenced,
  type RoutedReceiver,
  routeIncident,
  routeMatches,
  type SilenceMatcher,
  silenceMatches,
} from './routing.js'
export { describeTime, localTime } from './time.js'
export type { NotificationBundle, PlannedItem } from './types.js'
export { buildWebhookPayload, type WebhookAlert, type WebhookPayload } from './webhook.js'
