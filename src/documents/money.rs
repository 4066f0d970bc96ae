//! Amounts as a penalty decision prints them: in capitals (人民币大写) and in figures.

const DIGITS: [&str; 10] = ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"];
const SMALL_UNITS: [&str; 4] = ["", "拾", "佰", "仟"];
const BIG_UNITS: [&str; 3] = ["", "万", "亿"];

/// One group of four digits (0..=9999), with a leading zero written when `after_higher`
/// and the group is short.
fn group(n: u64, after_higher: bool) -> String {
    let digits = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10];
    let mut out = String::new();
    let mut zero_pending = after_higher && n < 1000;
    for (i, d) in digits.iter().enumerate() {
        if *d == 0 {
            zero_pending = !out.is_empty() || zero_pending;
            continue;
        }
        if zero_pending {
            out.push_str(DIGITS[0]);
            zero_pending = false;
        }
        out.push_str(DIGITS[*d as usize]);
        out.push_str(SMALL_UNITS[3 - i]);
    }
    out
}

/// `fen` in capitals: 伍仟元整, 壹万零伍拾元叁角, 贰元零伍分.
pub fn in_capitals(fen: i64) -> String {
    let fen = fen.max(0) as u64;
    let (yuan, jiao, cents) = (fen / 100, fen / 10 % 10, fen % 10);
    let mut out = String::new();
    if yuan > 0 {
        let groups = [yuan / 100_000_000, yuan / 10_000 % 10_000, yuan % 10_000];
        let mut higher = false;
        for (i, g) in groups.iter().enumerate() {
            if *g == 0 {
                continue;
            }
            out.push_str(&group(*g, higher));
            out.push_str(BIG_UNITS[2 - i]);
            higher = true;
        }
        out.push('元');
    }
    match (jiao, cents) {
        (0, 0) => out.push_str(if yuan == 0 { "零元整" } else { "整" }),
        (j, 0) => out.push_str(&format!("{}角", DIGITS[j as usize])),
        (0, c) => out.push_str(&format!(
            "{}{}分",
            if yuan > 0 { "零" } else { "" },
            DIGITS[c as usize]
        )),
        (j, c) => out.push_str(&format!("{}角{}分", DIGITS[j as usize], DIGITS[c as usize])),
    }
    out
}

/// `fen` in figures with thousands separators: 5,000.00.
pub fn in_figures(fen: i64) -> String {
    let fen = fen.max(0);
    let yuan = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in yuan.chars().enumerate() {
        if i > 0 && (yuan.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{:02}", fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_capitals_as_bank_forms_write_them() {
        for (fen, words) in [
            (500_000, "伍仟元整"),
            (0, "零元整"),
            (5, "伍分"),
            (205, "贰元零伍分"),
            (1_005_030, "壹万零伍拾元叁角"),
            (3_000_000, "叁万元整"),
            (10_000_000, "壹拾万元整"),
            (12_345_678_900, "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元整"),
            (10_000_010_000, "壹亿零壹佰元整"),
            (100_000_000_000, "壹拾亿元整"),
            (100_100, "壹仟零壹元整"),
        ] {
            assert_eq!(in_capitals(fen), words, "{fen}");
        }
    }

    #[test]
    fn amounts_in_figures() {
        assert_eq!(in_figures(500_000), "5,000.00");
        assert_eq!(in_figures(12_345_678_905), "123,456,789.05");
        assert_eq!(in_figures(7), "0.07");
    }
}
