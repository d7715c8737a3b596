/**
 * The SPDX 2.3 JSON document of an image: a root package for the image, one package per purl
 * found, and the relationships DOCUMENT DESCRIBES root, root CONTAINS each package. Pure and
 * deterministic: packages are sorted by purl and their SPDXIDs derive from it, so the same image
 * gives the same bytes.
 */
import {createHash} from 'node:crypto'

export interface SpdxExternalRef {
  referenceCategory: 'PACKAGE-MANAGER'
  referenceType: 'purl'
  referenceLocator: string
}

export interface SpdxPackage {
  SPDXID: string
  name: string
  versionInfo?: string
  downloadLocation: 'NOASSERTION'
  filesAnalyzed: false
  licenseConcluded: 'NOASSERTION'
  licenseDeclared: 'NOASSERTION'
  copyrightText: 'NOASSERTION'
  primaryPackagePurpose?: 'CONTAINER'
  sourceInfo?: string
  externalRefs: SpdxExternalRef[]
}

export interface SpdxRelationship {
  spdxElementId: string
  relationshipType: 'DESCRIBES' | 'CONTAINS'
  relatedSpdxElement: string
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3'
  dataLicense: 'CC0-1.0'
  SPDXID: 'SPDXRef-DOCUMENT'
  name: string
  documentNamespace: string
  creationInfo: {created: string; creators: string[]}
  packages: SpdxPackage[]
  relationships: SpdxRelationship[]
}

/** A package to list, as the catalogers (or the base images) give it. */
export interface ListedPackage {
  name: string
  version?: string
  purl: string
  /** Where it was found (a path of the image), for `sourceInfo`. */
  location?: string
  container?: boolean
}

const ROOT_ID = 'SPDXRef-Image'
/** Locations named per package; the rest are counted. */
const MAX_LOCATIONS = 5

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** SPDX's `created`: UTC to the second (`2024-05-01T12:00:00Z`). */
export function spdxTime(iso: string): string {
  const time = new Date(iso)
  if (Number.isNaN(time.getTime())) throw new Error(`SBOM creation time '${iso}' is not a time`)
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** A stable SPDXID: readable (type and name), unique through a hash of the purl. */
function packageId(purl: string, name: string): string {
  const type = /^pkg:([^/]+)\//.exec(purl)?.[1] ?? 'package'
  const readable = `${type}-${name}`.replace(/[^A-Za-z0-9.-]+/g, '-').slice(0, 60)
  return `SPDXRef-Package-${readable}-${sha256(purl).slice(0, 12)}`
}

function spdxPackage(id: string, listed: ListedPackage, locations: string[]): SpdxPackage {
  const sorted = [...new Set(locations)].sort(compare)
  const named = sorted.slice(0, MAX_LOCATIONS).map((path) => `/${path}`)
  const more = sorted.length - named.length
  return {
    SPDXID: id,
    name: listed.name,
    ...(listed.version ? {versionInfo: listed.version} : {}),
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    ...(listed.container ? {primaryPackagePurpose: 'CONTAINER' as const} : {}),
    ...(named.length > 0
      ? {sourceInfo: `found in ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`}
      : {}),
    externalRefs: [
      {referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: listed.purl},
    ],
  }
}

/** One package per purl (the same package found in several places is listed once), sorted. */
function uniquePackages(listed: readonly ListedPackage[]): SpdxPackage[] {
  const byPurl = new Map<string, {first: ListedPackage; locations: string[]}>()
  for (const item of listed) {
    const seen = byPurl.get(item.purl)
    if (seen) {
      if (item.location) seen.locations.push(item.location)
    } else {
      byPurl.set(item.purl, {first: item, locations: item.location ? [item.location] : []})
    }
  }
  return [...byPurl.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([purl, {first, locations}]) => spdxPackage(packageId(purl, first.name), first, locations))
}

export interface DocumentInput {
  name: string
  root: ListedPackage
  packages: readonly ListedPackage[]
  created: string
  toolName: string
  /** When absent: `namespaceBase` and a hash of the document's content, so it is unique per content. */
  documentNamespace?: string
  namespaceBase: string
}

export function buildSpdxDocument(input: DocumentInput): SpdxDocument {
  const packages = uniquePackages(input.packages)
  const document: SpdxDocument = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: input.name,
    documentNamespace: input.documentNamespace ?? '',
    creationInfo: {created: spdxTime(input.created), creators: [`Tool: ${input.toolName}`]},
    packages: [spdxPackage(ROOT_ID, {...input.root, container: true}, []), ...packages],
    relationships: [
      {
        spdxElementId: 'SPDXRef-DOCUMENT',
        relationshipType: 'DESCRIBES',
        relatedSpdxElement: ROOT_ID,
      },
      ...packages.map((item) => ({
        spdxElementId: ROOT_ID,
        relationshipType: 'CONTAINS' as const,
        relatedSpdxElement: item.SPDXID,
      })),
    ],
  }
  if (input.documentNamespace === undefined) {
    document.documentNamespace = `${input.namespaceBase}-${sha256(JSON.stringify(document)).slice(0, 16)}`
  }
  return document
}
