import * as core from '@actions/core'
import {createPrivateDockerConfig, publishLogin} from './adapters/docker-config.js'
import {engineOf, selectBuilder, type EngineSettings} from './adapters/select-engine.js'
import {fetchOcirToken, TokenSource} from './adapters/ocir-token.js'
import {baseImageResolver} from './adapters/base-images.js'
import {RegistryHttpClient} from './adapters/registry-http.js'
import {
  attemptsOf,
  classifyFailure,
  DEFAULT_RETRY_BASE_MS,
  failureStatus,
  RetrySession,
} from './adapters/retry.js'
import type {ContainerEngine} from './ports.js'
import type {ActionConfig} from './model/action-config.js'
import {isKeyless} from './model/oci.js'
import {ActionError, describeFailure, LoginRefusedError, TransientError} from './errors.js'
import type {Adapters} from './pipeline.js'
import type {RunIdentity} from './resolve-identity.js'
import {loginHint} from './plan/login-hint.js'
import {OCIR_BEARER_USERNAME} from './plan/username.js'
import {buildxNeeds, privateBuilderName} from './plan/buildx-builder.js'
import {plannedConfigDir, type PlannedBuilder} from './plan/dry-run.js'
import type {BuilderSelection} from './plan/builder-selection.js'
import {classicBuilderSecretsError} from './plan/builder-commands.js'
import type {RunFacts, RunPlan} from './plan/run-plan.js'
import type {ConfiguredStep, ConnectedStep, RunConfig} from './steps/release-step.js'
import {saveBuilderState, saveCleanupState} from './state.js'

/** Stands in for a builder where none is needed (stage merge and cleanup). */
const NO_ENGINE: ContainerEngine = {
  name: 'none',
  pushesWhileBuilding: false,
  exportsRegistryCache: false,
  login: async () => {},
  build: () => Promise.reject(new ActionError('stage merge and cleanup build nothing')),
  push: () => Promise.reject(new ActionError('stage merge and cleanup push no image')),
}

/** An inactive step, connected: it only reports. */
function idle(step: ConfiguredStep): ConnectedStep {
  return {name: step.name, report: () => step.idleReport()}
}

/**
 * What choosing and running a builder depends on: `configDir` is the private docker config in a
 * real run, the user's when a dry run only plans.
 */
export function engineSettingsOf(
  config: ActionConfig,
  plan: Pick<RunPlan, 'plans'>,
  configDir: string,
): EngineSettings {
  return {
    configDir,
    buildxConfig: config.paths.buildxConfig,
    workspace: config.github.workspace,
    registryHost: config.registry.host,
    insecureHosts: config.registry.insecure ? [config.registry.host] : [],
    provenance: config.provenance,
    cache: config.cache,
    env: process.env,
    buildx: {
      needs: buildxNeeds(config, plan),
      createBuilder: config.buildxCreateBuilder,
      privateName: privateBuilderName(config.github),
    },
    annotationLevels: config.metadata.annotationLevels,
    secrets: config.secrets,
  }
}

/**
 * The classic builder cannot mount build secrets: when builder: auto picked it, the run stops
 * here, before anything is built or pushed (an explicit docker was refused with the inputs).
 */
function refuseSecretsOnClassicBuilder(config: ActionConfig, selection: BuilderSelection): void {
  if (selection.builder === 'docker' && config.secrets.length > 0)
    throw classicBuilderSecretsError(
      config.secrets,
      config.builder === 'docker' ? 'docker' : 'auto',
    )
}

/**
 * The builder a dry run would use: probed as a real run probes it (buildx's builder inspected,
 * not bootstrapped), nothing created. Undefined where nothing is built.
 */
export async function planBuilder(
  config: ActionConfig,
  plan: Pick<RunPlan, 'plans'>,
): Promise<PlannedBuilder | undefined> {
  if (config.stage === 'merge' || config.stage === 'cleanup') return undefined
  const settings = engineSettingsOf(config, plan, plannedConfigDir(config.paths.runnerTemp))
  let selection: BuilderSelection
  try {
    selection = await selectBuilder(config.builder, settings, {
      plan: {probeConfigDir: config.paths.userDockerConfig},
    })
  } catch (err) {
    return {unprobed: describeFailure(err)}
  }
  refuseSecretsOnClassicBuilder(config, selection)
  return {selection}
}

