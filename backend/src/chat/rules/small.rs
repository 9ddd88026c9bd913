//! Small talk: greetings, thanks, goodbyes, asking for help or about the assistant, jokes. Read
//! before any command, so "thanks!" or "who built you?" never touch the list.

use super::{command::Small, text::Token};

/// The small talk `clause` is, if it is only that.
pub(crate) fn small_talk(clause: &[Token]) -> Option<Small> {
    let phrase = clause.iter().map(|t| t.key.as_str()).collect::<Vec<_>>().join(" ");
    let phrase = phrase.trim_end_matches(['!', '?', '.']);
    let small = match phrase {
        "hi" | "hello" | "hey" | "hey there" | "hi there" | "hello there" | "good morning" | "good afternoon"
        | "good evening" | "yo" | "hiya" | "howdy" | "sup" | "what is up" | "greetings" | "morning" | "heya" => {
            Small::Greet
        }
        "thanks" | "thank you" | "cheers" | "great" | "great thanks" | "perfect" | "awesome" | "cool" | "nice"
        | "got it" | "sounds good" | "thanks a lot" | "thank you so much" | "many thanks" | "ok thanks" | "ok"
        | "lovely" | "brilliant" | "excellent" | "amazing" | "good" | "great job" | "nice one" | "thanks so much"
        | "ok cool" | "alright" | "noted" | "good job" | "wonderful" | "ok great" | "ok perfect" | "thanks!" => {
            Small::Thank
        }
        "bye" | "goodbye" | "see you" | "see you later" | "good night" | "later" | "cya" | "bye bye" | "night"
        | "that is all" | "that is it" | "nothing else" | "no thanks" | "i am done" | "all good" | "no" | "done"
        | "all done" | "i am all done" | "that is everything" => Small::Bye,
        "help"
        | "what can you do"
        | "what can i say"
        | "how does this work"
        | "commands"
        | "what do you do"
        | "how do i use this"
        | "what are your commands"
        | "instructions"
        | "help me"
        | "what can you help with"
        | "what can you help me with"
        | "how do you work"
        | "options"
        | "menu" => Small::Help,
        "how are you" | "how is it going" | "how are things" | "how are you doing" | "how do you do" | "you ok"
        | "are you ok" => Small::HowAreYou,
        _ => {
            let keys: Vec<&str> = clause.iter().map(|t| t.key.as_str()).collect();
            let has = |w: &str| keys.contains(&w);
            if has("joke") || has("funny") || phrase.contains("make me laugh") || phrase.contains("cheer me up") {
                Small::Joke
            } else if (has("you") || has("your"))
                && (has("who")
                    || has("built")
                    || has("made")
                    || has("created")
                    || has("name")
                    || has("bot")
                    || has("human")
                    || has("robot")
                    || has("ai")
                    || has("real")
                    || has("are") && has("what"))
                && !keys
                    .iter()
                    .any(|k| matches!(*k, "task" | "tasks" | "list" | "add" | "delete" | "mark"))
            {
                Small::AboutMe
            } else {
                return None;
            }
        }
    };
    Some(small)
}
