// vigil_target_info says which region and network type a target's measurements speak for: an in-country
// endpoint probed from abroad its own (from the shipped config), any other target this vantage's.
import { defaultConfigFile, loadConfig } from '@vigil/config'
import { createMetricsRegistry } from '@vigil/metrics'
import { createProber } from '@vigil/prober'
import { expect, it } from 'vitest'

async function targetInfo(env: NodeJS.ProcessEnv): Promise<string[]> {
  const config = await loadConfig(defaultConfigFile(), env)
  const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
  createProber({ config, registry, record: () => {} })
  const text = await registry.getSingleMetricAsString('vigil_target_info')
  return text.split('\n').filter((line) => line.startsWith('vigil_target_info{'))
}

it('labels an in-country endpoint seen from abroad with its city and network', async () => {
  const lines = await targetInfo({
    VIGIL_VANTAGE_ID: 'nl-outside-1',
    VIGIL_VANTAGE_ROLE: 'outside',
    VIGIL_VANTAGE_COUNTRY: 'NL',
    VIGIL_VANTAGE_ASN: '1136',
  })
  expect(lines).toContain(
    'vigil_target_info{target="kcell",group="in-country",purpose="outside_in",region="Almaty",network_type="fixed"} 1',
  )
  expect(lines).toContain(
    'vigil_target_info{target="gov-kz",group="in-country",purpose="outside_in",region="Nur-Sultan",network_type="fixed"} 1',
  )
  // The neutral control set, probed from abroad, speaks for no city of the country.
  expect(lines).toContain(
    'vigil_target_info{target="wikipedia",group="control",purpose="control",region="",network_type="unknown"} 1',
  )
})

it('labels the targets an in-country agent on a mobile line probes with its city and network', async () => {
  const lines = await targetInfo({
    VIGIL_VANTAGE_ID: 'kz-almaty-mobile-1',
    VIGIL_VANTAGE_REGION: 'Almaty',
    VIGIL_VANTAGE_ASN: '29355',
    VIGIL_VANTAGE_NETWORK_TYPE: 'mobile',
  })
  expect(lines).toContain(
    'vigil_target_info{target="facebook",group="social",purpose="service",region="Almaty",network_type="mobile"} 1',
  )
  expect(lines.some((line) => line.includes('target="kcell"'))).toBe(false)
})
