//! The process-wide tokio runtime, re-created in a forked child.
//!
//! tokio is not fork-safe: a child that reuses the parent's runtime hangs, and a child that
//! registers sockets in the inherited epoll instance can crash the parent. So the runtime is
//! tagged with the PID that built it; a different PID builds a fresh one and the inherited
//! one is leaked on purpose (dropping it would join threads that do not exist in the child).

use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};

use tokio::runtime::Runtime;

struct RtState {
    pid: u32,
    rt: Runtime,
}

static RT: AtomicPtr<RtState> = AtomicPtr::new(std::ptr::null_mut());

/// The runtime of this process, built on first use.
pub fn runtime() -> &'static Runtime {
    let pid = std::process::id();
    loop {
        let cur = RT.load(Ordering::Acquire);
        if !cur.is_null() {
            // SAFETY: states are never freed once published (see module doc), so the pointer stays valid.
            let st = unsafe { &*cur };
            if st.pid == pid {
                return &st.rt;
            }
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(worker_threads())
            .thread_name("tela-sdk-tokio")
            .enable_all()
            .build()
            .expect("building the tokio runtime failed (out of threads or file descriptors?)");
        let fresh = Box::into_raw(Box::new(RtState { pid, rt }));
        if RT
            .compare_exchange(cur, fresh, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            // SAFETY: just published, never freed.
            return unsafe { &(*fresh).rt };
        }
        // Another thread won the race: discard ours (it never ran anything).
        // SAFETY: `fresh` was never published, so we still own it.
        unsafe { Box::from_raw(fresh) }.rt.shutdown_background();
    }
}

/// An SDK is I/O bound; a few workers are plenty and leave cores to the user's code.
fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 4)
}

/// A value that belongs to one process: read in a forked child, it is rebuilt and the
/// inherited one leaked (a reqwest pool dropped in the child would deregister the parent's
/// sockets from the shared epoll instance).
pub struct PerProcess<T> {
    slot: Mutex<(u32, Arc<T>)>,
    build: Box<dyn Fn() -> T + Send + Sync>,
}

impl<T> PerProcess<T> {
    pub fn new(build: impl Fn() -> T + Send + Sync + 'static) -> Self {
        let value = Arc::new(build());
        PerProcess {
            slot: Mutex::new((std::process::id(), value)),
            build: Box::new(build),
        }
    }

    pub fn get(&self) -> Arc<T> {
        let pid = std::process::id();
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if slot.0 != pid {
            let fresh = Arc::new((self.build)());
            let old = std::mem::replace(&mut *slot, (pid, fresh));
            std::mem::forget(old);
        }
        slot.1.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_is_reused_within_a_process() {
        let a = runtime() as *const Runtime;
        let b = runtime() as *const Runtime;
        assert_eq!(a, b);
        assert_eq!(runtime().block_on(async { 40 + 2 }), 42);
    }

    #[test]
    fn per_process_value_is_shared_within_a_process() {
        let p = PerProcess::new(|| vec![1, 2, 3]);
        assert!(Arc::ptr_eq(&p.get(), &p.get()));
    }
}
