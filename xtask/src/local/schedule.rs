//! EventBridge schedule expressions, `rate(...)` and `cron(...)`, and when they next fire.
//!
//! moto accepts rules but never fires them, so the runner does. AWS's cron has six fields
//! (minutes, hours, day of month, month, day of week, year), days of the week 1–7 from Sunday,
//! and one of the two day fields must be `?`. `L`, `W` and `#` are refused by name rather than
//! misread.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use time::{Date, OffsetDateTime, Time};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Rate(Duration),
    Cron(Cron),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Field,
    hours: Field,
    days_of_month: Field,
    months: Field,
    days_of_week: Field,
    years: Field,
}

/// The allowed values of one cron field, as a membership table from `min`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    min: u32,
    allowed: Vec<bool>,
}

impl Field {
    fn contains(&self, value: u32) -> bool {
        value >= self.min
            && self
                .allowed
                .get((value - self.min) as usize)
                .copied()
                .unwrap_or(false)
    }
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Schedule {
    pub fn parse(expression: &str) -> Result<Self> {
        let expression = expression.trim();
        if let Some(body) = inside(expression, "rate(") {
            return parse_rate(body).map(Schedule::Rate);
        }
        if let Some(body) = inside(expression, "cron(") {
            return parse_cron(body).map(Schedule::Cron);
        }
        bail!("`{expression}` is neither rate(...) nor cron(...)")
    }

    /// The first firing strictly after `after`. A rate counts from `started`, as a rule's rate
    /// counts from its creation.
    pub fn next_after(
        &self,
        after: OffsetDateTime,
        started: OffsetDateTime,
    ) -> Option<OffsetDateTime> {
        match self {
            Schedule::Rate(interval) => {
                let elapsed = (after - started).whole_seconds().max(0) as u64;
                let step = interval.as_secs().max(1);
                let periods = elapsed / step + 1;
                Some(started + Duration::from_secs(periods * step))
            }
            Schedule::Cron(cron) => cron.next_after(after),
        }
    }
}

fn inside<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.strip_prefix(prefix)?.strip_suffix(')')
}

fn parse_rate(body: &str) -> Result<Duration> {
    let mut parts = body.split_whitespace();
    let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        bail!("rate({body}): expected rate(<value> <unit>)");
    };
    let value: u64 = value
        .parse()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| anyhow!("rate({body}): the value must be a positive whole number"))?;
    let (singular, seconds) = match unit {
        "minute" | "minutes" => ("minute", 60),
        "hour" | "hours" => ("hour", 3600),
        "day" | "days" => ("day", 86_400),
        _ => bail!("rate({body}): the unit must be minute(s), hour(s) or day(s)"),
    };
    // EventBridge insists on the singular for 1 and the plural otherwise.
    if (value == 1) != (unit == singular) {
        bail!("rate({body}): use `1 {singular}` or `<n> {singular}s`");
    }
    Ok(Duration::from_secs(value * seconds))
}

fn parse_cron(body: &str) -> Result<Cron> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    let [minutes, hours, dom, month, dow, year] = fields[..] else {
        bail!(
            "cron({body}): AWS cron has six fields (minutes hours day-of-month month day-of-week year), found {}",
            fields.len()
        );
    };
    if (dom == "?") == (dow == "?") {
        bail!("cron({body}): exactly one of day-of-month and day-of-week must be `?`");
    }
    Ok(Cron {
        minutes: parse_field(minutes, 0, 59, &[], false)?,
        hours: parse_field(hours, 0, 23, &[], false)?,
        days_of_month: parse_field(dom, 1, 31, &[], true)?,
        months: parse_field(month, 1, 12, &MONTHS, false)?,
        days_of_week: parse_field(dow, 1, 7, &WEEKDAYS, true)?,
        years: parse_field(year, 1970, 2199, &[], false)?,
    })
}

fn parse_field(text: &str, min: u32, max: u32, names: &[&str], question: bool) -> Result<Field> {
    let mut allowed = vec![false; (max - min + 1) as usize];
    if text == "?" {
        if !question {
            bail!("`?` is only allowed in the day fields");
        }
        return Ok(Field {
            min,
            allowed: vec![true; allowed.len()],
        });
    }
    if text.contains(['L', 'W', '#']) && !names.iter().any(|n| text.contains(n)) {
        bail!("`{text}`: L, W and # are not supported by the local runner");
    }
    let value = |s: &str| -> Result<u32> {
        if let Some(index) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(min + index as u32);
        }
        let v: u32 = s.parse().map_err(|_| anyhow!("`{s}` is not a value"))?;
        if !(min..=max).contains(&v) {
            bail!("`{v}` is outside {min}-{max}");
        }
        Ok(v)
    };
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| anyhow!("`{item}`: bad step"))?,
            ),
            None => (item, 1),
        };
        let (low, high) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let v = value(range)?;
            // `5/15` means from 5 to the end, every 15.
            (v, if item.contains('/') { max } else { v })
        };
        if low > high {
            bail!("`{item}`: the range runs backwards");
        }
        let mut v = low;
        while v <= high {
            allowed[(v - min) as usize] = true;
            v += step;
        }
    }
    Ok(Field { min, allowed })
}

