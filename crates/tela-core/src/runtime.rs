//! The process-wide tokio runtime, re-created in a forked child.
//!
//! tokio is not fork-safe: a child that reuses the parent's runtime hangs, and a child that
//! registers sockets in the inherited epoll instance can crash the parent. So the runtime is
//! tagged with the PID that built it; a different PID builds a fresh one and the inherited
//! one is leaked on purpose (dropping it would join threads that do not exist in the child).

use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use tokio::runtime::Runtime;

struct RtState {
    pid: u32,
    rt: Runtime,
}

static RT: AtomicPtr<RtState> = AtomicPtr::new(std::ptr::null_mut());
static LOCAL_RT: AtomicPtr<RtState> = AtomicPtr::new(std::ptr::null_mut());

static CACHED_PID: AtomicU32 = AtomicU32::new(0);

/// This process's id, without a syscall per call (getpid is a real syscall, and the
/// per-process checks run several times per request). A fork handler clears the cache in
/// the child, so the child sees its own id.
pub fn current_pid() -> u32 {
    let cached = CACHED_PID.load(Ordering::Relaxed);
    if cached != 0 {
        return cached;
    }
    install_fork_hook();
    let pid = std::process::id();
    CACHED_PID.store(pid, Ordering::Relaxed);
    pid
}

#[cfg(unix)]
fn install_fork_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    extern "C" fn in_child() {
        // Only an atomic store: safe in a freshly forked child.
        CACHED_PID.store(0, Ordering::Relaxed);
    }
    // SAFETY: registers a handler that only touches an atomic; pthread_atfork has no other preconditions.
    ONCE.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(in_child));
    });
}

#[cfg(not(unix))]
fn install_fork_hook() {}

/// The multi-thread runtime of this process, built on first use: async calls, the emulator.
pub fn runtime() -> &'static Runtime {
    per_process(&RT, || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(worker_threads())
            .thread_name("tela-sdk-tokio")
            .enable_all()
            .build()
    })
}

/// The current-thread runtime of this process, for blocking calls: whichever thread blocks on
/// it drives it, so a request, hyper's connection task and the I/O driver all run on the
/// caller's thread and no wake-up crosses threads (on an idle VM each crossing costs tens
/// of microseconds). Several threads may block on it at once; they take turns driving it.
pub fn local_runtime() -> &'static Runtime {
    per_process(&LOCAL_RT, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    })
}

/// True when the calling code runs on [`local_runtime`] (so it should use its pool).
pub fn on_local_runtime() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread)
}

fn per_process(
    slot: &'static AtomicPtr<RtState>,
    build: impl Fn() -> std::io::Result<Runtime>,
) -> &'static Runtime {
    let pid = current_pid();
    loop {
        let cur = slot.load(Ordering::Acquire);
        if !cur.is_null() {
            // SAFETY: states are never freed once published (see module doc), so the pointer stays valid.
            let st = unsafe { &*cur };
            if st.pid == pid {
                return &st.rt;
            }
        }
        let rt = build()
            .expect("building the tokio runtime failed (out of threads or file descriptors?)");
        let fresh = Box::into_raw(Box::new(RtState { pid, rt }));
        if slot
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
    slot: Mutex<Option<(u32, Arc<T>)>>,
    build: Box<dyn Fn() -> T + Send + Sync>,
}

impl<T> PerProcess<T> {
    /// Built on first use.
    pub fn lazy(build: impl Fn() -> T + Send + Sync + 'static) -> Self {
        PerProcess {
            slot: Mutex::new(None),
            build: Box::new(build),
        }
    }

    /// Starts with `value` (already built, e.g. to validate the settings) in this process.
    pub fn with_value(value: T, build: impl Fn() -> T + Send + Sync + 'static) -> Self {
        PerProcess {
            slot: Mutex::new(Some((current_pid(), Arc::new(value)))),
            build: Box::new(build),
        }
    }

    pub fn get(&self) -> Arc<T> {
        let pid = current_pid();
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        match &*slot {
            Some((owner, value)) if *owner == pid => value.clone(),
            _ => {
                let fresh = Arc::new((self.build)());
                if let Some(inherited) = slot.replace((pid, fresh.clone())) {
                    std::mem::forget(inherited);
                }
                fresh
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_runtime_is_current_thread_and_reused() {
        let a = local_runtime() as *const Runtime;
        assert_eq!(a, local_runtime() as *const Runtime);
        assert!(local_runtime().block_on(async { on_local_runtime() }));
        assert!(!runtime().block_on(async { on_local_runtime() }));
    }

    #[test]
    fn runtime_is_reused_within_a_process() {
        let a = runtime() as *const Runtime;
        let b = runtime() as *const Runtime;
        assert_eq!(a, b);
        assert_eq!(runtime().block_on(async { 40 + 2 }), 42);
    }

    #[test]
    fn cached_pid_is_the_process_id() {
        assert_eq!(current_pid(), std::process::id());
        assert_eq!(current_pid(), std::process::id());
    }

    #[test]
    fn per_process_value_is_shared_within_a_process() {
        let p = PerProcess::lazy(|| vec![1, 2, 3]);
        assert!(Arc::ptr_eq(&p.get(), &p.get()));
        let q = PerProcess::with_value(vec![0], || vec![1]);
        assert_eq!(*q.get(), vec![0]);
    }
}
