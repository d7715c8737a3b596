/**
 * The Handlebars subset metadata-action's rules use: `{{name}}` and
 * `{{helper 'arg' key='value'}}` (single or double quotes; `{{{…}}}` is accepted too).
 * Unlike Handlebars, an unknown name is an error instead of an empty string, so a typo such as
 * `{{brnach}}` fails the run rather than pushing a tag without the branch in it.
 */

/** A helper gets its positional arguments and its `key=value` hash. */
export type ExpressionHelper = (args: string[], hash: Record<string, string>) => string

export type ExpressionScope = Readonly<Record<string, ExpressionHelper>>

/** Thrown for a malformed or unknown expression; callers wrap it into an InputError. */
export class ExpressionError extends Error {}

interface Expression {
  name: string
  args: string[]
  hash: Record<string, string>
}

const EXPRESSION = /\{\{\{?([\s\S]*?)\}?\}\}/g

function parseExpression(body: string): Expression {
  const text = body.trim()
  const head = /^[A-Za-z_][\w-]*/.exec(text)
  if (!head) throw new ExpressionError(`'{{${body}}}' is not an expression`)
  const expression: Expression = {name: head[0], args: [], hash: {}}
  let rest = text.slice(head[0].length)
  const token = /^\s+(?:([A-Za-z_]\w*)=)?(?:'([^']*)'|"([^"]*)"|([^\s'"=]+))/
  while (rest.trim() !== '') {
    const match = token.exec(rest)
    if (!match) throw new ExpressionError(`cannot read '${rest.trim()}' in '{{${body.trim()}}}'`)
    const value = match[2] ?? match[3] ?? match[4]
    if (match[1]) expression.hash[match[1]] = value
    else if (match[2] !== undefined || match[3] !== undefined) expression.args.push(value)
    else throw new ExpressionError(`'${value}' in '{{${body.trim()}}}' must be quoted`)
    rest = rest.slice(match[0].length)
  }
  return expression
}

/**
 * What is wrong with the template's braces, or undefined when each `{{` is closed by a `}}` before
 * the next `{{` opens and no `}}` comes without its `{{`. Handlebars refuses such a template;
 * rendered as text it would reach the tag half-expanded (`{{major}}.{{minor` → `1.-minor`).
 */
export function unbalancedBraces(template: string): string | undefined {
  let position = 0
  for (;;) {
    const open = template.indexOf('{{', position)
    const close = template.indexOf('}}', position)
    if (close !== -1 && (open === -1 || close < open)) {
      return `'${template.slice(position, close + 2)}' ends with '}}' that no '{{' opened`
    }
    if (open === -1) return undefined
    const triple = template[open + 2] === '{'
    const bodyStart = open + (triple ? 3 : 2)
    const end = template.indexOf('}}', bodyStart)
    const nextOpen = template.indexOf('{{', bodyStart)
    if (end === -1) return `'${template.slice(open)}' is never closed`
    if (nextOpen !== -1 && nextOpen < end) {
      return `'${template.slice(open, nextOpen)}' is never closed (another '{{' opens before its '}}')`
    }
    position = end + 2 + (triple && template[end + 2] === '}' ? 1 : 0)
  }
}

/** Names of the expressions used in a template (e.g. `['major', 'minor']`). */
export function expressionNames(template: string): string[] {
  const names: string[] = []
  for (const match of template.matchAll(EXPRESSION)) {
    const name = /^\s*([A-Za-z_][\w-]*)/.exec(match[1])?.[1]
    if (name) names.push(name)
  }
  return names
}

/** True when the template is exactly `{{raw}}` (metadata-action's isRawStatement). */
export function isRawStatement(template: string): boolean {
  return /^\{\{\{?\s*raw\s*\}?\}\}$/.test(template.trim())
}

/** Renders a template; throws ExpressionError for an unknown name or a malformed expression. */
export function renderTemplate(template: string, scope: ExpressionScope): string {
  return template.replace(EXPRESSION, (_whole, body: string) => {
    const expression = parseExpression(body)
    const helper = Object.prototype.hasOwnProperty.call(scope, expression.name)
      ? scope[expression.name]
      : undefined
    if (!helper) {
      throw new ExpressionError(
        `unknown expression '{{${expression.name}}}'; known here: ${Object.keys(scope)
          .map((name) => `{{${name}}}`)
          .join(', ')}`,
      )
    }
    return helper(expression.args, expression.hash)
  })
}
