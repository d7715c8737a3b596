import {describe, expect, test} from 'vitest'
import {InputError} from '../../src/errors.js'
import {
  attachedTo,
  closedPullRequest,
  decideRetention,
  deletedBefore,
  parseTagPatterns,
  unlistedSubjects,
  type RetentionRules,
  type StoredVersion,
} from '../../src/plan/retention.js'

const NOW = new Date('2024-06-30T00:00:00Z')
const IMAGE = 'application/vnd.oci.image.manifest.v1+json'
const INDEX = 'application/vnd.oci.image.index.v1+json'

/** A version created `daysAgo` days before NOW. */
function version(
  digest: string,
  tags: string[],
  daysAgo: number | undefined,
  extra: Partial<StoredVersion> = {},
): StoredVersion {
  return {
    digest,
    tags,
    created: daysAgo === undefined ? undefined : new Date(NOW.getTime() - daysAgo * 86_400_000),
    mediaType: extra.children ? INDEX : IMAGE,
    children: [],
    ...extra,
  }
}

function rules(extra: Partial<RetentionRules> = {}): RetentionRules {
  return {keepLast: 2, keepTags: [], defaultBranch: 'main', now: NOW, ...extra}
}

/** The digests (and single tags) a decision deletes, in order. */
function deleted(versions: StoredVersion[], given: RetentionRules, canDeleteTag = false): string[] {
  return decideRetention(versions, given, {canDeleteTag}).deletions.map((deletion) =>
    deletion.kind === 'digest' ? deletion.digest : `${deletion.digest}:${deletion.tag}`,
  )
}

describe('decideRetention: keep-last, keep-days, kept tags', () => {
  test.each([
    {
      why: 'keep-last keeps the newest N versions and deletes the rest, oldest first',
      versions: [
        version('d1', ['sha-1'], 5),
        version('d2', ['sha-2'], 4),
        version('d3', ['sha-3'], 3),
        version('d4', ['sha-4'], 2),
      ],
      rules: rules(),
      want: ['d1', 'd2'],
    },
    {
      why: 'latest, the default branch and release versions with their aliases are always kept',
      versions: [
        version('d1', ['1.0.0', '1.0'], 9),
        version('d2', ['1', 'v1.1.0'], 8),
        version('d3', ['latest'], 7),
        version('d4', ['main', 'sha-4'], 6),
        version('d5', ['sha-5'], 5),
        version('d6', ['sha-6'], 1),
        version('d7', ['sha-7'], 0),
      ],
      rules: rules(),
      want: ['d5'],
    },
    {
      why: 'a version is the set of tags on a digest: one kept tag keeps the digest for all',
      versions: [version('d1', ['sha-1', 'pr-3', '2.0.0'], 30), version('d2', ['sha-2'], 1)],
      rules: rules({keepLast: 0}),
      want: ['d2'],
    },
    {
      why: 'keep-days keeps anything younger, beyond keep-last',
      versions: [
        version('d1', ['sha-1'], 20),
        version('d2', ['sha-2'], 6),
        version('d3', ['sha-3'], 1),
      ],
      rules: rules({keepLast: 1, keepDays: 7}),
      want: ['d1'],
    },
    {
      why: 'keep-tags globs and /regex/ keep what they match',
      versions: [
        version('d1', ['nightly-2024'], 20),
        version('d2', ['stable'], 20),
        version('d3', ['sha-3'], 20),
      ],
      rules: rules({keepLast: 0, keepTags: parseTagPatterns(['nightly-*', '/^st(a|u)ble$/'])}),
      want: ['d3'],
    },
    {
      why: 'an unknown creation time is never the one to go',
      versions: [version('d1', ['sha-1'], undefined), version('d2', ['sha-2'], 3)],
      rules: rules({keepLast: 0}),
      want: ['d2'],
    },
    {
      why: 'an index counts as one version; its legs stay with it',
      versions: [
        version('i1', ['sha-9'], 1, {children: ['a1', 'b1']}),
        version('a1', ['sha-9-linux-amd64'], 1),
        version('b1', ['sha-9-linux-arm64'], 1),
        version('d1', ['sha-1'], 5),
        version('d2', ['sha-2'], 4),
      ],
      rules: rules({keepLast: 2}),
      want: ['d1'],
    },
    {
      why: 'an index goes with its legs, the index first',
      versions: [
        version('a1', ['sha-9-linux-amd64'], 9),
        version('i1', ['sha-9'], 9, {children: ['a1', 'b1']}),
        version('b1', [], 9),
        version('d2', ['sha-2'], 1),
      ],
      rules: rules({keepLast: 1}),
      want: ['i1', 'a1', 'b1'],
    },
    {
      why: 'a leg of a kept index stays although a deleted index references it too',
      versions: [
        version('i1', ['sha-1'], 9, {children: ['a1']}),
        version('i2', ['latest'], 8, {children: ['a1']}),
        version('a1', ['sha-1-linux-amd64'], 9),
      ],
      rules: rules({keepLast: 0}),
      want: ['i1'],
    },
    {
      why: 'a leg that a kept tag names stays, though its index goes',
      versions: [
        version('i1', ['sha-1'], 9, {children: ['a1', 'b1']}),
        version('a1', ['1.0.0'], 9),
        version('b1', [], 9),
      ],
      rules: rules({keepLast: 0}),
      want: ['i1', 'b1'],
    },
  ])('$why', ({versions, rules: given, want}) => {
    expect(deleted(versions, given)).toEqual(want)
  })
})

