import {existsSync, readFileSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {join} from 'node:path'
import {secretsWithheld, untrustedEvent} from '../plan/fork-pull-request.js'
import {checkStagePlatforms} from '../plan/platform-legs.js'
import {parseFlavor, parseRules} from '../plan/tags/tag-rules.js'
import {InputError} from '../errors.js'
import {isLoopbackHost, resolveRegistryTarget} from '../plan/registry-target.js'
import {
  BUILDERS,
  CACHE_MODES,
  STAGES,
  type ActionConfig,
  type GitHubContext,
} from '../model/action-config.js'
import type {OciApiKey} from '../model/oci.js'
import {parseOciApiKey, type OciKeyInputs} from './oci-key.js'
import {parseImages} from './images.js'
import {checkBuildFiles} from './build-files.js'
import type {CoreConfig, ReleaseStep, RunConfig, StepInputs} from '../steps/release-step.js'
import {
  parseBoolean,
  parseChoice,
  parseKeyValueLines,
  parsePlatforms,
  parseWholeNumber,
} from './parse-values.js'

export type InputGetter = (name: string) => string
export type SecretMasker = (secret: string) => void

/** Each OCI credential input and the oracle-actions environment variable it falls back to. */
const OCI_FIELDS = [
  ['user', 'oci-user', 'OCI_CLI_USER'],
  ['tenancy', 'oci-tenancy', 'OCI_CLI_TENANCY'],
  ['fingerprint', 'oci-fingerprint', 'OCI_CLI_FINGERPRINT'],
  ['privateKey', 'oci-private-key', 'OCI_CLI_KEY_CONTENT'],
  ['region', 'oci-region', 'OCI_CLI_REGION'],
] as const

/**
 * Reads and validates every input once. Throws an InputError naming the input, the value and the
 * fix; nothing outside config/ reads inputs or OCI_CLI_* variables.
 */
export function readConfig(
  input: InputGetter,
  env: NodeJS.ProcessEnv,
  maskSecret: SecretMasker = () => {},
  /** The release steps there are (steps/index.ts in a real run). */
  steps: readonly ReleaseStep[] = [],
): RunConfig {
  const get = (name: string): string => (input(name) ?? '').trim()

  const givenToken = get('auth-token')
  if (givenToken) maskSecret(givenToken)

  const github = readGitHubContext(env)
  const givenOci = readOciCredentials(get, env, maskSecret)
  // An event that runs with secrets on code anyone may have written gets none of them.
  const untrusted = untrustedEvent(github.eventName, github.payload, github.repository)
  const distrusted =
    untrusted && !parseBoolean('allow-untrusted-push', get('allow-untrusted-push'), false)
      ? untrusted
      : undefined
  const authToken = distrusted ? '' : givenToken
  const oci = distrusted ? undefined : givenOci
  const registry = resolveRegistryTarget({
    registry: get('registry'),
    region: get('region') || env.OCI_CLI_REGION?.trim() || '',
  })

  const namespace = get('namespace')
  if (namespace.includes('/') && registry.isOcir) {
    throw new InputError(
      'namespace',
      namespace,
      'an OCIR tenancy namespace has no "/": use the namespace from the OCI console (Tenancy details, Object Storage namespace)',
    )
  }
  if (
    namespace &&
    !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(namespace)
  ) {
    const lower = namespace.toLowerCase()
    throw new InputError(
      'namespace',
      namespace,
      lower !== namespace
        ? `image paths must be lowercase: use '${lower}'`
        : 'use lowercase letters, digits and . _ -',
    )
  }

  const rawUsername = get('username')
  const wantsPush = parseBoolean('push', get('push'), true)
  const dryRun = parseBoolean('dry-run', get('dry-run'), false)
  const pushWithheld = distrusted
    ? `${distrusted} runs with secrets on code that anyone who opens a pull request may have written: the images are built but not pushed, and no credential is used. If this workflow builds only trusted code (not the pull request's head), set allow-untrusted-push: true.`
    : wantsPush &&
        !authToken &&
        !oci &&
        secretsWithheld(github.eventName, github.payload, github.actor)
      ? `GitHub withholds secrets from this pull request (a fork or Dependabot), so there are no registry credentials: the images are built but not pushed.`
      : undefined
  if (rawUsername && !authToken && !oci && !pushWithheld) {
    throw new InputError(
      'auth-token',
      '',
      `username '${rawUsername}' is set but auth-token is empty: pass the auth token (or password), e.g. auth-token: \${{ secrets.OCIR_TOKEN }}`,
    )
  }
  if (authToken && !rawUsername) {
    throw new InputError(
      'username',
      '',
      'auth-token is set but username is empty: set the login user (for OCIR e.g. user@example.com; the namespace prefix is added)',
    )
  }
  if (registry.isOcir && rawUsername && !namespace && !rawUsername.includes('/') && !oci) {
    throw new InputError(
      'namespace',
      '',
      `OCIR logins are <namespace>/<user>: set namespace (the tenancy namespace, not the tenancy name) or give OCI API credentials to look it up`,
    )
  }

  const platforms = parsePlatforms('platforms', get('platforms'))
  const stage = parseChoice('stage', get('stage'), STAGES, 'all')
  const listed = parseImages(get('images'), {platforms})
  checkStagePlatforms(stage, listed)
  // A merge and a cleanup build nothing: they need no context or Dockerfile. The others build
  // from resolved contexts, checked to be files of the checkout.
  const images =
    stage !== 'merge' && stage !== 'cleanup'
      ? checkBuildFiles(listed, {
          workspace: github.workspace,
          runnerTemp: env.RUNNER_TEMP || tmpdir(),
        })
      : listed
  const compartment = get('compartment')
  if (
    compartment &&
    !/^ocid1\.(compartment|tenancy)\.[a-z0-9-]+\.[a-z0-9-]*\.[a-z0-9]+$/i.test(compartment)
  ) {
    throw new InputError(
      'compartment',
      compartment,
      'use a compartment OCID (ocid1.compartment.oc1..…) or the tenancy OCID, not a compartment name',
    )
  }
  const ociEndpoint = get('oci-endpoint')
  if (ociEndpoint && !/^https?:\/\/[^/?#]+\/?$/.test(ociEndpoint)) {
    throw new InputError(
      'oci-endpoint',
      ociEndpoint,
      'use a base URL with a scheme and no path, e.g. https://proxy.example.com',
    )
  }
  // Every request to it is signed with the API key: plain HTTP only to this machine.
  if (
    ociEndpoint.startsWith('http://') &&
    !isLoopbackHost(URL.canParse(ociEndpoint) ? new URL(ociEndpoint).host : '')
  ) {
    throw new InputError(
      'oci-endpoint',
      ociEndpoint,
      `use https (https://${ociEndpoint.slice('http://'.length).replace(/\/$/, '')}): requests signed with the OCI API key go over http:// to a loopback host (localhost, 127.0.0.1, ::1) only`,
    )
  }
  const tagRules = lines(input('tags') ?? '')
  const flavor = lines(input('flavor') ?? '')
  // Rule syntax is checked now; the rules are evaluated against the event later.
  parseRules(tagRules)
  parseFlavor(flavor)
  const sourceDateEpoch = env.SOURCE_DATE_EPOCH?.trim()
  if (sourceDateEpoch && !/^\d+$/.test(sourceDateEpoch)) {
    throw new InputError(
      'SOURCE_DATE_EPOCH',
      sourceDateEpoch,
      'set it to whole seconds since 1970-01-01 UTC, e.g. $(git log -1 --format=%ct)',
    )
  }

  const core: CoreConfig = {
    registry,
    namespace,
    username: rawUsername,
    authToken,
    oci,
    ociEndpoint: ociEndpoint ? ociEndpoint.replace(/\/$/, '') : undefined,
    logout: parseBoolean('logout', get('logout'), true),
    images,
    builder: parseChoice('builder', get('builder'), BUILDERS, 'auto'),
    buildxCreateBuilder: parseBoolean('buildx-create-builder', get('buildx-create-builder'), true),
    platforms,
    provenance: parseBoolean('provenance', get('provenance'), false),
    reuse: parseBoolean('reuse', get('reuse'), true),
    cache: parseChoice('cache', get('cache'), CACHE_MODES, 'auto'),
    labels: parseKeyValueLines('labels', input('labels') ?? ''),
    maxParallel: parseWholeNumber('max-parallel', get('max-parallel'), 2, 1),
    tagRules,
    flavor,
    push: wantsPush && !pushWithheld,
    dryRun,
    pushWithheld,
    compartment: compartment || undefined,
    retries: parseWholeNumber('retries', get('retries'), 3, 0),
    githubToken: get('github-token'),
    stage,
    github,
    sourceDateEpoch: sourceDateEpoch ? Number(sourceDateEpoch) : undefined,
    metadata: readMetadataVariables(env),
    ghaCache: Boolean(env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL),
    retryBaseMs: /^\d+$/.test(env.OCIR_PUSH_RETRY_BASE_MS ?? '')
      ? Number(env.OCIR_PUSH_RETRY_BASE_MS)
      : undefined,
    paths: {
      runnerTemp: env.RUNNER_TEMP || tmpdir(),
      userDockerConfig: env.DOCKER_CONFIG || join(homedir(), '.docker'),
      buildxConfig:
        env.BUILDX_CONFIG || join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'buildx'),
    },
  }
  const inputs: StepInputs = {get, raw: (name) => input(name) ?? '', env, mask: maskSecret}
  // Each step reads and checks its own inputs, in the list's order, before anything happens.
  return {...core, steps: steps.map((step) => step.configure(inputs, core))}
}

function lines(raw: string): string[] {
  return raw
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

function readGitHubContext(env: NodeJS.ProcessEnv): GitHubContext {
  let payload: Record<string, unknown> = {}
  const eventPath = env.GITHUB_EVENT_PATH
  if (eventPath && existsSync(eventPath)) {
    try {
      payload = JSON.parse(readFileSync(eventPath, 'utf8')) as Record<string, unknown>
    } catch (err) {
      throw new InputError(
        'GITHUB_EVENT_PATH',
        eventPath,
        `the event payload is not JSON (${err instanceof Error ? err.message : String(err)})`,
      )
    }
  }
  return {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    payload,
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    repository: env.GITHUB_REPOSITORY ?? '',
    serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    runId: env.GITHUB_RUN_ID ?? '',
    runNumber: env.GITHUB_RUN_NUMBER ?? '',
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '',
    job: env.GITHUB_JOB ?? '',
    action: env.GITHUB_ACTION ?? '',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    actor: env.GITHUB_ACTOR ?? '',
  }
}

function readOciCredentials(
  get: (name: string) => string,
  env: NodeJS.ProcessEnv,
  maskSecret: SecretMasker,
): OciApiKey | undefined {
  const values = Object.fromEntries(
    OCI_FIELDS.map(([field, name, variable]) => [field, get(name) || env[variable]?.trim() || '']),
  ) as Record<(typeof OCI_FIELDS)[number][0], string>
  const passphrase = get('oci-private-key-passphrase') || env.OCI_CLI_PASSPHRASE || ''
  if (values.privateKey) {
    maskSecret(values.privateKey)
    // Logs are masked line by line: each line of the key body is a secret of its own.
    for (const line of values.privateKey.split(/\r?\n|\\n/)) {
      if (line.trim().length >= 8 && !line.includes('-----')) maskSecret(line.trim())
    }
  }
  if (passphrase) maskSecret(passphrase)
  // The region is shared with the registry's region, so it alone does not mean "API credentials given".
  const given = OCI_FIELDS.filter(([field]) => field !== 'region' && values[field] !== '')
  if (given.length === 0) return undefined
  const inputs: OciKeyInputs = {...values, passphrase: passphrase || undefined}
  // Not a PEM, a wrong passphrase, a fingerprint of another key: found now, before any build.
  return parseOciApiKey(inputs, {regionRequired: !get('oci-endpoint')})
}

/** The DOCKER_METADATA_* variables of metadata-action that change tags. */
function readMetadataVariables(env: NodeJS.ProcessEnv): ActionConfig['metadata'] {
  const prHeadSha = env.DOCKER_METADATA_PR_HEAD_SHA?.trim() ?? ''
  if (prHeadSha && !['true', 'false'].includes(prHeadSha.toLowerCase())) {
    throw new InputError(
      'DOCKER_METADATA_PR_HEAD_SHA',
      prHeadSha,
      'set it to true (tag pull requests by their head commit, the default) or false (by the merge commit)',
    )
  }
  const length = env.DOCKER_METADATA_SHORT_SHA_LENGTH?.trim() ?? ''
  if (length && !(/^\d+$/.test(length) && Number(length) >= 1 && Number(length) <= 40)) {
    throw new InputError(
      'DOCKER_METADATA_SHORT_SHA_LENGTH',
      length,
      'set it to a whole number of hex digits from 1 to 40, e.g. 7',
    )
  }
  return {
    prHeadSha: prHeadSha.toLowerCase() !== 'false',
    shortShaLength: length ? Number(length) : undefined,
  }
}
