//! "Did you mean": the closest candidate by edit distance, within a bound that grows with
//! the length of the name (as starlark-rust does: 1 edit for names of ≤ 2 characters,
//! else 2, and never more than a third of the name).

/// Levenshtein distance, bounded: returns `None` as soon as the distance must exceed
/// `max` (so thousands of candidates stay cheap).
pub fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    if a.is_ascii() && b.is_ascii() {
        return distance_of(a.as_bytes(), b.as_bytes(), max, |x, y| x == y);
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    distance_of(&a, &b, max, |x, y| x == y)
}

/// Names up to this long are compared without allocating: a checker suggesting for
/// thousands of unknown names among thousands of candidates calls this millions of
/// times (tests/hostile.rs has 5,000 of each).
const STACK_LEN: usize = 64;

/// The bounded distance over any units (bytes for ASCII, characters otherwise), with a
/// custom equality (exact, or ignoring ASCII case).
fn distance_of<T: Copy>(a: &[T], b: &[T], max: usize, eq: impl Fn(T, T) -> bool) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let (mut prev_heap, mut cur_heap);
    let (mut prev_stack, mut cur_stack) = ([0usize; STACK_LEN + 1], [0usize; STACK_LEN + 1]);
    let (mut prev, mut cur): (&mut [usize], &mut [usize]) = if b.len() <= STACK_LEN {
        (&mut prev_stack[..=b.len()], &mut cur_stack[..=b.len()])
    } else {
        prev_heap = vec![0; b.len() + 1];
        cur_heap = vec![0; b.len() + 1];
        (&mut prev_heap, &mut cur_heap)
    };
    for (j, p) in prev.iter_mut().enumerate() {
        *p = j;
    }
    for (i, &x) in a.iter().enumerate() {
        cur[0] = i + 1;
        let mut row_min = cur[0];
        for (j, &y) in b.iter().enumerate() {
            let cost = usize::from(!eq(x, y));
            cur[j + 1] = (prev[j + 1] + 1).min(cur[j] + 1).min(prev[j] + cost);
            row_min = row_min.min(cur[j + 1]);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
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
    let ascii = lower.is_ascii();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        // A difference of case only is the likeliest typo of all.
        let d = if c.eq_ignore_ascii_case(&lower) {
            Some(0)
        } else if ascii && c.is_ascii() {
            // No lowercase copy of each candidate: compare ignoring ASCII case.
            distance_of(lower.as_bytes(), c.as_bytes(), max, |x, y| {
                x.eq_ignore_ascii_case(&y)
            })
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
