import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, symlinkSync, writeFileSync, linkSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {
  MAX_META_BYTES,
  readCapped,
  tarEntries,
  TarFormatError,
  type TarEntry,
} from '../../../src/attestations/sbom/tar-entries.js'
import {fixChecksum, tarBuffer, tarHeader, type TarSpec} from '../../fixtures/sbom/make-tar.js'

interface Seen {
  path: string
  type: TarEntry['type']
  size: number
  mode: number
  linkname: string
  body?: string
}

/** Every entry, its body read when `readBodies` (else left for the reader to skip). */
async function list(input: Buffer | AsyncIterable<Buffer>, readBodies = true): Promise<Seen[]> {
  const source = Buffer.isBuffer(input) ? chunked(input, 100) : input
  const seen: Seen[] = []
  for await (const entry of tarEntries(source)) {
    const {path, type, size, mode, linkname} = entry
    const body = readBodies ? (await readCapped(entry.body, 1 << 20)).bytes.toString() : undefined
    seen.push({path, type, size, mode, linkname, ...(body === undefined ? {} : {body})})
  }
  return seen
}

/** The archive in odd-sized chunks, so headers and bodies straddle them. */
async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size)
}

async function failure(input: Buffer): Promise<Error> {
  try {
    await list(input)
  } catch (error) {
    return error as Error
  }
  throw new Error('the archive was read without an error')
}

const LONG_DIR = `usr/lib/${'deep-directory-name/'.repeat(8)}node_modules/pkg`

describe('entries', () => {
  test('files, directories, links and devices, with bodies read across chunk edges', async () => {
    const specs: TarSpec[] = [
      {path: 'etc/', type: 'directory'},
      {path: 'etc/os-release', content: 'ID=debian\n', mode: 0o644},
      {path: 'usr/bin/tool', content: Buffer.alloc(1300, 7), mode: 0o755},
      {path: 'etc/alias', type: 'symlink', linkname: '../usr/lib/os-release'},
      {path: 'etc/hard', type: 'hardlink', linkname: 'etc/os-release'},
      {path: 'run/fifo', type: 'fifo'},
      {path: 'empty', content: ''},
    ]
    expect(await list(await tarBuffer(specs))).toEqual([
      {path: 'etc/', type: 'directory', size: 0, mode: 0o755, linkname: '', body: ''},
      {
        path: 'etc/os-release',
        type: 'file',
        size: 10,
        mode: 0o644,
        linkname: '',
        body: 'ID=debian\n',
      },
      {
        path: 'usr/bin/tool',
        type: 'file',
        size: 1300,
        mode: 0o755,
        linkname: '',
        body: '\x07'.repeat(1300),
      },
      {
        path: 'etc/alias',
        type: 'symlink',
        size: 0,
        mode: 0o644,
        linkname: '../usr/lib/os-release',
        body: '',
      },
      {
        path: 'etc/hard',
        type: 'hardlink',
        size: 0,
        mode: 0o644,
        linkname: 'etc/os-release',
        body: '',
      },
      {path: 'run/fifo', type: 'other', size: 0, mode: 0o644, linkname: '', body: ''},
      {path: 'empty', type: 'file', size: 0, mode: 0o644, linkname: '', body: ''},
    ])
  })

  test('bodies left unread, or read in part, are skipped: the next entry is still right', async () => {
    const specs: TarSpec[] = [
      {path: 'a', content: 'x'.repeat(5000)},
      {path: 'b', content: 'second'},
      {path: 'c', content: 'y'.repeat(700)},
    ]
    const archive = await tarBuffer(specs)
    expect((await list(archive, false)).map((entry) => entry.path)).toEqual(['a', 'b', 'c'])
    const seen: string[] = []
    for await (const entry of tarEntries(chunked(archive, 333))) {
      const {bytes, complete} = await readCapped(entry.body, 10)
      seen.push(`${entry.path}:${bytes.toString()}:${complete}`)
    }
    expect(seen).toEqual(['a:xxxxxxxxxx:false', 'b:second:true', 'c:yyyyyyyyyy:false'])
  })

  test('a body read after the reader moved on is an error, not a wrong read', async () => {
    const entries = tarEntries(
      chunked(await tarBuffer([{path: 'a', content: 'abc'}, {path: 'b'}]), 512),
    )
    const first = (await entries.next()).value as TarEntry
    await entries.next()
    await expect(readCapped(first.body, 10)).rejects.toThrow(/after the next entry/)
  })

  test('the reader stops at the first end-of-archive block and reads nothing after it', async () => {
    const archive = Buffer.concat([
      await tarBuffer([{path: 'a', content: 'A'}], 1),
      Buffer.from('trailing junk'),
    ])
    expect((await list(archive)).map((entry) => entry.path)).toEqual(['a'])
  })
})

