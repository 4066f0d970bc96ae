//! Text columns read without a `String` each: the value is appended to a buffer the caller
//! keeps for the whole row. diesel's `String` takes an allocation per column and a free after
//! the answer is written; a row of a bulk read that only passes its text on to JSON can take
//! one allocation for all of it (`hazard::list_row`).

use diesel::deserialize;
use diesel::row::{Field, Row};

use super::{MultiBackend, MultiRawValue};

/// Where a text column's value lies in a row's buffer; `None` for SQL `NULL`.
pub type TextSpan = Option<(u32, u32)>;

/// Appends column `column` of `row` (a text column, or `NULL`) to `buffer`.
pub fn append_text<'a>(
    row: &impl Row<'a, MultiBackend>,
    column: usize,
    buffer: &mut String,
) -> deserialize::Result<TextSpan> {
    let field = row
        .get(column)
        .ok_or("the row has fewer columns than read")?;
    let Some(value) = field.value() else {
        return Ok(None);
    };
    let start = buffer.len();
    match value {
        MultiRawValue::Sqlite(mut value) => buffer.push_str(value.read_text()),
        MultiRawValue::Pg(value) => buffer.push_str(std::str::from_utf8(value.as_bytes())?),
    }
    Ok(Some((u32::try_from(start)?, u32::try_from(buffer.len())?)))
}

/// The text `span` marks in `buffer`.
pub fn text_at(buffer: &str, span: TextSpan) -> Option<&str> {
    span.map(|(start, end)| &buffer[start as usize..end as usize])
}

/// Column `column` of `row`, read as `T` reads it (a time, a number); `None` for `NULL`.
pub fn value_at<'a, T, ST>(
    row: &impl Row<'a, MultiBackend>,
    column: usize,
) -> deserialize::Result<Option<T>>
where
    T: deserialize::FromSql<ST, MultiBackend>,
{
    let field = row
        .get(column)
        .ok_or("the row has fewer columns than read")?;
    field.value().map(T::from_sql).transpose()
}
