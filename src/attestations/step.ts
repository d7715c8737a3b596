/**
 * Attestations: every digest a release puts in the registry gets a signed SLSA provenance (and,
 * for each platform manifest, an SPDX SBOM) in cosign's `sha256-<hex>.att` manifest, after it is
 * published and before signing and any moving tag (steps/index.ts puts it before signing).
 * Signed with the signing keys (`sign-key`, the Vault key, or both); without a key, stored
 * unsigned, and the log says so.
 */
import type {LogSink} from '../ports.js'
import type {ImagePlan} from '../plan/push-plan.js'
import {baseImagesOf} from '../release/image-reuse.js'
import {code, escapeHtml} from '../report/html.js'
import {vaultSignatureApi} from '../signing/connect-signers.js'
import {signingOf, type SigningConfig} from '../signing/sign-key.js'
import {
  defineStep,
  type ConnectContext,
  type CoreConfig,
  type StepHooks,
} from '../steps/release-step.js'
import {parseAttestationKinds, type AttestationKind} from './attestation-kinds.js'
import {AttestationStore} from './attestation-store.js'
import {attestOutcome, sameAttestation, type Attestations} from './attest-outcome.js'
import {envelopeSigners} from './envelope-signers.js'
import type {WorkflowRun} from './provenance.js'
import {sbomStatement} from './sbom-statement.js'
import {createSbomLayerCache} from './sbom/index.js'

interface AttestationSettings {
  kinds: AttestationKind[]
  signing?: SigningConfig
  /** GITHUB_WORKFLOW_REF: the workflow file at its ref, the provenance's builder. */
  workflowRef: string
}

export const attestationsStep = defineStep<AttestationSettings>({
  name: 'attestations',
  read(inputs, config) {
    // The same keys as signing, read once for both (signing/sign-key.ts).
    const signing = signingOf(inputs, Boolean(config.oci))
    const kinds = parseAttestationKinds(inputs.raw('attestations'), signing !== undefined)
    if (kinds.length === 0 || config.stage === 'cleanup') return undefined
    return {kinds, signing, workflowRef: inputs.env.GITHUB_WORKFLOW_REF ?? ''}
  },
  planLines: (settings, {config, plan}) =>
    config.push ? {afterPublish: attestationLines(settings, config, plan.plans)} : {},
  connect: connectAttestations,
  idleReport: () => ({outputs: {attestations: '{}'}}),
})

async function connectAttestations(
  settings: AttestationSettings,
  {config, registry, resolveBaseImages, facts}: ConnectContext,
): Promise<StepHooks> {
  // Platform legs are attested by the merge that releases them, as they are signed.
  if (!config.push || config.stage === 'platform') return {}
  const {kinds} = settings
  const signers = await envelopeSigners(settings.signing, (kms) => vaultSignatureApi(kms, config))
  const started = facts?.now ?? new Date()
  // SOURCE_DATE_EPOCH: every time in the statements is that one, so a re-run says the same.
  const reproducible = config.sourceDateEpoch !== undefined
  const created = reproducible ? started : (facts?.commitDate ?? started)
  // One run's SBOMs read a layer their images share (a base) once.
  const sbomLayers = createSbomLayerCache()
  let builder = config.stage === 'merge' ? 'merge' : config.builder
  const notices: string[] = []
  const attested = new Map<string, Attestations>()
  const attest = attestOutcome({
    kinds,
    signers,
    store: new AttestationStore(registry, sameAttestation(signers)),
    registry,
    runFacts: () => ({
      run: workflowRun(config, settings.workflowRef),
      builder,
      stage: config.stage,
      secretIds: config.secrets.map((secret) => secret.id),
      startedOn: started,
      finishedOn: reproducible ? started : new Date(),
    }),
    baseImages: (plan, log) =>
      resolveBaseImages
        ? baseImagesNamed(plan, config.github.workspace, resolveBaseImages, log)
        : Promise.resolve([]),
    sbom: (target, bases, log) => sbomStatement(registry, target, bases, created, log, sbomLayers),
  })
  return {
    async beforePush({engine}) {
      if (engine.name !== 'none') builder = engine.name
      if (builder === 'buildx' && config.provenance && kinds.includes('provenance'))
        notices.push(
          "both provenance: true and attestations: provenance are set, so each image carries two provenances: buildx's own (unsigned, in the image index) and this action's (signed, in the .att manifest). Set provenance: false to keep only the signed one",
        )
      return undefined
    },
    afterPublish: async (plan, outcome, log) => {
      attested.set(plan.image.name, await attest(plan, outcome, log))
    },
    report: () => ({
      outputs: {attestations: JSON.stringify(Object.fromEntries(attested))},
      column:
        attested.size > 0
          ? {
              header: 'attestations',
              cells: Object.fromEntries(
                [...attested].map(([image, found]) => [image, attestationsCell(found)]),
              ),
            }
          : undefined,
      notices,
    }),
  }
}

/** The image's base images by digest, as the build key resolves them; the log says what is not. */
async function baseImagesNamed(
  plan: ImagePlan,
  workspace: string,
  resolveBaseImages: NonNullable<ConnectContext['resolveBaseImages']>,
  log: LogSink,
): Promise<{ref: string; digest?: string}[]> {
  const found = await baseImagesOf({workspace, resolveBaseImages}, plan)
  if ('doubts' in found) {
    log(`${plan.imageName}: the provenance names no base image: ${found.doubts.join('; ')}`)
    return []
  }
  for (const base of found.bases)
    if (!base.digest)
      log(
        `${plan.imageName}: base image ${base.ref} is named without a digest: ${base.reason ?? 'not resolved'}`,
      )
  return found.bases.map((base) => ({ref: base.ref, ...(base.digest ? {digest: base.digest} : {})}))
}

function workflowRun(config: CoreConfig, workflowRef: string): WorkflowRun {
  const {github} = config
  return {
    serverUrl: github.serverUrl,
    repository: github.repository,
    ref: github.ref,
    sha: github.sha,
    eventName: github.eventName,
    runId: github.runId,
    runAttempt: github.runAttempt,
    workflowRef,
  }
}

/** What a real run would attest, before signing and any moving tag: a comment line per digest. */
function attestationLines(
  settings: AttestationSettings,
  config: CoreConfig,
  plans: readonly ImagePlan[],
): string[] {
  const {signing, kinds} = settings
  const keys = [
    signing?.cosign ? 'the cosign key' : '',
    signing?.kms ? `the OCI Vault key ${signing.kms.keyVersionId}` : '',
  ].filter(Boolean)
  const how = keys.length > 0 ? `signed with ${keys.join(' and ')}` : 'unsigned: no signing key'
  const lines: string[] = []
  for (const image of plans) {
    const index = config.stage === 'merge' || image.image.platforms.length > 1
    // An index has no SBOM of its own; each platform manifest has one.
    const own = index ? kinds.filter((kind) => kind !== 'sbom') : kinds
    if (own.length > 0)
      lines.push(`# attest ${image.imageName}@<pushed digest>: ${own.join(', ')} (${how})`)
    if (index)
      for (const platform of image.image.platforms)
        lines.push(
          `# attest ${image.imageName}@<${platform} manifest digest>: ${kinds.join(', ')} (${how})`,
        )
  }
  return lines
}

/** Each attested digest (shortened) and where its attestations went. */
function attestationsCell(found: Attestations): string {
  return Object.entries(found)
    .map(
      ([digest, places]) =>
        `${code(`${digest.slice(0, 19)}…`)}: ${[...new Set(places)].map((place) => escapeHtml(place)).join(', ')}`,
    )
    .join('<br>')
}
