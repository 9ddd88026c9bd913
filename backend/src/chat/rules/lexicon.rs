//! The words the engine knows: contractions and text-speak, the command words whose small typos it
//! fixes, irregular past forms, and the words that carry no meaning of their own (filler,
//! politeness, stop words).

/// A contraction or text-speak word as the words it stands for.
pub(crate) fn expansion(word: &str) -> Option<&'static [&'static str]> {
    let words: &[&str] = match word {
        "what's" | "whats" | "wats" | "wat's" => &["what", "is"],
        "that's" | "thats" => &["that", "is"],
        "it's" => &["it", "is"],
        "there's" | "theres" => &["there", "is"],
        "how's" => &["how", "is"],
        "who's" => &["who", "is"],
        "where's" => &["where", "is"],
        "i'm" | "im" => &["i", "am"],
        "i've" | "ive" => &["i", "have"],
        "i'll" => &["i", "will"],
        "i'd" => &["i", "would"],
        "you're" | "youre" => &["you", "are"],
        "we're" => &["we", "are"],
        "she's" => &["she", "is"],
        "he's" => &["he", "is"],
        "they're" => &["they", "are"],
        "we've" => &["we", "have"],
        "they've" => &["they", "have"],
        "you've" => &["you", "have"],
        "it'll" => &["it", "will"],
        "she'll" => &["she", "will"],
        "he'll" => &["he", "will"],
        "they'll" => &["they", "will"],
        "we'll" => &["we", "will"],
        "you'll" => &["you", "will"],
        "let's" | "lets" => &["let", "us"],
        "don't" | "dont" => &["do", "not"],
        "doesn't" | "doesnt" => &["does", "not"],
        "didn't" | "didnt" => &["did", "not"],
        "isn't" | "isnt" => &["is", "not"],
        "aren't" | "arent" => &["are", "not"],
        "haven't" | "havent" => &["have", "not"],
        "hasn't" | "hasnt" => &["has", "not"],
        "won't" | "wont" => &["will", "not"],
        "can't" | "cant" | "cannot" => &["can", "not"],
        "shouldn't" => &["should", "not"],
        "gotta" => &["got", "to"],
        "gonna" => &["going", "to"],
        "wanna" => &["want", "to"],
        "pls" | "plz" | "plse" | "plez" | "pleas" | "pleae" => &["please"],
        "u" => &["you"],
        "ur" => &["your"],
        "r" => &["are"],
        "thx" | "thnx" | "thanx" | "ty" | "tysm" | "thks" | "tks" => &["thanks"],
        "tmrw" | "tmr" | "tmrow" | "tmw" | "2moro" | "2morrow" | "2mrw" | "tomoz" | "tmro" | "tomo" => &["tomorrow"],
        "2day" | "tdy" => &["today"],
        "2nite" | "tonite" | "2night" => &["tonight"],
        "wk" | "wek" | "wks" => &["week"],
        "nxt" => &["next"],
        "b4" => &["before"],
        "w/" => &["with"],
        "abt" | "bout" => &["about"],
        "prio" | "pri" | "prior" => &["priority"],
        "hi-pri" | "hipri" => &["high", "priority"],
        "&" | "n" | "+" => &["and"],
        "nvm" | "nevermind" => &["never", "mind"],
        "ok" | "k" | "kk" | "okay" | "okey" | "okie" => &["ok"],
        "yep" | "yup" | "yeah" | "ya" | "yea" | "ye" | "yess" | "yah" => &["yes"],
        "nope" | "nah" | "naw" => &["no"],
        "rn" => &["now"],
        "asap" | "a.s.a.p" => &["asap"],
        "todo" | "to-do" | "todos" | "to-dos" => &["todo"],
        "mins" | "min" => &["minutes"],
        "hrs" | "hr" => &["hours"],
        "msg" => &["message"],
        _ => return None,
    };
    Some(words)
}

/// Command words and the date words people misspell; only these are ever corrected.
#[rustfmt::skip]
const CORRECTABLE: &[&str] = &[
    "add", "create", "remind", "remember", "complete", "completed", "finish", "finished", "delete", "remove",
    "cancel", "change", "rename", "update", "reschedule", "postpone", "show", "list", "display", "search",
    "pending", "priority", "important", "urgent", "overdue", "tomorrow", "tonight", "today", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "task", "tasks", "mark", "done", "undo", "everything",
    "reopen", "completion", "anything", "deadline", "remaining", "schedule", "scratch", "yesterday", "please",
    "thanks", "outstanding", "upcoming", "weekend", "february", "january", "september",
];

/// Words that look like a typo of a command word but are ordinary words.
const REAL_WORDS: &[&str] = &[
    "and", "add", "ads", "odd", "mask", "marks", "market", "dome", "dine", "doe", "dove", "tank", "talk", "take",
    "tale", "test", "text", "show", "shoe", "slow", "snow", "shop", "list", "lost", "last", "lust", "mist", "must",
    "done", "dune", "bone", "gone", "tone", "none", "monkey", "rename", "change", "charge", "remote", "finnish",
    "sundae", "today", "toady", "mankind", "marked", "market", "fiddle", "tasty", "tusk", "delta", "doney", "listen",
];

