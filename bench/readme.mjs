#!/usr/bin/env node
// Writes the README's speed figures from bench/results/latest.json (see bench/lib/readme-figures.mjs).
import {spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {BEGIN, END, speedFigures} from './lib/readme-figures.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const readmePath = join(root, 'README.md')
const results = JSON.parse(readFileSync(join(root, 'bench/results/latest.json'), 'utf8'))
const readme = readFileSync(readmePath, 'utf8')
const start = readme.indexOf(BEGIN)
const end = readme.indexOf(END)
if (start < 0 || end < start) throw new Error(`README.md has no ${BEGIN} … ${END} block`)
writeFileSync(
  readmePath,
  `${readme.slice(0, start + BEGIN.length)}\n\n${speedFigures(results)}\n\n${readme.slice(end)}`,
)
spawnSync(join(root, 'node_modules/.bin/prettier'), [
  '--write',
  '--log-level',
  'silent',
  readmePath,
])
console.log('README.md: speed figures written from bench/results/latest.json')
