//! Computations that stop when their time slice is used up and go on from there at the next
//! call. The page's worker computes the baselines this way between training chunks, so training
//! starts at once; the CLI runs the very same code to the end in one call, so both get the same
//! numbers by construction, not by keeping two copies in step.
//!
//! How: a computation is an `async` block whose loops pass a `checkpoint` every slice of work.
//! A checkpoint returns at once while the time slice lasts; when it is used up the block returns
//! `Pending`, and the `Job` holding it resumes it exactly there at its next `advance`. There are
//! no threads and no runtime: one `poll` with a no-op waker per call (the caller's loop is the
//! waker). A checkpoint never changes what is computed, only when.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// When the current time slice ends, on the caller's clock (milliseconds), and how much work
/// goes between two looks at it.
pub struct Clock {
    now: Box<dyn Fn() -> f64>,
    deadline: Cell<f64>,
    units: usize,
}

impl Clock {
    /// A clock reading `now()` (the page: the browser's clock).
    pub fn new(now: impl Fn() -> f64 + 'static) -> Rc<Clock> {
        Clock::with_slices(now, SLICE_UNITS)
    }

    /// The same, looked at after about `units` multiply-adds of work (tests: few, to stop
    /// computations in many more places than the page would).
    pub fn with_slices(now: impl Fn() -> f64 + 'static, units: usize) -> Rc<Clock> {
        Rc::new(Clock {
            now: Box::new(now),
            deadline: Cell::new(f64::INFINITY),
            units,
        })
    }

    /// A clock whose slices never end (the CLI: everything in one go, no clock read).
    pub fn unlimited() -> Rc<Clock> {
        Clock::new(|| 0.0)
    }

    fn expired(&self) -> bool {
        let end = self.deadline.get();
        end.is_finite() && (self.now)() >= end
    }

    /// How many items of `cost` units each make one slice (at least one).
    pub fn per_slice(&self, cost: usize) -> usize {
        (self.units / cost.max(1)).max(1)
    }
}

/// A point where a computation may stop until the next slice (when the current one is used up).
pub async fn checkpoint(clock: &Clock) {
    if clock.expired() {
        YieldOnce(false).await;
    }
}

/// Pending once, then ready: hands control back to the `Job`'s caller.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

/// `f(range)` over `0..count`, `per` items at a time, with a checkpoint after every range but
/// the last (so a call always makes progress and ends with the work done).
pub async fn in_slices(count: usize, per: usize, clock: &Clock, mut f: impl FnMut(Range<usize>)) {
    let per = per.max(1);
    let mut start = 0;
    while start < count {
        let end = (start + per).min(count);
        f(start..end);
        start = end;
        if start < count {
            checkpoint(clock).await;
        }
    }
}

/// The work between two looks at the clock, in multiply-adds: about 0.1 ms in the browser, so
/// a slice overruns its deadline by little and the clock is read rarely enough to cost nothing.
const SLICE_UNITS: usize = 1 << 17;

/// A computation under way, with the items it has handed over so far (`Outbox::send`).
pub struct Job<T> {
    clock: Rc<Clock>,
    outbox: Outbox<T>,
    future: Option<Pin<Box<dyn Future<Output = ()>>>>,
}

/// Where a job's computation puts its results as they are ready.
pub struct Outbox<T>(Rc<RefCell<Vec<T>>>);

impl<T> Clone for Outbox<T> {
    fn clone(&self) -> Self {
        Outbox(self.0.clone())
    }
}

impl<T> Outbox<T> {
    pub fn send(&self, item: T) {
        self.0.borrow_mut().push(item);
    }
}

impl<T> Job<T> {
    /// The job of `make(clock, outbox)` on `clock` (nothing runs before the first `advance`).
    pub fn new<F>(clock: Rc<Clock>, make: impl FnOnce(Rc<Clock>, Outbox<T>) -> F) -> Job<T>
    where
        F: Future<Output = ()> + 'static,
    {
        let outbox = Outbox(Rc::new(RefCell::new(Vec::new())));
        let future = make(clock.clone(), outbox.clone());
        Job {
            clock,
            outbox,
            future: Some(Box::pin(future)),
        }
    }

    /// Run for about `budget_ms` of the clock (∞: to the end); returns the items handed over
    /// meanwhile, in order.
    pub fn advance(&mut self, budget_ms: f64) -> Vec<T> {
        if let Some(f) = self.future.as_mut() {
            let c = &self.clock;
            c.deadline.set(if budget_ms.is_finite() {
                (c.now)() + budget_ms
            } else {
                f64::INFINITY
            });
            let mut cx = Context::from_waker(Waker::noop());
            if f.as_mut().poll(&mut cx).is_ready() {
                self.future = None;
            }
        }
        std::mem::take(&mut *self.outbox.0.borrow_mut())
    }

    /// Whether the computation has ended.
    pub fn done(&self) -> bool {
        self.future.is_none()
    }
}

/// The value of `future`, run to the end now (its checkpoints on an unlimited clock, or none).
pub fn block_on<T>(future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock that advances one unit per reading.
    fn ticking() -> Rc<Clock> {
        let t = Cell::new(0.0);
        Clock::new(move || {
            t.set(t.get() + 1.0);
            t.get()
        })
    }

    #[test]
    fn a_job_stops_at_its_deadline_and_goes_on_where_it_stopped() {
        let mut job = Job::new(ticking(), |clock, out| async move {
            let mut sum = 0;
            in_slices(10, 1, &clock, |r| sum += r.start).await;
            out.send(sum);
            in_slices(5, 2, &clock, |r| out.send(r.end)).await;
        });
        let mut got = Vec::new();
        let mut calls = 0;
        while !job.done() {
            got.extend(job.advance(2.0));
            calls += 1;
        }
        assert_eq!(got, vec![45, 2, 4, 5]);
        assert!(calls > 5, "{calls}");
        let mut whole = Job::new(ticking(), |clock, out| async move {
            in_slices(10, 1, &clock, |r| out.send(r.start)).await;
        });
        assert_eq!(whole.advance(f64::INFINITY).len(), 10);
        assert!(whole.done());
    }
}