/// The command word `word` is a small typo of: one edit for words of 4–6 letters, two from 7,
/// the first letter kept, and only when a single command word is that close.
pub(crate) fn fix_typo(word: &str) -> Option<&'static str> {
    let len = word.chars().count();
    if len < 4 || !word.chars().all(|c| c.is_ascii_alphabetic()) || REAL_WORDS.contains(&word) {
        return None;
    }
    // An inflection ("reminder", "completely") is a word of its own, not a typo.
    if CORRECTABLE.iter().any(|candidate| word.starts_with(candidate)) {
        return None;
    }
    let allowed = if len >= 7 { 2 } else { 1 };
    let first = word.chars().next();
    let mut best: Option<(&'static str, usize)> = None;
    let mut tied = false;
    for candidate in CORRECTABLE.iter().copied() {
        if candidate.chars().next() != first || candidate.chars().count().abs_diff(len) > allowed {
            continue;
        }
        let distance = strsim::damerau_levenshtein(word, candidate);
        if distance > allowed {
            continue;
        }
        match best {
            Some((_, d)) if distance > d => {}
            Some((b, d)) if distance == d => tied |= b != candidate,
            _ => {
                best = Some((candidate, distance));
                tied = false;
            }
        }
    }
    best.filter(|_| !tied).map(|(candidate, _)| candidate)
}

/// Past forms that do not end in "-ed", as their verb: "took" → "take".
pub(crate) fn irregular_past(word: &str) -> Option<&'static str> {
    let verb = match word {
        "took" | "taken" => "take",
        "bought" => "buy",
        "paid" => "pay",
        "went" | "gone" => "go",
        "broke" | "broken" => "break",
        "did" => "do",
        "wrote" | "written" => "write",
        "sent" => "send",
        "made" => "make",
        "got" | "gotten" => "get",
        "fed" => "feed",
        "ran" => "run",
        "met" => "meet",
        "rang" | "rung" => "ring",
        "gave" | "given" => "give",
        "brought" => "bring",
        "found" => "find",
        "swept" => "sweep",
        "hung" => "hang",
        "drove" | "driven" => "drive",
        "threw" | "thrown" => "throw",
        "sold" => "sell",
        "told" => "tell",
        "built" => "build",
        "spoke" | "spoken" => "speak",
        "ate" | "eaten" => "eat",
        "kept" => "keep",
        "left" => "leave",
        "read" => "read",
        "sat" => "sit",
        "won" => "win",
        "fixed" => "fix",
        _ => return None,
    };
    Some(verb)
}

/// Words a clause may open with that say nothing about what to do.
#[rustfmt::skip]
pub(crate) const LEADING_FILLER: &[&str] = &[
    "please", "can you please", "could you please", "would you please", "can you", "could you", "would you",
    "will you", "would you mind", "do you mind", "i want you to", "i'd like you to", "i would like you to",
    "i need you to", "go ahead and", "ok so", "ok", "so", "now", "also", "and", "then", "and then", "just", "well",
    "alright", "all right", "right", "hey there", "hey", "hi", "hello", "yo", "oh", "um", "uh", "erm", "hmm", "btw",
    "by the way", "quick one", "quick question", "real quick", "one more thing", "one more", "also please",
    "kindly", "if you can", "let us", "help me", "you can", "lastly", "actually", "no wait", "wait", "sorry",
    "oh wait", "no sorry", "hmm actually", "i meant", "i mean", "ah", "oops sorry", "plus", "but",
];

/// Words a clause may end with that say nothing about what to do.
#[rustfmt::skip]
pub(crate) const TRAILING_FILLER: &[&str] = &[
    "please", "thanks", "thank you", "for me", "for me please", "if you can", "if possible", "when you can",
    "when you get a chance", "ok", "thanks a lot", "cheers", "asap please", "too", "as well", "now",
];

/// Words that carry no meaning when matching titles: "the milk thing", "the call with the bank one".
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "the", "a", "an", "my", "our", "your", "to", "for", "of", "with", "and", "or", "on", "in", "at", "about", "from",
    "that", "this", "it", "is", "one", "ones", "thing", "things", "task", "tasks", "item", "items", "todo", "stuff",
    "entry", "i", "me", "up", "some", "any", "please", "just", "be", "are", "was", "were", "not", "as", "by", "there",
    "today", "yesterday", "now", "already", "finally", "earlier", "yay", "woohoo", "lol", "you", "we", "have", "has",
    "been", "got",
];

pub(crate) fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// Evening words: a time without am/pm near one of them is in the evening ("film at 8").
pub(crate) fn is_evening_word(word: &str) -> bool {
    matches!(
        word,
        "dinner"
            | "supper"
            | "film"
            | "movie"
            | "movies"
            | "cinema"
            | "show"
            | "concert"
            | "party"
            | "drinks"
            | "drink"
            | "bar"
            | "pub"
            | "game"
            | "date"
            | "theatre"
            | "theater"
            | "gig"
            | "club"
            | "tonight"
            | "evening"
            | "night"
            | "dance"
            | "opera"
            | "comedy"
            | "karaoke"
            | "restaurant"
            | "bbq"
            | "barbecue"
    )
}

/// Morning words: a time without am/pm near one of them is in the morning.
pub(crate) fn is_morning_word(word: &str) -> bool {
    matches!(
        word,
        "breakfast" | "morning" | "standup" | "stand-up" | "wake" | "alarm" | "jog" | "commute" | "brunch"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_of_command_words_are_fixed_and_real_words_left_alone() {
        for (typo, fixed) in [
            ("complte", "complete"),
            ("remoev", "remove"),
            ("delte", "delete"),
            ("tomorow", "tomorrow"),
            ("wensday", "wednesday"),
            ("pendng", "pending"),
            ("prioirty", "priority"),
        ] {
            assert_eq!(fix_typo(typo), Some(fixed), "{typo}");
        }
        for word in ["mask", "market", "milk", "done", "bank", "taxes", "sundae", "dentist"] {
            assert_eq!(fix_typo(word), None, "{word}");
        }
    }
}
