// A durable local queue of JSON records for agents that measure through a blackout and upload later.
export { decodeFrames, encodeFrame, type FrameDamage } from './frame.js'
export {
  type AppendResult,
  Spool,
  type SpoolEntry,
  type SpoolFullPolicy,
  type SpoolOptions,
  type SpoolStats,
} from './spool.js'
