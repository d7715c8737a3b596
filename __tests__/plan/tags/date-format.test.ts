import {describe, expect, test} from 'vitest'

import {formatDate, isKnownTimeZone} from '../../../src/plan/tags/date-format.js'
import {NOW} from './run-context.js'

describe('formatDate (moment tokens)', () => {
  test.each([
    {why: 'compact date', format: 'YYYYMMDD', tz: 'UTC', want: '20200110'},
    {
      why: 'date and time in Tokyo',
      format: 'YYYYMMDD-HHmmss',
      tz: 'Asia/Tokyo',
      want: '20200110-093000',
    },
    {
      why: '12-hour clock in Tokyo',
      format: 'YYYYMMDD-hhmmss',
      tz: 'Asia/Tokyo',
      want: '20200110-093000',
    },
    {
      why: 'the long form from the metadata-action README',
      format: 'dddd, MMMM Do YYYY, h:mm:ss a',
      tz: 'UTC',
      want: 'Friday, January 10th 2020, 12:30:00 am',
    },
    {
      why: 'a zone behind UTC goes back a day',
      format: 'YYYY-MM-DDTHH:mm:ssZ',
      tz: 'America/New_York',
      want: '2020-01-09T19:30:00-05:00',
    },
    {
      why: 'offset without a colon and a half-hour zone',
      format: 'HHmm ZZ',
      tz: 'Asia/Kolkata',
      want: '0600 +0530',
    },
    {why: 'bracketed text is literal', format: '[week] W, GGGG', tz: 'UTC', want: 'week 2, 2020'},
    {why: 'US locale week (moment en)', format: 'w ww wo gggg', tz: 'UTC', want: '2 02 2nd 2020'},
    {
      why: 'unix seconds and milliseconds',
      format: 'X x',
      tz: 'UTC',
      want: '1578616200 1578616200000',
    },
    {
      why: 'quarter, day of year and weekdays',
      format: 'Q Qo DDD DDDD DDDo E e d do dd ddd',
      tz: 'UTC',
      want: '1 1st 10 010 10th 5 5 5 5th Fr Fri',
    },
    {
      why: 'short years and months',
      format: 'YY M MM Mo MMM D DD',
      tz: 'UTC',
      want: '20 1 01 1st Jan 10 10',
    },
    {why: 'hours 1-24 and meridiem', format: 'k kk H HH A a', tz: 'UTC', want: '24 24 0 00 AM am'},
    {why: 'unpadded minutes and seconds', format: 'm:s', tz: 'UTC', want: '30:0'},
    {
      why: 'characters that are no token are kept',
      format: 'YYYY/MM_DD.T-!',
      tz: 'UTC',
      want: '2020/01_10.T-!',
    },
  ])('$why', ({format, tz, want}) => {
    expect(formatDate(NOW, format, tz)).toEqual(want)
  })

  test.each([
    {
      why: 'ISO week 53 belongs to the previous year',
      date: '2021-01-01T12:00:00Z',
      format: 'W GGGG w gggg',
      want: '53 2020 1 2021',
    },
    {
      why: 'the last days of December can be week 1 of the next year',
      date: '2019-12-30T12:00:00Z',
      format: 'W GGGG',
      want: '1 2020',
    },
    {
      why: 'summer time is honoured',
      date: '2021-07-01T12:00:00Z',
      format: 'HH Z',
      tz: 'Europe/Berlin',
      want: '14 +02:00',
    },
    {
      why: 'winter time is honoured',
      date: '2021-01-01T12:00:00Z',
      format: 'HH Z',
      tz: 'Europe/Berlin',
      want: '13 +01:00',
    },
    {
      why: 'fractional seconds',
      date: '2020-01-10T00:30:00.123Z',
      format: 'S SS SSS SSSS',
      want: '1 12 123 1230',
    },
    {
      why: 'afternoon on a 12-hour clock',
      date: '2020-01-10T15:05:09Z',
      format: 'h:mm:ss A',
      want: '3:05:09 PM',
    },
    {why: 'ordinals 11th to 13th', date: '2020-01-12T00:00:00Z', format: 'Do', want: '12th'},
    {why: 'ordinals 22nd', date: '2020-01-22T00:00:00Z', format: 'Do', want: '22nd'},
  ])('$why', ({date, format, tz, want}) => {
    expect(formatDate(new Date(date), format, tz)).toEqual(want)
  })

  test.each([
    {why: 'UTC without a format uses Z, as moment does', tz: 'UTC', want: '2020-01-10T00:30:00Z'},
    {
      why: 'another zone without a format shows its offset',
      tz: 'Asia/Tokyo',
      want: '2020-01-10T09:30:00+09:00',
    },
  ])('$why', ({tz, want}) => {
    expect(formatDate(NOW, undefined, tz)).toEqual(want)
  })

  test('an unknown time zone throws a RangeError', () => {
    expect(() => formatDate(NOW, 'YYYY', 'Mars/Olympus')).toThrow(RangeError)
  })

  test.each([
    {why: 'an IANA zone is known', tz: 'Europe/Berlin', want: true},
    {why: 'UTC is known', tz: 'UTC', want: true},
    {why: 'a made-up zone is not', tz: 'Mars/Olympus', want: false},
  ])('$why', ({tz, want}) => {
    expect(isKnownTimeZone(tz)).toEqual(want)
  })
})
