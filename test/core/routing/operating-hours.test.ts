import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  WEEKDAYS, checkOperatingHours, isOpen, nextOpening, type OpeningPeriod, type OperatingHours, type Weekday,
} from '../../../src/core/routing/operating-hours.js';

const at = (iso: string) => Date.parse(iso);
const period = (day: Weekday, open: string, close: string): OpeningPeriod => ({ day, open, close });
const hours = (timeZone: string, weekly: OpeningPeriod[], holidays: string[] = []): OperatingHours => ({
  timeZone, weekly, holidays: holidays.map((date) => ({ date })),
});
const weekdays = (open: string, close: string) => (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((d) => period(d, open, close));

// Paris is UTC+1 in winter and UTC+2 in summer. 2026-12-25 is a Friday.
const paris = hours('Europe/Paris', [...weekdays('09:00', '18:00'), period('thu', '22:00', '02:00'), period('fri', '22:00', '02:00')], ['2026-12-25']);

describe('operating hours: open or closed at an instant', () => {
  const cases: ReadonlyArray<[string, OperatingHours, string, boolean]> = [
    ['closed a minute before opening (08:59 Paris, winter)', paris, '2026-01-05T07:59:00Z', false],
    ['open at the opening minute (09:00 Paris, winter)', paris, '2026-01-05T08:00:00Z', true],
    ['open in the last millisecond before closing', paris, '2026-01-05T16:59:59.999Z', true],
    ['closed at the closing minute', paris, '2026-01-05T17:00:00Z', false],
    ['open at 09:00 local in summer, an hour earlier in UTC', paris, '2026-07-06T07:00:00Z', true],
    ['closed at 08:59 local in summer', paris, '2026-07-06T06:59:00Z', false],
    ['closed on a Saturday afternoon', paris, '2026-01-10T12:00:00Z', false],
    ['an overnight period opens on its own day (Friday 22:00)', paris, '2026-01-09T21:00:00Z', true],
    ['an overnight period runs past midnight (Saturday 01:59)', paris, '2026-01-10T00:59:00Z', true],
    ['an overnight period closes at its close the next day (Saturday 02:00)', paris, '2026-01-10T01:00:00Z', false],
    ['the period on the eve of a holiday runs until its close (Thursday 23:00)', paris, '2026-12-24T22:00:00Z', true],
    ['... including past midnight into the holiday (Friday 01:00)', paris, '2026-12-25T00:00:00Z', true],
    ['closed during the day on a holiday', paris, '2026-12-25T09:00:00Z', false],
    ['an overnight period that would open on a holiday stays closed', paris, '2026-12-25T22:00:00Z', false],
    ['... and so does its tail on the next morning', paris, '2026-12-26T00:30:00Z', false],
    ['00:00-24:00 is open in the last minute of the day', hours('UTC', [period('sun', '00:00', '24:00')]), '2026-01-04T23:59:59Z', true],
    ['00:00-24:00 is closed from midnight of the next day', hours('UTC', [period('sun', '00:00', '24:00')]), '2026-01-05T00:00:00Z', false],
    ['a period closing at 00:00 runs to midnight', hours('UTC', [period('sun', '20:00', '00:00')]), '2026-01-04T23:59:00Z', true],
    ['a period closing at 00:00 has no tail on the next day', hours('UTC', [period('sun', '20:00', '00:00')]), '2026-01-05T00:00:00Z', false],
    ['overlapping periods are open where either is', hours('UTC', [period('mon', '09:00', '12:00'), period('mon', '11:00', '14:00')]), '2026-01-05T13:00:00Z', true],
    ['a zone with a quarter-hour offset (Kathmandu, +05:45)', hours('Asia/Kathmandu', weekdays('09:00', '17:00')), '2026-01-05T03:15:00Z', true],
    ['... closed a millisecond before', hours('Asia/Kathmandu', weekdays('09:00', '17:00')), '2026-01-05T03:14:59.999Z', false],
  ];
  for (const [name, h, iso, open] of cases) {
    it(`${name}: ${open ? 'open' : 'closed'}`, () => assert.equal(isOpen(h, at(iso)), open));
  }
});

describe('operating hours: daylight saving changes follow the wall clock', () => {
  // Paris: on 2026-03-29 the clocks jump from 02:00 to 03:00 (at 01:00Z); on 2026-10-25 they fall
  // back from 03:00 to 02:00 (at 01:00Z). New York: 2026-03-08 02:00 -> 03:00 (07:00Z) and
  // 2026-11-01 02:00 -> 01:00 (06:00Z).
  const skipped = hours('Europe/Paris', [period('sun', '02:30', '04:00')]);
  const nightShift = hours('Europe/Paris', [period('sat', '22:00', '06:00')]);
  const repeated = hours('Europe/Paris', [period('sun', '02:15', '02:45')]);
  const beforeFallBack = hours('Europe/Paris', [period('sun', '00:30', '02:30')]);
  const newYork = hours('America/New_York', weekdays('09:00', '17:00'));
  const cases: ReadonlyArray<[string, OperatingHours, string, boolean]> = [
    ['a period opening in the skipped hour is closed just before the jump', skipped, '2026-03-29T00:59:59.999Z', false],
    ['... and opens at the jump, when the clock reads 03:00', skipped, '2026-03-29T01:00:00Z', true],
    ['... and closes at 04:00 summer time', skipped, '2026-03-29T02:00:00Z', false],
    ['a 22:00-06:00 shift over the spring change opens at 22:00 winter time', nightShift, '2026-03-28T21:00:00Z', true],
    ['... and lasts 7 hours, closing at 06:00 summer time', nightShift, '2026-03-29T04:00:00Z', false],
    ['... open in its last minute', nightShift, '2026-03-29T03:59:00Z', true],
    ['a 22:00-06:00 shift over the autumn change opens at 22:00 summer time', nightShift, '2026-10-24T20:00:00Z', true],
    ['... and lasts 9 hours, still open at 05:59 winter time', nightShift, '2026-10-25T04:59:00Z', true],
    ['... closing at 06:00 winter time', nightShift, '2026-10-25T05:00:00Z', false],
    ['a period in the repeated hour is open the first time (02:15 summer time)', repeated, '2026-10-25T00:15:00Z', true],
    ['... closed in between (02:50 summer time)', repeated, '2026-10-25T00:50:00Z', false],
    ['... closed when the clock falls back to 02:00', repeated, '2026-10-25T01:00:00Z', false],
    ['... and open the second time (02:15 winter time)', repeated, '2026-10-25T01:15:00Z', true],
    ['a period the clock falls back into is closed just before the change (02:59 summer time)', beforeFallBack, '2026-10-25T00:59:00Z', false],
    ['... and open again at the change (02:00 winter time)', beforeFallBack, '2026-10-25T01:00:00Z', true],
    ['New York opens at 14:00Z on the Friday before the spring change', newYork, '2026-03-06T14:00:00Z', true],
    ['... and at 13:00Z on the Monday after it', newYork, '2026-03-09T13:00:00Z', true],
    ['... not at 13:00Z on the Friday before it', newYork, '2026-03-06T13:00:00Z', false],
    ['New York is back to 14:00Z on the Monday after the autumn change', newYork, '2026-11-02T13:59:00Z', false],
  ];
  for (const [name, h, iso, open] of cases) {
    it(`${name}: ${open ? 'open' : 'closed'}`, () => assert.equal(isOpen(h, at(iso)), open));
  }
});

describe('operating hours: the next opening', () => {
  const everyMonday = Array.from({ length: 60 }, (_, i) => new Date(at('2026-01-05T00:00:00Z') + i * 7 * 86_400_000).toISOString().slice(0, 10));
  const cases: ReadonlyArray<[string, OperatingHours, string, string | null]> = [
    ['is now when open now', paris, '2026-01-05T10:00:00.123Z', '2026-01-05T10:00:00.123Z'],
    ['is the same morning before opening', paris, '2026-01-05T05:00:00Z', '2026-01-05T08:00:00Z'],
    ['is the overnight period on a Friday evening', paris, '2026-01-09T18:00:00Z', '2026-01-09T21:00:00Z'],
    ['skips the weekend to Monday 09:00', paris, '2026-01-10T12:00:00Z', '2026-01-12T08:00:00Z'],
    ['skips a holiday and its overnight period', paris, '2026-12-25T02:00:00Z', '2026-12-28T08:00:00Z'],
    ['is the jump itself for a period opening in the skipped hour', hours('Europe/Paris', [period('sun', '02:30', '04:00')]), '2026-03-28T12:00:00Z', '2026-03-29T01:00:00Z'],
    ['is the second 02:15 in a repeated hour', hours('Europe/Paris', [period('sun', '02:15', '02:45')]), '2026-10-25T00:50:00Z', '2026-10-25T01:15:00Z'],
    ['is the fall-back change itself when the clock falls back into a period', hours('Europe/Paris', [period('sun', '00:30', '02:30')]), '2026-10-25T00:45:00Z', '2026-10-25T01:00:00Z'],
    ['is Monday 09:00 summer time in New York after the spring change', hours('America/New_York', weekdays('09:00', '17:00')), '2026-03-07T12:00:00Z', '2026-03-09T13:00:00Z'],
    ['is Monday 09:00 winter time in New York after the autumn change', hours('America/New_York', weekdays('09:00', '17:00')), '2026-10-31T12:00:00Z', '2026-11-02T14:00:00Z'],
    ['is never for hours without periods', hours('Europe/Paris', []), '2026-01-05T10:00:00Z', null],
    ['is never when every opening within 370 days is a holiday', hours('UTC', [period('mon', '09:00', '17:00')], everyMonday), '2026-01-04T00:00:00Z', null],
    ['is found almost a year ahead when the holidays stop just before', hours('UTC', [period('mon', '09:00', '17:00')], everyMonday.slice(0, 52)), '2026-01-04T00:00:00Z', '2027-01-04T09:00:00Z'],
  ];
  for (const [name, h, iso, expected] of cases) {
    it(name, () => assert.equal(nextOpening(h, at(iso)), expected === null ? null : at(expected)));
  }
});

describe('operating hours: checked when saved', () => {
  const valid = paris;
  const cases: ReadonlyArray<[string, OperatingHours, RegExp | undefined]> = [
    ['valid hours with an overnight period and a holiday', valid, undefined],
    ['hours without any period (always closed)', hours('UTC', []), undefined],
    ['a whole day written 00:00-24:00', hours('UTC', [period('sun', '00:00', '24:00')]), undefined],
    ['an unknown time zone', { ...valid, timeZone: 'Mars/Olympus_Mons' }, /unknown time zone "Mars\/Olympus_Mons"/],
    ['an empty time zone', { ...valid, timeZone: '' }, /unknown time zone/],
    ['an offset instead of a zone', { ...valid, timeZone: '+01:00' }, /unknown time zone/],
    ['a time without a leading zero', hours('UTC', [period('mon', '9:00', '17:00')]), /period 1: opening time "9:00"/],
    ['minutes past 59', hours('UTC', [period('mon', '09:00', '17:60')]), /closing time "17:60"/],
    ['a close after 24:00', hours('UTC', [period('mon', '09:00', '24:30')]), /closing time "24:30"/],
    ['an opening at 24:00', hours('UTC', [period('mon', '24:00', '06:00')]), /opening time "24:00" is not a time from 00:00 to 23:59/],
    ['a period that opens and closes at the same time', hours('UTC', [period('mon', '09:00', '09:00')]), /opens and closes at 09:00; use 00:00-24:00/],
    ['an unknown day', hours('UTC', [{ day: 'monday' as Weekday, open: '09:00', close: '17:00' }]), /unknown day "monday"/],
    ['more than 50 periods', hours('UTC', Array.from({ length: 51 }, () => period('mon', '09:00', '10:00'))), /at most 50 opening periods, not 51/],
    ['a holiday that is not a real date', hours('UTC', [], ['2026-02-30']), /holiday "2026-02-30" is not a date/],
    ['a holiday in another format', hours('UTC', [], ['25/12/2026']), /holiday "25\/12\/2026" is not a date/],
    ['a holiday listed twice', hours('UTC', [], ['2026-12-25', '2026-12-25']), /holiday 2026-12-25 is listed twice/],
  ];
  for (const [name, h, problem] of cases) {
    it(problem ? `refuses ${name}` : `accepts ${name}`, () => {
      const result = checkOperatingHours(h);
      if (problem) assert.match(result ?? '', problem);
      else assert.equal(result, undefined);
    });
  }
});

describe('operating hours: properties', () => {
  const zones = ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Asia/Kathmandu', 'Pacific/Chatham', 'UTC'];
  // The DST changes of 2026 in several of those zones: searches starting near them cross a change.
  const changes = ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z', '2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z', '2026-04-04T15:00:00Z', '2026-10-03T16:00:00Z', '2026-04-05T03:00:00Z', '2026-09-06T04:00:00Z'].map(at);
  const time = fc.tuple(fc.integer({ min: 0, max: 24 }), fc.constantFrom(0, 15, 30, 45, 59)).map(([h, m]) => (h === 24 ? '24:00' : `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`));
  const openingPeriod = fc.record({ day: fc.constantFrom(...WEEKDAYS), open: time.filter((t) => t !== '24:00'), close: time }).filter((p) => p.open !== p.close);
  const holiday = fc.integer({ min: 0, max: 500 }).map((d) => new Date(at('2026-01-01T00:00:00Z') + d * 86_400_000).toISOString().slice(0, 10));
  const schedule = fc.record({
    timeZone: fc.constantFrom(...zones),
    weekly: fc.array(openingPeriod, { maxLength: 6 }),
    holidays: fc.uniqueArray(holiday, { maxLength: 30 }).map((dates) => dates.map((date) => ({ date }))),
  });
  const instant = fc.oneof(
    fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-06-01T00:00:00Z') }),
    fc.tuple(fc.constantFrom(...changes), fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 })).map(([c, d]) => c + d),
  );

  it('the next opening is open, and nothing before it is (sampled, plus every minute of the hours before it)', () => {
    fc.assert(
      fc.property(schedule, instant, fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 20, maxLength: 20 }), (h, t, samples) => {
        assert.equal(checkOperatingHours(h), undefined);
        const next = nextOpening(h, t);
        const end = next ?? t + 370 * 86_400_000;
        if (next !== null) {
          assert.ok(next >= t);
          assert.ok(isOpen(h, next), `not open at ${new Date(next).toISOString()}`);
          if (next > t) assert.ok(!isOpen(h, next - 1), `already open before ${new Date(next).toISOString()}`);
        }
        for (const s of samples) {
          const probe = t + Math.floor(s * (end - t));
          if (probe < end) assert.ok(!isOpen(h, probe), `open at ${new Date(probe).toISOString()}, before ${next === null ? 'never' : new Date(next).toISOString()}`);
        }
        for (let probe = Math.max(t, end - 3 * 3_600_000); probe < end; probe += 60_000) {
          assert.ok(!isOpen(h, probe), `open at ${new Date(probe).toISOString()}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is open at some time each week when a period exists and nothing is a holiday', () => {
    fc.assert(
      fc.property(schedule.filter((h) => h.weekly.length > 0), instant, (h, t) => {
        const next = nextOpening({ ...h, holidays: [] }, t);
        assert.ok(next !== null && next - t <= 8 * 86_400_000);
      }),
      { numRuns: 100 },
    );
  });
});
