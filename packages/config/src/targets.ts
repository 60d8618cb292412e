// Which target groups the running vantage probes, from each group's vantage roles.
import type { TargetGroup, VigilConfig } from './types.js'

/** The groups this process's vantage (or the given role) should probe. */
export function groupsForVantage(config: VigilConfig, role = config.vantage.role): TargetGroup[] {
  return config.targetGroups.filter((group) => group.vantageRoles.includes(role))
}
