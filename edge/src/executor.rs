//! The executor of the Worker's requests: polls a request's future at once in the call that
//! starts it, after a promise it awaits settles in that promise's reaction, and after any
//! other wake-up on a microtask armed through a resolved promise.
//!
//! `#[event(fetch)]` hands the handler to js-sys's executor, which polls it only on a later
//! microtask and arms every later one through `queueMicrotask`; in a profile of workerd those
//! calls cost about as much per PING as `crypto.subtle.verify`. A PING waits on two promises
//! (its body and its signature check); it paid for three `queueMicrotask` hops, and here it
//! pays for none beyond the two promises' own reactions.
//!
//! Only the reactions of `promise` poll in place ([`wake_in_reaction`]): they record the value
//! before they wake the task. Other futures may wake their task before they record why (the
//! `worker` crate's `Delay` does), so their wake-ups wait for the microtask.
//!
//! The tasks and their queue are plain Rust, tested natively; [`drive`] ties a task to a
//! promise, and only the wasm build arms microtasks.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// `future`'s value if it finishes on its first poll (a resolved value, or a rejected
/// promise); otherwise a promise that settles with it.
#[cfg(target_arch = "wasm32")]
pub fn drive(
    future: impl Future<Output = Result<worker::wasm_bindgen::JsValue, worker::wasm_bindgen::JsValue>>
    + 'static,
) -> worker::wasm_bindgen::JsValue {
    use worker::js_sys::Promise;
    use worker::wasm_bindgen::JsValue;

    let task = Task::new(future);
    match task.poll() {
        Some(Ok(value)) => value,
        Some(Err(error)) => Promise::reject(&error).into(),
        None => Promise::new(&mut |resolve, reject| {
            task.when_done(move |output| {
                let (settle, value) = match output {
                    Ok(value) => (resolve, value),
                    Err(error) => (reject, error),
                };
                // A promise's own resolving functions do not throw.
                let _ = settle.call1(&JsValue::UNDEFINED, &value);
            });
        })
        .into(),
    }
}

/// Something woken, to be run from the queue.
trait Woken {
    fn run(self: Rc<Self>);
}