/** A sha256 digest of one repeated hex character, and cosign's tag for what is attached to it. */
const dg = (hex: string): string => `sha256:${hex.repeat(64)}`
const attached = (hex: string, kind = 'sig'): string => `sha256-${hex.repeat(64)}.${kind}`
/** A cosign `.sig` manifest: no creation time (its config says 0001-01-01). */
const signature = (hex: string, kind = 'sig'): StoredVersion =>
  version(`${dg(hex)}-${kind}`, [attached(hex, kind)], undefined)

describe('decideRetention: signatures, attestations and SBOMs follow their digest', () => {
  test.each([
    {
      why: 'keep-last counts images, not signatures; a signature goes after its image',
      versions: [1, 2, 3, 4, 5].flatMap((n) => [
        version(dg(String(n)), [`sha-${n}`], 6 - n),
        signature(String(n)),
      ]),
      rules: rules({keepLast: 2}),
      want: [dg('1'), dg('2'), dg('3'), `${dg('1')}-sig`, `${dg('2')}-sig`, `${dg('3')}-sig`],
    },
    {
      why: 'the signature of a digest a kept tag names stays with it',
      versions: [
        version(dg('1'), ['latest', 'sha-1'], 30),
        signature('1'),
        version(dg('2'), ['sha-2'], 20),
        signature('2'),
      ],
      rules: rules({keepLast: 0}),
      want: [dg('2'), `${dg('2')}-sig`],
    },
    {
      why: 'attestations and SBOMs too',
      versions: [
        version(dg('1'), ['sha-1'], 30),
        signature('1', 'att'),
        signature('1', 'sbom'),
        version(dg('2'), ['sha-2'], 1),
        signature('2', 'att'),
      ],
      rules: rules({keepLast: 1}),
      want: [dg('1'), `${dg('1')}-att`, `${dg('1')}-sbom`],
    },
    {
      why: "a multi-arch image: the index, then its legs and its signature, then the legs' signatures",
      versions: [
        version(dg('a'), ['sha-9'], 9, {children: [dg('b')]}),
        version(dg('b'), ['sha-9-linux-amd64'], 9),
        signature('a'),
        signature('b'),
        version(dg('c'), ['sha-2'], 1, {children: [dg('d')]}),
        version(dg('d'), [], 1),
        signature('c'),
        signature('d'),
      ],
      rules: rules({keepLast: 1}),
      want: [dg('a'), `${dg('a')}-sig`, dg('b'), `${dg('b')}-sig`],
    },
    {
      why: 'a signature of a digest not listed stays (it may be there, untagged)',
      versions: [version(dg('1'), ['sha-1'], 9), signature('2')],
      rules: rules({keepLast: 0}),
      want: [dg('1')],
    },
    {
      why: 'a signature left behind by a digest already gone goes',
      versions: [version(dg('1'), ['sha-1'], 1), signature('2')],
      rules: rules({keepLast: 1}),
      gone: [dg('2')],
      want: [`${dg('2')}-sig`],
    },
    {
      why: 'a signature keep-tags matches stays, though its image goes',
      versions: [version(dg('1'), ['sha-1'], 9), signature('1')],
      rules: rules({keepLast: 0, keepTags: parseTagPatterns(['*.sig'])}),
      want: [dg('1')],
    },
    {
      why: 'a digest with a signature tag and an image tag is an image',
      versions: [version(dg('1'), [attached('2'), 'sha-1'], 9), version(dg('3'), ['sha-3'], 1)],
      rules: rules({keepLast: 1}),
      want: [dg('1')],
    },
  ])('$why', ({versions, rules: given, gone, want}) => {
    expect(
      decideRetention(versions, given, {canDeleteTag: false}, new Set(gone)).deletions.map(
        (deletion) => deletion.digest,
      ),
    ).toEqual(want)
  })

  test("a closed pull request's image goes with its signature; the kept ones keep theirs", () => {
    const decision = decideRetention(
      [
        version(dg('1'), ['pr-3'], 1),
        signature('1'),
        version(dg('2'), ['pr-4'], 1),
        signature('2'),
      ],
      rules({keepLast: 0, pullRequest: {number: 3, shaTags: []}}),
      {canDeleteTag: false},
    )
    expect(decision.deletions.map((deletion) => [deletion.digest, deletion.reason])).toEqual([
      [dg('1'), 'pull request 3 is closed'],
      [`${dg('1')}-sig`, `the signature of deleted ${dg('1')}`],
    ])
    expect(decision.kept.map((kept) => [kept.digest, kept.reason])).toEqual([
      [dg('2'), "not pull request 3's"],
      [`${dg('2')}-sig`, `the signature of kept ${dg('2')}`],
    ])
  })

  test('attachedTo, unlistedSubjects and deletedBefore', () => {
    expect(attachedTo({tags: [attached('1'), attached('2', 'att')]})).toEqual([dg('1'), dg('2')])
    expect(attachedTo({tags: [attached('1'), 'sha-1']})).toEqual([])
    expect(attachedTo({tags: []})).toEqual([])
    expect(attachedTo({tags: ['sha256-abc.sig', `sha256-${'A'.repeat(64)}.sig`]})).toEqual([])
    const versions = [
      version(dg('a'), ['sha-9'], 9, {children: [dg('b')]}),
      version(dg('b'), [], 9),
      signature('b'),
      signature('c'),
    ]
    expect(unlistedSubjects(versions)).toEqual([dg('c')])
    expect(Object.fromEntries(deletedBefore(versions))).toEqual({
      [dg('b')]: [dg('a')],
      [`${dg('b')}-sig`]: [dg('b')],
      [`${dg('c')}-sig`]: [dg('c')],
    })
  })
})

