import * as core from '@actions/core'
import {createObjectStorageClient, sdkLogsAsDebug} from './adapters/oci-client.js'
import {lookupNamespace} from './adapters/oci-namespace.js'
import type {ActionConfig} from './model/action-config.js'
import {ActionError} from './errors.js'
import {ocirUsername} from './plan/username.js'

/** Who the run is on the registry, once resolved (see resolveIdentity and connectAdapters). */
export interface RunIdentity {
  namespace: string
  /** The login name the registry saw (BEARER_TOKEN for a token-free OCIR login); '' for none. */
  username: string
}

/**
 * Who we are on the registry, once OCI has been asked: the namespace (looked up when empty,
 * checked when given) and the login name (for OCIR, `<namespace>/<user>`). No OCI call in a dry
 * run: an unknown namespace shows as a placeholder there.
 */
export async function resolveIdentity(config: ActionConfig): Promise<RunIdentity> {
  let namespace = config.namespace
  if (config.oci && config.dryRun && !namespace) {
    namespace = '<namespace>'
    core.notice(
      `dry run: the namespace would be looked up with the OCI API; the plan shows ${namespace}`,
    )
  } else if (config.oci && !config.dryRun && (!namespace || config.registry.isOcir)) {
    const objectStorage = await createObjectStorageClient({
      apiKey: config.oci,
      retries: config.retries,
      retryBaseMs: config.retryBaseMs,
      endpoint: config.ociEndpoint,
    })
    const found = await sdkLogsAsDebug(() => lookupNamespace(objectStorage))
    if (namespace && namespace !== found) {
      throw new ActionError(
        `namespace '${namespace}' is not the namespace of tenancy ${config.oci.tenancy}, which is '${found}'`,
        `OCIR paths and logins use the tenancy namespace (Object Storage namespace, under Tenancy details), which is not the tenancy name. Set namespace: ${found}, or leave it empty to have it looked up`,
      )
    }
    if (!namespace) core.info(`Namespace looked up with the OCI API: ${found}`)
    namespace = found
  }
  const username =
    config.registry.isOcir && config.username && namespace && namespace !== '<namespace>'
      ? ocirUsername(namespace, config.username)
      : config.username
  return {namespace, username}
}
