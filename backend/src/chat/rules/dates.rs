//! Due dates said the way people say them — "tomorrow at 5pm", "next monday", "on Dec 3",
//! "in 2 days" — found inside a sentence and resolved in the user's timezone.

use std::ops::Range;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::text::{Token, match_any, number};

/// A due date found in a sentence, and which words said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Found {
    pub at: DateTime<Utc>,
    /// Word ranges to drop from the sentence (date and time may be apart: "on friday call Bo at 3pm").
    pub spans: Vec<Range<usize>>,
}

/// Time used when only a day is given: the end of that day, so "due Friday" is not late on Friday.
pub(super) const END_OF_DAY: NaiveTime = match NaiveTime::from_hms_opt(23, 59, 0) {
    Some(time) => time,
    None => unreachable!(),
};

/// Words that may introduce a date and go with it: "due friday", "by 5pm".
const LEADS: [&str; 8] = ["due", "by", "on", "for", "before", "until", "till", "at"];

/// Finds the first date and the first time of day in `tokens` and resolves them after `now`.
pub(super) fn find(tokens: &[Token<'_>], now: DateTime<Utc>, timezone: Tz) -> Option<Found> {
    let local_now = now.with_timezone(&timezone);
    let today = local_now.date_naive();
    let mut spans = Vec::new();
    let mut date = None;
    let mut time = None;
    let mut exact = None;
    let mut i = 0;
    while i < tokens.len() {
        if date.is_none() && exact.is_none() {
            if let Some((day, hint, len)) = day_at(tokens, i, today) {
                date = Some(day);
                time = time.or(hint);
                spans.push(with_lead(tokens, i..i + len));
                i += len;
                continue;
            }
            if let Some((delta, len)) = offset_at(tokens, i) {
                exact = Some(now + delta);
                spans.push(with_lead(tokens, i..i + len));
                i += len;
                continue;
            }
        }
        if time.is_none()
            && let Some((at, len)) = time_at(tokens, i)
        {
            time = Some(at);
            spans.push(with_lead(tokens, i..i + len));
            i += len;
            continue;
        }
        i += 1;
    }
    if let Some(at) = exact {
        return Some(Found { at, spans });
    }
    let (day, time) = match (date, time) {
        (None, None) => return None,
        (Some(day), time) => (day, time.unwrap_or(END_OF_DAY)),
        // A time alone is the next time the clock shows it.
        (None, Some(time)) if time > local_now.time() => (today, time),
        (None, Some(time)) => (today + Days::new(1), time),
    };
    Some(Found {
        at: local_to_utc(day, time, timezone),
        spans,
    })
}

/// Local wall time → UTC; in a DST gap the clock time does not exist, so take the hour after.
pub(super) fn local_to_utc(day: NaiveDate, time: NaiveTime, timezone: Tz) -> DateTime<Utc> {
    let local = day.and_time(time);
    timezone
        .from_local_datetime(&local)
        .earliest()
        .or_else(|| timezone.from_local_datetime(&(local + Duration::hours(1))).earliest())
        .map_or_else(|| Utc.from_utc_datetime(&local), |at| at.with_timezone(&Utc))
}

fn with_lead(tokens: &[Token<'_>], span: Range<usize>) -> Range<usize> {
    let start = span.start;
    if start > 0 && LEADS.contains(&tokens[start - 1].word.as_str()) {
        start - 1..span.end
    } else {
        span
    }
}

/// A day: today, tomorrow, weekdays, "next week", month-day dates, ISO dates. The optional time is
/// what the word implies ("tonight").
fn day_at(tokens: &[Token<'_>], i: usize, today: NaiveDate) -> Option<(NaiveDate, Option<NaiveTime>, usize)> {
    let word = tokens[i].word.as_str();
    let next_day = |n: u64| today + Days::new(n);
    if let Some(len) = match_any(tokens, i, &["the day after tomorrow", "day after tomorrow"]) {
        return Some((next_day(2), None, len));
    }
    match word {
        "today" => return Some((today, None, 1)),
        "tonight" => return Some((today, NaiveTime::from_hms_opt(20, 0, 0), 1)),
        "tomorrow" | "tmrw" | "tmr" => return Some((next_day(1), None, 1)),
        _ => {}
    }
    if let Some(len) = match_any(tokens, i, &["next week"]) {
        return Some((upcoming(today, Weekday::Mon), None, len));
    }
    if let Some(len) = match_any(tokens, i, &["this weekend", "the weekend", "weekend"]) {
        return Some((on_or_after(today, Weekday::Sat), None, len));
    }
    let (modifier, at) = match word {
        "this" | "next" | "coming" => (word, i + 1),
        _ => ("", i),
    };
    if let Some(weekday) = tokens.get(at).and_then(|t| weekday(&t.word)) {
        let day = if modifier == "this" {
            on_or_after(today, weekday)
        } else {
            upcoming(today, weekday)
        };
        return Some((day, None, at + 1 - i));
    }
    if let Ok(day) = NaiveDate::parse_from_str(word, "%Y-%m-%d") {
        return Some((day, None, 1));
    }
    month_day_at(tokens, i, today).map(|(day, len)| (day, None, len))
}

/// "Dec 3", "December 3rd", "3 Dec", "3rd of December", each with an optional year.
fn month_day_at(tokens: &[Token<'_>], i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let word = |k: usize| tokens.get(k).map(|t| t.word.as_str());
    let (month, day, mut len) = if let Some(month) = word(i).and_then(month) {
        (month, word(i + 1).and_then(day_of_month)?, 2)
    } else {
        let day = word(i).and_then(day_of_month)?;
        let skip = usize::from(word(i + 1) == Some("of"));
        (word(i + 1 + skip).and_then(month)?, day, 2 + skip)
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
        None => {
            let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
            match this_year {
                Some(date) if date >= today => date,
                _ => NaiveDate::from_ymd_opt(today.year() + 1, month, day)?,
            }
        }
    };
    Some((date, len))
}

/// "in 3 days", "in two weeks", "in an hour", "in 30 minutes".
fn offset_at(tokens: &[Token<'_>], i: usize) -> Option<(Duration, usize)> {
    if tokens[i].word != "in" {
        return None;
    }
    let amount = number(&tokens.get(i + 1)?.word)?;
    let unit = tokens.get(i + 2)?.word.trim_end_matches('s');
    let delta = match unit {
        "minute" | "min" => Duration::minutes(amount),
        "hour" | "hr" => Duration::hours(amount),
        "day" => Duration::days(amount),
        "week" => Duration::weeks(amount),
        _ => return None,
    };
    (1..=3650).contains(&amount).then_some((delta, 3))
}

/// "at 5pm", "5:30 pm", "17:00", "noon", "midnight", "in the morning".
fn time_at(tokens: &[Token<'_>], i: usize) -> Option<(NaiveTime, usize)> {
    let word = tokens[i].word.as_str();
    let named = |h| NaiveTime::from_hms_opt(h, 0, 0);
    match word {
        "noon" | "midday" => return Some((named(12)?, 1)),
        "midnight" => return Some((NaiveTime::from_hms_opt(23, 59, 0)?, 1)),
        _ => {}
    }
    for (phrase, hour) in [
        ("in the morning", 9),
        ("this morning", 9),
        ("in the afternoon", 15),
        ("this afternoon", 15),
        ("in the evening", 18),
        ("this evening", 18),
    ] {
        if let Some(len) = match_any(tokens, i, &[phrase]) {
            return Some((named(hour)?, len));
        }
    }
    let (clock, explicit_at) = if word == "at" {
        (tokens.get(i + 1)?.word.as_str(), 1)
    } else {
        (word, 0)
    };
    let suffix = tokens.get(i + explicit_at + 1).map(|t| t.word.as_str());
    let (clock, meridiem, len) = match suffix {
        Some(m @ ("am" | "pm" | "a.m" | "p.m")) => (clock, Some(m.starts_with('p')), explicit_at + 2),
        _ => match clock.strip_suffix("pm").or_else(|| clock.strip_suffix("p.m")) {
            Some(rest) => (rest, Some(true), explicit_at + 1),
            None => match clock.strip_suffix("am").or_else(|| clock.strip_suffix("a.m")) {
                Some(rest) => (rest, Some(false), explicit_at + 1),
                None => (clock, None, explicit_at + 1),
            },
        },
    };
    let (hour, minute) = match clock.split_once(':') {
        Some((h, m)) => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        None => (clock.parse::<u32>().ok()?, 0),
    };
    // A bare number is a time only after "at" ("at 5"), or with a colon or am/pm.
    if meridiem.is_none() && explicit_at == 0 && !clock.contains(':') {
        return None;
    }
    let hour = match meridiem {
        Some(true) if (1..=11).contains(&hour) => hour + 12,
        Some(false) if hour == 12 => 0,
        Some(_) if !(1..=12).contains(&hour) => return None,
        // "at 5" in a to-do means the afternoon.
        None if !clock.contains(':') && (1..=7).contains(&hour) => hour + 12,
        _ => hour,
    };
    Some((NaiveTime::from_hms_opt(hour, minute, 0)?, len))
}

fn weekday(word: &str) -> Option<Weekday> {
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
    Some(index as u32 + 1)
}

/// "3", "3rd", "21st".
fn day_of_month(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") {
        return None;
    }
    digits.parse().ok().filter(|day| (1..=31).contains(day))
}

/// The next `weekday` strictly after `today` ("friday" said on a Friday is next week's).
fn upcoming(today: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    today + Days::new(if ahead == 0 { 7 } else { u64::from(ahead) })
}

/// `today` if it is `weekday`, else the next one.
fn on_or_after(today: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    today + Days::new(u64::from(ahead))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::rules::text::tokens;

    /// Thursday 2026-11-26, 10:00 in Berlin (09:00 UTC).
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap()
    }

    fn local(text: &str) -> Option<String> {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        find(&tokens(text), now(), tz).map(|found| found.at.with_timezone(&tz).format("%a %Y-%m-%d %H:%M").to_string())
    }

    #[test]
    fn relative_days_and_times() {
        assert_eq!(local("call mom tomorrow at 5pm").unwrap(), "Fri 2026-11-27 17:00");
        assert_eq!(local("at 5:30 pm tomorrow").unwrap(), "Fri 2026-11-27 17:30");
        assert_eq!(local("pay rent today").unwrap(), "Thu 2026-11-26 23:59");
        assert_eq!(local("tonight").unwrap(), "Thu 2026-11-26 20:00");
        assert_eq!(local("the day after tomorrow at noon").unwrap(), "Sat 2026-11-28 12:00");
        assert_eq!(local("in 3 days").unwrap(), "Sun 2026-11-29 10:00");
        assert_eq!(local("in an hour").unwrap(), "Thu 2026-11-26 11:00");
    }

    #[test]
    fn weekdays_are_the_coming_ones() {
        assert_eq!(local("next monday").unwrap(), "Mon 2026-11-30 23:59");
        assert_eq!(local("on thursday").unwrap(), "Thu 2026-12-03 23:59");
        assert_eq!(local("this thursday at 17:00").unwrap(), "Thu 2026-11-26 17:00");
        assert_eq!(local("by friday 9am").unwrap(), "Fri 2026-11-27 09:00");
    }

    #[test]
    fn calendar_dates() {
        assert_eq!(local("on Dec 3").unwrap(), "Thu 2026-12-03 23:59");
        assert_eq!(local("December 3rd at 8am").unwrap(), "Thu 2026-12-03 08:00");
        assert_eq!(local("3rd of january").unwrap(), "Sun 2027-01-03 23:59");
        assert_eq!(local("2026-12-24").unwrap(), "Thu 2026-12-24 23:59");
        assert_eq!(local("on nov 1 2027").unwrap(), "Mon 2027-11-01 23:59");
    }

    #[test]
    fn a_time_alone_is_the_next_one() {
        assert_eq!(local("at 9am").unwrap(), "Fri 2026-11-27 09:00");
        assert_eq!(local("at 5").unwrap(), "Thu 2026-11-26 17:00");
    }

    #[test]
    fn ordinary_words_are_not_dates() {
        for text in [
            "buy milk",
            "read chapter 5",
            "call may",
            "fix 3 bugs",
            "the march of time",
        ] {
            assert_eq!(local(text), None, "{text}");
        }
    }

    #[test]
    fn spans_cover_the_date_words_and_their_lead() {
        let words = tokens("call mom on friday at 3pm please");
        let found = find(&words, now(), Tz::UTC).unwrap();
        assert_eq!(found.spans, vec![2..4, 4..6]);
    }
}
