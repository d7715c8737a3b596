import {existsSync, readFileSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {join} from 'node:path'
import {secretsWithheld, untrustedEvent} from '../plan/fork-pull-request.js'
import {checkStagePlatforms} from '../plan/platform-legs.js'
import {parseFlavor, parseRules} from '../plan/tags/tag-rules.js'
import {InputError} from '../errors.js'
import {ghaCacheEnvironment} from '../model/gha-cache.js'
import {isLoopbackHost, resolveRegistryTarget} from '../plan/registry-target.js'
import {
  ANNOTATION_LEVELS,
  BUILDERS,
  CACHE_MODES,
  STAGES,
  type ActionConfig,
  type AnnotationLevel,
  type BuildSecret,
  type GitHubContext,
} from '../model/action-config.js'
import type {OciApiKey, OciAuth} from '../model/oci.js'
import {keylessRequested, missingIdTokenPermission, readOciOidc} from './oci-oidc.js'
import {parseOciApiKey, type OciKeyInputs} from './oci-key.js'
import {parseImages} from './images.js'
import {checkBuildFiles} from './build-files.js'
import {readBuildSecrets} from './build-secrets.js'
import {classicBuilderSecretsError} from '../plan/builder-commands.js'
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

  const github = readGitHubContext(env)
  const {authToken, oci, distrusted} = readCredentials(get, env, maskSecret, github)
  const secrets = readSecrets(input, env, maskSecret, github, distrusted)
  const registry = resolveRegistryTarget({
    registry: get('registry'),
    region: get('region') || env.OCI_CLI_REGION?.trim() || '',
  })

  const namespace = checkNamespace(get('namespace'), registry.isOcir)

  const rawUsername = get('username')
  const wantsPush = parseBoolean('push', get('push'), true)
  const dryRun = parseBoolean('dry-run', get('dry-run'), false)
  const pushWithheld = withheldBecause(distrusted, wantsPush && !authToken && !oci, github)
  checkLogin({
    username: rawUsername,
    authToken,
    oci,
    pushWithheld,
    namespace,
    isOcir: registry.isOcir,
  })

  const platforms = parsePlatforms('platforms', get('platforms'))
  const stage = parseChoice('stage', get('stage'), STAGES, 'all')
  const images = readImages(get('images'), platforms, stage, {
    workspace: github.workspace,
    runnerTemp: env.RUNNER_TEMP || tmpdir(),
  })
  const compartment = checkCompartment(get('compartment'))
  const ociEndpoint = checkOciEndpoint(get('oci-endpoint'))
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
    secrets: secrets.secrets,
    maxParallel: parseWholeNumber('max-parallel', get('max-parallel'), 2, 1),
    tagRules,
    flavor,
    push: wantsPush && !pushWithheld,
    dryRun,
    pushWithheld: secrets.withheld ? `${pushWithheld} ${secrets.withheld}` : pushWithheld,
    compartment: compartment || undefined,
    retries: parseWholeNumber('retries', get('retries'), 3, 0),
    githubToken: get('github-token'),
    stage,
    github,
    sourceDateEpoch: sourceDateEpoch ? Number(sourceDateEpoch) : undefined,
    metadata: readMetadataVariables(env),
    ghaCache: ghaCacheEnvironment(env) !== undefined,
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
  // An explicit docker cannot take them; builder: auto is checked once it picked a builder.
  if (core.builder === 'docker' && core.secrets.length > 0 && !['merge', 'cleanup'].includes(stage))
    throw classicBuilderSecretsError(core.secrets, 'docker')
  const inputs: StepInputs = {get, raw: (name) => input(name) ?? '', env, mask: maskSecret}
  // Each step reads and checks its own inputs, in the list's order, before anything happens.
  return {...core, steps: steps.map((step) => step.configure(inputs, core))}
}

/**
 * The build secrets (secrets, secret-files, secret-envs), masked as they are read; none on an
 * event whose build runs code anyone may have written (a Dockerfile could send them anywhere),
 * which `withheld` then says.
 */
function readSecrets(
  input: InputGetter,
  env: NodeJS.ProcessEnv,
  maskSecret: SecretMasker,
  github: GitHubContext,
  distrusted: string | undefined,
): {secrets: BuildSecret[]; withheld?: string} {
  const secrets = readBuildSecrets({
    raw: (name) => input(name) ?? '',
    env,
    bounds: {workspace: github.workspace, runnerTemp: env.RUNNER_TEMP || tmpdir()},
    mask: maskSecret,
  })
  if (!distrusted || secrets.length === 0) return {secrets}
  return {
    secrets: [],
    withheld: `The build secrets (${secrets.map((secret) => secret.id).join(', ')}) are withheld from these builds too.`,
  }
}

