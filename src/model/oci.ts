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
