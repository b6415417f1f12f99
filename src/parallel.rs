//! Work spread over the machine's cores, results kept in order.
//!
//! For independent jobs whose results are wanted in the order given (the
//! sources of `journal merge`, each verified on its own): a few threads take
//! the next job until none is left.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `work` applied to every item on up to `max_threads` threads (never more
/// than the cores or the items); the results in the order of `items`. `None`
/// for an item whose thread failed (panicked): the caller reports it, never
/// leaves it out silently.
pub fn map<'a, T: Sync, R: Send>(
    items: &'a [T],
    max_threads: usize,
    work: impl Fn(&'a T) -> R + Sync,
) -> Vec<Option<R>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(max_threads)
        .min(items.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let take = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break done };
            done.push((i, work(item)));
        }
    };
    let mut results: Vec<Option<R>> = items.iter().map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(take)).collect();
        for handle in handles {
            for (i, result) in handle.join().unwrap_or_default() {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(result);
                }
            }
        }
    });
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_the_order_of_the_items() {
        let items: Vec<u64> = (0..100).collect();
        let squares = map(&items, 4, |n| n * n);
        let expected: Vec<Option<u64>> = items.iter().map(|n| Some(n * n)).collect();
        assert_eq!(squares, expected);
        assert!(map(&[] as &[u8], 4, |_| 0).is_empty());
    }
}
