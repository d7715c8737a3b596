import {describe, expect, test} from 'vitest'

import {InputError} from '../../../src/errors.js'
import {computeTags} from '../../../src/plan/tags/compute-tags.js'
import type {TagContext} from '../../../src/plan/tags/tag-types.js'
import {MERGE_SHA, PR_HEAD_SHA, SHA, runContext, type RunName} from './run-context.js'

interface Row {
  why: string
  run: RunName
  rules?: string[]
  flavor?: string[]
  context?: Partial<TagContext>
  want: string[]
  version?: string
}

function names(row: Row): string[] {
  return computeTags(row.rules ?? [], row.flavor ?? [], runContext(row.run, row.context)).tags.map(
    (tag) => tag.name,
  )
}

function thrownBy(action: () => unknown): unknown {
  try {
    action()
  } catch (err) {
    return err
  }
  throw new Error('expected an error')
}

describe('branch names that would name a release (a deliberate difference from metadata-action)', () => {
  test.each<Row & {warning: RegExp}>([
    {
      why: 'a branch named latest does not make the tag latest',
      run: 'push feature branch',
      context: {ref: 'refs/heads/latest'},
      want: ['sha-a1b2c3d'],
      warning: /branch 'latest' would make the tag 'latest', which names a release/,
    },
    {
      why: 'a branch named 1.2.3 does not make the release tag 1.2.3',
      run: 'push feature branch',
      context: {ref: 'refs/heads/1.2.3'},
      want: ['sha-a1b2c3d'],
      warning: /branch '1\.2\.3' would make the tag '1\.2\.3'/,
    },
    {
      why: 'a branch named v2.0.0-rc.1 does not either',
      run: 'push feature branch',
      context: {ref: 'refs/heads/v2.0.0-rc.1'},
      want: ['sha-a1b2c3d'],
      warning: /prefix=branch-/,
    },
    {
      why: 'with a prefix the branch tag names no release, so it is kept',
      run: 'push feature branch',
      context: {ref: 'refs/heads/1.2.3'},
      rules: ['type=ref,event=branch,prefix=branch-', 'type=sha'],
      want: ['branch-1.2.3', 'sha-a1b2c3d'],
      warning: /^$/,
    },
  ])('$why', (row) => {
    expect(names(row)).toEqual(row.want)
    const {warnings} = computeTags(row.rules ?? [], [], runContext(row.run, row.context))
    if (row.warning.source === '^$') expect(warnings).toEqual([])
    else expect(warnings.join('\n')).toMatch(row.warning)
  })
})

describe('default rules (tags input empty)', () => {
  test.each<Row>([
    {
      why: 'a push to the default branch gives the branch, sha and latest',
      run: 'push main',
      want: ['main', 'sha-a1b2c3d', 'latest'],
      version: 'main',
    },
    {
      why: 'a push to another branch gives the sanitised branch and sha',
      run: 'push feature branch',
      want: ['feature-Login_Page-2', 'sha-a1b2c3d'],
      version: 'feature-Login_Page-2',
    },
    {
      why: 'a stable semver tag gives full, minor, major, sha and latest',
      run: 'push tag v1.2.3',
      want: ['1.2.3', '1.2', '1', 'sha-a1b2c3d', 'latest'],
      version: '1.2.3',
    },
    {
      why: 'a 0.x release gets no major-only tag',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/v0.4.1'},
      want: ['0.4.1', '0.4', 'sha-a1b2c3d', 'latest'],
      version: '0.4.1',
    },
    {
      why: 'a prerelease tag gets its full version and sha, never latest',
      run: 'push tag v1.3.0-rc.1',
      want: ['1.3.0-rc.1', 'sha-a1b2c3d'],
      version: '1.3.0-rc.1',
    },
    {
      why: 'a tag that is not semver is used as it is, without latest',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/release-42'},
      want: ['release-42', 'sha-a1b2c3d'],
      version: 'release-42',
    },
    {
      why: 'a two-part version tag is not semver and is used as it is',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/v1.2'},
      want: ['v1.2', 'sha-a1b2c3d'],
      version: 'v1.2',
    },
    {
      why: 'a pull request gives pr-<n> and the head commit',
      run: 'pull_request',
      want: ['pr-42', `sha-${PR_HEAD_SHA.slice(0, 7)}`],
      version: 'pr-42',
    },
    {
      why: 'prHeadSha false restores the merge commit',
      run: 'pull_request',
      context: {prHeadSha: false},
      want: ['pr-42', `sha-${MERGE_SHA.slice(0, 7)}`],
    },
    {
      why: 'pull_request_target names the PR, not the base branch',
      run: 'pull_request_target',
      want: ['pr-43', 'sha-c0ffee0'],
      version: 'pr-43',
    },
    {
      why: 'a published release tags its version and moves latest',
      run: 'release',
      want: ['2.0.0', '2.0', '2', 'sha-a1b2c3d', 'latest'],
      version: '2.0.0',
    },
    {
      why: 'a release whose GITHUB_REF is not a tag uses release.tag_name',
      run: 'release',
      context: {ref: ''},
      want: ['2.0.0', '2.0', '2', 'sha-a1b2c3d', 'latest'],
    },
    {
      why: 'a schedule run is nightly and never latest',
      run: 'schedule',
      want: ['nightly', 'main', 'sha-a1b2c3d'],
      version: 'nightly',
    },
    {
      why: 'workflow_dispatch on the default branch acts like a push',
      run: 'workflow_dispatch',
      want: ['main', 'sha-a1b2c3d', 'latest'],
    },
    {
      why: 'workflow_dispatch on another branch gets no latest',
      run: 'workflow_dispatch',
      context: {ref: 'refs/heads/dev'},
      want: ['dev', 'sha-a1b2c3d'],
    },
    {
      why: 'a create event for a semver tag acts like a tag push',
      run: 'create tag',
      want: ['1.0.0', '1.0', '1', 'sha-a1b2c3d', 'latest'],
    },
    {
      why: 'a create event for a branch gives the branch without latest',
      run: 'create branch',
      want: ['release-2024.03', 'sha-a1b2c3d'],
    },
    {
      why: 'an event with an empty ref only gets the sha',
      run: 'empty ref',
      want: ['sha-a1b2c3d'],
      version: 'sha-a1b2c3d',
    },
    {
      why: 'an event with neither ref nor sha gets no tags',
      run: 'empty ref',
      context: {sha: ''},
      want: [],
      version: '',
    },
    {
      why: 'no latest when the default branch is another one',
      run: 'push main',
      context: {defaultBranch: 'develop'},
      want: ['main', 'sha-a1b2c3d'],
    },
    {
      why: 'the payload default branch is used when the API gave none',
      run: 'push main',
      context: {defaultBranch: undefined},
      want: ['main', 'sha-a1b2c3d', 'latest'],
    },
    {
      why: 'no latest when the default branch is unknown everywhere',
      run: 'push main',
      context: {defaultBranch: undefined, payload: {}},
      want: ['main', 'sha-a1b2c3d'],
    },
    {
      why: 'latest=false in the flavor turns the default latest off',
      run: 'push main',
      flavor: ['latest=false'],
      want: ['main', 'sha-a1b2c3d'],
    },
    {
      why: 'comment and blank lines count as no rules',
      run: 'push main',
      rules: ['# nothing yet', '   '],
      want: ['main', 'sha-a1b2c3d', 'latest'],
    },
  ])('$why', (row) => {
    const plan = computeTags(row.rules ?? [], row.flavor ?? [], runContext(row.run, row.context))
    expect(plan.tags.map((tag) => tag.name)).toEqual(row.want)
    if (row.version !== undefined) expect(plan.version).toEqual(row.version)
  })
})

