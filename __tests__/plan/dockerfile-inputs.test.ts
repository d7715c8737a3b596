import {describe, expect, test} from 'vitest'
import {dockerfileInputs} from '../../src/plan/dockerfile-inputs.js'

const lines = (...text: string[]): string => text.join('\n')

interface Row {
  why: string
  dockerfile: string
  buildArgs?: Record<string, string>
  target?: string
  want: string[]
}

describe('baseImages', () => {
  test.each<Row>([
    {why: 'one stage', dockerfile: 'FROM node:20\nRUN npm ci', want: ['node:20']},
    {
      why: 'a parser directive, comments and a --platform flag',
      dockerfile: lines(
        '# syntax=docker/dockerfile:1',
        '# a comment',
        'FROM --platform=$BUILDPLATFORM golang:1.22 AS build',
        '# another',
        'RUN go build',
      ),
      want: ['golang:1.22'],
    },
    {
      why: 'the last stage and the stage it is built FROM (names are case-insensitive)',
      dockerfile: lines(
        'FROM golang:1.22 AS Build',
        'RUN go build',
        'FROM build AS test',
        'FROM alpine:3.20',
        'COPY --from=BUILD /out /app',
      ),
      want: ['golang:1.22', 'alpine:3.20'],
    },
    {
      why: 'a stage the last stage does not need is left out',
      dockerfile: lines('FROM python:3.12 AS docs', 'RUN make docs', 'FROM busybox', 'CMD ["sh"]'),
      want: ['busybox'],
    },
    {
      why: '--target picks the stage and what it needs',
      dockerfile: lines(
        'FROM golang:1.22 AS build',
        'FROM build AS test',
        'RUN go test',
        'FROM alpine:3.20 AS release',
        'COPY --from=build /out /app',
      ),
      target: 'TEST',
      want: ['golang:1.22'],
    },
    {
      why: 'scratch is no image',
      dockerfile: lines('FROM golang:1.22 AS build', 'FROM scratch', 'COPY --from=build /app /app'),
      want: ['golang:1.22'],
    },
    {
      why: 'COPY --from=<index> is a stage',
      dockerfile: lines('FROM golang:1.22', 'FROM alpine:3.20', 'COPY --from=0 /out /app'),
      want: ['golang:1.22', 'alpine:3.20'],
    },
    {
      why: 'COPY --from=<image> is an input too, after its stage base, deduplicated',
      dockerfile: lines(
        'FROM alpine:3.20',
        'COPY --from=nginx:1.27 /etc/nginx /etc/nginx',
        'COPY --from=alpine:3.20 /etc/os-release /x',
      ),
      want: ['alpine:3.20', 'nginx:1.27'],
    },
    {
      why: 'RUN --mount=from=<image> is an input, from=<stage> is not',
      dockerfile: lines(
        'FROM golang:1.22 AS tools',
        'FROM alpine:3.20',
        'RUN --mount=type=bind,from=tools,target=/t --mount=type=bind,from=ghcr.io/a/b:1,target=/b true',
      ),
      want: ['golang:1.22', 'alpine:3.20', 'ghcr.io/a/b:1'],
    },
    {
      why: 'a global ARG default in FROM, as ${VAR} and as $VAR',
      dockerfile: lines('ARG BASE=alpine', 'ARG TAG=3.20', 'FROM ${BASE}:$TAG'),
      want: ['alpine:3.20'],
    },
    {
      why: 'a build arg overrides the default',
      dockerfile: lines('ARG TAG=3.20', 'FROM alpine:${TAG}'),
      buildArgs: {TAG: '3.19'},
      want: ['alpine:3.19'],
    },
    {
      why: '${VAR:-default} when VAR is empty',
      dockerfile: lines('ARG TAG', 'FROM alpine:${TAG:-3.18}'),
      want: ['alpine:3.18'],
    },
    {
      why: '${VAR:-default} when VAR is set',
      dockerfile: lines('ARG TAG', 'FROM alpine:${TAG:-3.18}'),
      buildArgs: {TAG: 'edge'},
      want: ['alpine:edge'],
    },
    {
      why: 'a global default built from an earlier global',
      dockerfile: lines('ARG VERSION=20', 'ARG IMAGE=node:${VERSION}-alpine', 'FROM $IMAGE'),
      want: ['node:20-alpine'],
    },
    {
      why: 'FROM an ARG that names an earlier stage is that stage',
      dockerfile: lines(
        'ARG FLAVOUR=slim',
        'FROM debian:12 AS full',
        'FROM debian:12-slim AS slim',
        'FROM ${FLAVOUR}',
      ),
      want: ['debian:12-slim'],
    },
    {
      why: 'an ARG inside a stage, with the global redeclared, in COPY --from',
      dockerfile: lines(
        'ARG ASSETS=ghcr.io/acme/assets:7',
        'FROM busybox',
        'ARG ASSETS',
        'COPY --from=${ASSETS} /a /a',
      ),
      want: ['busybox', 'ghcr.io/acme/assets:7'],
    },
    {
      why: 'line continuations (and a comment inside one)',
      dockerfile: lines('FROM \\', '# between', '  alpine:3.20 \\', '  AS base', 'RUN echo'),
      want: ['alpine:3.20'],
    },
    {
      why: 'the escape directive with a backtick',
      dockerfile: lines(
        '# escape=`',
        'FROM mcr.microsoft.com/windows/servercore:ltsc2022 `',
        '  AS base',
        'COPY C:\\src C:\\app',
      ),
      want: ['mcr.microsoft.com/windows/servercore:ltsc2022'],
    },
    {
      why: 'a directive after a comment is only a comment',
      dockerfile: lines('# hello', '# escape=`', 'FROM alpine \\', '  AS a'),
      want: ['alpine'],
    },
    {
      why: 'a heredoc body is skipped, even one that looks like an instruction',
      dockerfile: lines(
        'FROM alpine:3.20',
        'RUN <<EOF',
        'FROM evil:latest',
        'EOF',
        'COPY <<-"CONF" /etc/app.conf',
        '\tFROM=x',
        '\tCONF',
      ),
      want: ['alpine:3.20'],
    },
    {
      why: 'quotes around the image are removed, as docker removes them',
      dockerfile: 'FROM "alpine:3.20"',
      want: ['alpine:3.20'],
    },
    {
      why: 'a platform arg is used when the caller passes it',
      dockerfile: 'FROM ghcr.io/acme/base-$TARGETARCH:1',
      buildArgs: {TARGETARCH: 'arm64'},
      want: ['ghcr.io/acme/base-arm64:1'],
    },
    {why: 'CRLF line ends', dockerfile: 'FROM alpine:3.20\r\nRUN true\r\n', want: ['alpine:3.20']},
  ])('$why', ({dockerfile, buildArgs, target, want}) => {
    expect(dockerfileInputs(dockerfile, buildArgs ?? {}, target)).toEqual({
      baseImages: want,
      doubts: [],
    })
  })
})

