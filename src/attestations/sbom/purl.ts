/**
 * Package URLs (purl spec, "characters and encoding"): `pkg:type/namespace/name@version?qualifiers`,
 * each part percent-encoded as UTF-8 except letters, digits, `.-_~` and the colon (which is never
 * encoded); qualifier values keep their slashes, as the spec's own examples write
 * `repository_url=docker.io/library/debian`. Qualifiers are sorted by key; empty ones are left out.
 */
import {normalizePythonName} from './python.js'
import type {PackageRecord} from './package-record.js'

const UNRESERVED = /^[A-Za-z0-9._~-]$/

function percentEncode(text: string, keep: string): string {
  let encoded = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte)
    encoded +=
      byte < 0x80 && (UNRESERVED.test(char) || keep.includes(char))
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return encoded
}

export interface PurlParts {
  type: string
  namespace?: readonly string[]
  name: string
  version?: string
  qualifiers?: Readonly<Record<string, string | undefined>>
}

export function formatPurl(parts: PurlParts): string {
  const path = [...(parts.namespace ?? []), parts.name]
    .map((segment) => percentEncode(segment, ':'))
    .join('/')
  const version = parts.version ? `@${percentEncode(parts.version, ':')}` : ''
  const qualifiers = Object.entries(parts.qualifiers ?? {})
    .filter((entry): entry is [string, string] => !!entry[1])
    .map(([key, value]) => [key.toLowerCase(), value])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${percentEncode(value, ':/')}`)
    .join('&')
  return `pkg:${parts.type}/${path}${version}${qualifiers ? `?${qualifiers}` : ''}`
}

/**
 * The purl of a package the catalogers found. `distroId` is os-release's `ID=`: the namespace of
 * deb (default `debian`) and apk (default `alpine`; Wolfi's packages are `pkg:apk/wolfi/…`).
 */
export function packagePurl(record: PackageRecord, distroId: string | undefined): string {
  const {name, version} = record
  switch (record.type) {
    case 'deb':
    case 'apk': {
      const vendor = distroId ?? (record.type === 'deb' ? 'debian' : 'alpine')
      return formatPurl({
        type: record.type,
        namespace: [vendor],
        name: name.toLowerCase(),
        version,
        qualifiers: {arch: record.arch},
      })
    }
    case 'npm': {
      const slash = name.startsWith('@') ? name.indexOf('/') : -1
      return slash > 0
        ? formatPurl({
            type: 'npm',
            namespace: [name.slice(0, slash)],
            name: name.slice(slash + 1),
            version,
          })
        : formatPurl({type: 'npm', name, version})
    }
    case 'pypi':
      return formatPurl({type: 'pypi', name: normalizePythonName(name), version})
    case 'golang': {
      const segments = name.split('/')
      return formatPurl({
        type: 'golang',
        namespace: segments.slice(0, -1),
        name: segments[segments.length - 1],
        version,
      })
    }
  }
}

/**
 * The purl of an image (purl spec, type `oci`): the last part of its repository as the name, its
 * digest as the version, where it was found as `repository_url`.
 */
export function imagePurl(image: {
  repository: string
  digest?: string
  tag?: string
  arch?: string
}): string {
  const name = image.repository.slice(image.repository.lastIndexOf('/') + 1).toLowerCase()
  return formatPurl({
    type: 'oci',
    name,
    version: image.digest,
    qualifiers: {arch: image.arch, repository_url: image.repository, tag: image.tag},
  })
}
