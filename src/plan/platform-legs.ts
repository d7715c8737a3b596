/**
 * Scaling out: `stage: platform` pushes each image of one runner's platforms under an immutable
 * per-platform tag (a leg); `stage: merge` reads those tags back and pushes one OCI image index
 * per image. Pure: tag names and validation.
 */
import type {ImageSpec, Stage} from '../model/action-config.js'
import {ActionError, InputError} from '../errors.js'
import type {ImagePlan} from './push-plan.js'
import {sanitizeTag} from './tags/sanitize-tag.js'
import {parseRule} from './tags/tag-rules.js'
import type {ComputedTag} from './tags/tag-types.js'

/** An OCI platform object, as an image index entry carries it. */
export interface Platform {
  architecture: string
  os: string
  variant?: string
}

/** One platform of one image: its per-platform tag and the reference it is pushed to. */
export interface PlatformLeg {
  /** As written in `platforms`, e.g. `linux/arm/v7`. */
  platform: string
  /** e.g. `sha-0123456-linux-arm-v7`. */
  tag: string
  /** `host/ns/app:sha-0123456-linux-arm-v7`. */
  ref: string
}

/** One image of a platform or merge run: its release plan plus one leg per platform. */
export interface ImageLegs {
  plan: ImagePlan
  legs: PlatformLeg[]
}

/** `linux/arm/v7` → `{architecture: 'arm', os: 'linux', variant: 'v7'}`. */
export function parsePlatform(platform: string): Platform {
  const [os, architecture, variant, ...rest] = platform.split('/')
  if (!os || !architecture || rest.length > 0 || variant === '') {
    throw new InputError(
      'platforms',
      platform,
      'write os/arch[/variant], e.g. linux/amd64,linux/arm64',
      `'${platform}' is not a platform`,
    )
  }
  return variant ? {architecture, os, variant} : {architecture, os}
}

/** Whether a computed tag came from a `type=sha` rule (the user's, or our default one). */
function isShaTag(tag: ComputedTag): boolean {
  if (!tag.rule || tag.rule.startsWith('flavor:')) return false
  try {
    return parseRule(tag.rule.replace(/^default:\s*/, '')).type === 'sha'
  } catch {
    return false
  }
}

/**
 * The name every per-platform tag starts with: the run's sha tag (from a `type=sha` rule,
 * immutable ones first, so a user's `prefix=`/`format=long` carries over), else `sha-<7>` of
 * the commit the tags describe. Every runner of a workflow run computes the same tags from the
 * same commit, so the platform runs and the merge run agree on it without talking to each other.
 */
export function platformTagBase(
  tags: readonly ComputedTag[],
  revision: string,
  shortShaLength = 7,
): string {
  const shaTags = tags.filter(isShaTag)
  const shaTag = shaTags.find((tag) => !tag.moving) ?? shaTags[0]
  if (shaTag) return shaTag.name
  if (!revision) {
    throw new ActionError(
      'the per-platform tags need a commit SHA, and this run has none (GITHUB_SHA is empty)',
      'run stage: platform and stage: merge from a workflow triggered by a commit',
    )
  }
  return `sha-${revision.slice(0, shortShaLength)}`
}

/** `<base>-<os>-<arch>[-<variant>]`, e.g. `sha-0123456-linux-arm-v7`. */
export function platformTag(base: string, platform: string): string {
  const {architecture, os, variant} = parsePlatform(platform)
  return sanitizeTag([base, os, architecture, variant].filter(Boolean).join('-'))
}

/**
 * A platform or merge run needs every image's platforms: a platform run builds only those, and
 * a merge needs to know which per-platform tags to read. Repeated platforms are errors too (two
 * legs with one tag, two index entries for one platform). Call before anything is built.
 */
export function checkStagePlatforms(stage: Stage, images: readonly ImageSpec[]): void {
  if (stage === 'all' || stage === 'cleanup') return
  for (const image of images) {
    if (image.platforms.length === 0) {
      throw new InputError(
        'platforms',
        '',
        stage === 'platform'
          ? "set platforms: to this runner's platform (e.g. linux/arm64 on an arm64 runner), on the step or on the image"
          : 'set platforms: to every platform the platform runs pushed, e.g. linux/amd64,linux/arm64',
        `image '${image.name}' has no platforms, and stage: ${stage} needs them`,
      )
    }
    const seen = new Set<string>()
    for (const platform of image.platforms) {
      parsePlatform(platform)
      if (seen.has(platform)) {
        throw new InputError(
          'platforms',
          image.platforms.join(','),
          `list each platform once`,
          `image '${image.name}' lists platform ${platform} twice`,
        )
      }
      seen.add(platform)
    }
  }
}

/**
 * The legs of every image for a platform or merge run; throws InputError as checkStagePlatforms.
 *
 * `runnerPlatforms` is the step's `platforms` input. On a platform run, an image that lists its
 * own platforms is built here only for those that are also this runner's: an amd64-only image
 * gets no leg on the arm64 runner (rather than an emulated build there), and the merge, which
 * reads each image's own list, expects only its amd64 leg.
 */
export function planLegs(
  stage: Exclude<Stage, 'all'>,
  plans: readonly ImagePlan[],
  base: string,
  runnerPlatforms: readonly string[] = [],
): ImageLegs[] {
  checkStagePlatforms(
    stage,
    plans.map((plan) => plan.image),
  )
  return plans.map((plan) => ({
    plan,
    legs: plan.image.platforms
      .filter(
        (platform) =>
          stage === 'merge' || runnerPlatforms.length === 0 || runnerPlatforms.includes(platform),
      )
      .map((platform) => {
        const tag = platformTag(base, platform)
        return {platform, tag, ref: `${plan.imageName}:${tag}`}
      }),
  }))
}
