// A small Docker registry token issuer (the "token" auth of the distribution registry), for tests.
// Usage: node token-issuer.mjs <port> <private-key.pem> <users.json> <service> <issuer>
// Answers GET /token (Basic auth, ?service=&scope=) and POST /token (OAuth2 password grant) with a
// JWT signed RS256; the registry verifies it against the matching certificate. OCIR also answers
// `docker login` with Bearer challenges, so tests against this registry exercise that path.
import {createHash, createPrivateKey, createPublicKey, randomUUID, sign} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {createServer} from 'node:http'

const [port, keyPath, usersPath, service, issuer] = process.argv.slice(2)
const privateKey = createPrivateKey(readFileSync(keyPath))
const users = JSON.parse(readFileSync(usersPath, 'utf8'))
const kid = libtrustKeyId(createPublicKey(privateKey).export({type: 'spki', format: 'der'}))
const lifetimeSeconds = Number(process.env.TOKEN_LIFETIME_SECONDS ?? 300)

/** The key id format distribution 2.x looks up in its root certificate bundle (libtrust). */
function libtrustKeyId(spkiDer) {
  const hash = createHash('sha256').update(spkiDer).digest().subarray(0, 30)
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const byte of hash) bits += byte.toString(2).padStart(8, '0')
  let encoded = ''
  for (let i = 0; i < bits.length; i += 5) encoded += alphabet[parseInt(bits.slice(i, i + 5), 2)]
  return encoded.match(/.{4}/g).join(':')
}

const b64url = (data) => Buffer.from(data).toString('base64url')

function issue(account, scopes) {
  const now = Math.floor(Date.now() / 1000)
  const access = scopes.map((scope) => {
    const [type, ...rest] = scope.split(':')
    const actions = rest.pop() ?? ''
    return {type, name: rest.join(':'), actions: actions.split(',').filter(Boolean)}
  })
  const header = b64url(JSON.stringify({alg: 'RS256', typ: 'JWT', kid}))
  const claims = b64url(
    JSON.stringify({iss: issuer, sub: account, aud: service, exp: now + lifetimeSeconds, nbf: now - 10, iat: now, jti: randomUUID(), access}),
  )
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), privateKey).toString('base64url')
  return `${header}.${claims}.${signature}`
}

function credentials(request, form) {
  if (form?.get('grant_type') === 'password') return [form.get('username'), form.get('password')]
  const header = request.headers.authorization ?? ''
  if (!header.startsWith('Basic ')) return [undefined, undefined]
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return [decoded.slice(0, colon), decoded.slice(colon + 1)]
}

createServer((request, response) => {
  let body = ''
  request.on('data', (chunk) => (body += chunk))
  request.on('end', () => {
    const url = new URL(request.url, 'http://localhost')
    if (url.pathname === '/healthz') return response.end('ok')
    if (url.pathname !== '/token') return void response.writeHead(404).end()
    const form = request.method === 'POST' ? new URLSearchParams(body) : undefined
    const [user, password] = credentials(request, form)
    if (user === undefined || users[user] !== password) {
      response.writeHead(401, {'content-type': 'application/json'})
      return response.end(JSON.stringify({errors: [{code: 'UNAUTHORIZED', message: 'authentication required'}]}))
    }
    const scopes = (form ?? url.searchParams).getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean)
    const token = issue(user, scopes)
    response.writeHead(200, {'content-type': 'application/json'})
    response.end(JSON.stringify({token, access_token: token, expires_in: lifetimeSeconds, issued_at: new Date().toISOString()}))
  })
}).listen(Number(port), '127.0.0.1')
