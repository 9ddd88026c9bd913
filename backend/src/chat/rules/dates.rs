//! Due dates said the way people say them — "tomorrow at 5pm", "next monday", "on Dec 3",
//! "in 2 days", "friday evening" — found inside a clause and resolved in the user's timezone.
//! All arithmetic is checked: an absurd amount ("in 200000000000 days") is no date, never a panic.
//!
//! Times without am/pm are read as people mean them (docs/chat.md, "Times"): 1–6 o'clock is the
//! afternoon, 12 is noon; 7–11 is the morning unless the clause has an evening word ("film",
//! "dinner", "tonight"…), and when no day is given and that morning has passed, the evening of
//! today. A zero-padded or 24-hour time ("08:00", "17:30") is taken as written.

use std::ops::Range;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::{
    lexicon::{is_evening_word, is_morning_word},
    slots::phrase_at,
    text::{Token, number},
};

/// A due date found in a clause, and which tokens said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub at: DateTime<Utc>,
    /// Token ranges to drop from the clause (date and time may be apart: "on friday call Bo at 3pm").
    pub spans: Vec<Range<usize>>,
    /// Only a time of day was said, no day.
    pub time_only: bool,
}

impl Found {
    pub(crate) fn covers(&self, i: usize) -> bool {
        self.spans.iter().any(|span| span.contains(&i))
    }
}

/// Time used when only a day is given: the end of that day, so "due Friday" is not late on Friday.
pub(crate) const END_OF_DAY: NaiveTime = match NaiveTime::from_hms_opt(23, 59, 0) {
    Some(time) => time,
    None => unreachable!(),
};

/// Longest offset understood: "in 10 years" is not a to-do date.
const MAX_OFFSET_DAYS: i64 = 3650;

/// Words that may introduce a date and go with it: "due friday", "by 5pm".
const LEADS: [&str; 10] = [
    "due", "by", "on", "for", "before", "until", "till", "at", "from", "around",
];

/// A time of day, and the evening reading when the hour could be either ("at 8").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Clock {
    time: NaiveTime,
    evening: Option<NaiveTime>,
}

/// Finds the first date and the first time of day in `tokens` and resolves them after `now`.
pub(crate) fn find(tokens: &[Token], now: DateTime<Utc>, timezone: Tz) -> Option<Found> {
    let local_now = now.with_timezone(&timezone);
    let today = local_now.date_naive();
    let evening_cue = tokens.iter().any(|t| is_evening_word(&t.key));
    let morning_cue = tokens.iter().any(|t| is_morning_word(&t.key));
    let mut spans = Vec::new();
    let mut date = None;
    let mut clock: Option<Clock> = None;
    let mut exact = None;
    let mut i = 0;
    while i < tokens.len() {
        // "every friday" repeats; it is not one due date (and stays in the title).
        if tokens[i].quoted || (i > 0 && matches!(tokens[i - 1].key.as_str(), "every" | "each")) {
            i += 1;
            continue;
        }
        if date.is_none() && exact.is_none() {
            if let Some((day, hint, len)) = day_at(tokens, i, today) {
                date = Some(day);
                clock = clock.or(hint.map(|time| Clock { time, evening: None }));
                spans.push(with_lead(tokens, i..i + len));
                i += len;
                continue;
            }
            if let Some((delta, len)) = offset_at(tokens, i) {
                exact = now.checked_add_signed(delta);
                spans.push(with_lead(tokens, i..i + len));
                i += len;
                continue;
            }
        }
        if let Some((at, len)) = time_at(tokens, i, evening_cue, morning_cue) {
            // A later, more precise time ("tonight at 9") wins over a day's hint.
            if clock.is_none() || date.is_some() {
                clock = Some(at);
            }
            spans.push(with_lead(tokens, i..i + len));
            i += len;
            continue;
        }
        i += 1;
    }
    if let Some(at) = exact {
        return Some(Found {
            at,
            spans,
            time_only: false,
        });
    }
    let time_only = date.is_none();
    let (day, time) = match (date, clock) {
        (None, None) => return None,
        (Some(day), None) => (day, END_OF_DAY),
        (Some(day), Some(clock)) => (day, clock.time),
        // A time alone is the next time the clock shows it.
        (None, Some(clock)) if clock.time > local_now.time() => (today, clock.time),
        (
            None,
            Some(Clock {
                evening: Some(evening), ..
            }),
        ) if evening > local_now.time() => (today, evening),
        (None, Some(clock)) => (today.checked_add_days(Days::new(1))?, clock.time),
    };
    Some(Found {
        at: local_to_utc(day, time, timezone)?,
        spans,
        time_only,
    })
}

