/**
 * No function in src/ has a body over MAX_BODY_LINES lines (from the line of its `{` to the line
 * of its `}`): past that a function does several things and its parts are better named helpers.
 * Functions, methods, accessors, constructors, arrow functions and function expressions count;
 * nested ones are measured on their own too. A function whose body is one `switch` statement
 * is a table and may be as long as it needs. The check reads src/ with the TypeScript compiler's
 * parser; nothing else is read or run.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve, sep} from 'node:path'
import {fileURLToPath} from 'node:url'
import ts from 'typescript'
import {describe, expect, test} from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const MAX_BODY_LINES = 100
/** Generated data, not code anyone edits. */
const SKIPPED = new Set(['src/plan/oci-regions.generated.ts'])

/**
 * `file:name` of the functions that are still too long while they are being split. Tolerated for
 * now; an entry must go once its function is short, so the list only shrinks.
 */
const STILL_LONG: readonly string[] = []

interface LongFunction {
  file: string
  line: number
  name: string
  lines: number
}

type FunctionLike =
  | ts.FunctionDeclaration
  | ts.MethodDeclaration
  | ts.ConstructorDeclaration
  | ts.GetAccessorDeclaration
  | ts.SetAccessorDeclaration
  | ts.ArrowFunction
  | ts.FunctionExpression

function isFunctionLike(node: ts.Node): node is FunctionLike {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node)
  )
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, {withFileTypes: true}).flatMap((entry) => {
    const path = join(directory, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')
      ? [path]
      : []
  })
}

function propertyName(name: ts.PropertyName | ts.BindingName, file: ts.SourceFile): string {
  return ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name)
    ? name.text
    : name.getText(file)
}

/** The name of a class or object literal: its own, or that of the variable or property holding it. */
function containerName(node: ts.Node, file: ts.SourceFile): string | undefined {
  if (!ts.isClassLike(node) && !ts.isObjectLiteralExpression(node)) return undefined
  if (ts.isClassLike(node) && node.name) return node.name.text
  const holder = node.parent
  return ts.isVariableDeclaration(holder) || ts.isPropertyAssignment(holder)
    ? propertyName(holder.name, file)
    : undefined
}

/**
 * The name a function goes by: its own, or that of the variable or property it is assigned to;
 * a method or property of a class or object literal is prefixed with the container's name.
 */
function functionName(node: FunctionLike, file: ts.SourceFile, enclosing: string): string {
  const parent = node.parent
  const within = (container: ts.Node, name: string): string => {
    const owner = containerName(container, file)
    return owner ? `${owner}.${name}` : name
  }
  if (ts.isConstructorDeclaration(node)) return within(parent, 'constructor')
  if (node.name) return within(parent, propertyName(node.name, file))
  if (ts.isVariableDeclaration(parent)) return propertyName(parent.name, file)
  if (ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) {
    return within(parent.parent, propertyName(parent.name, file))
  }
  return enclosing === '' ? '<anonymous>' : `<anonymous in ${enclosing}>`
}

/** A body that is exactly one `switch` statement: a table, exempt from the limit. */
function isSwitchTable(body: ts.ConciseBody): boolean {
  return (
    ts.isBlock(body) && body.statements.length === 1 && ts.isSwitchStatement(body.statements[0])
  )
}

/** The functions of one file (`name` relative to the project root) whose body is too long. */
function longFunctions(name: string, text: string): LongFunction[] {
  const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true)
  const found: LongFunction[] = []
  const lineOf = (position: number): number => file.getLineAndCharacterOfPosition(position).line
  const visit = (node: ts.Node, enclosing: string): void => {
    let inside = enclosing
    if (isFunctionLike(node) && node.body) {
      inside = functionName(node, file, enclosing)
      const lines = lineOf(node.body.getEnd()) - lineOf(node.body.getStart(file)) + 1
      if (lines > MAX_BODY_LINES && !isSwitchTable(node.body)) {
        found.push({file: name, line: lineOf(node.getStart(file)) + 1, name: inside, lines})
      }
    }
    ts.forEachChild(node, (child) => visit(child, inside))
  }
  visit(file, '')
  return found
}

const found = sourceFiles(join(ROOT, 'src'))
  .map((path) => ({path, name: relative(ROOT, path).split(sep).join('/')}))
  .filter(({name}) => !SKIPPED.has(name))
  .flatMap(({path, name}) => longFunctions(name, readFileSync(path, 'utf8')))
const key = (entry: LongFunction): string => `${entry.file}:${entry.name}`
const describeEntry = (entry: LongFunction): string =>
  `${entry.file}:${entry.line} ${entry.name} (${entry.lines} lines)`

describe(`function bodies in src/ are at most ${MAX_BODY_LINES} lines`, () => {
  test('the source tree was read', () => {
    expect(sourceFiles(join(ROOT, 'src')).length).toBeGreaterThan(20)
  })

  test('no function outside STILL_LONG is too long', () => {
    const tolerated = new Set(STILL_LONG)
    expect(found.filter((entry) => !tolerated.has(key(entry))).map(describeEntry)).toEqual([])
  })

  test('every STILL_LONG entry is still too long (remove it once it is split)', () => {
    const long = new Set(found.map(key))
    expect(STILL_LONG.filter((entry) => !long.has(entry))).toEqual([])
  })

  test('the checker finds long functions, methods and arrows, and lets switch tables be', () => {
    const lines = (count: number): string => '  work()\n'.repeat(count)
    const cases = (count: number): string => "    case 'x':\n      return 1\n".repeat(count / 2)
    const text = [
      `function short(): void {\n${lines(98)}}`,
      `function long(): void {\n${lines(99)}}`,
      `function table(key: string): number {\n  switch (key) {\n${cases(200)}  }\n}`,
      `function notOnlyATable(key: string): number {\n  work()\n  switch (key) {\n${cases(200)}  }\n}`,
      `class Store {\n  save(): void {\n${lines(99)}  }\n}`,
      `const handler = (): void => {\n${lines(99)}}`,
      `list.forEach(function (): void {\n${lines(99)}})`,
    ].join('\n')
    expect(longFunctions('src/example.ts', text).map(describeEntry)).toEqual([
      'src/example.ts:101 long (101 lines)',
      'src/example.ts:406 notOnlyATable (205 lines)',
      'src/example.ts:612 Store.save (101 lines)',
      'src/example.ts:714 handler (101 lines)',
      'src/example.ts:815 <anonymous> (101 lines)',
    ])
  })

  test('STILL_LONG has no duplicates', () => {
    expect(new Set(STILL_LONG).size).toBe(STILL_LONG.length)
  })
})
