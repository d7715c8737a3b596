import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
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
 * helper for our host.
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