thread_local! {
    static WOKEN: RefCell<VecDeque<Rc<dyn Woken>>> = const { RefCell::new(VecDeque::new()) };
    /// A microtask that will run the queue is already on its way.
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

fn enqueue(task: Rc<dyn Woken>) {
    WOKEN.with_borrow_mut(|woken| woken.push_back(task));
    if !ARMED.replace(true) {
        arm();
    }
}

/// Wakes a task from a promise reaction that recorded the task's value first (see `promise`),
/// and runs the woken tasks here, in the reaction, instead of on a microtask of their own;
/// if a microtask is already on its way, that one runs them.
pub fn wake_in_reaction(waker: Waker) {
    let armed = ARMED.replace(true);
    waker.wake();
    if !armed {
        run_woken();
    }
}

/// Runs every woken task, and any woken meanwhile, until none is left. In the Worker a
/// microtask calls this; natively nothing arms one, so whoever drives the tasks calls it.
pub fn run_woken() {
    while let Some(task) = WOKEN.with_borrow_mut(VecDeque::pop_front) {
        task.run();
    }
    ARMED.set(false);
}

#[cfg(target_arch = "wasm32")]
fn arm() {
    use worker::js_sys::Promise;
    use worker::wasm_bindgen::{JsValue, closure::Closure};

    thread_local! {
        static MICROTASK: (Promise, Closure<dyn FnMut(JsValue)>) =
            (Promise::resolve(&JsValue::UNDEFINED), Closure::new(|_| run_woken()));
    }
    MICROTASK.with(|(resolved, run)| {
        let _ = resolved.then(run);
    });
}

#[cfg(not(target_arch = "wasm32"))]
fn arm() {}

type Boxed<T> = Pin<Box<dyn Future<Output = T>>>;
type Done<T> = Box<dyn FnOnce(T)>;

/// One future and what to do with its output when a later poll finishes it.
pub struct Task<T> {
    future: RefCell<Option<Boxed<T>>>,
    /// In the queue already: another wake-up adds nothing.
    queued: Cell<bool>,
    done: RefCell<Option<Done<T>>>,
}

impl<T: 'static> Task<T> {
    pub fn new(future: impl Future<Output = T> + 'static) -> Rc<Self> {
        Rc::new(Task {
            future: RefCell::new(Some(Box::pin(future))),
            queued: Cell::new(false),
            done: RefCell::new(None),
        })
    }

    /// Where the output goes if a later poll, not the first [`Task::poll`], finishes the
    /// future.
    pub fn when_done(&self, done: impl FnOnce(T) + 'static) {
        self.done.replace(Some(Box::new(done)));
    }

    /// Polls the future once: its output if it is done (or `None` if it was already).
    pub fn poll(self: &Rc<Self>) -> Option<T> {
        let waker = self.waker();
        let mut slot = self.future.borrow_mut();
        let future = slot.as_mut()?;
        let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) else {
            return None;
        };
        *slot = None;
        Some(output)
    }

    fn wake(self: &Rc<Self>) {
        if !self.queued.replace(true) {
            enqueue(Rc::clone(self) as Rc<dyn Woken>);
        }
    }

    // A `Waker` holding an `Rc<Task>`. Wakers are meant to be `Send`; these never leave the
    // thread, because the Worker's wasm has one thread (no atomics).
    const VTABLE: RawWakerVTable = RawWakerVTable::new(
        Self::clone_waker,
        Self::wake_waker,
        Self::wake_by_ref,
        Self::drop_waker,
    );

    fn waker(self: &Rc<Self>) -> Waker {
        let raw = RawWaker::new(Rc::into_raw(Rc::clone(self)).cast(), &Self::VTABLE);
        // SAFETY: the data pointer is an `Rc<Task<T>>` from `Rc::into_raw`, and every function
        // of `VTABLE` treats it as one, keeping the strong count equal to the live wakers.
        unsafe { Waker::from_raw(raw) }
    }

    unsafe fn clone_waker(data: *const ()) -> RawWaker {
        // SAFETY: `data` came from `Rc::into_raw` (see `waker`) and that reference is live.
        unsafe { Rc::increment_strong_count(data.cast::<Self>()) };
        RawWaker::new(data, &Self::VTABLE)
    }

    unsafe fn wake_waker(data: *const ()) {
        // SAFETY: as in `clone_waker`; this consumes the waker's reference.
        let task = unsafe { Rc::from_raw(data.cast::<Self>()) };
        task.wake();
    }

    unsafe fn wake_by_ref(data: *const ()) {
        // SAFETY: as in `clone_waker`; the waker keeps its reference, so it is not dropped.
        let task = ManuallyDrop::new(unsafe { Rc::from_raw(data.cast::<Self>()) });
        task.wake();
    }

    unsafe fn drop_waker(data: *const ()) {
        // SAFETY: as in `clone_waker`; this releases the waker's reference.
        drop(unsafe { Rc::from_raw(data.cast::<Self>()) });
    }
}

