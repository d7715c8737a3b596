import type {ImagePlan} from '../plan/push-plan.js'

export type ImageStatus = 'planned' | 'built' | 'pushed' | 'failed' | 'skipped'

/** What one image came to, in every stage; the report's rows and the `images` output. */
export interface ImageOutcome {
  /** Image name, as in the `images` input. */
  name: string
  repository: string
  imageName: string
  /** Every reference of the image that exists after the run (or would, when not pushing). */
  refs: string[]
  /** The image's digest (an index for multi-platform images); '' when nothing was pushed. */
  digest: string
  pushed: boolean
  status: ImageStatus
  durationMs: number
  message?: string
  /** False when the image was not built by this run (reused, merged, skipped or failed before). */
  built: boolean
  /** The reference whose layers were kept, when the image was reused instead of rebuilt. */
  reusedFrom?: string
  /** The digest `reusedFrom` named when it was reused (what the attestations point back to). */
  reusedFromDigest?: string
  /** Each platform's manifest, for platform and merge runs. */
  platforms?: {platform: string; ref: string; digest: string}[]
}

/** An image's outcome before anything happened to it. */
export function newOutcome(
  plan: ImagePlan,
  status: ImageStatus,
  refs: string[] = [],
): ImageOutcome {
  return {
    name: plan.image.name,
    repository: plan.repository,
    imageName: plan.imageName,
    refs: [...refs],
    digest: '',
    pushed: false,
    status,
    durationMs: 0,
    built: false,
  }
}
