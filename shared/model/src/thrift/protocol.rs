//! The reading side of a Thrift protocol over a byte slice, shared by the compact and binary
//! encodings: field and container headers, scalars, and a bounded `skip` for unknown fields.
//!
//! Every length and count is checked against the bytes that remain before anything is allocated,
//! so an absurd length in a hostile datagram costs an error, not memory.

use crate::DecodeError;

/// Thrift value types, independent of how a protocol numbers them on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TType {
    Bool,
    Byte,
    I16,
    I32,
    I64,
    Double,
    Binary,
    List,
    Set,
    Map,
    Struct,
}

/// How deeply `skip` may recurse into unknown nested values.
pub(crate) const MAX_SKIP_DEPTH: usize = 32;

/// A field header: its type and id. `None` from [`Protocol::field_begin`] means STOP.
pub(crate) type FieldHeader = (TType, i16);

/// A message envelope: the method name and message type (1 call, 4 oneway, ...).
pub(crate) struct MessageHeader<'a> {
    pub name: &'a [u8],
    pub message_type: u8,
}

pub(crate) trait Protocol<'a> {
    fn message_begin(&mut self) -> Result<MessageHeader<'a>, DecodeError>;
    fn struct_begin(&mut self) -> Result<(), DecodeError>;
    fn struct_end(&mut self);
    fn field_begin(&mut self) -> Result<Option<FieldHeader>, DecodeError>;
    fn read_bool(&mut self) -> Result<bool, DecodeError>;
    fn read_byte(&mut self) -> Result<i8, DecodeError>;
    fn read_i16(&mut self) -> Result<i16, DecodeError>;
    fn read_i32(&mut self) -> Result<i32, DecodeError>;
    fn read_i64(&mut self) -> Result<i64, DecodeError>;
    fn read_double(&mut self) -> Result<f64, DecodeError>;
    fn read_bytes(&mut self) -> Result<&'a [u8], DecodeError>;
    /// Element type and count of a list or set; the count never exceeds the remaining bytes.
    fn list_begin(&mut self) -> Result<(TType, usize), DecodeError>;
    /// Key type, value type and count of a map; the count never exceeds the remaining bytes.
    fn map_begin(&mut self) -> Result<(TType, TType, usize), DecodeError>;

    #[inline]
    fn read_string(&mut self, field: &'static str) -> Result<String, DecodeError> {
        let bytes = self.read_bytes()?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| DecodeError::InvalidUtf8 { field })
    }
}

/// Checks a container or byte length read from the wire against what is left of the payload.
pub(crate) fn checked_len(
    length: i64,
    remaining: usize,
    offset: usize,
) -> Result<usize, DecodeError> {
    if length < 0 {
        return Err(DecodeError::InvalidLength {
            offset,
            length,
            reason: "negative",
        });
    }
    match usize::try_from(length) {
        Ok(length) if length <= remaining => Ok(length),
        _ => Err(DecodeError::InvalidLength {
            offset,
            length,
            reason: "longer than the payload",
        }),
    }
}

/// Reads and discards one value of type `ttype`, recursing at most [`MAX_SKIP_DEPTH`] levels.
pub(crate) fn skip<'a, P: Protocol<'a>>(
    protocol: &mut P,
    ttype: TType,
    depth: usize,
) -> Result<(), DecodeError> {
    if depth > MAX_SKIP_DEPTH {
        return Err(DecodeError::malformed("thrift", "values nested too deeply"));
    }
    match ttype {
        TType::Bool => protocol.read_bool().map(drop),
        TType::Byte => protocol.read_byte().map(drop),
        TType::I16 => protocol.read_i16().map(drop),
        TType::I32 => protocol.read_i32().map(drop),
        TType::I64 => protocol.read_i64().map(drop),
        TType::Double => protocol.read_double().map(drop),
        TType::Binary => protocol.read_bytes().map(drop),
        TType::Struct => {
            protocol.struct_begin()?;
            while let Some((field_type, _)) = protocol.field_begin()? {
                skip(protocol, field_type, depth + 1)?;
            }
            protocol.struct_end();
            Ok(())
        }
        TType::List | TType::Set => {
            let (element_type, count) = protocol.list_begin()?;
            for _ in 0..count {
                skip(protocol, element_type, depth + 1)?;
            }
            Ok(())
        }
        TType::Map => {
            let (key_type, value_type, count) = protocol.map_begin()?;
            for _ in 0..count {
                skip(protocol, key_type, depth + 1)?;
                skip(protocol, value_type, depth + 1)?;
            }
            Ok(())
        }
    }
}

/// A read position in a byte slice; the only place that indexes the payload.
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    position: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Cursor { data, position: 0 }
    }

    pub(crate) fn offset(&self) -> usize {
        self.position
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.position
    }

    #[inline]
    pub(crate) fn take(&mut self, count: usize) -> Result<&'a [u8], DecodeError> {
        match self
            .data
            .get(self.position..)
            .and_then(|rest| rest.get(..count))
        {
            Some(bytes) => {
                self.position += count;
                Ok(bytes)
            }
            None => Err(self.truncated(count)),
        }
    }

    #[cold]
    fn truncated(&self, count: usize) -> DecodeError {
        DecodeError::Truncated {
            offset: self.position,
            needed: count - self.remaining().min(count),
        }
    }

    /// The unread bytes, for readers that decode several bytes at once.
    #[inline]
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data.get(self.position..).unwrap_or_default()
    }

    #[inline]
    pub(crate) fn advance(&mut self, count: usize) {
        self.position = (self.position + count).min(self.data.len());
    }

    #[inline]
    pub(crate) fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    pub(crate) fn byte(&mut self) -> Result<u8, DecodeError> {
        let byte = *self.data.get(self.position).ok_or(DecodeError::Truncated {
            offset: self.position,
            needed: 1,
        })?;
        self.position += 1;
        Ok(byte)
    }
}