describe('rule types', () => {
  test.each<Row>([
    // schedule
    {
      why: 'schedule defaults to nightly on a schedule run',
      run: 'schedule',
      rules: ['type=schedule'],
      want: ['nightly'],
    },
    {why: 'schedule makes nothing on a push', run: 'push main', rules: ['type=schedule'], want: []},
    {
      why: 'schedule renders a date pattern',
      run: 'schedule',
      rules: ["type=schedule,pattern={{date 'YYYYMMDD'}}"],
      want: ['20200110'],
    },
    {
      why: 'schedule renders a date in a time zone',
      run: 'schedule',
      rules: ["type=schedule,pattern={{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}"],
      want: ['20200110-093000'],
    },
    {
      why: 'schedule pattern may use global expressions',
      run: 'schedule',
      rules: ["type=schedule,pattern={{branch}}-{{date 'YYYYMMDD'}}"],
      want: ['main-20200110'],
    },
    // semver
    {
      why: 'semver {{version}} strips the v and adds latest',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}}'],
      want: ['1.2.3', 'latest'],
    },
    {
      why: 'semver {{raw}} keeps the tag as written',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{raw}}'],
      want: ['v1.2.3', 'latest'],
    },
    {
      why: 'semver {{major}}.{{minor}}',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{major}}.{{minor}}'],
      want: ['1.2', 'latest'],
    },
    {
      why: 'semver v{{major}}',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern=v{{major}}'],
      want: ['v1', 'latest'],
    },
    {
      why: 'semver {{minor}} alone',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{minor}}'],
      want: ['2', 'latest'],
    },
    {
      why: 'semver {{patch}} alone',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{patch}}'],
      want: ['3', 'latest'],
    },
    {
      why: 'semver expressions may have spaces inside the braces',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{ major }}.{{ minor }}'],
      want: ['1.2', 'latest'],
    },
    {
      why: 'a user {{major}} rule keeps 0 for 0.x (only our defaults drop it)',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/v0.4.1'},
      rules: ['type=semver,pattern={{major}}'],
      want: ['0', 'latest'],
    },
    {
      why: 'a prerelease only extends {{version}}, whatever the pattern',
      run: 'push tag v1.3.0-rc.1',
      rules: ['type=semver,pattern={{major}}.{{minor}}'],
      want: ['1.3.0-rc.1'],
    },
    {
      why: 'a prerelease collapses every partial rule into one tag',
      run: 'push tag v1.3.0-rc.1',
      rules: [
        'type=semver,pattern={{version}}',
        'type=semver,pattern={{major}}.{{minor}}',
        'type=semver,pattern={{major}}',
      ],
      want: ['1.3.0-rc.1'],
    },
    {
      why: 'a prerelease keeps {{raw}}',
      run: 'push tag v1.3.0-rc.1',
      rules: ['type=semver,pattern={{raw}}'],
      want: ['v1.3.0-rc.1'],
    },
    {
      why: 'semver {{version}} drops build metadata',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/v9.5.7-alpha.2+fork.3.1.8'},
      rules: ['type=semver,pattern={{version}}'],
      want: ['9.5.7-alpha.2'],
    },
    {
      why: 'semver {{raw}} keeps build metadata, sanitised',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/v9.5.7-alpha.2+fork.3.1.8'},
      rules: ['type=semver,pattern={{raw}}'],
      want: ['v9.5.7-alpha.2-fork.3.1.8'],
    },
    {
      why: 'semver value= works on a branch push',
      run: 'push main',
      rules: ['type=semver,pattern={{version}},value=v3.1.0'],
      want: ['3.1.0', 'latest'],
    },
    {
      why: 'semver value= may use expressions',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{major}},value={{tag}}'],
      want: ['1', 'latest'],
    },
    {
      why: 'semver makes nothing on a branch push',
      run: 'push main',
      rules: ['type=semver,pattern={{version}}'],
      want: [],
    },
    {
      why: 'semver makes nothing for a tag that is not semver',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/v1.2'},
      rules: ['type=semver,pattern={{version}}'],
      want: [],
    },
    {
      why: 'semver replaces / in the tag before parsing',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/app/v1.2.3'},
      rules: ['type=semver,pattern={{version}}'],
      want: [],
    },
    // pep440
    {
      why: 'pep440 {{version}} of a stable release',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/1.2.3'},
      rules: ['type=pep440,pattern={{version}}'],
      want: ['1.2.3', 'latest'],
    },
    {
      why: 'pep440 {{version}} drops the v',
      run: 'push tag v1.2.3',
      rules: ['type=pep440,pattern={{version}}'],
      want: ['1.2.3', 'latest'],
    },
    {
      why: 'pep440 {{major}}.{{minor}} of a stable release',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/1.2.3'},
      rules: ['type=pep440,pattern={{major}}.{{minor}}'],
      want: ['1.2', 'latest'],
    },
    {
      why: 'pep440 v{{major}}',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/1.2.3'},
      rules: ['type=pep440,pattern=v{{major}}'],
      want: ['v1', 'latest'],
    },
    {
      why: 'pep440 {{patch}} of a two-part version is 0',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/1.2'},
      rules: ['type=pep440,pattern={{major}}.{{minor}}.{{patch}}'],
      want: ['1.2.0', 'latest'],
    },
    {
      why: 'pep440 {{raw}} of a release candidate keeps the tag',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/v1.2.3rc2'},
      rules: ['type=pep440,pattern={{raw}}'],
      want: ['v1.2.3rc2'],
    },
    {
      why: 'pep440 release candidate only extends {{version}}',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/1.2.3rc2'},
      rules: ['type=pep440,pattern={{major}}.{{minor}}'],
      want: ['1.2.3rc2'],
    },
    {
      why: 'pep440 post release is normalised and gets no latest',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/1.2.3post1'},
      rules: ['type=pep440,pattern={{major}}.{{minor}}'],
      want: ['1.2.3.post1'],
    },
    {
      why: 'pep440 beta is normalised to b',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/1.2.3beta2'},
      rules: ['type=pep440,pattern={{major}}.{{minor}}'],
      want: ['1.2.3b2'],
    },
    {
      why: 'pep440 dev release is normalised',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/1.0dev4'},
      rules: ['type=pep440,pattern={{major}}.{{minor}}'],
      want: ['1.0.dev4'],
    },
    {
      why: 'pep440 makes nothing for a tag that does not conform',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/sometag'},
      rules: ['type=pep440,pattern={{version}}'],
      want: [],
    },
    {
      why: 'pep440 value= works without a tag',
      run: 'push main',
      rules: ['type=pep440,pattern={{version}},value=2.0'],
      want: ['2.0', 'latest'],
    },
    // match
    {
      why: 'match group 0 is the whole match',
      run: 'push tag v1.2.3',
      rules: ['type=match,pattern=\\d.\\d.\\d'],
      want: ['1.2.3', 'latest'],
    },
    {
      why: 'match picks a capture group',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/v2.0.8-beta.67'},
      rules: ['type=match,pattern=v(\\d.\\d),group=1'],
      want: ['2.0'],
    },
    {
      why: 'match of a prerelease gets no latest',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/v2.0.8-beta.67'},
      rules: ['type=match,pattern=v(.*),group=1'],
      want: ['2.0.8-beta.67'],
    },
    {
      why: 'match of a date-like release candidate gets no latest',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/20200110-RC2'},
      rules: ['type=match,pattern=\\d+'],
      want: ['20200110'],
    },
    {
      why: 'match sees the tag with its slashes',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/p1/v1.2.3'},
      rules: ['type=match,pattern=p1/v(\\d.\\d.\\d),group=1'],
      want: ['1.2.3', 'latest'],
    },
    {
      why: 'match pattern with a comma is quoted as a CSV field',
      run: 'push tag v1.2.3',
      rules: ['type=match,"pattern=v(\\d{1,3})\\.\\d+\\.\\d+",group=1'],
      want: ['1', 'latest'],
    },
    {
      why: 'match takes a /regex/flags literal',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/V1.2.3'},
      rules: ['type=match,pattern=/v(\\d+)/i,group=1'],
      want: ['1', 'latest'],
    },
    {
      why: 'match value= works without a tag',
      run: 'push main',
      rules: ['type=match,pattern=\\d+\\.\\d+,value=release-4.7'],
      want: ['4.7', 'latest'],
    },
    {
      why: 'match makes nothing when the pattern does not match',
      run: 'push tag v1.2.3',
      rules: ['type=match,pattern=^release-'],
      want: [],
    },
    {
      why: 'match makes nothing when the group does not exist',
      run: 'push tag v1.2.3',
      rules: ['type=match,pattern=v\\d,group=3'],
      want: [],
    },
    {
      why: 'match makes nothing on a branch push',
      run: 'push main',
      rules: ['type=match,pattern=.*'],
      want: [],
    },
    // edge
    {why: 'edge on the default branch', run: 'push main', rules: ['type=edge'], want: ['edge']},
    {
      why: 'edge makes nothing on another branch',
      run: 'push feature branch',
      rules: ['type=edge'],
      want: [],
    },
    {
      why: 'edge follows the branch attribute',
      run: 'push feature branch',
      rules: ['type=edge,branch=feature/Login_Page#2'],
      want: ['edge'],
    },
    {
      why: 'edge makes nothing when the default branch is unknown',
      run: 'push main',
      context: {defaultBranch: undefined, payload: {}},
      rules: ['type=edge'],
      want: [],
    },
    {why: 'edge makes nothing on a tag', run: 'push tag v1.2.3', rules: ['type=edge'], want: []},
    // ref
    {
      why: 'ref branch has no latest, as in metadata-action',
      run: 'push main',
      rules: ['type=ref,event=branch'],
      want: ['main'],
    },
    {
      why: 'ref branch makes nothing on a tag',
      run: 'push tag v1.2.3',
      rules: ['type=ref,event=branch'],
      want: [],
    },
    {
      why: 'ref tag keeps the tag and adds latest',
      run: 'push tag v1.2.3',
      rules: ['type=ref,event=tag'],
      want: ['v1.2.3', 'latest'],
    },
    {
      why: 'ref tag of a prerelease gets no latest',
      run: 'push tag v1.3.0-rc.1',
      rules: ['type=ref,event=tag'],
      want: ['v1.3.0-rc.1'],
    },
    {
      why: 'ref tag sanitises slashes',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/app/v1.2.3'},
      rules: ['type=ref,event=tag'],
      want: ['app-v1.2.3', 'latest'],
    },
    {
      why: 'ref pr gets the pr- prefix',
      run: 'pull_request',
      rules: ['type=ref,event=pr'],
      want: ['pr-42'],
    },
    {
      why: 'ref pr prefix can be replaced',
      run: 'pull_request',
      rules: ['type=ref,event=pr,prefix=mr-'],
      want: ['mr-42'],
    },
    {
      why: 'ref pr makes nothing on a push',
      run: 'push main',
      rules: ['type=ref,event=pr'],
      want: [],
    },
    // raw
    {why: 'raw value', run: 'push main', rules: ['type=raw,value=foo'], want: ['foo']},
    {why: 'raw with a bare value', run: 'push main', rules: ['type=raw,bar'], want: ['bar']},
    {why: 'a line without a type is raw', run: 'push main', rules: ['baz'], want: ['baz']},
    {
      why: 'raw renders expressions',
      run: 'push main',
      rules: ['type=raw,value=mytag-{{branch}}-{{sha}}'],
      want: ['mytag-main-a1b2c3d'],
    },
    {
      why: 'raw latest enabled on the default branch',
      run: 'push main',
      rules: ['type=raw,value=latest,enable={{is_default_branch}}'],
      want: ['latest'],
    },
    {
      why: 'raw latest disabled on another branch',
      run: 'push feature branch',
      rules: ['type=raw,value=latest,enable={{is_default_branch}}'],
      want: [],
    },
    {
      why: 'raw that renders empty makes nothing',
      run: 'push tag v1.2.3',
      rules: ['type=raw,value={{branch}}'],
      want: [],
    },
    // sha
    {
      why: 'sha is short with the sha- prefix',
      run: 'push main',
      rules: ['type=sha'],
      want: ['sha-a1b2c3d'],
    },
    {
      why: 'sha format=long',
      run: 'push main',
      rules: ['type=sha,format=long'],
      want: [`sha-${SHA}`],
    },
    {
      why: 'sha with an empty prefix',
      run: 'push main',
      rules: ['type=sha,prefix='],
      want: ['a1b2c3d'],
    },
    {
      why: 'sha with a suffix',
      run: 'push main',
      rules: ['type=sha,suffix=-amd64'],
      want: ['sha-a1b2c3d-amd64'],
    },
    {
      why: 'sha length follows DOCKER_METADATA_SHORT_SHA_LENGTH',
      run: 'push main',
      context: {shortShaLength: 12},
      rules: ['type=sha'],
      want: ['sha-a1b2c3d4e5f6'],
    },
    {
      why: 'sha makes nothing without a commit',
      run: 'push main',
      context: {sha: ''},
      rules: ['type=sha'],
      want: [],
    },
  ])('$why', (row) => {
    expect(names(row)).toEqual(row.want)
  })
})

