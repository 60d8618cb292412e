// The HTTP server the probe benchmark probes, run as its own process so neither prober shares an event loop
// with it. Serves a small HTML page on every path and records, per path, how long it spent on the request,
// so the benchmark can subtract the server's own time from each probe's duration.
import { createServer } from 'node:http'

const page = Buffer.from(
  `<!doctype html><html><head><title>Vigil benchmark target</title></head><body>${'<p>news item</p>'.repeat(60)}</body></html>`,
)
let serverMs = new Map<string, number>()

const server = createServer((req, res) => {
  const t0 = performance.now()
  const path = req.url ?? '/'
  res.once('finish', () => serverMs.set(path, performance.now() - t0))
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': page.length })
  res.end(page)
})

process.on('message', (message: unknown) => {
  if (message === 'stats') {
    process.send?.({ serverMs: Object.fromEntries(serverMs) })
    serverMs = new Map()
  } else if (message === 'stop') {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  }
})

server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  if (address !== null && typeof address === 'object') process.send?.({ port: address.port })
})
