/**
 * The SBOM of one platform image, as an SPDX 2.3 JSON document: the packages its layers install
 * (dpkg, apk, npm, Python distributions, the Go modules of Go executables) and its base images.
 *
 * Each layer is streamed from the registry once, bottom first, and read as the container runtime
 * would stack it (whiteouts and opaque directories applied); only package databases and
 * manifests are read, each capped, so no layer and no big file is ever held in memory. No
 * external tool runs. What could not be read is returned as notes, not as failures; a layer that
 * is cut short or corrupt fails the SBOM with an error naming it.
 */
import type {Readable} from 'node:stream'
import {parseImageReference} from '../../plan/image-reference.js'
import {catalogLayer} from './catalog-layer.js'
import {OS_RELEASE_PATHS} from './catalogers.js'
import {readLayerTar, unreadableReason} from './layer-tar.js'
import {LayeredFiles} from './layered-files.js'
import type {FileFindings} from './package-record.js'
import {imagePurl, packagePurl} from './purl.js'
import {buildSpdxDocument, type ListedPackage, type SpdxDocument} from './spdx-document.js'
import {tarEntries} from './tar-entries.js'

export type {SpdxDocument} from './spdx-document.js'

export interface SbomLayer {
  /** sha256:… of the (compressed) blob. */
  digest: string
  /** gzip'd (…tar.gzip, …tar+gzip), uncompressed tar (…tar) or zstd (…tar+zstd, where Node.js has it). */
  mediaType: string
  /** The blob's bytes, streamed from the registry (failing the stream on a digest mismatch). */
  open(): Promise<Readable>
}

export interface SbomSubject {
  /** host/ns/repo */
  name: string
  digest: string
  /** e.g. linux/amd64 */
  platform?: string
}

/** A base image (FROM), by digest when known. */
export interface SbomBase {
  ref: string
  digest?: string
}

export interface SbomResult {
  document: SpdxDocument
  /** Packages listed besides the image itself (base images included). */
  packages: number
  /** What was not read or not listed, and why (for the log). */
  notes: string[]
}

export const SPDX_PREDICATE_TYPE = 'https://spdx.dev/Document'

/** Notes past this many are counted, not listed. */
const MAX_NOTES = 50

class Notes {
  private readonly kept: string[] = []
  private dropped = 0

  add(text: string): void {
    if (this.kept.length < MAX_NOTES) this.kept.push(text)
    else this.dropped++
  }

  list(): string[] {
    return this.dropped > 0 ? [...this.kept, `… and ${this.dropped} more notes`] : [...this.kept]
  }

  copy(): Notes {
    const copy = new Notes()
    copy.kept.push(...this.kept)
    copy.dropped = this.dropped
    return copy
  }
}

/** What the layers up to one layer leave: the files of interest and the notes so far. */
interface LayerStack {
  files: LayeredFiles<FileFindings>
  notes: Notes
}

/**
 * The stacks of a run's SBOMs by the layers under them, so that layers several images share (a
 * base) are read once a run: each SBOM goes on from the longest chain of its layers already read.
 * Only the files of interest are held, never layer bytes.
 */
export type SbomLayerCache = Map<string, Promise<LayerStack>>

export function createSbomLayerCache(): SbomLayerCache {
  return new Map()
}

/** The layers in order, each read once per chain of digests under it (when there is a cache). */
async function stackLayers(
  layers: readonly SbomLayer[],
  cache: SbomLayerCache | undefined,
): Promise<LayerStack> {
  let stack: LayerStack = {files: new LayeredFiles<FileFindings>(), notes: new Notes()}
  let chain = ''
  for (const layer of layers) {
    chain += `${layer.digest} `
    const below = stack
    const made = cache?.get(chain)
    if (made) {
      const {files, notes} = await made
      stack = {files: files.clone(), notes: notes.copy()}
      continue
    }
    const reading = readOneLayer(layer, below)
    cache?.set(chain, reading)
    try {
      const read = await reading
      stack = {files: read.files.clone(), notes: read.notes.copy()}
    } catch (err) {
      cache?.delete(chain)
      throw err
    }
  }
  return stack
}

/** `below` with one more layer applied (a new stack; `below` stays as it was). */
async function readOneLayer(layer: SbomLayer, below: LayerStack): Promise<LayerStack> {
  const files = below.files.clone()
  const notes = below.notes.copy()
  const reason = unreadableReason(layer)
  if (reason) {
    notes.add(reason)
    return {files, notes}
  }
  const layerNote = (text: string): void => notes.add(`layer ${layer.digest}: ${text}`)
  await readLayerTar(layer, (tar) => catalogLayer(tarEntries(tar), files, layerNote))
  return {files, notes}
}

function basePackages(bases: readonly SbomBase[], notes: Notes): ListedPackage[] {
  return bases.flatMap((base): ListedPackage[] => {
    if (base.ref.trim() === 'scratch') return []
    const reference = parseImageReference(base.ref)
    if (!reference) {
      notes.add(`base image '${base.ref}' is not an image reference: not listed`)
      return []
    }
    const repository = `${reference.registry}/${reference.repository}`
    const digest = base.digest ?? reference.digest
    const purl = imagePurl({repository, digest, tag: reference.tag})
    return [{name: repository, version: digest ?? reference.tag, purl, container: true}]
  })
}

/** The packages of the files left after every layer, with the notes of those files. */
function layerPackages(held: [string, FileFindings][], notes: Notes): ListedPackage[] {
  const release = (path: string): string | undefined =>
    held.find(([heldPath]) => heldPath === path)?.[1].distroId
  const distroId = OS_RELEASE_PATHS.map(release).find((id) => id !== undefined)
  return held.flatMap(([path, found]) => {
    if (found.note) notes.add(`/${path}: ${found.note}`)
    return found.packages.map((record) => ({
      name: record.name,
      version: record.version,
      purl: packagePurl(record, distroId),
      location: path,
    }))
  })
}

export async function generateSbom(input: {
  subject: SbomSubject
  /** In order, bottom first. */
  layers: readonly SbomLayer[]
  bases: readonly SbomBase[]
  /** The commit time, so the same commit gives the same document. */
  created: string
  toolName: string
  /** Default: derived from the subject's name and digest, and the document's content. */
  documentNamespace?: string
  /** Shared by a run's SBOMs: layers that images share are read once (createSbomLayerCache). */
  cache?: SbomLayerCache
}): Promise<SbomResult> {
  const {files, notes} = await stackLayers(input.layers, input.cache)
  const listed = [...layerPackages(files.entries(), notes), ...basePackages(input.bases, notes)]
  const {subject} = input
  const arch = subject.platform?.split('/')[1]
  const encodedName = subject.name.split('/').map(encodeURIComponent).join('/')
  const document = buildSpdxDocument({
    name: `${subject.name}@${subject.digest}`,
    root: {
      name: subject.name,
      version: subject.digest,
      purl: imagePurl({repository: subject.name, digest: subject.digest, arch}),
    },
    packages: listed,
    created: input.created,
    toolName: input.toolName,
    documentNamespace: input.documentNamespace,
    namespaceBase: `https://spdx.org/spdxdocs/${encodeURIComponent(input.toolName)}/${encodedName}@${subject.digest}`,
  })
  return {document, packages: document.packages.length - 1, notes: notes.list()}
}
