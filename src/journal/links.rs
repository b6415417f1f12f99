//! The fields of a stored line that the hash chain checks read, taken from
//! the line without building its event.
//!
//! `journal verify` reads every line of a journal that may hold 100,000
//! entries; building each typed [`Event`](super::Event) (strings, maps, the
//! untagged fallback for newer events) cost more than hashing the line. A
//! [`Link`] borrows the few fields the chain needs from the line and only
//! checks that the rest has the shape [`StoredEntry`] requires, allocating
//! nothing for an ordinary line.
//!
//! Exactness comes before speed: the quick reading accepts a subset of what
//! [`StoredEntry`] accepts (every field present with a type that accepts no
//! more than the stored form's, an event only when it is an object with one
//! `type` string, which [`Event`](super::Event) always reads, as a known or an
//! unknown event). A line it refuses is read again as a [`StoredEntry`], so a
//! line is an entry here exactly when it is one for the writer.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::entry::StoredEntry;

/// What the chain checks need from one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link<'a> {
    pub seq: u64,
    pub session: u32,
    pub at: Cow<'a, str>,
    pub mono_ms: u64,
    pub ex_t: Option<u64>,
    pub prev: Cow<'a, str>,
    pub hash: Cow<'a, str>,
    /// Which optional fields are present (not null).
    pub actor: bool,
    pub event: bool,
    pub sealed: bool,
    pub journal_key: bool,
    pub encrypted_to: bool,
}

impl<'a> From<&'a StoredEntry> for Link<'a> {
    fn from(e: &'a StoredEntry) -> Self {
        Link {
            seq: e.seq,
            session: e.session,
            at: Cow::Borrowed(&e.at),
            mono_ms: e.mono_ms,
            ex_t: e.ex_t,
            prev: Cow::Borrowed(&e.prev),
            hash: Cow::Borrowed(&e.hash),
            actor: e.actor.is_some(),
            event: e.event.is_some(),
            sealed: e.sealed.is_some(),
            journal_key: e.journal_key.is_some(),
            encrypted_to: e.encrypted_to.is_some(),
        }
    }
}

impl Link<'_> {
    /// The line's link, or `None` when the line is not an entry (exactly when
    /// it does not read as a [`StoredEntry`]). `line` excludes the newline.
    pub(crate) fn parse(line: &[u8]) -> Option<Link<'_>> {
        match serde_json::from_slice::<Quick<'_>>(line) {
            Ok(q) => Some(Link {
                seq: q.seq,
                session: q.session,
                at: q.at,
                mono_ms: q.mono_ms,
                ex_t: q.ex_t,
                prev: q.prev,
                hash: q.hash,
                actor: q.actor.is_some(),
                event: q.event.is_some(),
                sealed: q.sealed.is_some(),
                journal_key: q.journal_key.is_some(),
                encrypted_to: q.encrypted_to.is_some(),
            }),
            // Rare (an unusual but valid event, or not an entry at all): the
            // stored form decides.
            Err(_) => {
                let entry: StoredEntry = serde_json::from_slice(line).ok()?;
                Some(Link::from(&entry).into_owned())
            }
        }
    }

    /// The same link owning its text.
    fn into_owned(self) -> Link<'static> {
        Link {
            at: Cow::Owned(self.at.into_owned()),
            prev: Cow::Owned(self.prev.into_owned()),
            hash: Cow::Owned(self.hash.into_owned()),
            ..self
        }
    }
}

/// [`StoredEntry`]'s fields, in its order and with its defaults, each typed
/// to accept no more than the stored form's type.
#[derive(Deserialize)]
struct Quick<'a> {
    seq: u64,
    session: u32,
    #[serde(borrow)]
    at: Cow<'a, str>,
    #[serde(rename = "offset")]
    _offset: Text,
    mono_ms: u64,
    #[serde(default)]
    ex_t: Option<u64>,
    #[serde(default)]
    encrypted_to: Option<Texts>,
    #[serde(default)]
    journal_key: Option<Text>,
    #[serde(default)]
    actor: Option<ActorShape>,
    #[serde(default)]
    event: Option<EventShape>,
    #[serde(default)]
    sealed: Option<Text>,
    #[serde(borrow)]
    prev: Cow<'a, str>,
    #[serde(default, borrow)]
    hash: Cow<'a, str>,
}

/// [`Actor`](super::Actor)'s shape: the same derive over the same fields.
#[derive(Deserialize)]
struct ActorShape {
    #[serde(rename = "name")]
    _name: Text,
    #[serde(rename = "role")]
    _role: Text,
}

/// Any JSON string, kept nowhere.
struct Text;

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Text, E> {
                Ok(Text)
            }
        }
        d.deserialize_string(V)
    }
}

/// A list of strings, kept nowhere.
struct Texts;

impl<'de> Deserialize<'de> for Texts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Texts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Texts, A::Error> {
                while seq.next_element::<Text>()?.is_some() {}
                Ok(Texts)
            }
        }
        d.deserialize_seq(V)
    }
}

/// An event object with exactly one `type`, a string: every such object
/// reads as an [`Event`](super::Event) (a known one, or
/// [`Event::Unknown`](super::Event::Unknown)). Anything else is refused
/// here and left to the stored form to decide.
struct EventShape;

impl<'de> Deserialize<'de> for EventShape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EventShape;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventShape, A::Error> {
                let mut types = 0;
                while let Some(key) = map.next_key::<Key>()? {
                    if key.0 {
                        types += 1;
                        map.next_value::<Text>()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                if types == 1 {
                    Ok(EventShape)
                } else {
                    Err(de::Error::custom("an event needs one `type`"))
                }
            }
        }
        d.deserialize_map(V)
    }
}

/// A map key: whether it is `type`.
struct Key(bool);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(Key(key == "type"))
            }
        }
        d.deserialize_str(V)
    }
}
