//! Thrift's compact protocol (what Jaeger clients send to the agent's UDP port 6831): varint and
//! zigzag integers, little-endian doubles, field ids as deltas, booleans folded into field headers.

use super::protocol::{Cursor, FieldHeader, MessageHeader, Protocol, TType, checked_len};
use crate::DecodeError;

const PROTOCOL_ID: u8 = 0x82;
const VERSION: u8 = 1;
/// Struct nesting the decoder accepts (Jaeger's batch nests 4 deep; skipped values recurse more).
const MAX_STRUCT_DEPTH: usize = 64;

/// Compact type codes: booleans are 1 (true) or 2 (false) in field headers and either in lists.
const TYPES: [Option<TType>; 13] = [
    None,
    Some(TType::Bool),
    Some(TType::Bool),
    Some(TType::Byte),
    Some(TType::I16),
    Some(TType::I32),
    Some(TType::I64),
    Some(TType::Double),
    Some(TType::Binary),
    Some(TType::List),
    Some(TType::Set),
    Some(TType::Map),
    Some(TType::Struct),
];

pub(crate) struct CompactReader<'a> {
    cursor: Cursor<'a>,
    /// Last field id read in each open struct (ids are written as deltas from it).
    last_field_ids: Vec<i16>,
    last_field_id: i16,
    /// The value of a boolean field, carried by its field header.
    pending_bool: Option<bool>,
}

impl<'a> CompactReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        CompactReader {
            cursor: Cursor::new(data),
            last_field_ids: Vec::with_capacity(8),
            last_field_id: 0,
            pending_bool: None,
        }
    }

    #[inline]
    fn varint(&mut self) -> Result<u64, DecodeError> {
        // Fast path: most varints are one byte.
        if let Some(&byte) = self.cursor.rest().first()
            && byte < 0x80
        {
            self.cursor.advance(1);
            return Ok(u64::from(byte));
        }
        let mut value = 0u64;
        for (index, &byte) in self.cursor.rest().iter().take(10).enumerate() {
            value |= u64::from(byte & 0x7f) << (7 * index);
            if byte & 0x80 == 0 {
                self.cursor.advance(index + 1);
                return Ok(value);
            }
        }
        if self.cursor.remaining() >= 10 {
            Err(DecodeError::malformed(
                "thrift compact",
                "varint longer than 10 bytes",
            ))
        } else {
            Err(DecodeError::Truncated {
                offset: self.cursor.offset(),
                needed: 1,
            })
        }
    }

    #[inline]
    fn zigzag(&mut self) -> Result<i64, DecodeError> {
        let value = self.varint()?;
        Ok((value >> 1) as i64 ^ -((value & 1) as i64))
    }

    #[inline]
    fn element_type(&self, code: u8) -> Result<TType, DecodeError> {
        match TYPES.get(usize::from(code)).copied().flatten() {
            Some(ttype) => Ok(ttype),
            None => Err(self.unknown_type(code)),
        }
    }

    #[cold]
    fn unknown_type(&self, code: u8) -> DecodeError {
        DecodeError::malformed(
            "thrift compact",
            format!(
                "unknown type code {code} at offset {}",
                self.cursor.offset()
            ),
        )
    }

    fn count(&mut self, count: i64) -> Result<usize, DecodeError> {
        checked_len(count, self.cursor.remaining(), self.cursor.offset())
    }
}