describe('match= and group= on semver and pep440', () => {
  const tagged = (tag: string): Partial<TagContext> => ({ref: `refs/tags/${tag}`})
  test.each<Row>([
    // metadata-action's documented examples (README and its semver/pep440 tables)
    {
      why: 'docs: semver value=p1/v1.0.0 with match=v(\\d.\\d.\\d)$ gives 1.0.0',
      run: 'push main',
      rules: ['type=semver,pattern={{version}},value=p1/v1.0.0,match=v(\\d.\\d.\\d)$'],
      flavor: ['latest=false'],
      want: ['1.0.0'],
    },
    {
      why: 'docs: semver of git tag p1/v1.2.3 with match=v(\\d.\\d.\\d)$ gives 1.2.3',
      run: 'push tag v1.2.3',
      context: tagged('p1/v1.2.3'),
      rules: ['type=semver,pattern={{version}},match=v(\\d.\\d.\\d)$'],
      flavor: ['latest=false'],
      want: ['1.2.3'],
    },
    {
      why: 'docs: pep440 of git tag p1/v1.2.3 with match=v(\\d.\\d.\\d)$ gives 1.2.3',
      run: 'push tag v1.2.3',
      context: tagged('p1/v1.2.3'),
      rules: ['type=pep440,pattern={{version}},match=v(\\d.\\d.\\d)$'],
      flavor: ['latest=false'],
      want: ['1.2.3'],
    },
    {
      why: 'docs: pep440 value=p1/v1.0.0 with match=v(\\d.\\d.\\d)$ gives 1.0.0',
      run: 'push main',
      rules: ['type=pep440,pattern={{version}},value=p1/v1.0.0,match=v(\\d.\\d.\\d)$'],
      flavor: ['latest=false'],
      want: ['1.0.0'],
    },
    // the parsed version drives the rest of the rule
    {
      why: 'a stable matched version gets latest',
      run: 'push tag v1.2.3',
      context: tagged('p1/v1.2.3'),
      rules: ['type=semver,pattern={{version}},match=v(\\d.\\d.\\d)$'],
      want: ['1.2.3', 'latest'],
    },
    {
      why: '{{major}}.{{minor}} come from the matched version',
      run: 'push tag v1.2.3',
      context: tagged('p1/v1.2.3'),
      rules: ['type=semver,pattern={{major}}.{{minor}},match=v(\\d.\\d.\\d)$'],
      flavor: ['latest=false'],
      want: ['1.2'],
    },
    {
      why: '{{raw}} is the matched text, not the whole tag',
      run: 'push tag v1.2.3',
      context: tagged('p1/v1.2.3'),
      rules: ['type=semver,pattern={{raw}},match=(v\\d.\\d.\\d)$'],
      flavor: ['latest=false'],
      want: ['v1.2.3'],
    },
    {
      why: 'a matched semver prerelease only gets its full version and no latest',
      run: 'push tag v1.2.3',
      context: tagged('p1/v1.3.0-rc.1'),
      rules: ['type=semver,pattern={{major}}.{{minor}},match=v(.*)$'],
      want: ['1.3.0-rc.1'],
    },
    {
      why: 'a matched PEP 440 release candidate gets its normalised version and no latest',
      run: 'push tag v1.2.3',
      context: tagged('pkg/v2.0rc1'),
      rules: ['type=pep440,pattern={{major}}.{{minor}},match=v(.*)$'],
      want: ['2.0rc1'],
    },
    // the expression and its group
    {
      why: '/regex/flags works as in type=match',
      run: 'push tag v1.2.3',
      context: tagged('P1/V1.2.3'),
      rules: ['type=semver,pattern={{version}},match=/v(\\d+\\.\\d+\\.\\d+)$/i'],
      flavor: ['latest=false'],
      want: ['1.2.3'],
    },
    {
      why: 'a quoted match= may hold commas',
      run: 'push tag v1.2.3',
      context: tagged('p1/v10.20.30'),
      rules: ['type=semver,pattern={{version}},"match=v(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})$"'],
      flavor: ['latest=false'],
      want: ['10.20.30'],
    },
    {
      why: 'group= picks another capture group',
      run: 'push tag v1.2.3',
      context: tagged('api-v1.2.3-linux'),
      rules: ['type=semver,pattern={{version}},match=^(\\w+)-v([\\d.]+)-linux$,group=2'],
      flavor: ['latest=false'],
      want: ['1.2.3'],
    },
    {
      why: 'group=0 is the whole match',
      run: 'push tag v1.2.3',
      context: tagged('p1/v1.2.3'),
      rules: ['type=semver,pattern={{version}},match=(\\d+)\\.\\d+\\.\\d+$,group=0'],
      flavor: ['latest=false'],
      want: ['1.2.3'],
    },
    {
      why: 'an expression without a capture group uses the whole match',
      run: 'push tag v1.2.3',
      context: tagged('p1/v1.2.3'),
      rules: ['type=semver,pattern={{version}},match=\\d+\\.\\d+\\.\\d+$'],
      flavor: ['latest=false'],
      want: ['1.2.3'],
    },
    {
      why: 'match= applies to a value= made of expressions',
      run: 'push tag v1.2.3',
      context: tagged('p1/v1.2.3'),
      rules: ['type=pep440,pattern={{major}},value=build-{{tag}},match=v(\\d.\\d.\\d)$'],
      flavor: ['latest=false'],
      want: ['1'],
    },
    {
      why: 'an expression that does not match leaves the tag to be parsed as it is',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}},match=^release-(.*)$'],
      flavor: ['latest=false'],
      want: ['1.2.3'],
    },
    {
      why: 'an unmatched tag that is not a version makes no tag',
      run: 'push tag v1.2.3',
      context: tagged('p1/v1.2.3'),
      rules: ['type=semver,pattern={{version}},match=^release-(.*)$'],
      want: [],
    },
    {
      why: 'a group the expression does not have makes no tag',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}},match=v(.*),group=2'],
      want: [],
    },
    {
      why: 'an empty match= is no match at all',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}},match='],
      flavor: ['latest=false'],
      want: ['1.2.3'],
    },
    {
      why: 'match= makes nothing on a branch push without value=',
      run: 'push main',
      rules: ['type=semver,pattern={{version}},match=v(\\d.\\d.\\d)$'],
      want: [],
    },
  ])('$why', (row) => {
    expect(names(row)).toEqual(row.want)
  })
})

