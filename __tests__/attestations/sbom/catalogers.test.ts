import {describe, expect, test} from 'vitest'
import {parseApkInstalled} from '../../../src/attestations/sbom/apk.js'
import {normalizeEntryPath} from '../../../src/attestations/sbom/catalog-layer.js'
import {catalogerFor} from '../../../src/attestations/sbom/catalogers.js'
import {parseParagraphs} from '../../../src/attestations/sbom/control-fields.js'
import {isInstalled, parseDpkgStatus} from '../../../src/attestations/sbom/dpkg.js'
import {
  goPackages,
  parseBuildInfo,
  parseModuleInfo,
} from '../../../src/attestations/sbom/go-buildinfo.js'
import {parseNpmPackage} from '../../../src/attestations/sbom/npm.js'
import {parseOsRelease} from '../../../src/attestations/sbom/os-release.js'
import {imagePurl, packagePurl} from '../../../src/attestations/sbom/purl.js'
import {buildInfoBlock, SENTINEL_END, SENTINEL_START} from '../../fixtures/sbom/go-binary.js'
import {normalizePythonName, parsePythonMetadata} from '../../../src/attestations/sbom/python.js'

const STATUS = `Package: bash
Essential: yes
Status: install ok installed
Priority: required
Architecture: amd64
Multi-Arch: foreign
Version: 5.2.15-2+b8
Description: GNU Bourne Again SHell
 Bash is an sh-compatible command language interpreter.
 .
 Package: not-a-package
 Version: 0

Package: old-config
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: held
Status: hold ok installed
Architecture: all
Version: 1:2.3~rc1-4
Conffiles:
 /etc/held.conf 0123456789abcdef

Package: half
Status: install reinstreq half-installed
Version: 2

Package: libc6
Status: install ok installed
Architecture: i386
Version: 2.36-9+deb12u4
`

describe('dpkg', () => {
  test('installed packages only, with multi-line fields not mistaken for paragraphs', () => {
    expect(parseDpkgStatus(STATUS, true)).toEqual({
      packages: [
        {type: 'deb', name: 'bash', version: '5.2.15-2+b8', arch: 'amd64'},
        {type: 'deb', name: 'held', version: '1:2.3~rc1-4', arch: 'all'},
        {type: 'deb', name: 'libc6', version: '2.36-9+deb12u4', arch: 'i386'},
      ],
    })
  })

  test('a continuation line keeps its text, joined by a newline', () => {
    const [bash] = parseParagraphs(STATUS)
    expect(bash.fields.get('description')).toBe(
      'GNU Bourne Again SHell\nBash is an sh-compatible command language interpreter.\n.\n' +
        'Package: not-a-package\nVersion: 0',
    )
    expect(bash.fields.get('multi-arch')).toBe('foreign')
  })

  test.each([
    {why: 'the usual installed status', status: 'install ok installed', want: true},
    {why: 'a held package is installed', status: 'hold ok installed', want: true},
    {why: 'removed, config files left', status: 'deinstall ok config-files', want: false},
    {why: 'half installed', status: 'install reinstreq half-installed', want: false},
    {why: 'not installed', status: 'purge ok not-installed', want: false},
    {why: 'garbage', status: 'installed', want: false},
  ])('status: $why', ({status, want}) => {
    expect(isInstalled(status)).toBe(want)
  })

  test('status.d files: paragraphs without Status are installed, one with Status is judged', () => {
    const text = `Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\nPackage: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\nStatus: deinstall ok config-files\n`
    expect(parseDpkgStatus(text, false).packages.map((item) => item.name)).toEqual(['base-files'])
    expect(parseDpkgStatus(text, true).packages).toEqual([])
  })

  test.each([
    {why: 'no Version', text: 'Package: a\nStatus: install ok installed\n'},
    {
      why: 'a line that is no field',
      text: 'Package: a\nVersion: 1\nStatus: install ok installed\nnonsense\n',
    },
    {why: 'a continuation first', text: ' indented\nPackage: a\nVersion: 1\n'},
    {why: 'spaces in the name', text: 'Package: a b\nVersion: 1\nStatus: install ok installed\n'},
  ])('a malformed paragraph is skipped with a note: $why', ({text}) => {
    const found = parseDpkgStatus(
      `${text}\nPackage: ok\nVersion: 1\nStatus: install ok installed\n`,
      true,
    )
    expect(found.packages.map((item) => item.name)).toEqual(['ok'])
    expect(found.note).toMatch(/1 malformed paragraph/)
  })

  test('binary garbage yields nothing, and a note, without throwing', () => {
    const found = parseDpkgStatus(Buffer.from([0, 1, 2, 255, 10, 58, 10]).toString('utf8'), true)
    expect(found.packages).toEqual([])
    expect(found.note).toMatch(/malformed/)
  })
})

