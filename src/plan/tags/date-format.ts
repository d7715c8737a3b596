/**
 * moment.js-style date formatting (`YYYYMMDD-HHmmss`, `[literal]`, …) in any IANA time zone,
 * built on Intl so the action carries no date library. English names, as moment's default locale.
 */

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

// moment's defaults when `{{date}}` has no format argument (it writes `Z` for a zero offset).
const DEFAULT_FORMAT = 'YYYY-MM-DDTHH:mm:ssZ'
const DEFAULT_FORMAT_UTC = 'YYYY-MM-DDTHH:mm:ss[Z]'

// Longest tokens first, as moment matches them; anything else is copied as is.
const TOKENS =
  /\[[^\]]*\]|YYYY|YY|Y|Qo|Q|MMMM|MMM|MM|Mo|M|DDDD|DDDo|DDD|Do|DD|D|dddd|ddd|dd|do|d|E|e|WW|Wo|W|ww|wo|w|GGGG|GG|gggg|gg|HH|H|hh|h|kk|k|mm|m|ss|s|S{1,9}|A|a|ZZ|Z|X|x|zz|z|[\s\S]/g

interface WallClock {
  year: number
  month: number // 1-12
  day: number
  hour: number
  minute: number
  second: number
  millisecond: number
  weekday: number // 0 = Sunday
  dayOfYear: number
  offsetMinutes: number
  zoneName: string
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone)
  if (!formatter) {
    // Throws a RangeError for an unknown zone; the caller turns it into an input error.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      timeZoneName: 'short',
    })
    formatters.set(timeZone, formatter)
  }
  return formatter
}

/** True when Intl knows the time zone name. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone)
    return true
  } catch {
    return false
  }
}

function wallClock(date: Date, timeZone: string): WallClock {
  const parts: Record<string, string> = {}
  for (const part of formatterFor(timeZone).formatToParts(date)) parts[part.type] = part.value
  const year = Number(parts.year)
  const month = Number(parts.month)
  const day = Number(parts.day)
  const hour = Number(parts.hour)
  const minute = Number(parts.minute)
  const second = Number(parts.second)
  const millisecond = date.getUTCMilliseconds()
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second)
  const offsetMinutes = Math.round((asUtc - (date.getTime() - millisecond)) / 60_000)
  const dayStart = Date.UTC(year, month - 1, day)
  return {
    year,
    month,
    day,
    hour,
    minute,
    second,
    millisecond,
    weekday: new Date(dayStart).getUTCDay(),
    dayOfYear: Math.round((dayStart - Date.UTC(year, 0, 1)) / 86_400_000) + 1,
    offsetMinutes,
    zoneName: parts.timeZoneName ?? timeZone,
  }
}

function pad(value: number, width: number): string {
  const digits = String(Math.abs(value)).padStart(width, '0')
  return value < 0 ? `-${digits}` : digits
}

function ordinal(value: number): string {
  const lastTwo = value % 100
  if (lastTwo >= 11 && lastTwo <= 13) return `${value}th`
  return `${value}${['th', 'st', 'nd', 'rd'][value % 10] ?? 'th'}`
}

function daysInYear(year: number): number {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 366 : 365
}

/**
 * Week of year and week-year as moment computes them: `firstDayOfWeek` 1 and `minDaysRule` 4
 * give ISO weeks; 0 and 6 give the US weeks of moment's default `en` locale.
 */
function weekOfYear(
  clock: WallClock,
  firstDayOfWeek: number,
  minDaysRule: number,
): {week: number; year: number} {
  const weekOffset = (year: number): number => {
    const firstWeekDayOffset = 7 + firstDayOfWeek - minDaysRule
    const jan1Weekday = new Date(Date.UTC(year, 0, firstWeekDayOffset)).getUTCDay()
    return -((7 + jan1Weekday - firstDayOfWeek) % 7) + firstWeekDayOffset - 1
  }
  const weeksIn = (year: number): number =>
    (daysInYear(year) - weekOffset(year) + weekOffset(year + 1)) / 7
  const week = Math.floor((clock.dayOfYear - weekOffset(clock.year) - 1) / 7) + 1
  if (week < 1) return {week: week + weeksIn(clock.year - 1), year: clock.year - 1}
  if (week > weeksIn(clock.year)) return {week: week - weeksIn(clock.year), year: clock.year + 1}
  return {week, year: clock.year}
}

function offset(minutes: number, separator: string): string {
  const sign = minutes < 0 ? '-' : '+'
  const absolute = Math.abs(minutes)
  return `${sign}${pad(Math.floor(absolute / 60), 2)}${separator}${pad(absolute % 60, 2)}`
}

