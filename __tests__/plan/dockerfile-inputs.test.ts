import {describe, expect, test} from 'vitest'
import {dockerfileInputs, escapeCharacter} from '../../src/plan/dockerfile-inputs.js'

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
      want: [/^line 2: ADD of a URL without --checksum downloads content .*--checksum=sha256/],
    },
    {
      why: 'ADD of a git repository without a commit',
      dockerfile: lines('FROM alpine', 'ADD git@github.com:acme/app.git#main /src'),
      want: [/^line 2: ADD of a git repository without a full commit fetches/],
    },
    {
      why: 'ADD of an https .git URL',
      dockerfile: lines('FROM alpine', 'ADD https://github.com/acme/app.git /src'),
      want: [/^line 2: ADD of a git repository without a full commit/],
    },
    {
      why: 'FROM with a variable nobody declared',
      dockerfile: 'FROM node:${VERSION}',
      want: [
        /^line 1: FROM: the image still has a variable no ARG declares after substitution: declare it with ARG/,
      ],
    },
    {
      why: 'FROM with a global ARG that has no value',
      dockerfile: lines('ARG BASE', 'FROM $BASE'),
      want: [/^line 2: FROM: the image is empty after substitution/],
    },
    {
      why: 'FROM that substitutes to an invalid reference',
      dockerfile: lines('ARG TAG', 'FROM node:$TAG'),
      want: [/^line 2: FROM: the image is not a valid image reference after substitution$/],
    },
    {
      why: 'an ARG declared only inside a stage is not in scope for FROM',
      dockerfile: lines('FROM alpine', 'ARG V=1', 'FROM node:$V'),
      want: [/^line 3: FROM: the image still has a variable/],
    },
    {
      why: 'a --target that names no stage',
      dockerfile: lines('FROM alpine AS base', 'FROM base AS app'),
      target: 'release',
      want: [/^target 'release' names no stage of the Dockerfile \(none of its 2 named stages\)$/],
    },
    {
      why: 'an unknown instruction',
      dockerfile: lines('FROM alpine', 'COPPY . /app'),
      want: [/^line 2: COPPY is not a Dockerfile instruction$/],
    },
    {
      why: 'an instruction before the first FROM',
      dockerfile: lines('RUN true', 'FROM alpine'),
      want: [/^line 1: RUN before the first FROM$/],
    },
    {
      why: 'a heredoc that is never closed',
      dockerfile: lines('FROM alpine', 'RUN <<EOF', 'echo hi'),
      want: [/^line 2: RUN has a heredoc that is never closed$/],
    },
    {why: 'no FROM at all', dockerfile: '# nothing', want: [/^the Dockerfile has no FROM$/]},
    {
      why: 'FROM with more words than image AS name',
      dockerfile: 'FROM alpine AS a b',
      want: [/^line 1: FROM has more words than "FROM image \[AS name\]"$/],
    },
  ])('$why', ({dockerfile, target, want}) => {
    expect(dockerfileInputs(dockerfile, {}, target).doubts).toEqual(
      want.map((pattern) => expect.stringMatching(pattern)),
    )
  })

  test.each([
    {
      why: 'an unknown instruction with arguments',
      dockerfile: lines('FROM alpine', '', 'EXPOSEE 8080 --secret=hunter2'),
      want: ['line 3: EXPOSEE is not a Dockerfile instruction'],
    },
    {
      why: 'a lower-case unknown instruction, after a continuation',
      dockerfile: lines('FROM alpine', 'RUN true \\', '  && false', 'cmdd ["x"]'),
      want: ['line 4: cmdd is not a Dockerfile instruction'],
    },
    {
      why: 'a private key read as a Dockerfile: no line of it comes back',
      dockerfile: lines(
        '-----BEGIN PRIVATE KEY-----',
        'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
        'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
        'NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ',
        'abcdefgh',
        '-----END PRIVATE KEY-----',
      ),
      want: [
        'line 1: not a Dockerfile instruction (the line does not start with an instruction word)',
        'line 2: not a Dockerfile instruction (the line does not start with an instruction word)',
        'line 3: not a Dockerfile instruction (the line does not start with an instruction word)',
        'line 4: not a Dockerfile instruction (the line does not start with an instruction word)',
        // A word of letters alone could be an instruction: it is named, and is nothing of a key.
        'line 5: abcdefgh is not a Dockerfile instruction',
        'line 6: not a Dockerfile instruction (the line does not start with an instruction word)',
        'the Dockerfile has no FROM',
      ],
    },
    {
      why: 'doubts about FROM, ADD and --from quote nothing of the line',
      dockerfile: lines(
        '# escape=x',
        'FROM alpine AS a b c',
        'ADD https://user:hunter2@example.com/tool.tgz /opt/',
        'ADD https://user:hunter2@example.com/repo.git /src',
        'COPY --from=hunter2:$NOPE /a /b',
        'COPY --from=7 /a /b',
      ),
      want: [
        'line 1: an escape directive that is neither \\ nor ` (docker takes only those)',
        'line 2: FROM has more words than "FROM image [AS name]"',
        expect.stringMatching(/^line 3: ADD of a URL without --checksum/),
        expect.stringMatching(/^line 4: ADD of a git repository without a full commit/),
        expect.stringMatching(/^line 5: COPY --from: the image still has a variable/),
        'line 6: COPY --from names a stage by number that is not an earlier one',
      ],
    },
    {
      why: 'a FROM whose variable is not declared names no variable',
      dockerfile: lines('FROM registry.example/${SECRET_TAG}'),
      want: [expect.stringMatching(/^line 1: FROM: the image still has a variable no ARG/)],
    },
  ])('$why', ({dockerfile, want}) => {
    const {doubts} = dockerfileInputs(dockerfile, {})
    expect(doubts).toEqual(want)
    for (const secret of ['hunter2', 'SECRET_TAG', 'NOPE', 'MIIEvQ', 'MzEfYy', '--secret', '8080'])
      expect(doubts.join('\n')).not.toContain(secret)
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

describe('escapeCharacter: the escape directive only where docker reads directives', () => {
  test.each([
    {why: 'no directive', dockerfile: 'FROM alpine\n', want: '\\'},
    {why: 'a directive at the top', dockerfile: '# escape=`\nFROM alpine\n', want: '`'},
    {
      why: 'after the syntax directive',
      dockerfile: '# syntax=docker/dockerfile:1\n# escape=`\nFROM alpine\n',
      want: '`',
    },
    {why: 'a comment after an instruction', dockerfile: 'FROM alpine\n# escape=`\n', want: '\\'},
    {why: 'after a blank line', dockerfile: '\n# escape=`\nFROM alpine\n', want: '\\'},
  ])('$why', ({dockerfile, want}) => {
    expect(escapeCharacter(dockerfile)).toBe(want)
  })
})