impl<'a> Protocol<'a> for CompactReader<'a> {
    fn message_begin(&mut self) -> Result<MessageHeader<'a>, DecodeError> {
        let protocol_id = self.cursor.byte()?;
        if protocol_id != PROTOCOL_ID {
            return Err(DecodeError::malformed(
                "thrift compact",
                format!("protocol id {protocol_id:#04x}, expected {PROTOCOL_ID:#04x}"),
            ));
        }
        let version_and_type = self.cursor.byte()?;
        if version_and_type & 0x1f != VERSION {
            return Err(DecodeError::malformed(
                "thrift compact",
                format!(
                    "protocol version {}, expected {VERSION}",
                    version_and_type & 0x1f
                ),
            ));
        }
        let _sequence_id = self.varint()?;
        let name = self.read_bytes()?;
        Ok(MessageHeader {
            name,
            message_type: (version_and_type >> 5) & 0x07,
        })
    }

    fn struct_begin(&mut self) -> Result<(), DecodeError> {
        if self.last_field_ids.len() >= MAX_STRUCT_DEPTH {
            return Err(DecodeError::malformed(
                "thrift compact",
                "structs nested too deeply",
            ));
        }
        self.last_field_ids.push(self.last_field_id);
        self.last_field_id = 0;
        Ok(())
    }

    fn struct_end(&mut self) {
        self.last_field_id = self.last_field_ids.pop().unwrap_or(0);
    }

    #[inline(always)]
    fn field_begin(&mut self) -> Result<Option<FieldHeader>, DecodeError> {
        let header = self.cursor.byte()?;
        let type_code = header & 0x0f;
        if type_code == 0 {
            return Ok(None);
        }
        let delta = header >> 4;
        let field_id = if delta == 0 {
            i16::try_from(self.zigzag()?)
                .map_err(|_| DecodeError::malformed("thrift compact", "field id out of range"))?
        } else {
            self.last_field_id.wrapping_add(i16::from(delta))
        };
        self.last_field_id = field_id;
        let field_type = self.element_type(type_code)?;
        if field_type == TType::Bool {
            self.pending_bool = Some(type_code == 1);
        }
        Ok(Some((field_type, field_id)))
    }

    #[inline(always)]
    fn read_bool(&mut self) -> Result<bool, DecodeError> {
        match self.pending_bool.take() {
            Some(value) => Ok(value),
            None => Ok(self.cursor.byte()? == 1),
        }
    }

    fn read_byte(&mut self) -> Result<i8, DecodeError> {
        Ok(self.cursor.byte()? as i8)
    }

    fn read_i16(&mut self) -> Result<i16, DecodeError> {
        i16::try_from(self.zigzag()?)
            .map_err(|_| DecodeError::malformed("thrift compact", "i16 out of range"))
    }

    #[inline(always)]
    fn read_i32(&mut self) -> Result<i32, DecodeError> {
        i32::try_from(self.zigzag()?)
            .map_err(|_| DecodeError::malformed("thrift compact", "i32 out of range"))
    }

    #[inline(always)]
    fn read_i64(&mut self) -> Result<i64, DecodeError> {
        self.zigzag()
    }

    #[inline(always)]
    fn read_double(&mut self) -> Result<f64, DecodeError> {
        Ok(f64::from_le_bytes(self.cursor.take_array()?))
    }

    #[inline(always)]
    fn read_bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let offset = self.cursor.offset();
        let length = self.varint()?;
        let length = checked_len(
            i64::try_from(length).unwrap_or(i64::MAX),
            self.cursor.remaining(),
            offset,
        )?;
        self.cursor.take(length)
    }

    fn list_begin(&mut self) -> Result<(TType, usize), DecodeError> {
        let header = self.cursor.byte()?;
        let element_type = self.element_type(header & 0x0f)?;
        let short_count = header >> 4;
        let count = if short_count == 15 {
            i64::try_from(self.varint()?).unwrap_or(i64::MAX)
        } else {
            i64::from(short_count)
        };
        Ok((element_type, self.count(count)?))
    }

    fn map_begin(&mut self) -> Result<(TType, TType, usize), DecodeError> {
        let count = i64::try_from(self.varint()?).unwrap_or(i64::MAX);
        let count = self.count(count)?;
        if count == 0 {
            return Ok((TType::Byte, TType::Byte, 0));
        }
        let types = self.cursor.byte()?;
        Ok((
            self.element_type(types >> 4)?,
            self.element_type(types & 0x0f)?,
            count,
        ))
    }
}
