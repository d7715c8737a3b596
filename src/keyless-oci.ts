/**
 * Keyless OCI, wired: before the first OCI call of a run that makes any, GitHub's OIDC token is
 * exchanged for a session token (adapters/oci-oidc.ts), and the config's keyless credentials get
 * the session and the tenancy. Every OCI client, the OCIR token and the Vault then sign with it.
 */
import * as core from '@actions/core'
import {openOciSession} from './adapters/oci-oidc.js'
import {DEFAULT_RETRY_BASE_MS} from './adapters/retry.js'
import {ActionError} from './errors.js'
import type {ActionConfig} from './model/action-config.js'
import {isKeyless} from './model/oci.js'

/**
 * The config with its keyless session open; unchanged for an API key, for no OCI credentials, and
 * for a dry run that makes no OCI call (`connects`: whether the run connects, connect.ts).
 */
export async function openKeylessSession<C extends ActionConfig>(
  config: C,
  connects: boolean,
): Promise<C> {
  const oci = config.oci
  if (!oci || !isKeyless(oci) || oci.session || !connects) return config
  const {session, claims} = await openOciSession({
    oidc: oci.oidc,
    retry: {retries: config.retries, baseMs: config.retryBaseMs ?? DEFAULT_RETRY_BASE_MS},
  })
  const tenancy = oci.tenancy || claims.tenancy
  if (!tenancy) {
    throw new ActionError(
      `the session token from ${oci.oidc.domainUrl} names no tenancy (no tenant claim)`,
      'set oci-tenancy to the tenancy OCID (ocid1.tenancy.oc1..…)',
    )
  }
  if (oci.tenancy && claims.tenancy && claims.tenancy !== oci.tenancy) {
    core.warning(
      `oci-tenancy is ${oci.tenancy}, but the session token is for tenancy ${claims.tenancy}; OCI calls go to oci-tenancy`,
    )
  }
  core.info(
    `Exchanged GitHub's OIDC token at ${oci.oidc.domainUrl} for an OCI session token` +
      `${claims.subject ? ` for ${claims.subject}` : ''} in tenancy ${tenancy}, valid until ` +
      `${claims.expiresAt.toISOString()} (no API key or auth token stored)`,
  )
  return {...config, oci: {...oci, tenancy, session}}
}
