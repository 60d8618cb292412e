// The api service: HTTP access to what Vigil stores, health and metrics.
export { type ApiDeps, buildApp } from './app.js'
