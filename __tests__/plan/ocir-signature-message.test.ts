import {expect, test} from 'vitest'
import {
  ocirImageUri,
  ocirSignatureMessage,
  type OcirSignatureFields,
} from '../../src/plan/ocir-signature-message.js'

const fields: OcirSignatureFields = {
  description: 'Signed by ocir-push',
  imageDigest: `sha256:${'cd'.repeat(32)}`,
  kmsKeyId: 'ocid1.key.oc1.iad.vault.aaaa',
  kmsKeyVersionId: 'ocid1.keyversion.oc1.iad.0.vault.bbbb',
  metadata: '',
  region: 'us-ashburn-1',
  repositoryName: 'team/api',
  signingAlgorithm: 'SHA_256_RSA_PKCS_PSS',
}

test.each([
  {why: 'every field, in the SDK examples’ order', given: fields},
  {
    why: 'metadata JSON stays a string inside the JSON',
    given: {
      ...fields,
      metadata: '{"buildNumber":"123"}',
      signingAlgorithm: 'SHA_512_RSA_PKCS_PSS' as const,
    },
  },
])('the message is base64 JSON of $why', ({given}) => {
  const decoded = Buffer.from(ocirSignatureMessage(given), 'base64').toString('utf8')
  expect(Object.keys(JSON.parse(decoded) as object)).toEqual([
    'description',
    'imageDigest',
    'kmsKeyId',
    'kmsKeyVersionId',
    'metadata',
    'region',
    'repositoryName',
    'signingAlgorithm',
  ])
  expect(JSON.parse(decoded)).toEqual(given)
})

test.each([
  {why: 'a plain repository', repository: 'todo-frontend', want: 'ns1/todo-frontend@sha256:x'},
  {why: 'a repository with a slash', repository: 'team/api', want: 'ns1/team/api@sha256:x'},
])('image URI: $why', ({repository, want}) => {
  expect(ocirImageUri('ns1', repository, 'sha256:x')).toBe(want)
})
