/**
 * dpkg's database: `var/lib/dpkg/status`, one paragraph per package dpkg knows, and
 * `var/lib/dpkg/status.d/*`, one file per package (or several paragraphs), as distroless images
 * and other images built without dpkg write it.
 */
import {parseParagraphs} from './control-fields.js'
import type {FileFindings, PackageRecord} from './package-record.js'

/**
 * Whether a `Status:` value (`<want> <flag> <status>`) means the package's files are on disk.
 * `install ok installed` is the usual one; a held package (`hold ok installed`) is installed too.
 * Packages removed with their config files left (`deinstall ok config-files`), half-installed or
 * not-installed ones are not.
 */
export function isInstalled(status: string): boolean {
  const words = status.trim().split(/\s+/)
  return words.length === 3 && words[1] === 'ok' && words[2] === 'installed'
}

/**
 * The installed packages of a dpkg status file. `requireStatus`: the status file lists every
 * package dpkg ever saw, so a paragraph without an installed `Status:` is left out; the files of
 * status.d have no `Status:` field (their packages are installed), but one that has it is judged
 * by it.
 */
export function parseDpkgStatus(text: string, requireStatus: boolean): FileFindings {
  const packages: PackageRecord[] = []
  let skipped = 0
  for (const paragraph of parseParagraphs(text)) {
    const name = paragraph.fields.get('package')
    const version = paragraph.fields.get('version')
    const status = paragraph.fields.get('status')
    if (paragraph.malformed !== undefined || !name || !version || /\s/.test(name + version)) {
      skipped++
      continue
    }
    if (status === undefined ? requireStatus : !isInstalled(status)) continue
    const arch = paragraph.fields.get('architecture')
    packages.push({type: 'deb', name, version, ...(arch ? {arch} : {})})
  }
  const note =
    skipped > 0
      ? `${skipped} malformed paragraph(s) skipped (no Package or Version, or an unreadable line)`
      : undefined
  return {packages, ...(note ? {note} : {})}
}
