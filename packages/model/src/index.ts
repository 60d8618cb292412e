// Contracts between Vigil's stages: every record that crosses a package or process boundary, as a zod
// schema with its inferred type, and the word lists they share.
export * from './bounds.js'
export * from './evidence.js'
export * from './ingest.js'
export * from './stored.js'
export * from './vantage.js'
export * from './vocabulary.js'
export * from './worker.js'