/// Local wall time → UTC; in a DST gap the clock time does not exist, so take the hour after.
pub(crate) fn local_to_utc(day: NaiveDate, time: NaiveTime, timezone: Tz) -> Option<DateTime<Utc>> {
    let local = day.and_time(time);
    timezone
        .from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            let later = local.checked_add_signed(Duration::try_hours(1)?)?;
            timezone.from_local_datetime(&later).earliest()
        })
        .map(|at| at.with_timezone(&Utc))
}

/// The span with the word that introduced it ("due friday", "on the 3rd of march").
fn with_lead(tokens: &[Token], span: Range<usize>) -> Range<usize> {
    let mut start = span.start;
    if start > 0 && tokens[start - 1].key == "the" {
        start -= 1;
    }
    if start > 0 && LEADS.contains(&tokens[start - 1].key.as_str()) {
        start -= 1;
    }
    start..span.end
}

/// An offset that reads like a date but is none ("in 200000000000 days"): its span, so the
/// engine can say it did not understand it instead of keeping it in a title.
pub(crate) fn unreadable(tokens: &[Token]) -> Option<Range<usize>> {
    (0..tokens.len()).find_map(|i| {
        let unit = key(tokens, i + 2)?.trim_end_matches('s');
        let looks_like = key(tokens, i) == Some("in")
            && key(tokens, i + 1).is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
            && matches!(unit, "minute" | "min" | "hour" | "day" | "week" | "month" | "year");
        (looks_like && offset_at(tokens, i).is_none()).then_some(i..i + 3)
    })
}

fn key(tokens: &[Token], i: usize) -> Option<&str> {
    tokens.get(i).filter(|t| !t.quoted).map(|t| t.key.as_str())
}

/// A day: today, tomorrow, weekdays, "next week", month-day dates, ISO dates. The optional time is
/// what the words imply ("tonight", "tomorrow morning").
fn day_at(tokens: &[Token], i: usize, today: NaiveDate) -> Option<(NaiveDate, Option<NaiveTime>, usize)> {
    let after = |n: u64| today.checked_add_days(Days::new(n));
    let (day, len) = if let Some(len) =
        phrase_at(tokens, i, "the day after tomorrow").or_else(|| phrase_at(tokens, i, "day after tomorrow"))
    {
        (after(2)?, len)
    } else if let Some(len) = ["end of the week", "end of week", "end of this week"]
        .iter()
        .find_map(|p| phrase_at(tokens, i, p))
    {
        (on_or_after(today, Weekday::Fri)?, len)
    } else if let Some(len) = ["end of the month", "end of month", "end of this month"]
        .iter()
        .find_map(|p| phrase_at(tokens, i, p))
    {
        (last_of_month(today)?, len)
    } else if let Some(len) = phrase_at(tokens, i, "next week") {
        (upcoming(today, Weekday::Mon)?, len)
    } else if let Some(len) = ["this weekend", "the weekend", "weekend"]
        .iter()
        .find_map(|p| phrase_at(tokens, i, p))
    {
        (on_or_after(today, Weekday::Sat)?, len)
    } else {
        match key(tokens, i)? {
            "today" => (today, 1),
            "tonight" => return Some((today, NaiveTime::from_hms_opt(20, 0, 0), 1)),
            "tomorrow" => (after(1)?, 1),
            word => {
                let (modifier, at) = match word {
                    "this" | "next" | "coming" => (word, i + 1),
                    _ => ("", i),
                };
                if let Some(weekday) = key(tokens, at).and_then(weekday) {
                    let day = if modifier == "this" {
                        on_or_after(today, weekday)?
                    } else {
                        upcoming(today, weekday)?
                    };
                    (day, at + 1 - i)
                } else if let Ok(day) = NaiveDate::parse_from_str(word, "%Y-%m-%d") {
                    (day, 1)
                } else {
                    month_day_at(tokens, i, today)?
                }
            }
        }
    };
    // "tomorrow morning", "friday evening"
    let part = key(tokens, i + len).and_then(part_of_day);
    Some((day, part, len + usize::from(part.is_some())))
}

fn part_of_day(word: &str) -> Option<NaiveTime> {
    let hour = match word {
        "morning" => 9,
        "noon" | "lunchtime" | "midday" => 12,
        "afternoon" => 15,
        "evening" => 18,
        "night" => 20,
        _ => return None,
    };
    NaiveTime::from_hms_opt(hour, 0, 0)
}