describe('apk', () => {
  test('P:, V:, A: of each paragraph; other letters ignored', () => {
    const text =
      'C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nS:383152\nT:the musl c library\n\n' +
      'P:busybox\nV:1.36.1-r5\nA:aarch64\nr:busybox-suid\n\n\n'
    expect(parseApkInstalled(text)).toEqual({
      packages: [
        {type: 'apk', name: 'musl', version: '1.2.4-r2', arch: 'x86_64'},
        {type: 'apk', name: 'busybox', version: '1.36.1-r5', arch: 'aarch64'},
      ],
    })
  })

  test('a paragraph without V: or with a line that is no field is skipped with a note', () => {
    const found = parseApkInstalled('P:a\nA:x86_64\n\nP:b\nV:1\nrubbish line\n\nP:c\nV:2\n')
    expect(found.packages.map((item) => item.name)).toEqual(['c'])
    expect(found.note).toMatch(/2 malformed paragraph/)
  })
})

describe('npm', () => {
  test.each([
    {why: 'a plain package', text: '{"name":"left-pad","version":"1.3.0"}', name: 'left-pad'},
    {
      why: 'a scoped package',
      text: '{"name":"@babel/core","version":"7.24.0"}',
      name: '@babel/core',
    },
    {why: 'a byte order mark', text: '\uFEFF{"name":"bom","version":"1.0.0"}', name: 'bom'},
  ])('$why', ({text, name}) => {
    expect(parseNpmPackage(text).packages.map((item) => item.name)).toEqual([name])
  })

  test.each([
    {why: 'not JSON', text: '{"name":', note: /not valid JSON/},
    {why: 'JSON null', text: 'null', note: /name/},
    {why: 'no version', text: '{"name":"a"}', note: /version/},
    {why: 'a version that is no string', text: '{"name":"a","version":1}', note: /version/},
    {why: 'a name with a slash but no scope', text: '{"name":"a/b","version":"1"}', note: /name/},
    {why: 'a name that is an object', text: '{"name":{},"version":"1"}', note: /name/},
  ])('skipped with a note: $why', ({text, note}) => {
    const found = parseNpmPackage(text)
    expect(found.packages).toEqual([])
    expect(found.note).toMatch(note)
  })
})

describe('python', () => {
  test.each([
    {name: 'Django', want: 'django'},
    {name: 'zope.interface', want: 'zope-interface'},
    {name: 'typing_extensions', want: 'typing-extensions'},
    {name: 'Foo.-_Bar', want: 'foo-bar'},
  ])('PEP 503 name $name → $want', ({name, want}) => {
    expect(normalizePythonName(name)).toBe(want)
  })

  test('Name and Version come from the headers, not from the description below them', () => {
    const text =
      'Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0.1\nSummary: YAML parser\n' +
      'License: MIT\n  continued\n\nName: fake\nVersion: 9\n'
    expect(parsePythonMetadata(text).packages).toEqual([
      {type: 'pypi', name: 'PyYAML', version: '6.0.1'},
    ])
  })

  test('Version in the description only: skipped with a note', () => {
    const found = parsePythonMetadata('Name: a\n\nVersion: 1\n')
    expect(found.packages).toEqual([])
    expect(found.note).toMatch(/Version/)
  })
})