describe('long names and extended headers', () => {
  test('PAX path and linkpath; GNU L and K entries', async () => {
    const longLink = `${LONG_DIR}/target-${'t'.repeat(90)}`
    const specs: TarSpec[] = [
      {path: `${LONG_DIR}/package.json`, content: '{}'},
      {path: `${LONG_DIR}/gnu.json`, content: 'gnu', longNames: 'gnu'},
      {path: 'link', type: 'symlink', linkname: 'short', pax: {linkpath: longLink}},
      {path: 'name-in-header', content: 'pax', pax: {path: 'name-from-pax'}},
    ]
    expect(
      (await list(await tarBuffer(specs))).map((entry) => [entry.path, entry.linkname, entry.body]),
    ).toEqual([
      [`${LONG_DIR}/package.json`, '', '{}'],
      [`${LONG_DIR}/gnu.json`, '', 'gnu'],
      ['link', longLink, ''],
      ['name-from-pax', '', 'pax'],
    ])
  })

  test('a PAX size replaces the header size (files of 8 GiB and more)', async () => {
    const archive = await tarBuffer([
      {path: 'sized', content: 'z'.repeat(1000), pax: {size: '1000'}},
      {path: 'next', content: 'ok'},
    ])
    // The header's own size field says 0, as writers do when PAX carries the size.
    const header = archive.subarray(1024, 1536)
    header.write('00000000000\0', 124, 12, 'latin1')
    fixChecksum(header)
    expect(
      (await list(archive)).map((entry) => [entry.path, entry.size, entry.body?.length]),
    ).toEqual([
      ['sized', 1000, 1000],
      ['next', 2, 2],
    ])
  })

  test('a base-256 size field (GNU) is read', async () => {
    const archive = await tarBuffer([
      {path: 'b256', content: 'hello'},
      {path: 'next', content: 'ok'},
    ])
    const header = archive.subarray(0, 512)
    header.fill(0, 124, 136)
    header[124] = 0x80
    header[135] = 5
    fixChecksum(header)
    expect((await list(archive)).map((entry) => [entry.path, entry.body])).toEqual([
      ['b256', 'hello'],
      ['next', 'ok'],
    ])
  })

  test('a PAX header over 1 MiB is refused before it is read', async () => {
    const header = tarHeader({name: 'PaxHeaders/x', typeflag: 'x', size: MAX_META_BYTES + 1})
    const error = await failure(Buffer.concat([header, Buffer.alloc(1024)]))
    expect(error).toBeInstanceOf(TarFormatError)
    expect(error.message).toMatch(/x header at byte 0 is 1048577 bytes, over the 1048576/)
  })

  test('a GNU long name over 1 MiB is refused too', async () => {
    const header = tarHeader({name: '././@LongLink', typeflag: 'L', size: 2 * MAX_META_BYTES})
    expect((await failure(Buffer.concat([header, Buffer.alloc(1024)]))).message).toMatch(/L header/)
  })

  test.each([
    {why: 'a length that is no number', records: '1x path=a\n'},
    {why: 'a length past the end', records: '99 path=a\n'},
    {why: 'no newline at the end of a record', records: '9 path=ab'},
    {why: 'no key', records: '6 =ab\n'},
    {why: 'an unreadable size', records: '12 size=-12\n'},
  ])('a malformed PAX header is an error: $why', async ({records}) => {
    const data = Buffer.from(records)
    const archive = Buffer.concat([
      tarHeader({name: 'pax', typeflag: 'x', size: data.length}),
      data,
      Buffer.alloc(512 - data.length),
      await tarBuffer([{path: 'a', content: 'A'}]),
    ])
    const error = await failure(archive)
    expect(error).toBeInstanceOf(TarFormatError)
    expect(error.message).toMatch(/PAX/)
  })
})

