//! The parts of Discord's interaction object that ShipTrack reads, named as Discord documents
//! them, read with miniserde: every other field is skipped without being built.
//!
//! miniserde rather than serde because its visitors are trait objects: serde compiled a copy
//! of its generic deserialising code for every field type, which made reading these structs
//! most of the JSON code in the Worker's wasm. miniserde makes a missing `Option` field `None`
//! (a missing field of any other type refuses the body, as serde does), and the newtypes below
//! read twilight-model's ids, permissions and type codes the way twilight-model's own serde
//! impls do.

use chrono::{DateTime, Utc};
use miniserde::{
    Deserialize, Error, Result,
    de::{Map, Seq, Visitor},
    make_place,
};
use twilight_model::{
    application::{
        command::{CommandOptionType, CommandType},
        interaction::InteractionType,
    },
    guild::Permissions,
    id::{
        Id,
        marker::{
            ApplicationMarker, ChannelMarker, GenericMarker, GuildMarker, InteractionMarker,
            UserMarker,
        },
    },
};

/// An interaction's type and nothing else, so a PING is answered, and a component or modal
/// turned away, without reading the rest (and even if it lacks fields other types require).
/// Only an object is accepted, as for every struct here.
#[derive(Deserialize)]
pub struct Envelope {
    #[serde(rename = "type")]
    pub kind: Code<InteractionType>,
}

/// A command or autocomplete interaction.
#[derive(Deserialize)]
pub struct Interaction {
    pub id: Snowflake<InteractionMarker>,
    pub application_id: Snowflake<ApplicationMarker>,
    pub token: String,
    pub guild_id: Option<Snowflake<GuildMarker>>,
    /// Older than `channel`, and still sent.
    pub channel_id: Option<Snowflake<ChannelMarker>>,
    pub channel: Option<Channel>,
    /// In a server.
    pub member: Option<Member>,
    /// In a DM.
    pub user: Option<User>,
    pub data: Option<CommandData>,
}

#[derive(Deserialize)]
pub struct Channel {
    pub id: Snowflake<ChannelMarker>,
}

/// A guild member: the invoker (with `user` and `permissions`) or a resolved one (`nick`).
#[derive(Deserialize)]
pub struct Member {
    pub user: Option<User>,
    pub nick: Option<String>,
    pub permissions: Option<Bits>,
}

#[derive(Deserialize)]
pub struct User {
    pub id: Snowflake<UserMarker>,
    pub username: String,
    pub global_name: Option<String>,
    /// Absent for people.
    pub bot: Option<bool>,
}

#[derive(Deserialize)]
pub struct CommandData {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Code<CommandType>,
    /// Absent when the command was run without options.
    pub options: Option<Vec<CommandOption>>,
    /// The message (or user) a context-menu command points at.
    pub target_id: Option<Snowflake<GenericMarker>>,
    pub resolved: Option<Resolved>,
}

#[derive(Deserialize)]
pub struct CommandOption {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Code<CommandOptionType>,
    pub value: Option<OptionValue>,
    /// A subcommand's own options.
    pub options: Option<Vec<CommandOption>>,
    /// The option being typed into, in an autocomplete request.
    pub focused: Option<bool>,
}

/// An option's `value`. Every option ShipTrack defines sends a string (user ids too, as
/// snowflakes are strings); a number or boolean is kept as `Other` so that it is refused as
/// the wrong type of option, not as a body that is not an interaction.
pub enum OptionValue {
    Text(String),
    Other,
}

/// The users, members and messages that options and targets refer to, keyed by id.
#[derive(Deserialize)]
pub struct Resolved {
    pub users: Option<Keyed<User>>,
    pub members: Option<Keyed<Member>>,
    pub messages: Option<Keyed<Message>>,
}

/// An object keyed by snowflakes, kept as its entries: the one or two a command resolves are
/// found by a scan, which costs the Worker far less code than a map per value type.
pub struct Keyed<V>(Vec<(Id<GenericMarker>, V)>);

