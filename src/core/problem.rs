//! A problem found in the input or while working on it, located where it is known: the one
//! shape every error line takes (`FILE:LINE:COLUMN: what`), rendered in one place.

use std::fmt;

/// Where in a source a problem is: its 1-based line, and column (in characters) where known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: Option<usize>,
}

impl Position {
    pub fn line(line: usize) -> Position {
        Position { line, column: None }
    }

    pub fn at(line: usize, column: usize) -> Position {
        Position {
            line,
            column: Some(column),
        }
    }
}

/// An error that knows where in its source it is; its `Display` says only what is wrong.
pub trait Located: fmt::Display {
    fn position(&self) -> Option<Position>;
}

/// One problem: in which source (a file, `-`, `REV:PATH`), where in it, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub source: Option<String>,
    pub position: Option<Position>,
    pub message: String,
}

impl Problem {
    /// A problem of the run as a whole, in no source.
    pub fn new(message: impl fmt::Display) -> Problem {
        Problem {
            source: None,
            position: None,
            message: message.to_string(),
        }
    }

    /// A problem at `position` of `source`.
    pub fn at(source: &str, position: Option<Position>, message: impl fmt::Display) -> Problem {
        Problem {
            source: Some(source.to_string()),
            position,
            message: message.to_string(),
        }
    }

    /// A located error of `source`.
    pub fn located(source: &str, error: &impl Located) -> Problem {
        Problem::at(source, error.position(), error)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(source) = &self.source {
            write!(f, "{source}:")?;
            if let Some(Position { line, column }) = self.position {
                write!(f, "{line}:")?;
                if let Some(column) = column {
                    write!(f, "{column}:")?;
                }
            }
            f.write_str(" ")?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found before anything was written, one line each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// `Ok(value)` when nothing was found, else every problem.
    pub fn or<T>(problems: Vec<Problem>, value: T) -> Result<T, Problems> {
        if problems.is_empty() {
            Ok(value)
        } else {
            Err(Problems(problems))
        }
    }
}

/// `LINE:COLUMN: what`, as an error of `error`'s kind reads in a source: for the core's tests.
#[cfg(test)]
pub fn positioned(error: &impl Located) -> String {
    Problem::located("", error)
        .to_string()
        .trim_start_matches(':')
        .trim_start()
        .to_string()
}

impl From<Problem> for Problems {
    fn from(problem: Problem) -> Problems {
        Problems(vec![problem])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_names_as_much_of_its_place_as_is_known() {
        assert_eq!(
            Problem::at("a.yaml", Some(Position::at(3, 9)), "bad").to_string(),
            "a.yaml:3:9: bad"
        );
        assert_eq!(
            Problem::at("a.yaml", Some(Position::line(3)), "bad").to_string(),
            "a.yaml:3: bad"
        );
        assert_eq!(Problem::at("-", None, "bad").to_string(), "-: bad");
        assert_eq!(Problem::new("bad").to_string(), "bad");
        let both = Problems(vec![Problem::new("a"), Problem::at("f", None, "b")]);
        assert_eq!(both.to_string(), "a\nf: b");
    }
}
