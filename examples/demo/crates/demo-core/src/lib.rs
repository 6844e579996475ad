//! Text statistics.

/// Word and line counts of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    pub words: usize,
    pub lines: usize,
}

/// Counts the words and lines of `text`.
pub fn stats(text: &str) -> Stats {
    Stats {
        words: text.split_whitespace().count(),
        lines: text.lines().count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words_and_lines() {
        assert_eq!(stats("a b\nc"), Stats { words: 3, lines: 2 });
    }
}
