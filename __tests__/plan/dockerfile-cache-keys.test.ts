import {expect, test} from 'vitest'
import {dockerfileCacheKeys} from '../../src/plan/dockerfile-cache-keys.js'

test.each([
  {
    why: 'a stage gives its base and first instruction',
    text: 'FROM node:20\nWORKDIR /app\nCOPY . .',
    want: ['node:20\nWORKDIR /app'],
  },
  {
    why: 'comments, blank lines and case do not matter',
    text: '# syntax=docker/dockerfile:1\n\nfrom Node:20\nworkdir   /app',
    want: ['node:20\nWORKDIR /app'],
  },
  {
    why: 'continuation lines are one instruction',
    text: 'FROM alpine\nRUN apk add \\\n  curl',
    want: ['alpine\nRUN apk add curl'],
  },
  {
    why: 'every stage of a multi-stage build counts, --platform and AS are ignored',
    text: 'FROM --platform=$BUILDPLATFORM golang AS build\nRUN go build\nFROM scratch\nCOPY --from=build /app /app',
    want: ['golang\nRUN go build', 'scratch\nCOPY --from=build /app /app'],
  },
  {
    why: 'a stage with nothing after FROM creates no layer to share',
    text: 'FROM alpine AS base\nFROM base\nRUN true',
    want: ['base\nRUN true'],
  },
])('$why', ({text, want}) => {
  expect(dockerfileCacheKeys(text)).toEqual(want)
})
