/** The OCIR login name: `<tenancy namespace>/<user>` for every documented kind of user. */
import {InputError} from '../errors.js'

/**
 * The username for a login with a short-lived token from `/20180419/docker/token` instead of an
 * auth token. It never gets the namespace prefix.
 */
export const OCIR_BEARER_USERNAME = 'BEARER_TOKEN'

/**
 * Adds the `<namespace>/` prefix OCIR requires, unless the user already carries it. Every
 * documented form works the same way, because the part after the namespace is kept as written:
 * - native IAM user `jdoe@acme.com` → `ns/jdoe@acme.com`
 * - IDCS-federated `oracleidentitycloudservice/jdoe` → `ns/oracleidentitycloudservice/jdoe`
 * - identity domain `<domain>/jdoe` → `ns/<domain>/jdoe`
 * - already full `ns/…` → unchanged
 * - `BEARER_TOKEN` (token login) → unchanged
 *
 * https://docs.oracle.com/en-us/iaas/Content/Registry/Tasks/registrypushingimagesusingthedockercli.htm
 */
export function ocirUsername(namespace: string, user: string): string {
  const name = user.trim()
  if (!name) {
    throw new InputError(
      'username',
      user,
      'set username to your OCI user, e.g. jdoe@acme.com or oracleidentitycloudservice/jdoe@acme.com ' +
        '(the namespace prefix is added for you)',
    )
  }
  if (name.toUpperCase() === OCIR_BEARER_USERNAME) return OCIR_BEARER_USERNAME

  const tenancyNamespace = namespace.trim()
  if (!tenancyNamespace) {
    throw new InputError(
      'namespace',
      namespace,
      `OCIR needs the tenancy namespace to build the login name for '${name}': set namespace ` +
        '(Console → Tenancy details → Object storage namespace), or give OCI API credentials ' +
        '(oci-user, oci-tenancy, oci-fingerprint, oci-private-key) so it is looked up',
    )
  }
  if (/[\s/]/.test(tenancyNamespace)) {
    throw new InputError(
      'namespace',
      namespace,
      'an OCIR tenancy namespace is one word without slashes or blanks, e.g. axaxnpcrorw5',
    )
  }

  const pieces = name.split('/')
  if (pieces.some((piece) => piece === '')) {
    throw new InputError(
      'username',
      user,
      'it has an empty part between slashes; write it as user, <identity domain>/user or ' +
        `${tenancyNamespace}/<identity domain>/user`,
    )
  }
  const alreadyPrefixed = pieces[0].toLowerCase() === tenancyNamespace.toLowerCase()
  if (alreadyPrefixed && pieces.length === 1) {
    // `ns` alone: almost surely the namespace pasted into the wrong input.
    throw new InputError(
      'username',
      user,
      'it is the tenancy namespace itself; set username to your OCI user, e.g. jdoe@acme.com',
    )
  }
  return alreadyPrefixed ? name : `${tenancyNamespace}/${name}`
}
