import type {RegistryTarget} from '../model/action-config.js'
import {InputError} from '../errors.js'
import {isOcirHost, ocirHost, regionFromOcirHost, resolveRegion} from './region.js'

/** Docker speaks plain HTTP to loopback registries; so do we. */
export function isLoopbackHost(host: string): boolean {
  const lower = host.trim().toLowerCase()
  const name = lower.startsWith('[')
    ? lower.slice(1, lower.indexOf(']'))
    : lower.split(':').length > 2
      ? lower // a bare IPv6 address without a port
      : lower.replace(/:\d+$/, '')
  return name === 'localhost' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name)
}

const HOST =
  /^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::\d{1,5})?$/

/**
 * `registry` wins over `region`. A registry is a host with an optional port: a scheme or a path
 * is an error, because the path belongs in `namespace`.
 */
export function resolveRegistryTarget(given: {registry: string; region: string}): RegistryTarget {
  const registry = given.registry.trim()
  if (registry) {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(registry)
    if (scheme) {
      throw new InputError(
        'registry',
        registry,
        `remove the scheme: use '${registry.slice(scheme[0].length).replace(/\/.*$/, '')}' (loopback hosts use HTTP automatically)`,
      )
    }
    const slash = registry.indexOf('/')
    if (slash >= 0) {
      throw new InputError(
        'registry',
        registry,
        `the registry is a host[:port] only: use registry '${registry.slice(0, slash)}' and put '${registry.slice(slash + 1).replace(/\/+$/, '')}' in namespace`,
      )
    }
    if (!HOST.test(registry))
      throw new InputError(
        'registry',
        registry,
        'use a host name with an optional port, e.g. iad.ocir.io or localhost:3000',
      )
    const host = registry.toLowerCase()
    const isOcir = isOcirHost(host)
    return {
      host,
      isOcir,
      insecure: isLoopbackHost(host),
      regionId: isOcir ? regionFromOcirHost(host)?.id : undefined,
    }
  }
  if (!given.region.trim()) {
    throw new InputError(
      'region',
      '',
      'set region (an OCI region key like iad or an id like us-ashburn-1), or registry for any other v2 registry (e.g. localhost:3000)',
    )
  }
  const region = resolveRegion(given.region)
  return {host: ocirHost(region), isOcir: true, insecure: false, regionId: region.id}
}
