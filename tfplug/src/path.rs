//! Attribute paths: where in a configuration a diagnostic points.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Attribute(String),
    Key(String),
    Index(i64),
}

/// A path from the top of a resource's object, e.g. `tags["team"]` or `cidrs[0].cidr`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AttributePath(pub Vec<Step>);

impl AttributePath {
    pub fn root() -> Self {
        AttributePath(Vec::new())
    }

    /// The path of a top-level attribute.
    pub fn attr(name: &str) -> Self {
        AttributePath(vec![Step::Attribute(name.to_string())])
    }

    pub fn then_attr(mut self, name: &str) -> Self {
        self.0.push(Step::Attribute(name.to_string()));
        self
    }

    pub fn then_key(mut self, key: &str) -> Self {
        self.0.push(Step::Key(key.to_string()));
        self
    }

    pub fn then_index(mut self, i: i64) -> Self {
        self.0.push(Step::Index(i));
        self
    }
}

impl From<&str> for AttributePath {
    fn from(name: &str) -> Self {
        AttributePath::attr(name)
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Step::Attribute(a) if i == 0 => write!(f, "{a}")?,
                Step::Attribute(a) => write!(f, ".{a}")?,
                Step::Key(k) => write!(f, "[{k:?}]")?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}
