/** What the catalogers find: packages as their databases name them, before any purl is made. */

export type PackageType = 'deb' | 'apk' | 'npm' | 'pypi' | 'golang'

export interface PackageRecord {
  type: PackageType
  /** The name as the package manager spells it (`@scope/name` for a scoped npm package). */
  name: string
  version: string
  /** The architecture, for the system package managers (`amd64`, `all`, `x86_64`). */
  arch?: string
}

/** What one file of the image yields. */
export interface FileFindings {
  packages: PackageRecord[]
  /** Why some or all of the file was not used (malformed, too big); listed in the result's notes. */
  note?: string
  /** The distribution's `ID=`, when the file is an os-release file. */
  distroId?: string
}
