// Text from outside (probed pages, headers, DNS answers, feeds, certificates, agent uploads, imports): made
// storable where it enters, and made safe where it is rendered for a person.

export { displayText, hasBidiControls } from './display.js'
export { type JsonLimits, STORABLE_JSON_LIMITS, storableJson, storableText } from './storable.js'
