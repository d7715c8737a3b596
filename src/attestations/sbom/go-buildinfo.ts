/**
 * Go modules compiled into an executable, from the build information the Go linker writes into
 * it (what `go version -m` prints): a 32-byte header starting with `\xff Go buildinf:` at a
 * 16-byte aligned offset, then, since Go 1.18, the Go version and the module list as
 * varint-prefixed strings.
 *
 * The executable is streamed past once; the scan looks for the header in each chunk without
 * copying it, and holds at most MAX_CAPTURE bytes from the header on. The module list is `mod`
 * (the main module), `dep` lines and `=>` lines that replace the module above them.
 */
import type {FileFindings, PackageRecord} from './package-record.js'

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1')
const NEEDLE = MAGIC.subarray(1)
const HEADER_SIZE = 32
const ALIGN = 16
/** The header and both strings: the module list of a large program is tens of KiB. */
const MAX_CAPTURE = 256 << 10
/** Files bigger than this are not scanned (no Go program is; a disk image might be). */
export const MAX_SCANNED_FILE = 1 << 30

export interface GoModule {
  path: string
  version: string
}

export interface GoBuildInfo {
  goVersion: string
  main?: GoModule
  deps: GoModule[]
}

/**
 * Where the magic starts in `chunk` at an aligned file offset (`base` is the chunk's), or -1. A
 * match followed by an impossible pointer size is the magic quoted as data (debug/buildinfo has
 * it), not a header.
 */
function alignedMagic(chunk: Buffer, base: number): number {
  // Searching for the ASCII part is several times faster than for a needle starting with 0xff.
  for (let at = chunk.indexOf(NEEDLE, 1); at >= 0; at = chunk.indexOf(NEEDLE, at + 1)) {
    const start = at - 1
    const pointerSize = chunk[start + MAGIC.length]
    const plausible = pointerSize === undefined || pointerSize === 4 || pointerSize === 8
    if (chunk[start] === 0xff && (base + start) % ALIGN === 0 && plausible) return start
  }
  return -1
}

/** The bytes of the build information block of an executable's body, if it has one. */
export async function captureBuildInfo(body: AsyncIterable<Buffer>): Promise<Buffer | undefined> {
  let offset = 0
  let tail = Buffer.alloc(0)
  let captured: Buffer[] | undefined
  let size = 0
  for await (const chunk of body) {
    if (captured) {
      captured.push(chunk.subarray(0, MAX_CAPTURE - size))
    } else {
      // The magic may straddle two chunks: look across the seam (13 bytes each side) first.
      const seam = Buffer.concat([tail, chunk.subarray(0, MAGIC.length - 1)])
      const inSeam = alignedMagic(seam, offset - tail.length)
      const inChunk = inSeam >= 0 ? -1 : alignedMagic(chunk, offset)
      if (inSeam >= 0) captured = [seam.subarray(inSeam, tail.length), chunk]
      else if (inChunk >= 0) captured = [chunk.subarray(inChunk)]
      const keep = MAGIC.length - 1
      tail = Buffer.from(
        chunk.length >= keep ? chunk.subarray(-keep) : Buffer.concat([tail, chunk]).subarray(-keep),
      )
    }
    offset += chunk.length
    size = captured ? captured.reduce((sum, part) => sum + part.length, 0) : 0
    if (size >= MAX_CAPTURE) break
  }
  return captured ? Buffer.concat(captured).subarray(0, MAX_CAPTURE) : undefined
}

/** Go's binary.Uvarint: the value and the bytes it took, or undefined when cut short. */
function uvarint(bytes: Buffer, start: number): [number, number] | undefined {
  let value = 0
  for (let index = start, shift = 0; index < bytes.length && shift < 53; index++, shift += 7) {
    value += (bytes[index] & 0x7f) * 2 ** shift
    if (bytes[index] < 0x80) return [value, index + 1 - start]
  }
  return undefined
}

function readString(bytes: Buffer, start: number): [string, number] | undefined {
  const length = uvarint(bytes, start)
  if (!length || start + length[1] + length[0] > bytes.length) return undefined
  const from = start + length[1]
  return [bytes.toString('utf8', from, from + length[0]), from + length[0]]
}

/** The module list of `go version -m`: `mod`, `dep` and `=>` lines, tab-separated. */
export function parseModuleInfo(modinfo: string): Pick<GoBuildInfo, 'main' | 'deps'> {
  let main: GoModule | undefined
  const deps: GoModule[] = []
  for (const line of modinfo.split('\n')) {
    const [kind, path, version] = line.split('\t')
    if (!path || !version) continue
    if (kind === 'mod') main = {path, version}
    else if (kind === 'dep') deps.push({path, version})
    else if (kind === '=>') {
      // A replacement by a local directory has no version: the module is not one of a proxy.
      if (deps.length > 0) deps[deps.length - 1] = {path, version}
      else if (main) main = {path, version}
    }
  }
  return {...(main ? {main} : {}), deps}
}

export type BuildInfoResult = GoBuildInfo | {unsupported: string} | undefined

/** Decodes a block that starts with the magic; undefined when it is not build information. */
export function parseBuildInfo(block: Buffer): BuildInfoResult {
  if (block.length < HEADER_SIZE || !block.subarray(0, MAGIC.length).equals(MAGIC)) return undefined
  const pointerSize = block[14]
  const flags = block[15]
  if (pointerSize !== 4 && pointerSize !== 8) return undefined
  // Before Go 1.18 the header points into the program's memory instead of holding the strings.
  if ((flags & 2) === 0) return {unsupported: 'built before Go 1.18: its modules are not read'}
  const version = readString(block, HEADER_SIZE)
  const modinfo = version && readString(block, version[1])
  if (!version || !modinfo || !/^(go|devel)/.test(version[0])) return undefined
  let text = modinfo[0]
  // The list is framed by two 16-byte sentinels (cmd/go's infoStart and infoEnd).
  text = text.length >= 33 && text[text.length - 17] === '\n' ? text.slice(16, -16) : ''
  return {goVersion: version[0], ...parseModuleInfo(text)}
}

/** The modules of a Go executable as packages; `(devel)` main modules have no version to list. */
export function goPackages(info: BuildInfoResult): FileFindings {
  if (!info) return {packages: []}
  if ('unsupported' in info) return {packages: [], note: info.unsupported}
  const modules = [...(info.main ? [info.main] : []), ...info.deps]
  const packages: PackageRecord[] = modules
    .filter((module) => module.version !== '(devel)' && !/\s/.test(module.path + module.version))
    .map((module) => ({type: 'golang', name: module.path, version: module.version}))
  return {packages}
}
