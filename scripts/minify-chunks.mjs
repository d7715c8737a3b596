#!/usr/bin/env node
// ncc --minify minifies the entry file only; the chunks it splits out for lazily loaded modules
// (the OCI SDK, Octokit) stay as they are. This minifies them too, in place, deterministically,
// so dist/ stays byte for byte reproducible (check-dist and .ci/run rebuild and compare it).
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {minify} from 'terser'

const dist = join(import.meta.dirname, '..', 'dist')
for (const file of readdirSync(dist)
  .filter((name) => /^\d+\.index\.js$/.test(name))
  .sort()) {
  const path = join(dist, file)
  const result = await minify(readFileSync(path, 'utf8'), {
    module: true,
    ecma: 2022,
    compress: {passes: 1},
    mangle: true,
    format: {comments: false},
  })
  if (result.code === undefined) throw new Error(`terser gave no output for dist/${file}`)
  writeFileSync(path, result.code)
}
