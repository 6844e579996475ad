//! Reports over [`demo_core::Stats`].

pub use demo_core::Stats;

/// A one-line report of the text's statistics.
pub fn report(text: &str) -> String {
    let s = demo_core::stats(text);
    format!(
        "{} word{}, {} line{}",
        s.words,
        if s.words == 1 { "" } else { "s" },
        s.lines,
        if s.lines == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn pluralises() {
        assert_eq!(super::report("one"), "1 word, 1 line");
    }
}