/// "Dec 3", "December 3rd", "3 Dec", "3rd of December", each with an optional year.
fn month_day_at(tokens: &[Token], i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let word = |k: usize| key(tokens, k);
    let (month, day, mut len) = if let Some(month) = word(i).and_then(month) {
        (month, word(i + 1).and_then(day_of_month)?, 2)
    } else {
        let day = word(i).and_then(day_of_month)?;
        let skip = usize::from(word(i + 1) == Some("of"));
        match word(i + 1 + skip).and_then(month) {
            Some(month) => (month, day, 2 + skip),
            None => return day_of_this_or_next_month(tokens, i, day, today).map(|date| (date, 1)),
        }
    };
    let year = match word(i + len).and_then(|w| w.parse::<i32>().ok()) {
        Some(year) if (2000..=2200).contains(&year) => {
            len += 1;
            Some(year)
        }
        _ => None,
    };
    let date = match year {
        Some(year) => NaiveDate::from_ymd_opt(year, month, day)?,
        // Without a year, the next such day: "Jan 5" said in December is next January.
        None => match NaiveDate::from_ymd_opt(today.year(), month, day) {
            Some(date) if date >= today => date,
            _ => NaiveDate::from_ymd_opt(today.year().checked_add(1)?, month, day)?,
        },
    };
    Some((date, len))
}

/// "in 3 days", "in two weeks", "in an hour", "in 30 minutes", "in a couple of days".
fn offset_at(tokens: &[Token], i: usize) -> Option<(Duration, usize)> {
    if key(tokens, i)? != "in" {
        return None;
    }
    let (amount, mut len) = match key(tokens, i + 1)? {
        "a" if matches!(key(tokens, i + 2), Some("couple" | "few")) => {
            (if key(tokens, i + 2) == Some("few") { 3 } else { 2 }, 3)
        }
        "couple" | "few" => (if key(tokens, i + 1) == Some("few") { 3 } else { 2 }, 2),
        word => (number(word)?, 2),
    };
    if key(tokens, i + len) == Some("of") {
        len += 1;
    }
    let unit = key(tokens, i + len)?.trim_end_matches('s');
    let days = match unit {
        "minute" | "min" => amount.checked_mul(60).map(|s| (s, 0)),
        "hour" => amount.checked_mul(3600).map(|s| (s, 0)),
        "day" => Some((0, amount)),
        "week" => amount.checked_mul(7).map(|d| (0, d)),
        "month" => amount.checked_mul(30).map(|d| (0, d)),
        _ => return None,
    }?;
    let within = |days: i64| (0..=MAX_OFFSET_DAYS).contains(&days);
    let delta = match days {
        (seconds, 0) if amount > 0 && within(seconds / 86_400) => Duration::try_seconds(seconds)?,
        (0, days) if amount > 0 && within(days) => Duration::try_days(days)?,
        _ => return None,
    };
    Some((delta, len + 1))
}