describe('common attributes, order and parsing', () => {
  test.each<Row>([
    {
      why: 'enable=false turns a rule off',
      run: 'push main',
      rules: ['type=sha,enable=false', 'type=raw,value=a'],
      want: ['a'],
    },
    {
      why: 'enable accepts any case',
      run: 'push main',
      rules: ['type=sha,enable=TRUE'],
      want: ['sha-a1b2c3d'],
    },
    {
      why: 'enable takes expressions',
      run: 'push feature branch',
      rules: ['type=sha,enable={{is_default_branch}}', 'type=raw,value=a'],
      want: ['a'],
    },
    {
      why: 'higher priority comes first',
      run: 'push main',
      rules: ['type=ref,event=branch', 'type=sha,priority=1001'],
      want: ['sha-a1b2c3d', 'main'],
      version: 'sha-a1b2c3d',
    },
    {
      why: 'default priorities order the types',
      run: 'push tag v1.2.3',
      rules: [
        'type=sha',
        'type=raw,value=r',
        'type=ref,event=tag',
        'type=semver,pattern={{version}}',
      ],
      want: ['1.2.3', 'v1.2.3', 'r', 'sha-a1b2c3d', 'latest'],
    },
    {
      why: 'equal priorities keep the written order',
      run: 'push main',
      rules: ['type=raw,value=b', 'type=raw,value=a'],
      want: ['b', 'a'],
    },
    {
      why: 'the same tag twice is kept once',
      run: 'push main',
      rules: ['type=raw,value=x', 'type=raw,value=x'],
      want: ['x'],
    },
    {
      why: 'comments and blank lines are ignored',
      run: 'push main',
      rules: ['# comment', '', 'type=raw,value=a', '  # indented comment'],
      want: ['a'],
    },
    {
      why: 'one entry with several lines is split',
      run: 'push main',
      rules: ['type=raw,value=a\ntype=raw,value=b\r\n'],
      want: ['a', 'b'],
    },
    {
      why: 'attribute keys are case-insensitive and spaces trimmed',
      run: 'push main',
      rules: [' TYPE = raw , Value = a '],
      want: ['a'],
    },
    {
      why: 'a doubled quote inside a quoted field is one quote',
      run: 'push main',
      rules: ['type=raw,"value={{date ""YYYY""}}"'],
      want: ['2020'],
    },
    {
      why: 'a long branch name is cut to 128 characters',
      run: 'push main',
      context: {ref: `refs/heads/${'x'.repeat(300)}`},
      rules: ['type=ref,event=branch'],
      want: [`${'x'.repeat(115)}-e78ddf9f1ba8`],
    },
    {
      why: 'a value with nothing usable makes no tag',
      run: 'push main',
      rules: ['type=raw,value=ééé', 'type=raw,value=ok'],
      want: ['ok'],
    },
    {
      why: 'leading dots and dashes are dropped',
      run: 'push main',
      rules: ['type=raw,value=.-hidden'],
      want: ['hidden'],
    },
  ])('$why', (row) => {
    const plan = computeTags(row.rules ?? [], row.flavor ?? [], runContext(row.run, row.context))
    expect(plan.tags.map((tag) => tag.name)).toEqual(row.want)
    if (row.version !== undefined) expect(plan.version).toEqual(row.version)
  })
})

