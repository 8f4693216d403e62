//! "Did you mean": the closest candidate by edit distance, within a bound that grows with
//! the length of the name (as starlark-rust does: 1 edit for names of ≤ 2 characters,
//! else 2, and never more than a third of the name).

/// Levenshtein distance, bounded: returns `None` as soon as the distance must exceed
/// `max` (so thousands of candidates stay cheap).
pub fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            row_min = row_min.min(cur[j]);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    (prev[b.len()] <= max).then_some(prev[b.len()])
}

/// The candidate closest to `name`, if one is close enough to be a likely typo.
/// Ties go to the earliest candidate, so the answer is deterministic.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = name.chars().count();
    let max = if len <= 2 {
        1
    } else {
        2.min(len.div_ceil(3).max(1))
    };
    let lower = name.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        // A difference of case only is the likeliest typo of all.
        let d = if c.eq_ignore_ascii_case(&lower) {
            Some(0)
        } else {
            distance(&lower, &c.to_ascii_lowercase(), max)
        };
        if let Some(d) = d
            && best.is_none_or(|(bd, _)| d < bd)
        {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            did_you_mean("replicsa", ["replicas", "port"]),
            Some("replicas")
        );
        assert_eq!(did_you_mean("migrat", ["migrate", "seed"]), Some("migrate"));
        assert_eq!(did_you_mean("xyz", ["replicas"]), None);
        assert_eq!(did_you_mean("Port", ["port"]), Some("port"));
        assert_eq!(distance("kitten", "sitting", 3), Some(3));
        assert_eq!(distance("kitten", "sitting", 2), None);
    }
}
