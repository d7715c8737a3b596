// Registry bearer tokens as distribution 2.x verifies them: RS256 JWTs whose `kid` is the libtrust
// key id of a certificate in the registry's root bundle. Shared by our token issuer and the OCIR
// front used in tests.
import {createHash, createPublicKey, randomUUID, sign} from 'node:crypto'

/** The key id format distribution 2.x looks up in its root certificate bundle (libtrust). */
export function libtrustKeyId(privateKey) {
  const spki = createPublicKey(privateKey).export({type: 'spki', format: 'der'})
  const hash = createHash('sha256').update(spki).digest().subarray(0, 30)
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const byte of hash) bits += byte.toString(2).padStart(8, '0')
  let encoded = ''
  for (let i = 0; i < bits.length; i += 5) encoded += alphabet[parseInt(bits.slice(i, i + 5), 2)]
  return encoded.match(/.{4}/g).join(':')
}

/** Scopes like `repository:ns/app:pull,push` become the token's `access` claim. */
export function signRegistryToken({
  privateKey,
  issuer,
  service,
  account,
  scopes,
  lifetimeSeconds = 300,
}) {
  const now = Math.floor(Date.now() / 1000)
  const access = scopes.map((scope) => {
    const [type, ...rest] = scope.split(':')
    const actions = rest.pop() ?? ''
    return {type, name: rest.join(':'), actions: actions.split(',').filter(Boolean)}
  })
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const header = encode({alg: 'RS256', typ: 'JWT', kid: libtrustKeyId(privateKey)})
  const claims = encode({
    iss: issuer,
    sub: account,
    aud: service,
    exp: now + lifetimeSeconds,
    nbf: now - 10,
    iat: now,
    jti: randomUUID(),
    access,
  })
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), privateKey).toString(
    'base64url',
  )
  return `${header}.${claims}.${signature}`
}
