/** OCI's API key and region as config/ checked them; the adapters and plan/ take them as given. */

/** A resolved OCI region. */
export interface OciRegion {
  /** Region identifier, e.g. `us-ashburn-1`. */
  id: string
  /** Region key, lowercase, e.g. `iad`. */
  key: string
  /** Realm, e.g. `oc1`. */
  realmId: string
  /** Realm's second-level domain, e.g. `oraclecloud.com`. */
  realmDomain: string
}

/** Credentials after validation: the key decrypted and re-encoded in a form the SDK's parser reads. */
export interface OciApiKey {
  tenancy: string
  user: string
  fingerprint: string
  /** Unencrypted PKCS#1 PEM. */
  privateKeyPem: string
  /** Undefined when an `oci-endpoint` makes the region unnecessary. */
  region?: OciRegion
}

/** Keyless OCI: the identity domain that exchanges GitHub's OIDC token for a session token (UPST). */
export interface OciOidcSettings {
  /** The identity domain URL, e.g. `https://idcs-….identity.oraclecloud.com` (no trailing slash). */
  domainUrl: string
  /** The confidential application's client id and secret. */
  clientId: string
  clientSecret: string
  /** The `aud` GitHub's token is issued for (default: the domain URL). */
  audience: string
  /** Renew the session token this long before it expires, in ms (capped at half its life). */
  renewBeforeMs: number
}

/** A live OCI session: a UPST and the in-memory key it is bound to, renewed before it expires. */
export interface OciSession {
  /** The current session token (a JWT), renewed by a new exchange shortly before it expires. */
  token(): Promise<string>
  /** The private key the session tokens are bound to (PEM); the same for every renewal. */
  readonly privateKeyPem: string
}

/**
 * OCI credentials from GitHub's OIDC token, no key stored: the settings as config/ read them; the
 * tenancy (unless `oci-tenancy` gave it) and the session once the exchange has run.
 */
export interface OciKeyless {
  oidc: OciOidcSettings
  /** `oci-tenancy`, else the session token's `tenant` claim; '' until the exchange. */
  tenancy: string
  /** Undefined when an `oci-endpoint` makes the region unnecessary. */
  region?: OciRegion
  /** Set by the exchange (adapters/oci-oidc.ts) before any OCI call. */
  session?: OciSession
}

/** How OCI calls are signed: an API key, or a session token from GitHub's OIDC token. */
export type OciAuth = OciApiKey | OciKeyless

/** True for keyless (OIDC) credentials. */
export function isKeyless(auth: OciAuth): auth is OciKeyless {
  return 'oidc' in auth
}
