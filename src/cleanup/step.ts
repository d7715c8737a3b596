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
import {code, escapeHtml} from '../report/html.js'
import {
  defineStep,
  type CoreConfig,
  type StepInputs,
  type StepReport,
} from '../steps/release-step.js'
import {runCleanup, type CleanupResult} from './run-cleanup.js'

export const cleanupStep = defineStep<RetentionInputs>({
  name: 'cleanup',
  read: (inputs, config) => readRetention(inputs, config.stage),
  async connect(retention, {config, registry}) {
    const catalog = await connectCatalog(config, registry)
    let result: CleanupResult | undefined
    return {
      async insteadOfRelease({plan, facts}) {
        result = await runCleanup({
          plans: plan.plans,
          rules: {
            ...retention,
            defaultBranch: facts.defaultBranch,
            now: facts.now,
            pullRequest: closedPullRequest(
              config.github.eventName,
              config.github.payload,
              config.metadata.shortShaLength,
            ),
          },
          catalog,
          dryRun: config.dryRun,
        })
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
