/**
 * Keyless OCI (the `oci-identity-domain` and `oci-oidc-*` inputs): GitHub's OIDC token exchanged
 * at an OCI identity domain for a session token. Checked here, before anything runs; the exchange
 * itself is adapters/oci-oidc.ts.
 */
import {InputError} from '../errors.js'
import type {OciKeyless} from '../model/oci.js'
import {isLoopbackHost} from '../plan/registry-target.js'
import {resolveRegion} from '../plan/region.js'

/** Renew the session token this long before it expires unless OCIR_PUSH_SESSION_RENEW_MS says. */
export const DEFAULT_SESSION_RENEW_BEFORE_MS = 5 * 60_000

/** The keyless inputs as given (trimmed), and what else the run was given. */
export interface OciOidcInputs {
  identityDomain: string
  clientId: string
  clientSecret: string
  audience: string
  tenancy: string
  region: string
  /** Whether `oci-endpoint` is set (then the region may be left out). */
  endpointGiven: boolean
  /** Other credentials given: the inputs that name them, for the conflict error. */
  apiKeyInputs: string[]
  authTokenGiven: boolean
  /** OCIR_PUSH_SESSION_RENEW_MS (tests make it large, to see a renewal in a short run). */
  renewBeforeMs?: string
}

/** True when any keyless input is given: then the keyless path is meant. */
export function keylessRequested(
  inputs: Pick<OciOidcInputs, 'identityDomain' | 'clientId'>,
): boolean {
  return inputs.identityDomain !== '' || inputs.clientId !== ''
}

/**
 * The keyless settings, or undefined when none of its inputs is given. Both an API key (or an
 * auth token) and keyless inputs: an InputError naming both, as it cannot be known which was meant.
 */
export function readOciOidc(inputs: OciOidcInputs): OciKeyless | undefined {
  if (!keylessRequested(inputs)) return undefined
  const keylessNamed = inputs.identityDomain ? 'oci-identity-domain' : 'oci-oidc-client-id'
  if (inputs.apiKeyInputs.length > 0) {
    throw new InputError(
      keylessNamed,
      inputs.identityDomain || inputs.clientId,
      `${keylessNamed} (keyless, GitHub's OIDC token) and the API key (${inputs.apiKeyInputs.join(', ')}) are both given: keep one. Keyless needs no stored key: remove the API key inputs (and OCI_CLI_* variables), or remove oci-identity-domain and oci-oidc-*`,
    )
  }
  if (inputs.authTokenGiven) {
    throw new InputError(
      keylessNamed,
      inputs.identityDomain || inputs.clientId,
      `${keylessNamed} (keyless, GitHub's OIDC token) and auth-token are both given: keep one. Keyless logs in to OCIR with a short-lived token: remove auth-token (and username), or remove oci-identity-domain and oci-oidc-*`,
    )
  }
  const domainUrl = checkDomainUrl(inputs.identityDomain)
  if (!inputs.clientId) {
    throw new InputError(
      'oci-oidc-client-id',
      '',
      "set it to the client id of the identity domain's confidential application (its OAuth configuration), e.g. oci-oidc-client-id: ${{ vars.OCI_OIDC_CLIENT_ID }}",
    )
  }
  if (!inputs.clientSecret) {
    throw new InputError(
      'oci-oidc-client-secret',
      '',
      "set it to the client secret of the identity domain's confidential application, e.g. oci-oidc-client-secret: ${{ secrets.OCI_OIDC_CLIENT_SECRET }}",
    )
  }
  const tenancy = inputs.tenancy
  if (tenancy && !tenancy.startsWith('ocid1.tenancy.')) {
    throw new InputError(
      'oci-tenancy',
      tenancy,
      "use the tenancy OCID (ocid1.tenancy.oc1..…), or leave it empty: keyless takes it from the session token's tenant claim",
    )
  }
  if (!inputs.region && !inputs.endpointGiven) {
    throw new InputError(
      'oci-region',
      '',
      'set the oci-region input or the OCI_CLI_REGION environment variable (e.g. us-ashburn-1), or oci-endpoint',
    )
  }
  const renew = inputs.renewBeforeMs?.trim() ?? ''
  return {
    oidc: {
      domainUrl,
      clientId: inputs.clientId,
      clientSecret: inputs.clientSecret,
      audience: inputs.audience || domainUrl,
      renewBeforeMs: /^\d+$/.test(renew) ? Number(renew) : DEFAULT_SESSION_RENEW_BEFORE_MS,
    },
    tenancy,
    region: inputs.region ? resolveRegion(inputs.region, 'oci-region') : undefined,
  }
}

/** https (or http to this machine, for tests), a host, no query; a path is kept (no trailing /). */
function checkDomainUrl(value: string): string {
  if (!value) {
    throw new InputError(
      'oci-identity-domain',
      '',
      'set it to the identity domain URL (Identity & Security → Domains → the domain → Domain URL), e.g. https://idcs-0123456789abcdef.identity.oraclecloud.com',
    )
  }
  const url = URL.canParse(value) ? new URL(value) : undefined
  if (!url || !['https:', 'http:'].includes(url.protocol) || url.search || url.hash) {
    throw new InputError(
      'oci-identity-domain',
      value,
      'use the Domain URL with its scheme, e.g. https://idcs-0123456789abcdef.identity.oraclecloud.com',
    )
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.host)) {
    throw new InputError(
      'oci-identity-domain',
      value,
      `use https (https://${value.slice('http://'.length)}): the client secret and GitHub's token go over http:// to a loopback host (localhost, 127.0.0.1, ::1) only`,
    )
  }
  return value.replace(/\/+$/, '')
}

/**
 * Why the keyless path cannot run: GitHub gives the job no OIDC token. Undefined when it does.
 * `withheld`: GitHub withholds it from this run (a fork's pull request), which builds unpushed.
 */
export function missingIdTokenPermission(env: NodeJS.ProcessEnv): InputError | undefined {
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) return undefined
  return new InputError(
    'permissions',
    'id-token',
    'GitHub gives this job no OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set): add `permissions: id-token: write` to the job (or the workflow), next to `contents: read`. A pull request from a fork never gets one; there the images are built but not pushed',
    "keyless OCI needs GitHub's OIDC token, and the job may not request one",
  )
}
