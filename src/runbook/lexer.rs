//! Tokens of the condition language, each with its 1-based column so errors can point at
//! the exact spot in a `when = "…"` string.

use std::fmt;

use super::condition::ConditionError;

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A dotted name such as `capability.github_write`, or a keyword-free word.
    Name(String),
    Str(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    EqEq,
    NotEq,
    And,
    Or,
    Not,
    In,
    End,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Name(name) => write!(f, "`{name}`"),
            Tok::Str(text) => write!(f, "\"{text}\""),
            Tok::LParen => f.write_str("`(`"),
            Tok::RParen => f.write_str("`)`"),
            Tok::LBracket => f.write_str("`[`"),
            Tok::RBracket => f.write_str("`]`"),
            Tok::Comma => f.write_str("`,`"),
            Tok::EqEq => f.write_str("`==`"),
            Tok::NotEq => f.write_str("`!=`"),
            Tok::And => f.write_str("`and`"),
            Tok::Or => f.write_str("`or`"),
            Tok::Not => f.write_str("`not`"),
            Tok::In => f.write_str("`in`"),
            Tok::End => f.write_str("the end"),
        }
    }
}

/// The whole condition, tokenized up front (conditions are one line), read with a cursor.
pub struct Lexer {
    tokens: Vec<(Tok, usize)>,
    pos: usize,
}

impl Lexer {
    /// Tokenizes `text`; an unexpected character is an error at its column.
    pub fn new(text: &str) -> Result<Lexer, ConditionError> {
        let chars: Vec<char> = text.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_whitespace() {
                i += 1;
                continue;
            }
            let (tok, next) = token_at(&chars, i)?;
            tokens.push((tok, i + 1));
            i = next;
        }
        tokens.push((Tok::End, chars.len() + 1));
        Ok(Lexer { tokens, pos: 0 })
    }

    /// The next token and its column, without consuming it.
    pub fn peek(&self) -> (Tok, usize) {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .cloned()
            .unwrap_or((Tok::End, 1))
    }

    /// Consumes and returns the next token.
    pub fn next(&mut self) -> (Tok, usize) {
        let tok = self.peek();
        self.pos += 1;
        tok
    }

    /// Consumes the next token if it is `tok`.
    pub fn eat(&mut self, tok: &Tok) -> bool {
        let found = &self.peek().0 == tok;
        if found {
            self.pos += 1;
        }
        found
    }

    /// Consumes `tok` or fails with `fix` as the suggestion.
    pub fn expect(&mut self, tok: &Tok, fix: &str) -> Result<(), ConditionError> {
        let (found, column) = self.next();
        if &found == tok {
            return Ok(());
        }
        Err(ConditionError {
            column,
            message: format!("expected {tok}, found {found}"),
            fix: fix.to_owned(),
        })
    }
}

fn token_at(chars: &[char], i: usize) -> Result<(Tok, usize), ConditionError> {
    let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
    let single = match chars[i] {
        '(' => Some(Tok::LParen),
        ')' => Some(Tok::RParen),
        '[' => Some(Tok::LBracket),
        ']' => Some(Tok::RBracket),
        ',' => Some(Tok::Comma),
        _ => None,
    };
    if let Some(tok) = single {
        return Ok((tok, i + 1));
    }
    match two.as_str() {
        "==" => return Ok((Tok::EqEq, i + 2)),
        "!=" => return Ok((Tok::NotEq, i + 2)),
        _ => {}
    }
    match chars[i] {
        '"' => string_at(chars, i),
        c if c.is_ascii_alphabetic() || c == '_' => Ok(word_at(chars, i)),
        c => Err(ConditionError {
            column: i + 1,
            message: format!("unexpected character `{c}`"),
            fix: "use `==`, `!=`, `in`, `and`, `or`, `not`, parentheses and \"quoted\" names"
                .to_owned(),
        }),
    }
}

fn string_at(chars: &[char], i: usize) -> Result<(Tok, usize), ConditionError> {
    let close = chars[i + 1..]
        .iter()
        .position(|&c| c == '"')
        .ok_or_else(|| ConditionError {
            column: i + 1,
            message: "string is not closed".to_owned(),
            fix: "add the closing `\"`".to_owned(),
        })?;
    let text: String = chars[i + 1..=i + close].iter().collect();
    Ok((Tok::Str(text), i + close + 2))
}

fn word_at(chars: &[char], i: usize) -> (Tok, usize) {
    let len = chars[i..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '_' || **c == '.')
        .count();
    let word: String = chars[i..i + len].iter().collect();
    let tok = match word.as_str() {
        "and" => Tok::And,
        "or" => Tok::Or,
        "not" => Tok::Not,
        "in" => Tok::In,
        _ => Tok::Name(word),
    };
    (tok, i + len)
}