impl<T: 'static> Woken for Task<T> {
    fn run(self: Rc<Self>) {
        self.queued.set(false);
        if let Some(output) = self.poll()
            && let Some(done) = self.done.take()
        {
            done(output);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Gate {
        open: Cell<bool>,
        waker: RefCell<Option<Waker>>,
        polls: Cell<u32>,
    }

    /// A future pending until `gate` opens, keeping the last waker it was given.
    fn through(gate: &Rc<Gate>) -> impl Future<Output = &'static str> + 'static {
        let gate = Rc::clone(gate);
        std::future::poll_fn(move |context| {
            gate.polls.set(gate.polls.get() + 1);
            if gate.open.get() {
                return Poll::Ready("opened");
            }
            gate.waker.replace(Some(context.waker().clone()));
            Poll::Pending
        })
    }

    fn kept_waker(gate: &Gate) -> Waker {
        gate.waker.take().expect("the pending future kept a waker")
    }

    #[test]
    fn a_ready_future_gives_its_output_on_the_first_poll() {
        let task = Task::new(async { 7 });
        assert_eq!(task.poll(), Some(7));
    }

    /// The task's output, once its `when_done` has had it.
    fn output_of<T: Copy + 'static>(task: &Task<T>) -> Sink<T> {
        let output = Rc::new(Cell::new(None));
        let sink = Rc::clone(&output);
        task.when_done(move |value| sink.set(Some(value)));
        output
    }

    /// Where a task's output goes (see `output_of`).
    type Sink<T> = Rc<Cell<Option<T>>>;

    /// A task pending on a closed gate after its first poll, and where its output will go.
    fn parked() -> (Rc<Gate>, Rc<Task<&'static str>>, Sink<&'static str>) {
        let gate = Rc::new(Gate::default());
        let task = Task::new(through(&gate));
        assert_eq!(task.poll(), None);
        let output = output_of(&task);
        (gate, task, output)
    }

    #[test]
    fn a_wake_up_polls_on_the_next_run_and_hands_the_output_over() {
        let (gate, _task, output) = parked();

        gate.open.set(true);
        kept_waker(&gate).wake();
        assert_eq!(
            (output.get(), gate.polls.get()),
            (None, 1),
            "not polled in the wake-up"
        );
        run_woken();
        assert_eq!((output.get(), gate.polls.get()), (Some("opened"), 2));
    }

    #[test]
    fn a_future_that_wakes_its_task_before_it_is_ready_still_finishes() {
        // As the `worker` crate's `Delay` does: wake first, then record that time is up.
        let (gate, _task, output) = parked();

        kept_waker(&gate).wake();
        gate.open.set(true);
        run_woken();
        assert_eq!(output.get(), Some("opened"));
    }

    #[test]
    fn a_wake_up_in_a_reaction_polls_there_and_then() {
        let (gate, _task, output) = parked();

        gate.open.set(true);
        wake_in_reaction(kept_waker(&gate));
        assert_eq!(output.get(), Some("opened"));
        assert!(!ARMED.get(), "nothing left for a microtask");
    }

    #[test]
    fn a_wake_up_in_a_reaction_leaves_the_run_to_a_microtask_already_armed() {
        let (early, _early_task, early_output) = parked();
        let (late, _late_task, late_output) = parked();

        // `early` woke its task the ordinary way, so a microtask is on its way.
        kept_waker(&early).wake();
        early.open.set(true);
        late.open.set(true);
        wake_in_reaction(kept_waker(&late));
        assert_eq!((early_output.get(), late_output.get()), (None, None));

        run_woken();
        assert_eq!(
            (early_output.get(), late_output.get()),
            (Some("opened"), Some("opened"))
        );
    }

    #[test]
    fn wake_ups_before_a_run_poll_once() {
        let (gate, _task, _) = parked();
        let waker = kept_waker(&gate);
        waker.wake_by_ref();
        waker.wake_by_ref();
        run_woken();
        assert_eq!(gate.polls.get(), 2);
    }

    #[test]
    fn a_wake_up_during_a_poll_runs_after_it() {
        // Wakes itself on its first poll, as a future whose value is already there may.
        let polls = Rc::new(Cell::new(0));
        let counted = Rc::clone(&polls);
        let task = Task::new(std::future::poll_fn(move |context| {
            counted.set(counted.get() + 1);
            if counted.get() == 1 {
                context.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(5)
        }));
        assert_eq!(task.poll(), None);
        let output = output_of(&task);
        run_woken();
        assert_eq!((output.get(), polls.get()), (Some(5), 2));
    }

    #[test]
    fn every_waker_releases_the_task() {
        let (gate, task, _) = parked();
        let spare = gate.waker.borrow().clone().expect("a waker");
        assert_eq!(
            Rc::strong_count(&task),
            3,
            "the task, the kept waker and its clone"
        );

        drop(spare);
        gate.open.set(true);
        kept_waker(&gate).wake();
        run_woken();
        assert_eq!(Rc::strong_count(&task), 1);
    }
}
