import type {ImageSpec} from '../model/action-config.js'
import type {ComputedTag} from './tags/tag-types.js'

/** What the run does for one image: where it goes and which tags it gets, in release order. */
export interface ImagePlan {
  image: ImageSpec
  /** Repository path on the registry, e.g. `ns/todo-backend`. */
  repository: string
  /** `host/ns/todo-backend`. */
  imageName: string
  /** Pushed by the builder first (sha-…, full versions, pr-…). */
  immutableTags: string[]
  /** Applied inside the registry only after every image was pushed (latest, branch, major…). */
  movingTags: string[]
  /** Every reference, in the order tags were computed. */
  refs: string[]
}

export function repositoryPath(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name
}

export function planPushes(
  images: ImageSpec[],
  host: string,
  namespace: string,
  tags: ComputedTag[],
): ImagePlan[] {
  return images.map((image) => {
    const repository = repositoryPath(namespace, image.name)
    const imageName = `${host}/${repository}`
    return {
      image,
      repository,
      imageName,
      immutableTags: tags.filter((tag) => !tag.moving).map((tag) => tag.name),
      movingTags: tags.filter((tag) => tag.moving).map((tag) => tag.name),
      refs: tags.map((tag) => `${imageName}:${tag.name}`),
    }
  })
}
