import {describe, expect, test} from 'vitest'

import {inputLines, splitCsvLine} from '../../../src/plan/tags/csv-line.js'

describe('splitCsvLine', () => {
  test.each([
    {why: 'commas separate fields', line: 'type=raw,value=a', want: ['type=raw', 'value=a']},
    {
      why: 'double quotes protect commas',
      line: 'type=match,"pattern=\\d{1,3}",group=0',
      want: ['type=match', 'pattern=\\d{1,3}', 'group=0'],
    },
    {
      why: 'a doubled quote inside quotes is one quote',
      line: '"value=say ""hi"""',
      want: ['value=say "hi"'],
    },
    {why: 'fields are trimmed', line: ' type=raw ,  value=a ', want: ['type=raw', 'value=a']},
    {
      why: 'spaces around a quoted field are allowed',
      line: 'a,  "b,c"  ,d',
      want: ['a', 'b,c', 'd'],
    },
    {
      why: 'a quote inside an unquoted field is a character',
      line: 'value={{date "YYYY"}}',
      want: ['value={{date "YYYY"}}'],
    },
    {why: 'empty fields are kept', line: 'a,,b,', want: ['a', '', 'b', '']},
    {
      why: 'single quotes are plain characters',
      line: "value={{date 'YYYY,MM'}}",
      want: ["value={{date 'YYYY", "MM'}}"],
    },
  ])('$why', ({line, want}) => {
    expect(splitCsvLine(line)).toEqual(want)
  })

  test.each([
    {why: 'an unclosed quote', line: 'a,"b', message: /not closed/},
    {why: 'text after a closing quote', line: '"a"b', message: /after a closing quote/},
  ])('$why is an error', ({line, message}) => {
    expect(() => splitCsvLine(line)).toThrow(message)
  })
})

describe('inputLines', () => {
  test.each([
    {
      why: 'blank lines and comments are dropped',
      entries: ['a', '', '  ', '# c', ' #c', 'b'],
      want: ['a', 'b'],
    },
    {why: 'entries with newlines are split', entries: ['a\nb\r\nc'], want: ['a', 'b', 'c']},
    {
      why: 'a # inside a line is kept',
      entries: ['type=raw,value=a#b'],
      want: ['type=raw,value=a#b'],
    },
  ])('$why', ({entries, want}) => {
    expect(inputLines(entries)).toEqual(want)
  })
})
