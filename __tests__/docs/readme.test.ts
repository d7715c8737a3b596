import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {parse} from 'yaml'
import {PROJECT_ROOT} from '../fixtures/run-action.js'

interface ActionYaml {
  inputs: Record<string, {description: string; default?: string; required?: boolean}>
  outputs: Record<string, {description: string}>
  runs: {using: string; main: string; post: string}
}

const action = parse(readFileSync(join(PROJECT_ROOT, 'action.yml'), 'utf8')) as ActionYaml
const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8')

/** Rows `| \`name\` | … |` of the tables between a `## heading` and the next `## `. */
function tableRows(heading: string): string[][] {
  const start = readme.indexOf(`\n## ${heading}\n`)
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThan(-1)
  const end = readme.indexOf('\n## ', start + 1)
  return readme
    .slice(start, end === -1 ? undefined : end)
    .split('\n')
    .filter((line) => /^\| `[a-z-]+` *\|/.test(line))
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
}

describe('README and action.yml agree', () => {
  test('every input is documented once, with the default action.yml declares', () => {
    const rows = tableRows('Inputs')
    const documented = rows.map((row) => row[0].replace(/`/g, ''))
    expect([...documented].sort()).toEqual(Object.keys(action.inputs).sort())
    for (const row of rows) {
      const name = row[0].replace(/`/g, '')
      const declared = action.inputs[name]
      const shown = row[1].replace(/^`|`$/g, '')
      const expected = declared.required
        ? '(required)'
        : (declared.default ?? '') === ''
          ? "''"
          : declared.default
      expect(shown, `default of ${name}`).toBe(expected)
      expect(declared.description.length, `description of ${name}`).toBeGreaterThan(10)
    }
  })

  test('every output is documented once', () => {
    const documented = tableRows('Outputs').map((row) => row[0].replace(/`/g, ''))
    expect([...documented].sort()).toEqual(Object.keys(action.outputs).sort())
  })

  test('the contract: node24 with a post step, both running the bundle', () => {
    expect(action.runs).toEqual({using: 'node24', main: 'dist/index.js', post: 'dist/index.js'})
    expect(readFileSync(join(PROJECT_ROOT, '.node-version'), 'utf8').trim()).toBe('24')
  })

  test('the quick start has exactly the two commands, and both are package scripts', () => {
    const start = readme.indexOf('## Quick start')
    const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start))?.[1] ?? ''
    const commands = block
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => line.replace(/\s+#.*$/, ''))
    expect(commands).toEqual(['npm run demo', 'npm test'])
    const scripts = (
      JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>
      }
    ).scripts
    expect(scripts.demo).toBeDefined()
    expect(scripts.test).toBeDefined()
    expect(readFileSync(join(PROJECT_ROOT, '.ci/run'), 'utf8')).toMatch(/^npm test$/m)
  })
})

describe('the layout in the development section', () => {
  test('names every file and folder of src/, and nothing that is not there', () => {
    const start = readme.indexOf('### Layout')
    const block = /```text\n([\s\S]*?)```/.exec(readme.slice(start))?.[1] ?? ''
    const named: string[] = []
    let folder = ''
    for (const line of block.split('\n')) {
      const path = /^(\s*)(\S+)/.exec(line)
      if (!path) continue
      if (path[1] === '') {
        folder = path[2].endsWith('/') ? path[2] : ''
        named.push(path[2].replace(/\/$/, ''))
      } else named.push(`${folder}${path[2]}`.replace(/\/$/, ''))
    }
    const onDisk = (dir: string): string[] =>
      readdirSync(join(PROJECT_ROOT, dir), {withFileTypes: true}).flatMap((entry) => {
        const path = `${dir}/${entry.name}`
        return entry.isDirectory() ? [path, ...onDisk(path)] : [path]
      })
    // A folder named without any of its files stands for them all (src/plan/tags/).
    const leaves = named.filter((name) => !named.some((other) => other.startsWith(`${name}/`)))
    const covered = (path: string): boolean =>
      named.includes(path) || leaves.some((leaf) => path.startsWith(`${leaf}/`))
    const missing = onDisk('src').filter((path) => !covered(path))
    expect(missing).toEqual([])
    const stale = named.filter((path) => !existsSync(join(PROJECT_ROOT, path)))
    expect(stale).toEqual([])
  })
})
