// Loopback targets and a config that points the prober at them.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseConfig, type VigilConfig } from '@vigil/config'

export interface Loopback {
  port: number
  server: Server
  close(): Promise<void>
}

/** An HTTP server answering every request with `body` (or hanging when body is null). */
export async function serve(
  handler: (url: string) => { status: number; body: string } | null,
): Promise<Loopback> {
  const sockets = new Set<import('node:net').Socket>()
  const server = createServer((request, response) => {
    const answer = handler(request.url ?? '/')
    if (answer === null) return // never answers: the probe's timeout must end it
    response.writeHead(answer.status, { 'content-type': 'text/html; charset=utf-8' })
    response.end(answer.body)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

export interface GroupSpec {
  name: string
  purpose?: 'service' | 'control' | 'outside_in'
  interval?: string
  rallyInterval?: string
  timeout?: string
  targets: Array<{ name: string; port: number; path?: string; region?: string }>
}

/** A config for vantage `test-almaty` in Almaty probing the given loopback targets over http. */
export function loopbackConfigYaml(groups: GroupSpec[], extra = ''): string {
  const lines = [
    'country: KZ',
    'vantage:',
    '  id: test-almaty',
    `  role: ${groups.some((g) => g.purpose === 'outside_in') ? 'outside' : 'in_country'}`,
    '  country: KZ',
    ...(groups.some((g) => g.purpose === 'outside_in') ? [] : ['  region: Almaty']),
    '  network:',
    '    asn: 9198',
    'regions:',
    '  - name: Almaty',
    '    timeZone: Asia/Almaty',
    '  - name: Aktau',
    '    timeZone: Asia/Aqtau',
    'probing:',
    '  concurrency: 16',
    '  jitter: 0',
    '  blockPages:',
    '    - name: access-restricted-ru',
    "      body: 'доступ\\s+к\\s+ресурсу\\s+ограничен'",
    'targetGroups:',
  ]
  for (const group of groups) {
    lines.push(`  - name: ${group.name}`)
    lines.push(`    purpose: ${group.purpose ?? 'service'}`)
    lines.push('    probes: [http]')
    lines.push(`    interval: ${group.interval ?? '5m'}`)
    lines.push(`    rallyInterval: ${group.rallyInterval ?? '30s'}`)
    lines.push(`    timeout: ${group.timeout ?? '2s'}`)
    lines.push('    targets:')
    for (const target of group.targets) {
      lines.push(`      - name: ${target.name}`)
      lines.push(`        url: http://127.0.0.1:${target.port}${target.path ?? '/'}`)
      if (target.region) lines.push(`        region: ${target.region}`)
    }
  }
  return `${lines.join('\n')}\n${extra}`
}

export function loopbackConfig(groups: GroupSpec[], extra = ''): VigilConfig {
  return parseConfig(loopbackConfigYaml(groups, extra), 'test.yaml', {})
}
