/**
 * A streaming tar reader: the entries of an archive, one at a time, each body read straight from
 * the input, so no entry (and no archive) is ever held in memory. It reads ustar, GNU (`L` long
 * names, `K` long link names, base-256 sizes) and POSIX PAX (`path`, `linkpath`, `size`) headers.
 *
 * Each entry's body must be read (or left) before the next entry is asked for; whatever is left
 * is skipped. The reader stops at the end-of-archive block and does not read past it: the caller
 * drains the rest of its input. An input that ends early, a header whose checksum is wrong and a
 * PAX or GNU header over 1 MiB (as Go's archive/tar, which writes and reads most image layers,
 * refuses them too) are TarFormatErrors, never a hang.
 */

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other'

export interface TarEntry {
  /** The path as the archive names it (not normalised: it may be absolute, or hold `..`). */
  path: string
  type: TarEntryType
  /** Bytes of the body (0 for directories, links and devices). */
  size: number
  /** Permission bits (e.g. 0o755). */
  mode: number
  /** The target of a symlink or a hard link; '' otherwise. */
  linkname: string
  /** The body, in chunks, read from the input as it is iterated. */
  body: AsyncIterable<Buffer>
}

/** The archive is not a tar archive, or is cut short or corrupt. */
export class TarFormatError extends Error {}

const BLOCK = 512
/** Largest PAX or GNU long-name header read (Go's archive/tar has the same limit). */
export const MAX_META_BYTES = 1 << 20
/** Largest chunk a body hands out at once. */
const MAX_CHUNK = 1 << 20
const EMPTY = Buffer.alloc(0)

/** Types that never carry a body, whatever their size field says (as Go's archive/tar reads them). */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6'])
const META_TYPES = new Set(['x', 'g', 'L', 'K'])

/** Pulls bytes from an async iterable of chunks, handing out views of them (no copies). */
class ByteReader {
  private chunk: Buffer = EMPTY
  private position = 0
  /** Bytes consumed so far: the offset in the archive of the next byte. */
  offset = 0

  constructor(private readonly chunks: AsyncIterator<unknown>) {}

  /** Up to `max` bytes, as they come; empty only at the end of the input. */
  async readSome(max: number): Promise<Buffer> {
    while (this.position >= this.chunk.length) {
      const next = await this.chunks.next()
      if (next.done) return EMPTY
      this.chunk = toBuffer(next.value)
      this.position = 0
    }
    const count = Math.min(max, this.chunk.length - this.position)
    const bytes = this.chunk.subarray(this.position, this.position + count)
    this.position += count
    this.offset += count
    return bytes
  }

  /** `count` bytes, or fewer when the input ends first. */
  async readUpTo(count: number): Promise<Buffer> {
    const first = await this.readSome(count)
    if (first.length === count || first.length === 0) return first
    const parts = [first]
    let got = first.length
    while (got < count) {
      const part = await this.readSome(count - got)
      if (part.length === 0) break
      parts.push(part)
      got += part.length
    }
    return Buffer.concat(parts)
  }

  /** Skips `count` bytes; throws when the input ends first. */
  async skip(count: number, what: string): Promise<void> {
    let left = count
    while (left > 0) {
      const part = await this.readSome(Math.min(left, MAX_CHUNK))
      if (part.length === 0) throw truncated(this.offset, what)
      left -= part.length
    }
  }
}

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length)
  if (typeof value === 'string') return Buffer.from(value)
  throw new TypeError(`a tar input yielded a ${typeof value}, not bytes`)
}

function truncated(offset: number, what: string): TarFormatError {
  return new TarFormatError(`the archive ends at byte ${offset}, inside ${what} (truncated)`)
}

const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK

/** A NUL-terminated string field. */
function textField(block: Buffer, start: number, length: number): string {
  const end = block.indexOf(0, start)
  return block.toString('utf8', start, end >= 0 && end < start + length ? end : start + length)
}

/** An octal number field, or a base-256 one (GNU, for sizes of 8 GiB and more). */
function numberField(block: Buffer, start: number, length: number, name: string): number {
  if (block[start] & 0x80) {
    if (block[start] === 0xff) throw new TarFormatError(`a tar header has a negative ${name}`)
    let value = block[start] & 0x7f
    for (let index = start + 1; index < start + length; index++) value = value * 256 + block[index]
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`a tar header's ${name} is too big`)
    return value
  }
  const text = textField(block, start, length).trim()
  if (text === '') return 0
  if (!/^[0-7]+$/.test(text)) {
    throw new TarFormatError(`a tar header has an unreadable ${name} ${JSON.stringify(text)}`)
  }
  return parseInt(text, 8)
}

function checksumMatches(block: Buffer): boolean {
  let stored: number
  try {
    stored = numberField(block, 148, 8, 'checksum')
  } catch {
    return false
  }
  let unsigned = 0
  let signed = 0
  for (let index = 0; index < BLOCK; index++) {
    const byte = index >= 148 && index < 156 ? 0x20 : block[index]
    unsigned += byte
    signed += byte > 127 ? byte - 256 : byte
  }
  // Some old writers summed signed bytes; readers accept both.
  return stored === unsigned || stored === signed
}

interface Header {
  name: string
  typeflag: string
  size: number
  mode: number
  linkname: string
}

