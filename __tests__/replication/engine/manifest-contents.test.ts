/** What a manifest names, as the copier reads it: children, blobs to copy, foreign layers. */
import {describe, expect, test} from 'vitest'
import {manifestContents} from '../../../src/replication/copy-image.js'
import {CopyError} from '../../../src/replication/copy-error.js'

const d = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))

describe('manifestContents', () => {
  test.each([
    {
      why: 'an index names its children, no blobs',
      given: {
        manifests: [
          {digest: d(1), size: 10},
          {digest: d(2), size: 20},
        ],
      },
      want: {children: [d(1), d(2)], blobs: [], foreign: []},
    },
    {
      why: 'an image names its config, then its layers',
      given: {config: {digest: d(1), size: 5}, layers: [{digest: d(2), size: 6}]},
      want: {children: [], blobs: ['config ' + d(1), 'layer ' + d(2)], foreign: []},
    },
    {
      why: 'a Windows foreign layer is not copied',
      given: {
        config: {digest: d(1), size: 5},
        layers: [
          {
            mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
            digest: d(2),
            size: 6,
            urls: ['https://mcr.microsoft.com/x'],
          },
          {digest: d(3), size: 7},
        ],
      },
      want: {children: [], blobs: ['config ' + d(1), 'layer ' + d(3)], foreign: [d(2)]},
    },
    {
      why: 'an OCI non-distributable layer, or any layer with urls, is foreign',
      given: {
        config: {digest: d(1), size: 5},
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
            digest: d(2),
            size: 1,
          },
          {digest: d(3), size: 7, urls: ['https://example.com/l']},
        ],
      },
      want: {children: [], blobs: ['config ' + d(1)], foreign: [d(2), d(3)]},
    },
  ])('$why', ({given, want}) => {
    const contents = manifestContents(json(given))
    expect({
      children: contents.children.map((child) => child.digest),
      blobs: contents.blobs.map(({blob, kind}) => `${kind} ${blob.digest}`),
      foreign: contents.foreign.map((layer) => layer.digest),
    }).toEqual(want)
  })

  test.each([
    {
      why: 'a digest that is not sha256',
      given: {layers: [{digest: 'md5:abc', size: 1}]},
      error: /a descriptor names 'md5:abc', not a sha256 digest/,
    },
    {
      why: 'a missing size',
      given: {config: {digest: d(1)}},
      error: /the descriptor of sha256:1+ has no usable size \(undefined\)/,
    },
    {
      why: 'a negative size',
      given: {manifests: [{digest: d(1), size: -1}]},
      error: /has no usable size \(-1\)/,
    },
  ])('refuses $why', ({given, error}) => {
    expect(() => manifestContents(json(given))).toThrow(CopyError)
    expect(() => manifestContents(json(given))).toThrow(error)
  })
})