describe('decideRetention: a closed pull request', () => {
  const pr = {number: 3, shaTags: ['sha-feed123']}
  test.each([
    {
      why: "deletes the pull request's images (pr-N, the head's sha tag, older heads by label) and nothing else",
      versions: [
        version('p1', ['pr-3', 'sha-feed123'], 1),
        version('p0', ['sha-0ld0000'], 2, {imageVersion: 'pr-3'}),
        version('q1', ['pr-4'], 1),
        version('m1', ['sha-m1'], 50),
      ],
      canDeleteTag: false,
      want: ['p0', 'p1'],
    },
    {
      why: 'a digest a kept tag names stays; only the pull request tag goes where tags can be deleted',
      versions: [version('p1', ['pr-3', 'main'], 1)],
      canDeleteTag: true,
      want: ['p1:pr-3'],
    },
    {
      why: 'a digest a kept tag names stays whole where tags cannot be deleted on their own',
      versions: [version('p1', ['pr-3', 'main'], 1)],
      canDeleteTag: false,
      want: [],
    },
    {
      why: 'a multi-arch pull request image goes with its legs',
      versions: [
        version('pi', ['pr-3'], 1, {children: ['pa']}),
        version('pa', ['sha-feed123-linux-amd64'], 1),
      ],
      canDeleteTag: false,
      want: ['pi', 'pa'],
    },
  ])('$why', ({versions, canDeleteTag, want}) => {
    expect(deleted(versions, rules({keepLast: 0, pullRequest: pr}), canDeleteTag)).toEqual(want)
  })

  test('a digest kept for a tag is noted when its pull request tag cannot go', () => {
    const decision = decideRetention(
      [version('p1', ['pr-3', 'main'], 1)],
      rules({pullRequest: pr}),
      {canDeleteTag: false},
    )
    expect(decision.notes).toEqual([
      'pr-3 stays: its digest is kept (main: the default branch) and this registry cannot delete a tag on its own',
    ])
  })
})

describe('closedPullRequest', () => {
  test.each([
    {
      why: 'a closed pull request gives its number and head sha tag',
      event: 'pull_request',
      payload: {action: 'closed', number: 3, pull_request: {number: 3, head: {sha: 'feed1234567'}}},
      want: {number: 3, shaTags: ['sha-feed123']},
    },
    {
      why: 'an open (synchronize) pull request is not a close',
      event: 'pull_request',
      payload: {action: 'synchronize', number: 3, pull_request: {number: 3}},
      want: undefined,
    },
    {
      why: 'a push is not a pull request',
      event: 'push',
      payload: {action: 'closed'},
      want: undefined,
    },
  ])('$why', ({event, payload, want}) => {
    expect(closedPullRequest(event, payload)).toEqual(want)
  })
})

describe('parseTagPatterns', () => {
  test.each([
    {why: 'a glob matches whole tags', line: 'release-*', tag: 'release-7', match: true},
    {why: 'a glob does not match a longer tag', line: 'v?', tag: 'v10', match: false},
    {why: 'a regex matches anywhere unless anchored', line: '/keep/', tag: 'a-keep-b', match: true},
  ])('$why', ({line, tag, match}) => {
    expect(parseTagPatterns([line])[0].test(tag)).toBe(match)
  })

  test.each([
    {why: 'a regex that does not compile', line: '/(unclosed/', text: /does not compile/},
    {why: 'a glob with characters no tag has', line: 'release/*', text: /tag glob/},
  ])('$why', ({line, text}) => {
    expect(() => parseTagPatterns([line])).toThrow(InputError)
    expect(() => parseTagPatterns([line])).toThrow(/input 'keep-tags'/)
    try {
      parseTagPatterns([line])
    } catch (err) {
      expect((err as InputError).hint).toMatch(text)
    }
  })
})
