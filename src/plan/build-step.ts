import type {ImagePlan} from './push-plan.js'

/** Where a build may take layers from, and where it may store them. */
export interface BuildCache {
  /** Existing images of this repository to take layers from (the previous release's tags that exist), full refs. */
  images: string[]
  /**
   * This run's other images, already built in this engine or about to be: the classic builder,
   * once given `--cache-from`, takes layers from the named images only, so the steps images of
   * one run share come from these. Never pulled.
   */
  local?: string[]
  /**
   * Where builders that can export a cache keep it, as an image name (host/path, no tag; see
   * ImagePlan.imageName), e.g. `iad.ocir.io/ns/todo-backend-buildcache`. Never a release
   * repository, so nothing there is mistaken for a release.
   */
  imageName: string
}

/** One build of one image, as every builder gets it. */
export interface BuildStep {
  /** Image name (for logs). */
  image: string
  /** Repository without a tag, e.g. `iad.ocir.io/ns/app` (buildx pushes by digest to it). */
  imageName: string
  context: string
  file: string
  target?: string
  buildArgs: Record<string, string>
  labels: Record<string, string>
  platforms: string[]
  /** Every reference of the image, for engines that keep a local image to tag. */
  refs: string[]
  /** The immutable references; an engine that pushes while building pushes exactly these. */
  pushRefs: string[]
  /** Push while building (only read by engines that push while building). */
  push: boolean
  /** SOURCE_DATE_EPOCH: image timestamps for builders that can set them. */
  sourceDateEpoch?: number
  /** Layers from the registry; undefined: no cache. */
  cache?: BuildCache
}

/** The build step of one planned image: what differs per run is where it goes and for which platforms. */
export function buildStepOf(
  plan: ImagePlan,
  labels: Record<string, string>,
  target: Pick<BuildStep, 'platforms' | 'refs' | 'pushRefs' | 'push' | 'sourceDateEpoch'>,
): BuildStep {
  return {
    image: plan.image.name,
    imageName: plan.imageName,
    context: plan.image.context,
    file: plan.image.file,
    target: plan.image.target,
    buildArgs: plan.image.buildArgs,
    labels: {...labels, ...plan.image.labels},
    ...target,
  }
}

export interface BuildOptions {
  /** False: build only (a fork's pull request, `push: false`). */
  push: boolean
  sourceDateEpoch?: number
}

/** `stage: all`: one build of the image for all its platforms; the immutable tags are pushed. */
export function imageBuildStep(
  plan: ImagePlan,
  labels: Record<string, string>,
  options: BuildOptions,
): BuildStep {
  return buildStepOf(plan, labels, {
    platforms: plan.image.platforms,
    refs: plan.refs,
    pushRefs: plan.immutableTags.map((tag) => `${plan.imageName}:${tag}`),
    push: options.push,
    sourceDateEpoch: options.sourceDateEpoch,
  })
}

/** `stage: platform`: one build per platform, pushed under its per-platform tag only. */
export function legBuildStep(
  plan: ImagePlan,
  leg: {platform: string; ref: string},
  labels: Record<string, string>,
  options: BuildOptions,
): BuildStep {
  return buildStepOf(plan, labels, {
    platforms: [leg.platform],
    refs: [leg.ref],
    pushRefs: [leg.ref],
    push: options.push,
    sourceDateEpoch: options.sourceDateEpoch,
  })
}

/**
 * The cache of one image's build: the previous release found in the registry (if any) and this
 * run's other images as layer sources, and the `-buildcache` repository next to the image's own.
 * Undefined when the cache is off.
 */
export function imageBuildCache(
  plan: ImagePlan,
  options: {cache: 'auto' | 'none'; previousTag?: string; localImages: readonly string[]},
): BuildCache | undefined {
  if (options.cache === 'none') return undefined
  return {
    images: options.previousTag ? [`${plan.imageName}:${options.previousTag}`] : [],
    local: options.localImages.filter((ref) => !ref.startsWith(`${plan.imageName}:`)),
    imageName: buildCacheRepository(plan.imageName),
  }
}

/** Where builders that export a cache keep it: next to the release repository, never in it. */
export function buildCacheRepository(imageName: string): string {
  return `${imageName}-buildcache`
}
