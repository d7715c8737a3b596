import {describe, expect, test} from 'vitest'

import {MAX_TAG_LENGTH, sanitizeTag} from '../../../src/plan/tags/sanitize-tag.js'

const LONG = 'release-'.padEnd(200, 'x')

describe('sanitizeTag', () => {
  test.each([
    {why: 'a valid tag is unchanged', input: 'v1.2.3_beta-1', want: 'v1.2.3_beta-1'},
    {why: 'a slash becomes a dash', input: 'feature/login', want: 'feature-login'},
    {why: 'a run of invalid characters becomes one dash', input: 'a b  #c', want: 'a-b-c'},
    {why: 'a leading dot is dropped', input: '.hidden', want: 'hidden'},
    {why: 'leading dashes and dots are dropped', input: '--.x', want: 'x'},
    {why: 'a leading invalid character is dropped', input: '/x', want: 'x'},
    {why: 'a leading underscore is allowed', input: '_ok', want: '_ok'},
    {why: 'nothing usable gives an empty name', input: 'ééé', want: ''},
    {why: 'exactly 128 characters stay as they are', input: 'a'.repeat(128), want: 'a'.repeat(128)},
    {
      why: 'a long name is cut with a hash of the whole name',
      input: LONG,
      want: `${LONG.slice(0, 115)}-${'3faa3e8efd90' /* FNV-1a 64 of the whole name, first 12 hex digits */}`,
    },
  ])('$why', ({input, want}) => {
    expect(sanitizeTag(input)).toEqual(want)
  })

  test('long names that share a prefix stay distinct', () => {
    const first = sanitizeTag(`${LONG}-amd64`)
    const second = sanitizeTag(`${LONG}-arm64`)
    expect(first).toHaveLength(MAX_TAG_LENGTH)
    expect(second).toHaveLength(MAX_TAG_LENGTH)
    expect(first).not.toEqual(second)
    expect(first.slice(0, 115)).toEqual(second.slice(0, 115))
  })

  test('a long name always gives the same tag', () => {
    expect(sanitizeTag(`${LONG}/a`)).toEqual(sanitizeTag(`${LONG}/a`))
  })

  test('every result fits the Docker tag grammar', () => {
    for (const input of [LONG, 'feature/x', '-.a', 'Ünïcode/branch', `${'-'.repeat(130)}a`]) {
      expect(sanitizeTag(input)).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/)
    }
  })
})
