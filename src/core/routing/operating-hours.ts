/**
 * When a queue is open, in the queue's own time zone.
 *
 * Periods follow the wall clock: a 09:00-17:00 period is open while the clocks of that zone show a
 * time from 09:00 to 16:59, whatever the UTC offset. On DST days this has two consequences worth
 * knowing: a period that opens inside the skipped hour opens when the clock jumps past its opening
 * time, and a period inside the repeated hour is open both times the clock shows it.
 *
 * A period belongs to the day it opens. A holiday closes every period that opens on that date, all
 * day; a period that opened the evening before (22:00-06:00 on the eve of a holiday) runs until
 * its close, because the customers it took in were promised that when it opened.
 *
 *   { "timeZone": "Europe/Paris",
 *     "weekly": [{ "day": "mon", "open": "09:00", "close": "17:30" }, { "day": "fri", "open": "22:00", "close": "06:00" }],
 *     "holidays": [{ "date": "2026-12-25", "name": "Christmas" }] }
 */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface OpeningPeriod {
  readonly day: Weekday;
  /** 'HH:MM', 00:00-23:59. */
  readonly open: string;
  /** 'HH:MM', 00:00-24:00; earlier than `open` means the period runs past midnight into the next day. */
  readonly close: string;
}

export interface Holiday {
  /** 'YYYY-MM-DD', a local date in the hours' time zone. */
  readonly date: string;
  readonly name?: string | undefined;
}

export interface OperatingHours {
  /** IANA name, e.g. 'Europe/Paris'. */
  readonly timeZone: string;
  readonly weekly: readonly OpeningPeriod[];
  readonly holidays: readonly Holiday[];
}

export const MAX_OPENING_PERIODS = 50;
export const MAX_HOLIDAYS = 1000;
/** How far ahead `nextOpening` looks before it answers "never". */
export const NEXT_OPENING_HORIZON_DAYS = 370;

const MINUTE = 60_000;
const DAY = 86_400_000;
// No zone is further than this from UTC (Pacific/Kiritimati is +14:00); bounds every search window.
const MAX_OFFSET = 14 * 60 * MINUTE;
const TIME_PATTERN = /^(\d{2}):(\d{2})$/;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Checks opening hours when they are saved, so that `isOpen` and `nextOpening` never meet bad data. */
export function checkOperatingHours(hours: OperatingHours): string | undefined {
  if (typeof hours.timeZone !== 'string' || formatterFor(hours.timeZone) === undefined) {
    return `unknown time zone "${String(hours.timeZone).slice(0, 100)}": use an IANA name such as Europe/Paris`;
  }
  if (hours.weekly.length > MAX_OPENING_PERIODS) return `at most ${MAX_OPENING_PERIODS} opening periods, not ${hours.weekly.length}`;
  for (const [i, period] of hours.weekly.entries()) {
    const where = `opening period ${i + 1}`;
    if (!(WEEKDAYS as readonly string[]).includes(period.day)) return `${where}: unknown day "${String(period.day)}" (one of ${WEEKDAYS.join(', ')})`;
    const open = parseTime(period.open);
    if (open === undefined || open >= DAY) return `${where}: opening time "${String(period.open)}" is not a time from 00:00 to 23:59`;
    const close = parseTime(period.close);
    if (close === undefined) return `${where}: closing time "${String(period.close)}" is not a time from 00:00 to 24:00`;
    if (open === close) return `${where}: opens and closes at ${period.open}; use 00:00-24:00 for a whole day`;
  }
  if (hours.holidays.length > MAX_HOLIDAYS) return `at most ${MAX_HOLIDAYS} holidays, not ${hours.holidays.length}`;
  const seen = new Set<string>();
  for (const holiday of hours.holidays) {
    if (parseDate(holiday.date) === undefined) return `holiday "${String(holiday.date).slice(0, 40)}" is not a date written YYYY-MM-DD`;
    if (seen.has(holiday.date)) return `holiday ${holiday.date} is listed twice`;
    seen.add(holiday.date);
  }
  return undefined;
}

/** Whether the queue is open at an instant. The hours must have passed `checkOperatingHours`. */
export function isOpen(hours: OperatingHours, atMs: number): boolean {
  return openAt(compile(hours), atMs);
}

/**
 * The first instant at or after `atMs` at which the queue is open (`atMs` itself when it is open
 * now), or null when it does not open within 370 days.
 */
export function nextOpening(hours: OperatingHours, atMs: number): number | null {
  const schedule = compile(hours);
  if (openAt(schedule, atMs)) return atMs;
  const horizon = atMs + NEXT_OPENING_HORIZON_DAYS * DAY;
  // The open instants form half-open intervals; each starts either where the clock reaches an
  // opening time or where the offset changes (a jump can land inside a period). So the answer is
  // the earliest such candidate that is open, and nothing else needs to be looked at.
  let best: number | null = null;
  const firstDay = Math.floor(Math.min(atMs, localMs(schedule, atMs)) / DAY) - 1;
  for (let day = firstDay; ; day++) {
    // Candidates from this day onwards all lie after day * DAY - MAX_OFFSET.
    if ((day - 1) * DAY - MAX_OFFSET > Math.min(best ?? horizon, horizon)) break;
    const candidates = [...offsetChangesIn(schedule, day * DAY, (day + 1) * DAY)];
    if (!schedule.holidays.has(day)) {
      for (const period of schedule.byWeekday[weekdayOf(day)]!) candidates.push(...instantsOfLocal(schedule, day * DAY + period.open));
    }
    for (const candidate of candidates.sort((a, b) => a - b)) {
      if (candidate <= atMs || (best !== null && candidate >= best)) continue;
      if (openAt(schedule, candidate)) best = candidate;
    }
  }
  return best !== null && best <= horizon ? best : null;
}