describe('expressions', () => {
  test.each<Row>([
    {
      why: '{{tag}} on a tag push',
      run: 'push tag v1.2.3',
      rules: ['type=raw,value={{tag}}'],
      want: ['v1.2.3'],
    },
    {
      why: '{{tag}} is empty on a branch push',
      run: 'push main',
      rules: ['type=raw,value=t{{tag}}'],
      want: ['t'],
    },
    {
      why: '{{branch}} keeps slashes until sanitising',
      run: 'push feature branch',
      rules: ['type=raw,value=b-{{branch}}'],
      want: ['b-feature-Login_Page-2'],
    },
    {
      why: '{{sha}} is the PR head on a pull request',
      run: 'pull_request',
      rules: ['type=raw,value=c-{{sha}}'],
      want: ['c-feedfac'],
    },
    {
      why: '{{base_ref}} on a tag push comes from the payload',
      run: 'push tag v1.2.3',
      rules: ['type=raw,value=from-{{base_ref}}'],
      want: ['from-main'],
    },
    {
      why: '{{base_ref}} on a pull request is the base branch',
      run: 'pull_request',
      rules: ['type=raw,value=into-{{base_ref}}'],
      want: ['into-main'],
    },
    {
      why: '{{base_ref}} is empty on a branch push',
      run: 'push main',
      rules: ['type=raw,value=from-{{base_ref}}'],
      want: ['from-'],
    },
    {
      why: '{{is_default_branch}} is true on the default branch',
      run: 'push main',
      rules: ['type=raw,value=d-{{is_default_branch}}'],
      want: ['d-true'],
    },
    {
      why: '{{is_default_branch}} is false on a tag',
      run: 'push tag v1.2.3',
      rules: ['type=raw,value=d-{{is_default_branch}}'],
      want: ['d-false'],
    },
    {
      why: '{{is_default_branch}} is false for a created branch that is not the default',
      run: 'create branch',
      rules: ['type=raw,value=d-{{is_default_branch}}'],
      want: ['d-false'],
    },
    {
      why: '{{is_default_branch}} is true on a schedule even when the default branch is unknown',
      run: 'schedule',
      context: {defaultBranch: undefined},
      rules: ['type=raw,value=d-{{is_default_branch}}'],
      want: ['d-true'],
    },
    {
      why: '{{is_not_default_branch}} is false on the default branch',
      run: 'push main',
      rules: ['type=raw,value=d-{{is_not_default_branch}}'],
      want: ['d-false'],
    },
    {
      why: '{{is_not_default_branch}} is true on another branch',
      run: 'push feature branch',
      rules: ['type=raw,value=d-{{is_not_default_branch}}'],
      want: ['d-true'],
    },
    {
      why: '{{is_not_default_branch}} is true on a tag (no branch at all)',
      run: 'push tag v1.2.3',
      rules: ['type=raw,value=d-{{is_not_default_branch}}'],
      want: ['d-true'],
    },
    {
      why: '{{is_not_default_branch}} is false on a schedule even when the default branch is unknown',
      run: 'schedule',
      context: {defaultBranch: undefined},
      rules: ['type=raw,value=d-{{is_not_default_branch}}'],
      want: ['d-false'],
    },
    {
      why: '{{is_not_default_branch}} is true when the default branch is unknown',
      run: 'push main',
      context: {defaultBranch: undefined, payload: {}},
      rules: ['type=raw,value=d-{{is_not_default_branch}}'],
      want: ['d-true'],
    },
    {
      why: 'enable={{is_not_default_branch}} keeps a preview tag off the default branch',
      run: 'push main',
      rules: ['type=raw,value=preview,enable={{is_not_default_branch}}', 'type=sha'],
      want: ['sha-a1b2c3d'],
    },
    {
      why: 'enable={{is_not_default_branch}} makes the preview tag on another branch',
      run: 'push feature branch',
      rules: ['type=raw,value=preview,enable={{is_not_default_branch}}', 'type=sha'],
      want: ['preview', 'sha-a1b2c3d'],
    },
    {
      why: '{{is_not_default_branch}} in a prefix and a suffix',
      run: 'push feature branch',
      rules: ['type=sha,prefix=nd-{{is_not_default_branch}}-,suffix=-{{is_not_default_branch}}'],
      want: ['nd-true-a1b2c3d-true'],
    },
    {
      why: '{{date}} with a format',
      run: 'push main',
      rules: ["type=raw,value={{date 'YYYY-MM-DD[T]HH:mm'}}"],
      want: ['2020-01-10T00-30'],
    },
    {
      why: '{{date}} with double quotes',
      run: 'push main',
      rules: ['type=raw,value={{date "YYYYMMDD" tz="America/New_York"}}'],
      want: ['20200109'],
    },
    {
      why: '{{date}} without a format is ISO 8601',
      run: 'push main',
      rules: ['type=raw,value={{date}}'],
      want: ['2020-01-10T00-30-00Z'],
    },
    {
      why: '{{commit_date}} uses the commit time',
      run: 'push main',
      context: {commitDate: new Date('2024-03-05T10:20:30+01:00')},
      rules: ["type=raw,value={{commit_date 'YYYYMMDD-HHmmss'}}"],
      want: ['20240305-092030'],
    },
    {
      why: '{{commit_date}} honours tz',
      run: 'push main',
      context: {commitDate: new Date('2024-03-05T10:20:30+01:00')},
      rules: ["type=raw,value={{commit_date 'HHmm' tz='Europe/Berlin'}}"],
      want: ['1020'],
    },
    {
      why: '{{commit_date}} falls back to now',
      run: 'push main',
      rules: ["type=raw,value={{commit_date 'YYYYMMDD'}}"],
      want: ['20200110'],
    },
    {
      why: 'triple braces work like double ones',
      run: 'push main',
      rules: ['type=raw,value={{{sha}}}'],
      want: ['a1b2c3d'],
    },
    {
      why: 'prefix takes expressions',
      run: 'push main',
      rules: ['type=sha,prefix={{branch}}-'],
      want: ['main-a1b2c3d'],
    },
    {
      why: 'suffix takes expressions',
      run: 'push main',
      rules: ["type=ref,event=branch,suffix=-{{date 'YYYYMMDD'}}"],
      want: ['main-20200110'],
    },
  ])('$why', (row) => {
    expect(names(row)).toEqual(row.want)
  })
})

