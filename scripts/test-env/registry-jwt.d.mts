import type {KeyObject} from 'node:crypto'

export function libtrustKeyId(privateKey: KeyObject): string
export function signRegistryToken(options: {
  privateKey: KeyObject
  issuer: string
  service: string
  account: string
  scopes: string[]
  lifetimeSeconds?: number
}): string
