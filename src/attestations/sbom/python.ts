/**
 * Installed Python distributions: the `METADATA` file of each `*.dist-info` directory (the core
 * metadata, RFC 822 style headers: `Name:`, `Version:`), as pip and every installer write it.
 */
import {headerBlock, parseParagraphs} from './control-fields.js'
import type {FileFindings} from './package-record.js'

/** A distribution name as PyPI compares them (PEP 503): lower case, runs of `-_.` as one `-`. */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}

/** `text` may be only the start of the file: the headers come first. */
export function parsePythonMetadata(text: string): FileFindings {
  const [headers] = parseParagraphs(headerBlock(text))
  const name = headers?.fields.get('name')?.trim()
  const version = headers?.fields.get('version')?.trim()
  if (!name || !/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name)) {
    return {packages: [], note: 'no usable Name: header'}
  }
  if (!version || /\s/.test(version)) return {packages: [], note: 'no usable Version: header'}
  return {packages: [{type: 'pypi', name, version}]}
}
