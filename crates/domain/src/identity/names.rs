//! The names a person has in Wharf, parsed once where they come in: a [`UserName`], [`DisplayName`] or
//! [`Email`] that exists is valid, so the code that takes one never checks it again.
use std::fmt;

pub const MAX_USERNAME_CHARS: usize = 64;
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;
/// The longest address SMTP carries.
const MAX_EMAIL_CHARS: usize = 254;

/// Why a name cannot be used, as the sentence the form shows at its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("Enter a user name.")]
    UserNameEmpty,
    #[error("A user name can have at most 64 characters.")]
    UserNameTooLong,
    #[error("A user name cannot contain spaces or control characters.")]
    UserNameSpaces,
    #[error("Enter the person’s name.")]
    DisplayNameEmpty,
    #[error("The name can have at most 100 characters.")]
    DisplayNameTooLong,
    #[error("The name must not contain control characters.")]
    DisplayNameControl,
    #[error("Enter an email address such as name@example.com, or leave it empty.")]
    Email,
}

impl NameError {
    /// The form field the problem belongs to.
    pub fn field(self) -> &'static str {
        match self {
            NameError::UserNameEmpty | NameError::UserNameTooLong | NameError::UserNameSpaces => {
                "username"
            }
            NameError::DisplayNameEmpty
            | NameError::DisplayNameTooLong
            | NameError::DisplayNameControl => "display_name",
            NameError::Email => "email",
        }
    }
}

/// User names are compared case-insensitively: they are stored trimmed and lower-case.
pub fn normalize_username(username: &str) -> String {
    username.trim().to_lowercase()
}

/// How a person signs in: trimmed, lower-case, no spaces or control characters, at most
/// [`MAX_USERNAME_CHARS`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserName(String);

impl UserName {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let name = normalize_username(input);
        if name.is_empty() {
            Err(NameError::UserNameEmpty)
        } else if name.chars().count() > MAX_USERNAME_CHARS {
            Err(NameError::UserNameTooLong)
        } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Err(NameError::UserNameSpaces)
        } else {
            Ok(UserName(name))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// What people read for a person: trimmed, not blank, no control characters, at most
/// [`MAX_DISPLAY_NAME_CHARS`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let name = input.trim();
        if name.is_empty() {
            Err(NameError::DisplayNameEmpty)
        } else if name.chars().count() > MAX_DISPLAY_NAME_CHARS {
            Err(NameError::DisplayNameTooLong)
        } else if name.chars().any(char::is_control) {
            Err(NameError::DisplayNameControl)
        } else {
            Ok(DisplayName(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An email address, trimmed. Deliberately loose — one `@`, something before it, a dotted domain after
/// it, no spaces: the address is for people to read, and only a mail server can tell whether it exists.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let email = input.trim();
        let plausible = email.chars().count() <= MAX_EMAIL_CHARS
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if plausible {
            Ok(Email(email.to_owned()))
        } else {
            Err(NameError::Email)
        }
    }

    /// An optional field: blank (or absent) is no address, anything else must be one.
    pub fn parse_optional(input: Option<&str>) -> Result<Option<Self>, NameError> {
        match input.map(str::trim).filter(|e| !e.is_empty()) {
            None => Ok(None),
            Some(email) => Email::parse(email).map(Some),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

macro_rules! shown_as_text {
    ($($name:ident),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    )*};
}
shown_as_text!(UserName, DisplayName, Email);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_stored_trimmed_and_lower_case() {
        assert_eq!(UserName::parse("  Alice ").unwrap().as_str(), "alice");
        assert_eq!(UserName::parse("   "), Err(NameError::UserNameEmpty));
        assert_eq!(UserName::parse("a b"), Err(NameError::UserNameSpaces));
        assert_eq!(UserName::parse("a\u{7}b"), Err(NameError::UserNameSpaces));
        assert_eq!(
            UserName::parse(&"a".repeat(MAX_USERNAME_CHARS + 1)),
            Err(NameError::UserNameTooLong)
        );
        assert!(UserName::parse(&"a".repeat(MAX_USERNAME_CHARS)).is_ok());
    }

    #[test]
    fn display_names_are_trimmed_and_refuse_control_characters() {
        assert_eq!(
            DisplayName::parse(" Alice Liddell ").unwrap().as_str(),
            "Alice Liddell"
        );
        assert_eq!(DisplayName::parse(""), Err(NameError::DisplayNameEmpty));
        assert_eq!(
            DisplayName::parse("Al\nice"),
            Err(NameError::DisplayNameControl)
        );
        assert_eq!(
            DisplayName::parse(&"é".repeat(MAX_DISPLAY_NAME_CHARS + 1)),
            Err(NameError::DisplayNameTooLong)
        );
    }

    #[test]
    fn emails_are_loose_but_need_an_at_and_a_dotted_domain() {
        assert_eq!(
            Email::parse(" a@example.com ").unwrap().as_str(),
            "a@example.com"
        );
        for bad in [
            "a",
            "@example.com",
            "a@b",
            "a@.com",
            "a@com.",
            "a@b@c.d",
            "a b@c.d",
        ] {
            assert_eq!(Email::parse(bad), Err(NameError::Email), "{bad:?}");
        }
        assert_eq!(Email::parse_optional(None), Ok(None));
        assert_eq!(Email::parse_optional(Some("  ")), Ok(None));
        assert_eq!(Email::parse_optional(Some("x")), Err(NameError::Email));
    }

    #[test]
    fn every_refusal_names_its_field() {
        assert_eq!(NameError::UserNameSpaces.field(), "username");
        assert_eq!(NameError::DisplayNameEmpty.field(), "display_name");
        assert_eq!(NameError::Email.field(), "email");
    }
}