/** The namespace input: an OCIR tenancy namespace has no '/', and image paths are lowercase. */
function checkNamespace(namespace: string, isOcir: boolean): string {
  if (namespace.includes('/') && isOcir) {
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

  return namespace
}

/** A login needs both halves, and an OCIR login needs the namespace (or an API key to look it up). */
function checkLogin(given: {
  username: string
  authToken: string
  oci?: OciAuth
  pushWithheld?: string
  namespace: string
  isOcir: boolean
}): void {
  const {username: rawUsername, authToken, oci, pushWithheld, namespace} = given
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
  if (given.isOcir && rawUsername && !namespace && !rawUsername.includes('/') && !oci) {
    throw new InputError(
      'namespace',
      '',
      `OCIR logins are <namespace>/<user>: set namespace (the tenancy namespace, not the tenancy name) or give OCI API credentials to look it up`,
    )
  }
}

/** A compartment OCID (or the tenancy's), never a compartment name. */
function checkCompartment(compartment: string): string {
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
  return compartment
}

/** The base URL of every OCI call: a scheme and no path; https unless the host is this machine. */
function checkOciEndpoint(ociEndpoint: string): string {
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
  return ociEndpoint
}

/**
 * The auth token and the API key, masked as they are read; none at all on an event that runs with
 * secrets on code anyone may have written, unless allow-untrusted-push says otherwise.
 */
function readCredentials(
  get: (name: string) => string,
  env: NodeJS.ProcessEnv,
  maskSecret: SecretMasker,
  github: GitHubContext,
): {authToken: string; oci?: OciAuth; distrusted?: string} {
  const givenToken = get('auth-token')
  if (givenToken) maskSecret(givenToken)

  const keyless = readKeyless(get, env, maskSecret, Boolean(givenToken), github)
  const givenOci =
    keyless === 'withheld' ? undefined : (keyless ?? readOciCredentials(get, env, maskSecret))
  // An event that runs with secrets on code anyone may have written gets none of them.
  const untrusted = untrustedEvent(github.eventName, github.payload, github.repository)
  const distrusted =
    untrusted && !parseBoolean('allow-untrusted-push', get('allow-untrusted-push'), false)
      ? untrusted
      : undefined
  const authToken = distrusted ? '' : givenToken
  const oci = distrusted ? undefined : givenOci
  return {authToken, oci, distrusted}
}

/** Why this run pushes nothing although push is true (secrets withheld, or not to be used). */
function withheldBecause(
  distrusted: string | undefined,
  noCredentials: boolean,
  github: GitHubContext,
): string | undefined {
  if (distrusted)
    return `${distrusted} runs with secrets on code that anyone who opens a pull request may have written: the images are built but not pushed, and no credential is used. If this workflow builds only trusted code (not the pull request's head), set allow-untrusted-push: true.`
  return noCredentials && secretsWithheld(github.eventName, github.payload, github.actor)
    ? `GitHub withholds secrets from this pull request (a fork or Dependabot), so there are no registry credentials: the images are built but not pushed.`
    : undefined
}

/**
 * The images input. A merge and a cleanup build nothing: they need no context or Dockerfile. The
 * others build from resolved contexts, checked to be files of the checkout.
 */
function readImages(
  raw: string,
  platforms: string[],
  stage: CoreConfig['stage'],
  paths: {workspace: string; runnerTemp: string},
): CoreConfig['images'] {
  const listed = parseImages(raw, {platforms})
  checkStagePlatforms(stage, listed)
  return stage !== 'merge' && stage !== 'cleanup' ? checkBuildFiles(listed, paths) : listed
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

/**
 * Keyless OCI settings, when its inputs are given; 'withheld' on a fork's pull request, where
 * GitHub gives neither the OIDC token nor the client secret (the run then builds unpushed).
 */
function readKeyless(
  get: (name: string) => string,
  env: NodeJS.ProcessEnv,
  maskSecret: SecretMasker,
  authTokenGiven: boolean,
  github: GitHubContext,
): OciAuth | 'withheld' | undefined {
  const identityDomain = get('oci-identity-domain')
  const clientId = get('oci-oidc-client-id')
  if (!keylessRequested({identityDomain, clientId})) return undefined
  const clientSecret = get('oci-oidc-client-secret')
  if (clientSecret) maskSecret(clientSecret)
  const noIdToken = missingIdTokenPermission(env)
  if (noIdToken && secretsWithheld(github.eventName, github.payload, github.actor))
    return 'withheld'
  const keyless = readOciOidc({
    identityDomain,
    clientId,
    clientSecret,
    audience: get('oci-oidc-audience'),
    tenancy: get('oci-tenancy') || env.OCI_CLI_TENANCY?.trim() || '',
    region: get('oci-region') || env.OCI_CLI_REGION?.trim() || '',
    endpointGiven: get('oci-endpoint') !== '',
    apiKeyInputs: OCI_FIELDS.filter(
      ([field, name, variable]) =>
        field !== 'region' && field !== 'tenancy' && (get(name) || env[variable]?.trim()),
    ).map(([, name]) => name),
    authTokenGiven,
    renewBeforeMs: env.OCIR_PUSH_SESSION_RENEW_MS,
  })
  // Only a run that calls OCI needs the token; a dry run (but a cleanup's) makes no OCI call.
  const dryRun = parseBoolean('dry-run', get('dry-run'), false)
  if (noIdToken && (!dryRun || get('stage') === 'cleanup')) throw noIdToken
  return keyless
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
    annotationLevels: readAnnotationLevels(env.DOCKER_METADATA_ANNOTATIONS_LEVELS),
  }
}

/**
 * DOCKER_METADATA_ANNOTATIONS_LEVELS: comma-separated levels, in the order given (the output's
 * order), each once. Unset or empty: undefined (metadata-action's default, `manifest`, for the
 * output only).
 */
function readAnnotationLevels(raw: string | undefined): AnnotationLevel[] | undefined {
  const given = (raw ?? '').trim()
  if (!given) return undefined
  const levels: AnnotationLevel[] = []
  for (const word of given.split(',').map((part) => part.trim())) {
    const level = ANNOTATION_LEVELS.find((known) => known === word)
    if (!level) {
      throw new InputError(
        'DOCKER_METADATA_ANNOTATIONS_LEVELS',
        given,
        `'${word}' is not an annotation level: use a comma-separated list of ${ANNOTATION_LEVELS.join(', ')}, e.g. manifest,index`,
      )
    }
    if (!levels.includes(level)) levels.push(level)
  }
  return levels
}
