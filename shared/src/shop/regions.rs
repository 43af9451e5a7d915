//! Where a shop ships and taxes: ISO 3166 codes. A country is its alpha-2 code (`DE`); a
//! subdivision is the country's code, a hyphen and the subdivision's own 1–3 letters or digits
//! (`US-CA`, ISO 3166-2). Codes are upper-cased; a country must be one ISO 3166-1 assigns.

use serde::Serialize;

use crate::values::parsed_from_text;

/// Every officially assigned ISO 3166-1 alpha-2 code.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU \
    ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ \
    LA LB LC LI LK LR LS LT LU LV LY \
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
    NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA \
    RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
    TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ \
    VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Whether `code` (upper case) is an assigned ISO 3166-1 alpha-2 code.
pub fn is_country(code: &str) -> bool {
    code.len() == 2 && COUNTRIES.split_ascii_whitespace().any(|c| c == code)
}

/// Whether `code` (upper case) is a subdivision's own part: 1–3 letters or digits.
pub fn is_subdivision(code: &str) -> bool {
    (1..=3).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A country (`DE`) or a subdivision of one (`US-CA`), as shipping zones and tax rates name
/// them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Region(String);

impl Region {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code = raw.trim().to_ascii_uppercase();
        let valid = match code.split_once('-') {
            Some((country, subdivision)) => is_country(country) && is_subdivision(subdivision),
            None => is_country(&code),
        };
        if valid {
            Ok(Self(code))
        } else {
            Err("must be an ISO 3166 code: a country (DE) or a subdivision (US-CA)")
        }
    }

    /// The region of an address: its subdivision when it names one, else its country.
    pub fn of(country: &str, subdivision: Option<&str>) -> Self {
        match subdivision {
            Some(sub) => Self(format!("{country}-{sub}")),
            None => Self(country.to_owned()),
        }
    }

    /// The country this region is in, as a region.
    pub fn country(&self) -> Self {
        match self.0.split_once('-') {
            Some((country, _)) => Self(country.to_owned()),
            None => self.clone(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
parsed_from_text!(Region);

impl std::str::FromStr for Region {
    type Err = &'static str;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_assigned_country_is_listed_once() {
        let codes: Vec<&str> = COUNTRIES.split_ascii_whitespace().collect();
        assert_eq!(codes.len(), 249);
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, codes, "listed in order, once each");
    }

    #[test]
    fn regions_are_countries_or_their_subdivisions() {
        assert_eq!(Region::parse(" de ").map(|r| r.0), Ok("DE".to_owned()));
        assert_eq!(Region::parse("us-ca").map(|r| r.0), Ok("US-CA".to_owned()));
        assert!(Region::parse("GB-ENG").is_ok());
        assert!(Region::parse("FR-75C").is_ok());
        for bad in [
            "XX", "DEU", "US-", "US-CALI", "-CA", "U1", "", "US_CA", "US-C-A",
        ] {
            assert!(Region::parse(bad).is_err(), "{bad:?}");
        }
        let california = Region::of("US", Some("CA"));
        assert_eq!(california.as_str(), "US-CA");
        assert_eq!(california.country().as_str(), "US");
        assert_eq!(Region::of("DE", None).country().as_str(), "DE");
    }
}
