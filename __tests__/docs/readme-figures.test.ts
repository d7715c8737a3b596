/**
 * Every figure in the README's "Speed, measured" comes from bench/results/latest.json: the block
 * between the bench markers is what bench/lib/readme-figures.mjs makes of that file (table padding
 * and line breaks aside). Rerun `node bench/readme.mjs` after `npm run bench`.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, test} from 'vitest'
import {BEGIN, END, normalised, speedFigures} from '../../bench/lib/readme-figures.mjs'
import {PROJECT_ROOT} from '../fixtures/run-action.js'

test("the README's speed figures are those of bench/results/latest.json", () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8')
  const results = JSON.parse(readFileSync(join(PROJECT_ROOT, 'bench/results/latest.json'), 'utf8'))
  const start = readme.indexOf(BEGIN)
  const end = readme.indexOf(END)
  expect(start, 'the README has the bench markers').toBeGreaterThan(0)
  expect(end).toBeGreaterThan(start)
  expect(normalised(readme.slice(start + BEGIN.length, end))).toBe(
    normalised(speedFigures(results)),
  )
})
