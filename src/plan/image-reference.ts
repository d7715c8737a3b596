/** An image reference as docker normalises it before it pulls. */
export interface ImageReference {
  /** The registry as docker names it: `docker.io` for Docker Hub, else the host[:port] given. */
  registry: string
  /** Where the `/v2/` API answers: `registry-1.docker.io` for Docker Hub, else `registry`. */
  apiHost: string
  /** Repository path on that registry, e.g. `library/busybox`. */
  repository: string
  /** The tag; `latest` when neither a tag nor a digest is given, undefined for a bare digest. */
  tag?: string
  /** The digest when the reference pins one (then no look-up is needed). */
  digest?: string
  /** The fully spelled-out reference, e.g. `docker.io/library/busybox:latest`. */
  canonical: string
}

export const DOCKER_HUB = 'docker.io'
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io'

/** Names docker treats as Docker Hub itself. */
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])

const HOST_PART =
  /^(?:\[[0-9A-Fa-f:]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::\d{1,5})?$/
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^\w[\w.-]{0,127}$/
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/

/**
 * Parses `[host[:port]/]path[:tag][@digest]`. The first component is a host when it contains
 * `.` or `:` or is `localhost`; otherwise the image is on Docker Hub, where a one-component name
 * lives under `library/`. Undefined when docker would reject the reference.
 */
export function parseImageReference(text: string): ImageReference | undefined {
  let rest = text.trim()
  if (!rest) return undefined
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) return undefined
    if (digest.startsWith('sha256:') && !/^sha256:[0-9a-f]{64}$/.test(digest)) return undefined
  }
  let tag: string | undefined
  const lastSlash = rest.lastIndexOf('/')
  const colon = rest.lastIndexOf(':')
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) return undefined
  }
  const components = rest.split('/')
  let registry = DOCKER_HUB
  const first = components[0]
  if (
    components.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost')
  ) {
    if (!HOST_PART.test(first)) return undefined
    registry = DOCKER_HUB_ALIASES.has(first.toLowerCase()) ? DOCKER_HUB : first
    components.shift()
  }
  if (components.length === 0 || !components.every((part) => PATH_COMPONENT.test(part)))
    return undefined
  if (registry === DOCKER_HUB && components.length === 1) components.unshift('library')
  const repository = components.join('/')
  if (!tag && !digest) tag = 'latest'
  return {
    registry,
    apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry,
    repository,
    tag,
    digest,
    canonical: `${registry}/${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`,
  }
}