function hour12(clock: WallClock): number {
  return clock.hour % 12 === 0 ? 12 : clock.hour % 12
}

function isoWeek(clock: WallClock): {week: number; year: number} {
  return weekOfYear(clock, 1, 4)
}

function localeWeek(clock: WallClock): {week: number; year: number} {
  return weekOfYear(clock, 0, 6)
}

/** Fractional seconds (`S`, `SS`, …), a `[literal]`, or any other text as it is. */
function otherToken(token: string, clock: WallClock): string {
  if (/^S+$/.test(token))
    return pad(clock.millisecond, 3).padEnd(token.length, '0').slice(0, token.length)
  if (token.startsWith('[') && token.endsWith(']')) return token.slice(1, -1)
  return token
}

/** One moment format token: a table from token to the clock's value. */
function formatToken(token: string, clock: WallClock, date: Date): string {
  switch (token) {
    case 'YYYY':
      return pad(clock.year, 4)
    case 'YY':
      return pad(clock.year % 100, 2)
    case 'Y':
      return String(clock.year)
    case 'Q':
      return String(Math.ceil(clock.month / 3))
    case 'Qo':
      return ordinal(Math.ceil(clock.month / 3))
    case 'M':
      return String(clock.month)
    case 'MM':
      return pad(clock.month, 2)
    case 'Mo':
      return ordinal(clock.month)
    case 'MMM':
      return MONTHS[clock.month - 1].slice(0, 3)
    case 'MMMM':
      return MONTHS[clock.month - 1]
    case 'D':
      return String(clock.day)
    case 'DD':
      return pad(clock.day, 2)
    case 'Do':
      return ordinal(clock.day)
    case 'DDD':
      return String(clock.dayOfYear)
    case 'DDDD':
      return pad(clock.dayOfYear, 3)
    case 'DDDo':
      return ordinal(clock.dayOfYear)
    case 'd':
    case 'e':
      return String(clock.weekday)
    case 'do':
      return ordinal(clock.weekday)
    case 'dd':
      return WEEKDAYS[clock.weekday].slice(0, 2)
    case 'ddd':
      return WEEKDAYS[clock.weekday].slice(0, 3)
    case 'dddd':
      return WEEKDAYS[clock.weekday]
    case 'E':
      return String(clock.weekday === 0 ? 7 : clock.weekday)
    case 'W':
      return String(isoWeek(clock).week)
    case 'WW':
      return pad(isoWeek(clock).week, 2)
    case 'Wo':
      return ordinal(isoWeek(clock).week)
    case 'GGGG':
      return pad(isoWeek(clock).year, 4)
    case 'GG':
      return pad(isoWeek(clock).year % 100, 2)
    case 'w':
      return String(localeWeek(clock).week)
    case 'ww':
      return pad(localeWeek(clock).week, 2)
    case 'wo':
      return ordinal(localeWeek(clock).week)
    case 'gggg':
      return pad(localeWeek(clock).year, 4)
    case 'gg':
      return pad(localeWeek(clock).year % 100, 2)
    case 'H':
      return String(clock.hour)
    case 'HH':
      return pad(clock.hour, 2)
    case 'h':
      return String(hour12(clock))
    case 'hh':
      return pad(hour12(clock), 2)
    case 'k':
      return String(clock.hour === 0 ? 24 : clock.hour)
    case 'kk':
      return pad(clock.hour === 0 ? 24 : clock.hour, 2)
    case 'm':
      return String(clock.minute)
    case 'mm':
      return pad(clock.minute, 2)
    case 's':
      return String(clock.second)
    case 'ss':
      return pad(clock.second, 2)
    case 'A':
      return clock.hour < 12 ? 'AM' : 'PM'
    case 'a':
      return clock.hour < 12 ? 'am' : 'pm'
    case 'Z':
      return offset(clock.offsetMinutes, ':')
    case 'ZZ':
      return offset(clock.offsetMinutes, '')
    case 'X':
      return String(Math.floor(date.getTime() / 1000))
    case 'x':
      return String(date.getTime())
    case 'z':
    case 'zz':
      return clock.zoneName
    default:
      return otherToken(token, clock)
  }
}

/**
 * Formats `date` with moment's format tokens in `timeZone` (IANA name, default UTC); without a
 * format, moment's ISO 8601 default. Throws a RangeError when the time zone is unknown.
 */
export function formatDate(date: Date, format?: string, timeZone = 'UTC'): string {
  const clock = wallClock(date, timeZone)
  const pattern = format ?? (clock.offsetMinutes === 0 ? DEFAULT_FORMAT_UTC : DEFAULT_FORMAT)
  return pattern.replace(TOKENS, (token) => formatToken(token, clock, date))
}
