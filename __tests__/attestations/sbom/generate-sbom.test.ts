import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import * as zlib from 'node:zlib'
import {describe, expect, test} from 'vitest'
import {ActionError} from '../../../src/errors.js'
import {
  createSbomLayerCache,
  generateSbom,
  SPDX_PREDICATE_TYPE,
  type SbomBase,
  type SbomLayer,
  type SbomResult,
} from '../../../src/attestations/sbom/index.js'
import {buildInfoBlock, fakeGoExecutable, moduleInfo} from '../../fixtures/sbom/go-binary.js'
import {
  blobLayer,
  failingAtEnd,
  GZIP_LAYER,
  layerOf,
  packageJson,
  sha256,
  TAR_LAYER,
  ZSTD_LAYER,
  DOCKER_GZIP_LAYER,
} from '../../fixtures/sbom/layers.js'
import {tarBuffer, type TarSpec} from '../../fixtures/sbom/make-tar.js'

const SUBJECT = {
  name: 'localhost:5000/ns/app',
  digest: `sha256:${'d'.repeat(64)}`,
  platform: 'linux/amd64',
}
const CREATED = '2024-05-01T12:34:56.789+02:00'

function sbom(layers: readonly SbomLayer[], bases: readonly SbomBase[] = []): Promise<SbomResult> {
  return generateSbom({
    subject: SUBJECT,
    layers,
    bases,
    created: CREATED,
    toolName: 'ocir-push-1.2.3',
  })
}

/** Every purl of the document but the image's own. */
const purls = (result: SbomResult): string[] =>
  result.document.packages.slice(1).map((item) => item.externalRefs[0].referenceLocator)

const NODE_MODULES: TarSpec[] = [
  {path: 'app/node_modules/left-pad/package.json', content: packageJson('left-pad', '1.3.0')},
  {
    path: 'app/node_modules/@scope/util/package.json',
    content: packageJson('@scope/util', '2.0.0-rc.1+b7'),
  },
]

const dpkgQuery = (format: string, name?: string): string =>
  execFileSync('dpkg-query', ['-W', `-f=${format}`, ...(name ? [name] : [])], {encoding: 'utf8'})
const debPurl = (name: string): string =>
  `pkg:deb/debian/${name}@${dpkgQuery('${Version}', name).replace(/\+/g, '%2B')}?arch=${dpkgQuery('${Architecture}', name)}`

