/**
 * Whole-image reuse: an image whose build inputs did not change since a previous release in the
 * registry is relabelled there instead of rebuilt. The key covers everything that determines the
 * build: the Dockerfile, the context after .dockerignore, target, build args, platforms and the
 * digest of every base image. When in doubt (a base image that cannot be resolved, an ADD of a
 * URL, a Dockerfile the key cannot read), the image is built, and the log says why.
 */
import {createHash} from 'node:crypto'
import {isAbsolute, resolve} from 'node:path'
import {contextDigest, type ContextDigest} from '../adapters/build-context.js'
import {MAX_DOCKERFILE_BYTES, readCheckoutFile} from '../config/checkout-files.js'
import type {BaseImageDigest, LogSink} from '../ports.js'
import {describeFailure} from '../errors.js'
import {dockerfileInputs} from '../plan/dockerfile-inputs.js'
import type {ImagePlan} from '../plan/push-plan.js'
import {reuseCandidates, type ReuseFacts} from '../plan/reuse-candidates.js'
import {readCandidate, type PreviousImage, type ReuseRegistry} from './relabel.js'

export type ReuseDecision =
  | {kind: 'reuse'; previous: PreviousImage; key: string}
  | {
      kind: 'build'
      /** The build key, to store as a label; undefined when there is none. */
      key?: string
      /** Why the image is built. */
      reason: string
      /** A previous release that exists, for the layer cache. */
      previous?: PreviousImage
    }

export interface ReuseSettings {
  /**
   * The `reuse` input: false looks for a previous release only for the layer cache. The key is
   * computed either way: a release built with reuse off stands in for later runs like any other.
   */
  reuse: boolean
  /** False when the cache input is none: with reuse off too, no previous release is read. */
  layerCache?: boolean
  workspace: string
  facts: ReuseFacts
  registry: ReuseRegistry
  resolveBaseImages: (refs: readonly string[]) => Promise<BaseImageDigest[]>
  /**
   * The ids of the run's build secrets: part of the key (a build given another secret may differ),
   * their values never are, not even as a hash: a rotated token must not rebuild every image, and
   * a key label must not let anyone test a guess of a value.
   */
  secretIds?: readonly string[]
  /** Why an earlier release with the same key must not stand in (from the release steps). */
  vouch?: (image: {
    repository: string
    imageName: string
    digest: string
  }) => Promise<string | undefined>
}

/** Decides, for one image, whether a previous release can stand in for a build. */
export async function decideReuse(
  settings: ReuseSettings,
  plan: ImagePlan,
  log: LogSink,
): Promise<ReuseDecision> {
  const key = await buildKey(settings, plan)
  if (!settings.reuse && settings.layerCache === false)
    return {kind: 'build', key: key.key, reason: reuseOff(key)}
  const candidates = reuseCandidates(plan, settings.facts)
  let first: PreviousImage | undefined
  for (const tag of candidates) {
    let previous: PreviousImage | undefined
    try {
      previous = await readCandidate(settings.registry, plan.repository, tag)
    } catch (err) {
      log(`reuse: could not read ${plan.imageName}:${tag}: ${describeFailure(err)}`)
      continue
    }
    if (!previous) continue
    first ??= previous
    if (settings.reuse && key.key && previous.key === key.key) {
      const objection = await settings.vouch?.({
        repository: plan.repository,
        imageName: plan.imageName,
        digest: previous.digest,
      })
      if (!objection) return {kind: 'reuse', previous, key: key.key}
      return {
        kind: 'build',
        key: key.key,
        reason: `${previous.tag} not reused: ${objection}`,
        previous,
      }
    }
    // Without reuse or a key there is nothing to compare: the first release found is the cache
    // source.
    if (!settings.reuse || !key.key) break
  }
  const reason = !settings.reuse
    ? reuseOff(key)
    : !key.key
      ? key.doubts.join('; ')
      : noMatch(first, candidates)
  return {kind: 'build', key: key.key, reason, previous: first}
}

