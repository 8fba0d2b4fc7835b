//! Thrift's binary protocol (the agent's UDP port 6832 and the collector's `POST /api/traces`
//! body): big-endian fixed-width integers and doubles, i32 length prefixes.

use super::protocol::{Cursor, FieldHeader, MessageHeader, Protocol, TType, checked_len};
use crate::DecodeError;

const VERSION_MASK: u32 = 0xffff_0000;
const VERSION_1: u32 = 0x8001_0000;

pub(crate) struct BinaryReader<'a> {
    cursor: Cursor<'a>,
}

impl<'a> BinaryReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        BinaryReader {
            cursor: Cursor::new(data),
        }
    }

    fn element_type(&self, code: u8) -> Result<TType, DecodeError> {
        Ok(match code {
            2 => TType::Bool,
            3 => TType::Byte,
            4 => TType::Double,
            6 => TType::I16,
            8 => TType::I32,
            10 => TType::I64,
            11 => TType::Binary,
            12 => TType::Struct,
            13 => TType::Map,
            14 => TType::Set,
            15 => TType::List,
            other => {
                return Err(DecodeError::malformed(
                    "thrift binary",
                    format!(
                        "unknown type code {other} at offset {}",
                        self.cursor.offset()
                    ),
                ));
            }
        })
    }

    fn count(&mut self) -> Result<usize, DecodeError> {
        let offset = self.cursor.offset();
        let count = self.read_i32()?;
        checked_len(i64::from(count), self.cursor.remaining(), offset)
    }
}

impl<'a> Protocol<'a> for BinaryReader<'a> {
    fn message_begin(&mut self) -> Result<MessageHeader<'a>, DecodeError> {
        let first = self.read_i32()?;
        if first < 0 {
            // Strict envelope: version and type, then name and sequence id.
            let version = first as u32 & VERSION_MASK;
            if version != VERSION_1 {
                return Err(DecodeError::malformed(
                    "thrift binary",
                    format!("protocol version {version:#x}, expected {VERSION_1:#x}"),
                ));
            }
            let name = self.read_bytes()?;
            let _sequence_id = self.read_i32()?;
            return Ok(MessageHeader {
                name,
                message_type: (first & 0xff) as u8,
            });
        }
        // Old non-strict envelope: the first word is the name's length.
        let length = checked_len(i64::from(first), self.cursor.remaining(), 0)?;
        let name = self.cursor.take(length)?;
        let message_type = self.cursor.byte()?;
        let _sequence_id = self.read_i32()?;
        Ok(MessageHeader { name, message_type })
    }

    fn struct_begin(&mut self) -> Result<(), DecodeError> {
        Ok(())
    }

    fn struct_end(&mut self) {}

    fn field_begin(&mut self) -> Result<Option<FieldHeader>, DecodeError> {
        let type_code = self.cursor.byte()?;
        if type_code == 0 {
            return Ok(None);
        }
        let field_type = self.element_type(type_code)?;
        let field_id = self.read_i16()?;
        Ok(Some((field_type, field_id)))
    }

    fn read_bool(&mut self) -> Result<bool, DecodeError> {
        Ok(self.cursor.byte()? != 0)
    }

    fn read_byte(&mut self) -> Result<i8, DecodeError> {
        Ok(self.cursor.byte()? as i8)
    }

    fn read_i16(&mut self) -> Result<i16, DecodeError> {
        Ok(i16::from_be_bytes(self.cursor.take_array()?))
    }

    fn read_i32(&mut self) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.cursor.take_array()?))
    }

    fn read_i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.cursor.take_array()?))
    }

    fn read_double(&mut self) -> Result<f64, DecodeError> {
        Ok(f64::from_be_bytes(self.cursor.take_array()?))
    }

    fn read_bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let length = self.count()?;
        self.cursor.take(length)
    }

    fn list_begin(&mut self) -> Result<(TType, usize), DecodeError> {
        let code = self.cursor.byte()?;
        let element_type = self.element_type(code)?;
        Ok((element_type, self.count()?))
    }

    fn map_begin(&mut self) -> Result<(TType, TType, usize), DecodeError> {
        let [key_code, value_code] = self.cursor.take_array()?;
        let key_type = self.element_type(key_code)?;
        let value_type = self.element_type(value_code)?;
        Ok((key_type, value_type, self.count()?))
    }
}
