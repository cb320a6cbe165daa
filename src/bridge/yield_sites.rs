//! Where each instance's generator last yielded in this process, for the
//! store's nondeterminism notes. Written at the end of every turn, read only
//! when a failure is stored; bounded, oldest forgotten first.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::engine::store::YieldSites;

#[derive(Default)]
pub struct SiteBook {
    sites: Mutex<Sites>,
}

#[derive(Default)]
struct Sites {
    by_instance: HashMap<String, String>,
    order: VecDeque<String>,
}

/// Instances remembered; a nondeterminism failure is stored right after the turn that caused it.
const REMEMBERED: usize = 1000;

impl SiteBook {
    pub fn note(&self, instance: &str, site: String) {
        let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        if sites.by_instance.insert(instance.to_string(), site).is_none() {
            sites.order.push_back(instance.to_string());
        }
        while sites.order.len() > REMEMBERED {
            if let Some(oldest) = sites.order.pop_front() {
                sites.by_instance.remove(&oldest);
            }
        }
    }

    /// Removes and answers what is noted for `instance` (replays read their own site, then leave none behind).
    pub fn take(&self, instance: &str) -> Option<String> {
        let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        let site = sites.by_instance.remove(instance)?;
        sites.order.retain(|i| i != instance);
        Some(site)
    }
}

impl YieldSites for SiteBook {
    fn last_yield_site(&self, instance: &str) -> Option<String> {
        self.sites.lock().unwrap_or_else(|e| e.into_inner()).by_instance.get(instance).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_site_wins_and_old_instances_are_forgotten() {
        let book = SiteBook::default();
        book.note("a", "/f.js:1:1".into());
        book.note("a", "/f.js:2:1".into());
        assert_eq!(book.last_yield_site("a").as_deref(), Some("/f.js:2:1"));
        for n in 0..REMEMBERED {
            book.note(&format!("i{n}"), "/f.js:3:1".into());
        }
        assert_eq!(book.last_yield_site("a"), None);
        assert_eq!(book.last_yield_site("i999").as_deref(), Some("/f.js:3:1"));
        assert_eq!(book.take("i999").as_deref(), Some("/f.js:3:1"));
        assert_eq!(book.last_yield_site("i999"), None);
    }
}
