/**
 * The replication targets, connected: a registry client per target with its login (the run's
 * own for an OCIR region, a token per region host with the API key, renewed like the primary's;
 * `replicate-auth`'s for a registry host), and the preflight that checks every login before
 * anything is built or pushed.
 */
import * as core from '@actions/core'
import {fetchOcirToken, TokenSource} from '../adapters/ocir-token.js'
import {RegistryHttpClient} from '../adapters/registry-http.js'
import {classifyFailure, DEFAULT_RETRY_BASE_MS, RetrySession} from '../adapters/retry.js'
import {ActionError, describeFailure} from '../errors.js'
import {mapWithLimit} from '../map-with-limit.js'
import type {ReplicaTarget} from '../plan/replication-targets.js'
import {OCIR_BEARER_USERNAME} from '../plan/username.js'
import type {ConnectContext} from '../steps/release-step.js'
import type {ReplicationSettings} from './settings.js'

/** One target, connected. */
export interface ConnectedTarget {
  target: ReplicaTarget
  registry: RegistryHttpClient
  /** Its own retries (and fresh login after a transient fault), apart from the run's. */
  retry: RetrySession
  /** Who logs in; undefined: anonymous. */
  username?: string
  /** Renews a short-lived token shortly before it expires; called before each image's copy. */
  refresh(): Promise<void>
}

/** A registry client per target, each with its login; nothing is sent yet. */
export async function connectTargets(
  settings: Pick<ReplicationSettings, 'targets' | 'credentials'>,
  context: Pick<ConnectContext, 'config' | 'login'>,
): Promise<ConnectedTarget[]> {
  const {config} = context
  const connected: ConnectedTarget[] = []
  for (const target of settings.targets) {
    const retry = new RetrySession({
      retries: config.retries,
      baseMs: config.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
    })
    const login = await loginOf(target, settings, context, retry)
    const registry = new RegistryHttpClient({
      host: target.address,
      insecure: target.insecure,
      username: login?.username,
      password: login?.password,
      retry,
      onSecret: core.setSecret,
    })
    let current = login?.password
    const refresh = async (): Promise<void> => {
      if (!login?.tokens) return
      const fresh = await login.tokens.token()
      if (fresh === current) return
      core.setSecret(fresh)
      registry.setCredentials(login.username, fresh)
      current = fresh
      core.info(`Renewed the registry token for ${target.name}`)
    }
    retry.setCredentialsCheck(() => credentialsAccepted(registry).catch(() => true))
    // A push refused after a transient fault: the token renewed if due, cached scopes dropped.
    retry.setRelogin(async () => {
      await refresh()
      if (login && current) registry.setCredentials(login.username, current)
    })
    connected.push({target, registry, retry, username: login?.username, refresh})
  }
  return connected
}

interface TargetLogin {
  username: string
  password: string
  tokens?: TokenSource
}

/**
 * An OCIR region: the run's login (an auth token works in every region of the tenancy), or a
 * token for that region's host from the API key. A registry host: its replicate-auth entry.
 */
async function loginOf(
  target: ReplicaTarget,
  settings: Pick<ReplicationSettings, 'credentials'>,
  {config, login}: Pick<ConnectContext, 'config' | 'login'>,
  retry: RetrySession,
): Promise<TargetLogin | undefined> {
  if (target.kind === 'registry') return settings.credentials[target.name]
  if (login) return login
  const apiKey = config.oci
  if (!apiKey) return undefined
  const tokens = new TokenSource(() => fetchOcirToken({registry: target.address, apiKey, retry}))
  const password = await tokens.token()
  core.setSecret(password)
  return {username: OCIR_BEARER_USERNAME, password, tokens}
}

/** True unless the registry itself refuses the credentials (its own faults are thrown). */
function credentialsAccepted(registry: RegistryHttpClient): Promise<boolean> {
  return registry.ping().then(
    () => true,
    (err: unknown) => {
      if (classifyFailure(err) === 'credentials') return false
      throw err
    },
  )
}

/**
 * Every target's login checked (GET /v2/ with its credentials) before anything is built or
 * pushed; the first refusal stops the run, naming the target and the fix.
 */
export async function preflight(
  targets: readonly ConnectedTarget[],
  parallel: number,
): Promise<void> {
  const refusals = await mapWithLimit([...targets], parallel, async (connected) => {
    try {
      await connected.registry.ping()
      core.info(
        `Logged in to ${connected.target.name}${connected.username ? ` as ${connected.username}` : ' (anonymously)'} (replication target)`,
      )
      return undefined
    } catch (err) {
      return {connected, err}
    }
  })
  const refused = refusals.find((refusal) => refusal !== undefined)
  if (!refused) return
  const {connected, err} = refused
  const {target} = connected
  const who = connected.username ? `as ${connected.username}` : 'anonymously'
  throw new ActionError(
    `replication target ${target.name} refused the login ${who}: ${describeFailure(err)}`,
    `${fixFor(connected, classifyFailure(err))}. Nothing was built or pushed`,
  )
}

function fixFor(connected: ConnectedTarget, kind: ReturnType<typeof classifyFailure>): string {
  const {target} = connected
  if (kind === 'unreachable' || kind === 'transient')
    return `check the host ${target.name} in replicate-to (it must answer the registry API at ${target.insecure ? 'http' : 'https'}://${target.address}/v2/), or remove the line`
  if (target.kind === 'region')
    return connected.username === OCIR_BEARER_USERNAME
      ? `check that the API key's user may push to OCIR in ${target.region?.id ?? target.name} (its policies must cover that region)`
      : `check that the user may push to OCIR in ${target.region?.id ?? target.name}: an auth token works in every region of the tenancy, but the region must be subscribed`
  return connected.username
    ? `check the username and password of ${target.name} in replicate-auth`
    : `add ${target.name} with its username and password to replicate-auth (the registry refuses anonymous access)`
}