describe('flavor', () => {
  test.each<Row>([
    {
      why: 'latest=false drops latest from a release',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}}'],
      flavor: ['latest=false'],
      want: ['1.2.3'],
    },
    {
      why: 'latest=true adds latest to a branch build',
      run: 'push feature branch',
      rules: ['type=ref,event=branch'],
      flavor: ['latest=true'],
      want: ['feature-Login_Page-2', 'latest'],
    },
    {
      why: 'latest=true adds nothing when no rule made a tag',
      run: 'push main',
      rules: ['type=ref,event=pr'],
      flavor: ['latest=true'],
      want: [],
    },
    {
      why: 'latest=auto is the default',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}}'],
      flavor: ['latest=auto'],
      want: ['1.2.3', 'latest'],
    },
    {
      why: 'the first rule that makes a tag decides latest',
      run: 'push tag v1.2.3',
      rules: ['type=raw,value=r,priority=1000', 'type=semver,pattern={{version}}'],
      want: ['r', '1.2.3'],
    },
    {
      why: 'prefix applies to every tag but latest',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}}'],
      flavor: ['prefix=v'],
      want: ['v1.2.3', 'latest'],
      version: 'v1.2.3',
    },
    {
      why: 'prefix with onlatest=true applies to latest too',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}}'],
      flavor: ['prefix=v,onlatest=true'],
      want: ['v1.2.3', 'vlatest'],
    },
    {
      why: 'suffix applies to every tag but latest',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}}'],
      flavor: ['suffix=-alpine'],
      want: ['1.2.3-alpine', 'latest'],
      version: '1.2.3-alpine',
    },
    {
      why: 'suffix with onlatest=true applies to latest too',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}}'],
      flavor: ['suffix=-alpine,onlatest=true'],
      want: ['1.2.3-alpine', 'latest-alpine'],
    },
    {
      why: 'prefix and suffix on separate lines combine',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}}'],
      flavor: ['prefix=app-,onlatest=true', 'suffix=-slim'],
      want: ['app-1.2.3-slim', 'app-latest'],
    },
    {
      why: 'a rule prefix wins over the flavor prefix',
      run: 'push main',
      rules: ['type=raw,value=a,prefix='],
      flavor: ['prefix=x-'],
      want: ['a'],
    },
    {
      why: 'sha and pr rules keep their own prefix',
      run: 'pull_request',
      rules: ['type=ref,event=pr', 'type=sha'],
      flavor: ['prefix=x-'],
      want: ['pr-42', 'sha-feedfac'],
    },
    {
      why: 'flavor prefix renders expressions, also on latest',
      run: 'push main',
      rules: ['type=ref,event=branch'],
      flavor: ['latest=true', 'prefix={{branch}}-,onlatest=true'],
      want: ['main-main', 'main-latest'],
    },
    {
      why: 'flavor applies to the default rules (suffix on sha too: its rule only sets a prefix)',
      run: 'push tag v1.2.3',
      flavor: ['suffix=-arm64,onlatest=true'],
      want: ['1.2.3-arm64', '1.2-arm64', '1-arm64', 'sha-a1b2c3d-arm64', 'latest-arm64'],
    },
    {
      why: 'flavor comments and blank lines are ignored',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}}'],
      flavor: ['# our flavor', '', 'latest=false'],
      want: ['1.2.3'],
    },
  ])('$why', (row) => {
    const plan = computeTags(row.rules ?? [], row.flavor ?? [], runContext(row.run, row.context))
    expect(plan.tags.map((tag) => tag.name)).toEqual(row.want)
    if (row.version !== undefined) expect(plan.version).toEqual(row.version)
  })
})

describe('moving and latest classification', () => {
  test.each<{
    why: string
    run: RunName
    rules?: string[]
    flavor?: string[]
    context?: Partial<TagContext>
    want: [string, 'moving' | 'immutable', 'latest'?][]
  }>([
    {
      why: 'defaults on a release: full version and sha are immutable',
      run: 'push tag v1.2.3',
      want: [
        ['1.2.3', 'immutable'],
        ['1.2', 'moving'],
        ['1', 'moving'],
        ['sha-a1b2c3d', 'immutable'],
        ['latest', 'moving', 'latest'],
      ],
    },
    {
      why: 'defaults on the default branch: the branch tag moves',
      run: 'push main',
      want: [
        ['main', 'moving'],
        ['sha-a1b2c3d', 'immutable'],
        ['latest', 'moving', 'latest'],
      ],
    },
    {
      why: 'defaults on a pull request are immutable',
      run: 'pull_request',
      want: [
        ['pr-42', 'immutable'],
        ['sha-feedfac', 'immutable'],
      ],
    },
    {
      why: 'the nightly schedule tag moves',
      run: 'schedule',
      rules: ['type=schedule'],
      want: [['nightly', 'moving']],
    },
    {
      why: 'a dated schedule tag is immutable',
      run: 'schedule',
      rules: ["type=schedule,pattern=nightly-{{date 'YYYYMMDD'}}"],
      want: [['nightly-20200110', 'immutable']],
    },
    {why: 'edge moves', run: 'push main', rules: ['type=edge'], want: [['edge', 'moving']]},
    {
      why: 'a tag ref is immutable',
      run: 'push tag v1.2.3',
      rules: ['type=ref,event=tag'],
      flavor: ['latest=false'],
      want: [['v1.2.3', 'immutable']],
    },
    {
      why: 'a semver pattern with {{patch}} is immutable',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern=v{{major}}.{{minor}}.{{patch}}'],
      flavor: ['latest=false'],
      want: [['v1.2.3', 'immutable']],
    },
    {
      why: 'semver {{raw}} is immutable',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{raw}}'],
      flavor: ['latest=false'],
      want: [['v1.2.3', 'immutable']],
    },
    {
      why: 'a prerelease collapsed from {{major}} is immutable',
      run: 'push tag v1.3.0-rc.1',
      rules: ['type=semver,pattern={{major}}'],
      want: [['1.3.0-rc.1', 'immutable']],
    },
    {
      why: 'pep440 {{version}} is immutable, {{major}} moves',
      run: 'push tag v1.2.3',
      rules: ['type=pep440,pattern={{version}}', 'type=pep440,pattern={{major}}'],
      flavor: ['latest=false'],
      want: [
        ['1.2.3', 'immutable'],
        ['1', 'moving'],
      ],
    },
    {
      why: 'match of a full version is immutable, of a part moves',
      run: 'push tag v1.2.3',
      rules: ['type=match,pattern=v(.*),group=1', 'type=match,pattern=v(\\d+),group=1'],
      flavor: ['latest=false'],
      want: [
        ['1.2.3', 'immutable'],
        ['1', 'moving'],
      ],
    },
    {
      why: 'semver {{version}} of a matched version is immutable, {{major}} moves',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/p1/v1.2.3'},
      rules: [
        'type=semver,pattern={{version}},match=v(\\d.\\d.\\d)$',
        'type=semver,pattern={{major}},match=v(\\d.\\d.\\d)$',
      ],
      want: [
        ['1.2.3', 'immutable'],
        ['1', 'moving'],
        ['latest', 'moving', 'latest'],
      ],
    },
    {
      why: 'pep440 {{version}} of a matched value is immutable and moves latest',
      run: 'push main',
      rules: ['type=pep440,pattern={{version}},value=p1/v1.0.0,match=v(\\d.\\d.\\d)$'],
      want: [
        ['1.0.0', 'immutable'],
        ['latest', 'moving', 'latest'],
      ],
    },
    {
      why: 'raw moves',
      run: 'push main',
      rules: ['type=raw,value=stable'],
      want: [['stable', 'moving']],
    },
    {
      why: 'moving=false marks a raw tag immutable',
      run: 'push main',
      rules: ['type=raw,value=build-{{sha}},moving=false'],
      want: [['build-a1b2c3d', 'immutable']],
    },
    {
      why: 'moving=true marks a sha tag moving',
      run: 'push main',
      rules: ['type=sha,moving=true'],
      want: [['sha-a1b2c3d', 'moving']],
    },
    {
      why: 'a raw latest is latest and moves even with moving=false',
      run: 'push main',
      rules: ['type=raw,value=latest,moving=false'],
      want: [['latest', 'moving', 'latest']],
    },
    {
      why: 'a tag made by a moving and an immutable rule moves',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}}', 'type=raw,value=1.2.3'],
      flavor: ['latest=false'],
      want: [['1.2.3', 'moving']],
    },
    {
      why: 'a raw latest and the flavor latest are one tag',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}}', 'type=raw,value=latest'],
      want: [
        ['1.2.3', 'immutable'],
        ['latest', 'moving', 'latest'],
      ],
    },
  ])('$why', ({run, rules, flavor, context, want}) => {
    const plan = computeTags(rules ?? [], flavor ?? [], runContext(run, context))
    expect(
      plan.tags.map((tag): [string, string, string?] =>
        tag.isLatest
          ? [tag.name, tag.moving ? 'moving' : 'immutable', 'latest']
          : [tag.name, tag.moving ? 'moving' : 'immutable'],
      ),
    ).toEqual(want)
  })
})

