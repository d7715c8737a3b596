/** The registry answers worth a hint when a push (not a login) fails. */
const PUSH_REFUSALS =
  /tenant with namespace .* not found|anonymous users are only allowed read access|requested access to the resource is denied|unauthorized|authentication required/i

/** A hint for a failed push when the registry refused it; undefined for any other failure. */
export function pushRefusalHint(
  message: string,
  registry: {host: string; isOcir: boolean},
  username: string,
): string | undefined {
  return PUSH_REFUSALS.test(message) ? registryHint(message, registry, username) : undefined
}

/**
 * Turns what a registry says when it refuses a login or a push into the next step to take.
 * The texts are the ones users actually see from OCIR and distribution registries.
 */
export function registryHint(
  message: string,
  registry: {host: string; isOcir: boolean},
  username: string,
): string {
  const text = message.toLowerCase()
  const ocirUser = `<namespace>/<user>, <namespace>/oracleidentitycloudservice/<user> (federated) or <namespace>/<identity-domain>/<user>`
  if (/tenant with namespace .* not found/.test(text)) {
    return `the namespace in the username is not your tenancy namespace: use the Object Storage namespace shown under Tenancy details (it is not the tenancy name), or leave namespace empty and give OCI API credentials to look it up`
  }
  if (text.includes('anonymous users are only allowed read access')) {
    return `the registry treated the push as anonymous: set username and auth-token (for OCIR the username is ${ocirUser})`
  }
  if (text.includes('requested access to the resource is denied')) {
    return registry.isOcir
      ? `the user '${username}' may log in but not push here: give its group an IAM policy such as "Allow group <group> to manage repos in tenancy" (or in the repository's compartment), and check the repository name`
      : `the user '${username}' may log in but not push to this repository: check its permissions on ${registry.host}`
  }
  if (
    /unauthorized|authentication required|401|incorrect username or password|login attempt .* failed/.test(
      text,
    )
  ) {
    return registry.isOcir
      ? `check the username format (${ocirUser}; you gave '${username}') and that auth-token is an OCI auth token (User settings > Auth tokens), not the console password or an API key`
      : `check username '${username}' and the password or token in auth-token`
  }
  return registry.isOcir
    ? `check region/registry, the username format (${ocirUser}) and the auth token`
    : `check the registry address, username and password`
}
