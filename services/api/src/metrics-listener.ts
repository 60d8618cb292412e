// A second listener that serves only GET /metrics, without a key, for a Prometheus that scrapes over a
// private network (api.metricsListen). Nothing else is reachable on it.
import { createServer } from 'node:http'
import type { Registry } from '@vigil/metrics'

export interface MetricsListener {
  /** The bound address, e.g. 127.0.0.1:9464 */
  address: string
  close(): Promise<void>
}

/** Listens on `host`:`port` (port 0 picks a free one); answers GET /metrics, 404 to anything else. */
export async function startMetricsListener(options: {
  registry: Registry
  host: string
  port: number
  onError?: (error: unknown) => void
}): Promise<MetricsListener> {
  const { registry } = options
  const server = createServer((request, response) => {
    const url = (request.url ?? '').split('?')[0]
    if (url !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      response.end('only GET /metrics is served here\n')
      return
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType })
        response.end(request.method === 'HEAD' ? undefined : text)
      },
      (error) => {
        options.onError?.(error)
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        response.end('metrics could not be collected; see the log\n')
      },
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = server.address()
  const port = typeof bound === 'object' && bound ? bound.port : options.port
  return {
    address: `${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
