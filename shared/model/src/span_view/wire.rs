//! Reading protobuf's wire format the way prost does: varints, field keys, and the four wire
//! types api_v2 uses. Every reader returns `None` on what prost would refuse.

/// A field's value by wire type.
#[derive(Clone, Copy)]
pub(super) enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32,
    Len(&'a [u8]),
}

/// Reads a varint as prost does: at most 10 bytes, the tenth at most 1.
#[inline]
pub(super) fn varint(rest: &mut &[u8]) -> Option<u64> {
    // Field keys and short lengths take one byte.
    if let Some((&byte, tail)) = rest.split_first()
        && byte < 0x80
    {
        *rest = tail;
        return Some(u64::from(byte));
    }
    let mut value = 0u64;
    for (index, &byte) in rest.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte < 0x80 {
            if index == 9 && byte > 1 {
                return None;
            }
            *rest = rest.get(index + 1..)?;
            return Some(value);
        }
    }
    None
}

/// The next field of a message: `Some(Ok(..))`, `None` at its end, `Some(Err(()))` when
/// malformed (or a group, which no api_v2 field is).
#[inline]
fn next_field<'a>(rest: &mut &'a [u8]) -> Option<Result<(u32, Wire<'a>), ()>> {
    if rest.is_empty() {
        return None;
    }
    Some(read_field(rest).ok_or(()))
}

#[inline]
fn read_field<'a>(rest: &mut &'a [u8]) -> Option<(u32, Wire<'a>)> {
    let key = u32::try_from(varint(rest)?).ok()?;
    let field = key >> 3;
    if field == 0 {
        return None;
    }
    let wire = match key & 7 {
        0 => Wire::Varint(varint(rest)?),
        1 => {
            let (bytes, tail) = rest.split_first_chunk::<8>()?;
            *rest = tail;
            Wire::Fixed64(u64::from_le_bytes(*bytes))
        }
        2 => {
            let length = usize::try_from(varint(rest)?).ok()?;
            let bytes = rest.get(..length)?;
            *rest = rest.get(length..)?;
            Wire::Len(bytes)
        }
        5 => {
            *rest = rest.get(4..)?;
            Wire::Fixed32
        }
        _ => return None,
    };
    Some((field, wire))
}

/// Calls `each` with every field of a message; `None` when malformed or when `each` declines.
pub(super) fn for_each_field<'a>(
    mut rest: &'a [u8],
    mut each: impl FnMut(u32, Wire<'a>) -> Option<()>,
) -> Option<()> {
    while let Some(field) = next_field(&mut rest) {
        let (number, wire) = field.ok()?;
        each(number, wire)?;
    }
    Some(())
}

/// Marks singular field `number` seen; `None` when it was already.
pub(super) fn once(seen: &mut u32, number: u32) -> Option<()> {
    let bit = 1u32.checked_shl(number)?;
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

pub(super) fn text(wire: Wire<'_>) -> Option<&str> {
    match wire {
        Wire::Len(bytes) => std::str::from_utf8(bytes).ok(),
        _ => None,
    }
}

pub(super) fn bytes(wire: Wire<'_>) -> Option<&[u8]> {
    match wire {
        Wire::Len(bytes) => Some(bytes),
        _ => None,
    }
}

pub(super) fn number(wire: Wire<'_>) -> Option<u64> {
    match wire {
        Wire::Varint(value) => Some(value),
        _ => None,
    }
}
