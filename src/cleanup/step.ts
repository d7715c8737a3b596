/**
 * stage: cleanup: what the retention rules (keep-last, keep-days, keep-tags) keep, and the rest
 * deleted, through OCIR's Artifacts API (with the API key) or the registry's /v2/ API. A stage of
 * its own: it runs instead of the release.
 */
import {createArtifactsClient, ociClientOptionsOf} from '../adapters/oci-client.js'
import {OciImageCatalog} from '../adapters/oci-image-catalog.js'
import type {ImageCatalog} from '../ports.js'
import type {RegistryHttpClient} from '../adapters/registry-http.js'
import {RegistryCatalog} from '../adapters/registry-catalog.js'
import {parseWholeNumber} from '../config/parse-values.js'
import {InputError} from '../errors.js'
import {closedPullRequest, parseTagPatterns} from '../plan/retention.js'
import type {RetentionInputs} from '../model/action-config.js'
import type {ImagePlan} from '../plan/push-plan.js'
import type {ReplicaTarget} from '../plan/replication-targets.js'
import {code, escapeHtml} from '../report/html.js'
import {readReplication, type ReplicationSettings} from '../replication/settings.js'
import {connectTargets, preflight} from '../replication/targets.js'
import {
  defineStep,
  type CoreConfig,
  type StepInputs,
  type StepReport,
} from '../steps/release-step.js'
import {runCleanup, type CleanupResult} from './run-cleanup.js'

/** The retention rules, and the replicate-to targets they apply in as well. */
interface CleanupSettings extends RetentionInputs {
  replication?: ReplicationSettings
}

/** Where one cleanup runs: the run's registry, or a replicate-to target. */
interface CleanupPlace {
  /** The host image names carry there. */
  host: string
  catalog: ImageCatalog
}

export const cleanupStep = defineStep<CleanupSettings>({
  name: 'cleanup',
  read(inputs, config) {
    const retention = readRetention(inputs, config.stage)
    return retention && {...retention, replication: readReplication(inputs, config)}
  },
  async connect(settings, context) {
    const {config, registry} = context
    const places: CleanupPlace[] = [
      {host: config.registry.host, catalog: await connectCatalog(config, registry)},
    ]
    // The same rules in every replicate-to target, each through the catalog of its kind.
    if (settings.replication) {
      const targets = await connectTargets(settings.replication, context)
      await preflight(targets, config.maxParallel)
      for (const {target, registry: replica} of targets)
        places.push({host: target.name, catalog: await replicaCatalog(config, target, replica)})
    }
    let result: CleanupResult | undefined
    return {
      async insteadOfRelease({plan, facts}) {
        const rules = {
          ...settings,
          defaultBranch: facts.defaultBranch,
          now: facts.now,
          pullRequest: closedPullRequest(
            config.github.eventName,
            config.github.payload,
            config.metadata.shortShaLength,
          ),
        }
        for (const place of places) {
          const done = await runCleanup({
            plans: plan.plans.map((image) => rehosted(image, place.host, config.registry.host)),
            rules,
            catalog: place.catalog,
            dryRun: config.dryRun,
          })
          result = result ? merged(result, done) : done
        }
      },
      report: () => (result ? cleanupReport(result, config.dryRun) : idle()),
    }
  },
  idleReport: idle,
})

function idle(): StepReport {
  return {outputs: {deleted: '{}'}}
}

/** keep-last, keep-days and keep-tags; the last two only make sense for a cleanup. */
export function readRetention(
  inputs: Pick<StepInputs, 'get' | 'raw'>,
  stage: CoreConfig['stage'],
): RetentionInputs | undefined {
  const keepTagLines = inputs
    .raw('keep-tags')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const keepDaysRaw = inputs.get('keep-days')
  if (stage !== 'cleanup') {
    const given = keepDaysRaw ? 'keep-days' : keepTagLines.length > 0 ? 'keep-tags' : undefined
    if (given) {
      throw new InputError(
        given,
        given === 'keep-days' ? keepDaysRaw : keepTagLines.join(' '),
        `${given} is a retention rule and applies to stage: cleanup only (this run has stage: ${stage}); run the cleanup as its own step`,
      )
    }
  }
  const retention = {
    keepLast: parseWholeNumber('keep-last', inputs.get('keep-last'), 10, 0),
    keepDays: keepDaysRaw ? parseWholeNumber('keep-days', keepDaysRaw, 0, 1) : undefined,
    keepTags: parseTagPatterns(keepTagLines),
  }
  return stage === 'cleanup' ? retention : undefined
}

