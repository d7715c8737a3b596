import {describe, expect, test} from 'vitest'
import {parseAttestationKinds} from '../../src/attestations/attestation-kinds.js'
import {InputError} from '../../src/errors.js'

describe('the attestations input', () => {
  test.each([
    {why: 'not given, with a signing key: provenance', value: '', key: true, want: ['provenance']},
    {why: 'not given, without a key: none', value: '', key: false, want: []},
    {why: 'none, even with a key', value: 'none', key: true, want: []},
    {
      why: 'both, comma separated',
      value: 'sbom, provenance',
      key: false,
      want: ['provenance', 'sbom'],
    },
    {
      why: 'both, one a line, any case',
      value: 'Provenance\nSBOM\n',
      key: true,
      want: ['provenance', 'sbom'],
    },
    {why: 'sbom only, with a key', value: 'sbom', key: true, want: ['sbom']},
    {why: 'a word twice counts once', value: 'sbom,sbom', key: false, want: ['sbom']},
  ])('$why', ({value, key, want}) => {
    expect(parseAttestationKinds(value, key)).toEqual(want)
  })

  test.each([
    {why: 'an unknown word', value: 'provenance, slsa', names: "'slsa'"},
    {why: 'none with another word', value: 'none, sbom', names: 'none stands alone'},
  ])(
    '$why is an InputError naming the input, the value and the allowed words',
    ({value, names}) => {
      expect(() => parseAttestationKinds(value, true)).toThrow(InputError)
      try {
        parseAttestationKinds(value, true)
      } catch (err) {
        expect((err as InputError).input).toBe('attestations')
        expect((err as InputError).message).toContain(value)
        expect((err as InputError).hint).toContain(names)
        expect((err as InputError).hint).toContain('provenance, sbom')
      }
    },
  )
})
