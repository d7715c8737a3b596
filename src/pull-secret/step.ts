/**
 * pull-secret: the Kubernetes pull secret of this run's login, written for `kubectl apply -f`.
 * It holds the auth token, so the file is mode 0600.
 */
import * as core from '@actions/core'
import {
  outputPathProblem,
  writeCheckoutFile,
  type CheckoutBounds,
} from '../config/checkout-files.js'
import {parseList} from '../config/parse-values.js'
import {InputError} from '../errors.js'
import {defineStep} from '../steps/release-step.js'
import {pullSecretManifest} from './manifest.js'

interface PullSecretSettings {
  /** Relative to the workspace. */
  path: string
  name: string
  namespaces: string[]
}

export const pullSecretStep = defineStep<PullSecretSettings>({
  name: 'pull-secret',
  read(inputs, config) {
    const path = inputs.get('pull-secret')
    if (!path) return undefined
    if (!config.authToken && !config.pushWithheld) {
      throw new InputError(
        'pull-secret',
        path,
        'a pull secret needs username and auth-token: a token-free (BEARER_TOKEN) login expires within minutes, so it cannot serve a cluster',
      )
    }
    // The file holds the token: it goes into the workspace only, never through a link out of it.
    const problem = outputPathProblem(path, boundsOf(config))
    if (problem) {
      throw new InputError(
        'pull-secret',
        path,
        `the pull secret file ${problem}; name a path inside the workspace that is not a symbolic link out of it, e.g. k8s/pull-secret.yaml`,
      )
    }
    return {
      path,
      name: inputs.get('pull-secret-name') || 'ocir-secret',
      namespaces: parseList(inputs.get('pull-secret-namespaces') || 'default'),
    }
  },
  planLines: (settings) => ({
    connect: [
      `# write the pull secret ${settings.path} (secret ${settings.name} in ${settings.namespaces.join(', ')}; mode 0600) after the login`,
    ],
  }),
  async connect(settings, {config, login}) {
    if (!login) return {}
    const manifest = pullSecretManifest({
      host: config.registry.host,
      username: login.username,
      password: login.password,
      name: settings.name,
      namespaces: settings.namespaces,
    })
    // A new file (mode 0600) renamed over the target: a link put there is replaced, not followed.
    writeCheckoutFile(settings.path, manifest, boundsOf(config))
    core.info(
      `Wrote the pull secret manifest ${settings.path} (${settings.namespaces.length} namespace(s))`,
    )
    return {}
  },
})

/** Where the pull secret may be written: in the workspace, out of RUNNER_TEMP. */
function boundsOf(config: {
  github: {workspace: string}
  paths: {runnerTemp: string}
}): CheckoutBounds {
  return {workspace: config.github.workspace, runnerTemp: config.paths.runnerTemp}
}
