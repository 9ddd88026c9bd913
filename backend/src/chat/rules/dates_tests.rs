use super::*;
use crate::chat::rules::text::tokens;

/// Thursday 2026-11-26, 10:00 in Berlin (09:00 UTC).
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0)
        .single()
        .expect("valid instant")
}

fn at(text: &str, now: DateTime<Utc>) -> Option<String> {
    let tz: Tz = "Europe/Berlin".parse().expect("zone");
    find(&tokens(text), now, tz).map(|found| found.at.with_timezone(&tz).format("%a %Y-%m-%d %H:%M").to_string())
}

fn local(text: &str) -> Option<String> {
    at(text, now())
}

#[test]
fn relative_days_and_times() {
    assert_eq!(
        local("call mom tomorrow at 5pm").as_deref(),
        Some("Fri 2026-11-27 17:00")
    );
    assert_eq!(local("at 5:30 pm tomorrow").as_deref(), Some("Fri 2026-11-27 17:30"));
    assert_eq!(local("pay rent today").as_deref(), Some("Thu 2026-11-26 23:59"));
    assert_eq!(local("tonight").as_deref(), Some("Thu 2026-11-26 20:00"));
    assert_eq!(
        local("the day after tomorrow at noon").as_deref(),
        Some("Sat 2026-11-28 12:00")
    );
    assert_eq!(local("in 3 days").as_deref(), Some("Sun 2026-11-29 10:00"));
    assert_eq!(local("in an hour").as_deref(), Some("Thu 2026-11-26 11:00"));
    assert_eq!(
        local("call bob tomorrow morning").as_deref(),
        Some("Fri 2026-11-27 09:00")
    );
    assert_eq!(local("in a couple of days").as_deref(), Some("Sat 2026-11-28 10:00"));
}

#[test]
fn weekdays_are_the_coming_ones() {
    assert_eq!(local("next monday").as_deref(), Some("Mon 2026-11-30 23:59"));
    assert_eq!(local("on thursday").as_deref(), Some("Thu 2026-12-03 23:59"));
    assert_eq!(local("this thursday at 17:00").as_deref(), Some("Thu 2026-11-26 17:00"));
    assert_eq!(local("by friday 9am").as_deref(), Some("Fri 2026-11-27 09:00"));
    assert_eq!(local("by wensday").as_deref(), Some("Wed 2026-12-02 23:59"));
}

#[test]
fn calendar_dates() {
    assert_eq!(local("on Dec 3").as_deref(), Some("Thu 2026-12-03 23:59"));
    assert_eq!(local("December 3rd at 8am").as_deref(), Some("Thu 2026-12-03 08:00"));
    assert_eq!(local("3rd of january").as_deref(), Some("Sun 2027-01-03 23:59"));
    assert_eq!(local("2026-12-24").as_deref(), Some("Thu 2026-12-24 23:59"));
    assert_eq!(local("on nov 1 2027").as_deref(), Some("Mon 2027-11-01 23:59"));
}

#[test]
fn everyday_times_read_as_people_mean_them() {
    assert_eq!(
        local("call the bank at 4:15 tomorrow").as_deref(),
        Some("Fri 2026-11-27 16:15")
    );
    assert_eq!(local("film tomorrow at 8").as_deref(), Some("Fri 2026-11-27 20:00"));
    assert_eq!(local("standup tomorrow at 8").as_deref(), Some("Fri 2026-11-27 08:00"));
    assert_eq!(local("dentist friday at 10").as_deref(), Some("Fri 2026-11-27 10:00"));
    assert_eq!(local("gym tomorrow at 08:00").as_deref(), Some("Fri 2026-11-27 08:00"));
    assert_eq!(local("at 5").as_deref(), Some("Thu 2026-11-26 17:00"));
    // At 15:00, "at 8" with no day is tonight, not tomorrow morning.
    let afternoon = Utc.with_ymd_and_hms(2026, 11, 26, 14, 0, 0).single().expect("valid");
    assert_eq!(at("call Bo at 8", afternoon).as_deref(), Some("Thu 2026-11-26 20:00"));
    assert_eq!(local("at 9am").as_deref(), Some("Fri 2026-11-27 09:00"));
}

#[test]
fn ordinary_words_are_not_dates() {
    for text in [
        "buy milk",
        "read chapter 5",
        "call may",
        "fix 3 bugs",
        "the march of time",
        "pay 2.50",
        "'tonight'",
    ] {
        assert_eq!(local(text), None, "{text}");
    }
}

#[test]
fn absurd_offsets_are_no_date_and_no_panic() {
    for text in [
        "in 200000000000 days",
        "in 200000000000 weeks",
        "in 200000000000 hours",
        "in 200000000000 minutes",
        "in 9223372036854775807 minutes",
        "in 3651 days",
        "in 0 days",
    ] {
        assert_eq!(local(text), None, "{text}");
    }
    assert_eq!(local("in 10 days").as_deref(), Some("Sun 2026-12-06 10:00"));
}

#[test]
fn spans_cover_the_date_words_and_their_lead() {
    let words = tokens("call mom on friday at 3pm please");
    let found = find(&words, now(), Tz::UTC).expect("a date");
    assert_eq!(found.spans, vec![2..4, 4..6]);
}

#[test]
fn a_day_of_the_month_alone_needs_a_lead_and_an_ordinal() {
    assert_eq!(
        local("pay rent before the 5th").as_deref(),
        Some("Sat 2026-12-05 23:59")
    );
    assert_eq!(local("by the 30th").as_deref(), Some("Mon 2026-11-30 23:59"));
    assert_eq!(local("due on the 31st").as_deref(), Some("Thu 2026-12-31 23:59"));
    assert_eq!(local("mark the 2nd one done"), None);
    assert_eq!(local("the 5 boxes"), None);
}