impl<V> Keyed<V> {
    /// The value under `id`; the last one when the object repeats a key, as a map would keep.
    pub fn get<T>(&self, id: Id<T>) -> Option<&V> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| *key == id.cast())
            .map(|(_, value)| value)
    }
}

#[derive(Deserialize)]
pub struct Message {
    pub channel_id: Snowflake<ChannelMarker>,
    pub author: User,
    pub member: Option<Member>,
    pub content: String,
    pub timestamp: Timestamp,
}

impl CommandData {
    pub fn options(&self) -> &[CommandOption] {
        self.options.as_deref().unwrap_or_default()
    }
}

impl CommandOption {
    pub fn options(&self) -> &[CommandOption] {
        self.options.as_deref().unwrap_or_default()
    }
}

/// A snowflake, as a string (how Discord sends it) or a number, never zero.
pub struct Snowflake<T>(pub Id<T>);

/// Permission bits, as a decimal string (how Discord sends them) or a number; bits ShipTrack's
/// twilight-model does not know are dropped.
pub struct Bits(pub Permissions);

/// A `type` field: a small number naming one of twilight-model's enums.
pub struct Code<T>(pub T);

/// A message timestamp, as [`crate::timestamp::parse`] reads it.
pub struct Timestamp(pub DateTime<Utc>);

/// The enums a [`Code`] names, with the numbers twilight-model accepts for them.
pub trait Decode: Sized {
    fn decode(code: u8) -> Option<Self>;
}

impl Decode for InteractionType {
    fn decode(code: u8) -> Option<Self> {
        Self::try_from(code).ok()
    }
}

impl Decode for CommandType {
    /// Every number: twilight keeps one it does not know as `Unknown`.
    fn decode(code: u8) -> Option<Self> {
        Some(Self::from(code))
    }
}

impl Decode for CommandOptionType {
    fn decode(code: u8) -> Option<Self> {
        Some(match code {
            1 => Self::SubCommand,
            2 => Self::SubCommandGroup,
            3 => Self::String,
            4 => Self::Integer,
            5 => Self::Boolean,
            6 => Self::User,
            7 => Self::Channel,
            8 => Self::Role,
            9 => Self::Mentionable,
            10 => Self::Number,
            11 => Self::Attachment,
            _ => return None,
        })
    }
}

impl<T: 'static> Deserialize for Snowflake<T> {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        make_place!(Place);

        impl<T: 'static> Visitor for Place<Snowflake<T>> {
            fn string(&mut self, s: &str) -> Result<()> {
                self.out = Some(Snowflake(s.parse().map_err(|_| Error)?));
                Ok(())
            }

            fn nonnegative(&mut self, n: u64) -> Result<()> {
                self.out = Some(Snowflake(Id::new_checked(n).ok_or(Error)?));
                Ok(())
            }
        }

        Place::new(out)
    }
}

impl Deserialize for Bits {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        make_place!(Place);

        impl Visitor for Place<Bits> {
            fn string(&mut self, s: &str) -> Result<()> {
                self.nonnegative(s.parse().map_err(|_| Error)?)
            }

            fn nonnegative(&mut self, n: u64) -> Result<()> {
                self.out = Some(Bits(Permissions::from_bits_truncate(n)));
                Ok(())
            }
        }

        Place::new(out)
    }
}

impl<T: Decode + 'static> Deserialize for Code<T> {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        make_place!(Place);

        impl<T: Decode + 'static> Visitor for Place<Code<T>> {
            fn nonnegative(&mut self, n: u64) -> Result<()> {
                let code = u8::try_from(n).map_err(|_| Error)?;
                self.out = Some(Code(T::decode(code).ok_or(Error)?));
                Ok(())
            }
        }

        Place::new(out)
    }
}

impl<V: Deserialize> Deserialize for Keyed<V> {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        make_place!(Place);

        impl<V: Deserialize> Visitor for Place<Keyed<V>> {
            fn map(&mut self) -> Result<Box<dyn Map + '_>> {
                Ok(Box::new(Entries {
                    out: &mut self.out,
                    entries: Vec::new(),
                    key: None,
                    value: None,
                }))
            }
        }

        Place::new(out)
    }
}

