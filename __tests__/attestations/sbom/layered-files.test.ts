import {expect, test} from 'vitest'
import {LayeredFiles} from '../../../src/attestations/sbom/layered-files.js'

/**
 * A layer as a list of steps: `keep path=value` (a file of interest), `file path` (any other
 * non-directory entry), `dir path`, `wh path` (.wh.<name>), `opq dir` (.wh..wh..opq).
 */
type Step = string

function stack(layers: Step[][]): string[] {
  const files = new LayeredFiles<string>()
  for (const layer of layers) {
    for (const step of layer) {
      const [op, arg] = step.split(' ')
      if (op === 'keep') files.keep(arg.split('=')[0], arg.split('=')[1])
      else if (op === 'file') files.entry(arg, false)
      else if (op === 'dir') files.entry(arg, true)
      else if (op === 'wh') files.whiteout(arg)
      else if (op === 'opq') files.opaque(arg === '/' ? '' : arg)
      else throw new Error(`unknown step ${step}`)
    }
    files.endLayer()
  }
  return files.entries().map(([path, value]) => `${path}=${value}`)
}

test.each([
  {
    why: 'files of several layers add up, sorted by path',
    layers: [['keep b/x=1'], ['keep a/y=2']],
    want: ['a/y=2', 'b/x=1'],
  },
  {
    why: 'an upper file replaces a lower one',
    layers: [['keep var/lib/dpkg/status=old'], ['keep var/lib/dpkg/status=new']],
    want: ['var/lib/dpkg/status=new'],
  },
  {
    why: 'an upper entry that is not of interest (a symlink) hides the lower file',
    layers: [['keep var/lib/dpkg/status=old'], ['file var/lib/dpkg/status']],
    want: [],
  },
  {
    why: 'a whiteout deletes a lower file',
    layers: [['keep n/a/package.json=a', 'keep n/b/package.json=b'], ['wh n/a/package.json']],
    want: ['n/b/package.json=b'],
  },
  {
    why: 'a whiteout of a directory deletes everything below it',
    layers: [
      ['keep n/a/package.json=a', 'keep n/a/x/package.json=ax', 'keep n/ab/package.json=ab'],
      ['wh n/a'],
    ],
    want: ['n/ab/package.json=ab'],
  },
  {
    why: 'a whiteout does not touch its own layer (the file added next to it stays)',
    layers: [['keep n/a/package.json=old'], ['wh n/a', 'keep n/a/package.json=new']],
    want: ['n/a/package.json=new'],
  },
  {
    why: "an opaque directory hides the lower content, not its own layer's",
    layers: [
      ['keep site/a/METADATA=a', 'keep site/b/METADATA=b', 'keep other/METADATA=o'],
      ['opq site', 'keep site/c/METADATA=c'],
    ],
    want: ['other/METADATA=o', 'site/c/METADATA=c'],
  },
  {
    why: 'an opaque root hides every lower layer',
    layers: [
      ['keep a=1', 'keep b/c=2'],
      ['opq /', 'keep d=3'],
    ],
    want: ['d=3'],
  },
  {
    why: 'a file where a lower directory was hides that directory',
    layers: [['keep app/node_modules/a/package.json=a'], ['file app/node_modules']],
    want: [],
  },
  {
    why: 'a directory entry over a lower directory merges with it',
    layers: [
      ['keep app/node_modules/a/package.json=a'],
      ['dir app/node_modules', 'keep app/node_modules/b/package.json=b'],
    ],
    want: ['app/node_modules/a/package.json=a', 'app/node_modules/b/package.json=b'],
  },
  {
    why: 'a directory where a lower file was replaces the file',
    layers: [['keep etc/os-release=x'], ['dir etc/os-release']],
    want: [],
  },
  {
    why: 'a later entry at the same path in one layer wins',
    layers: [
      ['keep a=1', 'file a'],
      ['keep b=2', 'keep b=3'],
    ],
    want: ['b=3'],
  },
  {
    why: 'a deleted file comes back when an upper layer adds it again',
    layers: [['keep a=1'], ['wh a'], ['keep a=2']],
    want: ['a=2'],
  },
  {
    why: 'whiteouts of paths no lower layer has change nothing',
    layers: [['keep a/b=1'], ['wh a/c', 'opq z', 'wh b']],
    want: ['a/b=1'],
  },
])('$why', ({layers, want}) => {
  expect(stack(layers)).toEqual(want)
})

test('find: the current layer first, then the lower ones (hard links)', () => {
  const files = new LayeredFiles<string>()
  files.keep('lower', 'L')
  files.endLayer()
  files.keep('upper', 'U')
  expect([files.find('upper'), files.find('lower'), files.find('none')]).toEqual([
    'U',
    'L',
    undefined,
  ])
})
