//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a
//! 31-character alphabet, the last a check character over the first 17.

/// The alphabet; I, O, S, V and Z are left out so codes are not misread.
pub const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
pub const LENGTH: usize = 18;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditCodeProblem {
    /// Not 18 characters.
    Length(usize),
    /// A character outside the alphabet, at this (0-based) position.
    Character { position: usize, found: char },
    /// Well-formed, but the check character is wrong.
    CheckCharacter { expected: char, found: char },
}

impl std::fmt::Display for CreditCodeProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CreditCodeProblem::Length(n) => write!(f, "must be 18 characters, not {n}"),
            CreditCodeProblem::Character { position, found } => write!(
                f,
                "character {} (`{found}`) is not allowed; use 0-9 and A-Y without I, O, S, V, Z",
                position + 1
            ),
            CreditCodeProblem::CheckCharacter { expected, found } => write!(
                f,
                "the check character is `{found}` but should be `{expected}`; if the registered code \
                 really is this, send `credit_code_override_reason`"
            ),
        }
    }
}

fn value_of(c: char) -> Option<u32> {
    ALPHABET.find(c).map(|i| i as u32)
}

/// The check character for the first 17 characters (which must be in the alphabet).
pub fn check_character(first_17: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut weight = 1u32; // 3^i mod 31
    for c in first_17.chars() {
        sum += value_of(c)? * weight;
        weight = weight * 3 % 31;
    }
    let index = (31 - sum % 31) % 31;
    ALPHABET.chars().nth(index as usize)
}

/// Upper-cases and trims what a person typed, then checks it.
pub fn normalize(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// Checks a normalised code.
pub fn check(code: &str) -> Result<(), CreditCodeProblem> {
    let length = code.chars().count();
    if length != LENGTH {
        return Err(CreditCodeProblem::Length(length));
    }
    if let Some((position, found)) = code
        .chars()
        .enumerate()
        .find(|(_, c)| value_of(*c).is_none())
    {
        return Err(CreditCodeProblem::Character { position, found });
    }
    let expected = check_character(&code[..17]).expect("all characters are in the alphabet");
    let found = code.chars().last().expect("18 characters");
    if expected == found {
        Ok(())
    } else {
        Err(CreditCodeProblem::CheckCharacter { expected, found })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_registered_codes_pass() {
        for code in [
            "91350100M000100Y43",
            "91440300708461136T",
            "9144030071526726XG",
        ] {
            assert_eq!(check(code), Ok(()), "{code}");
        }
    }

    #[test]
    fn a_wrong_check_character_names_the_right_one() {
        assert_eq!(
            check("91350100M000100Y44"),
            Err(CreditCodeProblem::CheckCharacter {
                expected: '3',
                found: '4'
            })
        );
        // Where the sum is a multiple of 31 the check character is `0`, never a 32nd symbol.
        for first_17 in ["00000000000000000", "10000000000000000"] {
            let c = check_character(first_17).unwrap();
            assert!(ALPHABET.contains(c));
        }
        assert_eq!(check_character("00000000000000000"), Some('0'));
    }

    #[test]
    fn malformed_codes_say_what_is_wrong() {
        assert_eq!(check("9135010"), Err(CreditCodeProblem::Length(7)));
        assert_eq!(
            check("91350100I000100Y43"),
            Err(CreditCodeProblem::Character {
                position: 8,
                found: 'I'
            })
        );
        assert_eq!(normalize(" 91350100m000100y43 "), "91350100M000100Y43");
    }

    #[test]
    fn every_single_character_typo_is_caught() {
        let good = "91350100M000100Y43";
        for position in 0..17 {
            for replacement in ALPHABET.chars() {
                let mut typo: Vec<char> = good.chars().collect();
                if typo[position] == replacement {
                    continue;
                }
                typo[position] = replacement;
                let typo: String = typo.into_iter().collect();
                assert!(check(&typo).is_err(), "{typo} passed");
            }
        }
    }
}