describe('plan facts: version for the latest guard, revision, warnings', () => {
  test.each<{
    why: string
    run: RunName
    rules?: string[]
    flavor?: string[]
    context?: Partial<TagContext>
    latestVersion: string | undefined
  }>([
    {why: 'a stable release names its version', run: 'push tag v1.2.3', latestVersion: '1.2.3'},
    {why: 'a release event names its version', run: 'release', latestVersion: '2.0.0'},
    {why: 'a branch push has no version to guard', run: 'push main', latestVersion: undefined},
    {
      why: 'a prerelease has no latest at all',
      run: 'push tag v1.3.0-rc.1',
      latestVersion: undefined,
    },
    {
      why: 'a tag ref rule names the semver of the tag',
      run: 'push tag v1.2.3',
      rules: ['type=ref,event=tag'],
      latestVersion: '1.2.3',
    },
    {
      why: 'a match rule names the matched semver',
      run: 'push tag v1.2.3',
      rules: ['type=match,pattern=v(.*),group=1'],
      latestVersion: '1.2.3',
    },
    {
      why: 'a semver rule with match= names the matched version',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}},match=v(\\d.\\d.\\d)$'],
      context: {ref: 'refs/tags/p1/v1.2.3'},
      latestVersion: '1.2.3',
    },
    {
      why: 'a pep440 rule with match= on value= names the matched version',
      run: 'push main',
      rules: ['type=pep440,pattern={{version}},value=p1/v1.0.0,match=v(\\d.\\d.\\d)$'],
      latestVersion: '1.0.0',
    },
    {
      why: 'a matched prerelease has no latest to guard',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}},match=v(.*)$'],
      context: {ref: 'refs/tags/p1/v1.3.0-rc.1'},
      latestVersion: undefined,
    },
    {
      why: 'latest=true is the user forcing it: nothing to guard',
      run: 'push tag v1.2.3',
      flavor: ['latest=true'],
      latestVersion: undefined,
    },
    {
      why: 'a pep440 release names its normalised version',
      run: 'push tag v1.2.3',
      rules: ['type=pep440,pattern={{version}}'],
      context: {ref: 'refs/tags/2.1'},
      latestVersion: '2.1',
    },
  ])('$why', ({run, rules, flavor, context, latestVersion}) => {
    expect(computeTags(rules ?? [], flavor ?? [], runContext(run, context)).latestVersion).toEqual(
      latestVersion,
    )
  })

  test.each<{why: string; run: RunName; context?: Partial<TagContext>; want: string}>([
    {why: 'the revision of a pull request is its head', run: 'pull_request', want: PR_HEAD_SHA},
    {
      why: 'prHeadSha false makes it the merge commit',
      run: 'pull_request',
      context: {prHeadSha: false},
      want: MERGE_SHA,
    },
    {why: 'the revision of a push is GITHUB_SHA', run: 'push main', want: SHA},
  ])('$why', ({run, context, want}) => {
    expect(computeTags([], [], runContext(run, context)).revision).toEqual(want)
  })

  test.each<{
    why: string
    run: RunName
    rules?: string[]
    context?: Partial<TagContext>
    want: RegExp[]
  }>([
    {why: 'a plain default-branch push has no warnings', run: 'push main', want: []},
    {
      why: 'defaults on a tag that is not semver do not warn',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/release-42'},
      want: [],
    },
    {
      why: 'an unknown default branch is reported once',
      run: 'push main',
      context: {defaultBranch: undefined, payload: {}},
      rules: ['type=edge', 'type=raw,value=x,enable={{is_default_branch}}'],
      want: [/default branch is unknown/],
    },
    {
      why: 'an unknown default branch is reported for {{is_not_default_branch}} too',
      run: 'push main',
      context: {defaultBranch: undefined, payload: {}},
      rules: ['type=raw,value=x,enable={{is_not_default_branch}}'],
      want: [/default branch is unknown.*\{\{is_not_default_branch\}\} is true/],
    },
    {
      why: 'an unknown default branch does not matter on a tag',
      run: 'push tag v1.2.3',
      context: {defaultBranch: undefined, payload: {}},
      want: [],
    },
    {
      why: 'a tag that is not semver is reported for a user semver rule',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/v1.2'},
      rules: ['type=semver,pattern={{version}}'],
      want: [/'v1.2' is not a valid semver/],
    },
    {
      why: 'a tag that is not PEP 440 is reported',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/sometag'},
      rules: ['type=pep440,pattern={{version}}'],
      want: [/does not conform to PEP 440/],
    },
    {
      why: 'a match that fails is reported',
      run: 'push tag v1.2.3',
      rules: ['type=match,pattern=^release-'],
      want: [/does not match 'v1.2.3'/],
    },
    {
      why: 'a missing match group is reported',
      run: 'push tag v1.2.3',
      rules: ['type=match,pattern=v\\d,group=3'],
      want: [/group 3 does not exist/],
    },
    {
      why: 'a semver match= that does not match is reported, and the tag is parsed as it is',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}},match=^release-(.*)$'],
      want: [
        /match '\^release-\(\.\*\)\$' does not match 'v1\.2\.3', so .* parses 'v1\.2\.3' as it is/,
      ],
    },
    {
      why: 'an unmatched tag that is no version is reported twice: no match, no semver',
      run: 'push tag v1.2.3',
      context: {ref: 'refs/tags/p1/v1.2.3'},
      rules: ['type=semver,pattern={{version}},match=^release-(.*)$'],
      want: [/does not match 'p1-v1\.2\.3'/, /'p1-v1\.2\.3' is not a valid semver/],
    },
    {
      why: 'a group= the match= does not have is reported',
      run: 'push tag v1.2.3',
      rules: ['type=pep440,pattern={{version}},match=v(.*),group=2'],
      want: [/group 2 does not exist in match 'v\(\.\*\)', so rule .* made no tag/],
    },
    {
      why: 'a group= that took no part in the match is reported',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}},match=v(x)?([\\d.]+),group=1'],
      want: [/group 1 of match .* captured nothing in 'v1\.2\.3'/],
    },
    {
      why: 'a PR payload without the head sha is reported',
      run: 'pull_request',
      context: {payload: {number: 42}},
      want: [/no pull_request.head.sha/],
    },
    {why: 'an empty ref is reported', run: 'empty ref', want: [/has no ref/]},
    {
      why: 'a missing commit date is reported when used',
      run: 'push main',
      rules: ["type=raw,value={{commit_date 'YYYY'}}"],
      want: [/commit date is unknown/],
    },
    {
      why: 'a value with nothing usable is reported',
      run: 'push main',
      rules: ['type=raw,value=ééé'],
      want: [/nothing usable/],
    },
  ])('$why', ({run, rules, context, want}) => {
    const {warnings} = computeTags(rules ?? [], [], runContext(run, context))
    expect(warnings).toHaveLength(want.length)
    want.forEach((pattern, index) => expect(warnings[index]).toMatch(pattern))
  })
})