/** Why an image is built with reuse off; the doubts too, when there is no key to store. */
function reuseOff(key: {key?: string; doubts: string[]}): string {
  return key.key ? 'reuse is false' : `reuse is false (no build key: ${key.doubts.join('; ')})`
}

/** Why an image with a key is built: no candidate had the same key. */
function noMatch(first: PreviousImage | undefined, candidates: readonly string[]): string {
  if (first) return `inputs changed since ${first.tag}`
  if (candidates.length > 0)
    return `no previous release found (looked for ${candidates.join(', ')})`
  return 'no previous release to compare with (no moving tag, no earlier commit)'
}

/**
 * An image's Dockerfile and the digest of every base image it names (after build args and the
 * target), as the build key sees them; or why they cannot be known. The attestations name the
 * same digests.
 */
export async function baseImagesOf(
  settings: Pick<ReuseSettings, 'workspace' | 'resolveBaseImages'>,
  plan: ImagePlan,
): Promise<{dockerfile: string; bases: BaseImageDigest[]} | {doubts: string[]}> {
  // Files of the checkout: regular files inside the workspace only, the Dockerfile at most 1 MiB.
  const bounds = {workspace: settings.workspace}
  let dockerfile: string
  try {
    dockerfile = readCheckoutFile(plan.image.file, {
      what: 'Dockerfile',
      maxBytes: MAX_DOCKERFILE_BYTES,
      bounds,
    })
  } catch (err) {
    return {
      doubts: [`the Dockerfile ${plan.image.file} could not be read: ${describeFailure(err)}`],
    }
  }
  const inputs = dockerfileInputs(dockerfile, plan.image.buildArgs, plan.image.target)
  if (inputs.doubts.length > 0) return {doubts: inputs.doubts}
  return {dockerfile, bases: await settings.resolveBaseImages(inputs.baseImages)}
}

/** The build key (`sha256:…`), or why there is none. */
export async function buildKey(
  settings: Pick<ReuseSettings, 'workspace' | 'resolveBaseImages' | 'secretIds'>,
  plan: ImagePlan,
): Promise<{key?: string; doubts: string[]}> {
  const path = (relative: string): string =>
    isAbsolute(relative) ? relative : resolve(settings.workspace, relative)
  const bounds = {workspace: settings.workspace}
  const found = await baseImagesOf(settings, plan)
  if ('doubts' in found) return {doubts: found.doubts}
  const {dockerfile, bases} = found
  const unresolved = bases.filter((base) => !base.digest)
  if (unresolved.length > 0) {
    return {
      doubts: unresolved.map(
        (base) => `base image ${base.ref} could not be resolved (${base.reason ?? 'no digest'})`,
      ),
    }
  }
  let context: ContextDigest
  try {
    // With the Dockerfile, so that a <Dockerfile>.dockerignore counts as it does for BuildKit.
    context = await contextDigest(path(plan.image.context), {
      dockerfile: path(plan.image.file),
      bounds,
    })
  } catch (err) {
    return {
      doubts: [`the context ${plan.image.context} could not be read: ${describeFailure(err)}`],
    }
  }
  const sortedArgs = Object.entries(plan.image.buildArgs).sort(([a], [b]) => (a < b ? -1 : 1))
  const parts = {
    version: 1,
    dockerfile: sha256(dockerfile),
    context: context.digest,
    target: plan.image.target ?? '',
    buildArgs: sortedArgs.map(([name, value]) => [name, sha256(value)]),
    platforms: plan.image.platforms,
    baseImages: bases.map((base) => [base.ref, base.digest]),
    // Only when there are any, so that keys of runs without secrets stay as they were.
    ...(settings.secretIds?.length ? {secretIds: [...settings.secretIds].sort()} : {}),
  }
  return {key: `sha256:${sha256(JSON.stringify(parts))}`, doubts: []}
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