describe('os-release', () => {
  test.each([
    {why: 'plain', text: 'NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n', want: 'debian'},
    {why: 'double quotes', text: 'VERSION_ID=22.04\nID="ubuntu"\n', want: 'ubuntu'},
    {why: 'single quotes, upper case', text: "ID='Alpine'\n", want: 'alpine'},
  ])('ID: $why', ({text, want}) => {
    expect(parseOsRelease(text).distroId).toBe(want)
  })

  test('an ID that cannot be a purl namespace is not used', () => {
    expect(parseOsRelease('ID="bad/id"\n')).toEqual({packages: [], note: 'unusable ID "bad/id"'})
  })
})

describe('purls', () => {
  test.each([
    {
      why: 'deb: + encoded, the epoch colon and ~ kept, distro from os-release',
      record: {type: 'deb', name: 'held', version: '1:2.3~rc1+b2', arch: 'all'},
      distro: 'ubuntu',
      want: 'pkg:deb/ubuntu/held@1:2.3~rc1%2Bb2?arch=all',
    },
    {
      why: 'deb: debian when there is no os-release',
      record: {type: 'deb', name: 'bash', version: '5.2.15-2+b8', arch: 'amd64'},
      distro: undefined,
      want: 'pkg:deb/debian/bash@5.2.15-2%2Bb8?arch=amd64',
    },
    {
      why: 'apk: alpine by default, no arch when none is known',
      record: {type: 'apk', name: 'musl', version: '1.2.4-r2'},
      distro: undefined,
      want: 'pkg:apk/alpine/musl@1.2.4-r2',
    },
    {
      why: 'npm: the scope is the namespace, its @ encoded',
      record: {type: 'npm', name: '@babel/core', version: '7.24.0'},
      distro: 'debian',
      want: 'pkg:npm/%40babel/core@7.24.0',
    },
    {
      why: 'npm: + of build metadata encoded',
      record: {type: 'npm', name: 'x', version: '1.0.0-rc.1+build.5'},
      distro: undefined,
      want: 'pkg:npm/x@1.0.0-rc.1%2Bbuild.5',
    },
    {
      why: 'pypi: the normalised name',
      record: {type: 'pypi', name: 'Zope.Interface', version: '6.1'},
      distro: undefined,
      want: 'pkg:pypi/zope-interface@6.1',
    },
    {
      why: 'golang: the module path as namespace and name, its case kept',
      record: {type: 'golang', name: 'github.com/Azure/go-ansiterm', version: 'v0.0.0-20230124'},
      distro: undefined,
      want: 'pkg:golang/github.com/Azure/go-ansiterm@v0.0.0-20230124',
    },
    {
      why: 'golang: a +incompatible version',
      record: {type: 'golang', name: 'gopkg.in/yaml.v2', version: 'v2.4.0+incompatible'},
      distro: undefined,
      want: 'pkg:golang/gopkg.in/yaml.v2@v2.4.0%2Bincompatible',
    },
  ] as const)('$why', ({record, distro, want}) => {
    expect(packagePurl(record, distro)).toBe(want)
  })

  test.each([
    {
      why: 'an image with its digest, arch and repository (colon kept, slashes kept)',
      image: {
        repository: 'localhost:5000/ns/App',
        digest: `sha256:${'a'.repeat(64)}`,
        arch: 'arm64',
      },
      want: `pkg:oci/app@sha256:${'a'.repeat(64)}?arch=arm64&repository_url=localhost:5000/ns/App`,
    },
    {
      why: 'a base image known by tag only',
      image: {repository: 'docker.io/library/debian', tag: '12-slim'},
      want: 'pkg:oci/debian?repository_url=docker.io/library/debian&tag=12-slim',
    },
  ])('oci: $why', ({image, want}) => {
    expect(imagePurl(image)).toBe(want)
  })
})