describe('unusable rules and flavors', () => {
  test.each<{why: string; rules?: string[]; flavor?: string[]; input: string; message: RegExp}>([
    {
      why: 'an unknown type',
      rules: ['type=semvar,pattern={{version}}'],
      input: 'tags',
      message: /unknown type 'semvar'/,
    },
    {
      why: 'an unknown attribute',
      rules: ['type=raw,value=a,colour=red'],
      input: 'tags',
      message: /unknown attribute 'colour' for type=raw/,
    },
    {
      why: 'an attribute of another type',
      rules: ['type=sha,pattern=x'],
      input: 'tags',
      message: /unknown attribute 'pattern' for type=sha/,
    },
    {
      why: 'a bare value where the type takes none',
      rules: ['type=sha,foo'],
      input: 'tags',
      message: /a value without a name \('foo'\)/,
    },
    {
      why: 'semver without a pattern',
      rules: ['type=semver'],
      input: 'tags',
      message: /type=semver needs a pattern/,
    },
    {
      why: 'pep440 with an empty pattern',
      rules: ['type=pep440,pattern='],
      input: 'tags',
      message: /type=pep440 needs a pattern/,
    },
    {
      why: 'match with a broken regular expression',
      rules: ['type=match,pattern=v(\\d'],
      input: 'tags',
      message: /not a valid regular expression/,
    },
    {
      why: 'match with a group that is not a number',
      rules: ['type=match,pattern=v(.*),group=one'],
      input: 'tags',
      message: /group 'one' is not a number/,
    },
    {
      why: 'semver with a broken match= expression',
      rules: ['type=semver,pattern={{version}},match=v(\\d'],
      input: 'tags',
      message:
        /'type=semver,pattern=\{\{version\}\},match=v\(\\d': match is not a valid regular expression/,
    },
    {
      why: 'pep440 with a broken /regex/flags match=',
      rules: ['type=pep440,pattern={{version}},match=/v(.*)/q'],
      input: 'tags',
      message: /match is not a valid regular expression/,
    },
    {
      why: 'semver with a group= that is not a whole number',
      rules: ['type=semver,pattern={{version}},match=v(.*),group=-1'],
      input: 'tags',
      message: /group '-1' is not a number/,
    },
    {
      why: 'pep440 with group= and no match=',
      rules: ['type=pep440,pattern={{version}},group=1'],
      input: 'tags',
      message: /group= picks a group of match=, and there is no match=/,
    },
    {
      why: 'match= on a type that does not take it',
      rules: ['type=raw,value=a,match=v(.*)'],
      input: 'tags',
      message: /unknown attribute 'match' for type=raw/,
    },
    {
      why: 'ref without an event',
      rules: ['type=ref'],
      input: 'tags',
      message: /type=ref needs an event/,
    },
    {
      why: 'ref with an unknown event',
      rules: ['type=ref,event=push'],
      input: 'tags',
      message: /unknown event 'push'/,
    },
    {
      why: 'raw without a value',
      rules: ['type=raw'],
      input: 'tags',
      message: /type=raw needs a value/,
    },
    {
      why: 'sha with an unknown format',
      rules: ['type=sha,format=medium'],
      input: 'tags',
      message: /unknown format 'medium'/,
    },
    {
      why: 'a priority that is not a number',
      rules: ['type=raw,value=a,priority=high'],
      input: 'tags',
      message: /priority 'high' is not a whole number/,
    },
    {
      why: 'enable that is not a boolean',
      rules: ['type=raw,value=a,enable=yes'],
      input: 'tags',
      message: /enable is 'yes', not true or false/,
    },
    {
      why: 'moving that is not a boolean',
      rules: ['type=raw,value=a,moving=maybe'],
      input: 'tags',
      message: /moving must be true or false/,
    },
    {
      why: 'an unknown expression',
      rules: ['type=raw,value={{brnach}}'],
      input: 'tags',
      message: /unknown expression '\{\{brnach\}\}'/,
    },
    {
      why: 'an unknown expression in a semver pattern',
      rules: ['type=semver,pattern={{mayor}}'],
      input: 'tags',
      message: /unknown expression '\{\{mayor\}\}'/,
    },
    {
      why: 'an unclosed expression (it used to push 1.-minor)',
      rules: ['type=semver,pattern={{major}}.{{minor'],
      input: 'tags',
      message: /'\{\{minor' is never closed/,
    },
    {
      why: 'an unclosed expression in the flavor suffix',
      flavor: ['suffix=-{{sha'],
      input: 'flavor',
      message: /'\{\{sha' is never closed/,
    },
    {
      why: 'an unknown expression lists {{is_not_default_branch}} among the known ones',
      rules: ['type=raw,value={{is_not_default}}'],
      input: 'tags',
      message: /known here: .*\{\{is_default_branch\}\}, \{\{is_not_default_branch\}\}/,
    },
    {
      why: 'an unknown date attribute',
      rules: ["type=raw,value={{date 'YYYY' zone='UTC'}}"],
      input: 'tags',
      message: /unknown attribute 'zone'/,
    },
    {
      why: 'an unknown time zone',
      rules: ["type=raw,value={{date 'YYYY' tz='Mars/Olympus'}}"],
      input: 'tags',
      message: /unknown time zone 'Mars\/Olympus'/,
    },
    {
      why: 'an unquoted date format',
      rules: ['type=raw,value={{date YYYY}}'],
      input: 'tags',
      message: /'YYYY' in '\{\{date YYYY\}\}' must be quoted/,
    },
    {
      why: 'an unclosed quote',
      rules: ['type=raw,"value=a'],
      input: 'tags',
      message: /quoted field is not closed/,
    },
    {
      why: 'text after a closing quote',
      rules: ['type=raw,"value=a"b'],
      input: 'tags',
      message: /unexpected text after a closing quote/,
    },
    {
      why: 'the bad rule is named even among good ones',
      rules: ['type=sha', 'type=edge,branch=main,event=tag'],
      input: 'tags',
      message: /'type=edge,branch=main,event=tag'/,
    },
    {
      why: 'latest that is not auto, true or false',
      flavor: ['latest=always'],
      input: 'flavor',
      message: /latest must be auto, true or false, not 'always'/,
    },
    {
      why: 'a flavor entry without a value',
      flavor: ['prefix'],
      input: 'flavor',
      message: /'prefix' is not key=value/,
    },
    {
      why: 'onlatest without a prefix or suffix',
      flavor: ['onlatest=true'],
      input: 'flavor',
      message: /onlatest has no prefix or suffix before it/,
    },
    {
      why: 'onlatest that is not a boolean',
      flavor: ['prefix=v,onlatest=yes'],
      input: 'flavor',
      message: /onlatest must be true or false, not 'yes'/,
    },
    {
      why: 'an unknown flavor key',
      flavor: ['colour=red'],
      input: 'flavor',
      message: /unknown key 'colour'/,
    },
    {
      why: 'an unknown expression in the flavor prefix',
      flavor: ['prefix={{nope}}-'],
      input: 'flavor',
      message: /unknown expression '\{\{nope\}\}'/,
    },
  ])('$why', ({rules, flavor, input, message}) => {
    const action = (): unknown =>
      computeTags(rules ?? ['type=raw,value=ok'], flavor ?? [], runContext('push tag v1.2.3'))
    expect(action).toThrow(InputError)
    expect(action).toThrow(message)
    expect((thrownBy(action) as InputError).input).toEqual(input)
  })
})
