import {describe, expect, test} from 'vitest'

import {computeTags} from '../../../src/plan/tags/compute-tags.js'
import {computeLabels, type RepositoryData} from '../../../src/plan/tags/labels.js'
import {NOW, PR_HEAD_SHA, SHA, runContext} from './run-context.js'

const REPOSITORY: RepositoryData = {
  html_url: 'https://github.com/acme/todo',
  name: 'todo',
  description: 'A todo app',
  license: {spdx_id: 'MIT'},
}

describe('computeLabels', () => {
  test.each([
    {
      why: 'every label when the repository is known',
      repository: REPOSITORY,
      want: {
        'org.opencontainers.image.created': '2020-01-10T00:30:00.000Z',
        'org.opencontainers.image.description': 'A todo app',
        'org.opencontainers.image.licenses': 'MIT',
        'org.opencontainers.image.revision': SHA,
        'org.opencontainers.image.source': 'https://github.com/acme/todo',
        'org.opencontainers.image.title': 'todo',
        'org.opencontainers.image.url': 'https://github.com/acme/todo',
        'org.opencontainers.image.version': '1.2.3',
      },
    },
    {
      why: 'missing repository data is left out',
      repository: undefined,
      want: {
        'org.opencontainers.image.created': '2020-01-10T00:30:00.000Z',
        'org.opencontainers.image.revision': SHA,
        'org.opencontainers.image.version': '1.2.3',
      },
    },
    {
      why: 'null description and license are left out',
      repository: {
        html_url: 'https://github.com/acme/todo',
        name: 'todo',
        description: null,
        license: null,
      },
      want: {
        'org.opencontainers.image.created': '2020-01-10T00:30:00.000Z',
        'org.opencontainers.image.revision': SHA,
        'org.opencontainers.image.source': 'https://github.com/acme/todo',
        'org.opencontainers.image.title': 'todo',
        'org.opencontainers.image.url': 'https://github.com/acme/todo',
        'org.opencontainers.image.version': '1.2.3',
      },
    },
    {
      why: "GitHub's NOASSERTION is no license",
      repository: {license: {spdx_id: 'NOASSERTION'}},
      want: {
        'org.opencontainers.image.created': '2020-01-10T00:30:00.000Z',
        'org.opencontainers.image.revision': SHA,
        'org.opencontainers.image.version': '1.2.3',
      },
    },
  ])('$why', ({repository, want}) => {
    expect(computeLabels({now: NOW, revision: SHA, version: '1.2.3', repository})).toEqual(want)
  })

  test('an empty version or revision is left out', () => {
    expect(computeLabels({now: NOW, revision: '', version: ''})).toEqual({
      'org.opencontainers.image.created': '2020-01-10T00:30:00.000Z',
    })
  })

  test('keys come out sorted', () => {
    const keys = Object.keys(
      computeLabels({now: NOW, revision: SHA, version: '1', repository: REPOSITORY}),
    )
    expect(keys).toEqual([...keys].sort())
  })

  test('on a pull request the revision and version come from the plan: PR head and pr-<n>', () => {
    const plan = computeTags([], [], runContext('pull_request'))
    const labels = computeLabels({
      now: NOW,
      revision: plan.revision ?? '',
      version: plan.version,
      repository: REPOSITORY,
    })
    expect(labels['org.opencontainers.image.revision']).toEqual(PR_HEAD_SHA)
    expect(labels['org.opencontainers.image.version']).toEqual('pr-42')
  })

  test('created follows SOURCE_DATE_EPOCH, not the wall clock', () => {
    const sourceDateEpoch = 1700000000
    const labels = computeLabels({
      now: new Date(sourceDateEpoch * 1000),
      revision: SHA,
      version: '1',
    })
    expect(labels['org.opencontainers.image.created']).toEqual('2023-11-14T22:13:20.000Z')
  })
})
