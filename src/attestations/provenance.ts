/**
 * The in-toto Statement v1 of an attestation, and the SLSA Provenance v1 predicate of a pushed
 * digest: what was built (the subject), from what (the commit, every base image by digest, an
 * earlier release when the image was relabelled), how (the builder, platforms, target, the names
 * of the build args and the ids of the secrets, never a value) and by which workflow run. Pure:
 * everything comes in as arguments; the same facts give the same bytes.
 */

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1'
export const PROVENANCE_PREDICATE_TYPE = 'https://slsa.dev/provenance/v1'
/** What this action's provenance describes: a release of one image (README, "Attestations"). */
export const BUILD_TYPE = 'https://github.com/ocir-push/ocir-push/buildtypes/release/v1'

/** The workflow run, as the runner describes it. */
export interface WorkflowRun {
  /** GITHUB_SERVER_URL, e.g. https://github.com */
  serverUrl: string
  /** `owner/name`. */
  repository: string
  ref: string
  sha: string
  eventName: string
  runId: string
  runAttempt: string
  /** GITHUB_WORKFLOW_REF: `owner/name/.github/workflows/release.yml@refs/heads/main`. */
  workflowRef: string
}

export interface ProvenanceFacts {
  run: WorkflowRun
  /** The engine that built the image (`buildx`, `docker`, `buildah`, `podman`), or `merge`. */
  builder: string
  stage: string
  platforms: readonly string[]
  target?: string
  /** The build args of the image; only their names go into the predicate. */
  buildArgs: Readonly<Record<string, string>>
  secretIds: readonly string[]
  /** Every base image, by digest when it resolved. */
  baseImages: readonly {ref: string; digest?: string}[]
  /** The earlier release this image was relabelled from. */
  reusedFrom?: {ref: string; digest?: string}
  startedOn: Date
  finishedOn: Date
}

interface ResourceDescriptor {
  uri?: string
  name?: string
  digest?: Record<string, string>
  annotations?: Record<string, string>
}

/** A statement about one digest; `name` is the image without tag or digest (`host/ns/app`). */
export function statement(
  subject: {name: string; digest: string},
  predicateType: string,
  predicate: object,
): Buffer {
  const [algorithm, hex] = subject.digest.split(':')
  if (algorithm !== 'sha256' || !/^[0-9a-f]{64}$/.test(hex ?? ''))
    throw new Error(`not a sha256 digest: '${subject.digest}'`)
  return Buffer.from(
    JSON.stringify({
      _type: STATEMENT_TYPE,
      subject: [{name: subject.name, digest: {sha256: hex}}],
      predicateType,
      predicate,
    }),
  )
}

/** The SLSA Provenance v1 predicate of one pushed digest. */
export function provenancePredicate(facts: ProvenanceFacts): object {
  const {run} = facts
  const server = run.serverUrl.replace(/\/+$/, '')
  const repositoryUrl = run.repository ? `${server}/${run.repository}` : ''
  const runUrl =
    repositoryUrl && run.runId ? `${repositoryUrl}/actions/runs/${run.runId}` : undefined
  return {
    buildDefinition: {
      buildType: BUILD_TYPE,
      externalParameters: {
        workflow: {ref: run.workflowRef, repository: repositoryUrl},
        repository: run.repository,
        ref: run.ref,
        sha: run.sha,
        event: run.eventName,
      },
      internalParameters: {
        builder: facts.builder,
        stage: facts.stage,
        platforms: [...facts.platforms],
        ...(facts.target ? {target: facts.target} : {}),
        buildArgs: Object.keys(facts.buildArgs).sort(),
        ...(facts.secretIds.length > 0 ? {secrets: [...facts.secretIds].sort()} : {}),
        ...(facts.reusedFrom ? {reusedFrom: facts.reusedFrom.ref} : {}),
      },
      resolvedDependencies: resolvedDependencies(facts, repositoryUrl),
    },
    runDetails: {
      builder: {id: builderId(server, run, repositoryUrl)},
      metadata: {
        invocationId: runUrl ? `${runUrl}/attempts/${run.runAttempt || '1'}` : '',
        startedOn: isoSeconds(facts.startedOn),
        finishedOn: isoSeconds(facts.finishedOn),
      },
    },
  }
}

/** The commit, every base image, and the earlier release of a relabelled image. */
function resolvedDependencies(facts: ProvenanceFacts, repositoryUrl: string): ResourceDescriptor[] {
  const {run} = facts
  const dependencies: ResourceDescriptor[] = []
  if (run.sha)
    dependencies.push({
      uri: `git+${repositoryUrl || 'unknown'}${run.ref ? `@${run.ref}` : ''}`,
      digest: {gitCommit: run.sha},
    })
  for (const base of facts.baseImages)
    dependencies.push({
      name: base.ref,
      uri: `docker-image://${base.ref}`,
      ...(base.digest ? {digest: digestMap(base.digest)} : {}),
      annotations: {role: 'base-image'},
    })
  if (facts.reusedFrom)
    dependencies.push({
      name: facts.reusedFrom.ref,
      uri: `docker-image://${facts.reusedFrom.ref}`,
      ...(facts.reusedFrom.digest ? {digest: digestMap(facts.reusedFrom.digest)} : {}),
      annotations: {role: 'reused-from'},
    })
  return dependencies
}

/** The workflow file at its ref; the repository when the runner did not say which workflow. */
function builderId(server: string, run: WorkflowRun, repositoryUrl: string): string {
  if (run.workflowRef) return `${server}/${run.workflowRef}`
  return repositoryUrl || BUILD_TYPE
}

/** `sha256:abc…` → `{sha256: 'abc…'}`. */
function digestMap(digest: string): Record<string, string> {
  const at = digest.indexOf(':')
  return at > 0 ? {[digest.slice(0, at)]: digest.slice(at + 1)} : {}
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
