/**
 * The run's repositories ensured through one region's OCI Artifacts endpoint: the run's own region
 * (ensure-repositories) or a replication target's (replicate-to), with the same settings.
 */
import * as core from '@actions/core'
import {createArtifactsClient, ociClientOptionsOf, sdkLogsAsDebug} from '../adapters/oci-client.js'
import {ensureRepositories, OciRepositoryStore} from '../adapters/oci-repository-store.js'
import type {OciAuth, OciRegion} from '../model/oci.js'
import type {ImagePlan} from '../plan/push-plan.js'
import type {RepositoryOutcome} from '../ports.js'
import type {CoreConfig} from '../steps/release-step.js'

/**
 * Looks up every plan's repository and creates the missing ones (see ensureRepositories), through
 * `region`'s Artifacts endpoint when given (oci-endpoint, when given, serves every region), else
 * the credentials' own region's.
 */
export async function ensureWith(
  apiKey: OciAuth,
  config: CoreConfig,
  settings: {isPublic: boolean; isImmutable: boolean},
  plans: readonly ImagePlan[],
  region?: OciRegion,
): Promise<RepositoryOutcome[]> {
  const regional = region ? {...apiKey, region} : apiKey
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

/** One line per repository, in a log group. */
export function logOutcomes(title: string, outcomes: readonly RepositoryOutcome[]): void {
  core.startGroup(title)
  for (const outcome of outcomes)
    core.info(`${outcome.name}: ${outcome.status}${outcome.message ? ` (${outcome.message})` : ''}`)
  core.endGroup()
}
