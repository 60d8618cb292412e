// @vigil/notify: turns incidents into notifications (routing, grouping, silences, an outbox keyed for
// exactly-once) and delivers them by email, Alertmanager-compatible webhook, Telegram, Matrix, Signal and
// ntfy.
export {
  createEmailChannel,
  createWebhookChannel,
  type DeliveryChannel,
  type DeliveryContext,
  DeliveryError,
  type DeliveryReceipt,
  type RefusalReason,
} from './channels.js'
export {
  CHAT_CHANNELS,
  CHAT_LIMITS,
  type ChatChannel,
  type ChatMessage,
  chatMessage,
  chatPayload,
  deliveryId,
  escapeMatrixHtml,
  escapeTelegramHtml,
  isChatChannel,
  type MatrixPayload,
  type NtfyPayload,
  type SignalPayload,
  type TelegramPayload,
  testMessage,
} from './chat.js'
export {
  createChatChannels,
  createMatrixChannel,
  createNtfyChannel,
  createSignalChannel,
  createTelegramChannel,
} from './chat-channels.js'
export { describeCount, describeEvidence, detentionDetails, KIND_TITLES } from './describe.js'
export {
  type EmailOptions,
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
  channelsOf,
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
export { sendTestMessage, type TestDelivery } from './test-message.js'
export { describeTime, localTime } from './time.js'
export type { NotificationBundle, PlannedItem } from './types.js'
export { buildWebhookPayload, type WebhookAlert, type WebhookPayload } from './webhook.js'