/** An image's plan with its name on another host (the repository path is the same). */
function rehosted(plan: ImagePlan, host: string, primary: string): ImagePlan {
  return host === primary ? plan : {...plan, imageName: `${host}/${plan.repository}`}
}

/** Two places' results as one: every image's deletions, in the places' order. */
function merged(first: CleanupResult, second: CleanupResult): CleanupResult {
  const deleted = {...first.deleted}
  for (const [image, references] of Object.entries(second.deleted))
    deleted[image] = [...(deleted[image] ?? []), ...references]
  return {
    deleted,
    failures: [...first.failures, ...second.failures],
    notices: [...new Set([...first.notices, ...second.notices])],
  }
}

/**
 * A replicate-to target's catalog: an OCIR region through its own region's Artifacts API when
 * the run's registry is cleaned up that way, else (and for any other registry) the /v2/ API.
 */
async function replicaCatalog(
  config: CoreConfig,
  target: ReplicaTarget,
  registry: RegistryHttpClient,
): Promise<ImageCatalog> {
  if (target.kind === 'region' && config.oci) {
    const regional = target.region ? {...config.oci, region: target.region} : config.oci
    const artifacts = await createArtifactsClient(ociClientOptionsOf(config, regional))
    return new OciImageCatalog(
      artifacts,
      config.compartment ?? config.oci.tenancy,
      !config.compartment,
      registry,
    )
  }
  const isOcir = target.kind === 'region'
  const hint = isOcir
    ? 'Give the API-key inputs (oci-user, oci-tenancy, oci-fingerprint, oci-private-key, oci-region) so the cleanup deletes through the OCI Artifacts API'
    : `Allow deletes on the registry ${target.name}, or clean it up with its own tools`
  return new RegistryCatalog(registry, target.name, hint, isOcir)
}

/**
 * Where a cleanup lists and deletes: OCIR's Artifacts API with the API key, else the registry's
 * /v2/ API (on OCIR with an auth token, if OCIR accepts deletes there).
 */
async function connectCatalog(
  config: CoreConfig,
  registry: RegistryHttpClient,
): Promise<ImageCatalog> {
  if (config.oci) {
    const artifacts = await createArtifactsClient(ociClientOptionsOf(config, config.oci))
    return new OciImageCatalog(
      artifacts,
      config.compartment ?? config.oci.tenancy,
      !config.compartment,
      registry,
    )
  }
  const hint = config.registry.isOcir
    ? 'Give the API-key inputs (oci-user, oci-tenancy, oci-fingerprint, oci-private-key, oci-region) so the cleanup deletes through the OCI Artifacts API'
    : 'Allow deletes on the registry (the distribution registry: storage.delete.enabled: true, or REGISTRY_STORAGE_DELETE_ENABLED=true), or clean up with its own tools'
  return new RegistryCatalog(registry, config.registry.host, hint, config.registry.isOcir)
}

/** The deletions per image: what went (or, in a dry run, would go). */
function cleanupReport(result: CleanupResult, dryRun: boolean): StepReport {
  return {
    outputs: {deleted: JSON.stringify(result.deleted)},
    sections: Object.entries(result.deleted).map(([image, references]) => ({
      title: `${escapeHtml(image)}: ${references.length === 0 ? 'nothing to delete' : dryRun ? 'would delete' : 'deleted'}`,
      items: references.map((reference) => code(reference)),
    })),
    notices: result.notices,
    failures: result.failures,
  }
}
