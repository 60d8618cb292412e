// An intercepting TLS middlebox on loopback and configs that point certwatch at it. The middlebox can
// mint look-alike leaves under its own root or under the real Qaznet root's name, or just relay bytes.
import net from 'node:net'
import tls from 'node:tls'
import { parseConfig, type VigilConfig } from '@vigil/config'
import { describeCertificate, parseCertificateDer } from '@vigil/interception'
import { type Pki, qaznetChain } from '../../../packages/interception/test/support/fixtures.js'
import { keyPem, toPem } from '../../../packages/interception/test/support/pki.js'
import { listen, type RunningServer } from '../../../packages/interception/test/support/servers.js'

/**
 * `own-root`: a 2019-style interceptor with a root of its own; `qaznet`: a chain that ends in the real
 * Qaznet Trust Network root; `relay`: interception stopped, the origin's own handshake passes through.
 */
export type ProxyMode = 'own-root' | 'qaznet' | 'relay'

export interface InterceptingProxy extends RunningServer {
  mode: ProxyMode
}

export async function startInterceptingProxy(
  pki: Pki,
  originPort: number,
  mode: ProxyMode,
): Promise<InterceptingProxy> {
  const upstreams = new Set<net.Socket>()
  const track = <T extends net.Socket>(socket: T): T => {
    upstreams.add(socket)
    socket.on('close', () => upstreams.delete(socket))
    socket.on('error', () => {})
    return socket
  }
  const connectOrigin = (servername: string) =>
    track(tls.connect({ host: '127.0.0.1', port: originPort, servername, ca: pki.root.pem }))

  const contexts = new Map<string, tls.SecureContext>()
  const mint = (real: Buffer, interceptMode: ProxyMode): tls.SecureContext => {
    const subjectDer = parseCertificateDer(real).subjectDer
    const names = describeCertificate(real).subjectAltNames
    if (interceptMode === 'qaznet') {
      const { chain, root } = qaznetChain(false, subjectDer, names)
      return tls.createSecureContext({
        cert: [...chain.map((c) => c.pem), toPem(root)].join(''),
        key: keyPem(chain[0]!.key),
      })
    }
    const leaf = pki.mintInterceptLeaf(subjectDer, names)
    return tls.createSecureContext({ cert: leaf.pem + pki.interceptorRoot.pem, key: keyPem(leaf.key) })
  }

  // Terminates TLS with a minted look-alike of the origin's leaf, then relays the decrypted stream.
  const terminator = tls.createServer(
    {
      SNICallback: (servername, callback) => {
        const key = `${proxy.mode}\u0000${servername}`
        const cached = contexts.get(key)
        if (cached) return callback(null, cached)
        const probe = connectOrigin(servername)
        probe.once('error', (error) => callback(error, undefined))
        probe.once('secureConnect', () => {
          const real = probe.getPeerCertificate().raw
          probe.destroy()
          const context = mint(real, proxy.mode)
          contexts.set(key, context)
          callback(null, context)
        })
      },
    },
    (client) => {
      const upstream = connectOrigin(typeof client.servername === 'string' ? client.servername : 'localhost')
      client.on('error', () => upstream.destroy())
      upstream.on('error', () => client.destroy())
      client.pipe(upstream).pipe(client)
    },
  )
  terminator.on('tlsClientError', () => {})

  const front = net.createServer((socket) => {
    socket.on('error', () => {})
    if (proxy.mode === 'relay') {
      const upstream = track(net.connect({ host: '127.0.0.1', port: originPort }))
      upstream.on('error', () => socket.destroy())
      socket.on('close', () => upstream.destroy())
      socket.pipe(upstream).pipe(socket)
      return
    }
    terminator.emit('connection', socket)
  })
  const running = await listen(front)
  const proxy: InterceptingProxy = {
    mode,
    port: running.port,
    close: async () => {
      for (const upstream of upstreams) upstream.destroy()
      await running.close()
    },
  }
  return proxy
}

export interface VantageSpec {
  id: string
  role: 'in_country' | 'control'
  region?: string
  targets: Array<{ name: string; port: number; sni: string }>
  /** SPKI pins per server name, for `interception.pins`. */
  pins?: Array<{ host: string; spkiSha256: string[] }>
}

/** A config for one vantage checking loopback TLS targets. */
export function certwatchConfigYaml(spec: VantageSpec): string {
  const lines = [
    'country: KZ',
    'vantage:',
    `  id: ${spec.id}`,
    `  role: ${spec.role}`,
    `  country: ${spec.role === 'in_country' ? 'KZ' : 'DE'}`,
    ...(spec.region ? [`  region: ${spec.region}`] : []),
    '  network:',
    `    asn: ${spec.role === 'in_country' ? 9198 : 3320}`,
    'regions:',
    '  - name: Almaty',
    '    timeZone: Asia/Almaty',
    '  - name: Aktau',
    '    timeZone: Asia/Aqtau',
    'probing:',
    '  concurrency: 8',
    '  jitter: 0',
    'interception:',
    '  interval: 15m',
    '  rallyInterval: 1m',
    ...(spec.pins?.length ? ['  pins:'] : []),
    ...(spec.pins ?? []).flatMap((pin) => [
      `    - host: ${pin.host}`,
      `      spkiSha256: [${pin.spkiSha256.map((h) => `'${h}'`).join(', ')}]`,
    ]),
    'targetGroups:',
    '  - name: news',
    '    purpose: service',
    '    probes: [tls]',
    '    timeout: 5s',
    '    targets:',
  ]
  for (const target of spec.targets) {
    lines.push(`      - name: ${target.name}`)
    lines.push('        host: 127.0.0.1')
    lines.push(`        port: ${target.port}`)
    lines.push(`        sni: ${target.sni}`)
  }
  return `${lines.join('\n')}\n`
}

export function certwatchConfig(spec: VantageSpec): VigilConfig {
  return parseConfig(certwatchConfigYaml(spec), 'test.yaml', {})
}
