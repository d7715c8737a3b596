import {expect, test} from 'vitest'
import {parseImageReference} from '../../src/plan/image-reference.js'

const D = `sha256:${'a'.repeat(64)}`

test.each([
  {
    why: 'a bare official image is library/ on Docker Hub, tag latest',
    ref: 'busybox',
    want: {
      registry: 'docker.io',
      apiHost: 'registry-1.docker.io',
      repository: 'library/busybox',
      tag: 'latest',
      digest: undefined,
      canonical: 'docker.io/library/busybox:latest',
    },
  },
  {
    why: 'a user image on Docker Hub keeps its namespace',
    ref: 'bitnami/redis:7.2',
    want: {registry: 'docker.io', repository: 'bitnami/redis', tag: '7.2'},
  },
  {
    why: 'docker.io spelled out is still Docker Hub, with library/ added',
    ref: 'docker.io/node:20-alpine',
    want: {
      registry: 'docker.io',
      apiHost: 'registry-1.docker.io',
      repository: 'library/node',
      tag: '20-alpine',
    },
  },
  {
    why: 'index.docker.io is an alias of Docker Hub',
    ref: 'index.docker.io/library/alpine',
    want: {registry: 'docker.io', repository: 'library/alpine', tag: 'latest'},
  },
  {
    why: 'a first component with a dot is a host',
    ref: 'ghcr.io/a/b:1',
    want: {registry: 'ghcr.io', apiHost: 'ghcr.io', repository: 'a/b', tag: '1'},
  },
  {
    why: 'localhost is a host even without a dot or port',
    ref: 'localhost/x',
    want: {registry: 'localhost', repository: 'x', tag: 'latest'},
  },
  {
    why: 'a first component with a port is a host, and a host keeps a one-part repository as is',
    ref: 'localhost:5000/x',
    want: {registry: 'localhost:5000', apiHost: 'localhost:5000', repository: 'x', tag: 'latest'},
  },
  {
    why: 'the test base image on the loopback registry',
    ref: '127.0.0.1:5000/ocir-push-test/busybox:latest',
    want: {
      registry: '127.0.0.1:5000',
      repository: 'ocir-push-test/busybox',
      tag: 'latest',
      canonical: '127.0.0.1:5000/ocir-push-test/busybox:latest',
    },
  },
  {
    why: 'a first component without dot or colon is a Docker Hub namespace, not a host',
    ref: 'myregistry/app',
    want: {registry: 'docker.io', repository: 'myregistry/app'},
  },
  {
    why: 'a digest alone: no tag is made up',
    ref: `busybox@${D}`,
    want: {
      repository: 'library/busybox',
      tag: undefined,
      digest: D,
      canonical: `docker.io/library/busybox@${D}`,
    },
  },
  {
    why: 'a tag and a digest: both kept, the digest is what counts',
    ref: `ghcr.io/a/b:1.2@${D}`,
    want: {registry: 'ghcr.io', repository: 'a/b', tag: '1.2', digest: D},
  },
  {
    why: 'a port and no tag: the colon is the port, not a tag',
    ref: 'registry.example:8443/team/app',
    want: {registry: 'registry.example:8443', repository: 'team/app', tag: 'latest'},
  },
])('$why', ({ref, want}) => {
  expect(parseImageReference(ref)).toMatchObject(want)
})

test.each([
  {why: 'an empty reference', ref: ''},
  {why: 'upper case in the repository', ref: 'ghcr.io/Acme/app'},
  {why: 'an empty tag (an ARG that expanded to nothing)', ref: 'node:'},
  {why: 'a leftover variable', ref: 'node:${VERSION}'},
  {why: 'a short sha256 digest', ref: 'busybox@sha256:abc'},
  {why: 'a double slash', ref: 'ghcr.io//app'},
])('rejects $why', ({ref}) => {
  expect(parseImageReference(ref)).toBeUndefined()
})
