import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {parse} from 'yaml'
import {PROJECT_ROOT} from '../fixtures/run-action.js'

interface ActionYaml {
  inputs: Record<string, {description: string; default?: string; required?: boolean}>
  outputs: Record<string, {description: string}>
  runs: {using: string; main: string; post: string}
}

const action = parse(readFileSync(join(PROJECT_ROOT, 'action.yml'), 'utf8')) as ActionYaml
const read = (path: string): string => readFileSync(join(PROJECT_ROOT, path), 'utf8')
const readme = read('README.md')
const contributing = read('CONTRIBUTING.md')

/** The text between `\n## heading\n` and the next `\n## ` (or the end). */
function section(doc: string, heading: string, name: string): string {
  const start = doc.indexOf(`\n## ${heading}\n`)
  expect(start, `${name} has a "## ${heading}" section`).toBeGreaterThan(-1)
  const end = doc.indexOf('\n## ', start + 1)
  return doc.slice(start, end === -1 ? undefined : end)
}

/** Rows `| \`name\` | … |` of the tables in the README's `## heading` section. */
function tableRows(heading: string): string[][] {
  return section(readme, heading, 'README')
    .split('\n')
    .filter((line) => /^\| `[a-z-]+` *\|/.test(line))
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
}

/** Fenced code blocks in document order, with their info string. */
function fencedBlocks(doc: string): {lang: string; body: string}[] {
  return [...doc.matchAll(/^```(\S*)\n([\s\S]*?)^```$/gm)].map((m) => ({lang: m[1], body: m[2]}))
}

/** Headings outside fenced blocks: level, text, and the anchor GitHub gives them. */
function headings(doc: string): {level: number; text: string; anchor: string}[] {
  const seen = new Map<string, number>()
  const found: {level: number; text: string; anchor: string}[] = []
  let fenced = false
  for (const line of doc.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const m = fenced ? null : /^(#{1,6}) (.+)$/.exec(line)
    if (!m) continue
    // github-slugger: lower case, punctuation dropped, each space a hyphen; repeats get -1, -2, …
    const slug = m[2]
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    found.push({level: m[1].length, text: m[2], anchor: count === 0 ? slug : `${slug}-${count}`})
  }
  return found
}

/** Steps `uses: <owner>/ocir-push@<ref>` anywhere in a parsed YAML document. */
function actionSteps(node: unknown): {uses: string; with?: Record<string, unknown>}[] {
  if (Array.isArray(node)) return node.flatMap(actionSteps)
  if (node === null || typeof node !== 'object') return []
  const step = node as {uses?: unknown; with?: Record<string, unknown>}
  const own =
    typeof step.uses === 'string' && /^[\w.-]+\/ocir-push@\S+$/.test(step.uses)
      ? [step as {uses: string; with?: Record<string, unknown>}]
      : []
  return [...own, ...Object.values(node).flatMap(actionSteps)]
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

  test('every workflow example passes only inputs action.yml declares, and the required ones', () => {
    const required = Object.entries(action.inputs)
      .filter(([, input]) => input.required)
      .map(([name]) => name)
    const examples = fencedBlocks(readme)
      .filter((block) => block.lang === 'yaml')
      .flatMap((block) =>
        // A snippet that elides the rest with `# …` shows only what it is about.
        actionSteps(parse(block.body)).map((step) => ({step, elided: block.body.includes('# …')})),
      )
    expect(examples.length).toBeGreaterThan(5)
    for (const {step, elided} of examples) {
      const given = Object.keys(step.with ?? {})
      expect(given.filter((name) => !(name in action.inputs))).toEqual([])
      if (!elided) expect(required.filter((name) => !given.includes(name))).toEqual([])
    }
  })
})

describe('the README is written for users first', () => {
  test('its first code block is a workflow that uses this action', () => {
    const first = fencedBlocks(readme)[0]
    expect(first?.lang).toBe('yaml')
    const workflow = parse(first.body) as {on?: unknown; jobs?: Record<string, unknown>}
    expect(workflow.on, 'a workflow has triggers').toBeDefined()
    expect(workflow.jobs, 'a workflow has jobs').toBeDefined()
    const steps = actionSteps(workflow.jobs)
    expect(steps).toHaveLength(1)
    const given = Object.keys(steps[0].with ?? {})
    expect(given).toContain('images')
    expect(given.filter((name) => !(name in action.inputs))).toEqual([])
    // It comes before any section: the page opens with it.
    expect(readme.indexOf('```yaml')).toBeLessThan(readme.indexOf('\n## '))
  })

  test('its first 15 lines run no npm command', () => {
    const opening = readme.split('\n').slice(0, 15)
    expect(opening.filter((line) => /\bnp[mx]\b/.test(line))).toEqual([])
  })

  test('the table of contents links every section and every usage scenario, in order', () => {
    const all = headings(readme)
    const usage = all.findIndex((h) => h.level === 2 && h.text === 'Usage')
    const afterUsage = all.findIndex((h, i) => i > usage && h.level <= 2)
    const expected = all
      .filter(
        (h, i) =>
          (h.level === 2 && h.text !== 'Contents') ||
          (h.level === 3 && i > usage && i < afterUsage),
      )
      .map((h) => `#${h.anchor}`)
    const toc = section(readme, 'Contents', 'README')
    const linked = [...toc.matchAll(/^\s*- \[[^\]]+\]\((#[^)]+)\)$/gm)].map((m) => m[1])
    expect(usage).toBeGreaterThan(-1)
    expect(linked).toEqual(expected)
  })

  test('links to the contributor and benchmark docs', () => {
    const end = section(readme, 'Contributing', 'README')
    expect(end).toContain('](CONTRIBUTING.md)')
    expect(end).toContain('](bench/README.md)')
  })
})

describe('links between the docs', () => {
  const docs = ['README.md', 'CONTRIBUTING.md', 'bench/README.md']

  test.each(docs)('every relative link in %s reaches a file, and its anchor a heading', (doc) => {
    const text = read(doc)
    // Code spans and blocks hold no links.
    const prose = text.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '')
    const broken: string[] = []
    for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue
      const [file, anchor] = target.split('#') as [string, string | undefined]
      const path = file === '' ? doc : join(dirname(doc), file)
      if (!existsSync(join(PROJECT_ROOT, path))) {
        broken.push(target)
        continue
      }
      if (anchor === undefined) continue
      if (!headings(read(path)).some((h) => h.anchor === anchor)) broken.push(target)
    }
    expect(broken).toEqual([])
  })
})

describe('CONTRIBUTING.md', () => {
  test('the quick start has exactly the two commands, and both are package scripts', () => {
    const block =
      /```sh\n([\s\S]*?)```/.exec(section(contributing, 'Quick start', 'CONTRIBUTING.md'))?.[1] ??
      ''
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

  test('the layout names every file and folder of src/, and nothing that is not there', () => {
    const block =
      /```text\n([\s\S]*?)```/.exec(section(contributing, 'Layout', 'CONTRIBUTING.md'))?.[1] ?? ''
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

  test('the development material lives here, not in the README', () => {
    for (const heading of [
      'Quick start',
      'Development',
      'Layout',
      'The test environment',
      'The fast loop',
    ]) {
      expect(readme, `README has no "${heading}" section`).not.toMatch(
        new RegExp(`^#{2,3} ${heading}$`, 'm'),
      )
    }
  })
})
