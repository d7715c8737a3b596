/**
 * ImageCatalog over OCIR's Artifacts API: ListContainerImages (every page, newest first),
 * GetContainerImage for the versions (tags) of each image (a list item names only its most recent
 * one), RemoveContainerVersion for one tag and DeleteContainerImage for a digest. The API knows
 * nothing of indexes, so each digest's manifest is read through the registry for its children.
 * https://docs.oracle.com/iaas/api/#/en/registry/20160918/ContainerImage/
 */
import type {ArtifactsClient, requests} from 'oci-artifacts'
import {mapWithLimit} from '../map-with-limit.js'
import type {StoredVersion} from '../plan/retention.js'
import {wrapOciError} from './oci-client.js'
import type {CatalogImage, ImageCatalog, RegistryClient} from '../ports.js'
import {readManifestFacts} from './registry-catalog.js'

/** The Artifacts calls the catalog makes. */
export type ContainerImagesApi = Pick<
  ArtifactsClient,
  'listContainerImages' | 'getContainerImage' | 'removeContainerVersion' | 'deleteContainerImage'
>

const READ_CONCURRENCY = 4

export class OciImageCatalog implements ImageCatalog {
  readonly name = 'OCIR (Artifacts API)'
  readonly canDeleteTag = true
  /** Image OCIDs by repository and digest, from the last listing. */
  private readonly imageIds = new Map<string, string>()

  constructor(
    private readonly artifacts: ContainerImagesApi,
    /** Where the repositories live: the tenancy (searched with its subtree) or a compartment. */
    private readonly compartmentId: string,
    private readonly inSubtree: boolean,
    private readonly registry: Pick<RegistryClient, 'getManifest' | 'getBlob' | 'manifestDigest'>,
  ) {}

  async listVersions(image: CatalogImage): Promise<StoredVersion[]> {
    const summaries: {id: string; digest: string; timeCreated: Date}[] = []
    let page: string | undefined
    do {
      let response
      try {
        response = await this.artifacts.listContainerImages({
          compartmentId: this.compartmentId,
          compartmentIdInSubtree: this.inSubtree || undefined,
          repositoryName: image.name,
          lifecycleState: 'AVAILABLE',
          // The SDK's enums are values of a lazily loaded module: their strings stand in here.
          sortBy: 'TIMECREATED' as requests.ListContainerImagesRequest.SortBy,
          sortOrder: 'DESC' as requests.ListContainerImagesRequest.SortOrder,
          page,
        })
      } catch (err) {
        throw wrapOciError('ListContainerImages', err)
      }
      for (const item of response.containerImageCollection.items) {
        // repositoryName also matches as a prefix filter on some servers: keep exact matches only.
        if (item.repositoryName !== image.name || item.lifecycleState !== 'AVAILABLE') continue
        summaries.push({id: item.id, digest: item.digest, timeCreated: new Date(item.timeCreated)})
      }
      page = response.opcNextPage || undefined
    } while (page)

    return mapWithLimit(summaries, READ_CONCURRENCY, async (summary) => {
      this.imageIds.set(`${image.name}@${summary.digest}`, summary.id)
      let full
      try {
        full = await this.artifacts.getContainerImage({imageId: summary.id})
      } catch (err) {
        throw wrapOciError('GetContainerImage', err)
      }
      const facts = await readManifestFacts(this.registry, image.repository, summary.digest)
      return {
        digest: summary.digest,
        tags: full.containerImage.versions.map((version) => version.version),
        created: summary.timeCreated,
        mediaType: facts?.mediaType ?? '',
        children: facts?.children ?? [],
        imageVersion: facts?.imageVersion,
      }
    })
  }

  resolveTag(image: CatalogImage, tag: string): Promise<string | undefined> {
    return this.registry.manifestDigest({repository: image.repository, reference: tag})
  }

  async deleteTag(image: CatalogImage, tag: string, digest: string): Promise<void> {
    try {
      await this.artifacts.removeContainerVersion({
        imageId: this.imageId(image, digest),
        removeContainerVersionDetails: {version: tag},
      })
    } catch (err) {
      throw wrapOciError('RemoveContainerVersion', err)
    }
  }

  async deleteDigest(image: CatalogImage, digest: string): Promise<void> {
    try {
      await this.artifacts.deleteContainerImage({imageId: this.imageId(image, digest)})
    } catch (err) {
      const error = wrapOciError('DeleteContainerImage', err)
      // Already gone (a re-run after a partial failure): what was wanted.
      if (error.statusCode === 404) return
      throw error
    }
  }

  private imageId(image: CatalogImage, digest: string): string {
    const id = this.imageIds.get(`${image.name}@${digest}`)
    if (!id) throw new Error(`no image OCID for ${image.name}@${digest}: list the versions first`)
    return id
  }
}