describe('which files are read', () => {
  test.each([
    {path: 'var/lib/dpkg/status', want: true},
    {path: 'var/lib/dpkg/status-old', want: false},
    {path: 'var/lib/dpkg/status.d/base-files', want: true},
    {path: 'var/lib/dpkg/status.d/base-files.md5sums', want: false},
    {path: 'var/lib/dpkg/status.d/sub/x', want: false},
    {path: 'lib/apk/db/installed', want: true},
    {path: 'etc/os-release', want: true},
    {path: 'usr/lib/os-release', want: true},
    {path: 'app/node_modules/express/package.json', want: true},
    {path: 'node_modules/@types/node/package.json', want: true},
    {path: 'a/node_modules/b/node_modules/c/package.json', want: true},
    {path: 'app/node_modules/express/lib/package.json', want: false},
    {path: 'app/node_modules/@scope/package.json', want: false},
    {path: 'app/node_modules/.bin/package.json', want: false},
    {path: 'app/package.json', want: false},
    {path: 'usr/lib/python3/dist-packages/PyYAML-6.0.1.dist-info/METADATA', want: true},
    {path: 'x.dist-info/RECORD', want: false},
  ])('$path: $want', ({path, want}) => {
    expect(catalogerFor(path) !== undefined).toBe(want)
  })

  test.each([
    {path: './var/lib/dpkg/status', want: 'var/lib/dpkg/status'},
    {path: 'usr//lib/./x/', want: 'usr/lib/x'},
    {path: './', want: ''},
    {path: '/etc/passwd', want: undefined},
    {path: '../../etc/passwd', want: undefined},
    {path: 'a/../../b', want: undefined},
    {path: './/etc', want: undefined},
  ])('entry path $path → $want', ({path, want}) => {
    expect(normalizeEntryPath(path)).toBe(want)
  })
})

describe('Go build information', () => {
  const modinfo =
    'path\texample.com/app\nmod\texample.com/app\tv1.4.0\th1:abc=\n' +
    'dep\tgithub.com/spf13/cobra\tv1.8.0\th1:x=\n' +
    'dep\tgolang.org/x/sys\tv0.1.0\th1:y=\n=>\tgolang.org/x/sys\tv0.2.0\th1:z=\n' +
    'dep\texample.com/local\tv0.0.0\n=>\t../local\t\n' +
    'build\t-compiler=gc\nbuild\tGOARCH=amd64\n'

  test('mod, dep and => lines: replacements with a version replace, local ones are dropped', () => {
    expect(parseModuleInfo(modinfo)).toEqual({
      main: {path: 'example.com/app', version: 'v1.4.0'},
      deps: [
        {path: 'github.com/spf13/cobra', version: 'v1.8.0'},
        {path: 'golang.org/x/sys', version: 'v0.2.0'},
        {path: 'example.com/local', version: 'v0.0.0'},
      ],
    })
  })

  test('a block decodes to the Go version and the modules, framed by the sentinels', () => {
    const info = parseBuildInfo(
      buildInfoBlock('go1.22.1', `${SENTINEL_START}${modinfo}${SENTINEL_END}`),
    )
    expect(info).toMatchObject({goVersion: 'go1.22.1', main: {path: 'example.com/app'}})
    expect(goPackages(info).packages.map((item) => `${item.name}@${item.version}`)).toEqual([
      'example.com/app@v1.4.0',
      'github.com/spf13/cobra@v1.8.0',
      'golang.org/x/sys@v0.2.0',
      'example.com/local@v0.0.0',
    ])
  })

  test('a (devel) main module has no version to list', () => {
    const text = `${SENTINEL_START}mod\texample.com/app\t(devel)\t\n${SENTINEL_END}`
    expect(goPackages(parseBuildInfo(buildInfoBlock('go1.22.1', text))).packages).toEqual([])
  })

  test.each([
    {
      why: 'before Go 1.18 (pointers, not strings)',
      block: buildInfoBlock('go1.17', '', 0),
      note: /before Go 1.18/,
    },
    {
      why: 'a string longer than the block',
      block: buildInfoBlock('go1.22', 'x'.repeat(40)).subarray(0, 50),
      note: undefined,
    },
    {why: 'no Go version', block: buildInfoBlock('hello', ''), note: undefined},
  ])('$why: nothing listed', ({block, note}) => {
    const found = goPackages(parseBuildInfo(block))
    expect(found.packages).toEqual([])
    expect(found.note).toEqual(note ? expect.stringMatching(note) : undefined)
  })
})