describe("this machine's dpkg database and a node_modules tree", () => {
  test('dpkg packages with their real versions, npm packages with purls, a valid document', async () => {
    const system = await layerOf([
      {path: 'usr/lib/os-release', content: readFileSync('/etc/os-release')},
      {path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release'},
      {path: 'var/lib/dpkg/status', content: readFileSync('/var/lib/dpkg/status')},
    ])
    const result = await sbom([system, await layerOf(NODE_MODULES)])
    const found = purls(result)
    expect(found).toContain(debPurl('bash'))
    expect(found).toContain(debPurl('dpkg'))
    expect(found).toContain('pkg:npm/left-pad@1.3.0')
    expect(found).toContain('pkg:npm/%40scope/util@2.0.0-rc.1%2Bb7')
    // Exactly the packages dpkg counts as installed (not those removed with their config kept).
    const installed = dpkgQuery('${db:Status-Status} ${binary:Package}\n')
      .split('\n')
      .filter((line) => line.startsWith('installed '))
    expect(found.filter((purl) => purl.startsWith('pkg:deb/debian/'))).toHaveLength(
      installed.length,
    )
    expect(result.packages).toBe(installed.length + 2)
    expect(result.notes).toEqual([])
    const bash = result.document.packages.find((item) => item.name === 'bash')
    expect(bash).toMatchObject({
      versionInfo: dpkgQuery('${Version}', 'bash'),
      downloadLocation: 'NOASSERTION',
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      filesAnalyzed: false,
      sourceInfo: 'found in /var/lib/dpkg/status',
    })
  })
})

describe('the document', () => {
  test('SPDX 2.3 fields, the image as root, DESCRIBES and CONTAINS, stable ids', async () => {
    const result = await sbom(
      [await layerOf(NODE_MODULES)],
      [{ref: 'debian:12-slim', digest: `sha256:${'b'.repeat(64)}`}],
    )
    const {document} = result
    expect(SPDX_PREDICATE_TYPE).toBe('https://spdx.dev/Document')
    expect(document).toMatchObject({
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: `localhost:5000/ns/app@${SUBJECT.digest}`,
      creationInfo: {created: '2024-05-01T10:34:56Z', creators: ['Tool: ocir-push-1.2.3']},
    })
    expect(document.documentNamespace).toMatch(
      new RegExp(
        `^https://spdx\\.org/spdxdocs/ocir-push-1\\.2\\.3/localhost%3A5000/ns/app@${SUBJECT.digest}-[0-9a-f]{16}$`,
      ),
    )
    expect(document.packages[0]).toEqual({
      SPDXID: 'SPDXRef-Image',
      name: 'localhost:5000/ns/app',
      versionInfo: SUBJECT.digest,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      primaryPackagePurpose: 'CONTAINER',
      externalRefs: [
        {
          referenceCategory: 'PACKAGE-MANAGER',
          referenceType: 'purl',
          referenceLocator: `pkg:oci/app@${SUBJECT.digest}?arch=amd64&repository_url=localhost:5000/ns/app`,
        },
      ],
    })
    // Sorted by purl; ids from the type, the name and a hash of the purl.
    expect(purls(result)).toEqual([
      `pkg:npm/%40scope/util@2.0.0-rc.1%2Bb7`,
      'pkg:npm/left-pad@1.3.0',
      `pkg:oci/debian@sha256:${'b'.repeat(64)}?repository_url=docker.io/library/debian&tag=12-slim`,
    ])
    const ids = document.packages.map((item) => item.SPDXID)
    expect(ids.slice(1)).toEqual([
      expect.stringMatching(/^SPDXRef-Package-npm--scope-util-[0-9a-f]{12}$/),
      expect.stringMatching(/^SPDXRef-Package-npm-left-pad-[0-9a-f]{12}$/),
      expect.stringMatching(/^SPDXRef-Package-oci-docker\.io-library-debian-[0-9a-f]{12}$/),
    ])
    expect(document.relationships).toEqual([
      {
        spdxElementId: 'SPDXRef-DOCUMENT',
        relationshipType: 'DESCRIBES',
        relatedSpdxElement: 'SPDXRef-Image',
      },
      ...ids.slice(1).map((id) => ({
        spdxElementId: 'SPDXRef-Image',
        relationshipType: 'CONTAINS',
        relatedSpdxElement: id,
      })),
    ])
    expect(result.packages).toBe(3)
  })

  test('the same image gives the same bytes; another creation time another namespace', async () => {
    const twice = [
      await sbom([await layerOf(NODE_MODULES)]),
      await sbom([await layerOf([...NODE_MODULES].reverse())]),
    ]
    expect(JSON.stringify(twice[0].document)).toBe(JSON.stringify(twice[1].document))
    const later = await generateSbom({
      subject: SUBJECT,
      layers: [await layerOf(NODE_MODULES)],
      bases: [],
      created: '2024-05-02T00:00:00Z',
      toolName: 'ocir-push-1.2.3',
    })
    expect(later.document.documentNamespace).not.toBe(twice[0].document.documentNamespace)
    const given = await generateSbom({
      subject: SUBJECT,
      layers: [],
      bases: [],
      created: CREATED,
      toolName: 't',
      documentNamespace: 'https://example.com/sbom/1',
    })
    expect(given.document.documentNamespace).toBe('https://example.com/sbom/1')
  })

  test('base images: by digest when known, tag otherwise; scratch left out; a bad ref noted', async () => {
    const result = await sbom(
      [],
      [
        {ref: 'ghcr.io/org/tool:v2@sha256:' + 'c'.repeat(64)},
        {ref: 'localhost:5000/base/node:20'},
        {ref: 'scratch'},
        {ref: 'Not A Reference'},
      ],
    )
    expect(purls(result)).toEqual([
      `pkg:oci/node?repository_url=localhost:5000/base/node&tag=20`,
      `pkg:oci/tool@sha256:${'c'.repeat(64)}?repository_url=ghcr.io/org/tool&tag=v2`,
    ])
    expect(
      result.document.packages.find((item) => item.name === 'localhost:5000/base/node')
        ?.versionInfo,
    ).toBe('20')
    expect(result.notes).toEqual([
      "base image 'Not A Reference' is not an image reference: not listed",
    ])
  })

  test('a creation time that is no time is an error', async () => {
    await expect(
      generateSbom({subject: SUBJECT, layers: [], bases: [], created: 'yesterday', toolName: 't'}),
    ).rejects.toThrow(/'yesterday' is not a time/)
  })
})

describe('layers stacked as a runtime stacks them', () => {
  test('a package deleted by a whiteout is not listed; an opaque directory hides lower packages', async () => {
    const site = 'usr/lib/python3/dist-packages'
    const lower = await layerOf([
      ...NODE_MODULES,
      {path: 'app/node_modules/gone/package.json', content: packageJson('gone', '1.0.0')},
      {
        path: `${site}/PyYAML-6.0.1.dist-info/METADATA`,
        content: 'Name: PyYAML\nVersion: 6.0.1\n\n',
      },
      {
        path: `${site}/requests-2.31.0.dist-info/METADATA`,
        content: 'Name: requests\nVersion: 2.31.0\n',
      },
    ])
    const upper = await layerOf([
      {path: 'app/node_modules/.wh.gone', content: ''},
      {path: `${site}/.wh..wh..opq`, content: ''},
      {
        path: `${site}/typing_extensions-4.9.0.dist-info/METADATA`,
        content: 'Name: typing_extensions\nVersion: 4.9.0\n',
      },
    ])
    expect(purls(await sbom([lower]))).toEqual([
      'pkg:npm/%40scope/util@2.0.0-rc.1%2Bb7',
      'pkg:npm/gone@1.0.0',
      'pkg:npm/left-pad@1.3.0',
      'pkg:pypi/pyyaml@6.0.1',
      'pkg:pypi/requests@2.31.0',
    ])
    expect(purls(await sbom([lower, upper]))).toEqual([
      'pkg:npm/%40scope/util@2.0.0-rc.1%2Bb7',
      'pkg:npm/left-pad@1.3.0',
      'pkg:pypi/typing-extensions@4.9.0',
    ])
  })

  test('a whole node_modules deleted by one whiteout; a package re-added above it is back', async () => {
    const layers = [
      await layerOf(NODE_MODULES),
      await layerOf([{path: 'app/.wh.node_modules', content: ''}]),
      await layerOf([
        {path: 'app/node_modules/left-pad/package.json', content: packageJson('left-pad', '1.3.1')},
      ]),
    ]
    expect(purls(await sbom(layers))).toEqual(['pkg:npm/left-pad@1.3.1'])
  })

  test('a malformed file deleted above is not noted; one that stays is, and the rest is listed', async () => {
    const layers = [
      await layerOf([
        {path: 'a/node_modules/broken/package.json', content: '{"name": "broken",'},
        {path: 'b/node_modules/broken/package.json', content: '{"name": "broken"}'},
        ...NODE_MODULES,
      ]),
      await layerOf([{path: 'a/node_modules/.wh.broken', content: ''}]),
    ]
    const result = await sbom(layers)
    expect(purls(result)).toHaveLength(2)
    expect(result.notes).toEqual(['/b/node_modules/broken/package.json: no usable "version"'])
  })
})

describe('hostile and unusual layers', () => {
  test('a symlinked status file is not followed; a hard link to a read file is listed', async () => {
    const result = await sbom([
      await layerOf([
        {path: 'tmp/status', content: 'Package: fake\nVersion: 1\nStatus: install ok installed\n'},
        {path: 'var/lib/dpkg/status', type: 'symlink', linkname: '/tmp/status'},
        {path: 'app/node_modules/left-pad/package.json', content: packageJson('left-pad', '1.3.0')},
        {
          path: 'srv/node_modules/left-pad/package.json',
          type: 'hardlink',
          linkname: 'app/node_modules/left-pad/package.json',
        },
      ]),
    ])
    expect(purls(result)).toEqual(['pkg:npm/left-pad@1.3.0'])
    expect(result.document.packages[1].sourceInfo).toBe(
      'found in /app/node_modules/left-pad/package.json, /srv/node_modules/left-pad/package.json',
    )
    expect(result.notes).toEqual([
      expect.stringMatching(
        /: \/var\/lib\/dpkg\/status is a symbolic link to \/tmp\/status: not followed, skipped$/,
      ),
    ])
  })

  test("paths with '..' or absolute ones are skipped; PAX and GNU long names are read", async () => {
    const deep = `opt/${'very-long-directory/'.repeat(6)}node_modules`
    const layer = await layerOf([
      {path: '../../app/node_modules/evil/package.json', content: packageJson('evil', '6.6.6')},
      {path: '/app/node_modules/abs/package.json', content: packageJson('abs', '6.6.6')},
      {path: `${deep}/pax-long/package.json`, content: packageJson('pax-long', '1.0.0')},
      {
        path: `${deep}/gnu-long/package.json`,
        content: packageJson('gnu-long', '1.0.0'),
        longNames: 'gnu',
      },
    ])
    const result = await sbom([layer])
    expect(purls(result)).toEqual(['pkg:npm/gnu-long@1.0.0', 'pkg:npm/pax-long@1.0.0'])
    expect(result.notes).toEqual([
      `layer ${layer.digest}: 2 entries with an absolute path or a '..' part skipped`,
    ])
  })

  test('a status file over the 16 MiB cap is skipped with a note, never held', async () => {
    const big = Buffer.alloc(17 << 20, 'Package: x\nVersion: 1\n\n')
    const result = await sbom([
      await layerOf([{path: 'var/lib/dpkg/status', content: big}, ...NODE_MODULES]),
    ])
    expect(purls(result)).toHaveLength(2)
    expect(result.notes).toEqual([
      `/var/lib/dpkg/status: ${big.length} bytes, over the 16777216 read: not read`,
    ])
  })

  test('apk and os-release: the vendor from ID=, Docker media type', async () => {
    const result = await sbom([
      await layerOf(
        [
          {path: 'etc/os-release', content: 'NAME="Wolfi"\nID=wolfi\n'},
          {
            path: 'lib/apk/db/installed',
            content:
              'P:glibc\nV:2.39-r1\nA:x86_64\n\nP:ca-certificates-bundle\nV:20240315-r0\nA:x86_64\n',
          },
        ],
        DOCKER_GZIP_LAYER,
      ),
    ])
    expect(purls(result)).toEqual([
      'pkg:apk/wolfi/ca-certificates-bundle@20240315-r0?arch=x86_64',
      'pkg:apk/wolfi/glibc@2.39-r1?arch=x86_64',
    ])
  })

  test('status.d: each file a package, md5sums ignored; the distro from usr/lib/os-release', async () => {
    const result = await sbom([
      await layerOf(
        [
          {path: 'usr/lib/os-release', content: 'NAME="Ubuntu"\nID=ubuntu\n'},
          {path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release'},
          {
            path: 'var/lib/dpkg/status.d/base-files',
            content: 'Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n',
          },
          {path: 'var/lib/dpkg/status.d/base-files.md5sums', content: '0123  etc/debian_version\n'},
          {
            path: 'var/lib/dpkg/status.d/tzdata',
            content: 'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n',
          },
        ],
        TAR_LAYER,
      ),
    ])
    expect(purls(result)).toEqual([
      'pkg:deb/ubuntu/base-files@12.4%2Bdeb12u5?arch=amd64',
      'pkg:deb/ubuntu/tzdata@2024a-0%2Bdeb12u1?arch=all',
    ])
  })

  test('Go executables: modules from the build information; not without an exec bit', async () => {
    const modules = moduleInfo('example.com/app', [
      'github.com/spf13/cobra@v1.8.0',
      'golang.org/x/sys@v0.19.0',
    ])
    const binary = fakeGoExecutable(buildInfoBlock('go1.22.2', modules))
    const old = fakeGoExecutable(buildInfoBlock('go1.16', '', 0))
    const layer = await layerOf([
      {path: 'usr/local/bin/app', content: binary, mode: 0o755},
      {path: 'usr/share/doc/app.bin', content: binary, mode: 0o644},
      {path: 'usr/local/bin/old', content: old, mode: 0o755},
    ])
    const result = await sbom([layer])
    expect(purls(result)).toEqual([
      'pkg:golang/github.com/spf13/cobra@v1.8.0',
      'pkg:golang/golang.org/x/sys@v0.19.0',
    ])
    expect(result.notes).toEqual([
      '/usr/local/bin/old: built before Go 1.18: its modules are not read',
    ])
  })

  test('a Go build information block split across stream chunks is still found', async () => {
    const modules = moduleInfo('example.com/app', ['github.com/spf13/cobra@v1.8.0'])
    const binary = fakeGoExecutable(buildInfoBlock('go1.22.2', modules))
    const tar = await tarBuffer([{path: 'bin/app', content: binary, mode: 0o755}])
    const offset = tar.indexOf(Buffer.from('\xff Go buildinf:', 'latin1'), 2000)
    // The first chunk ends 7 bytes into the magic.
    const layer = blobLayer(tar, TAR_LAYER, offset + 7)
    expect(purls(await sbom([layer]))).toEqual(['pkg:golang/github.com/spf13/cobra@v1.8.0'])
  })
})

describe('layers that cannot be read', () => {
  test('a zstd layer: read where Node.js has zstd, else skipped with a note', async () => {
    const tar = await tarBuffer(NODE_MODULES)
    const compress = (zlib as {zstdCompressSync?: (bytes: Buffer) => Buffer}).zstdCompressSync
    const layer = blobLayer(compress ? compress(tar) : Buffer.from('not read'), ZSTD_LAYER)
    const result = await sbom([layer])
    if (compress) {
      expect(purls(result)).toHaveLength(2)
    } else {
      expect(purls(result)).toEqual([])
      expect(result.notes).toEqual([
        `layer ${layer.digest} is zstd-compressed, which Node.js ${process.version} cannot read: its packages are not listed`,
      ])
      expect(layer.opened).toBe(0)
    }
  })

  test('a blob that is no tar layer (another media type) is skipped with a note', async () => {
    const layer = blobLayer(Buffer.from('{}'), 'application/vnd.in-toto+json')
    const result = await sbom([layer])
    expect(result.notes).toEqual([
      `layer ${layer.digest} (application/vnd.in-toto+json) is not a tar layer: not read`,
    ])
  })

  test.each([
    {
      why: 'a gzip stream cut short',
      cut: (bytes: Buffer) => bytes.subarray(0, bytes.length - 40),
      type: GZIP_LAYER,
      message: /unexpected end of file/,
    },
    {
      why: 'a tar cut short',
      cut: (bytes: Buffer) => bytes.subarray(0, 700),
      type: TAR_LAYER,
      message: /truncated/,
    },
    {
      why: 'bytes that are no gzip',
      cut: () => Buffer.alloc(4096, 'x'),
      type: GZIP_LAYER,
      message: /incorrect header check/,
    },
    {
      why: 'gzip of bytes that are no tar',
      cut: () => zlib.gzipSync(Buffer.alloc(4096, 'x')),
      type: GZIP_LAYER,
      message: /wrong checksum/,
    },
  ])('$why: an error naming the layer', async ({cut, type, message}) => {
    const whole = await layerOf(NODE_MODULES, type)
    const layer = blobLayer(cut(whole.bytes), type)
    const error = await sbom([await layerOf([]), layer]).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).toMatch(
      new RegExp(`^the SBOM could not read layer ${layer.digest}: `),
    )
    expect((error as Error).message).toMatch(message)
  })

  test("the blob is read to its end, so the client's digest check fails the SBOM", async () => {
    // A plain tar with 4 MiB of zero blocks after its end (as tar pads to its record size): the
    // stream only fails once those were read too.
    const bytes = Buffer.concat([await tarBuffer(NODE_MODULES), Buffer.alloc(4 << 20)])
    const mismatch = new ActionError(`GET blob ns/app@${sha256(bytes)}: digest mismatch`)
    const layer: SbomLayer = {
      ...blobLayer(bytes, TAR_LAYER),
      open: async () => failingAtEnd(bytes, mismatch),
    }
    await expect(sbom([layer])).rejects.toBe(mismatch)
  })

  test('a stream that fails midway with a plain error: the error names the layer', async () => {
    const whole = await layerOf(NODE_MODULES)
    const layer: SbomLayer = {
      ...whole,
      open: async () => failingAtEnd(whole.bytes.subarray(0, 30), new Error('socket hang up')),
    }
    await expect(sbom([layer])).rejects.toThrow(
      `the SBOM could not read layer ${whole.digest}: socket hang up`,
    )
  })
})

test('layer digests in notes are the blobs’ own', async () => {
  const layer = await layerOf([{path: '/abs', content: 'x'}])
  expect(layer.digest).toBe(sha256(layer.bytes))
  expect((await sbom([layer])).notes[0]).toContain(layer.digest)
})

describe('a run-wide layer cache', () => {
  test('a base two images share is read once; each SBOM is what it would be without the cache', async () => {
    const base = await layerOf([
      {
        path: 'usr/lib/node_modules/left-pad/package.json',
        content: packageJson('left-pad', '1.3.0'),
      },
      {path: 'usr/lib/node_modules/chalk/package.json', content: packageJson('chalk', '5.3.0')},
    ])
    // One image deletes a package of the base; the other adds one.
    const deletes = await layerOf([{path: 'usr/lib/node_modules/.wh.chalk', content: ''}])
    const adds = await layerOf([
      {path: 'app/node_modules/ms/package.json', content: packageJson('ms', '2.1.3')},
    ])
    const cache = createSbomLayerCache()
    const withCache = (layers: SbomLayer[]): Promise<SbomResult> =>
      generateSbom({subject: SUBJECT, layers, bases: [], created: CREATED, toolName: 't', cache})
    const [first, second] = await Promise.all([withCache([base, deletes]), withCache([base, adds])])
    expect(base.opened).toBe(1)
    expect(purls(first)).toEqual(['pkg:npm/left-pad@1.3.0'])
    expect(purls(second).sort()).toEqual(
      ['pkg:npm/chalk@5.3.0', 'pkg:npm/left-pad@1.3.0', 'pkg:npm/ms@2.1.3'].sort(),
    )
    // The same documents as without a cache, byte for byte.
    const plain = async (layers: SbomLayer[]): Promise<string> =>
      JSON.stringify(
        (await generateSbom({subject: SUBJECT, layers, bases: [], created: CREATED, toolName: 't'}))
          .document,
      )
    expect(JSON.stringify(first.document)).toBe(await plain([base, deletes]))
    expect(JSON.stringify(second.document)).toBe(await plain([base, adds]))
  })

  test('a layer that fails to read is not kept: the next SBOM reads it again', async () => {
    const cache = createSbomLayerCache()
    const broken = blobLayer(Buffer.from('not a gzip stream'), GZIP_LAYER)
    const run = (): Promise<SbomResult> =>
      generateSbom({
        subject: SUBJECT,
        layers: [broken],
        bases: [],
        created: CREATED,
        toolName: 't',
        cache,
      })
    await expect(run()).rejects.toThrow()
    await expect(run()).rejects.toThrow()
    expect(broken.opened).toBe(2)
  })
})