/// The entries of a [`Keyed`] being read; `key` and `value` are the entry in progress.
struct Entries<'a, V> {
    out: &'a mut Option<Keyed<V>>,
    entries: Vec<(Id<GenericMarker>, V)>,
    key: Option<Id<GenericMarker>>,
    value: Option<V>,
}

impl<V> Entries<'_, V> {
    fn shift(&mut self) {
        if let (Some(key), Some(value)) = (self.key.take(), self.value.take()) {
            self.entries.push((key, value));
        }
    }
}

impl<V: Deserialize> Map for Entries<'_, V> {
    fn key(&mut self, k: &str) -> Result<&mut dyn Visitor> {
        self.shift();
        self.key = Some(k.parse().map_err(|_| Error)?);
        Ok(V::begin(&mut self.value))
    }

    fn finish(&mut self) -> Result<()> {
        self.shift();
        *self.out = Some(Keyed(std::mem::take(&mut self.entries)));
        Ok(())
    }
}

impl Deserialize for Timestamp {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        make_place!(Place);

        impl Visitor for Place<Timestamp> {
            fn string(&mut self, s: &str) -> Result<()> {
                self.out = Some(Timestamp(crate::timestamp::parse(s).ok_or(Error)?));
                Ok(())
            }
        }

        Place::new(out)
    }
}

impl Deserialize for OptionValue {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        make_place!(Place);

        impl Visitor for Place<OptionValue> {
            fn string(&mut self, s: &str) -> Result<()> {
                self.out = Some(OptionValue::Text(s.to_owned()));
                Ok(())
            }

            fn boolean(&mut self, _: bool) -> Result<()> {
                self.out = Some(OptionValue::Other);
                Ok(())
            }

            fn negative(&mut self, _: i64) -> Result<()> {
                self.out = Some(OptionValue::Other);
                Ok(())
            }

            fn nonnegative(&mut self, _: u64) -> Result<()> {
                self.out = Some(OptionValue::Other);
                Ok(())
            }

            fn float(&mut self, _: f64) -> Result<()> {
                self.out = Some(OptionValue::Other);
                Ok(())
            }
        }

        Place::new(out)
    }
}

/// Whether `text` is JSON at all. miniserde's one error does not say whether the text or its
/// shape was wrong, so a body that did not read as an interaction is read once more as any
/// value: a `400` then says which of the two it was.
pub fn is_json(text: &str) -> bool {
    miniserde::json::from_str::<AnyValue>(text).is_ok()
}

/// Any JSON value, skipped.
struct AnyValue;

impl Deserialize for AnyValue {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        make_place!(Place);

        impl Visitor for Place<AnyValue> {
            fn null(&mut self) -> Result<()> {
                self.out = Some(AnyValue);
                Ok(())
            }

            fn boolean(&mut self, _: bool) -> Result<()> {
                self.null()
            }

            fn string(&mut self, _: &str) -> Result<()> {
                self.null()
            }

            fn negative(&mut self, _: i64) -> Result<()> {
                self.null()
            }

            fn nonnegative(&mut self, _: u64) -> Result<()> {
                self.null()
            }

            fn float(&mut self, _: f64) -> Result<()> {
                self.null()
            }

            fn seq(&mut self) -> Result<Box<dyn Seq + '_>> {
                self.out = Some(AnyValue);
                Ok(Box::new(Skip))
            }

            fn map(&mut self) -> Result<Box<dyn Map + '_>> {
                self.out = Some(AnyValue);
                Ok(Box::new(Skip))
            }
        }

        Place::new(out)
    }
}

/// The elements or entries of an [`AnyValue`], each skipped (the parser still checks them).
struct Skip;

impl Seq for Skip {
    fn element(&mut self) -> Result<&mut dyn Visitor> {
        Ok(<dyn Visitor>::ignore())
    }

    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

impl Map for Skip {
    fn key(&mut self, _: &str) -> Result<&mut dyn Visitor> {
        Ok(<dyn Visitor>::ignore())
    }

    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}
