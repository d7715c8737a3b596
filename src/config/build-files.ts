/**
 * The files each image is built from, checked before anything is built: every context,
 * Dockerfile, `.dockerignore` and `<Dockerfile>.dockerignore` must resolve inside the workspace
 * and outside RUNNER_TEMP, and be what it claims (a directory, a regular file of sane size).
 */
import {resolve} from 'node:path'
import {InputError} from '../errors.js'
import type {ImageSpec} from '../model/action-config.js'
import {
  checkCheckoutPath,
  MAX_DOCKERFILE_BYTES,
  MAX_DOCKERIGNORE_BYTES,
  pathProblem,
  type CheckoutBounds,
  type PathCheck,
} from './checkout-files.js'

/**
 * Returns the images with each context replaced by its resolved absolute path, which is what
 * the builders are given (never a word a builder could read as `-`, stdin, or an option).
 */
export function checkBuildFiles(images: ImageSpec[], bounds: CheckoutBounds): ImageSpec[] {
  return images.map((image) => {
    const context = checkCheckoutPath(image.context, bounds)
    if (context.status === 'missing') {
      throw new InputError(
        'images',
        image.context,
        `image '${image.name}': the context directory does not exist (paths are relative to the workspace, ${bounds.workspace})`,
      )
    }
    refuse(image, 'context', image.context, context)
    const file = checkCheckoutPath(image.file, bounds)
    if (file.status === 'missing') {
      throw new InputError(
        'images',
        image.file,
        `image '${image.name}': no Dockerfile there; set "file:" for this image or add ${image.file}`,
      )
    }
    refuse(image, 'Dockerfile', image.file, file)
    const contextDir = (context as {real: string}).real
    // BuildKit reads <Dockerfile>.dockerignore first; the classic builder the context's.
    for (const ignoreFile of [
      `${resolve(bounds.workspace, image.file)}.dockerignore`,
      resolve(contextDir, '.dockerignore'),
    ]) {
      const check = checkCheckoutPath(ignoreFile, bounds)
      if (check.status === 'missing') continue
      refuse(image, '.dockerignore', ignoreFile, check)
    }
    return {...image, context: contextDir}
  })
}

const LIMITS = {Dockerfile: MAX_DOCKERFILE_BYTES, '.dockerignore': MAX_DOCKERIGNORE_BYTES}

/** Throws the InputError for a context, Dockerfile or .dockerignore that cannot be used. */
function refuse(
  image: ImageSpec,
  what: 'context' | 'Dockerfile' | '.dockerignore',
  value: string,
  check: PathCheck,
): void {
  const limit = what === 'context' ? undefined : LIMITS[what]
  const problem = pathProblem(check, what === 'context' ? 'directory' : 'file', limit)
  if (problem === undefined) return
  const key = what === 'context' ? '"context:"' : what === 'Dockerfile' ? '"file:"' : 'it'
  let fix: string
  if (check.status === 'outside' || check.status === 'runner-temp') {
    fix = `only files of the checkout are built: replace the symbolic link with the ${what === 'context' ? 'directory' : 'file'} itself, or point ${key} at a path inside the workspace`
  } else if (what === '.dockerignore') {
    fix = 'make it a regular file of the checkout (at most 1 MiB), or remove it'
  } else if (check.status === 'ok' && limit !== undefined && check.size > limit) {
    fix = `no ${what} is that large; point ${key} at the right file`
  } else {
    fix = `point ${key} at ${what === 'context' ? 'a directory' : 'a regular file'} of the checkout`
  }
  throw new InputError('images', value, `image '${image.name}': the ${what} ${problem}; ${fix}`)
}
