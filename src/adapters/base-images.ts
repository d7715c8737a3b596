import * as core from '@actions/core'
import {describeFailure} from '../errors.js'
import {mapWithLimit} from '../map-with-limit.js'
import {parseImageReference, type ImageReference} from '../plan/image-reference.js'
import {isLoopbackHost} from '../plan/registry-target.js'
import {RegistryHttpClient} from './registry-http.js'
import {classifyFailure, failureStatus, type RetrySession} from './retry.js'
import type {BaseImageDigest} from '../ports.js'

export interface ResolveBaseImagesOptions {
  /** Credentials for a registry host (our own registry's login), undefined for anonymous. */
  credentialsFor?: (host: string) => {username: string; password: string} | undefined
  retry: RetrySession
  /** Per registry request; default 5 s, so an unreachable Docker Hub costs little. */
  timeoutMs?: number
  /** Called once per HTTP request made (for counting in tests). */
  onRequest?: (method: string, url: string, status: number | 'error') => void
  /** Called with every credential and bearer token a client obtains; default: core.setSecret. */
  onSecret?: (secret: string) => void
}

export const DEFAULT_BASE_IMAGE_TIMEOUT_MS = 5000

/**
 * A digest is only worth something when it comes quickly: without one the image is simply
 * built. So a registry that answers 5xx or 429 gets one more try, and one nobody answers none.
 */
const PROBE_RETRIES = {retries: 1, unreachableRetries: 0}

/** How many manifests are asked for at once. */
const PARALLEL_LOOKUPS = 8

/**
 * The manifest digest each base image reference names now (the index digest for a multi-platform
 * image), in the order given. A digest-pinned reference resolves without a request. Never throws:
 * a reference that cannot be resolved gets a reason instead, and the caller builds.
 */
export async function resolveBaseImages(
  refs: readonly string[],
  options: ResolveBaseImagesOptions,
): Promise<BaseImageDigest[]> {
  const clients = new Map<string, RegistryHttpClient>()
  const clientFor = (reference: ImageReference): RegistryHttpClient => {
    let client = clients.get(reference.apiHost)
    if (!client) {
      // Credentials are looked up by the name docker logs in with (docker.io, not its API host).
      const credentials = options.credentialsFor?.(reference.registry)
      client = new RegistryHttpClient({
        host: reference.apiHost,
        insecure: isLoopbackHost(reference.apiHost),
        username: credentials?.username,
        password: credentials?.password,
        retry: options.retry,
        timeoutMs: options.timeoutMs ?? DEFAULT_BASE_IMAGE_TIMEOUT_MS,
        retryCaps: PROBE_RETRIES,
        onRequest: options.onRequest,
        // Tokens of Docker Hub and the like are masked as much as this run's own.
        onSecret: options.onSecret ?? core.setSecret,
      })
      clients.set(reference.apiHost, client)
    }
    return client
  }
  // The same image named twice is asked for once.
  const lookups = new Map<string, Promise<Omit<BaseImageDigest, 'ref'>>>()
  return mapWithLimit(refs, PARALLEL_LOOKUPS, async (ref) => {
    const reference = parseImageReference(ref)
    if (!reference) return {ref, reason: `'${ref}' is not a valid image reference`}
    if (reference.digest) return {ref, digest: reference.digest}
    let lookup = lookups.get(reference.canonical)
    if (!lookup) {
      lookup = resolveOne(clientFor(reference), reference)
      lookups.set(reference.canonical, lookup)
    }
    return {ref, ...(await lookup)}
  })
}

async function resolveOne(
  client: RegistryHttpClient,
  reference: ImageReference,
): Promise<Omit<BaseImageDigest, 'ref'>> {
  try {
    const digest = await client.manifestDigest({
      repository: reference.repository,
      reference: reference.tag ?? 'latest',
    })
    if (digest) return {digest}
    return {
      reason: `not found: ${reference.apiHost} has no manifest ${reference.repository}:${reference.tag}`,
    }
  } catch (err) {
    return {reason: reasonOf(err)}
  }
}

function reasonOf(err: unknown): string {
  const text = describeFailure(err)
  if (/aborted due to timeout|\btimeout\b|timed out/i.test(text)) return `timeout: ${text}`
  const kind = classifyFailure(err)
  if (kind === 'unreachable') return `unreachable: ${text}`
  const status = failureStatus(err)
  if (status === 401 || status === 403) return `refused (HTTP ${status}): ${text}`
  return text
}

/**
 * A resolver for one run: every image of the run asks for its base images, and images often
 * share one; each reference is looked up once, and every image sees the same digest.
 */
export function baseImageResolver(
  options: ResolveBaseImagesOptions,
): (refs: readonly string[]) => Promise<BaseImageDigest[]> {
  const known = new Map<string, Promise<BaseImageDigest>>()
  return (refs) =>
    Promise.all(
      refs.map((ref) => {
        let found = known.get(ref)
        if (!found) {
          found = resolveBaseImages([ref], options).then(([digest]) => digest)
          known.set(ref, found)
        }
        return found
      }),
    )
}