/** A dry run connects nothing, except a cleanup's: it lists what it would delete. */
export function needsConnection(config: ActionConfig): boolean {
  return !config.dryRun || config.stage === 'cleanup'
}

/**
 * The adapters a real run uses: a private docker config (saved for the post step before the
 * login), the engine, logged in with the auth token or a token-free OCIR login, the registry
 * client, and the OCI repository store when repositories are to be ensured.
 */
export async function connectAdapters(
  config: RunConfig,
  identity: RunIdentity,
  plan: Pick<RunPlan, 'plans'>,
  /** The run's clock, for the steps (attestation times). */
  facts?: Pick<RunFacts, 'now' | 'commitDate'>,
): Promise<{adapters: Adapters; username: string}> {
  const dockerConfigDir = createPrivateDockerConfig(
    config.paths.runnerTemp,
    config.paths.userDockerConfig,
    config.registry.host,
  )
  // Saved before the login, so the post step cleans up even when the login fails halfway.
  saveCleanupState({dockerConfigDir, host: config.registry.host})
  const engine = await connectEngine(config, plan, dockerConfigDir)
  const retry = new RetrySession({
    retries: config.retries,
    baseMs: config.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
  })
  const {username, password, tokens} = await credentialsOf(config, identity, retry)
  const registry = new RegistryHttpClient({
    host: config.registry.host,
    insecure: config.registry.insecure,
    username: username || undefined,
    password: password || undefined,
    retry,
    onSecret: core.setSecret,
  })
  const login = new RegistryLogin(config, engine, registry, retry, username)
  if (config.push && username && password) {
    await login.first(password)
    if (!config.logout)
      publishLogin(dockerConfigDir, config.paths.userDockerConfig, config.registry.host)
    // A push refused after a transient fault gets one fresh login (with a fresh token, if any).
    retry.setCredentialsCheck(() => login.credentialsAccepted().catch(() => true))
    retry.setRelogin(async () => {
      const fresh = tokens ? await tokens.token() : password
      core.setSecret(fresh)
      registry.setCredentials(username, fresh)
      await login.logIn(fresh)
      core.info(`Logged in to ${config.registry.host} again, after a transient fault`)
    })
  }
  const adapters: Adapters = {
    engine,
    registry,
    retry,
    steps: config.steps.filter((step) => !step.active).map((step) => idle(step)),
    // Our own registry's base images are read with this run's login (renewed tokens included).
    resolveBaseImages: baseImageResolver({
      retry,
      credentialsFor: (host) =>
        host === config.registry.host && username && login.password
          ? {username, password: login.password}
          : undefined,
    }),
  }
  if (tokens) adapters.refreshLogin = renewal(tokens, password, login, registry)
  // Each step connects what it needs, in the list's order, after the run's own login.
  const stepLogin = config.push && config.authToken && username ? {username, password} : undefined
  for (const step of config.steps.filter((step) => step.active))
    adapters.steps.push(
      await step.connect({
        config,
        namespace: identity.namespace,
        registry,
        login: stepLogin,
        resolveBaseImages: adapters.resolveBaseImages,
        facts,
      }),
    )
  return {adapters, username}
}

/** The builder, chosen and (for buildx) set up; none for a merge or a cleanup, which build nothing. */
async function connectEngine(
  config: RunConfig,
  plan: Pick<RunPlan, 'plans'>,
  dockerConfigDir: string,
): Promise<ContainerEngine> {
  if (config.stage === 'merge' || config.stage === 'cleanup') return NO_ENGINE
  const settings = engineSettingsOf(config, plan, dockerConfigDir)
  const selection = await selectBuilder(config.builder, settings)
  refuseSecretsOnClassicBuilder(config, selection)
  if (selection.buildx?.kind === 'create') {
    saveBuilderState({
      name: selection.buildx.builder,
      dockerConfigDir,
      buildxConfig: settings.buildxConfig,
    })
    core.info(
      `Created the buildx builder ${selection.buildx.builder} (docker-container) for ${selection.buildx.why.join(', ')}: '${selection.buildx.on}' uses the docker driver, which cannot do that. The post step removes it`,
    )
  }
  for (const note of selection.notes) core.warning(note)
  return engineOf(selection, settings)
}

