// Detection settings as the config states them.
import type { VigilConfig } from '@vigil/config'
import type { DetectionSettings } from '@vigil/detect'

export function detectionSettings(config: VigilConfig): DetectionSettings {
  const t = config.thresholds
  return {
    blackout: {
      warning: t.blackout.warning,
      critical: t.blackout.critical,
      resolveAbove: t.blackout.resolveAbove,
      minTargets: t.blackout.minTargets,
      minVantages: t.blackout.minVantages,
      minSamples: t.blackout.minSamples,
      requireControlFailure: t.blackout.requireControlFailure,
      country: { ...t.blackout.country },
    },
    blocking: { ...t.blocking },
    throttling: {
      factor: t.throttling.factor,
      minSamples: t.throttling.minSamples,
      minExtraMs: t.throttling.minExtra,
      slowBodyBitsPerSecond: t.throttling.slowBodyBelow,
    },
    silenceAfterMs: t.silenceAfter,
    monitorOffline: { group: t.monitorOffline.group, failureShare: t.monitorOffline.failureShare },
    controlGroups: Object.fromEntries(
      config.targetGroups.map((group) => [
        group.name,
        group.controlGroup ?? config.targetGroups.find((g) => g.purpose === 'control')?.name,
      ]),
    ),
  }
}
