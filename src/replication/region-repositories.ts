/**
 * ensure-repositories in every OCIR region target: repositories are regional, so each region's
 * Artifacts endpoint creates the missing ones, in the same compartment and with the same settings
 * as the run's own region.
 */
import * as core from '@actions/core'
import {createArtifactsClient, ociClientOptionsOf, sdkLogsAsDebug} from '../adapters/oci-client.js'
import {ensureRepositories, OciRepositoryStore} from '../adapters/oci-repository-store.js'
import {describeFailure} from '../errors.js'
import type {ReplicaTarget} from '../plan/replication-targets.js'
import type {ImagePlan} from '../plan/push-plan.js'
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
      const outcomes = await ensureIn(target, settings, config, plans)
      core.startGroup(`Repositories in ${target.name}`)
      for (const outcome of outcomes)
        core.info(
          `${outcome.name}: ${outcome.status}${outcome.message ? ` (${outcome.message})` : ''}`,
        )
      core.endGroup()
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

async function ensureIn(
  target: ReplicaTarget,
  settings: Pick<ReplicationSettings, 'isPublic' | 'isImmutable'>,
  config: CoreConfig,
  plans: readonly ImagePlan[],
): ReturnType<typeof ensureRepositories> {
  const apiKey = config.oci
  if (!apiKey) return []
  // The region's own Artifacts endpoint (oci-endpoint, when given, serves every region).
  const regional = target.region ? {...apiKey, region: target.region} : apiKey
  const artifacts = await createArtifactsClient(ociClientOptionsOf(config, regional))
  const store = new OciRepositoryStore(artifacts, apiKey.tenancy)
  const byName = new Map(plans.map((plan) => [plan.image.name, plan]))
  return sdkLogsAsDebug(() =>
    ensureRepositories(store, {
      tenancy: apiKey.tenancy,
      compartment: config.compartment,
      names: plans.map((plan) => plan.image.name),
      isPublic: settings.isPublic,
      isImmutable: settings.isImmutable,
      movingTagsFor: (name) => byName.get(name)?.movingTags ?? [],
    }),
  )
}
