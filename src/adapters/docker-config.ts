import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'

interface DockerConfigFile {
  auths?: Record<string, {auth?: string; identitytoken?: string}>
  credsStore?: string
  credHelpers?: Record<string, string>
  [key: string]: unknown
}

/**
 * A docker config of this step's own, in the runner's temp dir. It starts as a copy of the user's
 * (so their other registry logins, proxies and settings still apply to builds), but our login is
 * written only here: the user's file is never modified, and the post step deletes this one.
 * A credential store would put our login outside this file, so the copy drops `credsStore` and any
 * helper for our host. buildx's builders stay in the user's buildx dir (see dockerToolEnvironment):
 * this dir holds credentials only.
 */
export function createPrivateDockerConfig(
  runnerTemp: string,
  userConfigDir: string,
  host: string,
): string {
  mkdirSync(runnerTemp, {recursive: true})
  const dir = mkdtempSync(join(runnerTemp, 'ocir-push-docker-'))
  chmodSync(dir, 0o700)
  const config = readDockerConfig(userConfigDir)
  delete config.credsStore
  if (config.credHelpers) delete config.credHelpers[host]
  writeDockerConfig(dir, config)
  // The docker CLI finds contexts and CLI plugins (a buildx that docker/setup-buildx-action
  // installed) in its config dir: the user's stay theirs, linked, never copied or changed.
  for (const shared of ['contexts', 'cli-plugins']) {
    const theirs = join(userConfigDir, shared)
    if (existsSync(theirs)) symlinkSync(theirs, join(dir, shared))
  }
  return dir
}

/** With `logout: false`, later steps expect to be logged in: copy our login into the user's config. */
export function publishLogin(privateDir: string, userConfigDir: string, host: string): void {
  const ours = readDockerConfig(privateDir).auths?.[host]
  if (!ours) return
  const theirs = readDockerConfig(userConfigDir)
  theirs.auths = {...theirs.auths, [host]: ours}
  mkdirSync(userConfigDir, {recursive: true})
  writeDockerConfig(userConfigDir, theirs)
}

/**
 * What every docker and buildx call sees, probes included: our config dir (credentials only,
 * with the user's contexts and plugins linked in) and the user's buildx dir (their builders and
 * their current one).
 */
export function dockerToolEnvironment(settings: {
  configDir: string
  buildxConfig: string
}): Record<string, string> {
  return {
    DOCKER_CONFIG: settings.configDir,
    BUILDX_CONFIG: settings.buildxConfig,
    DOCKER_CLI_HINTS: 'false',
  }
}

export function removePrivateDockerConfig(dir: string): void {
  rmSync(dir, {recursive: true, force: true})
}

export function readDockerConfig(dir: string): DockerConfigFile {
  const path = join(dir, 'config.json')
  if (!existsSync(path)) return {}
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DockerConfigFile
  } catch {
    return {}
  }
}

function writeDockerConfig(dir: string, config: DockerConfigFile): void {
  const path = join(dir, 'config.json')
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, {mode: 0o600})
  chmodSync(path, 0o600)
}