/** The login: the auth token as given, or a short-lived OCIR token from the API key. */
async function credentialsOf(
  config: RunConfig,
  identity: RunIdentity,
  retry: RetrySession,
): Promise<{username: string; password: string; tokens?: TokenSource}> {
  if (!(config.push && !config.authToken && config.oci))
    return {username: identity.username, password: config.authToken}
  const apiKey = config.oci
  const tokens = new TokenSource(() =>
    fetchOcirToken({registry: config.registry.host, apiKey, retry}),
  )
  const password = await tokens.token()
  core.setSecret(password)
  core.info(
    `Got a short-lived registry token for ${config.registry.host} with the ${isKeyless(apiKey) ? 'OCI session token (keyless; renewed underneath the registry token)' : 'OCI API key'} (no auth token needed)`,
  )
  return {username: OCIR_BEARER_USERNAME, password, tokens}
}

/** Logs the builder in (a merge: checks the credentials with the registry), retried. */
class RegistryLogin {
  /** The password of the last login that worked. */
  password = ''
  readonly host: string

  constructor(
    private readonly config: RunConfig,
    private readonly engine: ContainerEngine,
    private readonly registry: RegistryHttpClient,
    private readonly retry: RetrySession,
    readonly username: string,
  ) {
    this.host = config.registry.host
  }

  /** True unless the registry itself refuses the credentials (its own faults are retried). */
  credentialsAccepted(): Promise<boolean> {
    return this.registry.ping().then(
      () => true,
      (err: unknown) => {
        if (classifyFailure(err) === 'credentials') return false
        throw err
      },
    )
  }

  /** The first login: a refusal becomes a LoginRefusedError with the next step. */
  async first(password: string): Promise<void> {
    const {host} = this.config.registry
    try {
      await this.logIn(password)
    } catch (err) {
      const detail = describeFailure(err)
      const kind = classifyFailure(err)
      const failure = {kind, detail, attempts: attemptsOf(err), status: failureStatus(err)}
      throw new LoginRefusedError(
        host,
        this.username,
        detail,
        loginHint(failure, this.config.registry, this.username),
        kind,
      )
    }
    core.info(`Logged in to ${host} as ${this.username}`)
  }

  async logIn(password: string): Promise<void> {
    core.setSecret(Buffer.from(`${this.username}:${password}`).toString('base64'))
    // A merge talks to the registry only: checking the credentials there is the login (and each
    // of its requests is retried on its own).
    if (this.engine === NO_ENGINE) {
      await this.registry.ping()
    } else {
      await this.retry.run(
        `${this.engine.name} login`,
        () => this.builderLogin(password),
        core.info,
        {relogin: false},
      )
    }
    this.password = password
  }

  private async builderLogin(password: string): Promise<void> {
    try {
      await this.engine.login(this.config.registry.host, this.username, password)
    } catch (err) {
      if (classifyFailure(err) !== 'credentials') throw err
      // Docker's classic login says `failed with status: 401 Unauthorized` when the registry's
      // first GET /v2/ answered 5xx or 429: ask the registry before believing the refusal.
      if (!(await this.credentialsAccepted())) throw err
      throw new TransientError(
        `${describeFailure(err)}, yet the registry accepts these credentials (a failed request worded as a refusal)`,
      )
    }
  }
}

/** Renews a short-lived token before it expires: one renewal at a time, each logged in again. */
function renewal(
  source: TokenSource,
  first: string,
  login: RegistryLogin,
  registry: RegistryHttpClient,
): () => Promise<void> {
  let current = first
  let renewing: Promise<void> | undefined
  return async () => {
    const fresh = await source.token()
    if (fresh === current) return
    renewing ??= (async () => {
      core.setSecret(fresh)
      await login.logIn(fresh)
      registry.setCredentials(login.username, fresh)
      current = fresh
      core.info(`Renewed the registry token for ${login.host}`)
    })().finally(() => (renewing = undefined))
    await renewing
  }
}