function parseHeader(block: Buffer, offset: number): Header {
  if (!checksumMatches(block)) {
    throw new TarFormatError(
      `the header at byte ${offset} has a wrong checksum: not a tar archive, or a corrupt one`,
    )
  }
  let name = textField(block, 0, 100)
  // ustar splits long names into a prefix and a name; GNU ("ustar  ") uses that field otherwise.
  if (block.toString('latin1', 257, 263) === 'ustar\0') {
    const prefix = textField(block, 345, 155)
    if (prefix) name = `${prefix}/${name}`
  }
  const flag = String.fromCharCode(block[156])
  return {
    name,
    typeflag: flag === '\0' ? '0' : flag,
    size: numberField(block, 124, 12, 'size'),
    mode: numberField(block, 100, 8, 'mode') & 0o7777,
    linkname: textField(block, 157, 100),
  }
}

/** PAX extended header records: `<length> <key>=<value>\n`, the length counting the whole record. */
export function parsePaxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>()
  let position = 0
  while (position < data.length) {
    if (data[position] === 0) break // NUL padding after the last record
    const space = data.indexOf(0x20, position)
    const lengthText = space > position ? data.toString('latin1', position, space) : ''
    const end = position + Number(lengthText)
    if (!/^[1-9]\d{0,7}$/.test(lengthText) || end > data.length || data[end - 1] !== 0x0a) {
      throw new TarFormatError(`a PAX header has a malformed record at byte ${position}`)
    }
    const record = data.toString('utf8', space + 1, end - 1)
    const equals = record.indexOf('=')
    if (equals <= 0) throw new TarFormatError(`a PAX header has a record without a key`)
    records.set(record.slice(0, equals), record.slice(equals + 1))
    position = end
  }
  return records
}

/** What PAX and GNU headers say about the entry after them. */
interface Pending {
  path?: string
  linkname?: string
  size?: number
}

function applyMeta(pending: Pending, typeflag: string, data: Buffer): void {
  if (typeflag === 'L') pending.path = textField(data, 0, data.length)
  else if (typeflag === 'K') pending.linkname = textField(data, 0, data.length)
  else if (typeflag === 'x') {
    const records = parsePaxRecords(data)
    // An empty value removes the key (POSIX): the ustar field stands.
    const path = records.get('path')
    if (path) pending.path = path
    const linkpath = records.get('linkpath')
    if (linkpath) pending.linkname = linkpath
    const size = records.get('size')
    if (size) {
      if (!/^\d+$/.test(size) || !Number.isSafeInteger(Number(size))) {
        throw new TarFormatError(`a PAX header has an unreadable size ${JSON.stringify(size)}`)
      }
      pending.size = Number(size)
    }
  }
  // 'g' (global PAX) sets defaults for the whole archive; none of them matter here.
}

function entryType(typeflag: string, name: string): TarEntryType {
  switch (typeflag) {
    case '0':
    case '7':
      // Pre-POSIX archives mark directories with a trailing slash only.
      return name.endsWith('/') ? 'directory' : 'file'
    case '1':
      return 'hardlink'
    case '2':
      return 'symlink'
    case '5':
      return 'directory'
    default:
      return 'other'
  }
}

interface BodyState {
  remaining: number
  current: boolean
}

async function* bodyChunks(reader: ByteReader, state: BodyState): AsyncGenerator<Buffer> {
  while (state.remaining > 0) {
    if (!state.current) throw new Error('a tar entry body was read after the next entry')
    const chunk = await reader.readSome(Math.min(state.remaining, MAX_CHUNK))
    if (chunk.length === 0) throw truncated(reader.offset, 'an entry body')
    state.remaining -= chunk.length
    yield chunk
  }
}

/** The entries of a tar archive, read from `input` as they are asked for. */
export async function* tarEntries(
  input: AsyncIterable<unknown>,
): AsyncGenerator<TarEntry, void, undefined> {
  const reader = new ByteReader(input[Symbol.asyncIterator]())
  let pending: Pending = {}
  for (;;) {
    const offset = reader.offset
    const block = await reader.readUpTo(BLOCK)
    if (block.length === 0) {
      throw new TarFormatError(
        `the archive ends at byte ${offset} without its end-of-archive block (truncated)`,
      )
    }
    if (block.length < BLOCK) throw truncated(reader.offset, 'a header')
    if (block.every((byte) => byte === 0)) return // the end-of-archive marker
    const header = parseHeader(block, offset)
    if (META_TYPES.has(header.typeflag)) {
      if (header.size > MAX_META_BYTES) {
        throw new TarFormatError(
          `the ${header.typeflag} header at byte ${offset} is ${header.size} bytes, over the ${MAX_META_BYTES} a reader accepts`,
        )
      }
      const data = await reader.readUpTo(header.size)
      if (data.length < header.size) throw truncated(reader.offset, 'an extended header')
      await reader.skip(padding(header.size), 'an extended header')
      applyMeta(pending, header.typeflag, data)
      continue
    }
    const size = HEADER_ONLY.has(header.typeflag) ? 0 : (pending.size ?? header.size)
    const path = pending.path ?? header.name
    const state: BodyState = {remaining: size, current: true}
    yield {
      path,
      type: entryType(header.typeflag, path),
      size,
      mode: header.mode,
      linkname: pending.linkname ?? header.linkname,
      body: bodyChunks(reader, state),
    }
    pending = {}
    state.current = false
    await reader.skip(state.remaining + padding(size), 'an entry body')
  }
}

/** Reads at most `cap` bytes of a body: the bytes, and whether they are the whole body. */
export async function readCapped(
  body: AsyncIterable<Buffer>,
  cap: number,
): Promise<{bytes: Buffer; complete: boolean}> {
  const parts: Buffer[] = []
  let got = 0
  for await (const chunk of body) {
    const room = cap - got
    if (chunk.length > room) {
      parts.push(chunk.subarray(0, room))
      return {bytes: Buffer.concat(parts, cap), complete: false}
    }
    parts.push(chunk)
    got += chunk.length
  }
  return {bytes: Buffer.concat(parts, got), complete: true}
}
