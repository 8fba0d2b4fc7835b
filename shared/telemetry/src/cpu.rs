//! This process's CPU time, for the figures benchmarks print beside their rates.

use std::time::Duration;

/// User plus system CPU time of this process so far, from `/proc/self/stat` (Linux; clock
/// ticks of 10 ms, the kernel's `USER_HZ`). Zero where that file cannot be read.
pub fn process_cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command name, which may hold spaces: state is field 0, utime 11, stime 12.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |n: usize| {
        fields
            .get(n)
            .and_then(|field| field.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_work_shows_as_cpu_time() {
        let before = process_cpu_time();
        let started = std::time::Instant::now();
        let mut x = 1u64;
        while started.elapsed() < Duration::from_millis(200) {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
        let spent = process_cpu_time().saturating_sub(before);
        assert!(spent >= Duration::from_millis(100), "{spent:?}");
    }
}
