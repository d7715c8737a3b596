// A small Docker registry token issuer (the "token" auth of the distribution registry), for tests.
// Usage: node token-issuer.mjs <port> <private-key.pem> <users.json> <service> <issuer>
// Answers GET /token (Basic auth, ?service=&scope=) and POST /token (OAuth2 password grant) with a
// JWT signed RS256; the registry verifies it against the matching certificate. OCIR also answers
// `docker login` with Bearer challenges, so tests against this registry exercise that path.
import {createPrivateKey} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {signRegistryToken} from './registry-jwt.mjs'

const [port, keyPath, usersPath, service, issuer] = process.argv.slice(2)
const privateKey = createPrivateKey(readFileSync(keyPath))
const users = JSON.parse(readFileSync(usersPath, 'utf8'))
const lifetimeSeconds = Number(process.env.TOKEN_LIFETIME_SECONDS ?? 300)

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
      return response.end(
        JSON.stringify({errors: [{code: 'UNAUTHORIZED', message: 'authentication required'}]}),
      )
    }
    const scopes = (form ?? url.searchParams)
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean)
    const token = signRegistryToken({
      privateKey,
      issuer,
      service,
      account: user,
      scopes,
      lifetimeSeconds,
    })
    response.writeHead(200, {'content-type': 'application/json'})
    response.end(
      JSON.stringify({
        token,
        access_token: token,
        expires_in: lifetimeSeconds,
        issued_at: new Date().toISOString(),
      }),
    )
  })
}).listen(Number(port), '127.0.0.1')
