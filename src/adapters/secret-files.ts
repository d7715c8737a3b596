import {closeSync, constants, fchmodSync, openSync, rmSync, writeSync} from 'node:fs'
import {ActionError} from '../errors.js'
import type {BuildSecret} from '../model/action-config.js'
import {writtenSecretFiles, type BuilderSettings} from '../plan/builder-commands.js'
import type {BuildStep} from '../plan/build-step.js'

/** The values of the run's build secrets, by id (secret-files have none: the builder reads the file). */
export type SecretValues = ReadonlyMap<string, string>

export function secretValuesOf(secrets: readonly BuildSecret[] = []): SecretValues {
  return new Map(
    secrets.flatMap((secret) =>
      secret.input === 'secret-files' ? [] : [[secret.id, secret.value]],
    ),
  )
}

/**
 * Runs one build with its secrets' values in the files its `--secret …,src=` names (in this step's
 * private docker config: mode 0600, never followed through a link), and removes them when the
 * build ends, however it ends. The post step removes the whole directory after a crash.
 */
export async function withSecretFiles<T>(
  settings: BuilderSettings,
  step: BuildStep,
  values: SecretValues,
  build: () => Promise<T>,
): Promise<T> {
  const files = writtenSecretFiles(settings, step)
  try {
    for (const {id, file} of files) {
      const value = values.get(id)
      if (value === undefined) throw new ActionError(`build secret '${id}' has no value to write`)
      writeSecretFile(file, value)
    }
    return await build()
  } finally {
    for (const {file} of files) rmSync(file, {force: true})
  }
}

function writeSecretFile(file: string, value: string): void {
  // A file left by an attempt that crashed is replaced, never written through.
  rmSync(file, {force: true})
  const fd = openSync(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
    0o600,
  )
  try {
    fchmodSync(fd, 0o600)
    const bytes = Buffer.from(value, 'utf8')
    let written = 0
    while (written < bytes.length) written += writeSync(fd, bytes, written)
  } finally {
    closeSync(fd)
  }
}