impl Cron {
    fn day_matches(&self, date: Date) -> bool {
        let dom_ok = self.days_of_month.contains(u32::from(date.day()));
        let dow_ok = self
            .days_of_week
            .contains(u32::from(date.weekday().number_from_sunday()));
        self.years.contains(date.year() as u32)
            && self.months.contains(u32::from(u8::from(date.month())))
            && dom_ok
            && dow_ok
    }

    /// The first minute strictly after `after` that matches; `None` if there is none within
    /// the years the expression allows.
    pub fn next_after(&self, after: OffsetDateTime) -> Option<OffsetDateTime> {
        let after = after.replace_second(0).ok()?.replace_nanosecond(0).ok()?;
        let start = after + Duration::from_secs(60);
        let mut date = start.date();
        // Eight years of days covers any leap-day-only expression.
        for _ in 0..(366 * 8) {
            if self.day_matches(date) {
                let from = if date == start.date() {
                    (u32::from(start.hour()), u32::from(start.minute()))
                } else {
                    (0, 0)
                };
                for hour in from.0..24 {
                    if !self.hours.contains(hour) {
                        continue;
                    }
                    let first_minute = if hour == from.0 { from.1 } else { 0 };
                    if let Some(minute) = (first_minute..60).find(|m| self.minutes.contains(*m)) {
                        let time = Time::from_hms(hour as u8, minute as u8, 0).ok()?;
                        return Some(date.with_time(time).assume_utc());
                    }
                }
            }
            date = date.next_day()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn next(expression: &str, after: OffsetDateTime) -> OffsetDateTime {
        Schedule::parse(expression)
            .unwrap_or_else(|e| panic!("{expression}: {e}"))
            .next_after(after, after)
            .unwrap_or_else(|| panic!("{expression} never fires"))
    }

    #[test]
    fn the_daily_report_fires_at_two_the_next_morning() {
        let after = datetime!(2026-11-21 10:15:30 UTC);
        assert_eq!(
            next("cron(0 2 * * ? *)", after),
            datetime!(2026-11-22 02:00 UTC)
        );
        let just_before = datetime!(2026-11-21 01:59:59 UTC);
        assert_eq!(
            next("cron(0 2 * * ? *)", just_before),
            datetime!(2026-11-21 02:00 UTC)
        );
        let exactly = datetime!(2026-11-21 02:00:00 UTC);
        assert_eq!(
            next("cron(0 2 * * ? *)", exactly),
            datetime!(2026-11-22 02:00 UTC)
        );
    }

    #[test]
    fn every_five_minutes_lands_on_the_next_multiple() {
        let after = datetime!(2026-11-21 10:07:12 UTC);
        assert_eq!(
            next("cron(0/5 * * * ? *)", after),
            datetime!(2026-11-21 10:10 UTC)
        );
        assert_eq!(
            next("cron(*/5 * * * ? *)", after),
            datetime!(2026-11-21 10:10 UTC)
        );
    }

    #[test]
    fn weekdays_are_counted_from_sunday() {
        // 2026-11-21 is a Saturday.
        let after = datetime!(2026-11-21 12:00 UTC);
        assert_eq!(
            next("cron(0 9 ? * MON-FRI *)", after),
            datetime!(2026-11-23 09:00 UTC)
        );
        assert_eq!(
            next("cron(0 9 ? * 1 *)", after),
            datetime!(2026-11-22 09:00 UTC)
        );
    }

    #[test]
    fn month_and_year_fields_are_honoured() {
        let after = datetime!(2026-11-21 12:00 UTC);
        assert_eq!(
            next("cron(30 8 1 JAN ? 2028)", after),
            datetime!(2028-01-01 08:30 UTC)
        );
        assert_eq!(
            next("cron(0 0 29 2 ? *)", after),
            datetime!(2028-02-29 00:00 UTC)
        );
        assert!(
            Schedule::parse("cron(0 0 1 1 ? 2020)")
                .ok()
                .and_then(|s| s.next_after(after, after))
                .is_none()
        );
    }

    #[test]
    fn rates_count_from_the_start() {
        let started = datetime!(2026-11-21 10:00:00 UTC);
        let schedule = Schedule::parse("rate(5 minutes)").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            schedule.next_after(started, started),
            Some(datetime!(2026-11-21 10:05 UTC))
        );
        assert_eq!(
            schedule.next_after(datetime!(2026-11-21 10:07:00 UTC), started),
            Some(datetime!(2026-11-21 10:10 UTC))
        );
        assert_eq!(
            Schedule::parse("rate(1 day)").ok(),
            Some(Schedule::Rate(Duration::from_secs(86_400)))
        );
    }

    #[test]
    fn malformed_expressions_are_refused_as_eventbridge_would() {
        for bad in [
            "cron(0 2 * * *)",
            "cron(0 2 * * * *)",
            "cron(0 2 ? * ? *)",
            "cron(61 2 * * ? *)",
            "cron(0 2 L * ? *)",
            "cron(0 2 ? * 6#3 *)",
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate(0 minutes)",
            "rate(5 seconds)",
            "every day",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
