import {createRequire} from 'node:module'
import {describe, expect, test} from 'vitest'
import {InputError} from '../../src/errors.js'
import {OCI_REGIONS, OCI_REGIONS_SDK_VERSION} from '../../src/plan/oci-regions.generated.js'
import {isOcirHost, ocirHost, regionFromOcirHost, resolveRegion} from '../../src/plan/region.js'

const require = createRequire(import.meta.url)

describe('the generated region table', () => {
  test('equals what the installed oci-common reports', () => {
    const common = require('oci-common') as typeof import('oci-common')
    const version = (require('oci-common/package.json') as {version: string}).version
    const fromSdk = common.Region.values().map((region) => ({
      id: region.regionId,
      key: region.regionCode,
      realmId: region.realm.realmId,
      realmDomain: region.realm.secondLevelDomain,
    }))
    expect(version).toBe('2.139.1')
    expect(OCI_REGIONS_SDK_VERSION).toBe(version)
    expect(OCI_REGIONS).toEqual(fromSdk)
  })

  test('has unique keys and ids, none of them clashing', () => {
    const names = OCI_REGIONS.flatMap((row) => [row.key, row.id])
    expect(new Set(names).size).toBe(names.length)
  })
})

describe('resolveRegion', () => {
  // One row per realm, each in both forms, so a realm whose host rule breaks shows up by name.
  const realms = [...new Set(OCI_REGIONS.map((row) => row.realmId))]
  const perRealm = realms.flatMap((realmId) => {
    const row = OCI_REGIONS.find((candidate) => candidate.realmId === realmId)!
    return [
      {why: `${realmId} by key`, input: row.key, want: row},
      {why: `${realmId} by id`, input: row.id, want: row},
    ]
  })
  test.each(perRealm)('$why', ({input, want}) => {
    expect(resolveRegion(input)).toEqual(want)
  })

  test.each([
    {why: 'a key in upper case, as the console shows it', input: 'IAD', want: 'us-ashburn-1'},
    {why: 'an id in mixed case', input: 'US-Phoenix-1', want: 'us-phoenix-1'},
    {why: 'blanks around the value', input: '  fra \n', want: 'eu-frankfurt-1'},
    {why: 'a government realm region', input: 'ric', want: 'us-gov-ashburn-1'},
    {why: 'the EU sovereign realm', input: 'eu-madrid-2', want: 'eu-madrid-2'},
  ])('$why', ({input, want}) => {
    expect(resolveRegion(input).id).toBe(want)
  })

  test('every region of the table resolves by key and by id', () => {
    for (const row of OCI_REGIONS) {
      expect(resolveRegion(row.key)).toEqual(row)
      expect(resolveRegion(row.id.toUpperCase())).toEqual(row)
    }
  })

  test.each([
    {why: 'a typo in a key suggests the key', input: 'iadd', suggests: ['iad']},
    {
      why: 'a typo in an id suggests the id',
      input: 'us-ashburn-3',
      suggests: ['us-ashburn-1', 'us-ashburn-2'],
    },
    {why: 'a made-up name still gets three suggestions', input: 'mars-base-1', suggests: []},
    {why: 'a blank value says how to set it', input: '   ', suggests: []},
  ])('$why', ({input, suggests}) => {
    let caught: unknown
    try {
      resolveRegion(input)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(InputError)
    const error = caught as InputError
    expect(error.input).toBe('region')
    expect(error.message).toContain(`'${input}'`)
    for (const name of suggests) expect(error.hint).toContain(name)
    if (input.trim())
      expect(error.hint?.match(/Closest known: (.*?)\./)?.[1].split(', ')).toHaveLength(3)
    else expect(error.hint).toContain('OCI_CLI_REGION')
  })

  test('the input name can be oci-region', () => {
    expect(() => resolveRegion('nowhere', 'oci-region')).toThrow(/input 'oci-region'/)
  })
})

describe('ocirHost', () => {
  test.each([
    {why: 'commercial realm uses the short key host', region: 'iad', want: 'iad.ocir.io'},
    {why: 'commercial realm, newer region', region: 'af-casablanca-1', want: 'lej.ocir.io'},
    {
      why: 'US government (oc2) uses the long form',
      region: 'lfi',
      want: 'ocir.us-langley-1.oci.oraclegovcloud.com',
    },
    {
      why: 'US government (oc3) uses the long form',
      region: 'us-gov-ashburn-1',
      want: 'ocir.us-gov-ashburn-1.oci.oraclegovcloud.com',
    },
    {
      why: 'UK government (oc4) has its own domain',
      region: 'ltn',
      want: 'ocir.uk-gov-london-1.oci.oraclegovcloud.uk',
    },
    {
      why: 'EU sovereign cloud (oc19)',
      region: 'str',
      want: 'ocir.eu-frankfurt-2.oci.oraclecloud.eu',
    },
    {
      why: 'Serbia (oc20), the documented non-oc1 example',
      region: 'beg',
      want: 'ocir.eu-jovanovac-1.oci.oraclecloud20.com',
    },
  ])('$why', ({region, want}) => {
    expect(ocirHost(resolveRegion(region))).toBe(want)
  })

  test('every host it makes is recognised and maps back to its region', () => {
    for (const row of OCI_REGIONS) {
      const host = ocirHost(row)
      expect(isOcirHost(host), host).toBe(true)
      expect(regionFromOcirHost(host), host).toEqual(row)
      expect(regionFromOcirHost(`ocir.${row.id}.oci.${row.realmDomain}`)).toEqual(row)
    }
  })
})

describe('isOcirHost', () => {
  test.each([
    {why: 'short key form', host: 'iad.ocir.io', want: true},
    {why: 'region id form', host: 'us-phoenix-1.ocir.io', want: true},
    {why: 'with a port', host: 'iad.ocir.io:443', want: true},
    {why: 'upper case', host: 'IAD.OCIR.IO', want: true},
    {why: 'long form, commercial', host: 'ocir.us-ashburn-1.oci.oraclecloud.com', want: true},
    {
      why: 'long form, a realm newer than the table',
      host: 'ocir.xx-newplace-1.oci.oraclecloud99.com',
      want: true,
    },
    {why: 'a local registry', host: 'localhost:5000', want: false},
    {why: 'a loopback address', host: '127.0.0.1:5000', want: false},
    {why: 'docker hub', host: 'docker.io', want: false},
    {why: 'a look-alike domain', host: 'iad.ocir.io.example.com', want: false},
    {why: 'bare ocir.io', host: 'ocir.io', want: false},
    {
      why: 'the Artifacts API host is not the registry',
      host: 'artifacts.us-ashburn-1.oci.oraclecloud.com',
      want: false,
    },
  ])('$why', ({host, want}) => {
    expect(isOcirHost(host)).toBe(want)
  })
})

describe('regionFromOcirHost', () => {
  test.each([
    {why: 'key host', host: 'phx.ocir.io', want: 'us-phoenix-1'},
    {why: 'id host', host: 'eu-frankfurt-1.ocir.io', want: 'eu-frankfurt-1'},
    {
      why: 'long form with a port',
      host: 'ocir.ap-tokyo-1.oci.oraclecloud.com:443',
      want: 'ap-tokyo-1',
    },
    {
      why: 'long form, government realm',
      host: 'ocir.us-gov-phoenix-1.oci.oraclegovcloud.com',
      want: 'us-gov-phoenix-1',
    },
    {why: 'an unknown key', host: 'zzz.ocir.io', want: undefined},
    {
      why: 'a region under the wrong realm domain',
      host: 'ocir.us-ashburn-1.oci.oraclegovcloud.com',
      want: undefined,
    },
    {why: 'not OCIR at all', host: 'ghcr.io', want: undefined},
  ])('$why', ({host, want}) => {
    expect(regionFromOcirHost(host)?.id).toBe(want)
  })
})