describe('doubts', () => {
  test.each([
    {
      why: 'ADD of an https URL can change without the Dockerfile changing',
      dockerfile: lines('FROM alpine', 'ADD https://example.com/tool.tgz /opt/'),
      want: [/^line 2: ADD https:\/\/example\.com\/tool\.tgz downloads content .*--checksum/],
    },
    {
      why: 'ADD of a git repository without a commit',
      dockerfile: lines('FROM alpine', 'ADD git@github.com:acme/app.git#main /src'),
      want: [/^line 2: ADD git@github\.com:acme\/app\.git#main fetches a git repository/],
    },
    {
      why: 'ADD of an https .git URL',
      dockerfile: lines('FROM alpine', 'ADD https://github.com/acme/app.git /src'),
      want: [/^line 2: ADD .* fetches a git repository/],
    },
    {
      why: 'FROM with a variable nobody declared',
      dockerfile: 'FROM node:${VERSION}',
      want: [
        /^line 1: FROM 'node:\$\{VERSION\}' still has \$VERSION after substitution: declare it with ARG/,
      ],
    },
    {
      why: 'FROM with a global ARG that has no value',
      dockerfile: lines('ARG BASE', 'FROM $BASE'),
      want: [/^line 2: FROM '\$BASE' is empty after substitution/],
    },
    {
      why: 'FROM that substitutes to an invalid reference',
      dockerfile: lines('ARG TAG', 'FROM node:$TAG'),
      want: [/^line 2: FROM 'node:\$TAG' is 'node:', which is not a valid image reference/],
    },
    {
      why: 'an ARG declared only inside a stage is not in scope for FROM',
      dockerfile: lines('FROM alpine', 'ARG V=1', 'FROM node:$V'),
      want: [/^line 3: FROM 'node:\$V' still has \$V/],
    },
    {
      why: 'a --target that names no stage',
      dockerfile: lines('FROM alpine AS base', 'FROM base AS app'),
      target: 'release',
      want: [/^target 'release' names no stage of the Dockerfile \(stages: base, app\)$/],
    },
    {
      why: 'an unknown instruction',
      dockerfile: lines('FROM alpine', 'COPPY . /app'),
      want: [/^line 2: unknown instruction 'COPPY'$/],
    },
    {
      why: 'an instruction before the first FROM',
      dockerfile: lines('RUN true', 'FROM alpine'),
      want: [/^line 1: RUN before the first FROM$/],
    },
    {
      why: 'a heredoc that is never closed',
      dockerfile: lines('FROM alpine', 'RUN <<EOF', 'echo hi'),
      want: [/^line 2: heredoc <<EOF is never closed$/],
    },
    {why: 'no FROM at all', dockerfile: '# nothing', want: [/^the Dockerfile has no FROM$/]},
    {
      why: 'FROM with more words than image AS name',
      dockerfile: 'FROM alpine AS a b',
      want: [/^line 1: cannot read 'FROM alpine AS a b'/],
    },
  ])('$why', ({dockerfile, target, want}) => {
    expect(dockerfileInputs(dockerfile, {}, target).doubts).toEqual(
      want.map((pattern) => expect.stringMatching(pattern)),
    )
  })

  test.each([
    {
      why: 'ADD of a URL pinned with --checksum',
      dockerfile: lines(
        'FROM alpine',
        `ADD --checksum=sha256:${'c'.repeat(64)} https://example.com/t.tgz /opt/`,
      ),
    },
    {
      why: 'ADD of a git URL at a full commit',
      dockerfile: lines(
        'FROM alpine',
        `ADD https://github.com/acme/app.git#${'d'.repeat(40)} /src`,
      ),
    },
    {why: 'ADD of a local file', dockerfile: lines('FROM alpine', 'ADD app.tar.gz /opt/')},
    {
      why: 'ADD of a URL in a stage the target does not need',
      dockerfile: lines('FROM alpine AS unused', 'ADD https://example.com/x /x', 'FROM busybox'),
    },
  ])('no doubt: $why', ({dockerfile}) => {
    expect(dockerfileInputs(dockerfile, {}).doubts).toEqual([])
  })
})
