/**
 * pull-secret: the Kubernetes pull secret of this run's login, written for `kubectl apply -f`.
 * It holds the auth token, so the file is mode 0600.
 */
import * as core from '@actions/core'
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {dirname, resolve} from 'node:path'
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
    const path = resolve(config.github.workspace, settings.path)
    mkdirSync(dirname(path), {recursive: true})
    writeFileSync(path, manifest, {mode: 0o600})
    chmodSync(path, 0o600)
    core.info(
      `Wrote the pull secret manifest ${settings.path} (${settings.namespaces.length} namespace(s))`,
    )
    return {}
  },
})
