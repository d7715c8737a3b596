/**
 * ensure-repositories in every OCIR region target: repositories are regional, so each region's
 * Artifacts endpoint creates the missing ones, in the same compartment and with the same settings
 * as the run's own region.
 */
import {describeFailure} from '../errors.js'
import type {ImagePlan} from '../plan/push-plan.js'
import {ensureWith, logOutcomes} from '../repositories/ensure.js'
import type {CoreConfig} from '../steps/release-step.js'
import type {ReplicationSettings} from './settings.js'

/** Undefined when every region holds every repository; else what failed, naming the region. */
export async function ensureRegionRepositories(
  settings: Pick<ReplicationSettings, 'targets' | 'isPublic' | 'isImmutable'>,
  config: CoreConfig,
  plans: readonly ImagePlan[],
): Promise<string | undefined> {
  const apiKey = config.oci
  if (!apiKey) return undefined
  const failures: string[] = []
  for (const target of settings.targets.filter((candidate) => candidate.kind === 'region')) {
    try {
      const outcomes = await ensureWith(apiKey, config, settings, plans, target.region)
      logOutcomes(`Repositories in ${target.name}`, outcomes)
      for (const outcome of outcomes.filter((candidate) => candidate.status === 'failed'))
        failures.push(`${target.name}: ${outcome.name}: ${outcome.message ?? 'failed'}`)
    } catch (err) {
      failures.push(`${target.name}: ${describeFailure(err)}`)
    }
  }
  return failures.length > 0
    ? `not built: the repositories could not be ensured in every replication target (${failures.join('; ')})`
    : undefined
}