/// "at 5pm", "5:30 pm", "17:00", "noon", "midnight", "in the morning", "at 8".
fn time_at(tokens: &[Token], i: usize, evening_cue: bool, morning_cue: bool) -> Option<(Clock, usize)> {
    let word = key(tokens, i)?;
    let fixed = |hour| NaiveTime::from_hms_opt(hour, 0, 0).map(|time| Clock { time, evening: None });
    match word {
        "noon" | "midday" | "lunchtime" => return Some((fixed(12)?, 1)),
        "midnight" => {
            return Some((
                Clock {
                    time: END_OF_DAY,
                    evening: None,
                },
                1,
            ));
        }
        _ => {}
    }
    for (phrase, hour) in [
        ("in the morning", 9),
        ("this morning", 9),
        ("in the afternoon", 15),
        ("this afternoon", 15),
        ("in the evening", 18),
        ("this evening", 18),
        ("at night", 20),
    ] {
        if let Some(len) = phrase_at(tokens, i, phrase) {
            return Some((fixed(hour)?, len));
        }
    }
    let (clock, explicit_at) = if word == "at" || word == "around" {
        (key(tokens, i + 1)?, 1)
    } else {
        (word, 0)
    };
    let suffix = key(tokens, i + explicit_at + 1);
    let (text, meridiem, len) = match suffix {
        Some(m @ ("am" | "pm" | "a.m" | "p.m")) => (clock, Some(m.starts_with('p')), explicit_at + 2),
        _ => match clock.strip_suffix("pm").or_else(|| clock.strip_suffix("p.m")) {
            Some(rest) => (rest, Some(true), explicit_at + 1),
            None => match clock.strip_suffix("am").or_else(|| clock.strip_suffix("a.m")) {
                Some(rest) => (rest, Some(false), explicit_at + 1),
                None => (clock, None, explicit_at + 1),
            },
        },
    };
    let (hour, minute) = match text.split_once([':', '.']) {
        Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        Some(_) => return None,
        None => (text.parse::<u32>().ok()?, 0),
    };
    let colon = text.contains([':', '.']);
    // "2.50" is money unless it is said as a time ("at 2.50", "2.50pm").
    if text.contains('.') && explicit_at == 0 && meridiem.is_none() {
        return None;
    }
    // A bare number is a time only after "at" ("at 5"), or with a colon or am/pm.
    if meridiem.is_none() && explicit_at == 0 && !colon {
        return None;
    }
    let time = |h: u32| NaiveTime::from_hms_opt(h, minute, 0);
    let clock = match meridiem {
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(true) => Clock {
            time: time(hour % 12 + 12)?,
            evening: None,
        },
        Some(false) => Clock {
            time: time(hour % 12)?,
            evening: None,
        },
        None if text.starts_with('0') || hour == 0 || hour >= 13 => Clock {
            time: time(hour)?,
            evening: None,
        },
        None if hour == 12 => Clock {
            time: time(12)?,
            evening: None,
        },
        None if (1..=6).contains(&hour) && !morning_cue => Clock {
            time: time(hour + 12)?,
            evening: None,
        },
        None if evening_cue && !morning_cue => Clock {
            time: time(hour + 12)?,
            evening: None,
        },
        None if morning_cue => Clock {
            time: time(hour)?,
            evening: None,
        },
        None => Clock {
            time: time(hour)?,
            evening: time(hour + 12),
        },
    };
    Some((clock, len))
}

pub(crate) fn weekday(word: &str) -> Option<Weekday> {
    let day = match word {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tues" | "tuesday" => Weekday::Tue,
        "wed" | "weds" | "wednesday" => Weekday::Wed,
        "thu" | "thur" | "thurs" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => return None,
    };
    Some(day)
}

fn month(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = word.trim_end_matches('.');
    // Full names, or abbreviations of three or four letters ("dec", "sept").
    let index = MONTHS
        .iter()
        .position(|name| *name == word || ((3..=4).contains(&word.len()) && name.starts_with(word)))?;
    u32::try_from(index).ok().map(|i| i + 1)
}

/// "before the 5th", "by the 21st": a day of the month alone, only as an ordinal after "the" and
/// a date lead ("the 2nd one" is a position in a list), the next such day.
fn day_of_this_or_next_month(tokens: &[Token], i: usize, day: u32, today: NaiveDate) -> Option<NaiveDate> {
    let ordinal = key(tokens, i)?.ends_with(|c: char| c.is_ascii_alphabetic());
    let led = i >= 2 && key(tokens, i - 1) == Some("the") && key(tokens, i - 2).is_some_and(|w| LEADS.contains(&w));
    if !ordinal || !led {
        return None;
    }
    let mut month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1)?;
    for _ in 0..12 {
        if let Some(date) = month.with_day(day).filter(|date| *date >= today) {
            return Some(date);
        }
        month = month.checked_add_months(chrono::Months::new(1))?;
    }
    None
}

/// "3", "3rd", "21st".
fn day_of_month(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = word.get(digits.len()..)?;
    if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") {
        return None;
    }
    digits.parse().ok().filter(|day| (1..=31).contains(day))
}

/// The next `weekday` strictly after `today` ("friday" said on a Friday is next week's).
pub(crate) fn upcoming(today: NaiveDate, weekday: Weekday) -> Option<NaiveDate> {
    let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    today.checked_add_days(Days::new(if ahead == 0 { 7 } else { u64::from(ahead) }))
}

/// `today` if it is `weekday`, else the next one.
pub(crate) fn on_or_after(today: NaiveDate, weekday: Weekday) -> Option<NaiveDate> {
    let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    today.checked_add_days(Days::new(u64::from(ahead)))
}

fn last_of_month(today: NaiveDate) -> Option<NaiveDate> {
    let (year, month) = if today.month() == 12 {
        (today.year().checked_add(1)?, 1)
    } else {
        (today.year(), today.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)?.pred_opt()
}

#[cfg(test)]
#[path = "dates_tests.rs"]
mod tests;