describe('archives GNU tar writes', () => {
  const root = mkdtempSync(join(process.env.RUNNER_TEMP ?? '/tmp', 'sbom-tar-'))
  const tree = join(root, 'tree')
  mkdirSync(join(tree, LONG_DIR), {recursive: true})
  writeFileSync(join(tree, LONG_DIR, 'package.json'), '{"name":"pkg","version":"1.0.0"}')
  writeFileSync(join(tree, 'plain.txt'), 'plain')
  symlinkSync(`../${LONG_DIR}/package.json`, join(tree, 'usr/link-with-a-long-target'))
  linkSync(join(tree, 'plain.txt'), join(tree, 'hard.txt'))

  test.each(['gnu', 'pax', 'ustar', 'v7'])('--format=%s', async (format) => {
    const args = ['-C', tree, `--format=${format}`, '--sort=name', '-cf', '-']
    // ustar splits long names into prefix and name but has 100 bytes for a link target; v7
    // cannot store long names at all.
    if (format !== 'gnu' && format !== 'pax') args.push('--exclude=./usr/link-with-a-long-target')
    if (format === 'v7') args.push('--exclude=./usr/lib')
    args.push('.')
    const archive = execFileSync('tar', args, {maxBuffer: 1 << 24})
    const seen = await list(archive)
    const byPath = new Map(seen.map((entry) => [entry.path.replace(/^\.\//, ''), entry]))
    // Sorted by name, hard.txt comes first: it holds the bytes, plain.txt links to it.
    expect(byPath.get('hard.txt')).toMatchObject({type: 'file', body: 'plain'})
    expect(byPath.get('plain.txt')).toMatchObject({type: 'hardlink', linkname: './hard.txt'})
    expect(byPath.get('usr/')?.type ?? byPath.get('usr')?.type).toBe('directory')
    if (format !== 'v7') {
      expect(byPath.get(`${LONG_DIR}/package.json`)?.body).toBe('{"name":"pkg","version":"1.0.0"}')
    }
    if (format === 'gnu' || format === 'pax') {
      expect(byPath.get('usr/link-with-a-long-target')).toMatchObject({
        type: 'symlink',
        linkname: `../${LONG_DIR}/package.json`,
      })
    }
  })

  test('--format=ustar: a long name split into prefix and name is joined again', async () => {
    const path = `${'p'.repeat(120)}/name.txt`
    mkdirSync(join(root, 'ustar', 'p'.repeat(120)), {recursive: true})
    writeFileSync(join(root, 'ustar', path), 'split')
    const archive = execFileSync('tar', [
      '-C',
      join(root, 'ustar'),
      '--format=ustar',
      '-cf',
      '-',
      path,
    ])
    expect((await list(archive)).map((entry) => [entry.path, entry.body])).toEqual([
      [path, 'split'],
    ])
  })
})

describe('broken archives', () => {
  test.each([
    {
      why: 'inside a body',
      cut: 512 + 100,
      message: /ends at byte 612, inside an entry body \(truncated\)/,
    },
    {why: 'inside a header', cut: 3584 + 200, message: /inside a header \(truncated\)/},
    {why: 'inside body padding', cut: 512 + 3000 + 10, message: /inside an entry body/},
    {
      why: 'at a block edge, with no end-of-archive block',
      cut: 4608,
      message: /without its end-of-archive block/,
    },
  ])('cut short $why: an error, not a hang', async ({cut, message}) => {
    const archive = await tarBuffer([
      {path: 'a', content: 'a'.repeat(3000)},
      {path: 'b', content: 'b'.repeat(10)},
    ])
    const error = await failure(archive.subarray(0, cut))
    expect(error).toBeInstanceOf(TarFormatError)
    expect(error.message).toMatch(message)
  })

  test('a wrong checksum', async () => {
    const archive = await tarBuffer([{path: 'a', content: 'A'}])
    archive[0] = 'b'.charCodeAt(0)
    expect((await failure(archive)).message).toMatch(/header at byte 0 has a wrong checksum/)
  })

  test('bytes that are no tar archive', async () => {
    const error = await failure(Buffer.from('{"this is": "json, not a tar archive"}'.repeat(20)))
    expect(error.message).toMatch(/wrong checksum: not a tar archive/)
  })

  test('a header whose size is not octal', async () => {
    const archive = await tarBuffer([{path: 'a', content: 'A'}])
    archive.write('00000000009\0', 124, 12, 'latin1')
    fixChecksum(archive.subarray(0, 512))
    expect((await failure(archive)).message).toMatch(/unreadable size "00000000009"/)
  })

  test('a huge size in a header: the skip runs into the end of the input, no hang', async () => {
    const archive = await tarBuffer([{path: 'big', content: 'A'}])
    archive.write('77777777777\0', 124, 12, 'latin1')
    fixChecksum(archive.subarray(0, 512))
    expect((await failure(archive)).message).toMatch(/truncated/)
  })
})
