/**
 * ImageCatalog over the registry's /v2/ API: tags from tags/list, each digest's media type,
 * children and creation time from its manifest (an index's annotations, an image's config), and
 * deletes by digest. On the distribution registry, deleting a manifest by digest removes every tag
 * on it too; tags cannot be deleted on their own (2.x answers DELETE by tag with an error).
 */
import {ActionError, DeleteRefusedError, RegistryError} from '../errors.js'
import {mapWithLimit} from '../map-with-limit.js'
import type {StoredVersion} from '../plan/retention.js'
import type {CatalogImage, ImageCatalog, RegistryClient} from '../ports.js'
import {contentDigest} from '../model/digest.js'
import {isSha256Digest, RegistryTrustError, type RegistryHttpClient} from './registry-http.js'

const CREATED = 'org.opencontainers.image.created'
const VERSION = 'org.opencontainers.image.version'
/** Manifests read at once while listing. */
const READ_CONCURRENCY = 4

/** What the manifest under a digest says: media type, children, created time, version label. */
export interface ManifestFacts {
  mediaType: string
  children: string[]
  created?: Date
  imageVersion?: string
}

/**
 * Reads a manifest (and an image's config blob) for the facts retention needs. The manifest must
 * hash to `digest`; of its children, only sha256 digests count (nothing else is ever read or
 * deleted by).
 */
export async function readManifestFacts(
  registry: Pick<RegistryClient, 'getManifest' | 'getBlob'>,
  repository: string,
  digest: string,
): Promise<ManifestFacts | undefined> {
  const manifest = await registry.getManifest({repository, reference: digest})
  if (!manifest) return undefined
  const actual = contentDigest(manifest.body)
  if (actual !== digest)
    throw new RegistryTrustError(
      `the manifest read as ${repository}@${digest} hashes to ${actual}; it is not used`,
    )
  const body = JSON.parse(manifest.body.toString('utf8')) as {
    manifests?: {digest?: unknown}[]
    config?: {digest?: unknown}
    annotations?: Record<string, string>
  }
  if (Array.isArray(body.manifests)) {
    return {
      mediaType: manifest.mediaType,
      children: body.manifests
        .map((child) => child?.digest)
        .filter((child): child is string => typeof child === 'string' && isSha256Digest(child)),
      created: dateOf(body.annotations?.[CREATED]),
      imageVersion: body.annotations?.[VERSION],
    }
  }
  const configDigest = body.config?.digest
  const blob =
    typeof configDigest === 'string' && isSha256Digest(configDigest)
      ? await registry.getBlob(repository, configDigest)
      : undefined
  const config = blob
    ? (JSON.parse(blob.toString('utf8')) as {
        created?: string
        config?: {Labels?: Record<string, string> | null}
      })
    : {}
  const labels = config.config?.Labels ?? {}
  return {
    mediaType: manifest.mediaType,
    children: [],
    created: dateOf(labels[CREATED]) ?? dateOf(config.created),
    imageVersion: labels[VERSION],
  }
}

function dateOf(text: string | undefined): Date | undefined {
  if (!text) return undefined
  const time = Date.parse(text)
  // The zero time of `FROM scratch` images built without SOURCE_DATE_EPOCH is no creation time.
  return Number.isFinite(time) && time > 0 ? new Date(time) : undefined
}

export class RegistryCatalog implements ImageCatalog {
  readonly canDeleteTag = false
  readonly name: string

  constructor(
    private readonly registry: RegistryHttpClient,
    private readonly host: string,
    /** The next step when the registry refuses a delete (OCIR: the API-key inputs). */
    private readonly refusalHint: string,
    /** OCIR: a 401 or 403 on a delete with an auth token is a refusal of deletes too. */
    private readonly isOcir = false,
  ) {
    this.name = `the registry ${host}`
  }

  async listVersions(image: CatalogImage): Promise<StoredVersion[]> {
    const tags = await this.registry.listTags(image.repository)
    const digests = await mapWithLimit(tags, READ_CONCURRENCY, (tag) =>
      this.registry.manifestDigest({repository: image.repository, reference: tag}),
    )
    const tagsOf = new Map<string, string[]>()
    tags.forEach((tag, index) => {
      const digest = digests[index]
      if (digest) tagsOf.set(digest, [...(tagsOf.get(digest) ?? []), tag])
    })
    const versions = new Map<string, StoredVersion>()
    let pending = [...tagsOf.keys()]
    // Untagged children of an index are versions too: they go with it.
    while (pending.length > 0) {
      const facts = await mapWithLimit(pending, READ_CONCURRENCY, (digest) =>
        readManifestFacts(this.registry, image.repository, digest),
      )
      const next: string[] = []
      pending.forEach((digest, index) => {
        const found = facts[index]
        if (!found) return
        versions.set(digest, {digest, tags: tagsOf.get(digest) ?? [], ...found})
        for (const child of found.children)
          if (!versions.has(child) && !pending.includes(child)) next.push(child)
      })
      pending = [...new Set(next)]
    }
    return [...versions.values()]
  }

  resolveTag(image: CatalogImage, tag: string): Promise<string | undefined> {
    return this.registry.manifestDigest({repository: image.repository, reference: tag})
  }

  deleteTag(image: CatalogImage, tag: string): Promise<void> {
    return Promise.reject(
      new ActionError(
        `${this.name} cannot delete the tag ${image.repository}:${tag} on its own`,
        'deleting its digest would delete every other tag on it',
      ),
    )
  }

  async deleteDigest(image: CatalogImage, digest: string): Promise<void> {
    try {
      await this.registry.deleteManifest(image.repository, digest)
    } catch (err) {
      const refused =
        err instanceof RegistryError &&
        (err.status === 405 ||
          err.code === 'UNSUPPORTED' ||
          (this.isOcir && (err.status === 401 || err.status === 403)))
      if (refused) {
        throw new DeleteRefusedError(
          `${this.name} refuses deletes (${err.message})`,
          this.refusalHint,
        )
      }
      throw err
    }
  }
}