interface Period {
  /** Milliseconds after local midnight. */
  readonly open: number;
  readonly close: number;
}

interface Schedule {
  readonly format: Intl.DateTimeFormat;
  /** Periods by weekday index (0 = Monday). */
  readonly byWeekday: readonly (readonly Period[])[];
  /** Holidays as local day numbers (days since 1970-01-01). */
  readonly holidays: ReadonlySet<number>;
}

function compile(hours: OperatingHours): Schedule {
  const format = formatterFor(hours.timeZone);
  if (format === undefined) throw new RangeError(`unknown time zone "${hours.timeZone}"`);
  const byWeekday: Period[][] = WEEKDAYS.map(() => []);
  for (const p of hours.weekly) {
    const open = parseTime(p.open);
    const close = parseTime(p.close);
    if (open === undefined || close === undefined) throw new RangeError(`invalid opening period ${p.open}-${p.close}`);
    byWeekday[WEEKDAYS.indexOf(p.day)]?.push({ open, close });
  }
  const holidays = new Set<number>();
  for (const h of hours.holidays) {
    const day = parseDate(h.date);
    if (day !== undefined) holidays.add(day);
  }
  return { format, byWeekday, holidays };
}

function openAt(schedule: Schedule, atMs: number): boolean {
  const local = localMs(schedule, atMs);
  const day = Math.floor(local / DAY);
  const time = local - day * DAY;
  if (!schedule.holidays.has(day)) {
    for (const p of schedule.byWeekday[weekdayOf(day)]!) {
      if (time >= p.open && (p.close < p.open || time < p.close)) return true;
    }
  }
  // The tail of yesterday's overnight periods: decided by whether yesterday was a holiday.
  if (!schedule.holidays.has(day - 1)) {
    for (const p of schedule.byWeekday[weekdayOf(day - 1)]!) {
      if (p.close < p.open && time < p.close) return true;
    }
  }
  return false;
}

/** The instants at which the zone's clocks show a local time: none in a skipped hour, two in a repeated one. */
function instantsOfLocal(schedule: Schedule, local: number): number[] {
  // At most one offset change lies within a day of any local time in real zones, so the offsets a
  // day before and a day after are the only ones the answer can use.
  const offsets = new Set([offsetAt(schedule, local - DAY), offsetAt(schedule, local + DAY)]);
  return [...offsets].map((offset) => local - offset).filter((at) => localMs(schedule, at) === local);
}

/** The instants in [from, to) at which the zone's UTC offset changes (at most one per call in real zones). */
function offsetChangesIn(schedule: Schedule, from: number, to: number): number[] {
  const before = offsetAt(schedule, from);
  if (offsetAt(schedule, to) === before) return [];
  let lo = from;
  let hi = to;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(schedule, mid) === before) lo = mid;
    else hi = mid;
  }
  return [hi];
}

function offsetAt(schedule: Schedule, atMs: number): number {
  return localMs(schedule, atMs) - atMs;
}

/** The zone's wall-clock reading at an instant, as milliseconds since 1970-01-01T00:00 local. */
function localMs(schedule: Schedule, atMs: number): number {
  const fields: Record<string, number> = {};
  for (const part of schedule.format.formatToParts(atMs)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = fields;
  // The formatter stops at seconds; every offset in use is a whole number of seconds.
  const wholeSeconds = Date.UTC(year, month - 1, day, hour, minute, second);
  return wholeSeconds + (((atMs % 1000) + 1000) % 1000);
}

function weekdayOf(day: number): number {
  // Day 0, 1970-01-01, was a Thursday (index 3 from Monday).
  return (((day + 3) % 7) + 7) % 7;
}

function parseTime(text: string): number | undefined {
  const m = typeof text === 'string' ? TIME_PATTERN.exec(text) : null;
  if (!m) return undefined;
  const hours = Number(m[1]);
  const minutes = Number(m[2]);
  if (minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0)) return undefined;
  return (hours * 60 + minutes) * MINUTE;
}

function parseDate(text: string): number | undefined {
  const m = typeof text === 'string' ? DATE_PATTERN.exec(text) : null;
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, day);
  // Date.UTC rolls 2026-02-30 over into March; a holiday must be a real date.
  const back = new Date(ms);
  if (year < 1000 || back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return undefined;
  return ms / DAY;
}

// Building a formatter costs far more than using one, and the answer depends only on the zone name.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat | undefined {
  const cached = formatters.get(timeZone);
  if (cached) return cached;
  if (timeZone === '') return undefined;
  try {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, format);
    return format;
  } catch {
    return undefined;
  }
}
